"""Response headers that keep pages safe: what may frame them, run in them, and leak from them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal.models import Site

CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; object-src 'none'"


# The API docs page: Redoc runs an inline start-up script, injects its styles and starts a worker from a blob;
# everything else must come from here (its one remote asset, a logo, is refused and hidden).
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000"  # a year; no includeSubDomains: other hosts under the domain are not ours to decide


def response_headers(base_url: str) -> Callable[[ASGIApp], ASGIApp]:
    """Middleware for what every response says: HSTS when the portal is served over https, no caching of staff
    pages (a shared computer's back button or a proxy must not keep a customer's details), and a CSP that
    keeps the API docs page from loading anything from another site."""
    hsts = base_url.startswith("https://")

    def middleware(app: ASGIApp) -> ASGIApp:
        async def with_headers(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            staff, docs = scope["path"].startswith("/staff"), scope["path"].startswith("/schema")

            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = MutableScopeHeaders.from_message(message)
                    if hsts:
                        headers["Strict-Transport-Security"] = HSTS
                    if staff:
                        headers["Cache-Control"] = "no-store"
                    if docs:
                        headers["Content-Security-Policy"] = DOCS_CSP
                await send(message)

            await app(scope, receive, send_with_headers)

        return with_headers

    return middleware


def page_headers(site: Site | None = None, *, private: bool = False) -> dict[str, str]:
    """Strict CSP; only a site's own allowed origins may frame its panel, nothing may frame the rest."""
    if site is not None:
        ancestors = "*" if "*" in site.allowed_origins else " ".join(["'self'", *site.allowed_origins])
    else:
        ancestors = "'none'"
    headers = {
        "Content-Security-Policy": f"{CSP}; frame-ancestors {ancestors}",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer" if private else "strict-origin-when-cross-origin",
    }
    if private:
        headers["Cache-Control"] = "private, no-store"
        headers["X-Robots-Tag"] = "noindex"
    return headers


def same_site_path(request: Request[Any, Any, Any], fallback: str, *, under: str = "/") -> str:
    """The page the browser came from (its Referer) as a path on this site under `under`; the fallback for
    anything else, so a form that sends people back can never send them to another site."""
    referer = urlsplit(request.headers.get("referer") or "")
    own = {urlsplit(str(request.base_url)).netloc, urlsplit(request.app.state.settings.base_url).netloc}
    path = referer.path
    if referer.scheme not in ("http", "https") or referer.netloc not in own or "\\" in path or path.startswith("//"):
        return fallback
    return urlunsplit(("", "", path, referer.query, "")) if path.startswith(under) else fallback
