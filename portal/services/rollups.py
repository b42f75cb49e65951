"""Daily rollups of reports per dimension, so trends over a year read thousands of rows, not millions.

The worker rolls up whole UTC days once they are older than LAG; by then every clock on those
reports has been decided (the longest recovery target is 14 days), so nothing rolled up changes
afterwards. Trends add the live reports since the rollups end. Two workers never count a day
twice: moving `rolled_until` is a conditional UPDATE, made before the counts in their transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import String, and_, case, cast, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.db import insert_on_conflict
from portal.domain.hotspots import BUSY_BANDS, RATE_BANDS
from portal.models import Report, ReportRollup, RollupState, utcnow

LAG = timedelta(days=15)
DAYS_PER_PASS = 31  # a first run on a large history catches up a month per worker pass


def midnight(at: datetime) -> datetime:
    """The UTC midnight starting the day of `at`."""
    return datetime.combine(at.astimezone(UTC).date(), time(), UTC)


def band(column: Any, bands: Any) -> Any:
    """A CASE giving each row its band's label."""
    return case(
        *[((column >= low) if high is None else column.between(low, high), label) for low, high, label in bands],
        else_=None,
    )


def day_of(dialect: str, column: Any) -> Any:
    """The UTC calendar day of a timestamp, in the dialect at hand."""
    if dialect == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def dimensions() -> dict[str, tuple[Any, Any]]:
    """Each rolled-up dimension: the value per report, and the condition for counting it."""
    return {
        "all": (literal(""), None),
        "when": (
            cast(Report.local_weekday, String) + "-" + cast(Report.local_hour, String),
            Report.local_weekday.is_not(None),
        ),
        "cat": (Report.category, None),
        "loc": (Report.location, Report.location.is_not(None)),
        "page": (Report.page_path, Report.page_path.is_not(None)),
        "busy": (band(Report.busy, BUSY_BANDS), Report.busy.is_not(None)),
        "rate": (band(Report.site_reports_last_hour, RATE_BANDS), None),
        "level": (cast(Report.repeat_level, String), None),
    }


def clock_outcomes(now: datetime) -> dict[str, Any]:
    """The clock counts as conditions: kept and decided, for the first follow-up and for recovery."""
    first_done = func.coalesce(Report.first_response_at, Report.recovered_at)
    clocked = Report.first_response_due_at.is_not(None)
    return {
        "first_kept": and_(clocked, first_done <= Report.first_response_due_at),
        "first_decided": and_(clocked, (first_done.is_not(None)) | (Report.first_response_due_at < now)),
        "rec_kept": and_(clocked, Report.recovered_at <= Report.recovery_due_at),
        "rec_decided": and_(clocked, (Report.recovered_at.is_not(None)) | (Report.recovery_due_at < now)),
    }


async def rolled_until(session: AsyncSession) -> datetime | None:
    """Where the rollups end (None: nothing rolled up yet, every report is live)."""
    return await session.scalar(select(RollupState.rolled_until).where(RollupState.id == 1))


async def _add_counts(session: AsyncSession, start: datetime, end: datetime, now: datetime) -> None:
    day = day_of(session.get_bind().dialect.name, Report.created_at)
    span = and_(Report.created_at >= start, Report.created_at < end)
    sources = [(name, value, condition) for name, (value, condition) in dimensions().items()]
    sources += [("clock", literal(name), condition) for name, condition in clock_outcomes(now).items()]
    for name, value, condition in sources:
        where = span if condition is None else and_(span, condition)
        rows = (
            select(Report.site_id, day, literal(name), value, func.count())
            .where(where)
            .group_by(Report.site_id, day, value)
        )
        statement = insert_on_conflict(session, ReportRollup).from_select(["site_id", "day", "dim", "value", "n"], rows)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["site_id", "day", "dim", "value"], set_={"n": ReportRollup.n + statement.excluded.n}
            )
        )


async def roll_up(sessionmaker: async_sessionmaker[AsyncSession], now: datetime | None = None) -> int:
    """Roll up whole days older than LAG not yet counted; returns how many days were added."""
    now = now or utcnow()
    cutoff = midnight(now - LAG)
    async with sessionmaker() as session:
        current = await rolled_until(session)
        if current is None:
            first = await session.scalar(select(func.min(Report.created_at)))
            start = midnight(first) if first else cutoff
            # Another worker may start the rollups at the same moment: the first row stands.
            await session.execute(
                insert_on_conflict(session, RollupState).values(id=1, rolled_until=start).on_conflict_do_nothing()
            )
            await session.commit()
            current = await rolled_until(session)
            assert current is not None
        end = min(cutoff, current + timedelta(days=DAYS_PER_PASS))
        if end <= current:
            return 0
        # Claim the days first: a second worker's UPDATE waits for this commit, then matches no row.
        moved = await session.execute(
            update(RollupState).where(RollupState.id == 1, RollupState.rolled_until == current).values(rolled_until=end)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's Result is a CursorResult; Session.execute() can't say so (sqlalchemy#12913)
            await session.rollback()  # another worker rolled these days up first
            return 0
        await _add_counts(session, current, end, now)
        await session.commit()
        return (end - current).days
