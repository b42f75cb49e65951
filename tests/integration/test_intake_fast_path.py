"""Intake at incident scale: bounded counts, per-process site caches that are never stale, and group commit."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import timedelta

import httpx
from litestar.testing import AsyncTestClient
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from portal.app import create_app
from portal.domain.apology import placeholder_errors
from portal.group_commit import GroupCommit, GroupFailed
from portal.mail import Mail
from portal.models import ApologyTemplate, Gesture, OutboxMail, Report, utcnow
from portal.services import intake
from portal.services.sites import rotate_secret
from tests.conftest import BASE_URL, TEST_SECRET, make_settings, report_body, signed_as
from tests.smtp import free_port

# ---- the flood count is bounded -------------------------------------------------------------------


async def test_the_hour_count_stops_at_its_cap_however_many_reports_the_site_had(
    make_report, session, site, monkeypatch
):
    monkeypatch.setattr(intake, "SITE_HOUR_CAP", 3)
    now = utcnow()
    for n in range(5):
        await make_report(site, at=now - timedelta(minutes=5 - n), email=f"c{n}@example.com")
    statement, _ = intake.counts_statement(site, ["email:c0@example.com", "email:c1@example.com"], now, "sqlite")
    assert str(statement).count("LIMIT") == 2  # the hour's reports and each customer's: both bounded
    counts = await intake._counts(session, site, ["email:c0@example.com", "email:nobody@example.com"], now)
    assert counts.site_last_hour == 3
    assert counts.earlier == {"email:c0@example.com": 1, "email:nobody@example.com": 0}
    latest = await session.scalar(select(Report).order_by(Report.id.desc()).limit(1))
    assert latest.site_reports_last_hour == 3


# ---- caches: a change through one process is seen at once through another --------------------------


@contextlib.asynccontextmanager
async def two_processes(settings) -> AsyncIterator[tuple[AsyncTestClient, AsyncTestClient]]:
    """Two apps on one database: each has its own site cache and writer, as two server processes do."""
    async with (
        AsyncTestClient(create_app(settings), base_url=BASE_URL) as first,
        AsyncTestClient(create_app(settings), base_url=BASE_URL) as second,
    ):
        yield first, second


async def test_a_rotated_secret_takes_effect_at_once_in_every_process(settings, sessionmaker, session, site):
    async with two_processes(settings) as (first, second):
        old = signed_as(site, "cust-1")
        for client in (first, second):  # both caches hold the site with its old secret
            assert (await client.post("/api/v1/reports", json=report_body(site, **old))).status_code == 201
        await rotate_secret(session, site)
        created = await second.post("/api/v1/reports", json=report_body(site, **signed_as(site, "cust-2")))
        stale = await second.post("/api/v1/reports", json=report_body(site, **old))
    rows = {r.ref: r for r in (await session.scalars(select(Report))).all()}
    assert rows[created.json()["id"]].identity_verified
    assert not rows[stale.json()["id"]].identity_verified


async def test_a_template_published_or_withdrawn_takes_effect_at_once_in_every_process(
    settings, sessionmaker, session, site
):
    body = "Dear {name}, we are truly sorry about {category}. We will fix it today."
    assert not placeholder_errors(body)
    async with two_processes(settings) as (first, second):
        for client in (first, second):
            assert "truly sorry" not in (await client.post("/api/v1/reports", json=report_body(site))).text
        template = ApologyTemplate(site_id=site.id, category=None, lang="en", body=body, published=True)
        session.add(template)
        await session.commit()
        assert "truly sorry" in (await second.post("/api/v1/reports", json=report_body(site))).json()["apology"]["text"]
        await session.delete(template)
        await session.commit()
        assert (
            "truly sorry" not in (await first.post("/api/v1/reports", json=report_body(site))).json()["apology"]["text"]
        )


async def test_a_gesture_withdrawn_is_no_longer_offered_in_any_process(settings, sessionmaker, session, site):
    async with two_processes(settings) as (first, second):
        offered = (await first.post("/api/v1/reports", json=report_body(site))).json()["gestures"]
        assert offered == (await second.post("/api/v1/reports", json=report_body(site))).json()["gestures"]
        gesture = await session.get(Gesture, offered[0]["id"])
        gesture.active = False
        await session.commit()
        again = (await second.post("/api/v1/reports", json=report_body(site))).json()["gestures"]
    assert gesture.id not in [g["id"] for g in again]


# ---- group commit ---------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def unlimited_client(database_url, session, site) -> AsyncIterator[AsyncTestClient]:
    """A client whose many reports from one address no limit refuses."""
    site.max_reports_per_minute = 100_000
    await session.commit()
    app = create_app(make_settings(database_url, reports_per_minute=100_000))
    async with AsyncTestClient(app, base_url=BASE_URL) as client:
        yield client


async def test_concurrent_reports_each_count_the_ones_before_them_and_queue_their_mail(database_url, session, site):
    async with unlimited_client(database_url, session, site) as client:
        answers = await asyncio.gather(
            *(
                client.post("/api/v1/reports", json=report_body(site, email="same@example.com", description=f"n{n}"))
                for n in range(12)
            )
        )
    assert [a.status_code for a in answers] == [201] * 12
    reports = (await session.scalars(select(Report).order_by(Report.id))).all()
    assert {r.ref for r in reports} == {a.json()["id"] for a in answers}
    # One customer's reports, written in a few groups: each sees every earlier one, in the group or not.
    assert [r.repeat_level for r in reports] == [1, 2, 3] + [4] * 9
    assert [r.site_reports_last_hour for r in reports] == list(range(12))
    mailed = set((await session.scalars(select(OutboxMail.report_id))).all())
    assert mailed == {r.id for r in reports}


async def test_a_group_is_written_in_one_insert_and_each_mail_belongs_to_its_own_report(settings, session, site):
    # The ids come back matched by reference, not by position: each apology must still go to its own report.
    pending = [
        intake.prepare(
            await intake.load_snapshot(session, site),
            intake.IntakeRequest(
                raw=report_body(site, email=f"c{n}@example.com", description=f"Report number {n}"),
                origin=None,
                client=f"client-{n}",
                user_agent=None,
                lang="en",
                now=utcnow(),
            ),
            settings,
        )
        for n in range(10)
    ]
    inserts: list[str] = []

    def record(conn: object, cursor: object, statement: str, *rest: object) -> None:
        if statement.startswith("INSERT INTO report "):
            inserts.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        stored = await intake.store_reports(
            session, pending, mail=Mail.from_settings(settings), sites=None, settings=settings
        )
        await session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(inserts) == 1
    reports = {r.ref: r for r in (await session.scalars(select(Report))).all()}
    for n, receipt in enumerate(stored):
        assert reports[receipt.ref].description == f"Report number {n}"
    by_id = {r.id: r for r in reports.values()}
    mails = (await session.scalars(select(OutboxMail))).all()
    assert sorted(mail.to_addr for mail in mails) == sorted(f"c{n}@example.com" for n in range(10))
    for mail in mails:
        assert by_id[mail.report_id].customer_email == mail.to_addr


async def test_a_failed_group_fails_only_its_requests_stores_none_of_them_and_the_next_group_goes_on(
    database_url, session, site, monkeypatch
):
    real_row = intake._report_row

    def row_or_fail(pending, *args):
        if pending.draft.description == "boom":
            raise RuntimeError("the database refused this row")
        return real_row(pending, *args)

    monkeypatch.setattr(intake, "_report_row", row_or_fail)
    descriptions = [f"fine {n}" for n in range(4)] + ["boom"] + [f"fine {n}" for n in range(4, 8)]
    async with unlimited_client(database_url, session, site) as client:
        answers = await asyncio.gather(
            *(
                client.post("/api/v1/reports", json=report_body(site, description=d, email="c@example.com"))
                for d in descriptions
            )
        )
        after = await client.post("/api/v1/reports", json=report_body(site, description="after", email="c@example.com"))

    by_description = dict(zip(descriptions, answers, strict=True))
    assert by_description["boom"].status_code == 503
    assert by_description["boom"].headers["retry-after"]
    stored = {r.description: r for r in (await session.scalars(select(Report))).all()}
    for description, answer in by_description.items():
        assert answer.status_code in (201, 503)
        # A 201 is stored with its mail; a 503 left nothing behind.
        assert (description in stored) == (answer.status_code == 201), description
    assert after.status_code == 201
    assert "after" in stored
    mails = await session.scalar(select(func.count()).select_from(OutboxMail))
    assert mails == len(stored)


@contextlib.contextmanager
def committed_groups() -> Iterator[list[list[int]]]:
    """The items of each group that committed, in order, as the groups' `apply` noted them (`note_items`)."""
    committed: list[list[int]] = []

    def record(session: Session) -> None:
        if "items" in session.info:
            committed.append(session.info.pop("items"))

    event.listen(Session, "after_commit", record)
    try:
        yield committed
    finally:
        event.remove(Session, "after_commit", record)


