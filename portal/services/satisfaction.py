"""Did we make it right? Satisfaction, response rate and "surprised" share, overall and by group.

The reports counted are those whose customer was asked in the period (`rating_asked_at`), with their
answer if they gave one, so the response rate is answers over questions asked. The figures are kept
as plain data, the same on the trends page and in the monthly results (kept as JSON there).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from typing import Any

from sqlalchemy import String, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.repeat import RepeatLevel
from portal.domain.stats import Proportion, compare_groups
from portal.i18n import LANGUAGE_NAMES, N_
from portal.models import GestureGrant, Rating, Report, Site, Staff
from portal.services.trends import DECLINED, OWN_WORDS, Period
from portal.site_texts import category_text

SATISFIED_MIN = 4  # a 4 or a 5 out of 5
MEASURES = ("satisfied", "response", "surprised")
NOBODY = N_("Nobody assigned")
NOT_KNOWN = N_("Not known")
GESTURES = {
    "gesture": N_("Chose a gesture"),
    "declined": DECLINED,
    "wish": OWN_WORDS,
    "none_picked": N_("Offered one, picked none"),
    "none_offered": N_("None offered"),
}
CLOCKS = {False: N_("On time"), True: N_("Late")}
# Each breakdown: its key, its heading (a message id, translated where it is shown).
BREAKDOWNS = {
    "agent": N_("By agent"),
    "category": N_("By category"),
    "gesture": N_("By gesture: chosen, declined, their own words or none"),
    "first_clock": N_("By the first follow-up clock"),
    "recovery_clock": N_("By the recovery clock"),
    "level": N_("By repeat level"),
    "lang": N_("By language"),
}


@dataclass(frozen=True)
class Tally:
    """What one group of asked reports answered."""

    asked: int = 0
    rated: int = 0
    satisfied: int = 0
    surprise_answered: int = 0
    surprised: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))

    def proportions(self) -> dict[str, Proportion]:
        """Satisfied of the answers, answers of the asked, and "yes" of those who answered "Did we surprise you?"."""
        return {
            "satisfied": Proportion(self.satisfied, self.rated),
            "response": Proportion(self.rated, self.asked),
            "surprised": Proportion(self.surprised, self.surprise_answered),
        }


def _measure(p: Proportion, mark: int = 0) -> dict[str, Any]:
    low, high = p.interval
    return {"s": p.successes, "n": p.n, "share": p.share, "low": low, "high": high, "mark": mark}


def breakdown(groups: dict[Any, Tally]) -> list[tuple[Any, dict[str, Any]]]:
    """Each group's measures, with a mark (+1 higher, -1 lower) where it differs from the rest after Holm."""
    marks: dict[Any, dict[str, int]] = defaultdict(dict)
    keys = list(groups)
    for measure in MEASURES:
        # Named by position: a group's key may be None or a bool, and compare_groups names by string.
        named = {str(i): groups[key].proportions()[measure] for i, key in enumerate(keys)}
        for c in compare_groups(named):
            marks[keys[int(c.name)]][measure] = c.direction
    return [
        (key, {m: _measure(p, marks[key][m]) for m, p in tally.proportions().items()}) for key, tally in groups.items()
    ]


def _gesture_choice() -> Any:
    """The customer's own gesture choice on the report, or whether none was offered or none picked."""
    none_offered = or_(
        Report.offered_gesture_ids.is_(None), cast(Report.offered_gesture_ids, String).in_(("[]", "null"))
    )
    return case(
        (GestureGrant.choice.is_not(None), GestureGrant.choice),
        (none_offered, "none_offered"),
        else_="none_picked",
    )


