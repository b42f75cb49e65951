"""The panel when its answer carries no form: the database is away, or what was sent could not be read.
The server's side of each is tested in tests/integration/test_hardening.py; here, what the customer sees."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import FrameLocator, Page, Route, expect

from tests.e2e.test_widget import LAUNCHER, panel

pytestmark = pytest.mark.slow


def answer_posts_with(page: Page, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
    """The panel's POST gets this JSON error, as the portal sends it; every other request goes through."""

    def handle(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        body = json.dumps({"status_code": status, "detail": detail})
        route.fulfill(status=status, body=body, content_type="application/json", headers=headers or {})

    page.route("**/w/*", handle)


def send_from_panel(page: Page, host_page: str, text: str) -> FrameLocator:
    """Open the widget on the shop's page and send a report, as a customer does; the panel it left open."""
    page.goto(host_page)
    page.get_by_role("button", name=LAUNCHER).click()
    frame = panel(page)
    frame.get_by_label("What happened?").fill(text)
    frame.get_by_role("button", name="Send").click()
    return frame


def test_database_away_keeps_the_text_and_says_to_try_again(portal, page: Page):
    site = portal.new_site()
    answer_posts_with(page, 503, "database away", {"Retry-After": "30"})
    frame = send_from_panel(page, portal.host_page(site), "The coupon vanished at checkout")
    expect(frame.locator("form").get_by_role("status")).to_have_text(
        "We could not save this just now. Your text is still here; please try again in a minute."
    )
    expect(frame.get_by_label("What happened?")).to_have_value("The coupon vanished at checkout")


def test_a_gesture_choice_that_fails_on_our_side_says_so_in_the_panel(portal, page: Page):
    site = portal.new_site()
    frame = send_from_panel(page, portal.host_page(site), "The parcel came two days late.")
    gesture = frame.locator("#gesture")
    expect(gesture.get_by_role("radio", name="No thanks, just fix it")).to_be_visible()

    # The choice meets a server error, answered as the portal answers one: JSON with a reference to quote.
    body = json.dumps({"status_code": 500, "detail": "internal", "extra": {"request_id": "5f2c9a1b7e03"}})
    page.route("**/s/*/gesture", lambda route: route.fulfill(status=500, body=body, content_type="application/json"))
    gesture.get_by_role("radio", name="Tell us what would make it right").check()
    gesture.get_by_label("In your own words").fill("A call from a person")
    gesture.get_by_role("button", name="Send my choice").click()
    expect(gesture.get_by_role("status")).to_have_text(
        "Sorry, something went wrong on our side and nothing was sent. Your text is still here; "
        "please try again in a moment. (5f2c9a1b7e03)"
    )
    expect(gesture.get_by_label("In your own words")).to_have_value("A call from a person")

    # Sent again once the server is back, the choice goes through.
    page.unroute("**/s/*/gesture")
    gesture.get_by_role("button", name="Send my choice").click()
    expect(frame.get_by_test_id("gesture-confirmation")).to_contain_text("A call from a person")


def test_unreadable_input_shows_why_and_keeps_the_form(portal, page: Page):
    site = portal.new_site()
    answer_posts_with(page, 400, "What was sent contains a character we can't store (a NUL byte).")
    frame = send_from_panel(page, portal.host_page(site), "Odd characters")
    expect(frame.locator("form").get_by_role("status")).to_have_text(
        "What was sent contains a character we can't store (a NUL byte)."
    )
    expect(frame.get_by_label("What happened?")).to_have_value("Odd characters")
