"""POST /api/v1/reports and friends, on SQLite or PostgreSQL (whichever the run uses)."""

from __future__ import annotations

import base64
import gzip

from sqlalchemy import func, select

from portal.domain.identity import sign_customer
from portal.mail import Mail
from portal.models import OutboxMail, Report
from portal.worker import Worker
from tests.conftest import SITE_ORIGIN, report_body


async def count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def test_report_is_stored_with_its_context_and_answered_with_an_apology(
    client, session, sessionmaker, settings, site
):
    body = report_body(
        site,
        name="Priya Natarajan",
        email="priya@example.com",
        suggestion="Text me when it's delayed",
        page_url="https://shop.example/orders/48213",
        busy=87,
        location="Eastern stores",
        tz_offset_min=120,
        lang="en-GB",
        viewport="390x844",
    )
    response = await client.post(
        "/api/v1/reports", json=body, headers={"user-agent": "Mozilla/5.0 (iPhone)", "origin": SITE_ORIGIN}
    )
    assert response.status_code == 201, response.text
    data = response.json()
    assert data["apology"]["signed_by"] == "Dana Whitfield, Head of Care"
    assert "Priya" in data["apology"]["text"]
    assert "two days late" in data["apology"]["text"]
    token = data["status_url"].rsplit("/s/", 1)[1]
    assert len(base64.urlsafe_b64decode(token + "==")) * 8 >= 128

    report = await session.scalar(select(Report))
    assert report.ref == data["id"]
    assert report.status_token == token
    assert (report.busy, report.location, report.lang, report.viewport) == (87, "Eastern stores", "en", "390x844")
    assert report.page_url == "https://shop.example/orders/48213"
    assert report.user_agent == "Mozilla/5.0 (iPhone)"
    assert report.tz_offset_min == 120
    local = report.created_at.replace(tzinfo=None) + __import__("datetime").timedelta(minutes=120)
    assert (report.local_weekday, report.local_hour) == (local.weekday(), local.hour)
    assert report.apology_text == data["apology"]["text"]

    mail = await session.scalar(select(OutboxMail))
    assert (mail.to_addr, mail.to_name, mail.state, mail.report_id) == (
        "priya@example.com",
        "Priya Natarajan",
        "pending",
        report.id,
    )
    # Queued with the report; the worker writes it from the report when it sends it.
    await Worker(settings, sessionmaker, Mail.from_settings(settings)).run_once()
    await session.refresh(mail)
    assert (mail.state, mail.write_as) == ("sent", None)
    assert data["status_url"] in mail.text_body
    assert data["apology"]["text"] in mail.text_body


async def test_site_report_rate_of_the_last_hour_is_recorded(client, session, site):
    for _ in range(3):
        assert (await client.post("/api/v1/reports", json=report_body(site))).status_code == 201
    rates = (await session.scalars(select(Report.site_reports_last_hour).order_by(Report.id))).all()
    assert rates == [0, 1, 2]


async def test_without_an_email_nothing_is_mailed(client, session, site):
    assert (await client.post("/api/v1/reports", json=report_body(site))).status_code == 201
    assert await count(session, OutboxMail) == 0


async def test_unknown_site_key_is_404_with_a_json_error(client, session, site):
    response = await client.post("/api/v1/reports", json=report_body(site, site_key="site_nope"))
    assert response.status_code == 404
    assert "site key" in response.json()["detail"]
    assert await count(session, Report) == 0


async def test_origin_outside_the_sites_list_is_403(client, session, site):
    response = await client.post("/api/v1/reports", json=report_body(site), headers={"origin": "https://evil.example"})
    assert response.status_code == 403
    assert "https://evil.example" in response.json()["detail"]
    assert await count(session, Report) == 0
    ok = await client.post("/api/v1/reports", json=report_body(site), headers={"origin": SITE_ORIGIN})
    assert ok.status_code == 201


