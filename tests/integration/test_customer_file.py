"""The customer file: all of a customer's reports on a site, their level, and internal notes."""

from __future__ import annotations

import re
from urllib.parse import quote

from portal.domain.identity import sign_customer
from tests.conftest import BASE_URL, add_staff, csrf_token, login, report_body


def signed(site, customer_id: str, **fields) -> dict:
    return report_body(site, customer_id=customer_id, customer_sig=sign_customer(site.secret, customer_id), **fields)


async def test_an_at_risk_customer_is_flagged_on_each_report_and_the_file_lists_everything(client, session, site):
    status_urls = [
        (await client.post("/api/v1/reports", json=signed(site, "cust-5", description=text))).json()["status_url"]
        for text in ("late parcel", "wrong size", "charged twice")
    ]
    await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "agent@shop.example")
    report_ids = re.findall(r"/staff/reports/(\d+)", (await client.get("/staff")).text)
    first_report = (await client.get(f"/staff/reports/{min(map(int, report_ids))}")).text
    assert 'data-testid="customer-flag"' in first_report
    assert "At risk customer" in first_report

    path = f"/staff/customers/{site.id}?key={quote('id:cust-5')}"
    page = (await client.get(path)).text
    assert page.count('data-testid="customer-report"') == 3
    assert "at risk" in page
    token = csrf_token(page)
    saved = await client.post(
        f"/staff/customers/{site.id}/notes",
        data={"key": "id:cust-5", "body": "Prefers a call after 5 pm <b>", "_csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = (await client.get(path)).text
    assert "Prefers a call after 5 pm &lt;b&gt;" in page
    assert "Prefers a call" not in (await client.get(status_urls[0].removeprefix(BASE_URL))).text  # notes stay internal


async def test_a_first_time_customer_is_not_flagged(client, session, site):
    await client.post("/api/v1/reports", json=report_body(site, email="once@example.com"))
    await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "agent@shop.example")
    report_id = re.search(r"/staff/reports/(\d+)", (await client.get("/staff")).text).group(1)
    page = (await client.get(f"/staff/reports/{report_id}")).text
    assert 'data-testid="customer-flag"' not in page
    assert "1 report from this customer" in page


async def test_another_sites_customer_file_is_404(client, session, site, other_site):
    await client.post("/api/v1/reports", json=report_body(other_site, email="theirs@example.com"))
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