def note_items(session: AsyncSession, items: Sequence[int]) -> None:
    session.info.setdefault("items", []).extend(items)


async def test_the_writer_answers_each_item_after_its_group_commits_and_survives_a_failed_group(sessionmaker):
    async def apply(session, items):
        if -1 in items:
            raise RuntimeError("broken group")
        note_items(session, items)
        return [n * 10 for n in items]

    writer: GroupCommit[int, int] = GroupCommit(sessionmaker, apply)
    with committed_groups() as committed:
        try:
            first = await asyncio.gather(*(writer.submit(n) for n in range(1, 6)))
            failed = await asyncio.gather(writer.submit(-1), writer.submit(7), return_exceptions=True)
            last = await writer.submit(8)
        finally:
            await writer.stop()
    assert first == [10, 20, 30, 40, 50]
    assert len(committed[0]) > 1  # requests that arrive together share a commit
    assert all(isinstance(answer, GroupFailed) for answer in failed)
    assert last == 80
    assert committed[-1] == [8]


async def test_a_wave_of_requests_that_trickles_in_is_written_as_one_group(sessionmaker):
    # Under load the answers of one group bring back the next wave, not all in the same instant: a group
    # must not leave as soon as its first few have come, making the rest pay for a commit of their own.
    async def apply(session, items):
        note_items(session, items)
        return list(items)

    writer: GroupCommit[int, int] = GroupCommit(sessionmaker, apply, gather_wait=0.5)

    async def late(n: int) -> int:
        await asyncio.sleep(0.02)
        return await writer.submit(n)

    with committed_groups() as committed:
        try:
            assert await asyncio.gather(*(writer.submit(n) for n in range(10))) == list(range(10))
            wave = [writer.submit(n) for n in range(10, 13)] + [late(n) for n in range(13, 20)]
            assert await asyncio.gather(*wave) == list(range(10, 20))
            lone = await writer.submit(20)  # the load dropped: one item waits for no cohort past gather_wait
        finally:
            await writer.stop()
    assert committed == [list(range(10)), list(range(10, 20)), [20]]
    assert lone == 20


