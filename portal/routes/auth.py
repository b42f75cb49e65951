"""Signing staff in and out: the login form, the session guard, sign out everywhere, going on duty."""

from __future__ import annotations

import math
from typing import Any

from litestar import Request, get, post
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from litestar.params import Body
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.sso import issuer_label
from portal.i18n import gettext as _
from portal.i18n import ngettext, set_locale
from portal.models import Staff
from portal.routes.clients import client_key
from portal.routes.security import page_headers, same_site_path
from portal.services.staff import (
    SignInThrottled,
    authenticate,
    set_on_duty,
    sign_out,
    sign_out_everywhere,
    signed_in_staff,
    start_session,
)


def requires_staff(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: a staff session must exist (the redirect to the login page is the error handler's)."""
    if not connection.session.get("staff_id"):
        raise NotAuthorizedException()


async def provide_staff(request: Request[Any, Any, Any], db_session: AsyncSession) -> Staff:
    """The signed-in staff member; a signed-out session or a deactivated account is turned away at once."""
    staff = await signed_in_staff(db_session, request.session.get("staff_id"), request.session.get("sid"))
    if staff is None:
        request.clear_session()
        raise NotAuthorizedException()
    if staff.language:
        set_locale(staff.language)
    return staff


async def sign_in(request: Request[Any, Any, Any], db_session: AsyncSession, staff: Staff) -> None:
    """Start a session for this staff member on this browser (its id, in the encrypted cookie, is what sign-out revokes)."""
    request.set_session({"staff_id": staff.id, "sid": await start_session(db_session, staff)})


def safe_next(target: str | None) -> str:
    """Only ever redirect inside the staff area after login."""
    return target if target and target.startswith("/staff") and not target.startswith("//") else "/staff"


@get("/staff/login", include_in_schema=False)
async def login_page(request: Request[Any, Any, Any], next: str | None = None) -> Template:
    """The sign-in form."""
    return login_form(request, safe_next(next), "", None)


@post("/staff/login", include_in_schema=False)
async def login(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
) -> Template | Redirect:
    """Check the credentials and start a session."""
    target = safe_next(data.get("next"))
    if not request.app.state.settings.password_sign_in:
        return login_form(request, target, "", _("Password sign-in is switched off: use single sign-on."), 403)
    try:
        staff = await authenticate(
            db_session, data.get("email", ""), data.get("password", ""), client=client_key(request)
        )
    except SignInThrottled as exc:
        error = ngettext(
            "Too many failed sign-ins. Please wait %(num)s minute and try again.",
            "Too many failed sign-ins. Please wait %(num)s minutes and try again.",
            math.ceil(exc.retry_after / 60),
        )
        return login_form(request, target, data.get("email", ""), error, 429, {"Retry-After": str(exc.retry_after)})
    if staff is None:
        error = _("That email and password don't match an active account.")
        return login_form(request, target, data.get("email", ""), error, 400)
    await sign_in(request, db_session, staff)
    return Redirect(target, status_code=303)


def login_form(
    request: Request[Any, Any, Any],
    target: str,
    email: str,
    error: str | None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Template:
    """The sign-in page: single sign-on when configured, the password form unless switched off, and why the last try failed."""
    settings = request.app.state.settings
    context = {
        "next": target,
        "error": error,
        "email": email,
        "sso_provider": issuer_label(settings.oidc_issuer) if settings.sso_enabled else None,
        "password_sign_in": settings.password_sign_in,
    }
    return Template(
        "pages/staff_login.html",
        context=context,
        status_code=status_code,
        headers={**page_headers(), **(headers or {})},
    )


@post("/staff/logout", include_in_schema=False)
async def logout(request: Request[Any, Any, Any], db_session: AsyncSession) -> Redirect:
    """End this session: its cookie stops working, even a copy of it; other devices stay signed in."""
    await sign_out(db_session, request.session.get("sid"))
    request.clear_session()
    return Redirect("/staff/login", status_code=303)


@post(
    "/staff/logout-everywhere",
    guards=[requires_staff],
    dependencies={"staff": Provide(provide_staff)},
    include_in_schema=False,
)
async def logout_everywhere(request: Request[Any, Any, Any], db_session: AsyncSession, staff: Staff) -> Redirect:
    """End this staff member's sessions on every device."""
    await sign_out_everywhere(db_session, staff)
    request.clear_session()
    return Redirect("/staff/login", status_code=303)


@post("/staff/duty", guards=[requires_staff], dependencies={"staff": Provide(provide_staff)}, include_in_schema=False)
async def toggle_duty(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    staff: Staff,
    data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
) -> Redirect:
    """Go on or off duty."""
    await set_on_duty(db_session, staff, data.get("on_duty") == "1")
    return Redirect(same_site_path(request, "/staff"), status_code=303)


handlers: list[ControllerRouterHandler] = [login_page, login, logout, logout_everywhere, toggle_duty]
