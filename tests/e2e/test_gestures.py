"""A customer picks a small gesture in the widget, and a returning customer is offered more."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from portal.apologies import apology_texts
from portal.domain.identity import sign_customer
from tests.e2e.test_widget import panel

pytestmark = pytest.mark.slow


def test_customer_picks_a_gesture_in_the_widget_and_the_confirmation_is_mailed(portal, page: Page, console_errors):
    site = portal.new_site("Gesture Goods")
    page.goto(portal.host_page(site))
    page.get_by_role("button", name="Something small went wrong?").click()
    frame = panel(page)
    frame.get_by_text("Late or missing delivery").click()
    frame.get_by_label("What happened?").fill("The parcel sat at the depot for a week.")
    frame.get_by_label("Your name").fill("Ines Duarte")
    frame.get_by_label("Email, if you'd like a reply").fill("ines@example.com")
    frame.get_by_role("button", name="Send").click()

    expect(frame.get_by_role("heading", name="Could we do something small to make up for it?")).to_be_visible()
    expect(frame.get_by_role("radio", name="No thanks, just fix it")).to_be_visible()
    expect(frame.get_by_role("radio", name="Tell us what would make it right")).to_be_visible()
    frame.get_by_role("radio", name="A handwritten note").check()
    frame.get_by_role("button", name="Send my choice").click()
    confirmation = frame.get_by_test_id("gesture-confirmation")
    expect(confirmation).to_contain_text("You chose: A handwritten note.")
    expect(confirmation).to_contain_text("within 24 hours")
    expect(frame.get_by_role("heading", name="Thank you", exact=True)).to_be_focused()
    assert console_errors == []  # the panel's script kept up with the swaps: no status line written after it went

    mail = portal.smtp.inbox.wait_for(lambda m: "ines@example.com" in m["To"] and "A handwritten note" in m["Subject"])
    assert "You chose: A handwritten note." in mail.get_body(("plain",)).get_content()


def test_on_the_status_page_a_gesture_choice_is_confirmed_without_console_errors(portal, page: Page, console_errors):
    site = portal.new_site("Status Goods")
    response = httpx.post(
        f"{portal.url}/api/v1/reports",
        json={"site_key": site.key, "category": "delivery", "description": "The box was crushed."},
    )
    page.goto(response.json()["status_url"])
    page.get_by_role("radio", name="No thanks, just fix it").check()
    page.get_by_role("button", name="Send my choice").click()
    expect(page.get_by_role("heading", name="Noted")).to_be_focused()
    assert console_errors == []


def test_a_returning_customers_third_report_acknowledges_the_repeat_and_offers_a_higher_tier(portal, page: Page):
    site = portal.new_site("Repeat Goods")
    signed = {
        "customer-id": "cust-77",
        "customer-sig": sign_customer(site.secret, "cust-77"),
        "customer-email": "olu@example.com",
        "customer-name": "Olu Bello",
    }
    for description in ("First parcel was late.", "Second parcel was late too."):
        response = httpx.post(
            f"{portal.url}/api/v1/reports",
            json={
                "site_key": site.key,
                "category": "delivery",
                "description": description,
                "customer_id": signed["customer-id"],
                "customer_sig": signed["customer-sig"],
                "email": "olu@example.com",
            },
        )
        assert {g["tier"] for g in response.json()["gestures"]} == {"standard"}

    page.goto(portal.host_page(site, **signed))
    page.get_by_role("button", name="Something small went wrong?").click()
    frame = panel(page)
    frame.get_by_text("Late or missing delivery").click()
    frame.get_by_label("What happened?").fill("And a third late parcel.")
    frame.get_by_role("button", name="Send").click()

    apology = frame.get_by_test_id("apology")
    expect(apology).to_contain_text("Olu")
    assert any(line in apology.inner_text() for line in apology_texts("en").piling_up)
    # At risk: the offer rises a tier, so the elevated gesture for deliveries leads.
    elevated = frame.get_by_role("radio", name="A personal check of your next order")
    expect(elevated).to_be_visible()
    elevated.check()
    frame.get_by_role("button", name="Send my choice").click()
    expect(frame.get_by_test_id("gesture-confirmation")).to_contain_text("A personal check of your next order")
