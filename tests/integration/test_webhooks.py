"""Webhooks end to end: events written with their change, delivered to a real HTTP receiver, signed per the
Standard Webhooks spec (checked here by hand), retried, given up, and switched off like the outbox's mail."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.db import make_engine, make_sessionmaker
from portal.domain.ratings import Answer
from portal.domain.webhooks import backoff, new_secret
from portal.mail import Mail
from portal.models import CorrectiveAction, OutboxMail, WebhookDelivery, WebhookEndpoint, utcnow
from portal.services import clocks, conversation, corrective_actions, floods, gesture_grants, ratings, webhooks
from portal.settings import Settings
from tests.conftest import add_staff, make_settings


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A tiny HTTP/1.1 server on a free local port that answers `status` and keeps every request."""

    status: int = 200
    requests: list[Received] = field(default_factory=list)
    server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.server
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/hook"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")[1:]
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        status = self.status
        self.requests.append(
            Received(headers, body) if status < 300 else Received(headers | {"x-answer": str(status)}, body)
        )
        writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok".encode())
        await writer.drain()
        writer.close()

    def delivered(self) -> list[Received]:
        return [r for r in self.requests if "x-answer" not in r.headers]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    found.server = await asyncio.start_server(found.handle, "127.0.0.1", 0)
    yield found
    found.server.close()
    await found.server.wait_closed()


def closed_port_url() -> str:
    """A local URL nobody listens on: the receiver is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, reports_per_minute=100, webhook_max_attempts=4)


@pytest.fixture
def mail(settings: Settings) -> Mail:
    return Mail.from_settings(settings)


async def add_endpoint(session, site, url: str, events: list[str], *, kind: str = "webhook", enabled: bool = True):
    endpoint = WebhookEndpoint(
        site_id=site.id,
        kind=kind,
        url=url,
        events=events,
        secret=new_secret() if kind == "webhook" else None,
        enabled=enabled,
    )
    session.add(endpoint)
    await session.commit()
    return endpoint


def verify_by_hand(secret: str, received: Received) -> None:
    """Standard Webhooks, independently of the package: v1,base64(HMAC-SHA256(key, "{id}.{ts}.{body}"))."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{received.headers['webhook-id']}.{received.headers['webhook-timestamp']}.".encode() + received.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [s.partition(",")[2] for s in received.headers["webhook-signature"].split() if s.startswith("v1,")]
    assert any(hmac.compare_digest(expected, s) for s in offered), received.headers
    assert abs(int(received.headers["webhook-timestamp"]) - utcnow().timestamp()) < 60


async def deliveries(session, **where) -> list[WebhookDelivery]:
    session.expire_all()
    query = select(WebhookDelivery).filter_by(**where).order_by(WebhookDelivery.id)
    return list((await session.scalars(query)).all())


async def deliver(sessionmaker, mail, settings, now: datetime | None = None) -> webhooks.WebhookRun:
    return await webhooks.deliver_due(sessionmaker, mail=mail, settings=settings, now=now)


async def test_a_new_report_reaches_the_receiver_signed_per_the_spec(
    session, sessionmaker, settings, mail, site, receiver, make_report
):
    endpoint = await add_endpoint(session, site, receiver.url, ["report.created"])
    report = await make_report(site, email="zoe@example.com", name="Zoë")

    run = await deliver(sessionmaker, mail, settings)

    assert run.delivered == 1
    (received,) = receiver.requests
    verify_by_hand(endpoint.secret, received)
    payload = received.payload
    assert payload["type"] == "report.created"
    assert payload["data"]["ref"] == report.ref
    assert payload["data"]["url"].endswith(f"/staff/reports/{report.id}")
    assert b"zoe@example.com" not in received.body
    assert report.status_token.encode() not in received.body
    (delivery,) = await deliveries(session)
    assert (delivery.state, delivery.last_status, delivery.attempts) == ("delivered", 200, 1)
    assert delivery.message_id == received.headers["webhook-id"]
    assert delivery.last_latency_ms is not None
    assert delivery.last_error == "ok"


async def test_an_endpoint_added_after_the_site_was_cached_gets_the_next_report(
    session, sessionmaker, site, receiver, make_report
):
    await make_report(site)  # intake now holds the site, with no endpoint
    await add_endpoint(session, site, receiver.url, ["report.created"])
    await make_report(site)
    assert len(await deliveries(session)) == 1


