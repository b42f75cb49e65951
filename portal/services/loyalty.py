"""Loyalty after recovery and the churn check, computed per site by the worker into insight rollups.

The database does the heavy part: one row per matched customer (their highest-level failure of the
last year), windowed EXISTS probes on customer_event's (site, customer, at) index, summed per cell;
Python sees a few hundred cells, never the events. The staff page reads only the rollups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Interval, String, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.db import insert_on_conflict
from portal.domain import loyalty
from portal.domain.repeat import RepeatLevel
from portal.models import CustomerEvent, GestureGrant, InsightRollup, Rating, Report, Site, utcnow

ACTIVITY = ("order", "visit", "renewal")
CANCELLATION = ("cancellation",)
LOOKBACK = timedelta(days=365)  # failures counted: the last year's
REFRESH = timedelta(minutes=10)  # a site's figures are recomputed at most this often
NAMES = ("loyalty", "churn")
FAR = timedelta(days=36500)  # "any time after"


def shifted(dialect: str, column: Any, delta: timedelta) -> Any:
    """`column + delta` per row: an interval on PostgreSQL; on SQLite, text in the format datetimes are stored in."""
    if dialect == "postgresql":
        return column + literal(delta, Interval())
    stamp = func.strftime("%Y-%m-%d %H:%M:%f", column, f"{delta.total_seconds():+.0f} seconds", type_=String)
    return stamp + "000"  # microseconds, as SQLAlchemy stores them, so that text compares as time


def _did(site_id: int, key: Any, types: Sequence[str], since: Any, until: Any) -> ColumnElement[bool]:
    """Whether the customer did one of `types` in [since, until)."""
    return (
        select(literal(1))
        .where(
            CustomerEvent.site_id == site_id,
            CustomerEvent.customer_key == key,
            CustomerEvent.type.in_(types),
            CustomerEvent.at >= since,
            CustomerEvent.at < until,
        )
        .exists()
    )


def _flag(condition: ColumnElement[bool]) -> Any:
    return case((condition, 1), else_=0)


async def _cells(session: AsyncSession, site: Site, now: datetime) -> list[loyalty.Cell]:
    """The matched customers summed per cell, for every window and the churn check."""
    dialect = session.get_bind().dialect.name
    ranked = (
        select(
            Report.id,
            Report.customer_key,
            Report.created_at,
            Report.recovered_at,
            Report.repeat_level,
            func.row_number()
            .over(
                partition_by=Report.customer_key,
                order_by=(Report.repeat_level.desc(), Report.created_at.desc(), Report.id.desc()),
            )
            .label("rank"),
        )
        .where(
            Report.site_id == site.id,
            Report.customer_key.like("id:%"),
            Report.created_at >= now - LOOKBACK,
            Report.created_at <= now,
        )
        .subquery()
    )
    key = ranked.c.customer_key
    start = func.coalesce(ranked.c.recovered_at, ranked.c.created_at)
    recovery = case(
        (ranked.c.recovered_at.is_(None), "never"),
        (ranked.c.recovered_at <= shifted(dialect, ranked.c.created_at, loyalty.RECOVERED_WITHIN), "within"),
        else_="later",
    )
    columns: list[Any] = [
        recovery.label("recovery"),
        Rating.score.label("score"),
        GestureGrant.choice.label("choice"),
        ranked.c.repeat_level.label("level"),
    ]
    for days in loyalty.WINDOWS:
        w = timedelta(days=days)
        ended = start <= now - w
        after = (start, shifted(dialect, start, w))
        before = (shifted(dialect, ranked.c.created_at, -w), ranked.c.created_at)
        columns += [
            _flag(ended).label(f"n{days}"),
            _flag(and_(ended, _did(site.id, key, ACTIVITY, *after))).label(f"r{days}"),
            _flag(and_(ended, _did(site.id, key, CANCELLATION, *after))).label(f"c{days}"),
            _flag(and_(ended, _did(site.id, key, ACTIVITY, *before))).label(f"ab{days}"),
            _flag(and_(ended, _did(site.id, key, CANCELLATION, *before))).label(f"cb{days}"),
        ]
    silent = timedelta(days=site.silent_after_days)
    judged = start <= now - silent
    columns += [
        _flag(judged).label("jn"),
        _flag(and_(judged, _did(site.id, key, CANCELLATION, start, now + FAR))).label("jc"),
        _flag(and_(judged, ~_did(site.id, key, ACTIVITY, now - silent, now + FAR))).label("js"),
    ]
    matched = select(literal(1)).where(CustomerEvent.site_id == site.id, CustomerEvent.customer_key == key).exists()
    # Materialized: each flag is summed several times below, and must be probed once per customer.
    per_customer = (
        select(*columns)
        .select_from(ranked)
        .outerjoin(Rating, Rating.report_id == ranked.c.id)
        .outerjoin(GestureGrant, GestureGrant.customer_choice_for == ranked.c.id)
        .where(ranked.c.rank == 1, matched)
        .cte("per_customer")
        .prefix_with("MATERIALIZED")
    )
    c = per_customer.c
    keys = (c.recovery, c.score, c.choice, c.level)
    sums: list[Any] = []
    for days in loyalty.WINDOWS:
        n, r, cn, ab, cb = (c[f"{x}{days}"] for x in ("n", "r", "c", "ab", "cb"))
        sums += [func.sum(n), func.sum(r), func.sum(cn), func.sum(ab), func.sum(cb)]
        sums += [func.sum(r * ab), func.sum(cn * cb), func.sum(cn * ab)]
    sums += [func.sum(c.jn), func.sum(c.jc), func.sum(c.js), func.sum(case(((c.jc + c.js) > 0, 1), else_=0))]
    cells = []
    for row in await session.execute(select(*keys, *sums).group_by(*keys)):
        recovery_group, score, choice, level, *counts = row
        values = [int(v or 0) for v in counts]
        per_window = len(fields(loyalty.Tally))
        windows = {
            days: loyalty.Tally(*values[i * per_window : (i + 1) * per_window])
            for i, days in enumerate(loyalty.WINDOWS)
        }
        cells.append(
            loyalty.Cell(
                recovery=recovery_group,
                rating=loyalty.rating_group(score, site.poor_rating_max),
                gesture=loyalty.gesture_group(choice),
                level=str(min(int(level), max(RepeatLevel))),
                windows=windows,
                churn=loyalty.Churn(*values[len(loyalty.WINDOWS) * per_window :]),
            )
        )
    return cells


def month_starts(now: datetime) -> list[datetime]:
    """The first day of each month of the last year: the baseline's calendar windows start there."""
    earliest = now - LOOKBACK
    month = datetime(earliest.year, earliest.month, 1, tzinfo=UTC)
    starts = []
    while month <= now:
        if month >= earliest:
            starts.append(month)
        month = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=UTC)
    return starts


