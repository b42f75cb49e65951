"""Keeping the clocks: alert a site's staff before a breach, record breaches, report adherence.

Several workers may keep the clocks at once: each alert and each breach is claimed by one
conditional UPDATE that sets its flag (rows another worker is claiming are skipped), and only
the worker whose UPDATE set the flag mails or records it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.domain.clocks import (
    ALERT_REASONS,
    CLOCK_LABELS,
    WARN_BEFORE,
    ClockRecord,
    WeekAdherence,
    alert_recipients,
    weekly_adherence,
)
from portal.domain.webhooks import report_data
from portal.i18n import gettext as _
from portal.mail import Mail
from portal.models import Report, ReportEvent, Site, Staff
from portal.services.staff import ROLES, site_staff
from portal.services.webhooks import Event, emit_many

# Per clock: the due column, the timestamp that stops it, and the flags that record alert and breach.
CLOCKS = {
    "first_response": (
        Report.first_response_due_at,
        Report.first_response_at,
        "first_response_warned",
        "first_response_breached",
    ),
    "recovery": (Report.recovery_due_at, Report.recovered_at, "recovery_warned", "recovery_breached"),
}


@dataclass
class ClockRun:
    """What one pass over the clocks did."""

    warned: int = 0
    breached: int = 0


@dataclass(frozen=True)
class AlertRoute:
    """Who would get a site's clock alerts now, and why (a key of ALERT_REASONS; None: nobody works there)."""

    site: Site
    reason: str | None
    staff: list[Staff]

    @property
    def why(self) -> str:
        """The reason as staff read it (untranslated: the page translates it)."""
        return ALERT_REASONS[self.reason] if self.reason else ""


async def _recipients(session: AsyncSession, site_id: int) -> tuple[str | None, list[Staff]]:
    return alert_recipients(await site_staff(session, site_id, ROLES))


async def alert_routes(session: AsyncSession, sites: Sequence[Site]) -> list[AlertRoute]:
    """For each site, the people its clock alerts would go to now and why (the clocks page)."""
    return [AlertRoute(site, *await _recipients(session, site.id)) for site in sites]


async def _claim(session: AsyncSession, flag: Any, *conditions: Any) -> Sequence[Report]:
    """Set `flag` on the reports that meet the conditions and lack it, and return them: of two workers,
    only the one whose UPDATE set the flag gets a report back (PostgreSQL skips rows the other holds;
    SQLite's single writer makes the UPDATE atomic)."""
    candidates = select(Report.id).where(*conditions, flag.is_(False)).with_for_update(skip_locked=True)
    claimed = (
        await session.scalars(
            update(Report)
            .where(Report.id.in_(candidates), flag.is_(False))
            .values({flag: True})
            .returning(Report.id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    if not claimed:
        return []
    return (await session.scalars(select(Report).where(Report.id.in_(claimed)).order_by(Report.id))).all()


async def check_clocks(sessionmaker: async_sessionmaker[AsyncSession], *, mail: Mail, now: datetime) -> ClockRun:
    """Alert the site's on-duty staff (or whoever stands in: `alert_recipients`) once inside each clock's
    warning window; record each breach once."""
    run = ClockRun()
    events: list[Event] = []
    async with sessionmaker() as session:
        for kind, (due, done, warned_flag, breached_flag) in CLOCKS.items():
            running = (done.is_(None), Report.recovered_at.is_(None))
            warn = (due > now, due <= now + WARN_BEFORE[kind])
            for report in await _claim(session, getattr(Report, warned_flag), *running, *warn):
                _reason, recipients = await _recipients(session, report.site_id)
                # Rounded up: a clock due in 30 s has "1 min" left, never "0 min".
                minutes = math.ceil((getattr(report, due.key) - now).total_seconds() / 60)
                for staff in recipients:
                    mail.clock_warning(
                        session, report, staff=staff, kind=kind, clock=CLOCK_LABELS[kind], minutes=minutes
                    )
                data = report_data(report, mail.base_url, clock=kind, minutes=minutes)
                events.append(Event(report.site_id, "clock.warning", data))
                run.warned += 1
            for report in await _claim(session, getattr(Report, breached_flag), *running, due <= now):
                missed = _("The %(clock)s target was missed.", clock=_(CLOCK_LABELS[kind]))
                session.add(ReportEvent(report_id=report.id, kind="breach", body=missed))
                events.append(Event(report.site_id, "clock.breached", report_data(report, mail.base_url, clock=kind)))
                run.breached += 1
        await emit_many(session, events)
        await session.commit()
    return run


async def adherence(
    session: AsyncSession, site_ids: list[int], *, now: datetime, weeks: int = 8
) -> list[WeekAdherence]:
    """How each of these sites kept its clocks, week by week, over the last `weeks` weeks."""
    columns = (
        Report.site_id,
        Report.created_at,
        Report.first_response_due_at,
        Report.recovery_due_at,
        Report.first_response_at,
        Report.recovered_at,
    )
    query = select(*columns).where(
        Report.site_id.in_(site_ids),
        Report.created_at >= now - timedelta(weeks=weeks),
        Report.first_response_due_at.is_not(None),
    )
    rows = (await session.execute(query)).all()
    return weekly_adherence(
        (
            ClockRecord(site_id, created_at, first_due, recovery_due, first_at, recovered_at)
            for site_id, created_at, first_due, recovery_due, first_at, recovered_at in rows
            # The WHERE keeps clocked reports and both clocks are set together: this only narrows the types.
            if first_due is not None and recovery_due is not None
        ),
        now,
    )
