"""Staff's side of privacy: export and erase a customer from their file and the staff API, by role and site,
and the admins' audit trail of it."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from sqlalchemy import select

from portal.domain.api_tokens import SCOPES
from portal.models import PrivacyAudit, Report
from portal.services.api_tokens import create_token
from portal.services.conversation import add_reply
from tests.conftest import add_staff, csrf_token, login, make_settings, signed_as
from tests.html import every, one, text_of, texts

KEY = "id:cust-7"
OTHER_KEY = "id:cust-8"
HTML = {"accept": "text/html"}


@pytest.fixture
def settings(database_url):
    # Many reports from the test client's one address: no per-address intake limit here.
    return make_settings(database_url, reports_per_minute=1_000_000)


@pytest.fixture
async def reports(session, site, make_report):
    """Two reports and a reply from one customer, and one report from another customer of the same site."""
    mine = [
        await make_report(site, description=d, name="Rosa Quill", email="rosa@example.com", **signed_as(site, "cust-7"))
        for d in ("The parcel came torn", "Charged twice for socks")
    ]
    await add_reply(session, report=mine[0], body="Still waiting on the refund")
    theirs = await make_report(
        site, description="Wrong colour sent", email="ian@example.com", **signed_as(site, "cust-8")
    )
    return mine, theirs


def file_path(site, key: str = KEY) -> str:
    return f"/staff/customers/{site.id}?key={quote(key)}"


async def erase_form(client, site, **fields: str):
    token = csrf_token((await client.get(file_path(site))).text)
    data = {"key": KEY, "_csrf_token": token, **fields}
    return await client.post(f"/staff/customers/{site.id}/erase", data=data, headers=HTML)


async def stored(session, report: Report) -> Report:
    """The report as the database holds it now."""
    await session.refresh(report)
    return report


async def audits(session) -> list[PrivacyAudit]:
    return list((await session.scalars(select(PrivacyAudit).order_by(PrivacyAudit.id))).all())


async def bearer(session, staff, *scopes: str) -> dict[str, str]:
    issued = await create_token(session, staff, name="ci", scopes=list(scopes or SCOPES), expires_on=None)
    return {"Authorization": f"Bearer {issued.secret}"}


# --- the customer file -----------------------------------------------------------------------------------------


async def test_an_agent_downloads_the_customers_data_and_the_export_is_on_the_trail(client, session, site, reports):
    agent = await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "agent@shop.example")
    page = (await client.get(file_path(site))).text
    assert every(page, '[data-testid="customer-erase"]') == []  # agents never see the erase form
    link = one(page, '[data-testid="customer-export"]')["href"]

    response = await client.get(str(link))
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert sorted(r["description"] for r in data["reports"]) == ["Charged twice for socks", "The parcel came torn"]
    assert any(e["text"] == "Still waiting on the refund" for r in data["reports"] for e in r["timeline"])
    assert "Wrong colour sent" not in response.text
    assert "ian@example.com" not in response.text

    [audit] = await audits(session)
    assert (audit.action, audit.actor, audit.staff_id, audit.site_id) == ("export", "staff", agent.id, site.id)
    assert KEY not in (audit.customer_hash or "")
    assert "cust-7" not in json.dumps(audit.counts)


async def test_an_agent_who_posts_the_erase_form_is_refused(client, session, site, reports):
    await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "agent@shop.example")
    refused = await erase_form(client, site, reason="asked by phone", confirm="yes")
    assert refused.status_code == 403
    assert (await stored(session, reports[0][0])).customer_name == "Rosa Quill"
    assert await audits(session) == []


@pytest.mark.parametrize("role", ["lead", "admin"])
async def test_a_lead_or_admin_erases_with_a_reason_and_sees_the_counts(client, session, site, reports, role):
    await add_staff(session, "boss@shop.example", role, [site])
    await login(client, "boss@shop.example")
    erased = await erase_form(client, site, reason="Customer wrote to privacy@", confirm="yes")
    assert erased.status_code == 200
    counts = dict(
        zip(
            texts(erased.text, '[data-testid="erased-count"] dt'),
            texts(erased.text, '[data-testid="erased-count"] dd'),
            strict=True,
        )
    )
    assert counts["reports anonymised"] == "2"
    assert counts["replies removed"] == "1"
    assert "Rosa" not in text_of(erased.text, '[data-testid="erase-receipt"]')

    mine, theirs = reports
    for report in mine:
        now = await stored(session, report)
        assert (now.customer_name, now.customer_email, now.customer_key) == (None, None, None)
        assert "socks" not in now.description
        assert "torn" not in now.description
    assert (await stored(session, theirs)).description == "Wrong colour sent"  # the other customer stays
    [audit] = await audits(session)
    assert (audit.action, audit.actor, audit.reason) == ("erase", "staff", "Customer wrote to privacy@")
    assert audit.counts["reports"] == 2
    assert (await client.get(file_path(site), headers=HTML)).status_code == 404  # nothing left to show


async def test_erasure_needs_a_reason_and_the_confirmation(client, session, site, reports):
    await add_staff(session, "lead@shop.example", "lead", [site])
    await login(client, "lead@shop.example")
    no_reason = await erase_form(client, site, reason="   ", confirm="yes")
    assert no_reason.status_code == 400
    assert (
        text_of(no_reason.text, '[data-testid="customer-erase"] [role="alert"]') == "Say why this customer is erased."
    )
    unconfirmed = await erase_form(client, site, reason="asked by phone")
    assert unconfirmed.status_code == 400
    assert one(unconfirmed.text, "#erase-reason").text == "asked by phone"  # kept for the second try
    assert (await stored(session, reports[0][0])).customer_name == "Rosa Quill"
    assert await audits(session) == []


async def test_another_sites_customer_is_404_for_export_and_erasure(client, session, site, other_site, make_report):
    await make_report(other_site, description="Theirs", **signed_as(other_site, "cust-7"))
    await make_report(site, description="Ours", **signed_as(site, "cust-9"))
    await add_staff(session, "lead@shop.example", "lead", [site])
    await login(client, "lead@shop.example")
    export = await client.get(f"/staff/customers/{other_site.id}/export?key={quote(KEY)}", headers=HTML)
    assert export.status_code == 404
    token = csrf_token((await client.get("/staff")).text)
    erase = await client.post(
        f"/staff/customers/{other_site.id}/erase",
        data={"key": KEY, "reason": "x", "confirm": "yes", "_csrf_token": token},
        headers=HTML,
    )
    assert erase.status_code == 404
    assert await audits(session) == []


async def test_the_erase_form_needs_the_csrf_token(client, session, site, reports):
    await add_staff(session, "lead@shop.example", "lead", [site])
    await login(client, "lead@shop.example")
    forged = await client.post(
        f"/staff/customers/{site.id}/erase", data={"key": KEY, "reason": "x", "confirm": "yes"}, headers=HTML
    )
    assert forged.status_code == 403
    assert await audits(session) == []


# --- the privacy trail -----------------------------------------------------------------------------------------


async def test_admins_see_the_trail_without_anything_erased_and_others_do_not(client, session, site, reports):
    lead = await add_staff(session, "lead@shop.example", "lead", [site])
    await login(client, "lead@shop.example")
    await client.get(f"/staff/customers/{site.id}/export?key={quote(KEY)}")
    await erase_form(client, site, reason="Asked in chat", confirm="yes")
    assert (await client.get("/staff/privacy", headers=HTML)).status_code == 403

    await add_staff(session, "admin@shop.example", "admin", [])
    await login(client, "admin@shop.example")
    assert any(a["href"] == "/staff/privacy" for a in every((await client.get("/staff/people")).text, "a"))
    page = (await client.get("/staff/privacy")).text
    assert texts(page, '[data-testid="privacy-action"]') == ["erasure", "export"]
    assert texts(page, '[data-testid="privacy-actor"]') == [lead.name or lead.email] * 2
    assert "Asked in chat" in page
    for erased in ("Rosa", "rosa@example.com", "cust-7", "socks", "torn"):
        assert erased not in page


# --- the staff API ---------------------------------------------------------------------------------------------


async def test_the_api_exports_one_customer_with_reports_read(client, session, site, reports):
    agent = await add_staff(session, "agent@shop.example", "agent", [site])
    path = f"/api/v1/customers/{quote(KEY, safe='')}/export"
    assert (await client.get(path, headers=await bearer(session, agent, "cas:read"))).status_code == 403
    response = await client.get(f"{path}?site={site.key}", headers=await bearer(session, agent, "reports:read"))
    assert response.status_code == 200, response.text
    data = response.json()
    assert sorted(r["description"] for r in data["reports"]) == ["Charged twice for socks", "The parcel came torn"]
    assert "Wrong colour sent" not in response.text
    [audit] = await audits(session)
    assert (audit.action, audit.actor, audit.staff_id) == ("export", "api", agent.id)


async def test_the_api_erases_only_for_leads_and_admins_with_a_reason(client, session, site, reports):
    agent = await add_staff(session, "agent@shop.example", "agent", [site])
    lead = await add_staff(session, "lead@shop.example", "lead", [site])
    path = f"/api/v1/customers/{quote(KEY, safe='')}"
    assert (await client.delete(f"{path}?reason=x", headers=await bearer(session, agent))).status_code == 403
    assert (
        await client.delete(f"{path}?reason=x", headers=await bearer(session, lead, "reports:read"))
    ).status_code == 403
    auth = await bearer(session, lead, "reports:write")
    no_reason = await client.delete(path, headers=auth)
    assert no_reason.status_code == 400
    assert no_reason.json()["detail"] == "Say why this customer is erased."
    assert await audits(session) == []

    erased = await client.request("DELETE", path, json={"reason": "Ticket 4411"}, headers=auth)
    assert erased.status_code == 200, erased.text
    assert erased.json()["site_key"] == site.key
    assert erased.json()["counts"]["reports"] == 2
    [audit] = await audits(session)
    assert (audit.action, audit.actor, audit.staff_id, audit.reason) == ("erase", "api", lead.id, "Ticket 4411")
    still = await client.get(path, headers=await bearer(session, lead, "reports:read"))
    assert still.status_code == 404  # the key is gone with the data
    assert (await stored(session, reports[1])).customer_key == OTHER_KEY


async def test_the_api_answers_404_for_another_sites_or_an_unknown_customer(
    client, session, site, other_site, make_report
):
    theirs = await make_report(other_site, description="Theirs", **signed_as(other_site, "cust-7"))
    admin_of_one = await add_staff(session, "lead@shop.example", "lead", [site])
    auth = await bearer(session, admin_of_one)
    path = f"/api/v1/customers/{quote(KEY, safe='')}"
    assert (await client.get(f"{path}/export", headers=auth)).status_code == 404
    assert (await client.delete(f"{path}?reason=x", headers=auth)).status_code == 404
    assert (await client.get("/api/v1/customers/nobody/export", headers=auth)).status_code == 404
    assert await audits(session) == []
    assert (await stored(session, theirs)).description == "Theirs"