async def _baseline(session: AsyncSession, site: Site, now: datetime, days: int) -> loyalty.Baseline:
    """Customers who reported nothing in the last year, counted each month: active in the `days` before
    its first day, and what they did in the `days` after (a customer counts once per month)."""
    w = timedelta(days=days)
    total = loyalty.Baseline()
    for first in month_starts(now):
        if first + w > now:
            break
        active = (
            select(CustomerEvent.customer_key)
            .where(
                CustomerEvent.site_id == site.id,
                CustomerEvent.type.in_(ACTIVITY),
                CustomerEvent.at >= first - w,
                CustomerEvent.at < first,
            )
            .group_by(CustomerEvent.customer_key)
            .subquery()
        )
        key = active.c.customer_key
        # Who reported is asked once per customer, after the grouping, not once per event.
        reported = (
            select(literal(1))
            .where(Report.site_id == site.id, Report.customer_key == key, Report.created_at >= now - LOOKBACK)
            .exists()
        )
        row = (
            await session.execute(
                select(
                    func.count(),
                    func.sum(_flag(_did(site.id, key, ACTIVITY, first, first + w))),
                    func.sum(_flag(_did(site.id, key, CANCELLATION, first, first + w))),
                )
                .select_from(active)
                .where(~reported)
            )
        ).one()
        total = loyalty.Baseline(
            total.n + row[0], total.returned + int(row[1] or 0), total.cancelled + int(row[2] or 0)
        )
    return total


