"""The embeddable loader (/widget.js) and the report panel it opens (/w/{site_key})."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.identity import verified_identity
from portal.domain.intake import CONTEXT_FIELDS, Invalid, sanitize_context
from portal.domain.sites import origin_allowed
from portal.i18n import N_, customer_language, html_lang, set_locale, text_direction
from portal.i18n import gettext as _
from portal.models import CorrectiveAction, Site
from portal.routes.clients import client_address, client_key
from portal.routes.errors import INTAKE_ERRORS, UNKNOWN_SITE, found, intake_error
from portal.routes.security import page_headers
from portal.services import corrective_actions, known_issues
from portal.services.intake import RateLimited, intake_site, receive_report
from portal.services.sites import site_by_key


@dataclass(frozen=True)
class WidgetAsset:
    """The loader, read once at start-up and gzipped once, with a strong ETag."""

    body: bytes
    gzipped: bytes
    etag: str

    @classmethod
    def load(cls, path: Path) -> WidgetAsset:
        """Read and compress the loader source, without its `//` comment lines: they are for its maintainers,
        and every customer of every site downloads the loader."""
        lines = path.read_text().splitlines(keepends=True)
        body = "".join(line for line in lines if not line.lstrip().startswith("//")).encode()
        return cls(
            body=body, gzipped=gzip.compress(body, 9, mtime=0), etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        )


@get("/widget.js", include_in_schema=False)
async def widget_js(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The loader: cacheable, revalidated by ETag, gzipped when the browser accepts it."""
    asset: WidgetAsset = request.app.state.widget
    headers = {
        "ETag": asset.etag,
        "Cache-Control": "public, max-age=300, stale-while-revalidate=86400",
        "Vary": "Accept-Encoding",
        "Cross-Origin-Resource-Policy": "cross-origin",
        "X-Content-Type-Options": "nosniff",
    }
    if asset.etag in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(asset.gzipped, media_type="text/javascript", headers={**headers, "Content-Encoding": "gzip"})
    return Response(asset.body, media_type="text/javascript", headers=headers)


def _identity(site: Site, values: dict[str, Any]) -> dict[str, Any]:
    """Who the customer is, as far as the host vouches for it with a valid signature."""
    verified, _ = verified_identity(
        site.secret, values.get("customer_id"), values.get("customer_sig"), values.get("customer_tier")
    )
    return {
        "verified": verified,
        "name": values.get("name") if verified else None,
        "email": values.get("email") if verified else None,
    }


def _panel(
    site: Site,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    receipt: Any = None,
    message: str = "",
    known: Sequence[CorrectiveAction] = (),
) -> dict[str, Any]:
    return {
        "known_issues": known,
        "site": site,
        "values": values,
        "context": {k: values[k] for k in CONTEXT_FIELDS if values.get(k) not in (None, "")},
        "identity": _identity(site, values),
        "errors": errors,
        "receipt": receipt,
        "message": message,
        "embedded": bool(values.get("embed")),
        "labels": FIELD_LABELS,
    }


# The panel's fields as their labels name them: the form shows these, and "Please check: …" names them so.
FIELD_LABELS = {
    "category": N_("What was it about?"),
    "description": N_("What happened?"),
    "suggestion": N_("How could we prevent this?"),
    "name": N_("Your name"),
    "email": N_("Email, if you'd like a reply"),
}
QUESTION_MARKS = "¿?؟ \u00a0\u202f"  # a label's own question marks, and the spaces French puts before them


def _check_message(errors: Mapping[str, str]) -> str:
    """The status line for a refused form: the labels of the fields to check, in the form's order and as the
    customer reads them, then what is wrong with the host page's context, which has no field to show it."""
    labels = [_(label).strip(QUESTION_MARKS) for field, label in FIELD_LABELS.items() if field in errors]
    context = [message for field, message in errors.items() if field not in FIELD_LABELS]
    # Labels may hold commas themselves ("Email, if you'd like a reply"): a semicolon parts them.
    return " ".join(([_("Please check: %(fields)s.", fields="; ".join(labels))] if labels else []) + context)


def _language(request: Request[Any, Any, Any], site: Site, raw: Mapping[str, Any]) -> str:
    """The customer's language at this site; everything rendered for this request speaks it."""
    lang = customer_language(site.languages, site.default_language, raw, request.headers.get("accept-language"))
    set_locale(lang)
    return lang


async def _site_or_404(db_session: AsyncSession, site_key: str) -> Site:
    return found(await site_by_key(db_session, site_key), _(UNKNOWN_SITE))


@get("/w/{site_key:str}/launcher", include_in_schema=False)
async def launcher(
    request: Request[Any, Any, Any], site_key: str, db_session: AsyncSession
) -> Response[dict[str, str]]:
    """The launcher's words in the language the customer and the site agree on (the loader asks once per page)."""
    site = await _site_or_404(db_session, site_key)
    lang = _language(request, site, request.query_params)
    body = {
        "lang": html_lang(lang),
        "dir": text_direction(lang),
        "label": _(LAUNCHER_LABEL),
        "title": _(PANEL_TITLE),
        "close": _(CLOSE_LABEL),
    }
    return Response(
        body, headers={"Cache-Control": "public, max-age=300", "Cross-Origin-Resource-Policy": "cross-origin"}
    )