async def test_every_retry_carries_the_same_webhook_id_and_a_valid_signature(
    session, sessionmaker, settings, mail, site, receiver
):
    endpoint = await add_endpoint(session, site, receiver.url, ["test"])
    await webhooks.send_test(session, endpoint, now=utcnow())
    receiver.status = 503
    now = utcnow()
    for attempt in (1, 2):
        run = await deliver(sessionmaker, mail, settings, now)
        assert run.retried == 1
        now += backoff(attempt)
    receiver.status = 204
    assert (await deliver(sessionmaker, mail, settings, now)).delivered == 1

    assert len(receiver.requests) == 3
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    for received in receiver.requests:
        verify_by_hand(endpoint.secret, received)
    (delivery,) = await deliveries(session)
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 3, 204)


async def test_a_receiver_down_for_a_while_gets_every_event_exactly_once_from_two_workers(
    session, settings, mail, site, receiver
):
    endpoint = await add_endpoint(session, site, closed_port_url(), ["report.created"])
    events = [webhooks.Event(site.id, "report.created", {"n": n}) for n in range(30)]
    await webhooks.emit_many(session, events)
    await session.commit()
    engines = [make_engine(settings), make_engine(settings)]
    makers = [make_sessionmaker(e) for e in engines]
    try:
        now = utcnow()
        down = await asyncio.gather(*(deliver(m, mail, settings, now) for m in makers))
        assert sum(run.retried for run in down) == 30  # each tried once, by one worker
        assert {d.attempts for d in await deliveries(session)} == {1}
        assert {d.last_status for d in await deliveries(session)} == {None}

        endpoint.url = receiver.url
        await session.commit()
        receiver.status = 503
        now += backoff(1)
        await asyncio.gather(*(deliver(m, mail, settings, now) for m in makers))
        assert len(receiver.requests) == 30

        receiver.status = 200
        now += backoff(2)
        up = await asyncio.gather(*(deliver(m, mail, settings, now) for m in makers))
        assert sum(run.delivered for run in up) == 30
    finally:
        for engine in engines:
            await engine.dispose()

    counts = Counter(r.payload["data"]["n"] for r in receiver.delivered())
    assert counts == Counter(range(30))
    assert {d.state for d in await deliveries(session)} == {"delivered"}


async def test_a_delivery_is_dead_after_the_last_attempt(session, sessionmaker, settings, mail, site, receiver):
    endpoint = await add_endpoint(session, site, receiver.url, ["test"])
    await webhooks.send_test(session, endpoint, now=utcnow())
    receiver.status = 500
    now = utcnow()
    for attempt in range(1, settings.webhook_max_attempts + 2):
        await deliver(sessionmaker, mail, settings, now)
        now += backoff(attempt)
    assert len(receiver.requests) == settings.webhook_max_attempts
    (delivery,) = await deliveries(session)
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("dead", settings.webhook_max_attempts, 500)


async def test_an_endpoint_failing_for_a_day_is_switched_off_and_admins_hear_once(
    session, sessionmaker, database_url, mail, site, other_site, receiver
):
    settings = make_settings(database_url, webhook_max_attempts=10)  # retries span more than a day
    await add_staff(session, "admin@mend.example", "admin", [])
    await add_staff(session, "lead@shop.example", "lead", [site])
    await add_staff(session, "agent@shop.example", "agent", [site])
    await add_staff(session, "lead@other.example", "lead", [other_site])
    endpoint = await add_endpoint(session, site, receiver.url, ["test"])
    receiver.status = 503
    start = utcnow()
    await webhooks.send_test(session, endpoint, now=start)
    await deliver(sessionmaker, mail, settings, start)
    await session.refresh(endpoint)
    assert endpoint.failing_since == start
    assert endpoint.enabled

    # A success ends the run of failures; the next failure starts a new one.
    receiver.status = 200
    await deliver(sessionmaker, mail, settings, start + backoff(1))
    await session.refresh(endpoint)
    assert endpoint.failing_since is None

    receiver.status = 503
    for _n in range(3):  # several deliveries failing over more than a day, tried by two passes at once
        await webhooks.send_test(session, endpoint, now=start)
    now = start + timedelta(minutes=1)
    first_failure = now
    while True:
        await asyncio.gather(deliver(sessionmaker, mail, settings, now), deliver(sessionmaker, mail, settings, now))
        await session.refresh(endpoint)
        if not endpoint.enabled:
            break
        assert now - first_failure < timedelta(days=2)
        now += timedelta(hours=2)
    assert endpoint.disabled_at == now
    assert now - first_failure >= timedelta(days=1)

    mails = (await session.scalars(select(OutboxMail).where(OutboxMail.dedupe_key.like("webhook_disabled:%")))).all()
    assert sorted(m.to_addr for m in mails) == ["admin@mend.example", "lead@shop.example"]
    assert receiver.url in mails[0].text_body

    before = len(receiver.requests)
    await deliver(sessionmaker, mail, settings, now + timedelta(days=3))
    assert len(receiver.requests) == before  # a switched-off endpoint gets nothing
    assert await session.scalar(select(func.count()).select_from(OutboxMail)) == len(mails)


