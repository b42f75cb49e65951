"""What the panel's status line says about a refused form: the fields by the labels the customer reads,
in the customer's language, never by their names in the code."""

from __future__ import annotations

import pytest

from portal.i18n import LANGUAGES
from tests.conftest import BASE_URL
from tests.html import one, text, text_of

HTMX = {"HX-Request": "true", "HX-Target": "panel", "origin": BASE_URL}
BAD = {"description": "", "email": "sam@"}  # nothing said, and an address that is not one


@pytest.fixture
async def multilingual(session, site):
    site.languages = list(LANGUAGES)
    await session.commit()
    return site


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Please check: What happened; Email, if you'd like a reply."),
        ("fr", "Merci de vérifier : Que s'est-il passé; E-mail, si vous souhaitez une réponse."),
    ],
)
async def test_the_status_line_names_the_fields_by_their_labels(client, multilingual, lang, expected):
    response = await client.post(f"/w/{multilingual.key}", data={**BAD, "lang": lang}, headers=HTMX)
    assert response.status_code == 400
    assert text_of(response.text, "#panel-status") == expected


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_every_language_names_the_labels_shown_next_to_the_fields(client, multilingual, lang):
    html = (await client.post(f"/w/{multilingual.key}", data={**BAD, "lang": lang}, headers=HTMX)).text
    status = text_of(html, "#panel-status")
    for field in ("description", "email"):
        label = one(html, f"label[for={field}]")
        shown = text(label).removesuffix(text(label.span) if label.span else "").strip()
        assert shown.strip("¿?؟ \u00a0\u202f") in status
    assert "description" not in status
    assert "email" not in status


async def test_context_the_customer_cannot_see_is_explained_in_words(client, site):
    data = {"description": "Late again", "customer_id": "c", "customer_sig": "not-hex"}
    html = (await client.post(f"/w/{site.key}", data=data, headers=HTMX)).text
    assert text_of(html, "#panel-status") == "The customer signature must be 64 hex characters."
