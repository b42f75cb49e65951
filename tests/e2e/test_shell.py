"""The staff frame in a browser: one row on a laptop, a menu on a phone (with or without JavaScript), busy
buttons that send one request however often they are pressed, and charts that count in whole numbers."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.slow

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _admin(portal, page: Page, email: str, path: str = "/staff") -> None:
    portal.new_site("Shell Goods")
    portal.new_admin(email)
    portal.sign_in(page, email, path)


def _top(locator) -> float:
    return locator.bounding_box()["y"]


def test_the_bar_fits_one_row_on_a_laptop_and_folds_into_a_menu_on_a_phone(portal, page: Page):
    page.set_viewport_size(LAPTOP)
    _admin(portal, page, "shell-admin@shell.example")
    nav = page.get_by_role("navigation", name="Staff")
    expect(nav.get_by_role("link", name="Queue")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("Menu", exact=True)).to_be_hidden()
    row = [nav.get_by_role("link", name=name) for name in ("Queue", "Corrective actions", "Clocks", "People")]
    row += [page.get_by_test_id("duty"), page.locator("summary.person")]
    tops = {round(_top(item)) for item in row}
    assert max(tops) - min(tops) < 12, tops  # one row, not wrapped
    header = page.locator("header.topbar").bounding_box()
    assert header["height"] < 64, header

    page.set_viewport_size(PHONE)
    expect(nav.get_by_role("link", name="Trends")).to_be_hidden()
    menu = page.get_by_text("Menu", exact=True)
    menu.click()
    expect(nav.get_by_role("link", name="Trends")).to_be_visible()
    page.keyboard.press("Escape")  # nav.js: Escape closes it and gives focus back to its button
    expect(nav.get_by_role("link", name="Trends")).to_be_hidden()
    expect(menu).to_be_focused()
    menu.click()
    page.mouse.click(PHONE["width"] / 2, PHONE["height"] - 10)  # a click elsewhere (under the menu) closes it
    expect(nav.get_by_role("link", name="Trends")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_without_javascript_the_phone_menu_and_the_person_menu_still_open(portal, browser: Browser):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    _admin(portal, page, "shell-nojs@shell.example")
    page.get_by_text("Menu", exact=True).click()
    page.get_by_role("link", name="Clocks").click()
    expect(page).to_have_url(f"{portal.url}/staff/adherence")
    page.locator("summary.person").click()
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    context.close()


def _press(page: Page, box) -> None:
    """A press where a person's pointer is (`box`: the button's); Playwright's click would refuse an
    aria-disabled button, and its locators wait for a pending navigation, which a person does not."""
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_a_submit_button_pressed_again_while_busy_sends_one_request(portal, page: Page):
    _admin(portal, page, "shell-double@shell.example")
    held: list = []
    page.route(f"{portal.url}/staff/duty", lambda route: held.append(route))  # a slow server: no answer yet
    duty = page.get_by_test_id("duty")
    box = duty.bounding_box()
    with page.expect_request(f"{portal.url}/staff/duty"):
        _press(page, box)
    _press(page, box)
    held[0].continue_()
    # A second submission would have replaced the first navigation, and waited on its held request for ever.
    expect(duty).to_have_text("On duty: end shift")
    assert len(held) == 1


def test_an_htmx_form_shows_it_is_busy_until_its_answer_comes(portal, page: Page):
    """The widget's Send on a slow network: busy, announced, and one report however often it is pressed."""
    site = portal.new_site("Busy Goods")
    held: list = []
    page.route(
        f"{portal.url}/w/{site.key}",
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    page.goto(f"{portal.url}/w/{site.key}")
    page.get_by_text("Wrong charge").click()
    page.get_by_label("What happened?").fill("Charged twice.")
    send = page.get_by_role("button", name="Send")
    with page.expect_request(lambda request: request.method == "POST"):
        send.click()
    expect(send).to_have_attribute("aria-busy", "true")
    expect(page.get_by_role("status").filter(has_text="Working…")).to_be_attached()
    _press(page, send.bounding_box())
    held[0].continue_()
    expect(page.get_by_test_id("apology")).to_be_visible()
    assert len(held) == 1


def test_an_export_link_says_it_is_preparing(portal, page: Page):
    _admin(portal, page, "shell-export@shell.example", "/staff/trends")
    link = page.locator("a[download][href^='/staff/export/reports.csv']")
    with page.expect_download() as download:
        link.click()
    expect(link).to_have_attribute("aria-busy", "true")
    expect(link).to_have_attribute("data-busy-text", "Preparing…")  # shown after the link's text by mend.css
    expect(page.get_by_role("status").filter(has_text="Preparing…")).to_be_attached()
    assert download.value.suggested_filename == "mend-reports.csv"
    expect(link).not_to_have_attribute("aria-busy", "true", timeout=8000)


def test_charts_tick_in_whole_numbers_with_their_numbers_folded_underneath(portal, page: Page):
    site = portal.new_site("Chart Goods")
    portal.new_staff("charts@chart.example", site, role="lead")
    for location in ("North", "North", "South"):
        httpx.post(
            f"{portal.url}/api/v1/reports",
            json={"site_key": site.key, "category": "delivery", "description": "Late.", "location": location},
        )
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    portal.sign_in(page, "charts@chart.example", f"/staff/trends?site={site.id}")
    canvas = page.locator("canvas[data-chart='locations-data']")
    expect(canvas).to_be_visible()
    ticks = page.evaluate(
        "() => Chart.getChart(document.querySelector(\"canvas[data-chart='locations-data']\")).scales.x.ticks.map(t => t.value)"
    )
    assert ticks == [0, 1, 2], ticks  # whole reports: two in the North, one in the South
    table = page.get_by_test_id("table-locations")
    expect(table).to_be_hidden()
    figure = page.locator("figure", has=canvas)
    figure.get_by_text("Show the numbers").click()
    expect(table).to_be_visible()
    assert table.bounding_box()["y"] > canvas.bounding_box()["y"]
    expect(table).to_contain_text("North")
    assert not errors, errors