async def test_a_url_refused_at_delivery_fails_the_attempt(session, sessionmaker, database_url, mail, site, receiver):
    production = make_settings(database_url, environment="production", webhook_max_attempts=4)
    endpoint = await add_endpoint(session, site, receiver.url, ["test"])
    await webhooks.send_test(session, endpoint, now=utcnow())

    run = await deliver(sessionmaker, mail, production)

    assert run.retried == 1
    assert receiver.requests == []
    (delivery,) = await deliveries(session)
    assert delivery.state == "pending"
    assert delivery.last_status is None
    assert "https://" in (delivery.last_error or "")


async def test_resend_sends_the_same_event_again_with_the_same_webhook_id(
    session, sessionmaker, settings, mail, site, receiver
):
    endpoint = await add_endpoint(session, site, receiver.url, ["test"])
    first = await webhooks.send_test(session, endpoint, now=utcnow())
    await deliver(sessionmaker, mail, settings)
    again = await webhooks.resend(session, first, now=utcnow())
    assert again.id != first.id
    await deliver(sessionmaker, mail, settings)

    assert [r.headers["webhook-id"] for r in receiver.requests] == [first.message_id] * 2
    assert receiver.requests[0].body == receiver.requests[1].body
    assert receiver.requests[0].payload["type"] == "test"


# Each change emits its event


async def event_types(session) -> list[str]:
    return sorted(d.event_type for d in await deliveries(session))


async def test_an_at_risk_customers_report_emits_report_at_risk(session, site, make_report):
    await add_endpoint(session, site, "https://hooks.example/x", ["report.at_risk"])
    for _ in range(3):
        await make_report(site, email="again@example.com")
    (delivery,) = await deliveries(session)
    assert delivery.event_type == "report.at_risk"
    assert delivery.payload["data"]["repeat_level"] == 3


async def test_a_state_change_emits_report_state_changed(session, site, mail, make_report):
    await add_endpoint(session, site, "https://hooks.example/x", ["report.state_changed"])
    staff = await add_staff(session, "agent@shop.example", "agent", [site])
    report = await make_report(site)
    await conversation.change_state(session, report=report, staff=staff, target="acknowledged", mail=mail)
    (delivery,) = await deliveries(session)
    assert delivery.payload["data"]["state"] == "acknowledged"
    assert delivery.payload["data"]["previous_state"] == "new"


async def test_a_customers_choice_emits_gesture_chosen(session, site, mail, make_report):
    await add_endpoint(session, site, "https://hooks.example/x", ["gesture.chosen"])
    report = await make_report(site)
    await gesture_grants.choose(session, report=report, choice="declined", gesture_id=None, wish="", mail=mail)
    (delivery,) = await deliveries(session)
    assert (delivery.event_type, delivery.payload["data"]["choice"]) == ("gesture.chosen", "declined")


async def test_a_rating_emits_rating_submitted_and_a_poor_one_rating_poor_for_chat(session, site, mail, make_report):
    await add_endpoint(session, site, "https://hooks.example/x", ["rating.submitted"])
    await add_endpoint(session, site, "https://hooks.slack.com/services/T/B/X", ["rating.poor"], kind="slack")
    staff = await add_staff(session, "agent@shop.example", "agent", [site])
    good, poor = await make_report(site), await make_report(site)
    for report, score in ((good, 5), (poor, 1)):
        await conversation.change_state(session, report=report, staff=staff, target="fixed", mail=mail)
        await ratings.rate(session, report=report, answer=Answer(score=score, surprised=None, comment="…"), mail=mail)
    sent = sorted(
        (d.event_type, d.payload["data"]["score"], d.payload["data"]["poor"]) for d in await deliveries(session)
    )
    assert sent == [("rating.poor", 1, True), ("rating.submitted", 1, True), ("rating.submitted", 5, False)]


async def test_a_poor_rating_that_reopens_the_report_emits_its_state_change(session, site, mail, make_report):
    await add_endpoint(session, site, "https://hooks.example/x", ["report.state_changed"])
    staff = await add_staff(session, "agent@shop.example", "agent", [site])
    report = await make_report(site)
    await conversation.change_state(session, report=report, staff=staff, target="fixed", mail=mail)
    await ratings.rate(session, report=report, answer=Answer(score=1, surprised=None, comment="No."), mail=mail)
    moves = [(d.payload["data"]["previous_state"], d.payload["data"]["state"]) for d in await deliveries(session)]
    assert moves == [("new", "fixed"), ("fixed", "in_progress")]


