"""Keeping the clocks: alert a site's staff before a breach, record breaches, report adherence.

Several workers may keep the clocks at once: each alert and each breach is claimed by one
conditional UPDATE that sets its flag (rows another worker is claiming are skipped), and only
the worker whose UPDATE set the flag mails or records it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.domain.clocks import (
    CLOCK_LABELS,
    WARN_BEFORE,
    ClockRecord,
    WeekAdherence,
    weekly_adherence,
)
from portal.i18n import gettext as _
from portal.mail import Mail
from portal.models import Report, ReportEvent, Staff, StaffSite

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


async def _on_duty(session: AsyncSession, site_id: int) -> list[Staff]:
    """The site's staff on duty; everyone at the site when nobody is, so no alert goes unread."""
    query = (
        select(Staff)
        .join(StaffSite, StaffSite.staff_id == Staff.id)
        .where(StaffSite.site_id == site_id, Staff.is_active)
    )
    staff = list((await session.scalars(query)).all())
    return [s for s in staff if s.on_duty] or staff


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
    """Alert the site's on-duty staff once inside each clock's warning window; record each breach once."""
    run = ClockRun()
    async with sessionmaker() as session:
        for kind, (due, done, warned_flag, breached_flag) in CLOCKS.items():
            running = (done.is_(None), Report.recovered_at.is_(None))
            warn = (due > now, due <= now + WARN_BEFORE[kind])
            for report in await _claim(session, getattr(Report, warned_flag), *running, *warn):
                for staff in await _on_duty(session, report.site_id):
                    mail.clock_warning(
                        session,
                        report,
                        staff=staff,
                        kind=kind,
                        clock=CLOCK_LABELS[kind],
                        minutes=int((getattr(report, due.key) - now).total_seconds() // 60),
                    )
                run.warned += 1
            for report in await _claim(session, getattr(Report, breached_flag), *running, due <= now):
                missed = _("The %(clock)s target was missed.", clock=_(CLOCK_LABELS[kind]))
                session.add(ReportEvent(report_id=report.id, kind="breach", body=missed))
                run.breached += 1
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