async def test_a_group_whose_results_do_not_match_its_items_fails_cleanly_and_the_writer_goes_on(sessionmaker):
    async def apply(session, items):
        note_items(session, items)
        return [n * 10 for n in items if n != -1]  # a bug: no result for -1

    writer: GroupCommit[int, int] = GroupCommit(sessionmaker, apply)
    with committed_groups() as committed:
        try:
            async with asyncio.timeout(10):  # every request answered: none left waiting for a result
                failed = await asyncio.gather(writer.submit(-1), writer.submit(2), return_exceptions=True)
                after = await writer.submit(3)
        finally:
            await writer.stop()
    assert all(isinstance(answer, GroupFailed) for answer in failed)
    assert after == 30
    assert committed == [[3]]  # the broken group was rolled back


# ---- a 201 survives kill -9 -----------------------------------------------------------------------


async def test_every_acknowledged_report_survives_kill_9_of_the_server_under_load(database_url, session, site):
    site.max_reports_per_minute = 100_000
    await session.commit()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "portal", "run", "--port", str(port), "--no-access-log"],
        env={
            **os.environ,
            "PORTAL_DATABASE_URL": database_url,
            "PORTAL_SECRET_KEY": TEST_SECRET,
            "PORTAL_BASE_URL": url,
            "PORTAL_REPORTS_PER_MINUTE": "100000",
            "PORTAL_LOG_LEVEL": "warning",
        },
    )
    acknowledged: list[str] = []
    enough = asyncio.Event()  # kill it once this many reports were answered 201, with more in flight
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            async with asyncio.timeout(120):
                while True:
                    with contextlib.suppress(httpx.TransportError):
                        if (await http.get("/health")).status_code == 200:
                            break
                    await asyncio.sleep(0.2)

            async def fire(n: int) -> None:
                with contextlib.suppress(httpx.TransportError):
                    while True:
                        answer = await http.post(
                            "/api/v1/reports",
                            json=report_body(site, description=f"load {n}", email=f"c{n}@example.com"),
                            headers={"origin": url},
                        )
                        if answer.status_code == 201:
                            acknowledged.append(answer.json()["id"])
                            if len(acknowledged) >= 40:
                                enough.set()

            load = [asyncio.create_task(fire(n)) for n in range(16)]
            await asyncio.wait_for(enough.wait(), 60)
            server.send_signal(signal.SIGKILL)
            await asyncio.gather(*load)
    finally:
        with contextlib.suppress(ProcessLookupError):
            server.kill()
        await server.wait()
    stored = set((await session.scalars(select(Report.ref))).all())
    assert set(acknowledged) <= stored
    mailed = await session.scalar(
        select(func.count()).select_from(OutboxMail).join(Report).where(Report.ref.in_(acknowledged))
    )
    assert mailed == len(acknowledged)
