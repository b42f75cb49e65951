"""Several processes: `portal run --workers 2` serves from two processes while `portal worker` does the
background work, and a commit in one process wakes a worker in another (NOTIFY on PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import asyncpg
import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from portal.db import make_sessionmaker
from portal.domain.intake import ReportDraft
from portal.mail import Mail
from portal.models import OutboxMail
from portal.outbox import MailContent, enqueue_mail
from portal.services.intake import submit_report
from portal.wakeups import OUTBOX, asyncpg_dsn, listen
from tests.conftest import TEST_SECRET, make_settings, report_body
from tests.smtp import SmtpServer, free_port


class Process:
    """A `portal` command in a process of its own, its output kept so a test can wait for a line."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "portal", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        self.lines: list[str] = []
        self._arrived = threading.Condition()
        threading.Thread(target=self._read, args=(self.popen.stdout,), daemon=True).start()

    def _read(self, stream: IO[bytes]) -> None:
        for line in stream:
            with self._arrived:
                self.lines.append(line.decode(errors="replace"))
                self._arrived.notify_all()

    def wait_for(self, pattern: str, timeout: float = 120) -> re.Match[str]:
        """Block until a line matches (woken by each new line); the whole output on failure."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                found = next((m for line in self.lines if (m := re.search(pattern, line))), None)
                if found:
                    return found
                if self.popen.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"no line matching {pattern!r}:\n{''.join(self.lines)}")
                self._arrived.wait(max(0.0, min(1.0, deadline - time.monotonic())))

    def stop(self) -> None:
        self.popen.terminate()
        try:
            self.popen.wait(20)
        except subprocess.TimeoutExpired:
            self.popen.kill()


def portal_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    return {
        **env,
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_SECRET_KEY": TEST_SECRET,
        "PORTAL_REPORTS_PER_MINUTE": "100",
        "PORTAL_LOG_LEVEL": "info",
        **extra,
    }


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def parent_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^PPid:\s+(\d+)", status, re.MULTILINE).group(1))  # type: ignore[union-attr]


@pytest.mark.timeout(300)  # three Python processes start up
async def test_two_web_processes_serve_requests_and_a_separate_worker_sends_the_mail(session, site, smtp, database_url):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # The web processes get no SMTP server: had any of them run a worker, the mail would land in the dev mailbox.
    env = portal_env(database_url, PORTAL_BASE_URL=url)
    web = Process("run", "--workers", "2", "--port", str(port), env=env)
    worker = Process("worker", env={**env, "PORTAL_SMTP_URL": smtp.url})
    try:
        await asyncio.to_thread(web.wait_for, r"Application startup complete", 180)
        pids: set[int] = set()
        async with httpx.AsyncClient(base_url=url, headers={"Connection": "close"}) as client:
            for _ in range(200):  # each request on a new connection, taken by whichever process accepts it
                assert (await client.get("/health")).status_code == 200
                pids = {int(m) for m in re.findall(r"\[(\d+)\] INFO: .*GET /health", "".join(web.lines))}
                if len(pids) == 2:
                    break
            assert len(pids) == 2, "".join(web.lines)
            assert {parent_of(pid) for pid in pids} == {web.popen.pid}

            response = await client.post("/api/v1/reports", json=report_body(site, email="many@example.com"))
            assert response.status_code == 201, response.text
        await asyncio.to_thread(smtp.inbox.wait_for, lambda m: m["To"] == "many@example.com", 30)
        await asyncio.to_thread(worker.wait_for, "mail: 1 sent")  # logged once the outcome is written
        mail = await session.scalar(select(OutboxMail).where(OutboxMail.to_addr == "many@example.com"))
        assert (mail.state, mail.transport) == ("sent", "smtp")
    finally:
        web.stop()
        worker.stop()


postgres_only = pytest.mark.skipif(
    not os.environ.get("PORTAL_DATABASE_URL", "").startswith("postgresql"), reason="NOTIFY is PostgreSQL's"
)


def queue(session, n: int, site_id: int) -> None:
    enqueue_mail(
        session,
        dedupe_key=f"wake:{n}",
        to_addr=f"wake{n}@example.com",
        to_name=None,
        content=MailContent(subject="Wake up", text="hello", html="<p>hello</p>"),
        base_url="http://testserver.local",
        site_id=site_id,
    )


@postgres_only
@pytest.mark.timeout(300)
async def test_mail_queued_in_one_process_wakes_a_worker_in_another_at_once(session, site, smtp, database_url):
    # Both polls a minute apart: within the test's wait, only the notification can wake the worker.
    env = portal_env(
        database_url, PORTAL_SMTP_URL=smtp.url, PORTAL_WORKER_POLL_SECONDS="60", PORTAL_WORKER_MAIL_POLL_SECONDS="60"
    )
    worker = Process("worker", env=env)
    try:
        await asyncio.to_thread(worker.wait_for, "worker listening for mail queued by other processes")
        queue(session, 1, site.id)
        await session.commit()
        await asyncio.to_thread(smtp.inbox.wait_for, lambda m: m["To"] == "wake1@example.com", 10)
        # Its pass is over once it says so; from then on it waits for a wake-up.
        await asyncio.to_thread(worker.wait_for, "mail: 1 sent")
        queued = time.monotonic()
        queue(session, 2, site.id)
        await session.commit()
        await asyncio.to_thread(smtp.inbox.wait_for, lambda m: m["To"] == "wake2@example.com", 10)
        print(f"delivered {time.monotonic() - queued:.3f} s after the commit")
    finally:
        worker.stop()


@postgres_only
async def test_a_notification_arrives_only_with_the_commit_and_the_listener_survives_a_dropped_connection(
    session, site, database_url
):
    woken, listening = asyncio.Queue[str](), asyncio.Queue[bool]()
    site_id = site.id  # the rollback below expires the site
    task = asyncio.create_task(
        listen(
            database_url, OUTBOX, lambda: woken.put_nowait("wake"), connect_timeout=5, on_listening=listening.put_nowait
        )
    )
    try:
        assert await asyncio.wait_for(listening.get(), 10) is True
        assert await asyncio.wait_for(woken.get(), 10) == "wake"  # the look-around after connecting

        queue(session, 1, site_id)
        await session.flush()
        await session.rollback()
        queue(session, 2, site_id)
        await session.commit()
        assert await asyncio.wait_for(woken.get(), 10) == "wake"
        # Notifications arrive in commit order: had the rollback notified, a second one would come before this.
        marker = await asyncpg.connect(asyncpg_dsn(database_url))
        await marker.execute(f"NOTIFY {OUTBOX}")
        assert await asyncio.wait_for(woken.get(), 10) == "wake"
        assert woken.empty()

        await marker.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'mend-listen'"
        )
        await marker.close()
        assert await asyncio.wait_for(listening.get(), 10) is False
        assert await asyncio.wait_for(listening.get(), 20) is True
        await asyncio.wait_for(woken.get(), 10)  # the look-around after reconnecting
        queue(session, 3, site_id)
        await session.commit()
        assert await asyncio.wait_for(woken.get(), 10) == "wake"
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


@postgres_only
async def test_intake_plans_its_counts_for_each_group_and_reuses_the_plans_of_its_inserts(database_url, site):
    # A plan made once for every site and hour can walk a whole incident's reports, so the counts statement
    # is planned for its parameters each time; planning every multi-row INSERT too cost PostgreSQL 60 % more
    # CPU a report. PostgreSQL's own record of the connection's prepared statements tells which was which.
    settings = make_settings(database_url)
    engine = create_async_engine(database_url, pool_size=1, max_overflow=0)  # every group on one connection
    try:
        mail = Mail.from_settings(settings)
        async with make_sessionmaker(engine)() as session:
            for n in range(8):
                draft = ReportDraft(category="delivery", description=f"Late again ({n})", email="ana@example.com")
                await submit_report(
                    session,
                    site=site,
                    draft=draft,
                    client_address=f"203.0.113.{n}",
                    user_agent=None,
                    settings=settings,
                    mail=mail,
                )
            plans = {
                statement.split("(")[0].strip(): (generic, custom)
                for statement, generic, custom in await session.execute(
                    text("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
                )
                if statement.startswith(("SELECT (SELECT count(*)", "INSERT INTO report "))
            }
    finally:
        await engine.dispose()
    counts_generic, counts_custom = plans["SELECT"]
    assert counts_generic == 0
    assert counts_custom == 8
    insert_generic, _ = plans["INSERT INTO report"]
    assert insert_generic >= 2  # PostgreSQL settles on one plan after five executions
