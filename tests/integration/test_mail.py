"""The outbox against a real SMTP server on loopback (aiosmtpd): delivery, outages, two workers."""

from __future__ import annotations

import asyncio
import functools
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from sqlalchemy import select

from portal.mail import Mail
from portal.mailer import SmtpMailer
from portal.models import CorrectiveAction, MeToo, OutboxMail, utcnow
from portal.outbox import LEASE, MailContent, claim_due_mail, deliver_due_mail, enqueue_mail
from portal.services import corrective_actions, privacy
from portal.worker import Worker
from tests.conftest import add_staff, login, make_settings
from tests.html import every, text, text_of
from tests.smtp import SmtpServer


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_settings(database_url, smtp):
    return make_settings(database_url, smtp_url=smtp.url)


async def the_mail(sessionmaker) -> OutboxMail:
    """The one outbox row, read in a session of its own (SQLite runs on a single connection)."""
    async with sessionmaker() as session:
        return await session.scalar(select(OutboxMail))


def deliver(sessionmaker, settings, now=None, batch=20):
    return Worker(settings, sessionmaker, Mail.from_settings(settings)).run_once(now, batch)


async def test_apology_mail_reaches_the_smtp_server(sessionmaker, site, smtp, smtp_settings, make_report):
    receipt = (await make_report(site, email="zoe@example.com", name="Zoë Ünal")).receipt
    run = await deliver(sessionmaker, smtp_settings)
    assert run.sent == 1
    [message] = smtp.inbox.messages
    assert str(make_header(decode_header(message["To"]))) == "Zoë Ünal <zoe@example.com>"
    assert "about what you told us" in message["Subject"]
    assert message["Message-ID"]
    assert message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert receipt["status_url"] in text
    assert receipt["status_url"] in html
    assert "Zoë" in text


async def test_smtp_outage_delays_the_mail_without_losing_or_duplicating_it(
    sessionmaker, site, smtp, smtp_settings, make_report
):
    smtp.stop()
    await make_report(site, email="pat@example.com")
    failed = await deliver(sessionmaker, smtp_settings)
    assert (failed.sent, failed.retried) == (0, 1)
    mail = await the_mail(sessionmaker)
    assert (mail.state, mail.attempts) == ("pending", 1)
    assert mail.last_error
    assert mail.next_attempt_at > utcnow()

    assert (await deliver(sessionmaker, smtp_settings)).sent == 0  # not due yet: backing off
    smtp.start()
    later = utcnow() + timedelta(seconds=smtp_settings.mail_backoff_seconds + 1)
    assert (await deliver(sessionmaker, smtp_settings, now=later)).sent == 1
    assert (await deliver(sessionmaker, smtp_settings, now=later + timedelta(hours=2))).sent == 0
    assert len(smtp.inbox.messages) == 1


async def test_two_workers_never_send_the_same_mail(session, sessionmaker, site, smtp, smtp_settings):
    queue_mails(session, site, smtp_settings, 12)
    await session.commit()
    # Small batches so the two workers interleave their claims.
    first, second = await asyncio.gather(
        deliver(sessionmaker, smtp_settings, batch=2), deliver(sessionmaker, smtp_settings, batch=2)
    )
    assert first.sent > 0
    assert second.sent > 0
    assert first.sent + second.sent == 12
    recipients = sorted(m["To"] for m in smtp.inbox.messages)
    assert recipients == sorted(f"c{n}@example.com" for n in range(12))


async def test_a_mail_that_keeps_failing_becomes_a_dead_letter_visible_to_staff(
    client, session, sessionmaker, site, smtp, smtp_settings, make_report
):
    smtp.stop()
    await make_report(site, email="gone@example.com")
    now = utcnow()
    for _ in range(smtp_settings.mail_max_attempts):
        await deliver(sessionmaker, smtp_settings, now=now)
        now += timedelta(hours=2)
    mail = await the_mail(sessionmaker)
    assert (mail.state, mail.attempts) == ("dead", smtp_settings.mail_max_attempts)
    assert (await deliver(sessionmaker, smtp_settings, now=now + timedelta(days=1))).sent == 0

    await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "agent@shop.example")
    [row] = every((await client.get("/staff/mail?state=dead")).text, '[data-testid="mail-row"]')
    assert "<gone@example.com>" in text(row)
    assert text_of(row, ".badge") == "dead"


