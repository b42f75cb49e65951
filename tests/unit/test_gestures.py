"""The offer rule, the money check, role budgets and the tier in the signed identity: pure rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.domain.default_gestures import DEFAULT_CATALOG
from portal.domain.gestures import (
    DEFAULT_BUDGETS,
    GestureInvalid,
    GestureOption,
    Tier,
    budgets_of,
    check_budget,
    effective_tier,
    money_problem,
    offer_gestures,
    offer_tier,
    parse_budgets,
    parse_codes,
    validate_gesture,
)
from portal.domain.identity import sign_customer, verified_identity
from portal.domain.repeat import RepeatLevel

CATEGORIES = ["delivery", "website", "billing", "order"]

options = st.builds(
    GestureOption,
    id=st.integers(1, 10_000),
    tier=st.sampled_from(list(Tier)),
    categories=st.lists(st.sampled_from(CATEGORIES), max_size=2, unique=True).map(tuple),
    position=st.integers(0, 20),
)
catalogs = st.lists(options, max_size=12, unique_by=lambda o: o.id)


@given(
    catalogs,
    st.sampled_from(CATEGORIES),
    st.sampled_from(list(Tier)),
    st.sampled_from(list(RepeatLevel)),
    st.sets(st.integers(1, 10_000)),
)
def test_offers_fit_the_category_stay_within_the_tier_and_skip_what_ran_out(catalog, category, tier, level, gone):
    offered = offer_gestures(
        catalog, category=category, customer_tier=tier, repeat_level=level, available=lambda g: g.id not in gone
    )
    top = offer_tier(tier, level)
    assert len(offered) <= 3
    assert all(g.fits(category) and g.tier <= top and g.id not in gone for g in offered)
    relevant = [g for g in catalog if g.fits(category) and g.tier <= top and g.id not in gone]
    assert len(offered) == min(3, len(relevant))  # never fewer than there are to offer
    # The highest tiers within reach come first: nothing left out outranks what was offered.
    left_out = [g for g in relevant if g not in offered]
    assert all(g.tier <= min(o.tier for o in offered) for g in left_out)


@given(catalogs, st.sampled_from(CATEGORIES), st.sampled_from(list(Tier)))
def test_piling_up_never_lowers_what_is_offered(catalog, category, tier):
    best = {
        level: max(
            (g.tier for g in offer_gestures(catalog, category=category, customer_tier=tier, repeat_level=level)),
            default=0,
        )
        for level in RepeatLevel
    }
    assert best[RepeatLevel.FIRST] <= best[RepeatLevel.AT_RISK] <= best[RepeatLevel.CHURN_RISK]
    assert best[RepeatLevel.FIRST] == best[RepeatLevel.WATCH]


def test_at_risk_raises_the_tier_by_one_and_premium_stays_premium():
    assert offer_tier(Tier.STANDARD, RepeatLevel.WATCH) == Tier.STANDARD
    assert offer_tier(Tier.STANDARD, RepeatLevel.AT_RISK) == Tier.ELEVATED
    assert offer_tier(Tier.ELEVATED, RepeatLevel.CHURN_RISK) == Tier.PREMIUM
    assert offer_tier(Tier.PREMIUM, RepeatLevel.CHURN_RISK) == Tier.PREMIUM


def test_the_default_catalog_offers_two_or_three_to_everyone():
    catalog = [GestureOption(i, spec.tier, tuple(spec.categories), i) for i, spec in enumerate(DEFAULT_CATALOG)]
    for category in CATEGORIES:
        for tier in Tier:
            for level in RepeatLevel:
                assert 2 <= len(offer_gestures(catalog, category=category, customer_tier=tier, repeat_level=level)) <= 3


@pytest.mark.parametrize(
    "wording",
    [
        "A $10 voucher",
        "€5 off",
        "10 EUR back",
        "5 dollars",
        "A full refund",
        "20% off your next order",
        "Cash back",
        "Store credit for next time",
        "A gift card",
        "We refunded the shipping",
        "A discount on the next order",
    ],
)
def test_money_in_any_form_is_not_a_gesture(wording):
    assert "never money" in money_problem(wording)


@pytest.mark.parametrize(
    "wording",
    [spec.description for spec in DEFAULT_CATALOG] + ["Ten minutes with our head chef", "A call back within 1 hour"],
)
def test_things_we_do_are_gestures(wording):
    assert money_problem(wording) is None


def test_a_gesture_form_is_checked_field_by_field():
    with pytest.raises(GestureInvalid) as caught:
        validate_gesture(
            {
                "name": "",
                "description": "x",
                "tier": "gold",
                "categories": ["nope"],
                "daily_cap": "-1",
                "fulfilment": "magic",
            },
            CATEGORIES,
        )
    assert set(caught.value.errors) == {"name", "tier", "categories", "daily_cap", "fulfilment"}
    spec = validate_gesture(
        {
            "name": "  A  note ",
            "description": "Handwritten.",
            "tier": "elevated",
            "categories": "order",
            "fulfilment": "task",
        },
        CATEGORIES,
    )
    assert (spec.name, spec.tier, spec.categories, spec.daily_cap) == ("A note", Tier.ELEVATED, ["order"], None)


def test_over_budget_names_the_roles_that_can_grant():
    budgets = budgets_of(None)
    assert check_budget(budgets, role="agent", tier=Tier.STANDARD, used=DEFAULT_BUDGETS["agent"][0] - 1).allowed
    over = check_budget(budgets, role="agent", tier=Tier.ELEVATED, used=2)
    assert not over.allowed
    assert over.can_grant == ("lead", "admin")
    assert over.remaining == 0
    premium = check_budget(
        budgets, role="agent", tier=Tier.PREMIUM, used=0
    )  # agents have none: leads or admins grant it
    assert not premium.allowed
    assert premium.can_grant == ("lead", "admin")
    no_leads = check_budget({"agent": [1, 0, 0], "lead": [1, 0, 0]}, role="agent", tier=Tier.PREMIUM, used=0)
    assert no_leads.can_grant == ("admin",)
    assert check_budget(budgets, role="admin", tier=Tier.PREMIUM, used=10_000).allowed


def test_budgets_come_from_the_form_or_say_which_field_is_wrong():
    form = {f"budget_{r}_{t}": str(t) for r in ("agent", "lead") for t in (1, 2, 3)}
    assert parse_budgets(form) == {"agent": [1, 2, 3], "lead": [1, 2, 3]}
    with pytest.raises(GestureInvalid) as caught:
        parse_budgets({**form, "budget_lead_3": "lots"})
    assert list(caught.value.errors) == ["budget_lead_3"]


def test_codes_are_split_on_lines_and_separators_once_each():
    assert parse_codes("A1\n\nB2, C3;A1  D4\r\n") == ["A1", "B2", "C3", "D4"]


def test_a_signed_tier_is_trusted_only_when_the_signature_covers_it():
    secret = "s3cret"
    assert verified_identity(secret, "c1", sign_customer(secret, "c1", "premium"), "premium") == (True, "premium")
    assert verified_identity(secret, "c1", sign_customer(secret, "c1"), "premium") == (True, None)  # id only: no tier
    assert verified_identity(secret, "c1", sign_customer(secret, "c1", "standard"), "premium") == (False, None)
    assert verified_identity("other", "c1", sign_customer(secret, "c1", "premium"), "premium") == (False, None)


def test_a_tier_staff_set_wins_over_the_hosts_and_standard_is_the_default():
    assert effective_tier(3, "standard") == Tier.PREMIUM
    assert effective_tier(None, "elevated") == Tier.ELEVATED
    assert effective_tier(None, None) == Tier.STANDARD
