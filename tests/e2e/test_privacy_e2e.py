"""A customer downloads what they told us and asks us to forget them from their status page, confirming from the
mailed link."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.slow


def test_a_customer_downloads_their_data_then_is_forgotten_from_the_mailed_link(portal, page: Page):
    site = portal.new_site("Privacy Shop")
    created = httpx.post(
        f"{portal.url}/api/v1/reports",
        json={
            "site_key": site.key,
            "category": "delivery",
            "description": "The kettle never came",
            "email": "lena@example.com",
            "name": "Lena Park",
        },
    )
    assert created.status_code == 201
    page.goto(created.json()["status_url"])

    with page.expect_download() as download:
        page.get_by_role("link", name="Download what you told us").click()
    data = json.loads(Path(download.value.path()).read_text())
    assert [r["description"] for r in data["reports"]] == ["The kettle never came"]

    page.get_by_role("button", name="Forget me").click()
    expect(page.get_by_test_id("forget-sent")).to_contain_text("Check your email")

    mail = portal.smtp.inbox.wait_for(lambda m: "lena@example.com" in m["To"] and "forget" in m["Subject"])
    link = re.search(r"(http\S+/s/forget/[\w-]+)", mail.get_body(("plain",)).get_content())
    assert link, "the mail has no confirmation link"
    page.goto(link.group(1))
    page.get_by_role("button", name="Yes, forget me").click()
    expect(page.get_by_test_id("erasure-receipt")).to_contain_text("We removed what you told us in 1 report.")

    page.get_by_role("link", name="Back to your status page").click()
    expect(page.get_by_test_id("data-removed")).to_be_visible()
    expect(page.get_by_text("The kettle never came")).to_have_count(0)
