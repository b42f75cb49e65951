import pytest

from portal.apologies import apology_texts
from portal.domain.apology import compose_apology
from portal.domain.repeat import RepeatLevel, customer_key, repeat_level

EN = apology_texts("en")
AGAIN, PILING_UP = EN.again, EN.piling_up


@pytest.mark.parametrize(("earlier", "level"), [(0, 1), (1, 2), (2, 3), (3, 4), (12, 4)])
def test_levels_climb_with_earlier_reports_and_stop_at_churn_risk(earlier, level):
    assert repeat_level(earlier) == level


def test_level_labels():
    assert [lvl.label for lvl in RepeatLevel] == ["first", "watch", "at risk", "churn risk"]


def test_customer_key_prefers_the_verified_id():
    assert customer_key("c-1", "A@B.com") == "id:c-1"
    assert customer_key(None, "A@B.com") == "email:a@b.com"
    assert customer_key(None, None) is None


def letter(level: int, seed: int) -> str:
    return compose_apology(
        EN,
        category="delivery",
        category_label="Late",
        description="late again",
        name="Ana",
        signer_name="Dana",
        signer_role="Care",
        has_email=True,
        seed=seed,
        repeat_level=level,
    ).text


def test_first_report_does_not_talk_about_repeats():
    for seed in range(20):
        assert not any(line in letter(1, seed) for line in (*AGAIN, *PILING_UP))


def test_second_report_acknowledges_it_happened_before_in_varied_words():
    texts = [letter(2, seed) for seed in range(30)]
    assert all(any(line in t for line in AGAIN) for t in texts)
    assert len({next(line for line in AGAIN if line in t) for t in texts}) >= 2


def test_at_risk_and_churn_risk_say_it_adds_up():
    for level in (3, 4):
        assert all(any(line in letter(level, seed) for line in PILING_UP) for seed in range(20))
