"""create_app(settings): the only place the application is wired together."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
from collections.abc import AsyncIterator
from typing import Any

from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from litestar import Litestar, Request, Response
from litestar.config.cors import CORSConfig
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import RedocRenderPlugin, YamlRenderPlugin
from litestar.plugins.htmx import HTMXPlugin, HTMXRequest
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from portal.db import make_engine, make_read_engine, make_sessionmaker, read_sessions
from portal.i18n import LANGUAGES, STAFF_LANGUAGES, choose_language, parse_accept_language, set_locale
from portal.mail import Mail
from portal.routes import (
    admin,
    api,
    auth,
    corrective_actions,
    customer,
    demo,
    errors,
    export,
    gestures,
    integrations,
    loyalty,
    mail_html,
    privacy,
    profile,
    results,
    sso,
    staff,
    staff_api,
    trends,
    webhook_api,
    widget,
)
from portal.routes.options import with_options
from portal.routes.security import response_headers
from portal.services.intake import intake_writer
from portal.services.site_cache import SiteCache
from portal.settings import ROOT, Settings
from portal.templating import make_environment
from portal.worker import Worker

REDOC_JS = "/static/vendor/redoc-2.5.4.standalone.js"  # npm `redoc` 2.5.4, bundles/redoc.standalone.js


def _wants_html(request: Request[Any, Any, Any]) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def _error_page(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """HTML pages get a readable error page; the API and scripts keep Litestar's JSON errors."""
    if isinstance(exc, NotAuthorizedException) and request.url.path.startswith("/staff"):
        return Redirect(f"/staff/login?next={request.url.path}", status_code=303)
    if not _wants_html(request):
        body = {"status_code": exc.status_code, "detail": exc.detail}
        if exc.extra:
            body["extra"] = exc.extra
        return Response(body, status_code=exc.status_code, headers=exc.headers)
    return Template(
        "pages/error.html",
        context={"status_code": exc.status_code, "detail": exc.detail},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _browser_language(request: Request[Any, Any, Any]) -> None:
    """Start every request in the browser's language; routes that know better (a report's customer, a
    staff member's profile, a site's languages) set theirs."""
    offered = STAFF_LANGUAGES if request.url.path.startswith("/staff") else LANGUAGES
    set_locale(choose_language(parse_accept_language(request.headers.get("accept-language")), offered))


async def _before_request(request: Request[Any, Any, Any]) -> None:
    """The browser's language, then a clear 4xx, in that language, for input no handler could read."""
    await _browser_language(request)
    await errors.refuse_unreadable_input(request)


def _server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Anything no handler expected: 503 while the database is away, else a 500 with a logged reference."""
    return _error_page(request, errors.server_error(request, exc))


def create_app(settings: Settings) -> Litestar:
    """Build the Litestar app for these settings (tests build one per settings object)."""
    engine = make_engine(settings, statement_timeout=settings.db_statement_timeout)
    sessionmaker = make_sessionmaker(engine)
    # The worker's rollups and monthly results may run longer than a request may: on PostgreSQL it
    # gets an engine without the statement timeout; SQLite keeps one shared connection (see db.py).
    worker_engine = make_engine(settings) if settings.is_postgres else engine
    # Trends, exports and results read from the replica when there is one; exports stream for longer
    # than a request may take, so they get a read engine without the statement timeout.
    read_engine = make_read_engine(settings, statement_timeout=settings.db_statement_timeout)
    export_engine = make_read_engine(settings)
    env = make_environment(auto_reload=settings.environment == "development")
    mail = Mail.from_settings(settings, env)
    worker = Worker(settings, make_sessionmaker(worker_engine), mail)
    db_config = SQLAlchemyAsyncConfig(
        engine_instance=engine,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        session_dependency_key="db_session",
    )
    # 32 bytes derived from the secret: the cookie backend wants an AES key, not a passphrase.
    cookie_key = hashlib.sha256(f"session:{settings.secret_key}".encode()).digest()
    # On PostgreSQL the intake writer has connections of its own: requests waiting for their group to
    # commit must never hold the pool the writer needs to commit it. SQLite has one connection for all.
    writer_engine = (
        make_engine(settings, statement_timeout=settings.db_statement_timeout) if settings.is_postgres else engine
    )
    sites = SiteCache()
    writer = intake_writer(make_sessionmaker(writer_engine), mail, sites, settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        task = asyncio.create_task(worker.run_forever()) if settings.run_worker else None
        # Everything loaded so far lives as long as the process: keep the cyclic collector from
        # walking it again on every collection under load.
        gc.freeze()
        try:
            yield
        finally:
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await writer.stop()
            await engine.dispose()
            await worker_engine.dispose()
            for replica in (read_engine, export_engine):
                if replica:
                    await replica.dispose()
            await writer_engine.dispose()

    app = Litestar(
        route_handlers=with_options(
            [
                *api.handlers,
                *staff_api.handlers,
                *webhook_api.handlers,
                *widget.handlers,
                *customer.handlers,
                *auth.handlers,
                *sso.handlers,
                *profile.handlers,
                *staff.handlers,
                *admin.handlers,
                *integrations.handlers,
                *gestures.handlers,
                *corrective_actions.handlers,
                *trends.handlers,
                *loyalty.handlers,
                *export.handlers,
                *privacy.handlers,
                *results.handlers,
                *mail_html.handlers,
                *demo.handlers,
                create_static_files_router(path="/static", directories=[ROOT / "static"], send_as_attachment=False),
            ]
        ),
        plugins=[SQLAlchemyPlugin(config=db_config), HTMXPlugin()],
        dependencies={
            "mail": Provide(lambda: mail, sync_to_thread=False),
            "read_session": Provide(read_sessions(make_sessionmaker(read_engine) if read_engine else None)),
        },
        request_class=HTMXRequest,
        template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(env)),
        middleware=[
            errors.SessionCookieConfig(
                secret=cookie_key,
                key="mend_session",
                httponly=True,
                secure=settings.cookie_secure,
                samesite="lax",
                max_age=12 * 3600,
                # The API answers hosts and scripts, never a staff session: no cookie to read or write.
                exclude=["/api/"],
            ).middleware,
            response_headers(settings.base_url),
        ],
        # Any page may call the API without credentials; each report is then checked against its
        # site's allowed origins (403), which a static CORS list cannot express.
        cors_config=CORSConfig(allow_origins=["*"], allow_methods=["GET", "POST"], allow_headers=["content-type"]),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="mend_csrf",
            cookie_secure=settings.cookie_secure,
            cookie_samesite="strict",
            # Customer-facing posts carry no staff session, so there is nothing to forge there.
            exclude=["/api/", "/w/", "/s/", "/u/"],
        ),
        exception_handlers={HTTPException: _error_page, Exception: _server_error},
        before_request=_before_request,
        openapi_config=OpenAPIConfig(
            title="Mend",
            version="1.0.0",
            path="/schema",
            components=staff_api.OPENAPI_COMPONENTS,  # the staff API's bearer tokens
            # Served from here, never a CDN: the docs page makes no request to another site.
            render_plugins=[
                RedocRenderPlugin(path=["/", "/redoc"], js_url=REDOC_JS, google_fonts=False, favicon=""),
                YamlRenderPlugin(),
            ],
        ),
        request_max_body_size=settings.max_body_bytes,
        lifespan=[lifespan],
        debug=False,
    )
    app.state.settings = settings
    app.state.mail = mail
    app.state.sessionmaker = sessionmaker
    app.state.worker = worker
    app.state.export_sessionmaker = make_sessionmaker(export_engine) if export_engine else worker.sessionmaker
    app.state.sites = sites
    app.state.intake_writer = writer
    app.state.widget = widget.WidgetAsset.load(ROOT / "widget" / "widget.js")
    return app
