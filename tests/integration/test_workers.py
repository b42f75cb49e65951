"""Two workers on one database (SQLite or PostgreSQL): every step is done once, by whichever gets there
first, and neither pass fails."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.db import make_engine, make_sessionmaker
from portal.mail import Mail
from portal.models import CAEvent, CorrectiveAction, MonthlyResult, OutboxMail, ReportEvent, Site, utcnow
from portal.outbox import DeliveryRun
from portal.services import corrective_actions, monthly, rollups
from portal.settings import Settings
from portal.worker import Worker
from tests.conftest import add_staff, make_settings


@pytest.fixture
def settings(database_url: str) -> Settings:
    """These tests report more than an address may in a minute."""
    return make_settings(database_url, reports_per_minute=100)


@pytest.fixture
async def workers(settings: Settings) -> AsyncIterator[list[Worker]]:
    """Two workers, each on an engine of its own, as two `portal worker` processes would be."""
    engines = [make_engine(settings), make_engine(settings)]
    yield [Worker(settings, make_sessionmaker(e), Mail.from_settings(settings)) for e in engines]
    for engine in engines:
        await engine.dispose()


async def dedupe_keys(session, prefix: str) -> Counter[str]:
    keys = await session.scalars(select(OutboxMail.dedupe_key).where(OutboxMail.dedupe_key.like(f"{prefix}%")))
    return Counter(keys.all())


async def test_two_workers_warn_once_per_report_and_person_and_record_each_breach_once(
    session, workers, site, make_report
):
    staff = [await add_staff(session, f"agent{i}@shop.example", "agent", [site]) for i in range(3)]
    reports = [await make_report(site, email=f"c{i}@example.com") for i in range(6)]
    at = reports[-1].created_at + timedelta(minutes=16)  # every first follow-up is due within 5 minutes

    warned = await asyncio.gather(*(w.check_clocks(at) for w in workers))
    assert sum(run.warned for run in warned) == len(reports)
    warnings = await dedupe_keys(session, "warn:")
    assert len(warnings) == len(reports) * len(staff)
    assert set(warnings.values()) == {1}

    breached = await asyncio.gather(*(w.check_clocks(at + timedelta(minutes=10)) for w in workers))
    assert sum(run.breached for run in breached) == len(reports)
    events = (await session.scalars(select(ReportEvent.report_id).where(ReportEvent.kind == "breach"))).all()
    assert sorted(events) == sorted(r.id for r in reports)


async def test_two_workers_reopen_a_recurring_ca_once_and_tell_its_owner_once(session, workers, site, make_report):
    owner = await add_staff(session, "lee@shop.example", "lead", [site])
    started = utcnow() - timedelta(days=1)
    cas = [
        CorrectiveAction(
            site_id=site.id,
            title=f"Broken eggs {i}",
            state="verifying",
            whys=["Packed under bottles."],
            owner_id=owner.id,
            verification_started_at=started,
            verification_ends_at=started + timedelta(days=14),
        )
        for i in range(4)
    ]
    session.add_all(cas)
    await session.commit()
    for ca in cas:  # each CA's failure comes back in a report linked to it
        report = await make_report(site, description=f"{ca.title}: broken again.")
        report.ca_id = ca.id
        await session.commit()

    now = utcnow() + timedelta(seconds=1)
    reopened = await asyncio.gather(*(corrective_actions.verify(w.sessionmaker, mail=w.mail, now=now) for w in workers))
    assert sum(reopened) == len(cas)
    recurrences = Counter((await session.scalars(select(CAEvent.ca_id).where(CAEvent.kind == "recurrence"))).all())
    assert recurrences == Counter(ca.id for ca in cas)
    told = await dedupe_keys(session, "ca_reopened:")
    assert len(told) == len(cas)
    assert set(told.values()) == {1}


async def test_two_workers_build_each_sites_month_once(session, workers, site, other_site):
    lee = await add_staff(session, "lee@shop.example", "lead", [site, other_site])
    for each in (site, other_site):
        (await session.get(Site, each.id)).created_at = utcnow() - timedelta(days=70)
    await session.commit()

    built = await asyncio.gather(*(monthly.build_due(w.sessionmaker, mail=w.mail) for w in workers))
    assert sum(built) == 2
    results = (await session.scalars(select(MonthlyResult))).all()
    assert sorted(r.site_id for r in results) == sorted([site.id, other_site.id])
    assert await dedupe_keys(session, "monthly:") == Counter(f"monthly:{r.id}:{lee.id}" for r in results)


async def test_two_workers_running_every_step_at_once_fail_nowhere_and_mail_each_thing_once(
    session, workers, site, make_report
):
    staff = [await add_staff(session, f"agent{i}@shop.example", "agent", [site]) for i in range(2)]
    (await session.get(Site, site.id)).created_at = utcnow() - timedelta(days=70)
    await session.commit()
    now = utcnow()
    for minutes in (16, 17, 30):  # two clocks about to run out, one run out
        await make_report(site, at=now - timedelta(minutes=minutes), email="c@example.com")
    for days in (20, 40):  # old enough to be rolled up
        await make_report(site, at=now - timedelta(days=days))

    for _ in range(3):
        await asyncio.gather(*(w.housekeeping() for w in workers))
        await asyncio.gather(*(w.run_once() for w in workers))

    warnings = await dedupe_keys(session, "warn:")
    assert len(warnings) == 2 * len(staff)
    assert set(warnings.values()) == {1}
    breaches = Counter(
        (
            await session.execute(select(ReportEvent.report_id, ReportEvent.body).where(ReportEvent.kind == "breach"))
        ).all()
    )
    assert sum(breaches.values()) == 5
    assert set(breaches.values()) == {1}
    assert len(await dedupe_keys(session, "monthly:")) == len(staff)
    assert await rollups.rolled_until(session) == rollups.midnight(now - rollups.LAG)
    states = Counter((await session.scalars(select(OutboxMail.state))).all())
    assert states == Counter({"sent": sum(states.values())})


async def test_mail_still_goes_out_while_housekeeping_fails(session, sessionmaker, settings, site, make_report, caplog):
    await make_report(site, email="c@example.com")  # its apology is due at once
    worker = Worker(settings, sessionmaker, Mail.from_settings(settings))
    delivered, deliver = asyncio.Event(), worker.run_once

    async def broken() -> None:
        raise RuntimeError("the clocks are broken")

    async def run_once() -> DeliveryRun:
        run = await deliver()
        if run.sent:
            delivered.set()
        return run

    worker.housekeeping, worker.run_once = broken, run_once  # type: ignore[method-assign]
    task = asyncio.create_task(worker.run_forever())
    try:
        async with asyncio.timeout(10):
            await delivered.wait()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert await session.scalar(select(OutboxMail.state)) == "sent"
    assert "worker housekeeping failed" in caplog.text


async def test_two_workers_checking_fifty_clocks_at_once_record_each_breach_once_and_alert_once(
    session, workers, site, make_report
):
    await add_staff(session, "agent@shop.example", "agent", [site])
    start = utcnow() - timedelta(minutes=16)  # every first follow-up is due within 5 minutes
    reports = [await make_report(site, at=start, email=f"c{n}@example.com") for n in range(50)]
    now = utcnow()

    warned = await asyncio.gather(*(w.check_clocks(now) for w in workers))
    assert sum(run.warned for run in warned) == len(reports)
    breached = await asyncio.gather(*(w.check_clocks(now + timedelta(minutes=10)) for w in workers))
    assert sum(run.breached for run in breached) == len(reports)

    events = Counter((await session.scalars(select(ReportEvent.report_id).where(ReportEvent.kind == "breach"))).all())
    assert events == Counter(r.id for r in reports)
    alerts = Counter(
        (await session.scalars(select(OutboxMail.report_id).where(OutboxMail.dedupe_key.like("warn:%")))).all()
    )
    assert alerts == Counter(r.id for r in reports)
