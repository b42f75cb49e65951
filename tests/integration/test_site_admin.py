"""Admins change where the widget may appear, what it says, who signs, and the secret."""

from __future__ import annotations

from sqlalchemy import select

from portal.domain.identity import sign_customer
from portal.models import Site
from tests.conftest import add_staff, as_admin, csrf_token, login
from tests.html import every, one, text_of


def form(site, **changes) -> dict[str, str]:
    values = {
        "name": site.name,
        "allowed_origins": "\n".join(site.allowed_origins),
        "categories": "delivery: Late delivery\nqueue: Waited too long at the till",
        "no_blame_text": "Tell us anything, however small. Nobody is blamed; we fix the cause.",
        "signer_name": "Ruth Okafor",
        "signer_role": "Store Manager",
        "repeat_window_days": "30",
        "first_response_minutes": "15",
        "recovery_hours": "12",
        "follow_up_hours": "2",
        "max_reports_per_minute": "300",
    }
    values.update(changes)
    return values


async def test_admin_changes_the_panel_text_categories_and_signer(client, session, site, make_report):
    token = await as_admin(client, session)
    response = await client.post(
        f"/staff/sites/{site.id}", data={**form(site), "_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    panel = (await client.get(f"/w/{site.key}")).text
    assert text_of(panel, ".no-blame") == form(site)["no_blame_text"]
    assert [radio["value"] for radio in every(panel, 'input[name="category"]')] == ["delivery", "queue"]
    assert "Waited too long at the till" in text_of(panel, "fieldset.chips")
    apology = (await make_report(site, category="queue", description="20 minutes at the till")).receipt["apology"]
    assert apology["signed_by"] == "Ruth Okafor, Store Manager"
    assert "waited too long at the till" in apology["text"]
    await session.refresh(site)
    assert (site.first_response_minutes, site.recovery_hours, site.follow_up_hours) == (15, 12, 2)
    assert site.max_reports_per_minute == 300
    page = (await client.get(f"/staff/sites/{site.id}")).text
    assert one(page, "input#max_reports_per_minute")["value"] == "300"


async def test_bad_settings_are_explained_and_the_typed_values_kept(client, session, site):
    token = await as_admin(client, session)
    response = await client.post(
        f"/staff/sites/{site.id}",
        data={**form(site, allowed_origins="ftp://files.example", name="Renamed"), "_csrf_token": token},
    )
    assert response.status_code == 400
    assert "is not an origin" in response.text
    assert 'value="Renamed"' in response.text
    assert (await session.get(Site, site.id, populate_existing=True)).name == "Shop"


async def test_rotating_the_secret_stops_trusting_old_signatures(client, session, site, make_report):
    old_signature = sign_customer(site.secret, "cust-1")
    token = await as_admin(client, session)
    assert (
        await client.post(f"/staff/sites/{site.id}/rotate-secret", data={"_csrf_token": token}, follow_redirects=False)
    ).status_code == 303
    assert (await make_report(site, customer_id="cust-1", customer_sig=old_signature)).identity_verified is False


async def test_admin_creates_a_site_and_gets_its_snippet(client, session):
    token = await as_admin(client, session)
    data = {
        "name": "Harbour Cafe",
        "allowed_origins": "https://cafe.example",
        "categories": "Cold coffee",
        "no_blame_text": "",
        "signer_name": "Ines Duarte",
        "signer_role": "",
        "repeat_window_days": "90",
        "first_response_minutes": "20",
        "recovery_hours": "24",
        "follow_up_hours": "4",
        "max_reports_per_minute": "120",
        "_csrf_token": token,
    }
    response = await client.post("/staff/sites", data=data, follow_redirects=False)
    assert response.status_code == 303
    page = (await client.get(response.headers["location"])).text
    site = await session.scalar(select(Site).where(Site.name == "Harbour Cafe"))
    assert f'data-site="{site.key}"' in text_of(page, "#snippet")
    assert one(page, 'button[data-copy="snippet"]')


async def test_only_admins_reach_site_settings(client, session, site):
    await add_staff(session, "lead@shop.example", "lead", [site])
    await login(client, "lead@shop.example")
    for path in ("/staff/sites", f"/staff/sites/{site.id}", "/staff/sites/new"):
        assert (await client.get(path, headers={"accept": "text/html"})).status_code == 403
    token = csrf_token((await client.get("/staff")).text)
    rotated = await client.post(
        f"/staff/sites/{site.id}/rotate-secret", data={"_csrf_token": token}, headers={"accept": "text/html"}
    )
    assert rotated.status_code == 403
