"""Webhook and chat deliveries: written with the change that caused them, delivered like the mail outbox.

`emit` adds one delivery per subscribed endpoint in the caller's transaction, so an event exists
exactly when its change committed, and wakes the worker once it does. `deliver_due` claims due
deliveries a batch at a time under a lease (FOR UPDATE SKIP LOCKED on PostgreSQL, a conditional
UPDATE with a claim token everywhere), POSTs them, and records each outcome only while it still
holds the claim, so two workers never both deliver one. A failure is retried with `backoff`, a
delivery is dead after `webhook_max_attempts`, and an endpoint failing for a day is switched off
with a mail to its site's admins and leads.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
from sqlalchemy import Table, and_, bindparam, exists, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook

from portal.changes import site_changed
from portal.domain.repeat import RepeatLevel
from portal.domain.webhooks import (
    DISABLE_AFTER,
    EXCERPT,
    TEST_EVENT,
    backoff,
    ca_data,
    check_url,
    event_payload,
    report_data,
)
from portal.mail import Mail
from portal.models import CorrectiveAction, Report, Site, WebhookDelivery, WebhookEndpoint, utcnow
from portal.outbox import _even_if_cancelled
from portal.services.site_cache import SiteSnapshot
from portal.services.staff import site_staff
from portal.settings import Settings
from portal.wakeups import WEBHOOKS, notify_on_commit

log = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO line quotes each URL, and a Slack URL is a secret

TIMEOUT = 10.0  # seconds for one attempt, answer included
BATCH = 50  # deliveries per claim
CONCURRENCY = 10  # attempts in flight at once per worker
# Far longer than a batch can take (BATCH / CONCURRENCY rounds of TIMEOUT), so a live attempt is never re-claimed.
LEASE = timedelta(minutes=5)
ADMINS = ("admin", "lead")  # who hears that an endpoint was switched off


@dataclass(frozen=True)
class Event:
    """Something that happened at a site, for the endpoints subscribed to its type."""

    site_id: int
    type: str
    data: dict[str, Any]


def new_message_id() -> str:
    """The `webhook-id` of one event to one endpoint, the same on every attempt."""
    return f"msg_{secrets.token_hex(16)}"


def _delivery_row(endpoint_id: int, event_type: str, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "endpoint_id": endpoint_id,
        "message_id": new_message_id(),
        "event_type": event_type,
        "payload": payload,
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


async def emit(session: AsyncSession, site_id: int, event_type: str, data: dict[str, Any]) -> None:
    """Queue an event for the site's enabled endpoints subscribed to it, in the caller's transaction: it goes
    out only if that commits."""
    await emit_many(session, [Event(site_id, event_type, data)])


async def emit_many(session: AsyncSession, events: Sequence[Event], *, now: datetime | None = None) -> None:
    """Queue several events (of any sites) in the caller's transaction: one read of the endpoints and one
    insert however many there are, nothing more when no endpoint wants them."""
    if not events:
        return
    now = now or utcnow()
    table = WebhookEndpoint.__table__.c  # Core: this runs on the intake writer's path
    endpoints = (
        await session.execute(
            select(table.id, table.site_id, table.events).where(
                table.site_id.in_({e.site_id for e in events}), table.enabled
            )
        )
    ).all()
    rows = [
        _delivery_row(endpoint_id, event.type, event_payload(event.type, event.data, now), now)
        for event in events
        for endpoint_id, site_id, subscribed in endpoints
        if site_id == event.site_id and event.type in subscribed
    ]
    if rows:
        await session.execute(insert(cast(Table, WebhookDelivery.__table__)), rows)
        notify_on_commit(session, WEBHOOKS)


async def emit_new_reports(
    session: AsyncSession, snapshots: Iterable[SiteSnapshot], reports: Sequence[Report], *, base_url: str
) -> None:
    """`report.created` for each new report and `report.at_risk` for an at-risk customer's, in the intake
    writer's transaction; free (no query) when the sites' snapshots say no endpoint wants either."""
    wanted = {s.site.id: s.webhook_events for s in snapshots}
    events = []
    for report in reports:
        subscribed = wanted.get(report.site_id, frozenset())
        if "report.created" in subscribed:
            events.append(Event(report.site_id, "report.created", report_data(report, base_url)))
        if "report.at_risk" in subscribed and report.repeat_level >= RepeatLevel.AT_RISK:
            events.append(Event(report.site_id, "report.at_risk", report_data(report, base_url)))
    await emit_many(session, events)


async def emit_ca_moved(session: AsyncSession, ca: CorrectiveAction, previous: str, *, base_url: str) -> None:
    """`ca.state_changed` for a CA that moved from `previous`, and `ca.closed` or `ca.reopened` when that is
    where it went, in the caller's transaction."""
    data = ca_data(ca, base_url, previous_state=previous)
    also = {"closed": "ca.closed", "reopened": "ca.reopened"}.get(ca.state)
    types = ["ca.state_changed", *([also] if also else [])]
    await emit_many(session, [Event(ca.site_id, t, data) for t in types])


