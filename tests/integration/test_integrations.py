"""Admins send a site's events to webhooks and chat channels: the integrations page and the webhook API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.models import WebhookDelivery, WebhookEndpoint, utcnow
from portal.services import webhooks
from portal.services.api_tokens import create_token
from tests.conftest import add_staff, as_admin, csrf_token, login, make_settings
from tests.html import every, one, text_of

SLACK_EVENTS = ["report.at_risk", "flood.refused"]


@dataclass
class Receiver:
    """A local HTTP server that answers 200 and keeps every request's headers and JSON body."""

    url: str
    requests: list[tuple[dict[str, str], dict]] = field(default_factory=list)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    got = Receiver(url="")

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        headers = dict(line.split(": ", 1) for line in head.split("\r\n")[1:] if ": " in line)
        headers = {k.lower(): v for k, v in headers.items()}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        got.requests.append((headers, json.loads(body)))
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    got.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hooks/abcd1234"
    async with server:
        yield got


async def add(client, site, token: str, **fields: object):
    data: dict[str, object] = {"kind": "slack", "url": "http://127.0.0.1:9/hooks/xyz9", "events": SLACK_EVENTS}
    data.update(fields)
    return await client.post(
        f"/staff/sites/{site.id}/integrations", data={**data, "_csrf_token": token}, follow_redirects=False
    )


async def endpoints(session) -> list[WebhookEndpoint]:
    return list((await session.scalars(select(WebhookEndpoint).execution_options(populate_existing=True))).all())


async def test_admin_adds_a_slack_channel_and_sees_it_listed(client, session, site):
    token = await as_admin(client, session)
    page = (await client.get(f"/staff/sites/{site.id}")).text
    assert one(page, '[data-testid="integrations-link"]')["href"] == f"/staff/sites/{site.id}/integrations"
    response = await add(client, site, token, description="#care-alerts")
    assert response.status_code == 303
    (endpoint,) = await endpoints(session)
    assert (endpoint.kind, endpoint.events, endpoint.secret) == ("slack", SLACK_EVENTS, None)
    page = (await client.get(f"/staff/sites/{site.id}/integrations?done=added")).text
    card = one(page, '[data-testid="endpoint"]')
    assert "#care-alerts" in text_of(card, "h2")
    assert text_of(card, '[data-testid="endpoint-state"]') == "enabled"
    # A chat URL is the channel's key: shown shortened, never whole.
    assert text_of(card, '[data-testid="endpoint-url"]') == "http://127.0.0.1:9/…xyz9"
    assert every(card, '[data-testid="endpoint-secret"]') == []


async def test_a_webhook_gets_a_secret_to_reveal_and_copy(client, session, site):
    token = await as_admin(client, session)
    assert (await add(client, site, token, kind="webhook", events=["report.created"])).status_code == 303
    (endpoint,) = await endpoints(session)
    assert endpoint.secret
    assert endpoint.secret.startswith("whsec_")
    page = (await client.get(f"/staff/sites/{site.id}/integrations")).text
    secret = one(page, '[data-testid="endpoint-secret"]')
    assert text_of(secret, "code") == endpoint.secret
    assert one(secret, "button[data-copy]")["data-copy"] == f"endpoint-{endpoint.id}-secret"


async def test_the_form_offers_each_kind_its_events_and_refuses_others(client, session, site):
    token = await as_admin(client, session)
    webhook_events = [
        i["value"]
        for i in every((await client.get(f"/staff/sites/{site.id}/integrations")).text, 'input[name="events"]')
    ]
    assert "report.created" in webhook_events
    assert "flood.refused" not in webhook_events
    fragment = (await client.get(f"/staff/sites/{site.id}/integrations/events?kind=teams")).text
    assert "flood.refused" in [i["value"] for i in every(fragment, 'input[name="events"]')]
    response = await add(client, site, token, kind="webhook", events=["flood.refused"], url="http://127.0.0.1:9/x")
    assert response.status_code == 400
    assert "cannot get: flood.refused" in text_of(response.text, "#events-error")
    response = await add(client, site, token, events=[])
    assert response.status_code == 400
    assert text_of(response.text, "#events-error") == "Pick at least one event."
    assert await endpoints(session) == []


