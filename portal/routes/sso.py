"""Single sign-on: send the browser to the OpenID Connect provider, and sign in whom it sends back."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.sso import SsoRefused
from portal.i18n import gettext as _
from portal.routes.auth import login_form, safe_next, sign_in
from portal.routes.security import page_headers
from portal.services import sso

PENDING = "sso"  # the session key of a sign-in started and not yet finished
log = logging.getLogger(__name__)


def _unavailable(request: Request[Any, Any, Any], target: str, exc: sso.SsoUnavailable) -> Template:
    log.warning("single sign-on provider unavailable: %s", exc)
    error = _("The sign-in provider can't be reached just now. Please try again in a minute.")
    return login_form(request, target, "", error, 502)


@get("/staff/sso/start", include_in_schema=False)
async def sso_start(request: Request[Any, Any, Any], next: str | None = None) -> Template | Redirect:
    """Start signing in at the provider; the callback finds what it needs to check in the session cookie."""
    if not request.app.state.settings.sso_enabled:
        raise NotFoundException()
    target = safe_next(next)
    try:
        url, pending = await sso.start(request.app.state.settings)
    except sso.SsoUnavailable as exc:
        return _unavailable(request, target, exc)
    request.set_session({**request.session, PENDING: {**pending, "next": target}})
    return Redirect(url, status_code=303)


@get("/staff/sso/callback", include_in_schema=False)
async def sso_callback(request: Request[Any, Any, Any], db_session: AsyncSession) -> Template | Redirect:
    """Finish signing in with the provider's answer: a session as a password gives, or a clear refusal."""
    if not request.app.state.settings.sso_enabled:
        raise NotFoundException()
    session = dict(request.session)
    pending = session.pop(PENDING, None)
    request.set_session(session)  # one callback per start, whatever it brings
    target = safe_next(pending.get("next") if isinstance(pending, dict) else None)
    try:
        signed_in = await sso.finish(db_session, request.app.state.settings, pending, dict(request.query_params))
    except sso.SsoUnavailable as exc:
        return _unavailable(request, target, exc)
    except SsoRefused as exc:
        return login_form(request, target, "", str(exc), 400 if isinstance(exc, sso.SsoExpired) else 403)
    await sign_in(request, db_session, signed_in.staff)
    if signed_in.joined:
        return Template("pages/sso_joined.html", context={"staff": signed_in.staff}, headers=page_headers())
    return Redirect(target, status_code=303)


handlers: list[ControllerRouterHandler] = [sso_start, sso_callback]
