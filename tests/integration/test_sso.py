"""Single sign-on against a real OpenID provider (oidc-provider on Node), its pages followed with httpx."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from portal.app import create_app
from portal.domain.sso import SsoRefused
from portal.mail import Mail
from portal.models import OutboxMail, Staff
from portal.services import invites, sso
from portal.settings import Settings, SettingsError
from tests.conftest import BASE_URL, PASSWORD, add_staff, csrf_token, login, make_settings
from tests.html import every, one, text
from tests.oidc.provider import CLIENT_ID, CLIENT_SECRET, OidcProvider
from tests.smtp import free_port

AUTO_JOIN = "partner.example"


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with OidcProvider(f"{BASE_URL}/staff/sso/callback") as running:
        yield running


@pytest.fixture
def settings(database_url: str, provider: OidcProvider) -> Settings:
    """The test settings, signing in through the provider; people at partner.example may join."""
    return make_settings(
        database_url,
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_auto_join_domains=(AUTO_JOIN,),
    )


async def at_provider(client, email: str, next: str = "/staff") -> str:
    """Start single sign-on in the portal, sign in at the provider as `email` (its login and consent pages,
    as a browser fills them) and return the callback URL the provider sends the browser back to."""
    start = await client.get(f"/staff/sso/start?{urlencode({'next': next})}", follow_redirects=False)
    assert start.status_code == 303, start.text
    url = start.headers["location"]
    async with httpx.AsyncClient() as browser:  # keeps the provider's own cookies
        while not url.startswith(BASE_URL):
            response = await browser.get(url)
            if not response.is_redirect:
                form = one(response.text, "form")
                url = urljoin(url, str(form["action"]))
                fields = {str(field["name"]): str(field.get("value", "")) for field in every(form, "input[name]")}
                if fields["prompt"] == "login":
                    fields.update(login=email, password="anything")
                response = await browser.post(url, data=fields)
                assert response.is_redirect, response.text
            url = urljoin(url, response.headers["location"])
    return url.removeprefix(BASE_URL)


async def signed_in(client) -> bool:
    return (await client.get("/staff", follow_redirects=False)).status_code == 200


def notice(response: httpx.Response) -> str:
    return text(one(response.text, '[role="alert"]'))


async def test_login_page_offers_the_provider_beside_the_password_form(client, provider):
    page = (await client.get("/staff/login?next=/staff/mail")).text
    button = one(page, 'a[href^="/staff/sso/start"]')
    assert text(button) == "Sign in with 127.0.0.1"
    assert button["href"] == "/staff/sso/start?next=/staff/mail"
    one(page, 'form[action="/staff/login"] input[name="password"]')


async def test_known_staff_member_signs_in_and_lands_where_they_were_going(client, session, site):
    await add_staff(session, "agent@shop.example", "agent", [site])
    callback = await at_provider(client, "Agent@Shop.example", next="/staff/mail")
    # The provider sends back the code, the state and (RFC 9207) its own name; PKCE kept the code bound to us.
    assert set(parse_qs(urlsplit(callback).query)) >= {"code", "state"}
    response = await client.get(callback, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/staff/mail")
    assert await signed_in(client)
    # A session like a password gives: signing out ends it.
    await client.post("/staff/logout", data={"_csrf_token": csrf_token((await client.get("/staff")).text)})
    assert not await signed_in(client)


async def test_unknown_email_is_refused_and_no_account_is_made(client, session):
    response = await client.get(await at_provider(client, "stranger@elsewhere.example"), follow_redirects=False)
    assert response.status_code == 403
    assert "There is no Mend account for stranger@elsewhere.example" in notice(response)
    assert not await signed_in(client)
    assert await session.scalar(select(Staff).where(Staff.email == "stranger@elsewhere.example")) is None


async def test_someone_from_an_allowed_domain_joins_as_an_agent_on_no_site(client, session, site):
    response = await client.get(await at_provider(client, "newcomer@partner.example"), follow_redirects=False)
    assert response.status_code == 200
    assert "An admin will place you on the sites you work for" in text(one(response.text, "main"))
    staff = await session.scalar(select(Staff).where(Staff.email == "newcomer@partner.example"))
    assert (staff.role, staff.sites, staff.name) == ("agent", [], "Test newcomer")
    assert await signed_in(client)
    # Joining makes no password anyone knows: only single sign-on opens the account.
    client.cookies.clear()
    token = csrf_token((await client.get("/staff/login")).text)
    for guess in ("", PASSWORD, "no such account"):
        tried = await client.post(
            "/staff/login", data={"email": "newcomer@partner.example", "password": guess, "_csrf_token": token}
        )
        assert tried.status_code == 400


async def test_a_subdomain_of_an_allowed_domain_may_not_join(client, session):
    response = await client.get(await at_provider(client, "someone@evil.partner.example"), follow_redirects=False)
    assert response.status_code == 403
    assert await session.scalar(select(Staff).where(Staff.email == "someone@evil.partner.example")) is None


async def test_an_unverified_email_is_refused_even_for_existing_staff(client, session, site):
    await add_staff(session, "unverified@shop.example", "agent", [site])
    response = await client.get(await at_provider(client, "unverified@shop.example"), follow_redirects=False)
    assert response.status_code == 403
    assert "has not verified unverified@shop.example" in notice(response)
    assert not await signed_in(client)


async def test_a_deactivated_staff_member_is_refused(client, session, site):
    staff = await add_staff(session, "gone@partner.example", "agent", [site])
    staff.is_active = False
    await session.commit()
    response = await client.get(await at_provider(client, "gone@partner.example"), follow_redirects=False)
    assert response.status_code == 403
    assert "has been deactivated" in notice(response)
    assert not await signed_in(client)


async def test_a_replayed_callback_is_refused(client, session, site, app):
    await add_staff(session, "agent@shop.example", "agent", [site])
    callback = await at_provider(client, "agent@shop.example")
    started = dict(client.cookies)  # the cookie that carries the state, the nonce and the PKCE verifier
    assert (await client.get(callback, follow_redirects=False)).status_code == 303
    # The same browser again: the sign-in it started is finished.
    again = await client.get(callback, follow_redirects=False)
    assert again.status_code == 400
    assert "expired or was already used" in notice(again)
    # Another browser with a copy of the first cookie: the provider will not take the code twice.
    client.cookies.clear()
    client.cookies.update(started)
    copied = await client.get(callback, follow_redirects=False)
    assert copied.status_code == 400
    assert not await signed_in(client)


async def test_an_id_token_and_its_nonce_are_accepted_once(client, session, site, settings, monkeypatch):
    await add_staff(session, "agent@shop.example", "agent", [site])
    seen: list[tuple[str, str]] = []
    accept = sso.accept_id_token

    async def keep(session, settings, id_token, *, nonce, **more):
        seen.append((id_token, nonce))
        return await accept(session, settings, id_token, nonce=nonce, **more)

    monkeypatch.setattr(sso, "accept_id_token", keep)
    assert (await client.get(await at_provider(client, "agent@shop.example"), follow_redirects=False)).is_redirect
    [(id_token, nonce)] = seen
    with pytest.raises(SsoRefused, match="already used"):
        await accept(session, settings, id_token, nonce=nonce)


async def test_a_forged_or_misdirected_id_token_is_refused(client, session, site, settings, monkeypatch):
    await add_staff(session, "agent@shop.example", "agent", [site])
    seen: list[str] = []
    accept = sso.accept_id_token

    async def keep(session, settings, id_token, *, nonce, **more):
        seen.append(id_token)
        raise SsoRefused("kept for the test")

    monkeypatch.setattr(sso, "accept_id_token", keep)
    await client.get(await at_provider(client, "agent@shop.example"), follow_redirects=False)
    [id_token] = seen
    header, payload, signature = id_token.split(".")
    forged = f"{header}.{payload}.{signature[:-6]}{'A' if signature[-6] != 'A' else 'B'}{signature[-5:]}"
    nonce = json.loads(base64.urlsafe_b64decode(payload + "=="))["nonce"]
    other_client = make_settings(
        settings.database_url, oidc_issuer=settings.oidc_issuer, oidc_client_id="another", oidc_client_secret="x"
    )
    for token, nonce_sent, for_settings in (
        (forged, nonce, settings),  # signature
        (id_token, "another nonce", settings),  # minted for another sign-in
        (id_token, nonce, other_client),  # audience: another client's token
    ):
        with pytest.raises(SsoRefused, match="could not be verified"):
            await accept(session, for_settings, token, nonce=nonce_sent)
    # None of those used the nonce up: the genuine token still signs in once.
    assert (await accept(session, settings, id_token, nonce=nonce)).staff.email == "agent@shop.example"


async def test_a_callback_with_another_state_is_refused(client, session, site):
    await add_staff(session, "agent@shop.example", "agent", [site])
    callback = await at_provider(client, "agent@shop.example")
    query = parse_qs(urlsplit(callback).query)
    forged = f"/staff/sso/callback?{urlencode({'code': query['code'][0], 'state': 'not-the-one-we-sent'})}"
    response = await client.get(forged, follow_redirects=False)
    assert response.status_code == 400
    assert "expired or was already used" in notice(response)
    assert not await signed_in(client)


async def test_a_refusal_at_the_provider_is_shown(client):
    start = await client.get("/staff/sso/start", follow_redirects=False)
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    response = await client.get(
        f"/staff/sso/callback?{urlencode({'error': 'access_denied', 'error_description': 'User said no', 'state': state})}"
    )
    assert response.status_code == 403
    assert "did not sign you in (User said no)" in notice(response)


async def test_a_provider_that_is_down_gives_a_clear_page(database_url):
    nobody = make_settings(
        database_url,
        oidc_issuer=f"http://127.0.0.1:{free_port()}",
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
    )
    async with AsyncTestClient(create_app(nobody), base_url=BASE_URL) as client:
        response = await client.get("/staff/sso/start", follow_redirects=False)
    assert response.status_code == 502
    assert "can't be reached" in notice(response)


async def test_with_passwords_switched_off_only_single_sign_on_is_offered(database_url, provider, session, site):
    no_passwords = make_settings(
        database_url,
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        password_sign_in=False,
    )
    await add_staff(session, "agent@shop.example", "agent", [site])
    async with AsyncTestClient(create_app(no_passwords), base_url=BASE_URL) as client:
        page = (await client.get("/staff/login")).text
        assert every(page, 'input[name="password"]') == []
        one(page, 'a[href^="/staff/sso/start"]')
        # No form to take the CSRF token from: the cookie's value is the token a form would carry.
        response = await client.post(
            "/staff/login",
            data={"email": "agent@shop.example", "password": PASSWORD, "_csrf_token": client.cookies["mend_csrf"]},
        )
        assert response.status_code == 403
        assert "Password sign-in is switched off" in notice(response)
        assert not await signed_in(client)


async def test_with_passwords_switched_off_an_invitation_asks_for_no_password(database_url, provider, session, site):
    no_passwords = make_settings(
        database_url,
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        password_sign_in=False,
    )
    admin = await add_staff(session, "admin@shop.example", "admin", [])
    mail = Mail.from_settings(no_passwords)
    await invites.invite(session, email="new@shop.example", role="agent", sites=[site], by=admin, mail=mail)
    sent = await session.scalar(select(OutboxMail).where(OutboxMail.to_addr == "new@shop.example"))
    path = re.search(r"(/staff/invite/[\w-]+)", sent.text_body).group(1)
    async with AsyncTestClient(create_app(no_passwords), base_url=BASE_URL) as client:
        page = (await client.get(path)).text
        assert every(page, 'input[name="password"]') == []
        accepted = await client.post(
            path, data={"name": "Nia Brooks", "_csrf_token": csrf_token(page)}, follow_redirects=False
        )
        assert accepted.status_code == 303
        assert await signed_in(client)
    staff = await session.scalar(select(Staff).where(Staff.email == "new@shop.example"))
    assert (staff.role, [s.id for s in staff.sites]) == ("agent", [site.id])


async def test_without_a_provider_there_is_no_single_sign_on(database_url, session, site):
    async with AsyncTestClient(create_app(make_settings(database_url)), base_url=BASE_URL) as client:
        assert every((await client.get("/staff/login")).text, 'a[href^="/staff/sso"]') == []
        assert (await client.get("/staff/sso/start", follow_redirects=False)).status_code == 404
        await add_staff(session, "agent@shop.example", "agent", [site])
        await login(client, "agent@shop.example")


def test_single_sign_on_settings_go_together():
    env = {"PORTAL_OIDC_ISSUER": "https://id.example", "PORTAL_OIDC_CLIENT_ID": "mend"}
    with pytest.raises(SettingsError, match="go together"):
        Settings.from_env(env)
    with pytest.raises(SettingsError, match="needs single sign-on"):
        Settings.from_env({"PORTAL_PASSWORD_SIGN_IN": "false"})
    full = Settings.from_env(
        {**env, "PORTAL_OIDC_CLIENT_SECRET": "s3cret", "PORTAL_OIDC_AUTO_JOIN_DOMAINS": "Partner.example, @b.example"}
    )
    assert (full.sso_enabled, full.oidc_auto_join_domains) == (True, ("partner.example", "b.example"))
