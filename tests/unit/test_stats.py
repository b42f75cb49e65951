"""The statistics behind every "by …" table, checked against values worked out by hand or in R."""

from __future__ import annotations

import pytest

from portal.domain.stats import Proportion, compare_groups, holm, two_proportion_test, wilson_interval


def test_wilson_interval_matches_the_published_example() -> None:
    low, high = wilson_interval(81, 263)
    assert low == pytest.approx(0.2553, abs=5e-5)
    assert high == pytest.approx(0.3662, abs=5e-5)


def test_wilson_interval_of_nothing_is_everything() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_wilson_interval_stays_inside_zero_and_one_at_the_extremes() -> None:
    low, high = wilson_interval(20, 20)
    assert high == 1.0
    assert low == pytest.approx(0.8389, abs=5e-5)  # 20/(20 + 1.96²)
    low, high = wilson_interval(0, 20)
    assert low == 0.0
    assert high == pytest.approx(0.1611, abs=5e-5)


def test_two_proportion_test_textbook_value() -> None:
    # 60/100 vs 40/100: pooled 0.5, se = √(0.25 · 0.02), z = 2√2, so p = erfc(2) = 0.0046777.
    assert two_proportion_test(60, 100, 40, 100) == pytest.approx(0.0046777, abs=1e-7)


def test_two_proportion_test_agrees_with_the_uncorrected_chi_square() -> None:
    # R: prop.test(c(81, 100), c(263, 263), correct = FALSE)$p.value
    assert two_proportion_test(81, 263, 100, 263) == pytest.approx(0.08119, abs=1e-5)


def test_two_proportion_test_is_symmetric_and_one_for_equal_shares() -> None:
    assert two_proportion_test(30, 50, 12, 40) == pytest.approx(two_proportion_test(12, 40, 30, 50))
    assert two_proportion_test(10, 20, 25, 50) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("s1", "n1", "s2", "n2"),
    [(0, 0, 5, 10), (5, 10, 0, 0), (10, 10, 30, 30), (0, 10, 0, 30)],
    ids=["first empty", "second empty", "all successes", "no successes"],
)
def test_two_proportion_test_is_one_when_undefined(s1: int, n1: int, s2: int, n2: int) -> None:
    assert two_proportion_test(s1, n1, s2, n2) == 1.0


def test_holm_adjusts_in_input_order() -> None:
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm")
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_handles_nothing() -> None:
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []
    assert holm([0.02]) == pytest.approx([0.02])


def test_proportion_share_interval_and_rest() -> None:
    part = Proportion(81, 263)
    assert part.share == pytest.approx(81 / 263)
    assert part.interval == wilson_interval(81, 263)
    assert Proportion(0, 0).share == 0.0
    assert Proportion(100, 300) - part == Proportion(19, 37)


def test_proportion_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError):
        Proportion(5, 4)
    with pytest.raises(ValueError):
        Proportion(-1, 4)


def test_compare_groups_with_the_rest_claims_only_what_holds_after_holm() -> None:
    result = {
        c.name: c for c in compare_groups({"a": Proportion(30, 40), "b": Proportion(10, 40), "c": Proportion(20, 40)})
    }
    assert result["a"].other == Proportion(30, 80)
    assert result["a"].holds
    assert result["a"].direction == 1
    assert result["b"].holds
    assert result["b"].direction == -1
    assert not result["c"].holds
    assert result["c"].direction == 0
    # Three comparisons: the smallest p-value is multiplied by 3.
    assert result["a"].adjusted == pytest.approx(3 * result["a"].p_value)


def test_compare_groups_correction_can_take_a_difference_away() -> None:
    # p ≈ 0.0047 alone holds; among 20 comparisons it is multiplied by 20 and no longer does.
    groups = {"x": Proportion(60, 100), "y": Proportion(40, 100)}
    assert compare_groups(groups, reference="y")[0].holds
    groups |= {f"g{i}": Proportion(40, 100) for i in range(19)}
    x = next(c for c in compare_groups(groups, reference="y") if c.name == "x")
    assert x.p_value == pytest.approx(0.0046777, abs=1e-7)
    assert x.adjusted == pytest.approx(20 * x.p_value)
    assert not x.holds


def test_compare_groups_with_a_reference_leaves_the_reference_out() -> None:
    result = compare_groups({"on time": Proportion(60, 100), "late": Proportion(40, 100)}, reference="on time")
    assert [c.name for c in result] == ["late"]
    assert result[0].other == Proportion(60, 100)
    assert result[0].direction == -1


def test_compare_groups_does_not_count_empty_groups_as_comparisons() -> None:
    groups = {"x": Proportion(60, 100), "y": Proportion(40, 100), "nobody": Proportion(0, 0)}
    result = {c.name: c for c in compare_groups(groups, reference="y")}
    assert result["nobody"].adjusted == 1.0
    assert not result["nobody"].holds
    # Only x could be tested, so its p-value is not multiplied by 2.
    assert result["x"].adjusted == pytest.approx(result["x"].p_value)


def test_two_groups_against_the_rest_are_one_comparison() -> None:
    on_time, late = compare_groups({"on time": Proportion(60, 100), "late": Proportion(40, 100)})
    assert on_time.p_value == late.p_value == pytest.approx(0.0046777, abs=1e-7)
    # One test, so no correction: not 2 × p.
    assert on_time.adjusted == late.adjusted == pytest.approx(on_time.p_value)
    assert (on_time.direction, late.direction) == (1, -1)
