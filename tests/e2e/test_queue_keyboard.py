"""Keyboard shortcuts on the queue and the report page: announced, explained, optional, and out of the way."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_queue_refresh import report

pytestmark = pytest.mark.slow


def test_j_j_a_assigns_the_second_report_to_me_and_question_mark_explains(portal, page: Page):
    site = portal.new_site("Keys Shop")
    portal.new_staff("agent@keys.example", site)
    for description in ("first report", "second report", "third report"):
        report(portal, site, description)
    portal.sign_in(page, "agent@keys.example")
    rows = page.get_by_test_id("queue-row")
    expect(rows).to_have_count(3)
    expect(page.get_by_role("button", name="Keyboard shortcuts: press ? for help")).to_be_attached()

    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_attribute("aria-current", "true")
    expect(rows.nth(1).locator("[data-row-link]")).to_be_focused()
    page.keyboard.press("a")
    expect(rows.filter(has_text="second report")).to_contain_text("agent")
    for other in ("first report", "third report"):
        expect(rows.filter(has_text=other)).not_to_contain_text("agent")
    expect(rows.nth(1)).to_have_attribute("aria-current", "true")  # the selection is where it was

    page.keyboard.press("e")  # acts on the selected row only
    expect(rows.filter(has_text="second report")).to_contain_text("acknowledged")
    expect(rows.filter(has_text="first report")).to_contain_text("new")

    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Assign the selected report to me")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    page.keyboard.press("k")
    expect(rows.nth(0)).to_have_attribute("aria-current", "true")
    page.keyboard.press("o")
    expect(page).to_have_url(re.compile(r"/staff/reports/\d+$"))
    expect(page.get_by_test_id("description")).to_have_text("first report")


def test_shortcuts_stay_out_of_typing_and_modifiers_and_can_be_turned_off(portal, page: Page):
    site = portal.new_site("Quiet Keys Shop")
    portal.new_staff("agent@quiet-keys.example", site)
    report(portal, site, "only report")
    portal.sign_in(page, "agent@quiet-keys.example")
    row = page.get_by_test_id("queue-row")
    expect(row).to_have_count(1)

    page.get_by_label("Category").focus()
    page.keyboard.press("j")  # a select's own type-ahead, not a shortcut
    page.keyboard.press("Control+j")
    expect(row).not_to_have_attribute("aria-current", "true")

    hint = page.get_by_role("button", name="Keyboard shortcuts: press ? for help")
    hint.focus()  # hidden from sight until focused, like a skip link
    expect(hint).to_be_visible()
    page.keyboard.press("Enter")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    help_dialog.get_by_label("Use single-key shortcuts").uncheck()
    help_dialog.get_by_role("button", name="Close").click()
    page.reload()  # the choice is kept
    page.keyboard.press("j")
    page.keyboard.press("?")
    expect(row).not_to_have_attribute("aria-current", "true")
    expect(help_dialog).to_be_hidden()


def test_e_acknowledges_and_a_assigns_on_the_report_page_but_not_while_typing(portal, page: Page):
    site = portal.new_site("Report Keys Shop")
    portal.new_staff("agent@report-keys.example", site)
    report(portal, site, "a report to acknowledge")
    portal.sign_in(page, "agent@report-keys.example")
    page.get_by_test_id("queue-row").get_by_role("link").click()
    expect(page.get_by_test_id("description")).to_have_text("a report to acknowledge")

    message = page.get_by_label("Message")
    message.click()
    page.keyboard.type("We are on it")  # the "e"s and the "a" are letters here
    expect(message).to_have_value("We are on it")
    expect(page.get_by_test_id("assignee")).to_contain_text("nobody")

    page.locator("body").click(position={"x": 1, "y": 1})  # out of the field
    page.keyboard.press("e")
    expect(page.get_by_test_id("event-state")).to_contain_text("Acknowledged")
    page.keyboard.press("a")
    expect(page.get_by_test_id("assignee")).to_contain_text("Assigned to agent")