async def test_an_address_inside_the_network_is_refused_with_the_reason(client, session, site):
    token = await as_admin(client, session)
    response = await add(client, site, token, url="http://10.1.2.3/hooks/x", description="kept")
    assert response.status_code == 400
    assert "private or local address (10.1.2.3)" in text_of(response.text, '[data-testid="url-error"]')
    assert one(response.text, "input#url")["value"] == "http://10.1.2.3/hooks/x"
    assert one(response.text, "input#description")["value"] == "kept"
    assert await endpoints(session) == []


async def test_outside_development_only_public_https_is_accepted(database_url, sessionmaker, session, site):
    from litestar.testing import AsyncTestClient

    from portal.app import create_app
    from tests.conftest import BASE_URL

    app = create_app(make_settings(database_url, environment="production"))
    async with AsyncTestClient(app, base_url=BASE_URL) as client:
        token = await as_admin(client, session)
        response = await add(client, site, token, url="http://127.0.0.1:9/hooks/x")
        assert "must start with https://" in text_of(response.text, '[data-testid="url-error"]')
        response = await add(client, site, token, url="https://localhost/hooks/x")
        assert "private or local address" in text_of(response.text, '[data-testid="url-error"]')
    assert await endpoints(session) == []


async def test_test_event_reaches_a_slack_channel_and_resend_keeps_its_id(
    client, session, sessionmaker, settings, site, receiver, app
):
    token = await as_admin(client, session)
    assert (await add(client, site, token, url=receiver.url)).status_code == 303
    (endpoint,) = await endpoints(session)
    response = await client.post(
        f"/staff/sites/{site.id}/integrations/{endpoint.id}/test", data={"_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    run = await webhooks.deliver_due(sessionmaker, mail=app.state.mail, settings=settings)
    assert run.delivered == 1
    ((headers, body),) = receiver.requests
    assert "webhook-signature" not in headers  # chat channels take their own format, unsigned
    assert body["text"].startswith("Shop: a test from Mend.")
    assert body["blocks"][1]["elements"][0]["url"]
    page = (await client.get(f"/staff/sites/{site.id}/integrations?done=tested")).text
    row = one(page, '[data-testid="delivery"]')
    assert "test" in text_of(row, "code")
    assert "200" in text(row)
    (delivery,) = (await session.scalars(select(WebhookDelivery))).all()
    response = await client.post(
        f"/staff/sites/{site.id}/integrations/deliveries/{delivery.id}/resend",
        data={"_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    await webhooks.deliver_due(sessionmaker, mail=app.state.mail, settings=settings)
    assert len(receiver.requests) == 2
    ids = {
        d.message_id
        for d in (await session.scalars(select(WebhookDelivery).execution_options(populate_existing=True))).all()
    }
    assert ids == {delivery.message_id}
    assert len(every((await client.get(f"/staff/sites/{site.id}/integrations")).text, '[data-testid="delivery"]')) == 2


def text(element) -> str:
    return " ".join(element.get_text().split())


async def test_a_disabled_endpoint_shows_it_and_can_be_enabled_again(client, session, site):
    token = await as_admin(client, session)
    await add(client, site, token)
    (endpoint,) = await endpoints(session)
    endpoint.enabled, endpoint.disabled_at, endpoint.failing_since = False, utcnow(), utcnow() - timedelta(days=1)
    await session.commit()
    page = (await client.get(f"/staff/sites/{site.id}/integrations")).text
    assert text_of(page, '[data-testid="endpoint-state"]').startswith("disabled since")
    response = await client.post(
        f"/staff/sites/{site.id}/integrations/{endpoint.id}/enable", data={"_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    (endpoint,) = await endpoints(session)
    assert (endpoint.enabled, endpoint.disabled_at, endpoint.failing_since) == (True, None, None)


async def test_deleting_an_endpoint_removes_it_and_its_log(client, session, site):
    token = await as_admin(client, session)
    await add(client, site, token)
    (endpoint,) = await endpoints(session)
    await webhooks.send_test(session, endpoint, now=utcnow())
    response = await client.post(
        f"/staff/sites/{site.id}/integrations/{endpoint.id}/delete", data={"_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    assert await endpoints(session) == []
    assert (await session.scalars(select(WebhookDelivery))).all() == []


async def test_another_sites_endpoint_and_delivery_are_not_found(client, session, site, other_site):
    token = await as_admin(client, session)
    await add(client, site, token)
    (endpoint,) = await endpoints(session)
    delivery = await webhooks.send_test(session, endpoint, now=utcnow())
    for path in (
        f"{endpoint.id}/test",
        f"{endpoint.id}/enable",
        f"{endpoint.id}/delete",
        f"deliveries/{delivery.id}/resend",
    ):
        response = await client.post(
            f"/staff/sites/{other_site.id}/integrations/{path}", data={"_csrf_token": token}, follow_redirects=False
        )
        assert response.status_code == 404, path
    assert len(await endpoints(session)) == 1


@pytest.mark.parametrize("role", ["lead", "agent"])
async def test_only_admins_reach_the_page(client, session, site, role):
    await add_staff(session, f"{role}@mend.example", role, [site])
    await login(client, f"{role}@mend.example")
    assert (await client.get(f"/staff/sites/{site.id}/integrations")).status_code == 403
    token = csrf_token((await client.get("/staff")).text)
    assert (await add(client, site, token)).status_code == 403
    assert await endpoints(session) == []


# The webhook API


async def bearer(session, email: str, role: str, sites, scopes=("webhooks:manage",)) -> dict[str, str]:
    staff = await add_staff(session, email, role, sites)
    issued = await create_token(session, staff, name="ci", scopes=scopes, expires_on=None)
    return {"authorization": f"Bearer {issued.secret}"}


async def test_api_adds_lists_and_deletes_webhooks_and_shows_the_secret_once(client, session, site):
    auth = await bearer(session, "admin@mend.example", "admin", [])
    url = f"/api/v1/sites/{site.key}/webhooks"
    response = await client.post(url, json={"url": "http://127.0.0.1:9/in", "events": ["report.created"]}, headers=auth)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["kind"] == "webhook"
    assert created["secret"].startswith("whsec_")
    listed = (await client.get(url, headers=auth)).json()
    assert [e["id"] for e in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert (await client.delete(f"{url}/{created['id']}", headers=auth)).status_code == 204
    assert (await client.get(url, headers=auth)).json() == []
    assert (await client.delete(f"{url}/{created['id']}", headers=auth)).status_code == 404


async def test_api_refuses_an_unsafe_url_with_the_field_named(client, session, site):
    auth = await bearer(session, "admin@mend.example", "admin", [])
    response = await client.post(
        f"/api/v1/sites/{site.key}/webhooks",
        json={"kind": "mattermost", "url": "http://192.168.0.10/hooks/x", "events": ["ca.reopened"]},
        headers=auth,
    )
    assert response.status_code == 400
    assert "192.168.0.10" in response.json()["extra"]["fields"]["url"]


async def test_api_needs_the_scope_an_admin_and_a_site_the_caller_sees(client, session, site, other_site):
    url = f"/api/v1/sites/{site.key}/webhooks"
    assert (await client.get(url)).status_code == 401
    no_scope = await bearer(session, "reader@mend.example", "admin", [], scopes=("reports:read",))
    response = await client.get(url, headers=no_scope)
    assert response.status_code == 403
    assert "webhooks:manage" in response.json()["detail"]
    lead = await bearer(session, "lead@mend.example", "lead", [other_site])
    assert (await client.get(url, headers=lead)).status_code == 404  # not their site: not even its existence
    assert (await client.get(f"/api/v1/sites/{other_site.key}/webhooks", headers=lead)).status_code == 403
    admin = await bearer(session, "admin@mend.example", "admin", [])
    assert (await client.get("/api/v1/sites/no-such-site/webhooks", headers=admin)).status_code == 404


async def test_api_cannot_delete_another_sites_endpoint(client, session, site, other_site):
    auth = await bearer(session, "admin@mend.example", "admin", [])
    created = (
        await client.post(
            f"/api/v1/sites/{site.key}/webhooks",
            json={"kind": "slack", "url": "http://127.0.0.1:9/x", "events": ["report.at_risk"]},
            headers=auth,
        )
    ).json()
    response = await client.delete(f"/api/v1/sites/{other_site.key}/webhooks/{created['id']}", headers=auth)
    assert response.status_code == 404
    assert len(await endpoints(session)) == 1