def _copy(
    session: AsyncSession, endpoint_id: int, message_id: str, event_type: str, payload: dict[str, Any], now: datetime
) -> WebhookDelivery:
    row = _delivery_row(endpoint_id, event_type, payload, now)
    delivery = WebhookDelivery(**{**row, "message_id": message_id})
    session.add(delivery)
    notify_on_commit(session, WEBHOOKS)
    return delivery


async def send_test(session: AsyncSession, endpoint: WebhookEndpoint, *, now: datetime) -> WebhookDelivery:
    """Send a test event to this endpoint only (delivered by the worker like any other). Commits."""
    site = await session.get(Site, endpoint.site_id)
    assert site is not None  # the endpoint's site: deleting a site deletes its endpoints
    data = {
        "site": {"key": site.key, "name": site.name},
        "endpoint": {"id": endpoint.id, "description": endpoint.description},
    }
    delivery = _copy(session, endpoint.id, new_message_id(), TEST_EVENT, event_payload(TEST_EVENT, data, now), now)
    await session.commit()
    return delivery


async def resend(session: AsyncSession, delivery: WebhookDelivery, *, now: datetime) -> WebhookDelivery:
    """Send an event again as a new delivery with the same `webhook-id` and body, so the receiver can tell
    it already has it. Commits."""
    again = _copy(session, delivery.endpoint_id, delivery.message_id, delivery.event_type, delivery.payload, now)
    await session.commit()
    return again


# Delivery


@dataclass(frozen=True)
class _Target:
    id: int
    site_id: int
    kind: str
    url: str
    secret: str | None


@dataclass(frozen=True)
class _Claimed:
    id: int
    token: str
    attempts: int
    message_id: str
    event_type: str
    payload: dict[str, Any]
    endpoint: _Target


@dataclass(frozen=True)
class _Outcome:
    ok: bool
    status: int | None
    latency_ms: int | None
    excerpt: str | None


@dataclass
class WebhookRun:
    """What one pass over the deliveries did."""

    delivered: int = 0
    retried: int = 0
    dead: int = 0
    disabled: int = 0


def _due(now: datetime) -> Any:
    """Pending and due, or claimed by a worker whose lease ran out; for enabled endpoints only (a switched-off
    endpoint's deliveries wait until it is switched back on)."""
    return and_(
        or_(
            and_(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= now),
            and_(WebhookDelivery.state == "sending", WebhookDelivery.lease_until < now),
        ),
        WebhookDelivery.endpoint_id.in_(select(WebhookEndpoint.id).where(WebhookEndpoint.enabled)),
    )


async def has_due(sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime) -> bool:
    """Whether any delivery is due: a read, so polling never takes SQLite's write lock."""
    async with sessionmaker() as session:
        return bool(await session.scalar(select(exists().where(_due(now)))))


async def _claim(sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime, limit: int) -> list[_Claimed]:
    """Claim up to `limit` due deliveries for this worker, with their endpoints (see outbox.claim_due_mail)."""
    due = _due(now)
    token = secrets.token_hex(16)
    picked = (
        select(WebhookDelivery.id)
        .where(due)
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
        .cte("picked")
        .prefix_with("MATERIALIZED")
    )
    claim = (
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(select(picked.c.id)), due)
        .values(
            state="sending",
            lease_until=now + LEASE,
            claim_token=token,
            attempts=WebhookDelivery.attempts + 1,
        )
        .returning(
            WebhookDelivery.id,
            WebhookDelivery.attempts,
            WebhookDelivery.message_id,
            WebhookDelivery.event_type,
            WebhookDelivery.payload,
            WebhookDelivery.endpoint_id,
        )
        .execution_options(synchronize_session=False)
    )
    async with sessionmaker() as session, session.begin():
        rows = (await session.execute(claim)).all()
        if not rows:
            return []
        e = WebhookEndpoint.__table__.c
        targets = {
            t.id: _Target(t.id, t.site_id, t.kind, t.url, t.secret)
            for t in (
                await session.execute(
                    select(e.id, e.site_id, e.kind, e.url, e.secret).where(e.id.in_({r.endpoint_id for r in rows}))
                )
            ).all()
        }
    return [
        _Claimed(r.id, token, r.attempts, r.message_id, r.event_type, r.payload, targets[r.endpoint_id]) for r in rows
    ]