async def test_a_crashed_workers_lease_expires_and_its_late_result_is_ignored(
    sessionmaker, site, smtp, smtp_settings, make_report
):
    await make_report(site, email="lease@example.com")
    now = utcnow()
    [crashed] = await claim_due_mail(sessionmaker, now=now)  # claimed, then the worker dies
    assert await claim_due_mail(sessionmaker, now=now + timedelta(seconds=5)) == []  # lease still held
    assert (await deliver(sessionmaker, smtp_settings, now=now + LEASE + timedelta(seconds=1))).sent == 1
    assert len(smtp.inbox.messages) == 1
    mail = await the_mail(sessionmaker)
    assert mail.state == "sent"
    assert mail.claim_token is None
    assert crashed.claim_token


def test_smtp_url_parsing():
    plain = SmtpMailer.from_url("smtp://user%40x:p%3Ass@mail.example:2525")
    assert (plain.hostname, plain.port, plain.username, plain.password, plain.use_tls) == (
        "mail.example",
        2525,
        "user@x",
        "p:ss",
        False,
    )
    assert SmtpMailer.from_url("smtps://mail.example").port == 465
    with pytest.raises(ValueError):
        SmtpMailer.from_url("http://mail.example")


async def test_closure_mail_goes_once_to_each_person_across_a_worker_restart(
    session, sessionmaker, site, smtp, smtp_settings, make_report
):
    lead = await add_staff(session, "lee@shop.example", "lead", [site])
    reports = [await make_report(site, email=addr) for addr in ("ana@example.com", "ana@example.com", "bo@example.com")]
    ca = CorrectiveAction(
        site_id=site.id,
        title="Late parcels",
        problem="Evening routes overbooked.",
        whys=["Too many stops"],
        corrective_action="Fewer stops per van.",
        preventive_action="Route planner caps stops.",
        closure_summary="Evening vans now take fewer stops.",
        state="verifying",
        owner_id=lead.id,
    )
    session.add(ca)
    await session.flush()
    for report in reports:
        report.ca_id = ca.id
    session.add(MeToo(ca_id=ca.id, email="cy@example.com"))
    await session.commit()
    await corrective_actions.move(session, ca, "closed", None, mail=Mail.from_settings(smtp_settings))
    await deliver(sessionmaker, smtp_settings)  # one worker sends, then "restarts" as a new one
    await deliver(sessionmaker, smtp_settings)
    await Worker(smtp_settings, sessionmaker, Mail.from_settings(smtp_settings)).run_once()
    closure = [m for m in smtp.inbox.messages if "what we changed" in str(make_header(decode_header(m["Subject"])))]
    assert sorted(str(m["To"]) for m in closure) == ["ana@example.com", "bo@example.com", "cy@example.com"]
    assert all(m["List-Unsubscribe"].startswith("<http://testserver.local/u/") for m in closure)


async def test_queued_mail_wakes_the_worker_only_once_its_transaction_commits(session, site, settings, make_report):
    mail = Mail.from_settings(settings)
    report = await make_report(site, email="ana@example.com")
    staff = await add_staff(session, "agent@shop.example", "agent", [site])
    mail.wrapup(session, report, staff)
    assert not mail.queued.is_set()  # queued in the transaction, not yet committed: nothing to send
    await session.rollback()
    assert not mail.queued.is_set()  # rolled back: the mail is gone, and so is the wake-up
    await session.refresh(report)
    await session.refresh(staff)
    mail.wrapup(session, report, staff)
    await session.commit()
    assert mail.queued.is_set()
    assert await session.scalar(select(OutboxMail).where(OutboxMail.dedupe_key == f"wrapup:{report.id}"))


class Gate:
    """A mail server that accepts `allow` mails, then holds every connection until the worker is stopped."""

    def __init__(self, allow: int) -> None:
        self.allow = allow
        self.received: list[str] = []
        self.holding = asyncio.Event()

    def connect(self) -> Gate:
        return self

    async def send(self, sender: str, recipient: str, message: bytes) -> None:
        if len(self.received) >= self.allow:
            self.holding.set()
            await asyncio.Event().wait()
        self.received.append(recipient)

    async def close(self) -> None:
        pass


class Refusing(Gate):
    """A mail server that is down."""

    async def send(self, sender: str, recipient: str, message: bytes) -> None:
        raise ConnectionRefusedError("connection refused")


def queue_mails(session, site, settings, count: int) -> None:
    for n in range(count):
        content = MailContent(subject=f"mail {n}", text="hello", html="<p>hello</p>")
        enqueue_mail(
            session,
            dedupe_key=f"t:{n}",
            to_addr=f"c{n}@example.com",
            to_name=None,
            content=content,
            base_url=settings.base_url,
            site_id=site.id,
        )


def outbox_pass(sessionmaker, settings, transport, now=None):
    return deliver_due_mail(
        sessionmaker,
        transport,
        mail_from=settings.mail_from,
        max_attempts=settings.mail_max_attempts,
        backoff_seconds=settings.mail_backoff_seconds,
        now=now,
        write=functools.partial(Mail.from_settings(settings).write_claimed, sessionmaker),
    )


