"""Hypothesis throws arbitrary reports at intake, through the API and the panel form: never a 5xx, and a
4xx stores nothing (no report, no mail)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from portal.app import create_app
from portal.models import OutboxMail, Report
from tests.conftest import BASE_URL, make_settings

# Text a person, a host page or an attacker might send: any character (NUL, controls, astral), near-valid
# shapes, and values at and past each limit; mixed per field with values that pass, so that most
# examples are one or two fields away from a report that is taken.
weird = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "é", "zoë@example.com", "http://[", "HTTP://x", "-900", "²", "9" * 30, "\x00", "\u2028"]),
    st.integers(min_value=990, max_value=2010).map(lambda n: "x" * n),
)
words = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=60)
one_line = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=30)
VALID = {
    "category": st.sampled_from(["delivery", "website", ""]),
    "description": words,
    "suggestion": words,
    "email": st.emails(),
    "name": one_line,
    "customer_id": st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True),
    "customer_sig": st.text("0123456789abcdef", min_size=64, max_size=64),
    "customer_tier": st.sampled_from(["standard", "elevated", "premium"]),
    "page_url": st.sampled_from(["https://shop.example/orders/1", "http://shop.example/ä?q=ü#x"]),
    "referrer": st.sampled_from(["https://shop.example/", "https://search.example/?q=late"]),
    "viewport": st.sampled_from(["1280x720", "390x844"]),
    "busy": st.integers(0, 100).map(str),
    "location": one_line,
    "tz_offset_min": st.integers(-840, 840).map(str),
    "lang": st.sampled_from(["fr", "de-CH", "pt-BR", "xx", ""]),
}
json_value = st.one_of(
    weird,
    st.none(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.lists(weird, max_size=2),
)


def report(odd_values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Fields that pass, with up to two of them replaced by odd values."""
    good = st.fixed_dictionaries({"description": words}, optional={f: VALID[f] for f in VALID if f != "description"})
    odd = st.dictionaries(st.sampled_from(list(VALID)), odd_values, max_size=2)
    return st.builds(lambda fields, changes: {**fields, **changes}, good, odd)


FUZZ = settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@pytest.fixture
async def fuzz_client(database_url: str, sessionmaker) -> AsyncIterator[AsyncTestClient]:
    # No per-address limit: every example comes from the same address.
    app = create_app(make_settings(database_url, reports_per_minute=1_000_000))
    async with AsyncTestClient(app, base_url=BASE_URL) as client:
        yield client


async def stored(session) -> tuple[int, int]:
    await session.commit()  # a fresh snapshot: see what the app committed
    return (
        await session.scalar(select(func.count()).select_from(Report)),
        await session.scalar(select(func.count()).select_from(OutboxMail)),
    )


async def check(session, before: tuple[int, int], response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert await stored(session) == before, response.text


@FUZZ
@given(fields=report(json_value))
async def test_api_intake_never_fails_and_stores_nothing_it_refuses(fuzz_client, session, site, fields):
    before = await stored(session)
    response = await fuzz_client.post("/api/v1/reports", json={"site_key": site.key, **fields})
    await check(session, before, response)


@FUZZ
@given(fields=report(weird), htmx=st.booleans())
async def test_panel_intake_never_fails_and_stores_nothing_it_refuses(fuzz_client, session, site, fields, htmx):
    before = await stored(session)
    headers = {"hx-request": "true"} if htmx else {}
    response = await fuzz_client.post(f"/w/{site.key}", data=fields, headers=headers, follow_redirects=False)
    await check(session, before, response)


# Bytes as they might arrive: anything, JSON whose strings are not UTF-8, nesting thousands deep, and form
# fields whose percent-escapes decode to anything.
api_bytes = st.one_of(
    st.binary(max_size=200),
    st.binary(max_size=40).map(lambda raw: b'{"site_key": "KEY", "description": "' + raw + b'"}'),
    st.integers(1, 6000).map(lambda depth: b"[" * depth + b"]" * depth),
)
form_bytes = st.one_of(
    st.binary(max_size=200),
    st.binary(max_size=40).map(lambda raw: b"description=" + quote_from_bytes(raw).encode()),
)


@FUZZ
@given(api_body=api_bytes, form_body=form_bytes)
async def test_raw_bytes_at_either_door_never_fail_and_store_nothing(fuzz_client, session, site, api_body, form_body):
    before = await stored(session)
    api = await fuzz_client.post(
        "/api/v1/reports",
        content=api_body.replace(b"KEY", site.key.encode()),
        headers={"content-type": "application/json"},
    )
    await check(session, before, api)
    before = await stored(session)
    form = {"content-type": "application/x-www-form-urlencoded"}
    panel = await fuzz_client.post(f"/w/{site.key}", content=form_body, headers=form, follow_redirects=False)
    await check(session, before, panel)