async def test_body_over_16_kb_is_413_and_nothing_is_stored(client, session, site):
    response = await client.post("/api/v1/reports", json=report_body(site, description="x" * 17_000))
    assert response.status_code == 413
    assert await count(session, Report) == 0


async def test_invalid_fields_are_400_naming_each_field(client, session, site):
    cases = {
        "description": {"description": "", "category": None},
        "category": {"category": "teleport"},
        "email": {"email": "priya@"},
        "page_url": {"page_url": "javascript:alert(1)"},
        "name": {"name": "Priya\r\nBcc: victim@example.com"},
    }
    for field, overrides in cases.items():
        response = await client.post("/api/v1/reports", json=report_body(site, **overrides))
        assert response.status_code == 400, (field, response.text)
        assert field in response.json()["extra"]["fields"], (field, response.json())
    long = await client.post("/api/v1/reports", json=report_body(site, description="y" * 2001))
    assert long.status_code == 400
    assert "2000" in long.json()["extra"]["fields"]["description"]
    assert await count(session, Report) == 0


async def test_wrong_json_types_and_malformed_json_are_400(client, site):
    wrong = await client.post("/api/v1/reports", json=report_body(site, busy="very"))
    assert wrong.status_code == 400
    assert "busy" in wrong.text
    broken = await client.post(
        "/api/v1/reports", content=b'{"site_key": ', headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400
    missing = await client.post("/api/v1/reports", json={"description": "x"})
    assert missing.status_code == 400
    assert "site_key" in missing.text


async def test_flood_from_one_address_is_429_with_retry_after_and_other_sites_are_unaffected(
    client, session, site, other_site
):
    for _ in range(5):
        assert (await client.post("/api/v1/reports", json=report_body(site))).status_code == 201
    flooded = await client.post("/api/v1/reports", json=report_body(site))
    assert flooded.status_code == 429
    assert 1 <= int(flooded.headers["retry-after"]) <= 60
    assert "wait" in flooded.json()["detail"]
    assert await count(session, Report) == 5
    other = await client.post("/api/v1/reports", json=report_body(other_site))
    assert other.status_code == 201


async def test_signed_identity_is_trusted_and_a_forged_one_is_not(client, session, site):
    good = report_body(
        site, customer_id="cust-7", customer_sig=sign_customer(site.secret, "cust-7"), email="c7@example.com"
    )
    forged = report_body(site, customer_id="cust-8", customer_sig=sign_customer(site.secret, "cust-7"))
    assert (await client.post("/api/v1/reports", json=good)).status_code == 201
    assert (await client.post("/api/v1/reports", json=forged)).status_code == 201
    rows = (
        await session.execute(select(Report.customer_external_id, Report.identity_verified).order_by(Report.id))
    ).all()
    assert rows == [("cust-7", True), (None, False)]


async def test_sql_metacharacters_are_stored_verbatim(client, session, site):
    text = "Robert'); DROP TABLE report;-- \" OR '1'='1"
    assert (
        await client.post("/api/v1/reports", json=report_body(site, description=text, name="O'Brien"))
    ).status_code == 201
    report = await session.scalar(select(Report))
    assert (report.description, report.customer_name) == (text, "O'Brien")


async def test_health_reports_the_database(client):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_openapi_schema_documents_the_report_endpoint(client):
    schema = (await client.get("/schema/openapi.json")).json()
    assert "post" in schema["paths"]["/api/v1/reports"]


async def test_widget_loader_is_gzipped_small_and_revalidated_by_etag(client):
    response = await client.get("/widget.js", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"].startswith("text/javascript")
    compressed = len(gzip.compress(response.content, 9))
    assert compressed <= 2048, f"widget.js is {compressed} bytes gzipped"
    assert b"/launcher?" in response.content  # the launcher's words come in the customer's language
    etag = response.headers["etag"]
    again = await client.get("/widget.js", headers={"if-none-match": etag, "accept-encoding": "gzip"})
    assert again.status_code == 304
    assert again.content == b""
