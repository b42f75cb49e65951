"""An admin writes an apology template: the live preview flags defensive wording, and publishing is refused."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.slow


def test_a_template_with_our_policy_is_refused_with_the_explanation(portal, page: Page):
    site = portal.new_site("Template Shop")
    portal.new_admin("templates@mend.example")
    portal.sign_in(page, "templates@mend.example", f"/staff/sites/{site.id}/templates")

    page.get_by_label("Wording").fill("Hi {name}, our policy is to ship within five days. Sorry for any inconvenience.")
    findings = page.get_by_test_id("template-findings")
    expect(findings).to_contain_text("our policy")  # the live preview, as the admin types
    expect(page.get_by_test_id("template-sample")).to_contain_text("Hi Alex,")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Not published")).to_be_visible()
    expect(page.get_by_test_id("template-findings")).to_contain_text("Quoting policy argues the case")
    expect(page.get_by_test_id("template-row")).to_have_count(0)

    page.get_by_label("Wording").fill("Hi {name}, I'm sorry: {category} is on us. We're fixing it today.")
    expect(page.get_by_test_id("template-clean")).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_test_id("template-row")).to_contain_text("published")
