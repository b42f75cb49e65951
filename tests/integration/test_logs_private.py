"""Nothing personal in logs: across a report, a refused mail, a failing Slack webhook and an unexpected error,
no log record names the customer, quotes their email, text or address, or spells out a Slack URL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from portal.mail import Mail
from portal.models import WebhookEndpoint
from portal.services import conversation, webhooks
from portal.worker import Worker
from tests.conftest import BASE_URL, make_settings, report_body
from tests.smtp import free_port

EMAIL, NAME, ADDRESS = "ana.lima@example.com", "Ana Lima", "203.0.113.9"
STORY = "My neighbour Jorge saw the parcel thrown over the fence"
SLACK_PATH = "/services/T0SECRET/B0SECRET/xoxSECRETtoken"


@pytest.fixture
def settings(database_url):
    return make_settings(database_url, reports_per_minute=100)


@pytest.fixture
def logs(app, caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record at DEBUG, captured from after the app was made (making it configures the root logger)."""
    caplog.set_level(logging.DEBUG)
    return caplog


def assert_private(logs: pytest.LogCaptureFixture, *secrets: str) -> None:
    """No record's message (arguments rendered) nor traceback holds any of the secrets (the test's own SMTP
    server, aiosmtpd, logs what it is sent: its records are not the portal's)."""
    ours = [record for record in logs.records if not record.name.startswith("mail.log")]
    handler = logging.Handler()
    rendered = [record.getMessage() for record in ours] + [handler.format(record) for record in ours]
    for secret in (EMAIL, NAME, ADDRESS, STORY, *secrets):
        leaks = [line for line in rendered if secret in line]
        assert not leaks, f"{secret!r} logged: {leaks[0][:400]}"


@asynccontextmanager
async def browsing(app) -> AsyncIterator[httpx.AsyncClient]:
    """The app started, and a customer's browser at ADDRESS."""
    transport = httpx.ASGITransport(app=app, client=(ADDRESS, 50000))
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


async def submitted(app, site) -> dict:
    """A report submitted by the customer from ADDRESS, with their email, name and story."""
    async with browsing(app) as customer:
        return await submit(customer, site)


async def submit(customer: httpx.AsyncClient, site) -> dict:
    body = report_body(site, email=EMAIL, name=NAME, description=STORY)
    response = await customer.post("/api/v1/reports", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_report_and_its_status_page_log_nothing_personal(logs, app, site):
    async with browsing(app) as customer:
        receipt = await submit(customer, site)
        assert (await customer.get(receipt["status_url"])).status_code == 200
    assert_private(logs, receipt["status_url"].rpartition("/")[2])


class Refusing:
    """An SMTP server that refuses every recipient, quoting the address back as real servers do."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return f"550 5.1.1 <{address}>: no such user here"


async def test_a_refused_mail_logs_the_address_masked(logs, app, site, sessionmaker, database_url):
    await submitted(app, site)
    controller = Controller(Refusing(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        smtp_settings = make_settings(database_url, smtp_url=f"smtp://127.0.0.1:{controller.port}")
        run = await Worker(smtp_settings, sessionmaker, Mail.from_settings(smtp_settings)).run_once(None, 20)
    finally:
        controller.stop()
    assert run.retried == 1
    assert any("a***@example.com" in record.getMessage() for record in logs.records)  # the failure is still logged
    assert_private(logs)


async def test_a_failing_slack_webhook_never_logs_its_url(logs, app, site, session, sessionmaker, settings):
    async def answer_500(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 500 X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nno")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer_500, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    session.add(
        WebhookEndpoint(
            site_id=site.id, kind="slack", url=f"http://127.0.0.1:{port}{SLACK_PATH}", events=["report.created"]
        )
    )
    await session.commit()
    await submitted(app, site)
    try:
        run = await webhooks.deliver_due(sessionmaker, mail=Mail.from_settings(settings), settings=settings)
    finally:
        server.close()
        await server.wait_closed()
    assert (run.delivered, run.retried) == (0, 1)
    assert_private(logs, "T0SECRET", "xoxSECRETtoken")


async def test_an_unexpected_error_logs_neither_the_customer_nor_the_link(logs, app, site, monkeypatch):

    async def broken(session, *, report, body):
        """A query that fails with the customer's details among its parameters, as a real bug might."""
        who = f"{report.customer_email} {report.customer_name} {body}"
        await session.execute(text("SELECT x FROM no_such_table WHERE x = :who"), {"who": who})

    monkeypatch.setattr(conversation, "add_reply", broken)
    async with browsing(app) as customer:
        receipt = await submit(customer, site)
        response = await customer.post(f"{receipt['status_url']}/replies", data={"body": f"{STORY}, {EMAIL}"})
    assert response.status_code in (500, 503)  # a programming error on PostgreSQL, "no such table" on SQLite
    assert any(record.name == "portal.errors" for record in logs.records)
    assert_private(logs, receipt["status_url"].rpartition("/")[2])