async def _matching(session: AsyncSession, site: Site, now: datetime) -> dict[str, int]:
    """How many of the last year's reporting customers the host identified, and how many it sent activity for."""
    since = and_(Report.site_id == site.id, Report.created_at >= now - LOOKBACK, Report.created_at <= now)
    identified = Report.customer_key.like("id:%")
    customers, with_id = (
        await session.execute(
            select(
                func.count(func.distinct(Report.customer_key)),
                func.count(func.distinct(case((identified, Report.customer_key)))),
            ).where(since)
        )
    ).one()
    has_events = select(literal(1)).where(
        CustomerEvent.site_id == site.id, CustomerEvent.customer_key == Report.customer_key
    )
    matched = await session.scalar(
        select(func.count(func.distinct(Report.customer_key))).where(since, identified, has_events.exists())
    )
    events = await session.scalar(
        select(func.count()).where(CustomerEvent.site_id == site.id).select_from(CustomerEvent)
    )
    return {"customers": customers, "identified": with_id, "matched": matched or 0, "events": events or 0}


async def compute(session: AsyncSession, site: Site, now: datetime) -> dict[str, dict[str, Any]]:
    """A site's loyalty and churn figures, by rollup name (reads only; runs in the caller's transaction)."""
    cells = await _cells(session, site, now)
    baselines = {days: await _baseline(session, site, now, days) for days in loyalty.WINDOWS}
    common = {"matching": await _matching(session, site, now), "lookback_days": LOOKBACK.days}
    return {
        "loyalty": {**common, "windows": loyalty.loyalty(cells, baselines)},
        "churn": {**common, "silent_after_days": site.silent_after_days, "levels": loyalty.churn(cells)},
    }


async def recompute(session: AsyncSession, site: Site, now: datetime | None = None) -> None:
    """Compute a site's figures now and store them (one use case: commits)."""
    now = now or utcnow()
    for name, data in (await compute(session, site, now)).items():
        statement = insert_on_conflict(session, InsightRollup).values(
            site_id=site.id, name=name, data=data, computed_at=now
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["site_id", "name"], set_={"data": statement.excluded.data, "computed_at": now}
            )
        )
    await session.commit()


async def refresh_due(sessionmaker: async_sessionmaker[AsyncSession], now: datetime | None = None) -> int:
    """The worker's job: recompute the site whose figures are missing or the stalest past REFRESH; returns 1 if
    one was. One site a pass, so that a large site holds up the clocks and the mail for one site's time.
    Two workers may recompute the same site at once: the later write wins."""
    now = now or utcnow()
    async with sessionmaker() as session:
        computed = (
            select(InsightRollup.computed_at)
            .where(InsightRollup.site_id == Site.id, InsightRollup.name == NAMES[0])
            .scalar_subquery()
        )
        site = await session.scalar(
            select(Site)
            .where(or_(computed.is_(None), computed <= now - REFRESH))
            .order_by(computed.is_not(None), computed, Site.id)
            .limit(1)
        )
        if site is None:
            return 0
        await recompute(session, site, now)
        return 1


async def rollups(session: AsyncSession, site_id: int) -> dict[str, InsightRollup]:
    """A site's stored loyalty and churn figures, by name (missing until the worker has computed them)."""
    rows = await session.scalars(
        select(InsightRollup).where(InsightRollup.site_id == site_id, InsightRollup.name.in_(NAMES))
    )
    return {row.name: row for row in rows}
