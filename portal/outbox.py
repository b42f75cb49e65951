"""The mail outbox: enqueue inside the caller's transaction; claim, send, back off.

Rows are claimed a batch at a time by one conditional UPDATE that moves them to `sending` under a
lease. On PostgreSQL the candidate rows are picked with FOR UPDATE SKIP LOCKED so workers never
wait on each other; SQLite has a single writer, so the same statement is atomic there. Only the
holder of the claim token can mark a row sent or failed, so two workers never both deliver it.
A batch goes out over a few reused SMTP connections, and its outcomes are written in one
transaction: a mail costs its SMTP round trips and a share of two statements.
"""

from __future__ import annotations

import asyncio
import binascii
import functools
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.header import Header
from email.utils import format_datetime, parseaddr
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

from sqlalchemy import Table, and_, bindparam, exists, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.domain.redact import mask_emails
from portal.models import OutboxMail, utcnow
from portal.wakeups import OUTBOX, notify_on_commit

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # far longer than a batch's SMTP timeouts, so a live send is never re-claimed
MAX_BACKOFF = timedelta(hours=1)
BATCH = 100  # mails per claim; a worker killed mid-batch resends at most these once their lease ends
CONNECTIONS = 4  # SMTP sessions a worker keeps open in parallel while a batch goes out


class Connection(Protocol):
    """An open way to the mail server (portal/mailer.py's SmtpConnection)."""

    async def send(self, sender: str, recipient: str, message: bytes) -> None: ...

    async def close(self) -> None: ...


class Transport(Protocol):
    """Where mail goes (portal/mailer.py's SmtpMailer); None keeps it in the dev mailbox."""

    def connect(self) -> Connection: ...


Compose = Callable[[OutboxMail, str], bytes]
# Writes, in place and in the database, the claimed mails queued to be written when sent (`write_as`); one it
# may not write (its report or address erased since, or another worker's once this one's lease ran out) it marks
# cancelled, and the pass leaves it alone.
Write = Callable[[Sequence[OutboxMail]], Awaitable[None]]
"""Turns a claimed row into the message to send, given the From header (the default: `build_message`)."""


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


def outbox_row(
    *,
    dedupe_key: str,
    to_addr: str,
    to_name: str | None,
    content: MailContent,
    base_url: str,
    site_id: int | None = None,
    report_id: int | None = None,
    unsubscribe_url: str | None = None,
) -> dict[str, Any]:
    """The outbox row of one mail, waiting to be sent now."""
    return {
        "dedupe_key": dedupe_key,
        "to_addr": to_addr,
        "to_name": to_name,
        "subject": content.subject,
        "text_body": content.text,
        "html_body": content.html,
        "message_id": new_message_id(base_url),
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": utcnow(),
        "site_id": site_id,
        "report_id": report_id,
        "unsubscribe_url": unsubscribe_url,
    }


def enqueue_mail(session: AsyncSession, **mail: Any) -> OutboxMail:
    """Add a mail (the arguments of `outbox_row`) to the outbox in the caller's transaction; it is sent
    only if that commits."""
    return add_mail(session, outbox_row(**mail))


def add_mail(session: AsyncSession, row: dict[str, Any]) -> OutboxMail:
    """Add an `outbox_row` to the outbox in the caller's transaction."""
    notify_on_commit(session, OUTBOX)  # a worker in another process wakes when this commits
    mail = OutboxMail(**row)
    session.add(mail)
    return mail


