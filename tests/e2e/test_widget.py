"""A customer on a site owner's page (another origin) uses the widget as a person would."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.slow

LAUNCHER = "Something small went wrong?"


def panel(page: Page):
    return page.frame_locator("iframe[title='Tell us what went wrong']")


def focused(page: Page) -> str:
    """What has the keyboard focus, across the shadow root and the panel's cross-origin frame: "close" for the
    dialog's close button, else the focused control in the panel as its role and name, "" for none."""
    close = page.get_by_role("button", name="Close")
    if close.evaluate("el => el.getRootNode().activeElement === el"):
        return "close"
    frame = next(f for f in page.frames if "/w/" in f.url)
    return frame.evaluate(
        """() => {
          const el = document.activeElement;
          if (!document.hasFocus() || !el || el === document.body) return "";
          const role = el.type === "radio" ? "radio" : el.tagName.toLowerCase();
          return `${role}: ${(el.labels?.[0] || el).textContent.trim().replace(/\\s+/g, " ")}`;
        }"""
    )


@pytest.mark.parametrize("strict_csp", [False, True], ids=["host-page", "host-page-with-strict-csp"])
def test_customer_reports_with_the_keyboard_reads_the_apology_and_gets_the_mail(
    portal, page: Page, console_errors, strict_csp
):
    site = portal.new_site()
    email = "priya-csp@example.com" if strict_csp else "priya@example.com"
    page.goto(portal.host_page(site, strict_csp=strict_csp, **{"busy": "91", "location": "Eastern stores"}))
    launcher = page.get_by_role("button", name=LAUNCHER)
    expect(launcher).to_be_visible()
    # Styled even where the host's CSP refuses inline styles: fixed in the corner, in Mend's colours.
    expect(launcher).to_have_css("position", "fixed")
    expect(launcher).to_have_css("background-color", "rgb(36, 64, 110)")
    expect(launcher).to_have_css("font-size", "15px")  # the host page's hostile CSS does not reach it
    for _ in range(5):  # Tab from the top of the page until the launcher has focus
        page.keyboard.press("Tab")
        if launcher.evaluate("el => el.getRootNode().activeElement === el"):
            break
    page.keyboard.press("Enter")

    dialog = page.get_by_role("dialog", name="Tell us what went wrong")
    expect(dialog).to_be_visible()
    frame = panel(page)
    expect(frame.get_by_text("Nobody gets into trouble")).to_be_visible()
    first_chip = frame.locator("input[name=category]").first
    expect(first_chip).to_be_focused()
    page.keyboard.press("Space")  # picks "Late or missing delivery"
    page.keyboard.press("Tab")
    page.keyboard.type("The parcel came two days late.")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("Priya Natarajan")
    page.keyboard.press("Tab")
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    apology = frame.get_by_test_id("apology")
    expect(apology).to_contain_text("Priya")
    expect(apology).to_contain_text("“The parcel came two days late”")
    expect(apology).to_contain_text("Dana Whitfield, Head of Care")
    expect(frame.get_by_role("heading", name="Thank you, Priya")).to_be_focused()

    with page.context.expect_page() as opened:
        frame.get_by_role("link", name="Follow what happens next").click()
    status = opened.value
    expect(status.get_by_test_id("description")).to_have_text("The parcel came two days late.")
    expect(status.get_by_role("heading", name="What happens next")).to_be_visible()

    mail = portal.smtp.inbox.wait_for(lambda m: email in m["To"])
    text = mail.get_body(("plain",)).get_content()
    assert status.url in text
    assert "The parcel came two days late" in text
    assert console_errors == []


