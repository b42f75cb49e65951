"""Hotspots: where failures concentrate beyond chance, compared with the site's own baseline.

The test: for each cell (a weekday × hour, a location, a category, a load band) we have `k`
reports in the period and `b` in the baseline period before it. If the cell's rate had not
changed, each of its `k + b` reports would fall in the period with probability
`p0 = n_period / (n_period + n_baseline)`, the share of all the site's reports that did. So
`k ~ Binomial(k + b, p0)`, and the one-sided p-value is `P(X ≥ k)` (the exact conditional test
for comparing two Poisson rates). A cell is called out when that p-value is below 0.05 divided by
the number of cells tested (Bonferroni), it has at least 5 reports, and at least 1.5 times the
expected number: significant and large enough to act on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import binom

from portal.i18n import N_
from portal.i18n import gettext as _

ALPHA = 0.05
MIN_REPORTS = 5
MIN_RATIO = 1.5
WEEKDAYS = (
    N_("Mondays"),
    N_("Tuesdays"),
    N_("Wednesdays"),
    N_("Thursdays"),
    N_("Fridays"),
    N_("Saturdays"),
    N_("Sundays"),
)
# The host's busy level (0–100) and the site's reports in the hour before, in bands. The English label is
# also the band's value in the rollups and in hotspot links: translate it where it is shown.
BUSY_BANDS = (
    (0, 49, N_("below 50 % busy")),
    (50, 69, N_("50–69 % busy")),
    (70, 89, N_("70–89 % busy")),
    (90, 100, N_("90 % busy or more")),
)
# Intake counts a site's reports in the hour before each report only this far: the count sorts reports
# into the bands below (the top one is 20+), and an unbounded count grew with every report of an incident.
SITE_HOUR_CAP = 100
RATE_BANDS = (
    (0, 4, N_("0–4 reports in the hour before")),
    (5, 19, N_("5–19 reports in the hour before")),
    (20, None, N_("20+ reports in the hour before")),
)


@dataclass(frozen=True)
class Cell:
    """One place failures can concentrate, with its counts in the period and in the baseline."""

    dimension: str  # when, location, category, busy, rate
    value: str
    label: str
    observed: int
    baseline: int


@dataclass(frozen=True)
class Hotspot:
    """A cell whose share of reports rose beyond chance."""

    cell: Cell
    expected: float
    p_value: float

    @property
    def ratio(self) -> float:
        """Observed over expected."""
        return self.cell.observed / self.expected if self.expected else float("inf")


def hour_label(weekday: int, hour: int) -> str:
    """`Wednesdays 15:00–16:00` for a weekday (Monday 0) and hour of the customer's local time."""
    return _(
        "%(weekdays)s %(start)s–%(end)s",
        weekdays=_(WEEKDAYS[weekday]),
        start=f"{hour:02d}:00",
        end=f"{(hour + 1) % 24:02d}:00",
    )


def find_hotspots(
    cells: Sequence[Cell], period_total: int, baseline_total: int, *, alpha: float = ALPHA
) -> list[Hotspot]:
    """The cells significantly above the baseline, strongest evidence first. Nothing without a baseline to compare with."""
    if period_total == 0 or baseline_total == 0:
        return []
    tested = [c for c in cells if c.observed + c.baseline > 0]
    p0 = period_total / (period_total + baseline_total)
    threshold = alpha / max(len(tested), 1)
    found = []
    for cell in tested:
        n = cell.observed + cell.baseline
        expected = n * p0
        if cell.observed < MIN_REPORTS or cell.observed < MIN_RATIO * expected:
            continue
        p_value = float(binom.sf(cell.observed - 1, n, p0))
        if p_value < threshold:
            found.append(Hotspot(cell, expected, p_value))
    return sorted(found, key=lambda h: (h.p_value, -h.ratio))


def band_of(value: int | None, bands: Sequence[tuple[int, int | None, str]]) -> str | None:
    """The label of the band holding `value` (None when unknown)."""
    if value is None:
        return None
    return next((label for low, high, label in bands if value >= low and (high is None or value <= high)), None)