async def enqueue_mails(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Add many mails (`outbox_row`s) to the outbox in one statement, in the caller's transaction."""
    if rows:
        notify_on_commit(session, OUTBOX)
        # Core, not the ORM's bulk insert: this runs for every group of reports.
        await session.execute(insert(cast(Table, OutboxMail.__table__)), rows)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPECIALS = re.compile(r'[][\\()<>@,:;".]')


def _header_value(value: str) -> str:
    """A header value as given; a line break in it would start a header of the sender's choosing."""
    if _CONTROL.search(value):
        raise ValueError(f"control character in a mail header: {value!r}")
    return value


def _encoded(text: str) -> str:
    """Plain ASCII as is; anything else, or text that mail clients would decode ("=?"), as RFC 2047
    encoded words (folded onto continuation lines)."""
    if text.isascii() and "=?" not in text:
        return text
    return Header(text, "utf-8").encode(linesep="\r\n")


def _mailbox(name: str | None, addr: str) -> str:
    """`Name <addr>` with the name quoted or encoded as it needs; the bare address without one."""
    _header_value(addr)
    if not name:
        return addr
    if name.isascii() and "=?" not in name and _SPECIALS.search(_header_value(name)):
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + f'" <{addr}>'
    return f"{_encoded(_header_value(name))} <{addr}>"


@functools.lru_cache(maxsize=8)
def _sender(mail_from: str) -> tuple[str, str]:
    """The From header and the envelope sender for a `Name <address>` setting (the same for every mail)."""
    name, addr = parseaddr(mail_from)
    return _mailbox(name, addr), addr


def _part(content_type: str, body: str) -> str:
    """One body part in UTF-8: 7bit when it is short-lined ASCII (most mail), quoted-printable otherwise."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if body.isascii() and all(len(line) <= 78 for line in lines):
        encoding, encoded = "7bit", "\r\n".join(lines)
    else:
        encoding = "quoted-printable"
        encoded = binascii.b2a_qp("\n".join(lines).encode(), istext=True).decode("ascii").replace("\n", "\r\n")
    return (
        f'Content-Type: {content_type}; charset="utf-8"\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n{encoded}\r\n'
    )


def build_message(mail: OutboxMail, mail_from: str) -> bytes:
    """The mail as sent: multipart text + HTML, headers encoded per RFC 2047, control characters refused.

    Written directly rather than through `email.message`, whose header objects and generator cost
    milliseconds per mail; tests read it back with the `email` package to check it says the same.
    """
    from_header, _envelope = _sender(mail_from)
    # "=_" never occurs in quoted-printable text, and the random part not in 7bit text.
    boundary = f"=_mend_{secrets.token_hex(12)}"
    headers = [
        f"From: {from_header}",
        f"To: {_mailbox(mail.to_name, mail.to_addr)}",
        f"Subject: {_encoded(_header_value(mail.subject))}",
        f"Date: {format_datetime(utcnow())}",
        f"Message-ID: {_header_value(mail.message_id)}",
        "Auto-Submitted: auto-generated",
    ]
    if mail.unsubscribe_url:  # RFC 8058: mail clients offer one-click unsubscribe by POSTing to it
        headers += [
            f"List-Unsubscribe: <{_header_value(mail.unsubscribe_url)}>",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        ]
    headers += ["MIME-Version: 1.0", f'Content-Type: multipart/alternative; boundary="{boundary}"']
    return (
        "\r\n".join(headers)
        + f"\r\n\r\n--{boundary}\r\n{_part('text/plain', mail.text_body)}"
        + f"--{boundary}\r\n{_part('text/html', mail.html_body)}--{boundary}--\r\n"
    ).encode()


def _due(now: datetime) -> Any:
    """Pending and due, or claimed by a worker whose lease ran out."""
    return or_(
        and_(OutboxMail.state == "pending", OutboxMail.next_attempt_at <= now),
        and_(OutboxMail.state == "sending", OutboxMail.lease_until < now),
    )


async def has_due_mail(sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime) -> bool:
    """Whether any mail is due: a read, so polling for mail never takes SQLite's write lock."""
    async with sessionmaker() as session:
        return bool(await session.scalar(select(exists().where(_due(now)))))


async def claim_due_mail(
    sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime, limit: int = 20
) -> list[OutboxMail]:
    """Claim up to `limit` due mails for this worker (pending and due, or with an expired lease)."""
    due = _due(now)
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


@dataclass
class DeliveryRun:
    """What one pass over the outbox did."""

    sent: int = 0
    retried: int = 0
    dead: int = 0


@dataclass
class _Batch:
    """One claimed batch on its way out: the mails not yet taken by a connection, and what became of the rest."""

    waiting: Iterator[OutboxMail]
    sent: list[int] = field(default_factory=list)
    failed: list[tuple[OutboxMail, str]] = field(default_factory=list)


async def _send_through(connection: Connection, batch: _Batch, compose: Compose, mail_from: str) -> None:
    """Send the batch's waiting mails one after another on one connection, noting each outcome.

    A connection that cannot reach the server stops taking mail, so an outage costs one timeout per
    connection, not one per mail; the mails no connection took count as failed by the caller.
    """
    envelope = _sender(mail_from)[1]
    for mail in batch.waiting:
        try:
            await connection.send(envelope, mail.to_addr, compose(mail, mail_from))
        except Exception as exc:  # any failure is retried later; nothing is dropped
            log.warning("mail %s attempt %s failed: %s", mail.id, mail.attempts, mask_emails(str(exc)))
            batch.failed.append((mail, f"{type(exc).__name__}: {exc}"[:2000]))
            if isinstance(exc, OSError):  # refused, unreachable, timed out: the server is away
                return
        else:
            batch.sent.append(mail.id)


_failed = (
    update(OutboxMail.__table__)  # type: ignore[arg-type]
    .where(OutboxMail.id == bindparam("mail_id"), OutboxMail.claim_token == bindparam("token"))
    .values(
        state=bindparam("new_state"),
        next_attempt_at=bindparam("retry_at"),
        last_error=bindparam("error"),
        lease_until=None,
        claim_token=None,
    )
)


async def _record(
    sessionmaker: async_sessionmaker[AsyncSession],
    claimed: Sequence[OutboxMail],
    batch: _Batch,
    run: DeliveryRun,
    *,
    transport: str,
    now: datetime,
    max_attempts: int,
    backoff_seconds: float,
) -> None:
    """Write a batch's outcomes in one transaction. The mails no connection got to failed like the last
    one that did (the server is away); when none failed, the worker was stopped: they go back untried."""
    done = set(batch.sent) | {mail.id for mail, _error in batch.failed}
    untried = [mail for mail in claimed if mail.id not in done]
    failed = batch.failed + ([(mail, batch.failed[-1][1]) for mail in untried] if batch.failed else [])
    token = claimed[0].claim_token
    async with sessionmaker() as session, session.begin():
        if batch.sent:
            await session.execute(
                update(OutboxMail)
                .where(OutboxMail.id.in_(batch.sent), OutboxMail.claim_token == token)
                .values(state="sent", sent_at=utcnow(), transport=transport, lease_until=None, claim_token=None)
                .execution_options(synchronize_session=False)
            )
        if untried and not batch.failed:
            await session.execute(
                update(OutboxMail)
                .where(OutboxMail.id.in_([mail.id for mail in untried]), OutboxMail.claim_token == token)
                .values(state="pending", attempts=OutboxMail.attempts - 1, lease_until=None, claim_token=None)
                .execution_options(synchronize_session=False)
            )
        if failed:
            conn = await session.connection()
            await conn.execute(
                _failed,
                [
                    {
                        "mail_id": mail.id,
                        "token": mail.claim_token,
                        "new_state": "dead" if mail.attempts >= max_attempts else "pending",
                        "retry_at": now + backoff_delay(mail.attempts, backoff_seconds),
                        "error": message,
                    }
                    for mail, message in failed
                ],
            )
    run.sent += len(batch.sent)
    run.dead += sum(mail.attempts >= max_attempts for mail, _error in failed)
    run.retried += sum(mail.attempts < max_attempts for mail, _error in failed)


async def _even_if_cancelled(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` to its end even when the caller is cancelled meanwhile, then let the cancellation go on."""
    task = asyncio.ensure_future(work)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise


async def deliver_due_mail(
    sessionmaker: async_sessionmaker[AsyncSession],
    transport: Transport | None,
    *,
    mail_from: str,
    max_attempts: int,
    backoff_seconds: float,
    now: datetime | None = None,
    batch: int = BATCH,
    compose: Compose = build_message,
    write: Write,
) -> DeliveryRun:
    """Send every mail due at `now` (default: as each batch is claimed), `batch` at a time, over up to
    CONNECTIONS reused connections, each batch written by `write` first where it waits to be;
    `transport=None` keeps mail in the dev mailbox.

    Each batch's outcomes are recorded even when the pass is cancelled midway (a worker told to stop),
    so what went out is not sent again.
    """
    run = DeliveryRun()
    connections = [transport.connect() for _ in range(CONNECTIONS)] if transport else []
    try:
        while claimed := await claim_due_mail(sessionmaker, now=now or utcnow(), limit=batch):
            await write(claimed)
            claimed = [mail for mail in claimed if mail.state == "sending"]  # not those cancelled on the way
            if not claimed:
                continue
            out = _Batch(iter(claimed))
            try:
                if connections:
                    await asyncio.gather(*(_send_through(c, out, compose, mail_from) for c in connections))
                else:
                    out.sent = [mail.id for mail in claimed]
            finally:
                await _even_if_cancelled(
                    _record(
                        sessionmaker,
                        claimed,
                        out,
                        run,
                        transport="smtp" if transport else "devbox",
                        now=now or utcnow(),
                        max_attempts=max_attempts,
                        backoff_seconds=backoff_seconds,
                    )
                )
    finally:
        for connection in connections:
            await connection.close()
    return run
