"""A staff member's own pages: the portal's language, the praise customers gave them, and their API tokens
(with the admins' page of everyone's tokens)."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.params import Body
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.api_tokens import SCOPES, TokenRefused
from portal.i18n import gettext as _
from portal.models import Staff
from portal.routes.auth import provide_staff, requires_staff
from portal.routes.security import page_headers, same_site_path
from portal.services.api_tokens import Issued, all_tokens, create_token, own_tokens, revoke_token
from portal.services.ratings import praise_for
from portal.services.staff import set_language


@post(
    "/staff/profile/language",
    guards=[requires_staff],
    dependencies={"staff": Provide(provide_staff)},
    include_in_schema=False,
)
async def choose_language(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    staff: Staff,
    data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
) -> Redirect:
    """Use the portal in this language from now on (empty: follow the browser)."""
    await set_language(db_session, staff, data.get("language") or None)
    return Redirect(same_site_path(request, "/staff", under="/staff"), status_code=303)


@get("/staff/praise", guards=[requires_staff], dependencies={"staff": Provide(provide_staff)}, include_in_schema=False)
async def praise(db_session: AsyncSession, staff: Staff) -> Template:
    """Praise you received: good answers with words on reports you recovered."""
    context = {"staff": staff, "ratings": await praise_for(db_session, staff.id)}
    return Template("pages/staff_praise.html", context=context, headers=page_headers())


STAFF: dict[str, Any] = {
    "guards": [requires_staff],
    "dependencies": {"staff": Provide(provide_staff)},
    "include_in_schema": False,
}
FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


async def _tokens_page(
    db_session: AsyncSession,
    staff: Staff,
    *,
    issued: Issued | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    context = {
        "staff": staff,
        "tokens": await own_tokens(db_session, staff),
        "scopes": SCOPES,
        "issued": issued,
        "error": error,
    }
    return Template("pages/staff_tokens.html", context=context, status_code=status_code, headers=page_headers())


@get("/staff/profile/tokens", **STAFF)
async def tokens(db_session: AsyncSession, staff: Staff) -> Template:
    """Your API tokens, and the form to create one."""
    return await _tokens_page(db_session, staff)


@post("/staff/profile/tokens", **STAFF)
async def new_token(db_session: AsyncSession, staff: Staff, data: dict[str, Any] = FORM) -> Template:
    """Create a token and show it, this once (no redirect: the token must not land in a URL or a later page)."""
    asked = data.get("scopes") or []
    try:
        expires_on = date.fromisoformat(data["expires_on"]) if data.get("expires_on") else None
        issued = await create_token(
            db_session,
            staff,
            name=str(data.get("name") or ""),
            scopes=[asked] if isinstance(asked, str) else asked,
            expires_on=expires_on,
        )
    except TokenRefused as exc:
        return await _tokens_page(db_session, staff, error=str(exc), status_code=400)
    except ValueError:
        return await _tokens_page(db_session, staff, error=_("Give the expiry date as YYYY-MM-DD."), status_code=400)
    return await _tokens_page(db_session, staff, issued=issued)


@post("/staff/profile/tokens/{token_id:int}/revoke", **STAFF)
async def revoke_own(db_session: AsyncSession, staff: Staff, token_id: int) -> Redirect:
    """Revoke one of your tokens: it stops working at once."""
    await revoke_token(db_session, token_id, by=staff)
    return Redirect("/staff/profile/tokens", status_code=303)


def _admin(staff: Staff) -> Staff:
    if staff.role != "admin":
        raise PermissionDeniedException(detail=_("Only admins see everyone's API tokens."))
    return staff


@get("/staff/tokens", **STAFF)
async def everyones_tokens(db_session: AsyncSession, staff: Staff) -> Template:
    """Admins: every live API token, by owner, with revoke."""
    context = {"staff": _admin(staff), "tokens": await all_tokens(db_session), "scopes": SCOPES}
    return Template("pages/admin_tokens.html", context=context, headers=page_headers())


@post("/staff/tokens/{token_id:int}/revoke", **STAFF)
async def revoke_any(db_session: AsyncSession, staff: Staff, token_id: int) -> Redirect:
    """Admins: revoke anyone's token."""
    await revoke_token(db_session, token_id, by=_admin(staff))
    return Redirect("/staff/tokens", status_code=303)


handlers: list[ControllerRouterHandler] = [
    choose_language,
    praise,
    tokens,
    new_token,
    revoke_own,
    everyones_tokens,
    revoke_any,
]