def _request(claimed: _Claimed, base_url: str) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one attempt: signed per Standard Webhooks for a webhook, in the tool's own
    format for a chat channel."""
    headers = {"content-type": "application/json", "user-agent": "Mend-Webhooks/1"}
    if claimed.endpoint.kind != "webhook":
        from portal.domain.chat import chat_message

        return json.dumps(chat_message(claimed.endpoint.kind, claimed.payload, base_url)).encode(), headers
    body = json.dumps(claimed.payload, separators=(",", ":"), ensure_ascii=False)
    # The receiver checks the timestamp against its own clock: the real time of the attempt, whatever `now` is.
    sent_at = datetime.now(tz=UTC)
    signature = Webhook(claimed.endpoint.secret or "").sign(claimed.message_id, sent_at, body)
    headers |= {
        "webhook-id": claimed.message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
    }
    return body.encode(), headers


async def _post(client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]) -> _Outcome:
    """One POST, no redirects, TIMEOUT in all; keeps the start of the answer, never the whole of it."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(TIMEOUT):
            async with client.stream("POST", url, content=body, headers=headers) as response:
                kept = b""
                async for chunk in response.aiter_bytes():
                    kept += chunk
                    if len(kept) >= EXCERPT * 4:  # enough for EXCERPT characters of any UTF-8
                        break
    except (httpx.HTTPError, TimeoutError, OSError) as exc:
        why = "timed out" if isinstance(exc, TimeoutError | httpx.TimeoutException) else f"{type(exc).__name__}: {exc}"
        return _Outcome(False, None, _elapsed(started), why[:EXCERPT])
    status = response.status_code
    text = kept.decode("utf-8", errors="replace")[:EXCERPT]
    return _Outcome(200 <= status < 300, status, _elapsed(started), text)


def _elapsed(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


async def _attempt(
    client: httpx.AsyncClient, claimed: _Claimed, checked: asyncio.Task[str], settings: Settings
) -> _Outcome:
    """Deliver one claimed event, unless its URL no longer passes the check."""
    try:
        url = await checked
    except ValueError as exc:
        return _Outcome(False, None, None, str(exc)[:EXCERPT])
    body, headers = _request(claimed, settings.base_url)
    return await _post(client, url, body, headers)


_recorded = (
    update(WebhookDelivery.__table__)  # type: ignore[arg-type]
    .where(WebhookDelivery.id == bindparam("delivery_id"), WebhookDelivery.claim_token == bindparam("token"))
    .values(
        state=bindparam("new_state"),
        next_attempt_at=bindparam("retry_at"),
        last_status=bindparam("status"),
        last_latency_ms=bindparam("latency"),
        last_error=bindparam("excerpt"),
        delivered_at=bindparam("delivered"),
        lease_until=None,
        claim_token=None,
    )
)


async def _record(
    sessionmaker: async_sessionmaker[AsyncSession],
    claimed: Sequence[_Claimed],
    outcomes: dict[int, _Outcome],
    run: WebhookRun,
    *,
    mail: Mail,
    max_attempts: int,
    now: datetime,
) -> None:
    """Write a batch's outcomes in one transaction while this worker still holds their claim; the ones never
    tried (the worker was stopped) go back untried. Then the endpoints: a success ends a run of failures,
    a failure starts one, and a run that lasted DISABLE_AFTER switches the endpoint off."""
    tried = [c for c in claimed if c.id in outcomes]
    untried = [c.id for c in claimed if c.id not in outcomes]
    ok = {c.endpoint.id for c in tried if outcomes[c.id].ok}
    failing = {c.endpoint.id for c in tried if not outcomes[c.id].ok} - ok
    params = []
    for c in tried:
        outcome = outcomes[c.id]
        dead = not outcome.ok and c.attempts >= max_attempts
        params.append(
            {
                "delivery_id": c.id,
                "token": c.token,
                "new_state": "delivered" if outcome.ok else "dead" if dead else "pending",
                "retry_at": now + backoff(c.attempts),
                "status": outcome.status,
                "latency": outcome.latency_ms,
                "excerpt": outcome.excerpt,
                "delivered": utcnow() if outcome.ok else None,
            }
        )
        run.delivered += outcome.ok
        run.dead += dead
        run.retried += not outcome.ok and not dead
    endpoint = WebhookEndpoint.__table__.c
    async with sessionmaker() as session, session.begin():
        if params:
            await (await session.connection()).execute(_recorded, params)
        if untried:
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(untried), WebhookDelivery.claim_token == claimed[0].token)
                .values(state="pending", attempts=WebhookDelivery.attempts - 1, lease_until=None, claim_token=None)
                .execution_options(synchronize_session=False)
            )
        # Core, not the ORM: a run of failures does not change what the intake cache holds.
        if ok:
            await session.execute(
                update(WebhookEndpoint.__table__)  # type: ignore[arg-type]
                .where(endpoint.id.in_(ok), endpoint.failing_since.is_not(None))
                .values(failing_since=None)
            )
        if failing:
            await session.execute(
                update(WebhookEndpoint.__table__)  # type: ignore[arg-type]
                .where(endpoint.id.in_(failing), endpoint.failing_since.is_(None))
                .values(failing_since=now)
            )
            # Of two workers, only the one whose UPDATE switched it off mails.
            switched_off = (
                await session.scalars(
                    update(WebhookEndpoint)
                    .where(
                        WebhookEndpoint.id.in_(failing),
                        WebhookEndpoint.enabled,
                        WebhookEndpoint.failing_since <= now - DISABLE_AFTER,
                    )
                    .values(enabled=False, disabled_at=now)
                    .returning(WebhookEndpoint)
                    .execution_options(synchronize_session=False)
                )
            ).all()
            last_error = {c.endpoint.id: outcomes[c.id].excerpt for c in tried}
            for off in switched_off:
                await _tell_admins(session, off, mail=mail, error=last_error.get(off.id))
            run.disabled += len(switched_off)


