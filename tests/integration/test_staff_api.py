"""The staff REST API over HTTP: tokens, scopes, roles, sites, every endpoint's answers, and the rate limit."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select

from portal.domain import api_tokens as rules
from portal.models import ApiToken, CorrectiveAction, ReportEvent, utcnow
from portal.services.api_tokens import create_token, revoke_token
from portal.services.corrective_actions import create_ca
from tests.conftest import add_staff, as_admin, csrf_token, login, make_settings
from tests.html import every, one, text_of

FLAGGED = "We apologize for any inconvenience this may have caused."


async def token_for(session, staff, *scopes: str, expires_on: date | None = None) -> dict[str, str]:
    issued = await create_token(session, staff, name="ci", scopes=scopes or list(rules.SCOPES), expires_on=expires_on)
    return {"Authorization": f"Bearer {issued.secret}"}


@pytest.fixture
def settings(database_url):
    # Many reports from the test client's one address: no per-address intake limit here.
    return make_settings(database_url, reports_per_minute=1_000_000)


@pytest.fixture
async def agent(session, site):
    return await add_staff(session, "agent@shop.example", "agent", [site])


@pytest.fixture
async def auth(session, agent):
    return await token_for(session, agent)


# --- who may call --------------------------------------------------------------------------------------------


async def test_no_token_is_401_with_a_bearer_challenge(client):
    response = await client.get("/api/v1/reports")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_unknown_revoked_and_expired_tokens_are_401(client, session, agent, auth):
    assert (await client.get("/api/v1/reports", headers={"Authorization": "Bearer mend_nope"})).status_code == 401
    token = await session.scalar(select(ApiToken))
    await revoke_token(session, token.id, by=agent)
    assert (await client.get("/api/v1/reports", headers=auth)).status_code == 401
    expiring = await token_for(session, agent, "reports:read", expires_on=date.today() + timedelta(days=1))
    assert (await client.get("/api/v1/reports", headers=expiring)).status_code == 200
    row = await session.scalar(select(ApiToken).where(ApiToken.revoked_at.is_(None)))
    row.expires_at = utcnow() - timedelta(seconds=1)
    await session.commit()
    assert (await client.get("/api/v1/reports", headers=expiring)).status_code == 401


async def test_a_deactivated_owner_s_token_is_401(client, session, agent, auth):
    agent.is_active = False
    await session.commit()
    assert (await client.get("/api/v1/reports", headers=auth)).status_code == 401


async def test_use_is_recorded_at_most_once_a_minute(client, session, auth):
    assert (await client.get("/api/v1/reports", headers=auth)).status_code == 200
    token = await session.scalar(select(ApiToken))
    first = token.last_used_at
    assert first is not None
    await client.get("/api/v1/reports", headers=auth)
    await session.refresh(token)
    assert token.last_used_at == first


async def test_past_the_per_token_rate_is_429_with_retry_after(client, session, agent, auth, monkeypatch):
    monkeypatch.setattr(rules, "REQUESTS_PER_MINUTE", 3)
    monkeypatch.setattr("portal.services.api_tokens.rules.REQUESTS_PER_MINUTE", 3)
    for _ in range(3):
        assert (await client.get("/api/v1/reports", headers=auth)).status_code == 200
    refused = await client.get("/api/v1/reports", headers=auth)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # Another token of the same person has its own count.
    assert (await client.get("/api/v1/reports", headers=await token_for(session, agent))).status_code == 200


# --- the scopes × roles × sites matrix ----------------------------------------------------------------------

READS = [("GET", "/api/v1/reports/{ref}", None, "reports:read"), ("GET", "/api/v1/cas/{ca}", None, "cas:read")]
WRITES = [
    ("POST", "/api/v1/reports/{ref}/state", {"state": "acknowledged"}, "reports:write"),
    ("POST", "/api/v1/cas/{ca}/reports", {"report_refs": []}, "cas:write"),
]


@pytest.mark.parametrize(("method", "path", "body", "scope"), READS + WRITES)
@pytest.mark.parametrize("role", ["agent", "lead", "admin"])
@pytest.mark.parametrize("granted", ["all", "other"])
@pytest.mark.parametrize("where", ["own", "other"])
async def test_scope_role_and_site_decide_the_answer(
    client, session, site, other_site, make_report, method, path, body, scope, role, granted, where
):
    staff = await add_staff(session, f"{role}@shop.example", role, [site])
    target_site = site if where == "own" else other_site
    report = await make_report(target_site)
    ca = await create_ca(session, site=target_site, staff=staff, title="Late parcels")
    scopes = list(rules.SCOPES) if granted == "all" else [s for s in rules.SCOPES if s != scope]
    headers = await token_for(session, staff, *scopes)
    url = path.format(ref=report.ref, ca=ca.id)
    response = await client.request(method, url, json=body, headers=headers)
    if granted != "all":
        assert response.status_code == 403
        assert scope in response.json()["detail"]
    elif where == "other" and role != "admin":  # admins see every site, as on the staff pages
        assert response.status_code == 404
    else:
        assert response.status_code == 200, response.text


# --- reports --------------------------------------------------------------------------------------------------


async def all_pages(client, auth, **params) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        page = (
            await client.get(
                "/api/v1/reports", params={"limit": 3, **params, **({"cursor": cursor} if cursor else {})}, headers=auth
            )
        ).json()
        seen += [r["ref"] for r in page["reports"]]
        cursor = page["next_cursor"]
        if not cursor:
            return seen


async def test_pages_return_every_report_once(client, session, site, other_site, make_report, auth):
    made = [(await make_report(site, description=f"Late parcel number {i}.")).ref for i in range(7)]
    await make_report(other_site)
    assert sorted(await all_pages(client, auth)) == sorted(made)
    # Newest first: the order they came in, reversed, each once.
    assert await all_pages(client, auth, order="newest") == made[::-1]


async def test_a_mangled_cursor_or_one_of_the_other_order_is_400(client, site, make_report, auth):
    for _ in range(3):
        await make_report(site)
    urgent = (await client.get("/api/v1/reports", params={"limit": 1}, headers=auth)).json()["next_cursor"]
    for params in ({"cursor": "bm90IGEgY3Vyc29y"}, {"cursor": urgent, "order": "newest"}):
        assert (await client.get("/api/v1/reports", params=params, headers=auth)).status_code == 400


async def test_filters_narrow_the_list(client, session, site, make_report, auth):
    await make_report(site, category="delivery")
    await make_report(site, category="order")
    page = (await client.get("/api/v1/reports", params={"category": "order"}, headers=auth)).json()
    assert [r["category"] for r in page["reports"]] == ["order"]
    assert (await client.get("/api/v1/reports", params={"site": "site_nope"}, headers=auth)).status_code == 404


async def test_a_report_carries_what_staff_see(client, session, site, make_report, auth):
    report = await make_report(site, email="ann@example.com", name="Ann")
    body = (await client.get(f"/api/v1/reports/{report.ref}", headers=auth)).json()
    assert body["ref"] == report.ref
    assert body["site_key"] == site.key
    assert body["state"] == "new"
    assert body["customer_email"] == "ann@example.com"
    assert body["customer_name"] == "Ann"
    assert body["clocks"]["first_response_due_at"]
    assert body["clocks"]["first_response_breached"] is False
    assert body["portal_url"].endswith(f"/staff/reports/{report.id}")


async def test_state_moves_and_refused_moves_are_409(client, session, site, make_report, auth):
    report = await make_report(site)
    moved = await client.post(f"/api/v1/reports/{report.ref}/state", json={"state": "acknowledged"}, headers=auth)
    assert moved.status_code == 200
    assert moved.json()["state"] == "acknowledged"
    back = await client.post(f"/api/v1/reports/{report.ref}/state", json={"state": "acknowledged"}, headers=auth)
    assert back.status_code == 409
    unknown = await client.post(f"/api/v1/reports/{report.ref}/state", json={"state": "new"}, headers=auth)
    assert unknown.status_code == 400


async def test_flagged_updates_are_422_until_sent_anyway_with_a_reason(client, session, site, make_report, auth):
    report = await make_report(site)
    url = f"/api/v1/reports/{report.ref}/updates"
    refused = await client.post(url, json={"text": FLAGGED}, headers=auth)
    assert refused.status_code == 422
    assert refused.json()["extra"]["findings"]
    no_reason = await client.post(url, json={"text": FLAGGED, "send_anyway": True}, headers=auth)
    assert no_reason.status_code == 422
    sent = await client.post(url, json={"text": FLAGGED, "send_anyway": True, "reason": "Legal wording"}, headers=auth)
    assert sent.status_code == 201, sent.text
    event = await session.scalar(select(ReportEvent).where(ReportEvent.kind == "update"))
    assert event.override_reason == "Legal wording"


async def test_a_plain_update_is_sent(client, session, site, make_report, auth):
    report = await make_report(site)
    text = "I'm sorry the parcel was late. I have booked a courier for tomorrow morning."
    sent = await client.post(f"/api/v1/reports/{report.ref}/updates", json={"text": text}, headers=auth)
    assert sent.status_code == 201, sent.text


async def test_a_customer_file_by_key_and_404_at_another_site(client, session, site, other_site, make_report, auth):
    report = await make_report(site, email="ann@example.com")
    other = await make_report(other_site, email="bob@example.com")
    found = await client.get(f"/api/v1/customers/{quote(report.customer_key, safe='')}", headers=auth)
    assert found.status_code == 200, found.text
    assert [r["ref"] for r in found.json()["reports"]] == [report.ref]
    hidden = await client.get(f"/api/v1/customers/{quote(other.customer_key, safe='')}", headers=auth)
    assert hidden.status_code == 404


# --- corrective actions ---------------------------------------------------------------------------------------


async def test_an_agent_proposes_a_ca_with_reports_but_cannot_move_it(client, session, site, make_report, auth):
    report = await make_report(site)
    created = await client.post(
        "/api/v1/cas", json={"site_key": site.key, "title": "Late parcels", "report_refs": [report.ref]}, headers=auth
    )
    assert created.status_code == 201, created.text
    ca = created.json()
    assert ca["owner_id"] is None
    assert ca["report_refs"] == [report.ref]
    assert [c["id"] for c in (await client.get("/api/v1/cas", headers=auth)).json()] == [ca["id"]]
    moved = await client.post(f"/api/v1/cas/{ca['id']}/state", json={"state": "investigating"}, headers=auth)
    assert moved.status_code == 403


async def test_a_lead_moves_a_ca_and_a_refused_move_is_409(client, session, site):
    lead = await add_staff(session, "lee@shop.example", "lead", [site])
    auth = await token_for(session, lead)
    ca = await create_ca(session, site=site, staff=lead, title="Late parcels")
    refused = await client.post(f"/api/v1/cas/{ca.id}/state", json={"state": "closed"}, headers=auth)
    assert refused.status_code == 409
    assert (await session.scalar(select(CorrectiveAction.state))) == "open"


async def test_ca_errors(client, session, site, other_site, auth):
    assert (
        await client.post("/api/v1/cas", json={"site_key": other_site.key, "title": "x"}, headers=auth)
    ).status_code == 404
    assert (
        await client.post("/api/v1/cas", json={"site_key": site.key, "title": " "}, headers=auth)
    ).status_code == 422
    assert (await client.get("/api/v1/cas/999999", headers=auth)).status_code == 404


async def test_linking_reports_by_reference(client, session, site, other_site, make_report, agent, auth):
    ca = await create_ca(session, site=site, staff=agent, title="Late parcels")
    mine, theirs = await make_report(site), await make_report(other_site)
    linked = await client.post(
        f"/api/v1/cas/{ca.id}/reports", json={"report_refs": [mine.ref, theirs.ref, "NOPE"]}, headers=auth
    )
    assert linked.status_code == 200
    assert linked.json() == {"linked": 1}


async def test_a_body_that_is_not_json_is_415(client, site, make_report, auth):
    report = await make_report(site)
    response = await client.post(
        f"/api/v1/reports/{report.ref}/state", content=b"state=fixed", headers={**auth, "content-type": "text/plain"}
    )
    assert response.status_code == 415


# --- the command line ---------------------------------------------------------------------------------------


async def test_create_token_prints_a_working_token_once(client, settings, session, agent, capsys, monkeypatch):
    from portal import cli

    monkeypatch.setenv("PORTAL_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PORTAL_SECRET_KEY", settings.secret_key)
    args = ["create-token", agent.email, "--name", "ci", "--scope", "reports:read", "--expires", "2999-01-01"]
    await asyncio.to_thread(cli.main, args)
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("mend_")
    token = await session.scalar(select(ApiToken))
    assert token.token_hash != secret
    assert token.scopes == ["reports:read"]
    assert (await client.get("/api/v1/reports", headers={"Authorization": f"Bearer {secret}"})).status_code == 200
    with pytest.raises(SystemExit, match="scope"):
        await asyncio.to_thread(cli.main, ["create-token", agent.email, "--name", "x", "--scope", "nope"])


# --- the pages ----------------------------------------------------------------------------------------------


async def test_a_token_made_in_the_profile_is_shown_once_and_revoked_there(client, session, agent):
    await login(client, agent.email)
    page = await client.get("/staff/profile/tokens")
    token = csrf_token(page.text)
    made = await client.post(
        "/staff/profile/tokens",
        data={
            "name": "helpdesk",
            "scopes": ["reports:read", "cas:read"],
            "expires_on": "2999-12-31",
            "_csrf_token": token,
        },
    )
    assert made.status_code == 200
    secret = one(made.text, '[data-testid="new-token"]').get_text()
    assert secret.startswith("mend_")
    headers = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/api/v1/reports", headers=headers)).status_code == 200
    listed = await client.get("/staff/profile/tokens")
    assert secret not in listed.text
    assert "helpdesk" in text_of(listed.text, '[data-testid="tokens"]')
    row = await session.scalar(select(ApiToken))
    await client.post(f"/staff/profile/tokens/{row.id}/revoke", data={"_csrf_token": token})
    assert (await client.get("/api/v1/reports", headers=headers)).status_code == 401


async def test_a_token_without_scopes_is_refused_on_the_page(client, agent):
    await login(client, agent.email)
    token = csrf_token((await client.get("/staff/profile/tokens")).text)
    refused = await client.post("/staff/profile/tokens", data={"name": "x", "_csrf_token": token})
    assert refused.status_code == 400
    assert not every(refused.text, '[data-testid="new-token"]')


async def test_no_one_revokes_another_s_token_but_an_admin(client, session, site, agent, auth):
    other = await add_staff(session, "lead@shop.example", "lead", [site])
    await login(client, other.email)
    csrf = csrf_token((await client.get("/staff/profile/tokens")).text)
    row = await session.scalar(select(ApiToken))
    await client.post(f"/staff/profile/tokens/{row.id}/revoke", data={"_csrf_token": csrf})
    assert (await client.get("/api/v1/reports", headers=auth)).status_code == 200
    assert (await client.get("/staff/tokens")).status_code == 403


async def test_admins_list_and_revoke_everyone_s_tokens(client, session, agent, auth):
    csrf = await as_admin(client, session)
    page = await client.get("/staff/tokens")
    assert agent.email in text_of(page.text, '[data-testid="tokens"]')
    row = await session.scalar(select(ApiToken))
    revoked = await client.post(f"/staff/tokens/{row.id}/revoke", data={"_csrf_token": csrf}, follow_redirects=False)
    assert revoked.status_code == 303
    assert (await client.get("/api/v1/reports", headers=auth)).status_code == 401