async def test_a_worker_stopped_mid_batch_records_what_it_sent_and_gives_back_the_rest(
    session, sessionmaker, site, settings
):
    queue_mails(session, site, settings, 10)
    await session.commit()
    gate = Gate(allow=3)
    stopped = asyncio.create_task(outbox_pass(sessionmaker, settings, gate))
    await gate.holding.wait()
    stopped.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stopped

    rows = (await session.scalars(select(OutboxMail).execution_options(populate_existing=True))).all()
    sent = {m.to_addr for m in rows if m.state == "sent"}
    assert sent == set(gate.received)
    assert len(sent) == 3
    back = [m for m in rows if m.state != "sent"]
    assert {(m.state, m.attempts, m.claim_token) for m in back} == {("pending", 0, None)}

    rest = Gate(allow=100)
    assert (await outbox_pass(sessionmaker, settings, rest)).sent == 7
    assert sorted(gate.received + rest.received) == sorted(f"c{n}@example.com" for n in range(10))


async def test_a_server_outage_backs_off_the_whole_batch_and_ends_the_pass(session, sessionmaker, site, settings):
    queue_mails(session, site, settings, 10)
    await session.commit()
    run = await outbox_pass(sessionmaker, settings, Refusing(allow=0))
    assert (run.sent, run.retried) == (0, 10)
    rows = (await session.scalars(select(OutboxMail))).all()
    assert {(m.state, m.attempts) for m in rows} == {("pending", 1)}
    assert all(m.next_attempt_at > utcnow() and "refused" in m.last_error for m in rows)


class Keeping(Gate):
    """A mail server that accepts everything and keeps each message."""

    def __init__(self) -> None:
        super().__init__(allow=10**6)
        self.messages: list[bytes] = []

    async def send(self, sender: str, recipient: str, message: bytes) -> None:
        self.messages.append(message)


async def test_an_apology_is_written_once_when_first_claimed_and_a_retry_sends_the_same_words(
    session, sessionmaker, site, settings, make_report
):
    report = await make_report(site, email="ana@example.com", name="Ana")
    queued = await session.scalar(select(OutboxMail).where(OutboxMail.report_id == report.id))
    assert (queued.write_as, queued.subject, queued.text_body) == ("apology", "", "")  # intake renders nothing
    await outbox_pass(sessionmaker, settings, Refusing(allow=0))  # written, then the server is down
    await session.refresh(queued)
    assert (queued.state, queued.write_as) == ("pending", None)
    written = queued.text_body
    assert report.apology_text in written
    report.apology_text = "Changed after the first attempt"  # e.g. staff edited the report meanwhile
    await session.commit()
    server = Keeping()
    run = await outbox_pass(sessionmaker, settings, server, now=utcnow() + timedelta(days=1))
    assert run.sent == 1
    sent = server.messages[0].decode()
    assert "Changed after the first attempt" not in sent
    assert report.ref in sent
    assert "Ana" in sent


async def test_an_apology_whose_customer_was_erased_after_the_claim_is_cancelled_not_written(
    session, sessionmaker, site, settings, make_report
):
    report = await make_report(site, email="ana@example.com", description="My parcel for Ana's flat")
    [claimed] = await claim_due_mail(sessionmaker, now=utcnow())
    await privacy.erase_customer(session, site, report.customer_key, actor="staff", staff=None, reason="asked")
    await session.commit()
    await Mail.from_settings(settings).write_claimed(sessionmaker, [claimed])
    assert claimed.state == "cancelled"  # so the pass that claimed it does not send it
    stored = await session.get(OutboxMail, claimed.id)
    await session.refresh(stored)
    assert stored.state == "cancelled"
    assert "parcel" not in stored.text_body + stored.html_body + stored.subject


async def test_a_worker_whose_lease_ran_out_neither_writes_nor_sends_the_apology_another_claimed(
    session, sessionmaker, site, settings, make_report
):
    await make_report(site, email="ana@example.com")
    [slow] = await claim_due_mail(sessionmaker, now=utcnow())
    [other] = await claim_due_mail(sessionmaker, now=utcnow() + LEASE + timedelta(seconds=1))  # the lease ran out
    await Mail.from_settings(settings).write_claimed(sessionmaker, [slow])
    assert slow.state == "cancelled"  # this worker's pass drops it: the other one sends it, once
    stored = await session.get(OutboxMail, other.id)
    assert (stored.state, stored.claim_token, stored.write_as) == ("sending", other.claim_token, "apology")
