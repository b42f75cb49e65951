"""No 500 from any input, and a clear 503 when the database is down or stalls (issue 13).

Each input that once answered 500 answers a clear 4xx with nothing stored, on SQLite and PostgreSQL;
what still fails unexpectedly is logged with a reference the customer sees."""

from __future__ import annotations

import base64
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from litestar.middleware.session.client_side import AAD
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from portal.app import create_app
from portal.models import CorrectiveAction, MeToo, Report, ReportEvent
from portal.routes import api, widget
from portal.services.corrective_actions import create_ca
from portal.settings import Settings
from tests.conftest import BASE_URL, TEST_SECRET, add_staff, as_admin, make_settings, report_body
from tests.html import soup

HUGE = "99999999999999999999"
FORM = {"content-type": "application/x-www-form-urlencoded"}
JSON = {"content-type": "application/json"}


async def count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


# ---- input that cannot be read -------------------------------------------------------------------


async def test_panel_form_with_a_non_ascii_signature_is_shown_again_with_its_errors(client, session, site):
    response = await client.post(
        f"/w/{site.key}", content=b"description=&customer_id=c&customer_sig=%C3%A9", headers=FORM
    )
    assert response.status_code == 400
    assert "Please check: What happened. The customer signature must be 64 hex characters." in response.text
    assert await count(session, Report) == 0


async def test_unsubscribe_link_with_a_non_ascii_signature_is_404(client):
    response = await client.get("/u/abc.%C3%A9")
    assert response.status_code == 404
    assert "unsubscribe link" in response.json()["detail"]


@pytest.mark.parametrize(
    "expiry",
    [b"{not json", b"[]", b'{"expires_at": "soon"}', b"\xff"],
    ids=["not-json", "a-list", "a-string-expiry", "not-utf8"],
)
async def test_a_crafted_session_cookie_is_no_session_on_any_route(client, site, expiry):
    # The expiry travels unencrypted beside the ciphertext, and Litestar parses it before any check.
    client.cookies.set("mend_session", base64.b64encode(b"\x00" * 12 + b"x" + AAD + expiry).decode())
    assert (await client.get("/health")).status_code == 200
    assert (await client.get(f"/w/{site.key}")).status_code == 200
    staff = await client.get("/staff", follow_redirects=False)
    assert staff.status_code == 303
    assert staff.headers["location"].startswith("/staff/login")


async def test_json_nested_5000_deep_is_400(client, session, site):
    for body in (b"[" * 5000 + b"]" * 5000, b'{"site_key": ' + b"[" * 5000 + b"]" * 5000 + b"}"):
        response = await client.post("/api/v1/reports", content=body, headers=JSON)
        assert response.status_code == 400
        assert "nested too deeply" in response.json()["detail"]
    assert await count(session, Report) == 0


async def test_invalid_utf8_is_400_on_the_api_and_on_every_form_alike(client, session, site, make_report):
    report = await make_report(site)
    api_body = b'{"site_key": "%s", "description": "caf\xe9"}' % site.key.encode()
    answers = [
        await client.post("/api/v1/reports", content=api_body, headers=JSON),
        await client.post(f"/w/{site.key}", content=b"description=caf%E9", headers=FORM),
        await client.post(f"/s/{report.status_token}/replies", content=b"body=%FF%FE", headers=FORM),
        # Raw bytes in a form body (not percent-encoded, as no browser sends them) would be misread.
        await client.post(f"/w/{site.key}", content="description=café".encode(), headers=FORM),
        await client.get(f"/w/{site.key}?lang=%FF"),
    ]
    for response in answers:
        assert response.status_code == 400, response.text
        assert "not valid UTF-8" in response.text
    assert await count(session, Report) == 1
    assert await count(session, ReportEvent) == 0


async def test_oversized_ids_in_paths_are_404(client, session, site):
    await as_admin(client, session)
    paths = [
        f"/staff/reports/{HUGE}",
        f"/staff/cas/{HUGE}",
        f"/staff/mail/{HUGE}",
        f"/staff/results/{HUGE}",
        "/staff/cas/3000000000",  # past PostgreSQL's INTEGER, still a Python int
        "/staff/reports/-99999999999999999999",
    ]
    for path in paths:
        response = await client.get(path)
        assert response.status_code == 404, (path, response.text)
        assert "nothing at this address" in response.text
    me_too = await client.post(f"/w/{site.key}/known/{HUGE}", data={"email": "a@example.com"})
    assert me_too.status_code == 404


