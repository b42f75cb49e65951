"""Trends and hotspots: where, when and under what load failures happen, as aggregates the database computes."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, case, func, select
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
from portal.i18n import N_
from portal.i18n import gettext as _
from portal.models import (
    CorrectiveAction,
    GestureGrant,
    Report,
    ReportRollup,
    Site,
    utcnow,
)
from portal.services import rollups
from portal.site_texts import category_text

BASELINE = timedelta(weeks=8)
EARLIEST_DAY = date(2000, 1, 1)  # the earliest day a period may start (Mend came later)
TOP = 10
# What the gestures chart calls a customer's choice that is not a gesture from the catalog.
DECLINED = N_("No thanks, just fix it")
OWN_WORDS = N_("Their own words")


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
        """From the page's `from` and `to` (YYYY-MM-DD); the last 30 days when missing or unreadable.
        Dates are kept between EARLIEST_DAY and a year from today: 0001-01-01 or 9999-12-31 would
        overflow the date arithmetic, and no report is dated outside that span."""
        today = (now or utcnow()).date()
        try:
            end = date.fromisoformat(last) if last else today
            start = date.fromisoformat(first) if first else end - timedelta(days=29)
        except (ValueError, OverflowError):
            end, start = today, today - timedelta(days=29)
        start, end = (min(max(day, EARLIEST_DAY), today + timedelta(days=366)) for day in (start, end))
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


@dataclass
class Counts:
    """Report counts per (dimension, value), and per (category, day): rolled-up days plus the live reports after them."""

    dims: Counter[tuple[str, str]] = field(default_factory=Counter)
    category_days: Counter[tuple[str, date]] = field(default_factory=Counter)

    def of(self, dim: str) -> dict[str, int]:
        """Counts per value of one dimension."""
        return {value: n for (d, value), n in self.dims.items() if d == dim}


async def counts(session: AsyncSession, site_ids: Sequence[int], period: Period, now: datetime) -> Counts:
    """Counts for the period: from the rollups where the worker has made them, live for the days after."""
    result = Counts()
    until = await rollups.rolled_until(session)
    rolled_end = min(period.end, until) if until else period.start
    if rolled_end > period.start:
        days = and_(
            ReportRollup.site_id.in_(site_ids),
            ReportRollup.day >= period.first_day,
            ReportRollup.day < rolled_end.date(),
        )
        for dim, value, n in await session.execute(
            select(ReportRollup.dim, ReportRollup.value, func.sum(ReportRollup.n))
            .where(days)
            .group_by(ReportRollup.dim, ReportRollup.value)
        ):
            result.dims[(dim, value)] += int(n)
        for value, day, n in await session.execute(
            select(ReportRollup.value, ReportRollup.day, func.sum(ReportRollup.n))
            .where(days, ReportRollup.dim == "cat")
            .group_by(ReportRollup.value, ReportRollup.day)
        ):
            result.category_days[(value, _as_date(day))] += int(n)
    live = Period(max(period.start, rolled_end), period.end)
    if live.start < live.end:
        where = _in(site_ids, live)
        result.dims[("all", "")] += await session.scalar(select(func.count()).where(where)) or 0
        for dim, (value, condition) in rollups.dimensions().items():
            if dim != "all":
                query = (
                    select(value, func.count())
                    .where(where if condition is None else and_(where, condition))
                    .group_by(value)
                )
                for key, n in await session.execute(query):
                    result.dims[(dim, str(key))] += n
        outcomes = rollups.clock_outcomes(now)
        row = (await session.execute(select(*(func.count().filter(c) for c in outcomes.values())).where(where))).one()
        for name, n in zip(outcomes, row, strict=True):
            result.dims[("clock", name)] += n
        day = rollups.day_of(session.get_bind().dialect.name, Report.created_at)
        for category, on, n in await session.execute(
            select(Report.category, day, func.count()).where(where).group_by(Report.category, day)
        ):
            result.category_days[(category, _as_date(on))] += n
    return result


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


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
    levels: list[tuple[str, int]] = field(default_factory=list)
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


def _top(values: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]


async def trends(session: AsyncSession, sites: Sequence[Site], period: Period, now: datetime | None = None) -> Trends:
    """The trends of these sites' reports over the period."""
    now = now or utcnow()
    ids = [s.id for s in sites]
    c = await counts(session, ids, period, now)
    result = Trends(total=c.dims[("all", "")])
    for key, n in c.of("when").items():
        weekday, _sep, hour = key.partition("-")
        result.heatmap[int(weekday)][int(hour)] = n

    monday = period.first_day - timedelta(days=period.first_day.weekday())
    result.weeks = [monday + timedelta(weeks=i) for i in range((period.last_day - monday).days // 7 + 1)]
    labels = {c["slug"]: category_text(s, c["slug"]) for s in sites for c in s.categories}
    series: dict[str, list[int]] = defaultdict(lambda: [0] * len(result.weeks))
    for (category, on), n in c.category_days.items():
        series[labels.get(category, category)][(on - monday).days // 7] += n
    result.categories = dict(sorted(series.items(), key=lambda kv: -sum(kv[1])))
    result.locations, result.pages = _top(c.of("loc")), _top(c.of("page"))
    busy, rate, levels = c.of("busy"), c.of("rate"), c.of("level")
    result.busy = [(_(label), busy.get(label, 0)) for _low, _high, label in BUSY_BANDS]
    result.rate = [(_(label), rate.get(label, 0)) for _low, _high, label in RATE_BANDS]
    result.levels = [(_(lvl.label), levels.get(str(lvl.value), 0)) for lvl in RepeatLevel]
    clock = c.of("clock")
    result.first_response = (clock.get("first_kept", 0), clock.get("first_decided", 0))
    result.recovery = (clock.get("rec_kept", 0), clock.get("rec_decided", 0))

    choice = case(
        (GestureGrant.choice == "gesture", GestureGrant.gesture_name),
        (GestureGrant.choice == "declined", DECLINED),
        else_=OWN_WORDS,
    )
    result.gestures = [
        (_(k) if k in (DECLINED, OWN_WORDS) else k, n)
        for k, n in (
            await session.execute(
                select(choice, func.count())
                .where(
                    GestureGrant.site_id.in_(ids),
                    GestureGrant.created_at >= period.start,
                    GestureGrant.created_at < period.end,
                    GestureGrant.granted_by_id.is_(None),
                )
                .group_by(choice)
                .order_by(func.count().desc())
            )
        )
    ]

    closed = (
        await session.execute(
            select(CorrectiveAction.created_at, CorrectiveAction.closed_at).where(
                CorrectiveAction.site_id.in_(ids),
                CorrectiveAction.closed_at >= period.start,
                CorrectiveAction.closed_at < period.end,
            )
        )
    ).all()
    result.cas_closed = len(closed)
    result.cycle_days_median = (
        # Every CA the WHERE kept has a closed_at; the check tells the type checker.
        statistics.median((c - o).total_seconds() / 86400 for o, c in closed if c is not None) if closed else None
    )
    after = (
        await session.execute(
            select(func.count(func.distinct(CorrectiveAction.id)), func.count())
            .join(Report, Report.ca_id == CorrectiveAction.id)
            .where(
                CorrectiveAction.site_id.in_(ids),
                CorrectiveAction.state == "closed",
                Report.created_at > CorrectiveAction.closed_at,
            )
        )
    ).one()
    result.recurring_cas, result.recurring_reports = after[0], after[1]
    return result


# Hotspot dimensions and the rolled-up dimension each reads.
HOTSPOT_DIMS = {"when": "when", "location": "loc", "category": "cat", "busy": "busy", "rate": "rate"}


async def hotspot_cells(
    session: AsyncSession, site_ids: Sequence[int], period: Period, baseline: Period, now: datetime | None = None
) -> tuple[list[Cell], int, int]:
    """Counts per cell in the period and its baseline, for every dimension, with both totals."""
    now = now or utcnow()
    current, before = await counts(session, site_ids, period, now), await counts(session, site_ids, baseline, now)
    cells = []
    for dimension, dim in HOTSPOT_DIMS.items():
        observed, base = current.of(dim), before.of(dim)
        cells += [
            Cell(dimension, value, value, observed.get(value, 0), base.get(value, 0))
            for value in sorted(set(observed) | set(base))
        ]
    return cells, current.dims[("all", "")], before.dims[("all", "")]


async def hotspots(session: AsyncSession, sites: Sequence[Site], period: Period) -> list[Hotspot]:
    """Cells where the period's reports concentrate beyond chance, against the 8 weeks before it."""
    cells, period_total, baseline_total = await hotspot_cells(session, [s.id for s in sites], period, period.before())
    found = find_hotspots(cells, period_total, baseline_total)
    return [
        Hotspot(
            Cell(
                h.cell.dimension,
                h.cell.value,
                cell_label(sites, h.cell.dimension, h.cell.value),
                h.cell.observed,
                h.cell.baseline,
            ),
            h.expected,
            h.p_value,
        )
        for h in found
    ]


def cell_label(sites: Sequence[Site], dimension: str, value: str) -> str:
    """How people read a cell: `Wednesdays 15:00–16:00`, a category's label, a location or a band."""
    if dimension == "when":
        weekday, _sep, hour = value.partition("-")
        return (
            hour_label(int(weekday), int(hour)) if weekday.isdigit() and hour.isdigit() and int(weekday) < 7 else value
        )
    if dimension == "category":
        return next((category_text(s, value) for s in sites for c in s.categories if c["slug"] == value), value)
    if dimension in ("busy", "rate"):
        return _(value)
    return value


def cell_filter(dimension: str, value: str) -> ColumnElement[bool]:
    """The reports in one hotspot cell."""
    if dimension == "when":
        weekday, _sep, hour = value.partition("-")
        if not (weekday.isdigit() and hour.isdigit()):
            raise ValueError(_("Unknown cell."))
        return and_(Report.local_weekday == int(weekday), Report.local_hour == int(hour))
    columns: dict[str, SQLColumnExpression[Any]] = {
        "location": Report.location,
        "category": Report.category,
        "busy": rollups.band(Report.busy, BUSY_BANDS),
        "rate": rollups.band(Report.site_reports_last_hour, RATE_BANDS),
    }
    if dimension not in columns:
        raise ValueError(_("Unknown dimension."))
    return columns[dimension] == value


async def cell_reports(
    session: AsyncSession, sites: Sequence[Site], period: Period, dimension: str, value: str, limit: int = 200
) -> list[Report]:
    """The period's reports in one hotspot cell, newest first."""
    query = (
        select(Report)
        .where(_in([s.id for s in sites], period), cell_filter(dimension, value))
        .order_by(Report.created_at.desc())
        .limit(limit)
    )
    return list((await session.scalars(query)).all())
