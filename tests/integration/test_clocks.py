"""The worker alerts a site's staff before a clock runs out, records breaches, and adherence adds up."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.lexicon import load_lexicon
from portal.mail import Mail
from portal.models import OutboxMail, Report, ReportEvent
from portal.services import conversation
from portal.worker import Worker
from tests.conftest import add_staff, csrf_token, login
from tests.html import text_of


async def test_staff_of_the_site_are_warned_once_before_the_first_follow_up_is_due(
    client, session, sessionmaker, settings, site, other_site, make_report
):
    agent = await add_staff(session, "agent@shop.example", "agent", [site])
    await add_staff(session, "elsewhere@other.example", "agent", [other_site])
    report = await make_report(site, email="c@example.com")
    worker = Worker(settings, sessionmaker, Mail.from_settings(settings))
    assert (await worker.check_clocks(report.created_at + timedelta(minutes=10))).warned == 0
    run = await worker.check_clocks(report.created_at + timedelta(minutes=16))
    assert run.warned == 1
    again = await worker.check_clocks(report.created_at + timedelta(minutes=17))
    assert again.warned == 0
    warnings = (await session.scalars(select(OutboxMail).where(OutboxMail.dedupe_key.like("warn:%")))).all()
    assert [m.to_addr for m in warnings] == [agent.email]
    assert "4 min left for the first follow-up" in warnings[0].subject


async def test_a_breach_is_recorded_once_on_the_timeline(client, session, sessionmaker, settings, site, make_report):
    report = await make_report(site, email="c@example.com")
    worker = Worker(settings, sessionmaker, Mail.from_settings(settings))
    assert (await worker.check_clocks(report.created_at + timedelta(minutes=25))).breached == 1
    assert (await worker.check_clocks(report.created_at + timedelta(minutes=30))).breached == 0
    [event] = (await session.scalars(select(ReportEvent).where(ReportEvent.kind == "breach"))).all()
    assert "first follow-up" in event.body
    await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "agent@shop.example")
    staff_page = (await client.get(f"/staff/reports/{report.id}")).text
    assert "Clock missed: " in text_of(staff_page, '[data-testid="event-breach"]')
    assert "Clock missed" not in (await client.get(f"/s/{report.status_token}")).text


async def test_an_update_stops_the_first_clock_and_fixing_stops_both(
    client, session, sessionmaker, settings, site, make_report
):
    report = await make_report(site, email="c@example.com")
    staff = await add_staff(session, "agent@shop.example", "agent", [site])
    mail = Mail.from_settings(settings)
    await conversation.send_update(
        session,
        report=report,
        staff=staff,
        body="We're on it: the parcel is at our depot.",
        override_reason=None,
        lexicon=load_lexicon("en"),
        mail=mail,
    )
    worker = Worker(settings, sessionmaker, mail)
    assert (await worker.check_clocks(report.created_at + timedelta(minutes=30))).breached == 0
    await conversation.change_state(session, report=report, staff=staff, target="fixed", mail=mail)
    assert (await worker.check_clocks(report.created_at + timedelta(days=2))).breached == 0


async def test_queue_shows_the_countdown_and_adherence_page_the_week(client, session, site, make_report):
    await make_report(site, email="c@example.com")
    await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "agent@shop.example")
    queue_page = (await client.get("/staff")).text
    assert text_of(queue_page, '[data-testid="queue-row"] [data-testid="clock"]').endswith("left for first follow-up")
    report = await session.scalar(select(Report))
    token = csrf_token(queue_page)
    await client.post(f"/staff/reports/{report.id}/state", data={"state": "fixed", "_csrf_token": token})
    adherence = (await client.get("/staff/adherence")).text
    assert "100 % (1 of 1)" in adherence


async def test_alerts_go_to_staff_on_duty_when_someone_is(client, session, sessionmaker, settings, site, make_report):
    await add_staff(session, "resting@shop.example", "agent", [site])
    await add_staff(session, "working@shop.example", "agent", [site])
    await login(client, "working@shop.example")
    token = csrf_token((await client.get("/staff")).text)
    assert (
        await client.post("/staff/duty", data={"on_duty": "1", "_csrf_token": token}, follow_redirects=False)
    ).status_code == 303
    assert text_of((await client.get("/staff")).text, '[data-testid="duty"]') == "On duty: end shift"
    report = await make_report(site, email="c@example.com")
    await Worker(settings, sessionmaker, Mail.from_settings(settings)).check_clocks(
        report.created_at + timedelta(minutes=16)
    )
    warnings = (await session.scalars(select(OutboxMail).where(OutboxMail.dedupe_key.like("warn:%")))).all()
    assert [m.to_addr for m in warnings] == ["working@shop.example"]
