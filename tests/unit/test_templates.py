from portal.apologies import apology_texts
from portal.domain.apology import placeholder_errors, render_template
from portal.domain.lexicon import lint
from portal.lexicon import load_lexicon

EN = apology_texts("en")


def test_placeholders_are_checked():
    assert placeholder_errors("Hi {name}, sorry about {category}: {quote}. {signer}") == []
    assert "Unknown placeholder {nmae}" in placeholder_errors("Hi {nmae}")[0]
    assert "unmatched" in placeholder_errors("Hi {name")[0]


def test_a_template_is_filled_in_signed_and_acknowledges_repeats():
    body = "Hi {name}, I'm sorry about {category}. You wrote: {quote}. That's on us."
    first = render_template(
        EN,
        body,
        name="Ana Lima",
        category_label="Late delivery",
        description="Parcel late.",
        signer_name="Dana",
        signer_role="Care",
    )
    assert first.text == "Hi Ana, I'm sorry about Late delivery. You wrote: Parcel late. That's on us.\n\nDana, Care"
    again = render_template(
        EN,
        body,
        name=None,
        category_label="Late delivery",
        description="",
        signer_name="Dana",
        signer_role="",
        repeat_level=2,
    )
    assert again.text.startswith("Hi there,")
    assert any(line in again.text for line in EN.again)
    assert again.signed_by == "Dana"


def test_the_linter_sees_what_a_template_would_say():
    text = render_template(
        EN,
        "Please accept our apology. {signer}",
        name=None,
        category_label="x",
        description="",
        signer_name="Dana",
        signer_role="",
    ).text
    assert {f.kind for f in lint(text, load_lexicon())} >= {"fake"}
