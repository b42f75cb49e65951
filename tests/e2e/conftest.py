"""One portal server (`portal run`, with its worker), one host site on another origin, one SMTP
server and one browser for the whole session; each test makes its own site and staff."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from portal.db import in_session
from portal.models import Site
from portal.services.sites import create_site
from portal.services.staff import upsert_staff
from portal.settings import Settings
from tests.conftest import PASSWORD, TEST_SECRET
from tests.oidc.provider import OidcProvider
from tests.smtp import SmtpServer, free_port

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOST_PAGE = (Path(__file__).parent / "host_page.html").read_text()
HOST_CSS = (Path(__file__).parent / "host.css").read_text()


@dataclass(frozen=True)
class Portal:
    url: str
    settings: Settings
    smtp: SmtpServer
    host_origin: str

    def run(self, coroutine_factory):  # type: ignore[no-untyped-def]
        """Run database set-up for a test, in a thread of its own: Playwright's loop owns this one."""
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, in_session(self.settings, coroutine_factory)).result()

    def new_site(self, name: str = "Northwind") -> Site:
        """A site whose widget may live on the host origin."""
        return self.run(
            lambda s: create_site(
                s, name=name, origins=[self.host_origin], signer_name="Dana Whitfield", signer_role="Head of Care"
            )
        )

    def new_admin(self, email: str) -> None:
        self.run(lambda s: upsert_staff(s, email=email, password=PASSWORD, role="admin"))

    def new_staff(self, email: str, site: Site, role: str = "agent") -> None:
        async def work(session):  # type: ignore[no-untyped-def]
            return await upsert_staff(
                session, email=email, password=PASSWORD, role=role, sites=[await session.get(Site, site.id)]
            )

        self.run(work)

    def sign_in(self, page: Page, email: str, path: str = "/staff") -> None:
        """Open a staff page and sign in through the form it sends us to, as staff do."""
        page.goto(f"{self.url}{path}")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()

    def host_page(self, site: Site, *, strict_csp: bool = False, **attributes: str) -> str:
        """The address of a page on the other origin that embeds this site's widget; with `strict_csp`, the
        page is served with a Content-Security-Policy that allows no inline style or script."""
        query = "&".join(f"{k}={v}" for k, v in {"site": site.key, **attributes}.items())
        return f"{self.host_origin}/{'strict/' if strict_csp else ''}shop.html?{query}"


def strict_csp(portal_url: str) -> str:
    """A large shop's policy: its own files, plus what the snippet needs from the portal (the loader, the
    launcher's words, the panel's frame); no 'unsafe-inline' anywhere."""
    return (
        f"default-src 'self'; script-src 'self' {portal_url}; connect-src 'self' {portal_url}; "
        f"style-src 'self'; frame-src {portal_url}; img-src 'self'; object-src 'none'; base-uri 'none'"
    )


class _HostHandler(BaseHTTPRequestHandler):
    """Serves the shop page of a site owner, embedding the widget from the portal's origin."""

    portal_url = ""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/host.css":
            self._send(HOST_CSS, "text/css")
            return
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        attributes = " ".join(f'data-{k}="{v}"' for k, v in params.items() if k != "site")
        body = (
            HOST_PAGE.replace("{portal}", self.portal_url)
            .replace("{site}", params.get("site", ""))
            .replace("{attributes}", attributes)
        )
        strict = url.path.startswith("/strict/")
        self._send(body, "text/html", {"Content-Security-Policy": strict_csp(self.portal_url)} if strict else {})

    def _send(self, body: str, media_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", f"{media_type}; charset=utf-8")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def portal(database_url: str) -> Iterator[Portal]:
    smtp = SmtpServer()
    smtp.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": database_url,
        "PORTAL_SMTP_URL": smtp.url,
        "PORTAL_BASE_URL": url,
        "PORTAL_SECRET_KEY": TEST_SECRET,
        "PORTAL_WORKER_POLL_SECONDS": "0.5",
        "PORTAL_REPORTS_PER_MINUTE": "100",
        "PORTAL_LOG_LEVEL": "warning",
    }
    server = subprocess.Popen([sys.executable, "-m", "portal", "run", "--port", str(port), "--no-access-log"], env=env)
    _HostHandler.portal_url = url
    host = ThreadingHTTPServer(("127.0.0.1", 0), _HostHandler)
    Thread(target=host.serve_forever, daemon=True).start()
    try:
        _wait_until_healthy(url, server)
        yield Portal(
            url=url,
            settings=Settings(database_url=database_url, secret_key=TEST_SECRET, base_url=url),
            smtp=smtp,
            host_origin=f"http://127.0.0.1:{host.server_address[1]}",
        )
    finally:
        server.terminate()
        server.wait(10)
        host.shutdown()
        smtp.stop()


@pytest.fixture(scope="session")
def sso_portal(portal: Portal) -> Iterator[Portal]:
    """A second server on the same database that signs staff in through a real OpenID provider
    (tests/oidc/provider.mjs); people at partner.example may join by themselves."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with OidcProvider(f"{url}/staff/sso/callback") as provider:
        env = {
            **os.environ,
            **provider.env(PORTAL_OIDC_AUTO_JOIN_DOMAINS="partner.example"),
            "PORTAL_DATABASE_URL": portal.settings.database_url,
            "PORTAL_SMTP_URL": portal.smtp.url,
            "PORTAL_BASE_URL": url,
            "PORTAL_SECRET_KEY": TEST_SECRET,
            "PORTAL_LOG_LEVEL": "warning",
        }
        # No worker of its own: the first server's writes the mail, with the links of its base URL, as every
        # process of a real deployment (which share one PORTAL_BASE_URL) would.
        server = subprocess.Popen(
            [sys.executable, "-m", "portal", "run", "--port", str(port), "--no-access-log", "--no-worker"], env=env
        )
        try:
            _wait_until_healthy(url, server)
            yield replace(portal, url=url, settings=replace(portal.settings, base_url=url))
        finally:
            server.terminate()
            server.wait(10)


def _wait_until_healthy(url: str, server: subprocess.Popen, timeout: float = 120) -> None:
    # Generous: on a loaded machine (a CI runner, tests in parallel) start-up alone has taken over 30 s.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("portal run exited during start-up")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # the server has no readiness signal to wait on but its health endpoint
    raise RuntimeError("portal run did not become healthy")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()
    assert not dialogs, f"a script ran and opened a dialog: {dialogs}"


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """What every page and frame of the test's browser context logs as an error: script errors, uncaught
    exceptions, refusals by a Content-Security-Policy. The test asserts on it where it expects none."""
    errors: list[str] = []
    page.context.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.context.on("weberror", lambda error: errors.append(f"uncaught {error.error}"))
    return errors