async def test_a_clock_about_to_run_out_emits_clock_warning(session, sessionmaker, site, mail, make_report):
    await add_endpoint(session, site, "https://hooks.slack.com/services/T/B/X", ["clock.warning"], kind="slack")
    report = await make_report(site)
    await clocks.check_clocks(sessionmaker, mail=mail, now=report.first_response_due_at - timedelta(minutes=4))
    (delivery,) = await deliveries(session)
    data = delivery.payload["data"]
    assert (delivery.event_type, data["clock"], data["minutes"]) == ("clock.warning", "first_response", 4)


async def test_a_breach_emits_clock_breached(session, sessionmaker, site, mail, make_report):
    await add_endpoint(session, site, "https://hooks.example/x", ["clock.breached"])
    report = await make_report(site)
    await clocks.check_clocks(sessionmaker, mail=mail, now=report.created_at + timedelta(hours=1))
    (delivery,) = await deliveries(session)
    assert (delivery.event_type, delivery.payload["data"]["clock"]) == ("clock.breached", "first_response")


async def loaded(session, ca: CorrectiveAction) -> CorrectiveAction:
    """The CA as a page loads it (with its site), after the test's commits expired it."""
    query = select(CorrectiveAction).where(CorrectiveAction.id == ca.id)
    return await session.scalar(query.execution_options(populate_existing=True))


async def test_ca_moves_emit_state_changed_closed_and_reopened(session, site, mail, make_report):
    await add_endpoint(
        session, site, "https://hooks.example/x", ["ca.state_changed", "ca.closed", "ca.reopened"], kind="slack"
    )
    lead = await add_staff(session, "lead@shop.example", "lead", [site])
    site_id, lead_id = site.id, lead.id
    started = utcnow() - timedelta(days=1)
    ca = CorrectiveAction(
        site_id=site.id,
        title="Late parcels",
        problem="Parcels arrive late",
        state="verifying",
        whys=["The courier's cut-off moved."],
        corrective_action="New cut-off",
        preventive_action="Watch the courier's notices",
        closure_summary="Parcels leave on time again.",
        owner_id=lead.id,
        verification_started_at=started,
        verification_ends_at=started - timedelta(hours=1),
    )
    session.add(ca)
    await session.commit()
    await corrective_actions.move(session, await loaded(session, ca), "closed", lead, mail=mail)
    assert await event_types(session) == ["ca.closed", "ca.state_changed"]

    other = CorrectiveAction(site_id=site_id, title="Eggs", state="verifying", whys=["Packing"], owner_id=lead_id)
    other.verification_started_at = started
    session.add(other)
    await session.commit()
    other_id = other.id
    await session.refresh(site)
    report = await make_report(site)
    await corrective_actions.link(session, await loaded(session, other), [report], lead, mail=mail)
    reopened = [d for d in await deliveries(session) if d.payload["data"]["id"] == other_id]
    assert sorted(d.event_type for d in reopened) == ["ca.reopened", "ca.state_changed"]
    assert reopened[0].payload["data"]["previous_state"] == "verifying"


async def test_a_flood_emits_flood_refused_once(session, site):
    await add_endpoint(session, site, "https://hooks.example/x", ["flood.refused"], kind="mattermost")
    now = utcnow()
    for n in range(3):
        await floods.record_refusal(session, site, now + timedelta(seconds=n))
        await session.commit()
    (delivery,) = await deliveries(session)
    assert delivery.payload["data"]["refused"] == 1


async def test_nothing_is_emitted_for_endpoints_not_subscribed_disabled_or_of_another_site(
    session, site, other_site, make_report
):
    await add_endpoint(session, site, "https://hooks.example/a", ["report.state_changed"])
    await add_endpoint(session, site, "https://hooks.example/b", ["report.created"], enabled=False)
    await add_endpoint(session, other_site, "https://hooks.example/c", ["report.created"])
    await make_report(site)
    assert await deliveries(session) == []


async def test_nothing_is_emitted_when_the_change_rolls_back(session, site):
    site_id = site.id
    await add_endpoint(session, site, "https://hooks.example/x", ["report.created"])
    await webhooks.emit(session, site_id, "report.created", {"n": 1})
    await session.rollback()
    assert await deliveries(session) == []
    await webhooks.emit(session, site_id, "report.created", {"n": 2})
    await session.commit()
    assert [d.payload["data"] for d in await deliveries(session)] == [{"n": 2}]
