"""The apology linter: findings on known phrasings, and precision/recall on a labelled corpus."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.domain import apology
from portal.domain.lexicon import Lexicon, lint
from portal.lexicon import load_lexicon
from tests.unit.apology_corpus import CORPUS

EN = load_lexicon("en")


def kinds(text: str, lexicon: Lexicon = EN) -> set[str]:
    return {f.kind for f in lint(text, lexicon)}


def test_corpus_is_big_enough_and_balanced():
    assert len(CORPUS) >= 60
    assert 0.4 < sum(label for _, label in CORPUS) / len(CORPUS) < 0.6


def test_precision_and_recall_on_the_labelled_corpus(capsys):
    flagged = {text: bool(lint(text, EN)) for text, _ in CORPUS}
    true_pos = sum(flagged[t] and not sincere for t, sincere in CORPUS)
    false_pos = sum(flagged[t] and sincere for t, sincere in CORPUS)
    false_neg = sum(not flagged[t] and not sincere for t, sincere in CORPUS)
    precision = true_pos / (true_pos + false_pos)
    recall = true_pos / (true_pos + false_neg)
    with capsys.disabled():
        print(f"\napology linter on {len(CORPUS)} labelled sentences: precision {precision:.2f}, recall {recall:.2f}")
    missed = [t for t, sincere in CORPUS if not sincere and not flagged[t]]
    wrongly = [t for t, sincere in CORPUS if sincere and flagged[t]]
    assert precision >= 0.9, wrongly
    assert recall >= 0.9, missed


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


@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    category=st.sampled_from([*apology.FAILURES, "custom"]),
    name=st.sampled_from([None, "Priya Natarajan", "Tom"]),
    described=st.booleans(),
    has_email=st.booleans(),
    level=st.integers(min_value=1, max_value=4),
)
def test_every_default_apology_passes_the_linter(seed, category, name, described, has_email, level):
    text = apology.compose_apology(
        category=category,
        category_label="Fitting room queue",
        description="The parcel was late." if described else "",
        name=name,
        signer_name="Dana Whitfield",
        signer_role="Head of Care",
        has_email=has_email,
        seed=seed,
        repeat_level=level,
    ).text
    assert lint(text, EN) == []


@given(st.text(max_size=400))
def test_the_linter_never_fails_on_any_text(text):
    for finding in lint(text, EN):
        assert finding.reason
        assert finding.suggestion
