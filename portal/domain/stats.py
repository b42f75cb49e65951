"""Shares, their uncertainty, and when a difference between groups may be claimed.

Every "by …" table compares each group with the rest (or with a reference group) using the pooled
two-proportion z test, then corrects the p-values for the number of comparisons with Holm's
step-down method, so that a table of ten agents does not find a "difference" by chance. A
difference is claimed only when its Holm-adjusted p-value is below `ALPHA`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ALPHA = 0.05
Z_95 = 1.96


@dataclass(frozen=True)
class Proportion:
    """`successes` out of `n` (e.g. ratings of 4–5 out of all ratings)."""

    successes: int
    n: int

    def __post_init__(self) -> None:
        if self.n < 0 or not 0 <= self.successes <= self.n:
            raise ValueError(f"need 0 ≤ successes ≤ n, got {self.successes}/{self.n}")

    @property
    def share(self) -> float:
        """The observed share; 0.0 when there is nothing to count (check `n` before showing it)."""
        return self.successes / self.n if self.n else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        """The 95 % Wilson score interval of the share."""
        return wilson_interval(self.successes, self.n)

    def __sub__(self, other: Proportion) -> Proportion:
        """What remains of a total once a group is taken out of it."""
        return Proportion(self.successes - other.successes, self.n - other.n)


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of `successes / n`: sound near 0 and 1 and for small `n`, unlike p ± z·se."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def two_proportion_test(s1: int, n1: int, s2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z test; 1.0 when the test is undefined."""
    if n1 == 0 or n2 == 0:
        return 1.0
    pooled = (s1 + s2) / (n1 + n2)
    if pooled in (0.0, 1.0):
        return 1.0
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (s1 / n1 - s2 / n2) / se
    return math.erfc(abs(z) / math.sqrt(2))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values, in the order given."""
    m = len(p_values)
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(sorted(range(m), key=lambda i: p_values[i])):
        # Step-down: each adjusted value is at least the one before it, so the order of the raw
        # p-values is kept and no later hypothesis is rejected when an earlier one was not.
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


@dataclass(frozen=True)
class Comparison:
    """One group against what it is compared with, and whether the difference holds."""

    name: str
    group: Proportion
    other: Proportion
    p_value: float
    adjusted: float
    alpha: float = ALPHA

    @property
    def holds(self) -> bool:
        """True when the difference holds after the correction for the number of comparisons."""
        return self.adjusted < self.alpha

    @property
    def direction(self) -> int:
        """+1 when the group's share is higher than the other's, -1 when lower, 0 when it does not hold."""
        if not self.holds:
            return 0
        return 1 if self.group.share > self.other.share else -1


def compare_groups(
    groups: Mapping[str, Proportion], *, reference: str | None = None, alpha: float = ALPHA
) -> list[Comparison]:
    """Compare each group with the rest of the groups together, or with `reference` when given.

    Holm's correction runs over the comparisons that could be tested (both sides counted something);
    the others keep p = 1. The reference group, if any, is not compared with itself and is left out.
    Two groups each against the rest are one test seen from both sides, so it is counted once.
    """
    total = Proportion(sum(g.successes for g in groups.values()), sum(g.n for g in groups.values()))
    pairs: list[tuple[str, Proportion, Proportion]] = []
    for name, group in groups.items():
        if reference is None:
            pairs.append((name, group, total - group))
        elif name != reference:
            pairs.append((name, group, groups[reference]))
    testable = [i for i, (_, g, o) in enumerate(pairs) if g.n and o.n]
    raw = [two_proportion_test(g.successes, g.n, o.successes, o.n) for _, g, o in pairs]
    adjusted = [1.0] * len(pairs)
    one_test = reference is None and len(pairs) == 2
    family = testable[:1] if one_test else testable
    for i, value in zip(family, holm([raw[i] for i in family]), strict=True):
        adjusted[i] = value
    if one_test and testable:
        adjusted[1] = adjusted[0]
    return [Comparison(name, g, o, raw[i], adjusted[i], alpha) for i, (name, g, o) in enumerate(pairs)]
