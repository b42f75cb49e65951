"""Queue order, paging and filters, at the service level (no HTTP needed)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.lexicon import load_lexicon
from portal.mail import Mail
from portal.models import Report, utcnow
from portal.services import conversation, queue
from tests.conftest import add_staff, signed_as


async def descriptions(session, site, **filters) -> list[str]:
    page = await queue.list_reports(session, [site.id], queue.QueueFilter(**filters), limit=100)
    return [r.description for r in page.reports]


async def test_customers_at_risk_come_first_then_the_nearest_clock_until_recovered(
    session, site, settings, make_report
):
    start = utcnow() - timedelta(hours=1)
    for n in range(3):
        await make_report(site, at=start + timedelta(minutes=n), description=f"repeat {n}", **signed_as(site, "cust-1"))
    await make_report(site, at=start + timedelta(minutes=10), description="newest, first time")
    assert await descriptions(session, site) == ["repeat 2", "repeat 0", "repeat 1", "newest, first time"]

    at_risk = await session.scalar(select(Report).where(Report.description == "repeat 2"))
    staff = await add_staff(session, "agent@shop.example", "agent", [site])
    await conversation.change_state(
        session, report=at_risk, staff=staff, target="fixed", mail=Mail.from_settings(settings)
    )
    assert await descriptions(session, site) == ["repeat 0", "repeat 1", "newest, first time", "repeat 2"]


async def test_an_update_moves_a_report_to_its_recovery_clock(session, site, settings, make_report):
    start = utcnow() - timedelta(minutes=30)
    await make_report(site, at=start, description="older")
    await make_report(site, at=start + timedelta(minutes=5), description="newer")
    older = await session.scalar(select(Report).where(Report.description == "older"))
    staff = await add_staff(session, "agent@shop.example", "agent", [site])
    await conversation.send_update(
        session,
        report=older,
        staff=staff,
        body="It's at our depot and leaves today.",
        override_reason=None,
        lexicon=load_lexicon("en"),
        mail=Mail.from_settings(settings),
    )
    assert older.next_due_at == older.recovery_due_at
    assert await descriptions(session, site) == [
        "newer",
        "older",
    ]  # newer's first follow-up is due long before older's recovery


async def test_assignee_and_clock_filters(session, site, make_report):
    now = utcnow()
    await make_report(site, at=now - timedelta(minutes=45), description="overdue")
    await make_report(site, at=now - timedelta(minutes=1), description="due soon")
    mine = await session.scalar(select(Report).where(Report.description == "due soon"))
    staff = await add_staff(session, "agent@shop.example", "agent", [site])
    await conversation.assign(session, reports=[mine], staff=staff)
    assert await descriptions(session, site, due="overdue") == ["overdue"]
    assert await descriptions(session, site, due="hour") == ["overdue", "due soon"]
    assert await descriptions(session, site, assignee=staff.id) == ["due soon"]
    assert await descriptions(session, site, assignee=0) == ["overdue"]


async def test_keyset_pages_cover_every_report_once_in_order(session, site, make_report):
    start = utcnow() - timedelta(hours=2)
    for n in range(7):
        extra = signed_as(site, "cust-2") if n in (1, 2, 3) else {}
        await make_report(site, at=start + timedelta(minutes=n), description=f"r{n}", **extra)
    seen, cursor = [], None
    while True:
        page = await queue.list_reports(session, [site.id], queue.QueueFilter(after=cursor), limit=2)
        seen += [r.description for r in page.reports]
        cursor = page.next_cursor
        if cursor is None:
            break
        assert queue.Cursor.decode(cursor.encode()) == cursor
    assert seen == await descriptions(session, site)
    assert sorted(seen) == [f"r{n}" for n in range(7)]


async def test_filter_by_repeat_level(session, site, make_report):
    start = utcnow() - timedelta(hours=1)
    for n in range(5):
        await make_report(site, at=start + timedelta(minutes=n), description=f"c{n}", **signed_as(site, "cust-3"))
    assert await descriptions(session, site, level=2) == ["c1"]
    assert await descriptions(session, site, level=4) == ["c3", "c4"]


def test_a_mangled_cursor_is_ignored():
    assert queue.Cursor.decode("garbage") is None
    assert queue.Cursor.decode(None) is None