def test_escape_closes_the_panel_and_focus_returns_to_the_launcher(portal, page: Page):
    site = portal.new_site()
    page.goto(portal.host_page(site))
    launcher = page.get_by_role("button", name=LAUNCHER)
    launcher.click()
    frame = panel(page)
    expect(frame.locator("input[name=category]").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert launcher.evaluate("el => el.getRootNode().activeElement === el")
    # The host page's hostile CSS did not reach the launcher inside its shadow root.
    assert launcher.evaluate("el => getComputedStyle(el).fontSize") != "40px"


def test_after_sending_tab_goes_round_the_panel_and_escape_still_closes(portal, page: Page, console_errors):
    site = portal.new_site()
    page.goto(portal.host_page(site))
    launcher = page.get_by_role("button", name=LAUNCHER)
    launcher.click()
    frame = panel(page)
    frame.get_by_label("What happened?").fill("The parcel came two days late.")
    frame.get_by_role("button", name="Send").click()
    expect(frame.get_by_role("heading", name="Thank you")).to_be_focused()

    close = page.get_by_role("button", name="Close")
    link = frame.get_by_role("link", name="Follow what happens next")
    send_choice = frame.get_by_role("button", name="Send my choice")
    # Forwards: every control of the panel (a radio group is one stop), the close button, and round again.
    for control in (link, frame.get_by_role("radio").first, frame.get_by_label("In your own words"), send_choice):
        page.keyboard.press("Tab")
        expect(control).to_be_focused()
        assert focused(page) != "close"
    page.keyboard.press("Tab")
    expect(close).to_be_focused()
    assert focused(page) == "close"
    page.keyboard.press("Tab")
    expect(link).to_be_focused()
    assert focused(page) == "a: Follow what happens next"
    # Backwards: from the first control to the close button, then to the last control.
    page.keyboard.press("Shift+Tab")
    expect(close).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(send_choice).to_be_focused()
    assert focused(page) == "button: Send my choice"

    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert launcher.evaluate("el => el.getRootNode().activeElement === el")
    assert console_errors == []


def test_invalid_email_is_explained_and_the_text_is_kept(portal, page: Page):
    site = portal.new_site()
    page.goto(portal.host_page(site))
    page.get_by_role("button", name=LAUNCHER).click()
    frame = panel(page)
    frame.get_by_label("What happened?").fill("Checkout spun forever")
    frame.get_by_label("Email, if you'd like a reply").fill("priya@")
    frame.get_by_role("button", name="Send").click()
    expect(frame.get_by_text("doesn't look like an email address")).to_be_visible()
    expect(frame.get_by_label("What happened?")).to_have_value("Checkout spun forever")


def test_xss_payloads_are_shown_as_text_in_panel_status_page_and_staff_queue(portal, page: Page):
    site = portal.new_site("XSS Shop")
    payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    name = "<b onmouseover=alert(3)>Eve</b>"
    page.goto(portal.host_page(site))
    page.get_by_role("button", name=LAUNCHER).click()
    frame = panel(page)
    frame.get_by_label("What happened?").fill(payload)
    frame.get_by_label("Your name").fill(name)
    frame.get_by_role("button", name="Send").click()
    expect(frame.get_by_test_id("apology")).to_contain_text("<img src=x")
    assert frame.locator("img, b, script:not([src])").count() == 0

    status_url = frame.get_by_role("link", name="Follow what happens next").get_attribute("href")
    page.goto(status_url)
    expect(page.get_by_test_id("description")).to_have_text(payload)
    assert page.locator("main img, main script").count() == 0

    # A lead of this site only: an admin's first page of the queue may be full of other tests' reports.
    portal.new_staff("xss-lead@mend.example", site, role="lead")
    portal.sign_in(page, "xss-lead@mend.example")
    row = page.get_by_test_id("queue-row").filter(has_text="XSS Shop").first
    expect(row).to_contain_text("<img src=x")
    expect(row).to_contain_text("<b onmouseover=alert(3)>Eve</b>")
    assert page.locator("table img, table b").count() == 0
    page.get_by_label("Site").select_option(label="XSS Shop")  # htmx swaps the rows
    expect(page).to_have_url(re.compile(rf"site={site.id}"))
    expect(page.get_by_test_id("queue-row")).to_have_count(1)


def test_without_javascript_the_fallback_page_takes_the_report(portal, browser):
    site = portal.new_site()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{portal.url}/w/{site.key}")
    page.get_by_text("Wrong charge").click()
    page.get_by_label("What happened?").fill("Charged twice, no JavaScript here")
    page.get_by_role("button", name="Send").click()
    expect(page).to_have_url(re.compile(r"/s/[\w-]{32}$"))
    expect(page.get_by_test_id("apology")).to_contain_text("Dana Whitfield")
    expect(page.get_by_test_id("description")).to_have_text("Charged twice, no JavaScript here")
    context.close()
