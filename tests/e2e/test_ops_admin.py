"""In the browser: the HTML mail preview is styled while the staff page keeps its strict CSP without a
single console error, the template editor waits for typing, and the site secret is revealed on demand."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.slow


def _console_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_the_html_mail_preview_is_styled_and_the_page_logs_no_error(portal, page: Page):
    site = portal.new_site("Mail Preview Shop")
    portal.new_staff("mail-preview@shop.example", site)
    report = httpx.post(
        f"{portal.url}/api/v1/reports",
        json={"site_key": site.key, "category": "delivery", "description": "Late.", "email": "c@example.com"},
    )
    assert report.status_code == 201, report.text
    errors = _console_errors(page)
    portal.sign_in(page, "mail-preview@shop.example", "/staff/mail")
    page.get_by_test_id("mail-row").filter(has_text="c@example.com").get_by_role("link").click()
    body = page.frame_locator('iframe[data-testid="mail-html"]').locator("body")
    expect(body).to_contain_text("sorry")
    # The mail's own inline style applies: without it the body would stretch to the frame's width.
    assert body.evaluate("element => getComputedStyle(element).maxWidth") != "none"
    assert errors == []


def test_the_template_editor_says_nothing_until_something_is_typed(portal, page: Page):
    site = portal.new_site("Quiet Editor Shop")
    portal.new_admin("quiet-editor@mend.example")
    errors = _console_errors(page)
    portal.sign_in(page, "quiet-editor@mend.example", f"/staff/sites/{site.id}/templates")
    preview = page.locator("#template-preview")
    page.wait_for_load_state("networkidle")  # the preview the editor asks for on load has answered
    expect(preview).to_have_text("")
    page.get_by_label("Wording").fill("Hi {nmae}")
    expect(preview.get_by_role("alert")).to_contain_text("nmae")
    assert errors == []


def test_the_site_secret_is_revealed_on_demand_and_copied(portal, browser):
    site = portal.new_site("Secret Shop")
    portal.new_admin("secret@mend.example")
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=portal.url)
    page = context.new_page()
    try:
        portal.sign_in(page, "secret@mend.example", f"/staff/sites/{site.id}")
        secret = page.get_by_test_id("secret")
        expect(secret).to_be_hidden()
        page.get_by_text("Reveal the secret").click()
        expect(secret).to_have_text(site.secret)
        page.get_by_role("button", name="Copy secret").click()
        expect(page.get_by_text("Copied.")).to_be_visible()
        assert page.evaluate("navigator.clipboard.readText()") == site.secret
    finally:
        context.close()
