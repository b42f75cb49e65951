"""Trends and hotspots: where, when and under what load failures happen, as aggregates the database computes."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.hotspots import (
    BUSY_BANDS,
    RATE_BANDS,
    Cell,
    Hotspot,
    find_hotspots,
    hour_label,
)
from portal.domain.repeat import RepeatLevel
from portal.models import CorrectiveAction, GestureGrant, Report, Site, utcnow

BASELINE = timedelta(weeks=8)
TOP = 10


@dataclass(frozen=True)
class Period:
    """A span of days, [start, end) in UTC."""

    start: datetime
    end: datetime

    @classmethod
    def from_dates(cls, first: date, last: date) -> Period:
        """From the first to the last day, both included."""
        return cls(datetime.combine(first, time(), UTC), datetime.combine(last + timedelta(days=1), time(), UTC))

    @classmethod
    def parse(cls, first: str | None, last: str | None, now: datetime | None = None) -> Period:
        """From the page's `from` and `to` (YYYY-MM-DD); the last 30 days when missing or unreadable."""
        today = (now or utcnow()).date()
        try:
            end = date.fromisoformat(last) if last else today
            start = date.fromisoformat(first) if first else end - timedelta(days=29)
        except ValueError:
            end, start = today, today - timedelta(days=29)
        return cls.from_dates(min(start, end), max(start, end))

    @property
    def first_day(self) -> date:
        return self.start.date()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()

    def before(self, length: timedelta = BASELINE) -> Period:
        """The baseline: the span just before this one."""
        return Period(self.start - length, self.start)


def _in(site_ids: Sequence[int], period: Period) -> ColumnElement[bool]:
    return and_(Report.site_id.in_(site_ids), Report.created_at >= period.start, Report.created_at < period.end)


def _band(column: Any, bands: Sequence[tuple[int, int | None, str]]) -> Any:
    """A CASE giving each row its band's label."""
    return case(*[((column >= low) if high is None else column.between(low, high), label) for low, high, label in bands], else_=None)


def _day(session: AsyncSession, column: Any) -> Any:
    """The UTC calendar day of a timestamp, in the dialect at hand."""
    if session.bind.dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


@dataclass
class Trends:
    """Everything on the trends page, as numbers (the charts and their tables show the same)."""

    total: int = 0
    heatmap: list[list[int]] = field(default_factory=lambda: [[0] * 24 for _ in range(7)])
    weeks: list[date] = field(default_factory=list)
    categories: dict[str, list[int]] = field(default_factory=dict)
    locations: list[tuple[str, int]] = field(default_factory=list)
    pages: list[tuple[str, int]] = field(default_factory=list)
    busy: list[tuple[str, int]] = field(default_factory=list)
    rate: list[tuple[str, int]] = field(default_factory=list)
    levels: list[tuple[str, int, int]] = field(default_factory=list)
    first_response: tuple[int, int] = (0, 0)  # kept, decided
    recovery: tuple[int, int] = (0, 0)
    gestures: list[tuple[str, int]] = field(default_factory=list)
    cas_closed: int = 0
    cycle_days_median: float | None = None
    recurring_cas: int = 0
    recurring_reports: int = 0

    @property
    def heat_max(self) -> int:
        return max((n for row in self.heatmap for n in row), default=0)


async def _pairs(session: AsyncSession, query: Any) -> list[tuple[Any, int]]:
    return [(key, count) for key, count in (await session.execute(query)).tuples().all()]


