"""HTTP errors shared by the routes: the 404 for what is missing or out of reach, and intake's refusals."""

from __future__ import annotations

from typing import TypeVar

from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.status_codes import HTTP_429_TOO_MANY_REQUESTS

from portal.domain.intake import Invalid
from portal.i18n import N_
from portal.i18n import gettext as _
from portal.services.intake import OriginRefused, RateLimited, UnknownSite

UNKNOWN_SITE = N_("We don't know this site key. Check the data-site attribute of the embed snippet.")

T = TypeVar("T")


def found(thing: T | None, detail: str) -> T:
    """`thing`, or a 404 saying `detail` when there is none (or it belongs to a site the caller may not see)."""
    if thing is None:
        raise NotFoundException(detail=detail)
    return thing


def intake_error(exc: Exception) -> HTTPException:
    """The HTTP error a refused report maps to, with a message a person can act on."""
    if isinstance(exc, UnknownSite):
        return NotFoundException(detail=_(UNKNOWN_SITE))
    if isinstance(exc, OriginRefused):
        return PermissionDeniedException(detail=str(exc))
    if isinstance(exc, Invalid):
        fields = ", ".join(exc.errors)
        return ClientException(detail=_("Please check: %(fields)s.", fields=fields), extra={"fields": exc.errors})
    if isinstance(exc, RateLimited):
        return HTTPException(
            status_code=HTTP_429_TOO_MANY_REQUESTS,
            detail=_(
                "That's several reports in a minute. Please wait %(seconds)s seconds and send again.",
                seconds=exc.retry_after,
            ),
            headers={"Retry-After": str(exc.retry_after)},
        )
    raise exc


INTAKE_ERRORS = (UnknownSite, OriginRefused, Invalid, RateLimited)
