"""Single sign-on in a browser, against a real OpenID provider (oidc-provider on Node): its own login and
consent pages, then back to Mend."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.slow


def sign_in_at_provider(sso_portal, page: Page, email: str) -> list[str]:
    """From a staff page, follow "Sign in with …" and sign in at the provider as `email`; returns the
    callback URLs the browser was sent to (to replay them)."""
    callbacks: list[str] = []
    page.on("request", lambda r: r.url.startswith(f"{sso_portal.url}/staff/sso/callback") and callbacks.append(r.url))
    # The provider's development pages import a web font; nothing here may leave the machine.
    page.context.route(re.compile(r"^https://fonts\."), lambda route: route.abort())
    page.goto(f"{sso_portal.url}/staff")
    page.get_by_role("link", name="Sign in with 127.0.0.1").click()
    page.locator('input[name="login"]').fill(email)
    page.locator('input[name="password"]').fill("anything")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()
    return callbacks


def test_staff_member_signs_in_with_the_provider_and_lands_on_the_queue(sso_portal, page: Page):
    site = sso_portal.new_site("SSO Goods")
    sso_portal.new_staff("agent@sso-goods.example", site)
    sign_in_at_provider(sso_portal, page, "agent@sso-goods.example")
    expect(page).to_have_url(f"{sso_portal.url}/staff")
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()


def test_an_unknown_email_is_refused(sso_portal, page: Page):
    sign_in_at_provider(sso_portal, page, "stranger@nowhere.example")
    expect(page.get_by_role("alert")).to_have_text(
        "There is no Mend account for stranger@nowhere.example. Ask an admin to invite you."
    )
    page.goto(f"{sso_portal.url}/staff")
    expect(page).to_have_url(re.compile(r"/staff/login"))


def test_someone_from_an_allowed_domain_joins_as_an_agent_without_sites(sso_portal, page: Page):
    sign_in_at_provider(sso_portal, page, "newcomer-e2e@partner.example")
    expect(page.get_by_role("heading", name="Welcome to Mend")).to_be_visible()
    expect(page.get_by_text("you joined as an agent")).to_be_visible()
    page.get_by_role("link", name="Go to the queue").click()
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    expect(page.get_by_test_id("queue-row")).to_have_count(0)


def test_replaying_the_callback_is_refused(sso_portal, page: Page, browser):
    site = sso_portal.new_site("Replay Goods")
    sso_portal.new_staff("agent@replay-goods.example", site)
    [callback] = sign_in_at_provider(sso_portal, page, "agent@replay-goods.example")
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    # The same browser, the same code, state and nonce: that sign-in is over.
    page.goto(callback)
    expect(page.get_by_role("alert")).to_contain_text("expired or was already used")
    # Another browser that picked up the URL gets nowhere either.
    other = browser.new_context()
    try:
        stranger = other.new_page()
        stranger.goto(callback)
        expect(stranger.get_by_role("alert")).to_contain_text("expired or was already used")
        stranger.goto(f"{sso_portal.url}/staff")
        expect(stranger).to_have_url(re.compile(r"/staff/login"))
    finally:
        other.close()
