"""Every shipped language: its apology wording passes its own linter, and its linter tells sincere
apologies from fake, courtroom and "did you plug it in?" ones on a labelled corpus."""

from __future__ import annotations

import importlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.apologies import APOLOGY_DIR, apology_texts
from portal.domain.apology import compose_apology, render_template
from portal.domain.lexicon import lint
from portal.i18n import LANGUAGES
from portal.lexicon import LEXICON_DIR, load_lexicon

DEFAULT_CATEGORIES = ("delivery", "website", "billing", "order", "service")


def corpus(lang: str) -> list[tuple[str, bool]]:
    """The language's labelled sentences: True = sincere, False = fake, defensive or blaming."""
    return importlib.import_module(f"tests.unit.corpora.{lang}").CORPUS


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_its_own_apology_lexicon_and_corpus(lang):
    assert (APOLOGY_DIR / f"{lang}.toml").exists()
    assert (LEXICON_DIR / f"{lang}.toml").exists()
    sentences = corpus(lang)
    assert len(sentences) >= 40
    assert 0.4 <= sum(label for _, label in sentences) / len(sentences) <= 0.6


@pytest.mark.parametrize("lang", LANGUAGES)
def test_precision_and_recall_on_the_labelled_corpus(lang, capsys):
    lexicon = load_lexicon(lang)
    sentences = corpus(lang)
    flagged = {text: bool(lint(text, lexicon)) for text, _ in sentences}
    true_pos = sum(flagged[t] and not sincere for t, sincere in sentences)
    false_pos = sum(flagged[t] and sincere for t, sincere in sentences)
    false_neg = sum(not flagged[t] and not sincere for t, sincere in sentences)
    precision = true_pos / (true_pos + false_pos)
    recall = true_pos / (true_pos + false_neg)
    with capsys.disabled():
        print(f"\n{lang}: apology linter on {len(sentences)} sentences: precision {precision:.2f}, recall {recall:.2f}")
    assert precision >= 0.9, [t for t, sincere in sentences if sincere and flagged[t]]
    assert recall >= 0.9, [t for t, sincere in sentences if not sincere and not flagged[t]]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_default_category_has_several_wordings_in_every_language(lang):
    texts = apology_texts(lang)
    for category in DEFAULT_CATEGORIES:
        assert len(texts.failures[category]) >= 3, category
    for part in (texts.openings, texts.again, texts.piling_up, texts.quotes, texts.ownership, texts.thanks):
        assert len(part) >= 3


@pytest.mark.parametrize("lang", LANGUAGES)
@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    category=st.sampled_from([*DEFAULT_CATEGORIES, "custom"]),
    name=st.sampled_from([None, "Priya Natarajan", "Tom"]),
    described=st.booleans(),
    has_email=st.booleans(),
    level=st.integers(min_value=1, max_value=4),
)
def test_every_apology_passes_its_own_language_linter(lang, seed, category, name, described, has_email, level):
    apology = compose_apology(
        apology_texts(lang),
        category=category,
        category_label="Fitting room queue",
        description="The parcel was late." if described else "",
        name=name,
        signer_name="Dana Whitfield",
        signer_role="Head of Care",
        has_email=has_email,
        seed=seed,
        repeat_level=level,
    )
    assert lint(apology.text, load_lexicon(lang)) == []
    assert apology.text.splitlines()[-1].startswith("Dana Whitfield")
    if name:
        assert name.split()[0] in apology.text
    if described:
        assert "The parcel was late" in apology.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_repeat_acknowledgements_in_a_site_template_come_in_its_language(lang):
    texts = apology_texts(lang)
    letter = render_template(
        texts,
        "{name}: {quote}",
        name=None,
        category_label="Delivery",
        description="late",
        signer_name="Dana",
        signer_role="",
        repeat_level=2,
    ).text
    assert letter.startswith(f"{texts.no_name}: late")
    assert any(line in letter for line in texts.again)
