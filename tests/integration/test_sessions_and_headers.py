"""Sessions that signing out really ends, the headers every response carries, an API docs page that asks
no other site for anything, and "go back" redirects that stay on this site."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from portal.app import create_app
from portal.models import CorrectiveAction, StaffSession, Task, utcnow
from portal.services import staff as staff_service
from tests.conftest import BASE_URL, add_staff, csrf_token, login, make_settings
from tests.html import soup


async def signed_in_jar(client, email: str) -> dict[str, str]:
    """Sign in from a fresh browser; returns its cookies (one device)."""
    client.cookies.clear()
    await login(client, email)
    return dict(client.cookies)


async def test_signing_out_ends_that_session_even_for_a_copy_of_its_cookie_and_no_other(client, session, site):
    await add_staff(session, "agent@shop.example", "agent", [site])
    laptop = await signed_in_jar(client, "agent@shop.example")
    phone = await signed_in_jar(client, "agent@shop.example")

    client.cookies = laptop
    token = csrf_token((await client.get("/staff")).text)
    signed_out = await client.post("/staff/logout", data={"_csrf_token": token}, follow_redirects=False)
    assert signed_out.status_code == 303

    client.cookies = laptop  # the cookie as someone who copied it before sign-out would replay it
    replayed = await client.get("/staff", follow_redirects=False)
    assert (replayed.status_code, replayed.headers["location"]) == (303, "/staff/login?next=/staff")
    client.cookies = phone
    assert (await client.get("/staff", follow_redirects=False)).status_code == 200
    assert await session.scalar(select(func.count()).select_from(StaffSession)) == 1


async def test_sign_out_everywhere_ends_every_session_of_that_person_only(client, session, site):
    await add_staff(session, "agent@shop.example", "agent", [site])
    await add_staff(session, "lee@shop.example", "lead", [site])
    laptop = await signed_in_jar(client, "agent@shop.example")
    phone = await signed_in_jar(client, "agent@shop.example")
    colleague = await signed_in_jar(client, "lee@shop.example")

    client.cookies = laptop
    token = csrf_token((await client.get("/staff")).text)
    await client.post("/staff/logout-everywhere", data={"_csrf_token": token})
    for jar, expected in ((laptop, 303), (phone, 303), (colleague, 200)):
        client.cookies = jar
        assert (await client.get("/staff", follow_redirects=False)).status_code == expected


async def test_an_unused_session_ends_after_twelve_hours_and_use_keeps_it_going(session, site):
    agent = await add_staff(session, "agent@shop.example", "agent", [site])
    start = utcnow()
    sid = await staff_service.start_session(session, agent, now=start)
    assert await staff_service.signed_in_staff(session, agent.id, sid, now=start + timedelta(hours=11)) == agent
    # Used at 11 h, so it now lives until 23 h.
    assert await staff_service.signed_in_staff(session, agent.id, sid, now=start + timedelta(hours=22)) == agent
    assert await staff_service.signed_in_staff(session, agent.id, sid, now=start + timedelta(hours=35)) is None
    assert await staff_service.signed_in_staff(session, agent.id + 1, sid, now=start) is None  # another account's id
    # An expired session is cleared away at the next sign-in.
    await staff_service.start_session(session, agent, now=start + timedelta(hours=40))
    assert await session.scalar(select(func.count()).select_from(StaffSession)) == 1


async def test_a_deactivated_account_is_turned_away_at_once(client, session, site):
    agent = await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "agent@shop.example")
    agent.is_active = False
    await session.commit()
    assert (await client.get("/staff", follow_redirects=False)).status_code == 303


async def test_hsts_only_when_the_portal_is_served_over_https(client, session, database_url):
    assert "strict-transport-security" not in (await client.get("/health")).headers
    https = make_settings(database_url, base_url="https://mend.example", cookie_secure=True)
    async with AsyncTestClient(create_app(https), base_url="https://mend.example") as secure:
        for path in ("/health", "/staff/login", "/static/css/mend.css"):
            assert (await secure.get(path)).headers["strict-transport-security"] == "max-age=31536000"


async def test_staff_pages_are_never_cached_and_public_ones_keep_their_caching(client, session, site, make_report):
    report = await make_report(site)
    await add_staff(session, "agent@shop.example", "agent", [site])
    assert (await client.get("/staff/login")).headers["cache-control"] == "no-store"
    await login(client, "agent@shop.example")
    for path in ("/staff", f"/staff/reports/{report.id}", "/staff/export/reports.csv"):
        response = await client.get(path)
        assert (response.status_code, response.headers["cache-control"]) == (200, "no-store")
    assert "no-store" not in (await client.get("/widget.js")).headers["cache-control"]


async def test_the_api_docs_page_loads_nothing_from_another_site(client):
    page = await client.get("/schema")
    assert page.status_code == 200
    html = soup(page.text)
    assets = [tag.get("src") or tag.get("href") for tag in html.select("script[src], link[href]")]
    assert assets == ["/static/vendor/redoc-2.5.4.standalone.js"]
    assert "googleapis" not in page.text
    assert "cdn." not in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    script = await client.get(assets[0])
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert (await client.get("/schema/openapi.json")).json()["info"]["title"] == "Mend"


@pytest.fixture
async def agent_token(client, session, site) -> str:
    await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "agent@shop.example")
    return csrf_token((await client.get("/staff")).text)


@pytest.mark.parametrize(
    ("action", "form", "fallback"),
    [
        ("/staff/duty", {"on_duty": "1"}, "/staff"),
        ("/staff/reports/bulk", {"action": "assign_to_me"}, "/staff"),
        ("/staff/profile/language", {"language": "fr"}, "/staff"),
    ],
)
@pytest.mark.parametrize(
    ("referer", "expected"),
    [
        (f"{BASE_URL}/staff/reports?site=1&state=new", "/staff/reports?site=1&state=new"),
        ("https://evil.example/staff", None),
        (f"{BASE_URL}//evil.example/staff", None),
        (f"{BASE_URL}/\\evil.example", None),
        (f"https://{urlsplit(BASE_URL).netloc}@evil.example/staff", None),
        ("//evil.example/staff", None),
        ("javascript:alert(1)", None),
        (None, None),
    ],
)
async def test_going_back_after_a_staff_form_stays_on_this_site(
    client, agent_token, action, form, fallback, referer, expected
):
    headers = {"referer": referer} if referer else {}
    response = await client.post(
        action, data={**form, "_csrf_token": agent_token}, headers=headers, follow_redirects=False
    )
    assert (response.status_code, response.headers["location"]) == (303, expected or fallback)


async def test_linking_reports_to_a_ca_and_finishing_a_task_also_go_back_only_on_this_site(
    client, session, site, make_report
):
    report = await make_report(site, email="kim@example.com")
    await client.post(f"/s/{report.status_token}/gesture", data={"choice": f"gesture:{report.offered_gesture_ids[0]}"})
    task = await session.scalar(select(Task).where(Task.report_id == report.id))
    ca = CorrectiveAction(site_id=site.id, title="Late parcels", state="open", whys=[])
    session.add(ca)
    await session.commit()
    await add_staff(session, "lee@shop.example", "lead", [site])
    await login(client, "lee@shop.example")
    token = csrf_token((await client.get("/staff")).text)
    evil = {"referer": "https://evil.example/staff"}
    forms = {
        f"/staff/cas/{ca.id}/links": ({"report_ids": report.id}, f"/staff/cas/{ca.id}"),
        f"/staff/tasks/{task.id}/done": ({}, "/staff/tasks"),
    }
    for action, (form, fallback) in forms.items():
        response = await client.post(action, data={**form, "_csrf_token": token}, headers=evil, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, fallback)
