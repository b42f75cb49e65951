"""Loyalty after recovery: do customers who reported come back, and does "4 = churn risk" hold?

Each reporting customer the host can match to its activity (customer key "id:…") is counted once,
at the failure that put them on their highest repeat level (the latest such). For a window of 30
or 90 days, "returned" is an order, visit or renewal in the window after the recovery (after the
failure when never recovered) and "cancelled" a cancellation there; "before" asks the same of the
window before the failure. A customer counts for a window only once it has ended.

The database sums these per cell (recovery × rating × gesture × repeat level); this module turns
the cells into the tables staff read: shares with Wilson intervals, and differences claimed only
when they hold after Holm's correction (`portal.domain.stats`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import Any

from scipy.stats import binomtest

from portal.domain.repeat import RepeatLevel
from portal.domain.stats import Comparison, Proportion, compare_groups, holm, two_proportion_test
from portal.i18n import N_

WINDOWS = (30, 90)
RECOVERED_WITHIN = timedelta(hours=24)  # the service-recovery literature's deadline, whatever the site's own clock
GOOD_SCORE = 4  # "Did we make it right?" 4–5

# Each split, its groups in the order shown, and the group the others are compared with.
SPLITS: dict[str, tuple[tuple[str, ...], str]] = {
    "recovery": (("within", "later", "never"), "within"),
    "rating": (("good", "neutral", "poor", "unrated"), "good"),
    "gesture": (("none", "chosen", "declined", "wish"), "none"),
    "level": (tuple(str(level.value) for level in RepeatLevel), str(RepeatLevel.FIRST.value)),
}
GROUP_LABELS = {
    "within": N_("Recovered within 24 hours"),
    "later": N_("Recovered later"),
    "never": N_("Not recovered"),
    "good": N_("Rated 4–5"),
    "neutral": N_("Rated in between"),
    "poor": N_("Rated poor"),
    "unrated": N_("Did not rate"),
    "none": N_("No gesture offered or picked"),
    "chosen": N_("Chose a gesture"),
    "declined": N_("Said no thanks"),
    "wish": N_("Asked in their own words"),
}


def rating_group(score: int | None, poor_max: int) -> str:
    """How a customer answered "Did we make it right?": good (4–5), poor (up to the site's limit), in between, or not."""
    if score is None:
        return "unrated"
    if score >= GOOD_SCORE:
        return "good"
    return "poor" if score <= poor_max else "neutral"


def gesture_group(choice: str | None) -> str:
    """The customer's own choice of gesture: chosen, declined, their own words (wish), or none."""
    return {"gesture": "chosen", "declined": "declined", "wish": "wish"}.get(choice or "", "none")


@dataclass(frozen=True)
class Tally:
    """Sums over the customers of a cell whose window has ended: each field counts customers."""

    n: int = 0
    returned: int = 0  # active in the window after recovery
    cancelled: int = 0  # a cancellation in the window after
    active_before: int = 0  # active in the window before the failure
    cancelled_before: int = 0
    returned_and_active_before: int = 0
    cancelled_and_cancelled_before: int = 0
    cancelled_and_active_before: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


@dataclass(frozen=True)
class Churn:
    """Sums over the customers of a cell whose silence could be judged (the failure is `silent_after_days` old)."""

    n: int = 0
    cancelled: int = 0  # a cancellation any time after
    silent: int = 0  # no activity in the last `silent_after_days`
    lost: int = 0  # either

    def __add__(self, other: Churn) -> Churn:
        return Churn(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


@dataclass(frozen=True)
class Cell:
    """The customers sharing one recovery group, rating group, gesture group and repeat level."""

    recovery: str
    rating: str
    gesture: str
    level: str
    windows: Mapping[int, Tally]
    churn: Churn = field(default_factory=Churn)

    def group(self, split: str) -> str:
        """This cell's group in a split."""
        value: str = getattr(self, split)
        return value


@dataclass(frozen=True)
class Baseline:
    """Customers who did not report, each calendar month: active in the window before its first day, and after."""

    n: int = 0
    returned: int = 0
    cancelled: int = 0


def paired_test(only_first: int, only_second: int) -> float:
    """Exact McNemar test: the same customers before and after, so only those who changed count."""
    changed = only_first + only_second
    return 1.0 if changed == 0 else float(binomtest(only_first, changed, 0.5).pvalue)


def share(p: Proportion) -> dict[str, Any]:
    """A share as the page shows it: the counts beside it and its 95 % Wilson interval."""
    lo, hi = p.interval
    return {"s": p.successes, "n": p.n, "share": p.share, "lo": lo, "hi": hi}


def _verdict(c: Comparison | None) -> dict[str, Any] | None:
    return None if c is None else {"p": c.adjusted, "holds": c.holds, "direction": c.direction}


def _overview(total: Tally, baseline: Baseline) -> dict[str, Any]:
    """Before against after for the same customers, and against customers who did not report."""
    before = {
        "returned": Proportion(total.active_before, total.n),
        "cancelled": Proportion(total.cancelled_before, total.n),
    }
    after = {"returned": Proportion(total.returned, total.n), "cancelled": Proportion(total.cancelled, total.n)}
    reporters = {
        "returned": Proportion(total.returned_and_active_before, total.active_before),
        "cancelled": Proportion(total.cancelled_and_active_before, total.active_before),
    }
    others = {
        "returned": Proportion(baseline.returned, baseline.n),
        "cancelled": Proportion(baseline.cancelled, baseline.n),
    }
    # The same customers before and after: paired (McNemar), from those who were one and not the other.
    # Reporters against customers who did not report: the pooled two-proportion test. Holm over all four.
    both = {"returned": total.returned_and_active_before, "cancelled": total.cancelled_and_cancelled_before}
    tests = [
        (f"before_{m}", after[m], before[m], paired_test(before[m].successes - both[m], after[m].successes - both[m]))
        for m in ("returned", "cancelled")
    ]
    tests += [
        (f"others_{m}", reporters[m], others[m], two_proportion_test(*_counts(reporters[m]), *_counts(others[m])))
        for m in ("returned", "cancelled")
    ]
    adjusted = holm([p for *_rest, p in tests])
    return {
        "before": {m: share(p) for m, p in before.items()},
        "after": {m: share(p) for m, p in after.items()},
        "reporters_active_before": {m: share(p) for m, p in reporters.items()},
        "others": {m: share(p) for m, p in others.items()},
        "tests": {
            name: _verdict(Comparison(name, group, other, p, adj))
            for (name, group, other, p), adj in zip(tests, adjusted, strict=True)
        },
    }


def _counts(p: Proportion) -> tuple[int, int]:
    return p.successes, p.n


def _split_rows(groups: Mapping[str, Tally], reference: str) -> list[dict[str, Any]]:
    """One split's rows: every group's shares, and how each compares with the reference group."""
    tests = {}
    for measure in ("returned", "cancelled"):
        props = {name: Proportion(getattr(t, measure), t.n) for name, t in groups.items()}
        tests[measure] = {c.name: c for c in compare_groups(props, reference=reference)}
    return [
        {
            "group": name,
            "n": t.n,
            "returned": share(Proportion(t.returned, t.n)),
            "cancelled": share(Proportion(t.cancelled, t.n)),
            "returned_test": _verdict(tests["returned"].get(name)),
            "cancelled_test": _verdict(tests["cancelled"].get(name)),
        }
        for name, t in groups.items()
    ]


def _sum_by(cells: Iterable[Cell], split: str, window: int) -> dict[str, Tally]:
    order, _reference = SPLITS[split]
    sums = dict.fromkeys(order, Tally())
    for cell in cells:
        sums[cell.group(split)] += cell.windows.get(window, Tally())
    return sums


def loyalty(cells: Sequence[Cell], baselines: Mapping[int, Baseline]) -> dict[str, Any]:
    """The loyalty figures per window (as JSON-ready data): the overview and every split."""
    result: dict[str, Any] = {}
    for window in WINDOWS:
        total = sum((c.windows.get(window, Tally()) for c in cells), Tally())
        result[str(window)] = {
            "customers": total.n,
            "overview": _overview(total, baselines.get(window, Baseline())),
            "splits": {
                split: _split_rows(_sum_by(cells, split, window), reference)
                for split, (_o, reference) in SPLITS.items()
            },
        }
    return result


def churn(cells: Sequence[Cell]) -> list[dict[str, Any]]:
    """Per highest repeat level: the customers lost afterwards (cancelled or gone silent), compared with level 1."""
    order, reference = SPLITS["level"]
    sums = dict.fromkeys(order, Churn())
    for cell in cells:
        sums[cell.level] += cell.churn
    tests = {
        c.name: c
        for c in compare_groups({level: Proportion(s.lost, s.n) for level, s in sums.items()}, reference=reference)
    }
    return [
        {
            "level": level,
            "n": s.n,
            "lost": share(Proportion(s.lost, s.n)),
            "cancelled": s.cancelled,
            "silent": s.silent,
            "test": _verdict(tests.get(level)),
        }
        for level, s in sums.items()
    ]
