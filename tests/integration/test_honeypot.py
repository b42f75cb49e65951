"""A bot that fills the honeypot gets what a customer gets (a receipt, gestures, a status link that
answers) while nothing is stored and no mail is sent."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from portal.models import GestureGrant, OutboxMail, Report, ReportEvent
from tests.conftest import SITE_ORIGIN, report_body
from tests.html import soup

BOT = {"website": "http://spam.example"}
HEADERS = {"origin": SITE_ORIGIN}


def shape(value: Any) -> Any:
    """The JSON's keys and types, all the way down, without the values."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def outline(html: str) -> list[str]:
    """What a status page is made of: its headings, test ids, forms and fields, in order."""
    page = soup(html)
    parts = [f"{tag.name}:{tag.get_text(' ', strip=True)}" for tag in page.select("h1, h2")]
    parts += [f"testid:{tag['data-testid']}" for tag in page.select("[data-testid]")]
    parts += [f"form:{form['action'].rsplit('/', 1)[1]}" for form in page.select("form")]
    parts += [f"field:{field.get('name')}:{field.get('type')}" for field in page.select("input, textarea, button")]
    return parts


async def stored(session) -> dict[str, int]:
    counts = {}
    for model in (Report, OutboxMail, ReportEvent, GestureGrant):
        counts[model.__tablename__] = await session.scalar(select(func.count()).select_from(model))
    return counts


async def test_a_bot_cannot_tell_its_receipt_and_status_page_from_a_customers(client, session, site):
    fields = {"email": "sam@example.com", "name": "Sam Lee", "tz_offset_min": 60}
    real = await client.post("/api/v1/reports", json=report_body(site, **fields), headers=HEADERS)
    before = await stored(session)
    fake = await client.post("/api/v1/reports", json=report_body(site, **fields, **BOT), headers=HEADERS)
    assert await stored(session) == before  # no report, no apology mail

    assert (real.status_code, fake.status_code) == (201, 201)
    assert set(real.headers) == set(fake.headers)
    assert shape(fake.json()) == shape(real.json())
    assert fake.json()["gestures"] == real.json()["gestures"] != []
    assert "Sam" in fake.json()["apology"]["text"]
    real_token, fake_token = (r.json()["status_url"].rsplit("/s/", 1)[1] for r in (real, fake))
    assert len(fake_token) == len(real_token)

    real_page, fake_page = await client.get(f"/s/{real_token}"), await client.get(f"/s/{fake_token}")
    assert (real_page.status_code, fake_page.status_code) == (200, 200)
    assert fake.json()["id"] in fake_page.text
    assert outline(fake_page.text) == [p for p in outline(real_page.text) if p != "testid:description"]
    assert (await client.get(f"/s/{fake_token}")).text == fake_page.text  # the same page on every visit

    choice = {"choice": f"gesture:{fake.json()['gestures'][0]['id']}"}
    picked = await client.post(f"/s/{real_token}/gesture", data=choice, follow_redirects=False)
    before = await stored(session)  # the customer's choice is kept; nothing the bot does from here is
    faked = await client.post(f"/s/{fake_token}/gesture", data=choice, follow_redirects=False)
    assert (picked.status_code, faked.status_code) == (303, 303)
    assert faked.headers["location"] == f"/s/{fake_token}#gesture"
    said = await client.post(f"/s/{fake_token}/replies", data={"body": "Hello?"}, follow_redirects=False)
    assert (said.status_code, said.headers["location"]) == (303, f"/s/{fake_token}#timeline")
    assert (await client.post(f"/s/{fake_token}/replies", data={"body": ""})).status_code == 400
    assert await stored(session) == before
    assert before["report"] == 1
    assert before["gesture_grant"] == 1


async def test_only_decoys_this_portal_issued_open_a_page(client, site):
    fake = await client.post("/api/v1/reports", json=report_body(site, **BOT), headers=HEADERS)
    token = fake.json()["status_url"].rsplit("/s/", 1)[1]
    tampered = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    assert (await client.get(f"/s/{tampered}")).status_code == 404
    assert (await client.get(f"/s/{'A' * len(token)}")).status_code == 404


async def test_the_panel_answers_a_bot_as_it_answers_a_customer(client, session, site):
    form = {"category": "delivery", "description": "The parcel came two days late."}
    htmx = {**HEADERS, "hx-request": "true"}
    real = await client.post(f"/w/{site.key}", data=form, headers=htmx)
    fake = await client.post(f"/w/{site.key}", data={**form, **BOT}, headers=htmx)
    assert (real.status_code, fake.status_code) == (201, 201)
    for response in (real, fake):
        assert len(soup(response.text).select('input[name="choice"]')) >= 2  # the gestures on offer
    without_js = await client.post(f"/w/{site.key}", data={**form, **BOT}, headers=HEADERS, follow_redirects=False)
    assert without_js.status_code == 303
    assert (await client.get(without_js.headers["location"])).status_code == 200
    assert (await stored(session))["report"] == 1


async def test_a_bot_meets_the_same_limit_per_address_as_a_customer(client, session, settings, site):
    answers = [
        (await client.post("/api/v1/reports", json=report_body(site, **BOT), headers=HEADERS)).status_code
        for _ in range(settings.reports_per_minute + 1)
    ]
    assert answers == [201] * settings.reports_per_minute + [429]
    assert (await stored(session))["report"] == 0
