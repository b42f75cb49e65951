"""Monthly results: built once per site and month even with two workers, mailed to staff, shared by a revocable link."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from portal.db import make_engine, make_sessionmaker
from portal.mail import Mail
from portal.models import CorrectiveAction, MonthlyResult, OutboxMail, Report, Site
from portal.services import monthly
from tests.conftest import add_staff, as_admin, csrf_token, login
from tests.html import text_of


async def last_month_with_reports(session, site, make_report) -> datetime:
    """Reports now, and the site backdated so this month counts; returns the first of next month (when results are due)."""
    for text in ("Parcel late.", "Parcel late again.", "Charged twice."):
        await make_report(site, description=text)
    session.add(
        CorrectiveAction(
            site_id=site.id,
            title="Late parcels",
            state="closed",
            whys=["x"],
            closed_at=datetime.now(UTC),
            closure_summary="Evening vans now take fewer stops.",
        )
    )
    (await session.get(Site, site.id)).created_at = datetime.now(UTC) - timedelta(days=62)
    await session.commit()
    today = datetime.now(UTC).date()
    return datetime.combine(monthly.month_start(today + timedelta(days=32)), datetime.min.time(), UTC) + timedelta(
        hours=1
    )


async def test_two_workers_build_the_month_once_and_staff_get_one_mail(client, session, settings, site, make_report):
    await add_staff(session, "lee@shop.example", "lead", [site])
    due = await last_month_with_reports(session, site, make_report)
    engines = [make_engine(settings), make_engine(settings)]
    built = await asyncio.gather(
        *(monthly.build_due(make_sessionmaker(e), mail=Mail.from_settings(settings), now=due) for e in engines)
    )
    for engine in engines:
        await engine.dispose()
    assert sum(built) == 1
    result = await session.scalar(select(MonthlyResult))
    assert result.month == monthly.previous_month(due.date())
    assert result.data["reports"] == 3
    assert result.data["cas_closed"] == [{"title": "Late parcels", "changed": "Evening vans now take fewer stops."}]
    mails = (await session.scalars(select(OutboxMail).where(OutboxMail.dedupe_key.like("monthly:%")))).all()
    assert [m.to_addr for m in mails] == ["lee@shop.example"]
    assert "results for" in mails[0].subject
    assert (
        await monthly.build_due(make_sessionmaker(make_engine(settings)), mail=Mail.from_settings(settings), now=due)
        == 0
    )


async def test_results_page_and_a_shared_link_that_an_admin_revokes(
    client, session, sessionmaker, settings, site, make_report
):
    due = await last_month_with_reports(session, site, make_report)
    await monthly.build_due(sessionmaker, mail=Mail.from_settings(settings), now=due)
    result = await session.scalar(select(MonthlyResult))
    token = await as_admin(client, session)
    page = (await client.get(f"/staff/results/{result.id}")).text
    assert text_of(page, '[data-testid="result-reports"]') == "3"
    assert "Evening vans now take fewer stops." in page
    shared = await client.post(f"/staff/results/{result.id}/share", data={"_csrf_token": token})
    url = text_of(shared.text, '[data-testid="share-url"]')
    client.cookies.clear()  # anyone with the link, signed in or not
    public = await client.get(url.removeprefix(settings.base_url))
    assert public.status_code == 200
    assert "Evening vans now take fewer stops." in public.text
    assert "Sign out" not in public.text

    await login(client, "admin@mend.example")
    token = csrf_token((await client.get("/staff/results")).text)
    await client.post(f"/staff/results/{result.id}/revoke", data={"_csrf_token": token})
    assert (await client.get(url.removeprefix(settings.base_url))).status_code == 404


async def test_only_admins_share_and_other_sites_never_see_the_results(
    client, session, sessionmaker, settings, site, other_site, make_report
):
    due = await last_month_with_reports(session, site, make_report)
    await monthly.build_due(sessionmaker, mail=Mail.from_settings(settings), now=due)
    result = await session.scalar(select(MonthlyResult))
    await add_staff(session, "lee@shop.example", "lead", [site])
    await add_staff(session, "otto@other.example", "lead", [other_site])
    await login(client, "lee@shop.example")
    token = csrf_token((await client.get("/staff/results")).text)
    assert (await client.post(f"/staff/results/{result.id}/share", data={"_csrf_token": token})).status_code == 403
    client.cookies.clear()
    await login(client, "otto@other.example")
    assert (await client.get(f"/staff/results/{result.id}")).status_code == 404
    assert "Shop" not in (await client.get("/staff/results")).text
    assert await session.scalar(select(func.count()).select_from(Report)) == 3
