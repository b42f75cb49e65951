"""Admins invite staff by email; the link is single-use, expires, and gives the right role and sites."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from portal.models import Invite, OutboxMail, Staff, utcnow
from tests.conftest import BASE_URL, add_staff, as_admin, csrf_token, login
from tests.html import one, text_of


async def invite(client, session, site, email="new@shop.example", role="agent") -> str:
    """Sign in as an admin, invite someone, and return the path of the link in the mail."""
    token = await as_admin(client, session)
    response = await client.post(
        "/staff/people/invites",
        data={"email": email, "role": role, "site_ids": [str(site.id)], "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    mail = await session.scalar(select(OutboxMail).where(OutboxMail.to_addr == email))
    client.cookies.clear()
    return re.search(rf"{BASE_URL}(/staff/invite/[\w-]+)", mail.text_body).group(1)


async def accept(client, path, password="a long enough password", name="Nia Brooks"):
    token = csrf_token((await client.get(path)).text)
    return await client.post(
        path, data={"name": name, "password": password, "_csrf_token": token}, follow_redirects=False
    )


async def test_invited_agent_joins_with_the_role_and_sites_and_lands_in_the_queue(client, session, site, other_site):
    path = await invite(client, session, site)
    assert (await accept(client, path)).status_code == 303
    staff = await session.scalar(select(Staff).where(Staff.email == "new@shop.example"))
    assert (staff.role, staff.name, [s.id for s in staff.sites]) == ("agent", "Nia Brooks", [site.id])
    assert (await client.get("/staff", follow_redirects=False)).status_code == 200


async def test_an_invitation_link_works_once(client, session, site):
    path = await invite(client, session, site)
    assert (await accept(client, path)).status_code == 303
    client.cookies.clear()
    assert (await client.get(path, headers={"accept": "text/html"})).status_code == 404


async def test_an_expired_invitation_says_so(client, session, site):
    path = await invite(client, session, site)
    await session.execute(update(Invite).values(expires_at=utcnow() - timedelta(minutes=1)))
    await session.commit()
    response = await client.get(path, headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "expired" in response.text


async def test_a_short_password_is_refused_and_the_link_still_works(client, session, site):
    path = await invite(client, session, site)
    short = await accept(client, path, password="short")
    assert short.status_code == 400
    assert "at least 10 characters" in text_of(short.text, '[role="alert"]')
    assert one(short.text, "#name")["value"] == "Nia Brooks"
    assert (await accept(client, path)).status_code == 303


async def test_invite_mistakes_are_explained(client, session, site):
    token = await as_admin(client, session)
    no_site = await client.post(
        "/staff/people/invites", data={"email": "x@shop.example", "role": "agent", "_csrf_token": token}
    )
    assert no_site.status_code == 400
    assert "at least one site" in no_site.text
    bad_email = await client.post(
        "/staff/people/invites", data={"email": "x@", "role": "agent", "site_ids": str(site.id), "_csrf_token": token}
    )
    assert bad_email.status_code == 400
    assert "email address" in bad_email.text
    assert await session.scalar(select(Invite)) is None


async def test_only_admins_invite(client, session, site):
    await add_staff(session, "lead@shop.example", "lead", [site])
    await login(client, "lead@shop.example")
    assert (await client.get("/staff/people", headers={"accept": "text/html"})).status_code == 403
    token = csrf_token((await client.get("/staff")).text)
    response = await client.post(
        "/staff/people/invites",
        data={"email": "x@shop.example", "role": "admin", "_csrf_token": token},
        headers={"accept": "text/html"},
    )
    assert response.status_code == 403
