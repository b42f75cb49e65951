"""Loyalty after recovery: groups, sums per split, the paired test and the churn check, against hand-computed values."""

from __future__ import annotations

import pytest

from portal.domain.loyalty import Baseline, Cell, Churn, Tally, churn, gesture_group, loyalty, paired_test, rating_group


@pytest.mark.parametrize(
    ("score", "group"), [(None, "unrated"), (1, "poor"), (2, "poor"), (3, "neutral"), (4, "good"), (5, "good")]
)
def test_rating_groups_follow_the_sites_poor_limit(score, group):
    assert rating_group(score, poor_max=2) == group


def test_a_site_that_calls_3_poor_has_no_neutral_answers():
    assert rating_group(3, poor_max=3) == "poor"


def test_gesture_groups():
    assert [gesture_group(c) for c in ("gesture", "declined", "wish", None)] == ["chosen", "declined", "wish", "none"]


def test_the_paired_test_counts_only_customers_who_changed():
    # 8 customers active only before, 1 only after: P(X ≤ 1 or X ≥ 8 | 9, ½) = 2 · 10/512.
    assert paired_test(8, 1) == pytest.approx(20 / 512)
    assert paired_test(0, 0) == 1.0


def cell(recovery: str, level: str, tally: Tally, lost: Churn = Churn()) -> Cell:
    return Cell(recovery, "unrated", "none", level, {30: tally, 90: tally}, lost)


def test_splits_sum_cells_and_claim_a_difference_only_when_it_holds_after_holm():
    cells = [
        cell("within", "1", Tally(n=100, returned=80, cancelled=5)),
        cell("later", "1", Tally(n=100, returned=50, cancelled=6)),
        cell("later", "4", Tally(n=20, returned=10, cancelled=1)),
    ]
    rows = {r["group"]: r for r in loyalty(cells, {})["30"]["splits"]["recovery"]}
    assert rows["later"]["n"] == 120
    assert (rows["later"]["returned"]["s"], rows["later"]["returned"]["n"]) == (60, 120)
    # 80/100 against 60/120: pooled 140/220, z = 4.61, p = 4.1e-6; "never" has no one to test, so Holm leaves it.
    assert rows["later"]["returned_test"]["holds"] is True
    assert rows["later"]["returned_test"]["direction"] == -1
    assert rows["later"]["returned_test"]["p"] == pytest.approx(4.11e-6, rel=0.01)
    assert rows["later"]["cancelled_test"]["holds"] is False  # 5 % against 5.8 %
    assert rows["within"]["returned_test"] is None  # the reference
    assert rows["never"]["n"] == 0
    assert rows["never"]["returned_test"]["holds"] is False
    lo, hi = rows["within"]["returned"]["lo"], rows["within"]["returned"]["hi"]
    assert (lo, hi) == (pytest.approx(0.7112, abs=1e-4), pytest.approx(0.8666, abs=1e-4))  # Wilson, 80 of 100


def test_the_overview_compares_before_with_after_and_with_customers_who_did_not_report():
    t = Tally(
        n=50, returned=20, cancelled=4, active_before=40, returned_and_active_before=18, cancelled_and_active_before=2
    )
    o = loyalty([cell("within", "1", t)], {30: Baseline(n=400, returned=300, cancelled=8)})["30"]["overview"]
    assert (o["before"]["returned"]["s"], o["after"]["returned"]["s"]) == (40, 20)
    # 22 active only before, 2 only after: exact McNemar p = 2 · P(X ≤ 2 | 24, ½) = 3.6e-5, × 4 by Holm.
    assert o["tests"]["before_returned"]["holds"] is True
    assert o["tests"]["before_returned"]["direction"] == -1
    assert (o["reporters_active_before"]["returned"]["s"], o["reporters_active_before"]["returned"]["n"]) == (18, 40)
    assert (o["others"]["returned"]["s"], o["others"]["returned"]["n"]) == (300, 400)
    assert o["tests"]["before_returned"]["p"] == pytest.approx(4 * 602 / 2**24)
    assert o["tests"]["others_returned"]["direction"] == -1  # 45 % of 40 against 75 % of 400
    assert o["tests"]["others_cancelled"]["holds"] is False  # 2 of 40 against 8 of 400


def test_the_churn_check_compares_each_level_with_the_first():
    cells = [
        cell("within", "1", Tally(), Churn(n=200, cancelled=10, silent=20, lost=26)),
        cell("later", "4", Tally(), Churn(n=40, cancelled=12, silent=10, lost=18)),
    ]
    rows = {r["level"]: r for r in churn(cells)}
    assert (rows["4"]["lost"]["s"], rows["4"]["lost"]["n"], rows["4"]["cancelled"], rows["4"]["silent"]) == (
        18,
        40,
        12,
        10,
    )
    assert rows["4"]["test"]["holds"] is True  # 45 % against 13 %
    assert rows["4"]["test"]["direction"] == 1
    assert rows["1"]["test"] is None
    assert rows["2"]["n"] == 0
