"""POST /api/v1/events: customer activity the host signs with the site's secret, on SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import json
import re
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from portal.domain.events import MAX_BODY_BYTES, sign_events
from portal.models import CustomerEvent, Site
from portal.services import customer_events
from tests.integration.test_limits import serving

README = Path(__file__).resolve().parents[2] / "README.md"


def signed(site: Site, body: bytes, *, at: float | None = None, secret: str | None = None) -> dict[str, str]:
    """The headers a host sends with `body`, signed at `at` (now by default)."""
    timestamp = str(int(time.time() if at is None else at))
    return {
        "Content-Type": "application/json",
        "Mend-Site": site.key,
        "Mend-Timestamp": timestamp,
        "Mend-Signature": sign_events(secret or site.secret, timestamp, body),
    }


def batch(*events: dict[str, object]) -> bytes:
    return json.dumps({"events": list(events)}).encode()


def event(n: int, **fields: object) -> dict[str, object]:
    values: dict[str, object] = {
        "id": f"evt-{n}",
        "customer_id": "cust-42",
        "type": "order",
        "at": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
    }
    values.update(fields)
    return values


async def post(client, site: Site, body: bytes, **signing: object):
    return await client.post("/api/v1/events", content=body, headers=signed(site, body, **signing))  # type: ignore[arg-type]


async def stored(session) -> list[CustomerEvent]:
    await session.commit()  # a fresh snapshot: what the requests committed
    return list((await session.scalars(select(CustomerEvent).order_by(CustomerEvent.event_id))).all())


async def test_a_signed_batch_is_stored_keyed_like_verified_customers(client, session, site):
    body = batch(event(1), event(2, customer_id="cust-7", type="cancellation", at="2026-01-05T10:00:00+01:00"))
    response = await post(client, site, body)
    assert response.status_code == 200, response.text
    assert response.json() == {"received": 2, "stored": 2, "duplicates": 0}
    rows = await stored(session)
    assert [(r.site_id, r.event_id, r.customer_key, r.type) for r in rows] == [
        (site.id, "evt-1", "id:cust-42", "order"),
        (site.id, "evt-2", "id:cust-7", "cancellation"),
    ]
    assert rows[1].at == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def test_the_same_batch_again_and_an_id_twice_in_a_batch_are_stored_once(client, session, site):
    body = batch(event(1), event(2))
    assert (await post(client, site, body)).json() == {"received": 2, "stored": 2, "duplicates": 0}
    assert (await post(client, site, body)).json() == {"received": 2, "stored": 0, "duplicates": 2}
    again = await post(client, site, batch(event(3), event(3, type="visit"), event(1)))
    assert again.json() == {"received": 3, "stored": 1, "duplicates": 2}
    rows = await stored(session)
    assert [(r.event_id, r.type) for r in rows] == [("evt-1", "order"), ("evt-2", "order"), ("evt-3", "order")]


async def test_event_ids_are_per_site(client, session, site, other_site):
    body = batch(event(1))
    await post(client, site, body)
    assert (await post(client, other_site, body)).json()["stored"] == 1
    assert sorted(r.site_id for r in await stored(session)) == sorted([site.id, other_site.id])


async def test_two_identical_batches_at_once_store_each_event_once(app, session, site):
    body = batch(*(event(n) for n in range(300)))
    async with serving(app) as peer:
        host = peer("192.0.2.10")
        answers = await asyncio.gather(*(post(host, site, body) for _ in range(2)))
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert sorted(a.json()["stored"] for a in answers) == [0, 300]
    assert await session.scalar(select(func.count()).select_from(CustomerEvent)) == 300


async def test_a_thousand_events_are_taken_and_a_thousand_and_one_refused(client, session, site):
    response = await post(client, site, batch(*(event(n) for n in range(1001))))
    assert response.status_code == 400
    assert "at most 1,000 events" in response.json()["detail"]
    assert await stored(session) == []
    response = await post(client, site, batch(*(event(n) for n in range(1000))))
    assert response.json() == {"received": 1000, "stored": 1000, "duplicates": 0}


async def test_a_bad_event_in_the_middle_stores_nothing_and_is_named(client, session, site):
    events = [event(n) for n in range(10)]
    events[5] = event(5, at="2026-01-05T10:00:00")  # no offset
    response = await post(client, site, batch(*events))
    assert response.status_code == 400
    answer = response.json()
    assert "events[5] (id 'evt-5') has a bad at" in answer["detail"]
    assert answer["extra"]["errors"] == [
        {"index": 5, "id": "evt-5", "field": "at", "message": answer["extra"]["errors"][0]["message"]}
    ]
    assert "time zone" in answer["extra"]["errors"][0]["message"]
    assert await stored(session) == []


async def test_malformed_json_is_a_400_once_signed(client, session, site):
    response = await post(client, site, b'{"events": [')
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]


async def test_a_request_without_signature_headers_is_refused(client, session, site):
    body = batch(event(1))
    for missing in ("Mend-Timestamp", "Mend-Signature", "Mend-Site"):
        headers = signed(site, body)
        del headers[missing]
        response = await client.post("/api/v1/events", content=body, headers=headers)
        assert response.status_code == 401, missing
        assert response.headers["www-authenticate"] == "Mend-Signature"
    assert "Mend-Signature headers" in response.json()["detail"] or "does not match" in response.json()["detail"]
    assert await stored(session) == []


async def test_a_bad_signature_and_an_unknown_site_are_refused_alike(client, session, site, other_site):
    body = batch(event(1))
    wrong_secret = await post(client, site, body, secret=other_site.secret)
    headers = signed(site, body) | {"Mend-Site": "no-such-site"}
    unknown = await client.post("/api/v1/events", content=body, headers=headers)
    tampered = await client.post("/api/v1/events", content=batch(event(2)), headers=signed(site, body))
    for response in (wrong_secret, unknown, tampered):
        assert response.status_code == 401
        assert "does not match" in response.json()["detail"]
    assert unknown.json() == wrong_secret.json()
    assert await stored(session) == []


async def test_a_signature_older_or_newer_than_five_minutes_is_refused(client, session, site):
    body = batch(event(1))
    for skew in (-301, 301):
        response = await post(client, site, body, at=time.time() + skew)
        assert response.status_code == 401, skew
        assert "5 minutes" in response.json()["detail"]
    for skew in (-290, 290):
        assert (await post(client, site, body, at=time.time() + skew)).status_code == 200, skew
    assert len(await stored(session)) == 1


async def test_a_body_over_the_limit_is_a_413_and_a_full_batch_fits(client, session, site):
    body = batch(*(event(n, id=f"{n:0>100}", customer_id="c" * 200, type="cancellation") for n in range(1000)))
    assert len(body) < MAX_BODY_BYTES
    assert (await post(client, site, body)).status_code == 200
    huge = b'{"events": [], "padding": "' + b"x" * MAX_BODY_BYTES + b'"}'
    response = await post(client, site, huge)
    assert response.status_code == 413


async def test_a_form_body_is_a_415(client, site):
    body = batch(event(1))
    headers = signed(site, body) | {"Content-Type": "application/x-www-form-urlencoded"}
    assert (await client.post("/api/v1/events", content=body, headers=headers)).status_code == 415


async def test_too_many_batches_in_a_minute_are_a_429(client, session, site, monkeypatch):
    monkeypatch.setattr(customer_events, "BATCHES_PER_MINUTE", 2)
    answers = [await post(client, site, batch(event(n))) for n in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert 1 <= int(answers[2].headers["retry-after"]) <= 60
    assert [r.event_id for r in await stored(session)] == ["evt-0", "evt-1"]


async def test_the_readme_python_example_is_accepted(client, session, site, monkeypatch):
    section = README.read_text().split("## Send customer activity (events API)", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code, "the README's events section has no Python example"
    sent: list[urllib.request.Request] = []
    monkeypatch.setattr(urllib.request, "urlopen", lambda request: sent.append(request) or io.BytesIO(b"{}"))
    source = code.group(1).replace("YOUR_SITE_KEY", site.key).replace("YOUR_SITE_SECRET", site.secret)
    exec(compile(source, "README.md", "exec"), {})
    (request,) = sent
    assert request.full_url.endswith("/api/v1/events")
    response = await client.post("/api/v1/events", content=request.data, headers=dict(request.header_items()))
    assert response.status_code == 200, response.text
    assert response.json()["stored"] >= 1
