"""A customer answers "Did we make it right?" from the wrap-up mail; a poor answer puts the report back in front of
the agent with fresh clocks, and the site's lead hears of it by mail."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.slow


def test_a_poor_answer_from_the_wrap_up_link_reopens_the_report_and_alerts_the_lead(portal, page: Page, browser):
    site = portal.new_site("Rating Shop")
    portal.new_staff("agent@rating.example", site)
    portal.new_staff("lead@rating.example", site, role="lead")
    created = httpx.post(
        f"{portal.url}/api/v1/reports",
        json={
            "site_key": site.key,
            "category": "delivery",
            "description": "The lamp arrived broken",
            "email": "mia@example.com",
            "name": "Mia Chen",
        },
    )
    assert created.status_code == 201

    portal.sign_in(page, "agent@rating.example")
    page.get_by_test_id("queue-row").first.get_by_role("link").click()
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_test_id("event-assign")).to_contain_text("took it")
    page.get_by_label("New state").select_option("fixed")
    page.get_by_role("button", name="Change state").click()
    expect(page.get_by_test_id("event-state")).to_contain_text("Fixed for the customer")

    wrapup = portal.smtp.inbox.wait_for(lambda m: "mia@example.com" in m["To"] and "sorted" in m["Subject"])
    link = re.search(r"(http\S+/rating)\b", wrapup.get_body(("plain",)).get_content())
    assert link, "the wrap-up mail has no rating link"

    customer = browser.new_context().new_page()
    customer.goto(link.group(1))
    customer.get_by_label("Not at all").check()
    customer.get_by_label("What would have made it better?").fill("A lamp that works, not a refund form.")
    customer.get_by_label("No", exact=True).check()
    customer.get_by_role("button", name="Send my answer").click()
    expect(customer.get_by_test_id("rating-answer")).to_contain_text("Not at all (1 of 5)")
    expect(customer.get_by_test_id("event-rating")).to_contain_text("A lamp that works")
    customer.context.close()

    page.goto(f"{portal.url}/staff")
    row = page.get_by_test_id("queue-row").filter(has_text="The lamp arrived broken")
    expect(row).to_contain_text("in progress")
    expect(row.get_by_test_id("clock")).to_contain_text(re.compile(r"(1\d|20) min left for first follow-up"))

    alert = portal.smtp.inbox.wait_for(lambda m: "lead@rating.example" in m["To"] and "open again" in m["Subject"])
    body = alert.get_body(("plain",)).get_content()
    assert "1 of 5 (Not at all)" in body
    assert "A lamp that works, not a refund form." in body