LAUNCHER_LABEL = N_("Something small went wrong?")
PANEL_TITLE = N_("Tell us what went wrong")
CLOSE_LABEL = N_("Close")


@get("/w/{site_key:str}", include_in_schema=False)
async def panel(request: Request[Any, Any, Any], site_key: str, db_session: AsyncSession) -> Template:
    """The report form, opened in the widget's iframe or as a full page without JavaScript."""
    site = await _site_or_404(db_session, site_key)
    raw = dict(request.query_params)
    values = sanitize_context(raw)
    values["lang"] = _language(request, site, raw)
    if not _identity(site, values)["verified"]:
        # Unsigned names and emails are not the customer's own words: let them type their own.
        values.pop("name", None)
        values.pop("email", None)
    known = await known_issues.known_issues(db_session, site, values.get("page_url"))
    return Template(
        "pages/panel.html", context=_panel(site, values=values, errors={}, known=known), headers=page_headers(site)
    )


@post("/w/{site_key:str}", include_in_schema=False)
async def panel_submit(
    request: HTMXRequest, site_key: str, data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED)
) -> Template | Redirect:
    """Submit the form; answers with the apology, or the form again with what was typed and why it failed."""
    # Intake's path takes no injected dependencies (see api.create_report).
    sessions, mail = request.app.state.sessionmaker, request.app.state.mail
    snapshot = found(await intake_site(sessions, request.app.state.sites, site_key), _(UNKNOWN_SITE))
    site = snapshot.site
    template = "partials/panel_body.html" if request.htmx else "pages/panel.html"
    lang = _language(request, site, data)
    try:
        receipt = await receive_report(
            sessions,
            sites=request.app.state.sites,
            snapshot=snapshot,
            raw=data,
            origin=request.headers.get("origin"),
            client_address=client_address(request),
            user_agent=request.headers.get("user-agent"),
            settings=request.app.state.settings,
            mail=mail,
            writer=request.app.state.intake_writer,
            lang=lang,
        )
    except INTAKE_ERRORS as exc:
        error = intake_error(exc)
        fields = exc.errors if isinstance(exc, Invalid) else {}
        message = _check_message(fields) if fields else error.detail
        context = _panel(site, values=data, errors=fields, message=message)
        return Template(
            template,
            context=context,
            status_code=error.status_code,
            headers={**page_headers(site), **(error.headers or {})},
        )
    if not request.htmx and not data.get("embed"):
        # Without JavaScript: POST, then redirect to the status page, which leads with the apology.
        return Redirect(urlsplit(receipt.status_url).path, status_code=303)
    # In the widget's frame the apology is the panel itself, htmx or not (Send pressed before htmx was
    # ready posts the form natively): the status page may not be framed, so it would show nothing.
    return Template(
        template,
        context=_panel(site, values=data, errors={}, receipt=receipt),
        status_code=201,
        headers=page_headers(site),
    )


@post("/w/{site_key:str}/known/{ca_id:int}", include_in_schema=False)
async def me_too(
    request: HTMXRequest,
    site_key: str,
    ca_id: int,
    db_session: AsyncSession,
    data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
) -> Template:
    """ "Me too — tell me when it is fixed": an email instead of a report about a known issue."""
    site = await _site_or_404(db_session, site_key)
    lang = _language(request, site, data)
    if not origin_allowed(request.headers.get("origin"), site.allowed_origins, request.app.state.settings.base_url):
        raise PermissionDeniedException(detail=_("This site does not accept requests from that page."))
    settings = request.app.state.settings
    status_code, error, headers = 200, None, page_headers(site)
    issue: CorrectiveAction | None
    try:
        issue = await known_issues.me_too(
            db_session,
            site,
            ca_id,
            data.get("email", ""),
            per_minute=settings.reports_per_minute,
            client=client_key(request),
            lang=lang,
            smtp_utf8=settings.smtp_utf8,
        )
    except LookupError as exc:
        raise NotFoundException(detail=str(exc)) from exc
    except RateLimited as exc:
        issue, status_code = await corrective_actions.ca_at_sites(db_session, [site.id], ca_id), 429
        error = _("That's several in a minute. Please wait %(seconds)s seconds and try again.", seconds=exc.retry_after)
        headers["Retry-After"] = str(exc.retry_after)
    except ValueError as exc:
        issue, error, status_code = await corrective_actions.ca_at_sites(db_session, [site.id], ca_id), str(exc), 400
    context = {"site": site, "issue": issue, "error": error, "email": data.get("email", ""), "done": error is None}
    template = "partials/known_issue.html" if request.htmx else "pages/known_issue.html"
    return Template(template, context=context, status_code=status_code, headers=headers)


handlers: list[ControllerRouterHandler] = [widget_js, launcher, panel, panel_submit, me_too]