async def trends(session: AsyncSession, sites: Sequence[Site], period: Period, now: datetime | None = None) -> Trends:
    """The trends of these sites' reports over the period."""
    now = now or utcnow()
    ids = [s.id for s in sites]
    where = _in(ids, period)
    result = Trends()
    result.total = await session.scalar(select(func.count()).where(where)) or 0
    for weekday, hour, count in (await session.execute(
        select(Report.local_weekday, Report.local_hour, func.count()).where(where, Report.local_weekday.is_not(None))
        .group_by(Report.local_weekday, Report.local_hour)
    )).tuples():
        result.heatmap[weekday][hour] = count

    # Categories per week (by the Monday), from per-day counts the database groups.
    monday = period.first_day - timedelta(days=period.first_day.weekday())
    result.weeks = [monday + timedelta(weeks=i) for i in range((period.last_day - monday).days // 7 + 1)]
    labels = {c["slug"]: c["label"] for s in sites for c in s.categories}
    day = _day(session, Report.created_at)
    series: dict[str, list[int]] = defaultdict(lambda: [0] * len(result.weeks))
    for category, on, count in (await session.execute(select(Report.category, day, func.count()).where(where).group_by(Report.category, day))).tuples():
        on = on if isinstance(on, date) else date.fromisoformat(str(on))
        series[labels.get(category, category)][(on - monday).days // 7] += count
    result.categories = dict(sorted(series.items(), key=lambda kv: -sum(kv[1])))

    result.locations = await _pairs(session, select(Report.location, func.count()).where(where, Report.location.is_not(None))
                                    .group_by(Report.location).order_by(func.count().desc()).limit(TOP))
    result.pages = await _pairs(session, select(Report.page_path, func.count()).where(where, Report.page_path.is_not(None))
                                .group_by(Report.page_path).order_by(func.count().desc()).limit(TOP))
    busy, rate = _band(Report.busy, BUSY_BANDS), _band(Report.site_reports_last_hour, RATE_BANDS)
    busy_counts = dict(await _pairs(session, select(busy, func.count()).where(where, Report.busy.is_not(None)).group_by(busy)))
    rate_counts = dict(await _pairs(session, select(rate, func.count()).where(where).group_by(rate)))
    result.busy = [(label, busy_counts.get(label, 0)) for _, _, label in BUSY_BANDS]
    result.rate = [(label, rate_counts.get(label, 0)) for _, _, label in RATE_BANDS]

    levels = {lvl: (n, customers) for lvl, n, customers in (await session.execute(
        select(Report.repeat_level, func.count(), func.count(func.distinct(Report.customer_key))).where(where).group_by(Report.repeat_level)
    )).tuples()}
    result.levels = [(lvl.label, *levels.get(lvl.value, (0, 0))) for lvl in RepeatLevel]

    first_done = func.coalesce(Report.first_response_at, Report.recovered_at)
    clocked = and_(where, Report.first_response_due_at.is_not(None))
    row = (await session.execute(select(
        func.count().filter(first_done <= Report.first_response_due_at),
        func.count().filter(or_(first_done.is_not(None), Report.first_response_due_at < now)),
        func.count().filter(Report.recovered_at <= Report.recovery_due_at),
        func.count().filter(or_(Report.recovered_at.is_not(None), Report.recovery_due_at < now)),
    ).where(clocked))).one()
    result.first_response, result.recovery = (row[0], row[1]), (row[2], row[3])

    choice = case((GestureGrant.choice == "gesture", GestureGrant.gesture_name), (GestureGrant.choice == "declined", "No thanks, just fix it"),
                  else_="Their own words")
    result.gestures = await _pairs(session, select(choice, func.count()).where(
        GestureGrant.site_id.in_(ids), GestureGrant.created_at >= period.start, GestureGrant.created_at < period.end,
        GestureGrant.granted_by_id.is_(None)).group_by(choice).order_by(func.count().desc()))

    closed = (await session.execute(select(CorrectiveAction.created_at, CorrectiveAction.closed_at).where(
        CorrectiveAction.site_id.in_(ids), CorrectiveAction.closed_at >= period.start, CorrectiveAction.closed_at < period.end))).all()
    result.cas_closed = len(closed)
    result.cycle_days_median = statistics.median((c - o).total_seconds() / 86400 for o, c in closed) if closed else None
    after = (await session.execute(select(func.count(func.distinct(CorrectiveAction.id)), func.count()).join(Report, Report.ca_id == CorrectiveAction.id)
                                   .where(CorrectiveAction.site_id.in_(ids), CorrectiveAction.state == "closed",
                                          Report.created_at > CorrectiveAction.closed_at))).one()
    result.recurring_cas, result.recurring_reports = after[0], after[1]
    return result


async def hotspot_cells(session: AsyncSession, site_ids: Sequence[int], period: Period, baseline: Period) -> tuple[list[Cell], int, int]:
    """Counts per cell in the period and its baseline, for every dimension, with both totals."""
    span = _in(site_ids, Period(baseline.start, period.end))
    now_in, before = Report.created_at >= period.start, Report.created_at < period.start
    counts = (func.count().filter(now_in), func.count().filter(before))
    totals = (await session.execute(select(*counts).where(span))).one()
    cells: list[Cell] = []
    for weekday, hour, k, b in (await session.execute(select(Report.local_weekday, Report.local_hour, *counts)
                                                      .where(span, Report.local_weekday.is_not(None)).group_by(Report.local_weekday, Report.local_hour))).tuples():
        cells.append(Cell("when", f"{weekday}-{hour}", hour_label(weekday, hour), k, b))
    for dimension, column in (("location", Report.location), ("category", Report.category),
                              ("busy", _band(Report.busy, BUSY_BANDS)), ("rate", _band(Report.site_reports_last_hour, RATE_BANDS))):
        for value, k, b in (await session.execute(select(column, *counts).where(span).group_by(column))).tuples():
            if value is not None:
                cells.append(Cell(dimension, str(value), str(value), k, b))
    return cells, totals[0], totals[1]


async def hotspots(session: AsyncSession, sites: Sequence[Site], period: Period) -> list[Hotspot]:
    """Cells where the period's reports concentrate beyond chance, against the 8 weeks before it."""
    cells, period_total, baseline_total = await hotspot_cells(session, [s.id for s in sites], period, period.before())
    found = find_hotspots(cells, period_total, baseline_total)
    return [Hotspot(Cell(h.cell.dimension, h.cell.value, cell_label(sites, h.cell.dimension, h.cell.value), h.cell.observed, h.cell.baseline),
                    h.expected, h.p_value) for h in found]


def cell_label(sites: Sequence[Site], dimension: str, value: str) -> str:
    """How people read a cell: `Wednesdays 15:00–16:00`, a category's label, a location or a band."""
    if dimension == "when":
        weekday, _, hour = value.partition("-")
        return hour_label(int(weekday), int(hour)) if weekday.isdigit() and hour.isdigit() and int(weekday) < 7 else value
    if dimension == "category":
        return next((c["label"] for s in sites for c in s.categories if c["slug"] == value), value)
    return value


def cell_filter(dimension: str, value: str) -> ColumnElement[bool]:
    """The reports in one hotspot cell."""
    if dimension == "when":
        weekday, _, hour = value.partition("-")
        if not (weekday.isdigit() and hour.isdigit()):
            raise ValueError("Unknown cell.")
        return and_(Report.local_weekday == int(weekday), Report.local_hour == int(hour))
    columns = {"location": Report.location, "category": Report.category,
               "busy": _band(Report.busy, BUSY_BANDS), "rate": _band(Report.site_reports_last_hour, RATE_BANDS)}
    if dimension not in columns:
        raise ValueError("Unknown dimension.")
    return columns[dimension] == value


async def cell_reports(session: AsyncSession, sites: Sequence[Site], period: Period, dimension: str, value: str, limit: int = 200) -> list[Report]:
    """The period's reports in one hotspot cell, newest first."""
    query = select(Report).where(_in([s.id for s in sites], period), cell_filter(dimension, value)).order_by(Report.created_at.desc()).limit(limit)
    return list((await session.scalars(query)).all())