async def satisfaction(session: AsyncSession, sites: Sequence[Site], period: Period) -> dict[str, Any]:
    """The period's answers at these sites, overall and by group; reads only, in the caller's session."""
    keys = {
        "agent": func.coalesce(Rating.agent_id, Report.assignee_id),
        "category": Report.category,
        "gesture": _gesture_choice(),
        # As the clocks went before the answer: a poor one reopens the report and restarts them.
        "first_clock": func.coalesce(Rating.first_response_breached, Report.first_response_breached),
        "recovery_clock": func.coalesce(Rating.recovery_breached, Report.recovery_breached),
        "level": Report.repeat_level,
        "lang": Report.lang,
    }
    # One scan, grouped by every key at once; the breakdowns are folded from its rows below.
    query = (
        select(
            *keys.values(),
            func.count(),
            func.count(Rating.id),
            func.count().filter(Rating.score >= SATISFIED_MIN),
            func.count(Rating.surprised),
            func.count().filter(Rating.surprised == "yes"),
        )
        .select_from(Report)
        .outerjoin(Rating, Rating.report_id == Report.id)
        .outerjoin(GestureGrant, GestureGrant.customer_choice_for == Report.id)
        .where(
            Report.site_id.in_([s.id for s in sites]),
            Report.rating_asked_at >= period.start,
            Report.rating_asked_at < period.end,
            Report.created_at < period.end,  # implied (asked after it was made); lets the site/created index help
        )
        .group_by(*keys.values())
    )
    groups: dict[str, dict[Any, Tally]] = {dim: defaultdict(Tally) for dim in keys}
    overall = Tally()
    for row in await session.execute(query):
        tally = Tally(*(int(n) for n in row[len(keys) :]))
        overall += tally
        for dim, value in zip(keys, row[: len(keys)], strict=True):
            groups[dim][_normal(dim, value)] += tally
    names = await _agent_names(session, (k for k in groups["agent"] if k is not None))
    return {
        "asked": overall.asked,
        "overall": {m: _measure(p) for m, p in overall.proportions().items()},
        "by": [
            {
                "dimension": dim,
                "title": title,
                "rows": [_labelled(dim, key, row, sites, names) for key, row in _rows(dim, groups)],
            }
            for dim, title in BREAKDOWNS.items()
            if groups[dim]
        ],
    }


def _normal(dim: str, value: Any) -> Any:
    """One key per group whatever the database returned (SQLite gives 0/1 for a boolean)."""
    if dim in ("first_clock", "recovery_clock"):
        return bool(value)
    if dim == "level":
        return min(int(value), RepeatLevel.CHURN_RISK)
    return value


def _rows(dim: str, groups: dict[str, dict[Any, Tally]]) -> list[tuple[Any, dict[str, Any]]]:
    """A breakdown's rows: fixed groups in their natural order, open-ended ones by how many answered."""
    found = groups[dim]
    order: Iterable[Any]
    if dim == "gesture":
        order = [g for g in GESTURES if g in found]
    elif dim in ("first_clock", "recovery_clock", "level"):
        order = sorted(found)
    else:
        order = sorted(found, key=lambda k: (-found[k].rated, -found[k].asked, str(k)))
    return breakdown({key: found[key] for key in order})


def _labelled(dim: str, key: Any, row: dict[str, Any], sites: Sequence[Site], names: dict[int, str]) -> dict[str, Any]:
    """The row with its label, and whether that label is a message id (translated where it is shown)."""
    label: str | None
    if dim == "agent":
        label = names.get(key) if key is not None else None
    elif dim == "category":
        label = next((category_text(s, key) for s in sites if any(c["slug"] == key for c in s.categories)), key)
    elif dim == "gesture":
        label = GESTURES[key]
    elif dim in ("first_clock", "recovery_clock"):
        label = CLOCKS[key]
    elif dim == "level":
        label = RepeatLevel(key).label
    else:
        label = LANGUAGE_NAMES.get(key, key) if key else None
    translate = label is None or dim in ("gesture", "first_clock", "recovery_clock", "level")
    if label is None:
        label = NOBODY if dim == "agent" else NOT_KNOWN
    return row | {"label": label, "translate": translate}


async def _agent_names(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    wanted = list(ids)
    if not wanted:
        return {}
    return dict((await session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(wanted)))).all())
