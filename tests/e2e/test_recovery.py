"""An agent recovers a customer: update by mail and status page, and the customer's answer."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.slow


def test_agent_update_reaches_the_customer_and_their_reply_reaches_the_agent(portal, page: Page, browser):
    site = portal.new_site("Recovery Shop")
    portal.new_staff("agent@recovery.example", site)
    created = httpx.post(
        f"{portal.url}/api/v1/reports",
        json={
            "site_key": site.key,
            "category": "delivery",
            "description": "Parcel never came",
            "email": "leo@example.com",
            "name": "Leo Park",
        },
    ).json()

    portal.sign_in(page, "agent@recovery.example")
    # The most urgent report is at the top: the agent takes it.
    expect(page.get_by_test_id("queue-row").first).to_contain_text("Parcel never came")
    page.get_by_test_id("queue-row").first.get_by_role("link").click()
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_test_id("event-assign")).to_contain_text("took it")
    page.get_by_label("New state").select_option("in_progress")
    page.get_by_role("button", name="Change state").click()
    expect(page.get_by_test_id("event-state")).to_contain_text("In progress")

    update = "I found your parcel at our depot. It goes out with the first van tomorrow."
    page.get_by_label("Message").fill(update)
    page.get_by_role("button", name="Send update").click()
    expect(page.get_by_test_id("event-update")).to_contain_text(update)

    mail = portal.smtp.inbox.wait_for(lambda m: "leo@example.com" in m["To"] and "update" in m["Subject"])
    assert update in mail.get_body(("plain",)).get_content()

    customer = browser.new_context().new_page()
    customer.goto(created["status_url"])
    expect(customer.get_by_test_id("event-update")).to_contain_text(update)
    customer.get_by_label("Anything to add").fill("Thank you! I'll be home all morning.")
    customer.get_by_role("button", name="Send to the team").click()
    expect(customer.get_by_test_id("event-reply")).to_contain_text("home all morning")
    customer.context.close()

    page.reload()
    expect(page.get_by_test_id("event-reply")).to_contain_text("The customer replied")
    expect(page.get_by_test_id("event-reply")).to_contain_text("home all morning")
