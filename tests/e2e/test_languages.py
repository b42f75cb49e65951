"""Customers in their own language, as a browser set to that language meets the widget on a shop's page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from portal.apologies import apology_texts
from portal.i18n import LANGUAGES, lookup, use_locale
from portal.models import Site

pytestmark = pytest.mark.slow


def in_language(lang: str, message: str) -> str:
    """What the catalogs say for `message` in `lang`."""
    with use_locale(lang):
        return lookup(message)


def speaking_every_language(portal) -> Site:
    site = portal.new_site()

    async def enable(session):
        stored = await session.get(Site, site.id)
        stored.languages = list(LANGUAGES)

    portal.run(enable)
    return site


def new_page(browser: Browser, locale: str) -> Page:
    return browser.new_context(locale=locale).new_page()


def test_a_french_browser_gets_the_widget_apology_status_page_and_mail_in_french(portal, browser):
    site = speaking_every_language(portal)
    page = new_page(browser, "fr-FR")
    page.goto(portal.host_page(site))
    launcher = page.get_by_role("button", name=in_language("fr", "Something small went wrong?"))
    expect(launcher).to_be_visible()
    launcher.click()
    frame = page.frame_locator(f'iframe[title="{in_language("fr", "Tell us what went wrong")}"]')
    expect(frame.locator("html")).to_have_attribute("lang", "fr")
    frame.get_by_label(in_language("fr", "What happened?")).fill("Le colis est arrivé avec deux jours de retard.")
    frame.get_by_label(in_language("fr", "Your name")).fill("Claire Martin")
    frame.get_by_label(in_language("fr", "Email, if you'd like a reply")).fill("claire@example.com")
    frame.get_by_role("button", name=in_language("fr", "Send"), exact=True).click()

    apology = frame.get_by_test_id("apology")
    expect(apology).to_contain_text("Claire")
    letter = apology.inner_text()
    openings = [o.split("{")[0].strip() for o in apology_texts("fr").openings]
    assert any(o and o in letter for o in openings), letter

    with page.context.expect_page() as opened:
        frame.get_by_role("link", name=in_language("fr", "Follow what happens next")).click()
    status = opened.value
    expect(status.locator("html")).to_have_attribute("lang", "fr")
    expect(status.get_by_role("heading", name=in_language("fr", "What happens next"))).to_be_visible()

    mail = portal.smtp.inbox.wait_for(lambda m: "claire@example.com" in m["To"])
    french_subject = in_language("fr", "%(site)s: about what you told us (%(ref)s)").split("%(site)s")[1]
    assert " ".join(french_subject.split("(")[0].split()) in mail["Subject"]
    body = " ".join(mail.get_body(("plain",)).get_content().split())
    assert " ".join(letter.split("\n\n")[1].split())[:60] in body


def test_an_arabic_browser_gets_a_right_to_left_panel_and_the_launcher_bottom_left(portal, browser):
    site = speaking_every_language(portal)
    page = new_page(browser, "ar")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(portal.host_page(site))
    launcher = page.get_by_role("button", name=in_language("ar", "Something small went wrong?"))
    expect(launcher).to_be_visible()
    box = launcher.bounding_box()
    assert box is not None
    assert box["x"] < 200  # bottom-left, not bottom-right
    assert box["y"] > 600
    launcher.click()
    frame = page.frame_locator("iframe")
    expect(frame.locator("html")).to_have_attribute("dir", "rtl")
    expect(frame.locator("html")).to_have_attribute("lang", "ar")
    expect(frame.get_by_role("heading", name=in_language("ar", "Something small went wrong?"))).to_be_visible()


def test_data_lang_on_the_snippet_wins_over_the_browser(portal, browser):
    site = speaking_every_language(portal)
    page = new_page(browser, "fr-FR")
    page.goto(portal.host_page(site, lang="de"))
    launcher = page.get_by_role("button", name=in_language("de", "Something small went wrong?"))
    expect(launcher).to_be_visible()
    launcher.click()
    expect(page.frame_locator("iframe").locator("html")).to_have_attribute("lang", "de")