async def test_a_report_id_past_32_bits_is_looked_up_not_refused(client, session, site):
    """Reports have BIGINT ids: 3,000,000,000 is a possible report, so it is a plain 'no such report'."""
    await as_admin(client, session)
    response = await client.get("/staff/reports/3000000000")
    assert response.status_code == 404
    assert "No such report" in response.text


async def test_nul_bytes_are_400_and_nothing_is_stored(client, session, site, make_report):
    report = await make_report(site)
    answers = [
        await client.post(f"/s/{report.status_token}/replies", data={"body": "hello\x00there"}),
        await client.post("/api/v1/reports", json=report_body(site, site_key=f"{site.key}\x00")),
        await client.post("/api/v1/reports", json=report_body(site, description="a\x00b")),
        await client.post(f"/w/{site.key}", data={"description": "a\x00b"}),
        await client.get("/w/%00"),
        await client.get("/s/abc%00"),
        await client.get(f"/w/{site.key}?page_url=%00"),
    ]
    for response in answers:
        assert response.status_code == 400, response.text
    assert "NUL" in answers[0].text
    assert await count(session, Report) == 1
    assert await count(session, ReportEvent) == 0


async def test_odd_query_values_on_staff_pages_are_ignored_or_clamped(client, session, site, make_report):
    await make_report(site)
    await as_admin(client, session)
    for path in (
        "/staff?site=²",
        "/staff?level=²",
        f"/staff?site={HUGE}",
        f"/staff?level={HUGE}",
        "/staff/trends?from=0001-01-01&to=9999-12-31",
        "/staff/trends?from=9999-12-31",
        "/staff/export/reports.csv?from=0001-01-01&to=9999-12-31",
    ):
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text)