async def _tell_admins(session: AsyncSession, endpoint: WebhookEndpoint, *, mail: Mail, error: str | None) -> None:
    """Mail the site's admins and leads that the endpoint was switched off (in the caller's transaction);
    the site's cached copy is stale, since it says which events the site's endpoints want."""
    await site_changed(session, endpoint.site_id)
    site = await session.get(Site, endpoint.site_id)
    if site is None:
        return
    log.warning("webhook endpoint %s of site %s switched off after a day of failures", endpoint.id, site.key)
    for person in await site_staff(session, site.id, ADMINS):
        mail.webhook_disabled(session, endpoint, site=site, staff=person, error=error)


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    mail: Mail,
    settings: Settings,
    now: datetime | None = None,
    batch: int = BATCH,
) -> WebhookRun:
    """Deliver every event due at `now` (default: as each batch is claimed), CONCURRENCY at a time.

    Outside development every URL is checked again before its attempts (its name may resolve elsewhere
    by now): a refused one fails them. Each batch's outcomes are recorded even when the pass is
    cancelled midway, so what went out is not sent again.
    """
    run = WebhookRun()
    allow_loopback = settings.environment == "development"
    gate = asyncio.Semaphore(CONCURRENCY)

    async def attempt(client: httpx.AsyncClient, claimed: _Claimed, checked: asyncio.Task[str]) -> None:
        async with gate:
            try:
                outcomes[claimed.id] = await _attempt(client, claimed, checked, settings)
            except Exception as exc:  # a payload no format can render fails like a refused answer, and dies in time
                log.exception("webhook delivery %s could not be attempted", claimed.id)
                outcomes[claimed.id] = _Outcome(False, None, None, f"{type(exc).__name__}: {exc}"[:EXCERPT])

    async with httpx.AsyncClient(follow_redirects=False, timeout=TIMEOUT) as client:
        while claimed := await _claim(sessionmaker, now=now or utcnow(), limit=batch):
            outcomes: dict[int, _Outcome] = {}
            # One look-up per endpoint and batch, off the event loop (getaddrinfo blocks).
            urls = {c.endpoint.id: c.endpoint.url for c in claimed}
            checks = {
                endpoint_id: asyncio.ensure_future(asyncio.to_thread(check_url, url, allow_loopback=allow_loopback))
                for endpoint_id, url in urls.items()
            }
            try:
                await asyncio.gather(*(attempt(client, c, checks[c.endpoint.id]) for c in claimed))
            finally:
                for check in checks.values():
                    check.cancel()
                await _even_if_cancelled(
                    _record(
                        sessionmaker,
                        claimed,
                        outcomes,
                        run,
                        mail=mail,
                        max_attempts=settings.webhook_max_attempts,
                        now=now or utcnow(),
                    )
                )
    return run
