"""Who calls the staff API: a bearer token acting as its owner, within its scopes, at its owner's sites.

Use in a handler:

    @get("/api/v1/...", dependencies=STAFF_API, security=SECURITY, responses=api_errors({404: "..."}))
    async def handler(caller: ApiCaller, db_session: AsyncSession) -> ...:
        require_scope(caller, "reports:read")
        ...  # caller.staff, caller.sites (404 for anything at another site), caller.scopes
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Request
from litestar.di import Provide
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme
from litestar.status_codes import HTTP_429_TOO_MANY_REQUESTS
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.api_tokens import REQUESTS_PER_MINUTE, missing_scope
from portal.i18n import gettext as _
from portal.i18n import set_locale
from portal.models import Site, Staff
from portal.services.api_tokens import use_token
from portal.services.staff import visible_sites


@dataclass(frozen=True)
class ApiCaller:
    """The staff member a token acts as, what the token may do, and the sites its owner may see."""

    staff: Staff
    scopes: frozenset[str]
    sites: list[Site]

    @property
    def site_ids(self) -> list[int]:
        """The ids of the sites the caller may see."""
        return [site.id for site in self.sites]


def _refused(detail: str) -> NotAuthorizedException:
    return NotAuthorizedException(detail=detail, headers={"WWW-Authenticate": 'Bearer realm="mend"'})


async def api_staff(request: Request[Any, Any, Any], db_session: AsyncSession) -> ApiCaller:
    """The caller behind `Authorization: Bearer <token>`: 401 for a missing, unknown, revoked or expired token
    or an inactive owner, 429 (with Retry-After) past the token's requests per minute."""
    scheme, _space, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise _refused(_("Send an API token as `Authorization: Bearer <token>`."))
    used = await use_token(db_session, secret.strip())
    if used is None:
        raise _refused(_("This API token is unknown, revoked or expired."))
    if not used.limit.allowed:
        raise HTTPException(
            status_code=HTTP_429_TOO_MANY_REQUESTS,
            detail=_(
                "This token sent more than %(limit)s requests in a minute. Please wait %(seconds)s seconds.",
                limit=REQUESTS_PER_MINUTE,
                seconds=used.limit.retry_after,
            ),
            headers={"Retry-After": str(used.limit.retry_after)},
        )
    staff = used.token.staff
    if staff.language:
        set_locale(staff.language)
    return ApiCaller(staff=staff, scopes=frozenset(used.token.scopes), sites=await visible_sites(db_session, staff))


def require_scope(caller: ApiCaller, scope: str) -> None:
    """A 403 naming the scope when the caller's token lacks it; call it first in every staff API handler."""
    if missing_scope(caller.scopes, scope):
        raise PermissionDeniedException(detail=_("This token lacks the scope %(scope)s.", scope=scope))


STAFF_API = {"caller": Provide(api_staff)}
SECURITY: list[SecurityRequirement] = [{"bearer": []}]
OPENAPI_COMPONENTS = Components(
    security_schemes={
        "bearer": SecurityScheme(
            type="http",
            scheme="bearer",
            description="A staff API token (`mend_…`) from your profile or `portal create-token`; it acts as its "
            "owner, within its scopes.",
        )
    }
)


class ApiError(msgspec.Struct):
    """Every error the API answers: the status, what went wrong, and details for some statuses."""

    status_code: int
    detail: str
    extra: Any = None


COMMON_ERRORS = {
    400: "A parameter or the body is not what this endpoint takes (`extra` names each problem).",
    401: "No token, or an unknown, revoked or expired one, or its owner was deactivated (WWW-Authenticate: Bearer).",
    403: "The token lacks the scope this endpoint needs (the detail names it), or its owner's role may not do this.",
    429: f"The token sent more than {REQUESTS_PER_MINUTE} requests in the last minute; see Retry-After.",
    500: "An unexpected failure; the detail quotes a reference that the portal's log holds.",
    503: "The database is not answering; try again after Retry-After seconds.",
}


def api_errors(specific: dict[int, str] | None = None) -> dict[int, ResponseSpec]:
    """The error answers of a staff API endpoint for its OpenAPI document: the common ones and its own."""
    return {
        status: ResponseSpec(data_container=ApiError, description=description, generate_examples=False)
        for status, description in sorted({**COMMON_ERRORS, **(specific or {})}.items())
    }
