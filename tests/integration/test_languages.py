"""Every customer in their own language: chosen from data-lang, the browser and the site's languages;
the apology, status page, mail and dates follow; site texts are translated per language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from babel.dates import format_datetime
from sqlalchemy import select

from portal.apologies import apology_texts
from portal.domain.lexicon import lint
from portal.i18n import customer_time, gettext, use_locale
from portal.lexicon import load_lexicon
from portal.mail import Mail
from portal.models import Gesture, OutboxMail
from portal.worker import Worker
from tests.conftest import SITE_ORIGIN, as_admin
from tests.html import one, text_of

ALL = ["en", "fr", "de", "es", "pt_BR", "nl", "it", "ar"]


@pytest.fixture
async def multilingual(session, site):
    """The test site, speaking every shipped language, English by default."""
    site.languages = ALL
    await session.commit()
    return site


def written_in(text: str, lang: str) -> bool:
    """True when `text` uses the language's own apology wording (one of its openings' first words)."""
    openings = apology_texts(lang).openings
    return any(opening.split("{")[0].strip()[:12] in text for opening in openings)


@pytest.mark.parametrize("lang", ["fr", "de", "es", "ar", "pt-BR", "nl", "it"])
async def test_the_apology_comes_in_the_customers_language_and_passes_its_linter(
    multilingual, make_report, client, lang
):
    report = await make_report(multilingual, lang=lang, name="Ana Lima", email="ana@example.com")
    code = lang.replace("-", "_")
    assert report.lang == code
    apology = report.receipt["apology"]["text"]
    assert written_in(apology, code), apology
    assert lint(apology, load_lexicon(code)) == []

    page = (await client.get(report.receipt["status_url"])).text
    assert one(page, "html")["lang"] == lang
    assert one(page, "html")["dir"] == ("rtl" if code == "ar" else "ltr")
    assert text_of(page, "[data-testid=apology]") == " ".join(apology.split())


async def test_the_browser_decides_when_the_snippet_names_no_language(multilingual, make_report):
    report = await make_report(multilingual, headers={"accept-language": "de-AT,de;q=0.9,en;q=0.5"})
    assert report.lang == "de"


async def test_data_lang_wins_over_the_browser(multilingual, make_report):
    report = await make_report(multilingual, lang="de", headers={"accept-language": "fr-FR,fr;q=0.9"})
    assert report.lang == "de"


async def test_only_the_sites_languages_are_spoken_else_its_default(session, site, make_report):
    site.languages, site.default_language = ["en", "fr"], "fr"
    await session.commit()
    assert (await make_report(site, lang="es", headers={"accept-language": "de"})).lang == "fr"
    assert (await make_report(site, lang="en-GB")).lang == "en"


@pytest.mark.parametrize("bad", ["!!", "xx", "zz-ZZ", "a" * 300, "fr_FR\r\nX-Evil: 1", ""])
async def test_unknown_or_malformed_languages_fall_back_quietly(multilingual, make_report, bad):
    assert (await make_report(multilingual, lang=bad)).lang == "en"


async def test_the_apology_mail_is_in_the_customers_language(
    multilingual, make_report, session, sessionmaker, settings
):
    report = await make_report(multilingual, lang="fr", email="claire@example.com", name="Claire Martin")
    await Worker(settings, sessionmaker, Mail.from_settings(settings)).run_once()  # writes it as it sends it
    mail = await session.scalar(select(OutboxMail).where(OutboxMail.report_id == report.id))
    assert mail.subject.startswith(f"{multilingual.name}")
    assert "about what you told us" not in mail.subject
    assert report.apology_text.split("\n\n")[1][:40] in mail.text_body
    assert 'lang="fr"' in mail.html_body


async def test_the_status_page_shows_the_customers_local_time_not_utc(multilingual, make_report, client):
    report = await make_report(multilingual, lang="fr", tz_offset_min=-300)
    page = (await client.get(report.receipt["status_url"])).text
    local = customer_time(report.created_at, -300)
    shown = text_of(page, "[data-testid=reported-at]")
    assert format_datetime(local, "medium", locale="fr") in shown
    assert "UTC" not in shown
    assert local.hour != (local + timedelta(minutes=300)).hour or local.minute  # a real offset was applied


async def test_the_launcher_speaks_the_negotiated_language(multilingual, client):
    french = (await client.get(f"/w/{multilingual.key}/launcher", params={"langs": "fr-CA,en"})).json()
    assert french["lang"] == "fr"
    assert french["dir"] == "ltr"
    assert french["label"] != "Something small went wrong?"
    arabic = (await client.get(f"/w/{multilingual.key}/launcher", params={"lang": "ar", "langs": "fr"})).json()
    assert (arabic["lang"], arabic["dir"]) == ("ar", "rtl")
    plain = (await client.get(f"/w/{multilingual.key}/launcher", params={"langs": "xx,!!"})).json()
    assert plain["label"] == "Something small went wrong?"


async def test_the_panel_is_in_the_browsers_language_with_a_translated_category(session, multilingual, client):
    token = await as_admin(client, session)
    site = multilingual
    site.categories = [*site.categories, {"slug": "queue", "label": "Waited too long at the till"}]
    await session.commit()
    saved = await client.post(
        f"/staff/sites/{site.id}/translations",
        data={"lang": "fr", "site:category:queue": "Trop d'attente en caisse", "_csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    panel = (await client.get(f"/w/{site.key}", params={"langs": "fr-FR"})).text
    assert one(panel, "html")["lang"] == "fr"
    chips = text_of(panel, "fieldset.chips")
    assert "Trop d'attente en caisse" in chips
    assert "Late or missing delivery" not in chips  # Mend's default labels come from the catalog
    german = text_of((await client.get(f"/w/{site.key}", params={"langs": "de"})).text, "fieldset.chips")
    assert "Waited too long at the till" in german  # no German translation yet: the default language's text


async def test_staff_see_which_site_texts_are_untranslated(session, multilingual, client):
    token = await as_admin(client, session)
    gesture = await session.scalar(select(Gesture).where(Gesture.site_id == multilingual.id).limit(1))
    gesture.name = "A call from the owner"  # the site's own words: Mend's defaults are already translated
    await session.commit()
    page = (await client.get(f"/staff/sites/{multilingual.id}/translations?lang=it")).text
    before = text_of(page, "[data-testid=untranslated]")
    await client.post(
        f"/staff/sites/{multilingual.id}/translations",
        data={"lang": "it", f"gesture:{gesture.id}:name": "Un controllo personale", "_csrf_token": token},
    )
    after = text_of(
        (await client.get(f"/staff/sites/{multilingual.id}/translations?lang=it")).text, "[data-testid=untranslated]"
    )
    assert before == "1 text is not translated yet."
    assert after == "Everything is translated."
    await session.refresh(gesture)
    assert gesture.translations["it"]["name"] == "Un controllo personale"
    assert (await client.get(f"/staff/sites/{multilingual.id}/translations?lang=xx")).status_code == 404


async def test_validation_messages_come_in_the_customers_language(multilingual, client):
    body = {"site_key": multilingual.key, "description": "", "email": "nope", "lang": "fr"}
    refused = await client.post("/api/v1/reports", json=body, headers={"origin": SITE_ORIGIN})
    assert refused.status_code == 400
    errors = refused.json()["extra"]["fields"]
    assert set(errors) == {"description", "email"}
    with use_locale("fr"):
        assert errors["email"] == gettext("That doesn't look like an email address (name@example.com).")
    assert "doesn't look like an email address" not in errors["email"]
    english = await client.post("/api/v1/reports", json={**body, "lang": "en"}, headers={"origin": SITE_ORIGIN})
    assert "doesn't look like an email address" in english.json()["extra"]["fields"]["email"]


async def test_apology_templates_are_per_language_and_linted_in_their_own(session, multilingual, client, make_report):
    token = await as_admin(client, session)
    path = f"/staff/sites/{multilingual.id}/templates"
    fake = "Veuillez accepter nos excuses, {name}. Nous regrettons tout désagrément occasionné."
    refused = await client.post(
        path, data={"lang": "fr", "category": "", "body": fake, "action": "publish", "_csrf_token": token}
    )
    assert refused.status_code == 422
    own = "{name}, toutes mes excuses : c'est notre erreur, et je m'en occupe moi-même."
    published = await client.post(
        path,
        data={"lang": "fr", "category": "", "body": own, "action": "publish", "_csrf_token": token},
        follow_redirects=False,
    )
    assert published.status_code == 303
    french = await make_report(multilingual, lang="fr", name="Claire Martin")
    assert french.apology_text.startswith("Claire, toutes mes excuses")
    english = await make_report(multilingual, lang="en", name="Tom Baker")
    assert "toutes mes excuses" not in english.apology_text


async def test_staff_pages_follow_the_browser_among_the_staff_languages_or_the_profile(session, site, client):
    french = (await client.get("/staff/login", headers={"accept-language": "fr-CH,fr;q=0.9"})).text
    with use_locale("fr"):
        assert text_of(french, "h1") == gettext("Sign in to Mend")
    assert text_of(french, "h1") != "Sign in to Mend"
    spanish = (await client.get("/staff/login", headers={"accept-language": "es"})).text
    assert text_of(spanish, "h1") == "Sign in to Mend"  # the staff portal speaks English, French and German

    token = await as_admin(client, session)
    chosen = await client.post(
        "/staff/profile/language", data={"language": "de", "_csrf_token": token}, follow_redirects=False
    )
    assert chosen.status_code == 303
    queue = (await client.get("/staff", headers={"accept-language": "fr"})).text
    assert one(queue, "html")["lang"] == "de"
    await client.post("/staff/profile/language", data={"language": "", "_csrf_token": token})
    assert one((await client.get("/staff", headers={"accept-language": "fr"})).text, "html")["lang"] == "fr"
