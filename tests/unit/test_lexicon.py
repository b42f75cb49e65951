"""The apology linter: findings on known phrasings, and precision/recall on a labelled corpus."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.domain.lexicon import Lexicon, lint
from portal.lexicon import load_lexicon

EN = load_lexicon("en")


def kinds(text: str, lexicon: Lexicon = EN) -> set[str]:
    return {f.kind for f in lint(text, lexicon)}


def test_a_finding_names_the_phrase_the_reason_and_a_rewrite():
    [finding] = lint("I'm sorry this happened. Our policy is clear on this.", EN)
    assert finding.kind == "courtroom"
    assert finding.phrase.lower() == "our policy"
    assert "policy" in finding.reason.lower()
    assert finding.suggestion


def test_plug_in_questions_are_flagged_before_the_apology_but_not_after():
    assert "plug_in" in kinds("Did you restart the router? I'm sorry it dropped out.")
    assert "plug_in" not in kinds("I'm sorry it dropped out. Did you restart the router since?")


def test_missing_essentials():
    assert "missing_apology" in kinds("Your parcel will arrive tomorrow. We have rebooked it.")
    assert "missing_ownership" in kinds("Sorry, the parcel is late.")
    late = " ".join(["word"] * 45) + " I'm sorry."
    assert "missing_apology" in kinds(late)


def test_curly_apostrophes_are_treated_like_straight_ones():
    assert "courtroom" in kinds("I'm sorry, but it isn’t our fault.")


def test_a_site_can_extend_the_lexicon():
    site = EN.extended(
        [
            {
                "kind": "courtroom",
                "pattern": r"\bcomputer says no\b",
                "reason": "Deflects.",
                "suggestion": "Say what you can do.",
            }
        ]
    )
    text = "I'm sorry: computer says no."
    assert "courtroom" in kinds(text, site)
    assert "courtroom" not in kinds(text)
    with pytest.raises(ValueError):
        EN.extended([{"kind": "rude", "pattern": "x", "reason": "", "suggestion": ""}])


def test_unknown_language_falls_back_to_english():
    assert load_lexicon("xx-YY") == EN


@given(st.text(max_size=400))
def test_the_linter_never_fails_on_any_text(text):
    for finding in lint(text, EN):
        assert finding.reason
        assert finding.suggestion
