"""Repeat microfailures counted per customer and site within the site's window."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.domain.apology import AGAIN, PILING_UP
from portal.domain.identity import sign_customer
from portal.domain.intake import validate_report
from portal.mail import Mail
from portal.models import Report, utcnow
from portal.services.intake import submit_report
from tests.conftest import add_staff, login, report_body


def signed(site, customer_id: str, **fields) -> dict:
    return report_body(site, customer_id=customer_id, customer_sig=sign_customer(site.secret, customer_id), **fields)


async def levels(session) -> list[int]:
    return list((await session.scalars(select(Report.repeat_level).order_by(Report.id))).all())


async def test_a_returning_customers_third_report_is_at_risk_and_the_apology_says_so(client, session, site):
    apologies = []
    for _ in range(3):
        response = await client.post("/api/v1/reports", json=signed(site, "cust-9"))
        apologies.append(response.json()["apology"]["text"])
    assert await levels(session) == [1, 2, 3]
    assert not any(line in apologies[0] for line in (*AGAIN, *PILING_UP))
    assert any(line in apologies[1] for line in AGAIN)
    assert any(line in apologies[2] for line in PILING_UP)


async def test_without_an_id_the_email_identifies_the_customer(client, session, site):
    await client.post("/api/v1/reports", json=report_body(site, email="Ana@Example.com"))
    await client.post("/api/v1/reports", json=report_body(site, email="ana@example.com"))
    await client.post("/api/v1/reports", json=report_body(site))  # anonymous: never a repeat
    await client.post("/api/v1/reports", json=report_body(site))
    assert await levels(session) == [1, 2, 1, 1]


async def test_a_forged_id_does_not_inherit_someone_elses_history(client, session, site):
    await client.post("/api/v1/reports", json=signed(site, "cust-9"))
    forged = report_body(site, customer_id="cust-9", customer_sig=sign_customer(site.secret, "cust-10"))
    await client.post("/api/v1/reports", json=forged)
    assert await levels(session) == [1, 1]


async def test_other_sites_and_reports_outside_the_window_do_not_count(session, site, other_site, settings):
    mail = Mail.from_settings(settings)
    draft = validate_report(signed(site, "cust-9"), [c["slug"] for c in site.categories])
    now = utcnow()

    async def submit(at, on_site=site):
        await submit_report(
            session,
            site=on_site,
            draft=draft,
            client_address="10.0.0.1",
            user_agent=None,
            settings=settings,
            mail=mail,
            now=at,
        )

    await submit(now - timedelta(days=site.repeat_window_days + 1))  # too long ago
    await submit(now - timedelta(days=1), other_site)  # another site's customer record
    await submit(now)
    assert await levels(session) == [1, 1, 1]


async def test_staff_see_the_repeat_level(client, session, site):
    await add_staff(session, "agent@shop.example", "agent", [site])
    for _ in range(3):
        await client.post("/api/v1/reports", json=signed(site, "cust-9"))
    await login(client, "agent@shop.example")
    html = (await client.get("/staff")).text
    assert html.count('data-testid="repeat-level"') == 2
    assert "at risk" in html
    assert "watch" in html