async def test_form_ids_that_are_not_ids_are_left_out(client, session, site, make_report):
    report = await make_report(site)
    token = await as_admin(client, session)
    response = await client.post(
        "/staff/reports/bulk",
        data={"ids": ["²", HUGE, str(report.id)], "action": "assign_to_me", "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    await session.refresh(report)
    assert report.assignee_id is not None


async def test_the_api_requires_json(client, session, site):
    body = b'{"site_key": "%s", "description": "x"}' % site.key.encode()
    for headers in ({"content-type": "text/plain"}, {}, FORM):
        response = await client.post("/api/v1/reports", content=body, headers=headers)
        assert response.status_code == 415, (headers, response.text)
        assert "application/json" in response.json()["detail"]
    assert await count(session, Report) == 0
    charset = await client.post(
        "/api/v1/reports", content=body, headers={"content-type": "application/json; charset=utf-8"}
    )
    assert charset.status_code == 201


async def test_the_openapi_document_lists_every_answer_with_its_body(client):
    operation = (await client.get("/schema/openapi.json")).json()["paths"]["/api/v1/reports"]["post"]
    assert set(operation["responses"]) >= {"201", "400", "403", "404", "413", "415", "429", "500", "503"}
    for status in ("429", "503"):
        assert operation["responses"][status]["headers"]["Retry-After"]["required"] is True
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["description"]["maxLength"] == 2000
    assert body["properties"]["viewport"]["pattern"]


# ---- mail addresses that can never be delivered ------------------------------------------------------


async def test_a_non_ascii_mailbox_is_refused_at_intake_while_smtp_cannot_take_it(client, session, site):
    api_answer = await client.post("/api/v1/reports", json=report_body(site, email="zoë@example.com"))
    assert api_answer.status_code == 400
    assert "before the @" in api_answer.json()["extra"]["fields"]["email"]
    panel = await client.post(f"/w/{site.key}", data={"description": "Late again", "email": "zoë@example.com"})
    assert panel.status_code == 400
    assert "before the @" in panel.text
    assert await count(session, Report) == 0


async def test_a_non_ascii_mailbox_is_accepted_when_smtp_offers_smtputf8(database_url, sessionmaker, session, site):
    async with AsyncTestClient(create_app(make_settings(database_url, smtp_utf8=True)), base_url=BASE_URL) as utf8:
        response = await utf8.post("/api/v1/reports", json=report_body(site, email="zoë@example.com"))
    assert response.status_code == 201
    assert (await session.scalar(select(Report.customer_email))) == "zoë@example.com"


async def test_me_too_refuses_an_address_no_server_delivers(client, session, site):
    staff = await add_staff(session, "lead@mend.example", "lead", [site])
    ca = await create_ca(session, site=site, staff=staff, title="Coupons fail", problem="They do")
    ca.public = True
    await session.commit()
    for email in ("zoë@example.com", "a\x01b@example.com"):
        response = await client.post(
            f"/w/{site.key}/known/{ca.id}", data={"email": email}, headers={"origin": "https://shop.example"}
        )
        assert response.status_code == 400, (email, response.text)
    assert await count(session, MeToo) == 0
    assert await session.get(CorrectiveAction, ca.id)


# ---- what still fails: logged, with a reference the customer sees -----------------------------------


async def test_an_unexpected_error_is_logged_with_a_reference_the_json_and_the_page_show(
    client, site, monkeypatch, caplog
):
    async def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(api, "intake_site", broken)
    monkeypatch.setattr(widget, "site_by_key", broken)
    with caplog.at_level(logging.ERROR, logger="portal.errors"):
        as_json = await client.post("/api/v1/reports", json=report_body(site))
        as_page = await client.get(f"/w/{site.key}", headers={"accept": "text/html"})
    assert as_json.status_code == as_page.status_code == 500
    reference = as_json.json()["extra"]["request_id"]
    assert reference in as_json.json()["detail"]
    assert as_json.headers["x-request-id"] == reference
    page_reference = as_page.headers["x-request-id"]
    assert page_reference in soup(as_page.text).select_one("main").get_text()
    logged = {record.getMessage(): record for record in caplog.records}
    for ref in (reference, page_reference):
        record = next(r for message, r in logged.items() if ref in message)
        assert record.exc_info
        assert record.exc_info[0] is RuntimeError  # logged with its traceback


# ---- the database down, or stalled -----------------------------------------------------------------


@pytest.fixture
def stalled_database() -> Iterator[int]:
    """A port that accepts connections and never says a word, like a database that hangs."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def refused_port() -> int:
    """A port nothing listens on: connections to it are refused."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


async def unreachable(database_url: str) -> AsyncIterator[AsyncTestClient]:
    app = create_app(Settings(database_url=database_url, secret_key=TEST_SECRET, base_url=BASE_URL))
    async with AsyncTestClient(app, base_url=BASE_URL) as client:
        yield client


@pytest.fixture(params=["postgres-refused", "sqlite-unopenable"])
async def database_down(request, tmp_path) -> AsyncIterator[AsyncTestClient]:
    if request.param == "postgres-refused":
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{refused_port()}/mend"
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'no-such-directory' / 'mend.sqlite3'}"
    async for client in unreachable(url):
        yield client


async def test_database_down_answers_503_with_retry_after_everywhere_a_customer_goes(database_down):
    client = database_down
    answers = {
        "intake": await client.post("/api/v1/reports", json={"site_key": "site_x", "description": "late"}),
        "panel": await client.get("/w/site_x"),
        "panel post": await client.post("/w/site_x", data={"description": "late"}),
        "panel post (htmx)": await client.post(
            "/w/site_x", data={"description": "late"}, headers={"hx-request": "true"}
        ),
        "status page": await client.get("/s/abcdefghijklmnopqrstuvwxyz012345"),
        "reply": await client.post("/s/abcdefghijklmnopqrstuvwxyz012345/replies", data={"body": "hi"}),
    }
    for where, response in answers.items():
        assert response.status_code == 503, (where, response.text)
        assert response.headers["retry-after"] == "30", where
    assert "try again" in answers["intake"].json()["detail"]
    assert (await client.get("/health")).status_code == 503
    page = await client.get("/w/site_x", headers={"accept": "text/html"})
    assert "One moment, please" in page.text


async def test_a_stalled_database_answers_503_within_five_seconds(stalled_database):
    async for client in unreachable(f"postgresql+asyncpg://postgres@127.0.0.1:{stalled_database}/mend"):
        for method, path, body in (
            ("GET", "/health", None),
            ("POST", "/api/v1/reports", {"site_key": "site_x", "description": "late"}),
        ):
            started = time.monotonic()
            response = await client.request(method, path, json=body)
            assert time.monotonic() - started < 5, path
            assert response.status_code == 503, (path, response.text)
        assert response.headers["retry-after"] == "30"
