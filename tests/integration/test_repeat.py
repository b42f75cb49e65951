"""Repeat microfailures counted per customer and site within the site's window."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.apologies import apology_texts
from portal.domain.identity import sign_customer
from portal.models import Report, utcnow
from tests.conftest import add_staff, login, signed_as
from tests.html import texts

EN = apology_texts("en")


async def levels(session) -> list[int]:
    return list((await session.scalars(select(Report.repeat_level).order_by(Report.id))).all())


async def test_a_returning_customers_third_report_is_at_risk_and_the_apology_says_so(session, site, make_report):
    apologies = []
    for _ in range(3):
        apologies.append((await make_report(site, **signed_as(site, "cust-9"))).receipt["apology"]["text"])
    assert await levels(session) == [1, 2, 3]
    assert not any(line in apologies[0] for line in (*EN.again, *EN.piling_up))
    assert any(line in apologies[1] for line in EN.again)
    assert any(line in apologies[2] for line in EN.piling_up)


async def test_without_an_id_the_email_identifies_the_customer(session, site, make_report):
    await make_report(site, email="Ana@Example.com")
    await make_report(site, email="ana@example.com")
    await make_report(site)  # anonymous: never a repeat
    await make_report(site)
    assert await levels(session) == [1, 2, 1, 1]


async def test_a_forged_id_does_not_inherit_someone_elses_history(session, site, make_report):
    await make_report(site, **signed_as(site, "cust-9"))
    await make_report(site, customer_id="cust-9", customer_sig=sign_customer(site.secret, "cust-10"))
    assert await levels(session) == [1, 1]


async def test_other_sites_and_reports_outside_the_window_do_not_count(session, site, other_site, make_report):
    now = utcnow()
    too_long_ago = now - timedelta(days=site.repeat_window_days + 1)
    await make_report(site, at=too_long_ago, **signed_as(site, "cust-9"))
    await make_report(other_site, at=now - timedelta(days=1), **signed_as(other_site, "cust-9"))
    await make_report(site, at=now, **signed_as(site, "cust-9"))
    keys = (await session.scalars(select(Report.customer_key).order_by(Report.id))).all()
    assert keys == ["id:cust-9"] * 3  # the same customer each time, so only the site and the window tell them apart
    assert await levels(session) == [1, 1, 1]


async def test_staff_see_the_repeat_level(client, session, site, make_report):
    await add_staff(session, "agent@shop.example", "agent", [site])
    for _ in range(3):
        await make_report(site, **signed_as(site, "cust-9"))
    await login(client, "agent@shop.example")
    html = (await client.get("/staff")).text
    assert sorted(texts(html, '[data-testid="queue-row"] [data-testid="repeat-level"]')) == ["at risk", "watch"]
