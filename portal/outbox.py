"""The mail outbox: enqueue inside the caller's transaction; claim, send, back off.

A row is claimed by one conditional UPDATE that moves it to `sending` under a lease. On
PostgreSQL the candidate rows are picked with FOR UPDATE SKIP LOCKED so workers never wait on
each other; SQLite has a single writer, so the same statement is atomic there. Only the holder
of the claim token can mark a row sent or failed, so two workers never both deliver it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import urlsplit

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.models import OutboxMail, utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # far longer than an SMTP timeout, so a live send is never re-claimed
MAX_BACKOFF = timedelta(hours=1)

Send = Callable[[EmailMessage], Awaitable[None]]


@dataclass(frozen=True)
class MailContent:
    """A rendered mail: subject, plain text and HTML."""

    subject: str
    text: str
    html: str


def backoff_delay(attempts: int, base_seconds: float) -> timedelta:
    """Exponential delay before the next attempt: base, 2×base, 4×base… capped at an hour."""
    return min(timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def new_message_id(base_url: str) -> str:
    """A globally unique Message-ID in the portal's domain, fixed at enqueue time."""
    return f"<{secrets.token_hex(16)}@{urlsplit(base_url).hostname or 'localhost'}>"


def enqueue_mail(
    session: AsyncSession,
    *,
    dedupe_key: str,
    to_addr: str,
    to_name: str | None,
    content: MailContent,
    base_url: str,
    site_id: int | None = None,
    report_id: int | None = None,
    unsubscribe_url: str | None = None,
) -> OutboxMail:
    """Add a mail to the outbox in the caller's transaction; it is sent only if that commits."""
    mail = OutboxMail(
        dedupe_key=dedupe_key,
        to_addr=to_addr,
        to_name=to_name,
        subject=content.subject,
        text_body=content.text,
        html_body=content.html,
        message_id=new_message_id(base_url),
        state="pending",
        attempts=0,
        next_attempt_at=utcnow(),
        site_id=site_id,
        report_id=report_id,
        unsubscribe_url=unsubscribe_url,
    )
    session.add(mail)
    return mail


def build_message(mail: OutboxMail, mail_from: str) -> EmailMessage:
    """A multipart text + HTML message; the email policy refuses header values with line breaks."""
    message = EmailMessage()
    from_name, from_addr = parseaddr(mail_from)
    message["From"] = Address(display_name=from_name, addr_spec=from_addr)
    message["To"] = Address(display_name=mail.to_name or "", addr_spec=mail.to_addr)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = mail.message_id
    message["Auto-Submitted"] = "auto-generated"
    if mail.unsubscribe_url:  # RFC 8058: mail clients offer one-click unsubscribe by POSTing to it
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(mail.text_body)
    message.add_alternative(mail.html_body, subtype="html")
    return message


async def claim_due_mail(
    sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime, limit: int = 20
) -> list[OutboxMail]:
    """Claim up to `limit` due mails for this worker (pending and due, or with an expired lease)."""
    due = or_(
        and_(OutboxMail.state == "pending", OutboxMail.next_attempt_at <= now),
        and_(OutboxMail.state == "sending", OutboxMail.lease_until < now),
    )
    token = secrets.token_hex(16)
    # A materialized CTE runs the LIMIT once; an IN (subquery) can be rescanned by PostgreSQL,
    # and with SKIP LOCKED each rescan picks new rows, claiming far more than `limit`.
    picked = (
        select(OutboxMail.id)
        .where(due)
        .order_by(OutboxMail.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED")
    )
    claim = (
        update(OutboxMail)
        .where(OutboxMail.id.in_(select(picked.c.id)), due)
        .values(state="sending", lease_until=now + LEASE, claim_token=token, attempts=OutboxMail.attempts + 1)
        .returning(OutboxMail)
        .execution_options(synchronize_session=False)
    )
    async with sessionmaker() as session, session.begin():
        return list((await session.scalars(claim)).all())


async def _finish(sessionmaker: async_sessionmaker[AsyncSession], mail: OutboxMail, **values: object) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == mail.id, OutboxMail.claim_token == mail.claim_token)
            .values(lease_until=None, claim_token=None, **values)
        )


@dataclass
class DeliveryRun:
    """What one pass over the outbox did."""

    sent: int = 0
    retried: int = 0
    dead: int = 0


async def deliver_due_mail(
    sessionmaker: async_sessionmaker[AsyncSession],
    send: Send | None,
    *,
    mail_from: str,
    max_attempts: int,
    backoff_seconds: float,
    now: datetime | None = None,
    batch: int = 20,
) -> DeliveryRun:
    """Send every mail due at `now`, claiming `batch` at a time; `send=None` keeps mail in the dev mailbox."""
    now = now or utcnow()
    run = DeliveryRun()
    while claimed := await claim_due_mail(sessionmaker, now=now, limit=batch):
        for mail in claimed:
            try:
                if send is not None:
                    await send(build_message(mail, mail_from))
            except Exception as exc:  # any failure is retried later; nothing is dropped
                dead = mail.attempts >= max_attempts
                log.warning("mail %s attempt %s failed: %s", mail.id, mail.attempts, exc)
                await _finish(
                    sessionmaker,
                    mail,
                    state="dead" if dead else "pending",
                    next_attempt_at=now + backoff_delay(mail.attempts, backoff_seconds),
                    last_error=f"{type(exc).__name__}: {exc}"[:2000],
                )
                run.dead += dead
                run.retried += not dead
            else:
                await _finish(
                    sessionmaker, mail, state="sent", sent_at=utcnow(), transport="smtp" if send else "devbox"
                )
                run.sent += 1
    return run
