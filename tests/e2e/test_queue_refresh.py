"""The queue's 15-second refresh brings new reports in, and never while someone works in the rows."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.slow

REFRESH_MS = 16_000  # a little past the queue's 15 s poll


def report(portal, site, description: str) -> str:
    """A new report, as the widget sends it; returns its reference."""
    created = httpx.post(
        f"{portal.url}/api/v1/reports",
        json={"site_key": site.key, "category": "delivery", "description": description},
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


def test_a_refresh_waits_while_reports_are_ticked_and_the_bulk_action_still_works(portal, page: Page):
    site = portal.new_site("Refresh Shop")
    portal.new_staff("agent@refresh.example", site)
    first = report(portal, site, "first report")
    report(portal, site, "second report")
    page.clock.install()  # the page's timers, so the test moves time on instead of waiting for the poll
    portal.sign_in(page, "agent@refresh.example")
    rows = page.get_by_test_id("queue-row")
    expect(rows).to_have_count(2)

    # Nobody working in the list: the refresh brings the new report in.
    report(portal, site, "third report")
    with page.expect_response(lambda r: "/staff" in r.url and r.request.headers.get("hx-request") == "true"):
        page.clock.run_for(REFRESH_MS)
    expect(rows).to_have_count(3)

    # A ticked report: the refresh waits, says so, and the tick survives it.
    box = page.get_by_label(f"Select report {first}")
    box.check()
    report(portal, site, "fourth report")
    page.clock.run_for(REFRESH_MS)
    expect(page.get_by_text("Automatic refresh is paused while you work in the list.")).to_be_visible()
    expect(box).to_be_checked()
    expect(rows).to_have_count(3)

    page.get_by_role("button", name="Assign to me").click()
    expect(rows.filter(has_text="first report")).to_contain_text("agent")
    expect(rows).to_have_count(4)  # the page came back with everything, the fourth report too
    for other in ("second report", "third report", "fourth report"):
        expect(rows.filter(has_text=other)).not_to_contain_text("agent")


def test_refresh_now_brings_new_reports_in_on_demand(portal, page: Page):
    site = portal.new_site("Refresh Now Shop")
    portal.new_staff("agent@refresh-now.example", site)
    first = report(portal, site, "first report")
    page.clock.install()
    portal.sign_in(page, "agent@refresh-now.example")
    rows = page.get_by_test_id("queue-row")
    page.get_by_label(f"Select report {first}").check()
    report(portal, site, "second report")
    page.clock.run_for(REFRESH_MS)
    expect(rows).to_have_count(1)
    page.get_by_role("button", name="Refresh now").click()
    expect(rows).to_have_count(2)
    expect(page.get_by_text("Automatic refresh is paused")).to_be_hidden()
