"""The report page and a CA as a browser shows them: findings beside the text and focused, line breaks
visible, and a CA move that asks for what it needs in itself."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.models import Report

pytestmark = pytest.mark.slow

# How many lines an element's text takes on screen.
LINES = """element => {
  const range = document.createRange();
  range.selectNodeContents(element);
  return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
}"""


def new_report(portal, site, description: str) -> tuple[int, str]:
    """A report sent through the API: its id on the staff pages and the customer's status page."""
    created = httpx.post(
        f"{portal.url}/api/v1/reports",
        json={"site_key": site.key, "category": "order", "description": description, "email": "ana@example.com"},
    ).json()
    report_id = portal.run(lambda s: s.scalar(select(Report.id).where(Report.ref == created["id"])))
    return report_id, created["status_url"]


def test_flagged_wording_shows_its_findings_beside_the_text_with_the_focus(portal, page: Page):
    site = portal.new_site("Findings Foods")
    portal.new_staff("agent@findings.example", site)
    report_id, _status = new_report(portal, site, "The parcel came two days late.")
    page.set_viewport_size({"width": 1280, "height": 800})
    portal.sign_in(page, "agent@findings.example", f"/staff/reports/{report_id}")
    typed = "As stated before, our policy is to ship within five days.\nSorry for any inconvenience."
    page.get_by_label("Message").fill(typed)
    page.get_by_role("button", name="Send update").click()

    findings = page.get_by_test_id("findings")
    expect(findings).to_be_focused()
    expect(findings).to_be_in_viewport()
    expect(findings).to_contain_text("our policy")
    expect(page.get_by_label("Message")).to_have_value(typed)
    expect(page.get_by_label("Message")).to_be_in_viewport()
    assert page.url.endswith(f"/staff/reports/{report_id}")  # htmx swapped the form; the page stayed

    page.get_by_label("Reason to send anyway").fill("They asked for the exact policy wording.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_test_id("update-sent")).to_be_visible()
    expect(page.locator("#timeline").get_by_test_id("message")).to_have_text(typed)


def test_multi_line_descriptions_show_on_two_lines_for_staff_and_customer(portal, page: Page):
    site = portal.new_site("Lines Foods")
    portal.new_staff("agent@lines.example", site)
    report_id, status_url = new_report(portal, site, "line one\nline two")
    portal.sign_in(page, "agent@lines.example", f"/staff/reports/{report_id}")
    for url in (f"{portal.url}/staff/reports/{report_id}", status_url):
        page.goto(url)
        description = page.get_by_test_id("description")
        expect(description).to_have_text("line one\nline two")
        assert description.evaluate(LINES) == 2, url


def test_a_ca_from_a_report_moves_at_once_and_its_next_move_asks_for_what_it_needs(portal, page: Page):
    site = portal.new_site("Move Foods")
    portal.new_staff("lead@move.example", site, role="lead")
    eggs = "Half the eggs were broken when the bag arrived. The box was under two bottles of milk."
    report_id, _status = new_report(portal, site, eggs)
    portal.sign_in(page, "lead@move.example", f"/staff/reports/{report_id}")
    title = page.get_by_label("Open a corrective action from this report")
    expect(title).to_have_value("Wrong or damaged item: Half the eggs were broken when the bag arrived.")
    page.get_by_role("button", name="Open it").click()
    expect(page.get_by_label("Problem statement")).to_contain_text("Half the eggs were broken")

    move = page.locator("#move")
    move.get_by_role("button", name="Change state").click()  # Investigating: everything it needs is there
    expect(page.get_by_test_id("ca-state")).to_have_text("Investigating")

    move.get_by_label("New state").select_option(label="Implemented")
    expect(move.get_by_label("Preventive action")).to_be_visible()  # asked in the move itself
    move.get_by_label("New state").select_option(label="Action planned")
    expect(move.get_by_label("Preventive action")).to_have_count(0)
    move.get_by_label("Why? 1").fill("The eggs were packed under bottles.")
    move.get_by_role("button", name="Change state").click()
    expect(page.get_by_test_id("state-error")).to_contain_text("the corrective action")
    expect(page.get_by_test_id("state-error")).to_be_in_viewport()
    assert page.url.endswith("?move=action_planned#move")
    expect(move.get_by_label("Why? 1")).to_have_count(0)  # kept: only the missing field is asked for
    move.get_by_label("Corrective action").fill("Pack eggs last, on top.")
    move.get_by_role("button", name="Change state").click()
    expect(page.get_by_test_id("ca-state")).to_have_text("Action planned")

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("ca-saved")).to_have_text("Saved.")
    expect(page.get_by_test_id("ca-saved")).to_be_in_viewport()
