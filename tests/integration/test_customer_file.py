"""The customer file: all of a customer's reports on a site, their level, and internal notes."""

from __future__ import annotations

from urllib.parse import quote

from tests.conftest import add_staff, csrf_token, login, signed_as
from tests.html import every, text_of, texts


async def test_an_at_risk_customer_is_flagged_on_each_report_and_the_file_lists_everything(
    client, session, site, make_report
):
    descriptions = ["late parcel", "wrong size", "charged twice"]
    reports = [await make_report(site, description=d, **signed_as(site, "cust-5")) for d in descriptions]
    await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "agent@shop.example")
    first_report = (await client.get(f"/staff/reports/{reports[0].id}")).text
    assert text_of(first_report, '[data-testid="customer-flag"]').startswith("At risk customer:")

    path = f"/staff/customers/{site.id}?key={quote('id:cust-5')}"
    page = (await client.get(path)).text
    assert sorted(texts(page, '[data-testid="customer-report"] td.desc')) == sorted(descriptions)
    assert text_of(page, '[data-testid="customer-level"]') == "at risk"
    token = csrf_token(page)
    saved = await client.post(
        f"/staff/customers/{site.id}/notes",
        data={"key": "id:cust-5", "body": "Prefers a call after 5 pm <b>", "_csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = (await client.get(path)).text
    assert texts(page, '[data-testid="customer-note"] .message') == ["Prefers a call after 5 pm <b>"]  # as typed
    assert "Prefers a call" not in (await client.get(f"/s/{reports[0].status_token}")).text  # notes stay internal


async def test_a_first_time_customer_is_not_flagged(client, session, site, make_report):
    report = await make_report(site, email="once@example.com")
    await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "agent@shop.example")
    page = (await client.get(f"/staff/reports/{report.id}")).text
    assert every(page, '[data-testid="customer-flag"]') == []
    assert "1 report from this customer" in page


async def test_another_sites_customer_file_is_404(client, session, site, other_site, make_report):
    await make_report(other_site, email="theirs@example.com")
    await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "agent@shop.example")
    path = f"/staff/customers/{other_site.id}?key={quote('email:theirs@example.com')}"
    assert (await client.get(path, headers={"accept": "text/html"})).status_code == 404
    token = csrf_token((await client.get("/staff")).text)
    note = await client.post(
        f"/staff/customers/{other_site.id}/notes",
        data={"key": "email:theirs@example.com", "body": "x", "_csrf_token": token},
        headers={"accept": "text/html"},
    )
    assert note.status_code == 404
