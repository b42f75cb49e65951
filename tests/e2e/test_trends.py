"""The trends page in a browser: Chart.js draws under the strict CSP, and each chart's numbers are in a table."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.slow


def test_trends_charts_draw_and_carry_their_tables(portal, page: Page):
    site = portal.new_site("Trend Goods")
    portal.new_staff("trends@trend.example", site, role="lead")
    for location in ("North", "North", "South"):
        httpx.post(
            f"{portal.url}/api/v1/reports",
            json={
                "site_key": site.key,
                "category": "delivery",
                "description": "Late.",
                "location": location,
                "busy": 95,
                "tz_offset_min": 60,
            },
        )
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    portal.sign_in(page, "trends@trend.example", "/staff/trends")
    page.get_by_label("Site", exact=True).select_option(label="Trend Goods")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("total")).to_have_text("3")
    expect(page.get_by_test_id("table-locations")).to_contain_text("North")
    drawn = page.locator("canvas[data-chart='locations-data']")
    expect(drawn).to_be_visible()
    assert page.evaluate(
        "() => Boolean(Chart.getChart(document.querySelector(\"canvas[data-chart='locations-data']\")))"
    )
    assert "site=" in page.url
    assert "from=" in page.url
    assert not errors, errors
