"""The monthly results: built once per site and month by whichever worker gets there first, mailed to the site's staff."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.db import insert_on_conflict
from portal.domain.hotspots import find_hotspots
from portal.mail import Mail
from portal.models import (
    CorrectiveAction,
    MonthlyResult,
    Site,
    Staff,
    StaffSite,
    utcnow,
)
from portal.services import satisfaction, trends

BASELINE_MONTHS = 3


def month_start(day: date) -> date:
    """The first day of the month holding `day`."""
    return day.replace(day=1)


def previous_month(day: date) -> date:
    """The first day of the month before the one holding `day`."""
    return month_start(month_start(day) - timedelta(days=1))


def month_period(month: date) -> trends.Period:
    """The whole month as a period."""
    return trends.Period.from_dates(month, month_start(month + timedelta(days=32)) - timedelta(days=1))


async def results_data(session: AsyncSession, site: Site, month: date, now: datetime | None = None) -> dict[str, Any]:
    """What the month's results say, as plain data (kept as JSON, so the page never changes after it is built)."""
    period = month_period(month)
    t = await trends.trends(session, [site], period, now=now)
    cells, period_total, baseline_total = await trends.hotspot_cells(
        session, [site.id], period, period.before(timedelta(days=30 * BASELINE_MONTHS))
    )
    hotspots = find_hotspots(cells, period_total, baseline_total)
    closed = (
        await session.scalars(
            select(CorrectiveAction)
            .where(
                CorrectiveAction.site_id == site.id,
                CorrectiveAction.closed_at >= period.start,
                CorrectiveAction.closed_at < period.end,
            )
            .order_by(CorrectiveAction.closed_at)
        )
    ).all()
    return {
        "reports": t.total,
        "first_response": list(t.first_response),
        "recovery": list(t.recovery),
        "gestures": [list(g) for g in t.gestures],
        "cas_closed": [{"title": c.title, "changed": c.closure_summary} for c in closed],
        "hotspots": [
            {
                "label": trends.cell_label([site], h.cell.dimension, h.cell.value),
                "observed": h.cell.observed,
                "expected": round(h.expected, 1),
                "p_value": h.p_value,
            }
            for h in hotspots
        ],
        "repeat_customers": [list(level) for level in t.levels],
        "categories": {name: sum(counts) for name, counts in t.categories.items()},
        "satisfaction": await satisfaction.satisfaction(session, [site], period),
    }


async def _staff_of(session: AsyncSession, site: Site) -> Sequence[Staff]:
    query = (
        select(Staff)
        .join(StaffSite, StaffSite.staff_id == Staff.id)
        .where(StaffSite.site_id == site.id, Staff.is_active)
    )
    return (await session.scalars(query)).all()


async def build_due(sessionmaker: async_sessionmaker[AsyncSession], *, mail: Mail, now: datetime | None = None) -> int:
    """Build last month's results for every site that has none yet; returns how many were built.

    The unique (site, month) row is the lock: a second worker's insert does nothing (on PostgreSQL
    it waits for the first worker's commit), and only the worker whose row went in mails the staff.
    """
    now = now or utcnow()
    month = previous_month(now.date())
    built = 0
    async with sessionmaker() as session:
        done = set((await session.scalars(select(MonthlyResult.site_id).where(MonthlyResult.month == month))).all())
        month_end = month_period(month).end  # sites created since have nothing to report for it
        sites = (await session.scalars(select(Site).where(Site.created_at < month_end).order_by(Site.id))).all()
        for site in [s for s in sites if s.id not in done]:
            data = await results_data(session, site, month, now=now)
            result_id = await session.scalar(
                insert_on_conflict(session, MonthlyResult)
                .values(site_id=site.id, month=month, data=data)
                .on_conflict_do_nothing(index_elements=["site_id", "month"])
                .returning(MonthlyResult.id)
            )
            if result_id is not None:
                result = await session.get_one(MonthlyResult, result_id)
                for person in await _staff_of(session, site):
                    mail.monthly(session, result, person=person)
                built += 1
            await session.commit()
    return built


async def results_for_staff(session: AsyncSession, site_ids: Sequence[int]) -> list[MonthlyResult]:
    """Every built month at these sites, newest first."""
    query = (
        select(MonthlyResult)
        .where(MonthlyResult.site_id.in_(site_ids))
        .order_by(MonthlyResult.month.desc(), MonthlyResult.site_id)
    )
    return list((await session.scalars(query)).all())


async def result_for_staff(session: AsyncSession, site_ids: Sequence[int], result_id: int) -> MonthlyResult | None:
    """One month's results, if it belongs to one of these sites."""
    return await session.scalar(
        select(MonthlyResult).where(MonthlyResult.id == result_id, MonthlyResult.site_id.in_(site_ids))
    )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def share(session: AsyncSession, result: MonthlyResult) -> str:
    """A new read-only link token (replacing any earlier one); only its hash is kept, so it is shown once."""
    token = secrets.token_urlsafe(24)
    result.share_token_hash = _hash(token)
    await session.commit()
    return token


async def revoke(session: AsyncSession, result: MonthlyResult) -> None:
    """The shared link stops working at once."""
    result.share_token_hash = None
    await session.commit()


async def shared(session: AsyncSession, token: str) -> MonthlyResult | None:
    """The results a share link points to, while it is not revoked."""
    return await session.scalar(select(MonthlyResult).where(MonthlyResult.share_token_hash == _hash(token)))
