"""A staff member's own pages: the portal's language, and the praise customers gave them."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.models import Staff
from portal.routes.auth import provide_staff, requires_staff
from portal.routes.security import page_headers, same_site_path
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


handlers: list[ControllerRouterHandler] = [choose_language, praise]
