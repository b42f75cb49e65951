"""Who may reach which staff route, sign-in throttling, and signing out everywhere."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from portal.app import create_app
from portal.mail import Mail
from portal.models import CorrectiveAction, Gesture, OutboxMail
from portal.worker import Worker
from tests.conftest import add_staff, csrf_token, login, make_settings


@pytest.mark.parametrize("role", ["admin", "lead", "agent"])
async def test_every_staff_route_for_every_role_on_own_and_other_site(
    client, session, sessionmaker, settings, site, other_site, role, make_report
):
    # Each with an email, so each has a customer file and a mail.
    ours = await make_report(site, email="ours@example.com")
    theirs = await make_report(other_site, email="theirs@example.com")
    await Worker(settings, sessionmaker, Mail.from_settings(settings)).run_once()
    mail_ids = {m.to_addr: m.id for m in (await session.scalars(select(OutboxMail))).all()}
    # An admin sees every site; a lead or agent only the sites they belong to.
    await add_staff(session, f"{role}@mend.example", role, [] if role == "admin" else [site])
    await login(client, f"{role}@mend.example")
    token = csrf_token((await client.get("/staff")).text)
    other_expected = 200 if role == "admin" else 404

    other_write = 303 if role == "admin" else 404
    admin_only = 200 if role == "admin" else 403
    lead_write = 303 if role in ("lead", "admin") else 403
    cas = {
        s.id: CorrectiveAction(site_id=s.id, title="Late parcels", state="open", whys=[]) for s in (site, other_site)
    }
    session.add_all(cas.values())
    await session.commit()
    first_gesture = {
        s.id: await session.scalar(select(Gesture.id).where(Gesture.site_id == s.id).limit(1))
        for s in (site, other_site)
    }
    cases = [
        ("GET", "/staff", None, 200, 200),
        ("GET", "/staff/mail", None, 200, 200),
        ("GET", "/staff/adherence", None, 200, 200),
        ("GET", "/staff/reports/{id}", None, 200, other_expected),
        ("GET", "/staff/reports/{id}/prevention", None, 200, other_expected),
        ("GET", "/staff/mail/{mail}", None, 200, other_expected),
        ("GET", "/staff/customers/{site}?key={key}", None, 200, other_expected),
        ("POST", "/staff/customers/{site}/notes", {"key": "{key}", "body": "Called back."}, 303, other_write),
        ("POST", "/staff/reports/{id}/updates", {"body": "We found it and it ships today."}, 303, other_write),
        ("POST", "/staff/reports/{id}/assign", {}, 303, other_write),
        ("POST", "/staff/reports/{id}/state", {"state": "acknowledged"}, 303, other_write),
        ("GET", "/staff/tasks", None, 200, 200),
        (
            "POST",
            "/staff/reports/{id}/gestures",
            {"gesture_id": "{gesture}", "reason": "Waited twice."},
            303,
            other_write,
        ),
        ("POST", "/staff/customers/{site}/tier", {"key": "{key}", "tier": "elevated"}, lead_write, other_write),
        ("GET", "/staff/sites/{site}/gestures", None, admin_only, admin_only),
        ("GET", "/staff/cas", None, 200, 200),
        ("GET", "/staff/cas/{ca}", None, 200, other_expected),
        ("POST", "/staff/cas/{ca}/suggestions", {"body": "Check the vans."}, 303, other_write),
        ("POST", "/staff/cas/{ca}/links", {"report_ids": "{id}"}, 303, other_write),
        (
            "POST",
            "/staff/cas/{ca}/state",
            {"state": "reopened"},  # refused: back to the CA page, set for that move
            303 if role != "agent" else 403,
            303 if role == "admin" else 404 if role == "lead" else 403,
        ),
        ("GET", "/staff/sites", None, admin_only, admin_only),
        ("GET", "/staff/sites/{site}", None, admin_only, admin_only),
        ("GET", "/staff/people", None, admin_only, admin_only),
    ]
    for method, template, data, own_status, other_status in cases:
        for report, email, expected in (
            (ours, "ours@example.com", own_status),
            (theirs, "theirs@example.com", other_status),
        ):
            values = {
                "id": report.id,
                "mail": mail_ids[email],
                "site": report.site_id,
                "key": f"email:{email}",
                "gesture": first_gesture[report.site_id],
                "ca": cas[report.site_id].id,
            }
            path = template.format(**values)
            if method == "GET":
                response = await client.get(path, headers={"accept": "text/html"}, follow_redirects=False)
            else:
                form = {k: v.format(**values) for k, v in data.items()}
                response = await client.post(
                    path, data={**form, "_csrf_token": token}, headers={"accept": "text/html"}, follow_redirects=False
                )
            assert response.status_code == expected, (role, method, path, response.status_code)
    listing = (await client.get("/staff")).text
    assert ("theirs@example.com" in listing) == (role == "admin")


async def test_anonymous_visitors_reach_no_staff_route(client, session, site, make_report):
    report = await make_report(site, email="x@example.com")
    for path in ("/staff", "/staff/mail", f"/staff/reports/{report.id}", "/staff/mail/1"):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/staff/login")
    for path in (
        f"/staff/reports/{report.id}/state",
        f"/staff/reports/{report.id}/updates",
        "/staff/logout-everywhere",
    ):
        assert (await client.post(path, data={"state": "closed", "body": "x"}, follow_redirects=False)).status_code in (
            303,
            403,
        )
    await session.refresh(report)
    assert report.state == "new"


async def test_sign_in_is_throttled_after_five_failures_from_one_address_even_with_the_right_password(
    client, session, site
):
    await add_staff(session, "agent@shop.example", "agent", [site])
    token = csrf_token((await client.get("/staff/login")).text)
    for _ in range(5):
        wrong = await client.post(
            "/staff/login", data={"email": "agent@shop.example", "password": "guess", "_csrf_token": token}
        )
        assert wrong.status_code == 400
    blocked = await client.post(
        "/staff/login", data={"email": "agent@shop.example", "password": "correct horse battery", "_csrf_token": token}
    )
    assert blocked.status_code == 429
    assert "Too many failed sign-ins" in blocked.text
    assert int(blocked.headers["retry-after"]) > 0
    other_account = await client.post(
        "/staff/login", data={"email": "someone@shop.example", "password": "x", "_csrf_token": token}
    )
    assert other_account.status_code == 400  # still checked: one address may fail 20 times across accounts


async def test_sign_out_everywhere_ends_the_other_devices_sessions(client, session, site):
    # Two devices are two cookie jars; one client switches between them (the app runs on one loop).
    await add_staff(session, "agent@shop.example", "agent", [site])
    await login(client, "agent@shop.example")
    laptop = dict(client.cookies)
    client.cookies.clear()
    await login(client, "agent@shop.example")
    phone = dict(client.cookies)
    assert laptop["mend_session"] != phone["mend_session"]

    client.cookies = laptop
    token = csrf_token((await client.get("/staff")).text)
    assert (
        await client.post("/staff/logout-everywhere", data={"_csrf_token": token}, follow_redirects=False)
    ).status_code == 303
    client.cookies = phone
    assert (await client.get("/staff", follow_redirects=False)).status_code == 303


async def session_cookie(client) -> str:
    token = csrf_token((await client.get("/staff/login")).text)
    response = await client.post(
        "/staff/login",
        data={"email": "agent@shop.example", "password": "correct horse battery", "_csrf_token": token},
        follow_redirects=False,
    )
    return next(c for c in response.headers.get_list("set-cookie") if c.startswith("mend_session="))


async def test_session_cookie_is_httponly_and_samesite_and_secure_behind_https(client, session, site, database_url):
    await add_staff(session, "agent@shop.example", "agent", [site])
    plain = await session_cookie(client)
    assert "HttpOnly" in plain
    assert "samesite=lax" in plain.lower()
    assert "Secure" not in plain
    https = make_settings(database_url, base_url="https://mend.example", cookie_secure=True)
    async with AsyncTestClient(create_app(https), base_url="https://mend.example") as secure_client:
        assert "Secure" in await session_cookie(secure_client)
