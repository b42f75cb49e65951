"""Clock alerts always reach someone: the staff on duty, else the site's leads, else the admins;
the clocks page says who would be alerted now and why."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.mail import Mail
from portal.models import OutboxMail
from portal.services.staff import set_on_duty
from portal.worker import Worker
from tests.conftest import add_staff, login
from tests.html import every, text, text_of


async def _warned(session, sessionmaker, settings, report) -> list[str]:
    """Run the clocks inside the first follow-up's warning window; the addresses warned."""
    await Worker(settings, sessionmaker, Mail.from_settings(settings)).check_clocks(
        report.created_at + timedelta(minutes=16)
    )
    mails = (await session.scalars(select(OutboxMail).where(OutboxMail.dedupe_key.like("warn:%")))).all()
    return sorted(m.to_addr for m in mails)


async def test_with_nobody_on_duty_the_sites_lead_gets_the_clock_warning(
    client, session, sessionmaker, settings, site, other_site, make_report
):
    await add_staff(session, "agent@shop.example", "agent", [site])
    await add_staff(session, "lead@shop.example", "lead", [site])
    await add_staff(session, "lead@other.example", "lead", [other_site])
    await add_staff(session, "admin@mend.example", "admin", [])
    report = await make_report(site, email="c@example.com")
    assert await _warned(session, sessionmaker, settings, report) == ["lead@shop.example"]


async def test_with_nobody_on_duty_and_no_lead_an_admin_gets_the_clock_warning(
    client, session, sessionmaker, settings, site, make_report
):
    await add_staff(session, "agent@shop.example", "agent", [site])
    await add_staff(session, "admin@mend.example", "admin", [])  # admins work at every site, linked or not
    report = await make_report(site, email="c@example.com")
    assert await _warned(session, sessionmaker, settings, report) == ["admin@mend.example"]


async def test_staff_on_duty_get_the_warning_and_their_lead_does_not(
    client, session, sessionmaker, settings, site, make_report
):
    agent = await add_staff(session, "agent@shop.example", "agent", [site])
    await add_staff(session, "lead@shop.example", "lead", [site])
    await set_on_duty(session, agent, True)
    report = await make_report(site, email="c@example.com")
    assert await _warned(session, sessionmaker, settings, report) == ["agent@shop.example"]


async def test_a_warning_due_in_seconds_says_one_minute_not_zero(
    client, session, sessionmaker, settings, site, make_report
):
    await add_staff(session, "lead@shop.example", "lead", [site])
    report = await make_report(site, email="c@example.com")
    await Worker(settings, sessionmaker, Mail.from_settings(settings)).check_clocks(
        report.first_response_due_at - timedelta(seconds=30)
    )
    warning = await session.scalar(select(OutboxMail).where(OutboxMail.dedupe_key.like("warn:%")))
    assert "1 min left" in warning.subject


async def test_the_clocks_page_says_who_gets_alerts_now_and_why(client, session, site, other_site):
    await add_staff(session, "admin@mend.example", "admin", [])
    lead = await add_staff(session, "lead@shop.example", "lead", [site])
    await login(client, "admin@mend.example")

    def route(page: str, site_id: int) -> str:
        [item] = [li for li in every(page, '[data-testid="alert-route"]') if li["data-site"] == str(site_id)]
        return text(item)

    page = (await client.get("/staff/adherence")).text
    assert text_of(page, f'[data-site="{site.id}"] [data-testid="alert-people"]') == "lead"
    assert text_of(page, f'[data-site="{site.id}"] [data-testid="alert-reason"]') == "no one on duty: the site's leads"
    assert text_of(page, f'[data-site="{other_site.id}"] [data-testid="alert-people"]') == "admin"
    assert (
        text_of(page, f'[data-site="{other_site.id}"] [data-testid="alert-reason"]')
        == "no one on duty and no lead: the admins"
    )

    await set_on_duty(session, lead, True)
    page = (await client.get("/staff/adherence")).text
    assert text_of(page, f'[data-site="{site.id}"] [data-testid="alert-reason"]') == "on duty"
    assert route(page, site.id).startswith("Shop: lead")
