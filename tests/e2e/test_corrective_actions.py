"""A quality lead takes a corrective action from three reports to a verified closure, and customers hear about it."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.slow

EGGS = [
    ("Half the eggs were broken when the bag arrived.", "ana@example.com"),
    ("Eggs cracked again, they were packed under the bottles.", "ana@example.com"),
    ("Three eggs broken in a box of six.", "bo@example.com"),
]


def report(portal, site, description: str, email: str) -> str:
    created = httpx.post(
        f"{portal.url}/api/v1/reports",
        json={
            "site_key": site.key,
            "category": "order",
            "description": description,
            "email": email,
            "page_url": f"{portal.host_origin}/shop.html",
        },
    )
    return created.json()["id"]


def move_to(page: Page, state: str) -> None:
    page.get_by_label("New state").select_option(label=state)
    page.get_by_role("button", name="Change state").click()


def test_lead_links_three_reports_verifies_reopens_and_closes_with_one_mail_each(portal, page: Page, browser):
    site = portal.new_site("Fresh Foods")
    portal.new_staff("lead@fresh.example", site, role="lead")
    refs = [report(portal, site, text, email) for text, email in EGGS]

    portal.sign_in(page, "lead@fresh.example")
    page.get_by_test_id("queue-row").filter(has_text="Half the eggs").get_by_role("link").first.click()
    page.get_by_label("Open a corrective action from this report").fill("Eggs arrive broken")
    page.get_by_role("button", name="Open it").click()
    expect(page.get_by_test_id("ca-state")).to_have_text("Open")
    for ref in refs[1:]:
        page.get_by_role("checkbox", name=re.compile(ref)).check()
    page.get_by_role("button", name="Link reports").click()
    expect(page.get_by_test_id("linked-report")).to_have_count(3)

    page.get_by_label("Problem statement").fill("Eggs arrive cracked because they are packed under heavy items.")
    page.get_by_label("Why? 1").fill("They were packed under bottles.")
    page.get_by_label("Why, then? 2").fill("The picking app has no fragile-last rule.")
    page.get_by_label("Corrective action").fill("Repack fragile items on top at dispatch.")
    page.get_by_label("Preventive action").fill("A fragile-last rule in the picking app.")
    page.get_by_label("For customers: what we changed").fill(
        "Our picking app now packs eggs and glass last, on top of everything else."
    )
    page.get_by_label("Show it in the widget").check()
    page.get_by_label("Public wording").fill("Some egg deliveries arrive cracked. We are changing how we pack them.")
    page.get_by_label("Only on pages matching").fill("/shop.html")
    page.get_by_role("button", name="Save").click()

    # A customer on the shop page sees the known issue and asks to hear when it is fixed.
    customer = browser.new_context().new_page()
    customer.goto(portal.host_page(site))
    customer.get_by_role("button", name="Something small went wrong?").click()
    panel = customer.frame_locator("iframe[title='Tell us what went wrong']")
    expect(panel.get_by_role("heading", name="We know about this and we are on it")).to_be_visible()
    expect(panel.get_by_test_id("known-issue")).to_contain_text("Some egg deliveries arrive cracked")
    panel.get_by_label("Your email").fill("cy@example.com")
    panel.get_by_role("button", name="Me too — tell me when it's fixed").click()
    expect(panel.get_by_test_id("me-too-done")).to_be_visible()
    customer.context.close()
    page.reload()
    expect(page.get_by_test_id("me-too-count")).to_have_text("1")

    for state in ("Investigating", "Action planned", "Implemented"):
        move_to(page, state)
    expect(page.get_by_test_id("ca-state")).to_have_text("Verifying")

    # During verification the failure comes back: linking the new report reopens the CA.
    recurring = report(portal, site, "Eggs broken again this week.", "dee@example.com")
    page.get_by_label("Or report references").fill(recurring)
    page.get_by_role("button", name="Link reports").click()
    expect(page.get_by_test_id("ca-state")).to_have_text("Reopened")
    expect(page.get_by_test_id("ca-event-recurrence")).to_be_visible()

    move_to(page, "Implemented")
    expect(page.get_by_test_id("ca-state")).to_have_text("Verifying")
    page.get_by_label("New state").select_option(label="Closed")
    page.get_by_role("button", name="Change state").click()
    expect(page.get_by_test_id("state-error")).to_contain_text("needs a reason")
    page.get_by_label("New state").select_option(label="Closed")
    page.get_by_label("Reason to close before the window ends").fill(
        "New trays since Monday; no breakage in 200 orders."
    )
    page.get_by_role("button", name="Change state").click()
    expect(page.get_by_test_id("ca-state")).to_have_text("Closed")

    def closure_to(address: str):
        return lambda m: address in m["To"] and "what we changed" in m["Subject"]

    for address in ("ana@example.com", "bo@example.com", "dee@example.com", "cy@example.com"):
        mail = portal.smtp.inbox.wait_for(closure_to(address))
        assert "Our picking app now packs eggs and glass last" in mail.get_body(("plain",)).get_content()
    for address in ("ana@example.com", "bo@example.com", "dee@example.com", "cy@example.com"):
        assert (
            len([m for m in portal.smtp.inbox.messages if closure_to(address)(m)]) == 1
        )  # Ana reported twice: still one mail
