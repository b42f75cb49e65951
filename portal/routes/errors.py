"""HTTP errors shared by the routes: the 404 for what is missing or out of reach, intake's refusals, input
no handler could read, and the answer to a database that is away or to an unexpected failure."""

from __future__ import annotations

import logging
import secrets
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import msgspec
from litestar import Request
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.middleware.session.client_side import ClientSideSessionBackend, CookieBackendConfig
from litestar.status_codes import (
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from portal.domain.intake import Invalid
from portal.group_commit import GroupFailed
from portal.i18n import N_
from portal.i18n import gettext as _
from portal.services.intake import OriginRefused, RateLimited, SiteFlooded, UnknownSite

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
    if isinstance(exc, SiteFlooded):
        return HTTPException(
            status_code=HTTP_429_TOO_MANY_REQUESTS,
            detail=_(
                "Unusually many reports are arriving right now, so we could not take yours. "
                "Please wait %(seconds)s seconds and send it again.",
                seconds=exc.retry_after,
            ),
            headers={"Retry-After": str(exc.retry_after)},
        )
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


# Ids past what their column holds name no row, and the database would refuse to compare them.
INT_MAX = 2**31 - 1  # INTEGER ids on PostgreSQL
BIGINT_MAX = 2**63 - 1  # BIGINT ids, and any SQLite integer
BIG_IDS = frozenset({"report_id", "mail_id", "task_id", "suggestion_id"})  # parameters naming a BIGINT id
FORM_TYPE = "application/x-www-form-urlencoded"
NOTHING_HERE = N_("There is nothing at this address. Check that the whole link was copied.")
UNREADABLE = N_("We couldn't read what was sent: it is not valid UTF-8 text. Please send it again from the page.")
NUL_SENT = N_("What was sent contains a character we can't store (a NUL byte). Please remove it and send again.")
TOO_DEEP = N_("We couldn't read what was sent: the JSON is nested too deeply.")
NOT_JSON = N_("Send the report as JSON, with the header Content-Type: application/json.")
UNAVAILABLE = N_(
    "We could not save this, because our database is not answering just now. Please try again in a moment."
)
UNAVAILABLE_PAGE = N_(
    "This page is not available for a moment, because our database is not answering. Please try again shortly."
)
INTERNAL = N_("Sorry, something went wrong on our side. If it keeps happening, tell us this reference: %(request_id)s.")
RETRY_AFTER_SECONDS = 30

log = logging.getLogger("portal.errors")


def id_limit(name: str) -> int:
    """The largest id the column behind this parameter name holds."""
    return BIGINT_MAX if name in BIG_IDS else INT_MAX


def parse_id(value: object, name: str = "") -> int | None:
    """An id from a form or a query: ASCII digits within what its column holds; None for anything else
    (`²` passes str.isdigit() but not int(), and 99999999999999999999 passes int() but no database)."""
    text = "" if value is None else str(value)
    if not (0 < len(text) <= 19 and text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= id_limit(name) else None


def parse_ids(raw: Any, name: str = "") -> list[int]:
    """The ids a form sends under one name (one value or several), leaving out any that is no id."""
    values = [raw] if isinstance(raw, str) else list(raw or [])
    return [number for value in values if (number := parse_id(value, name)) is not None]


def refuse_nul(text: str) -> None:
    """A 400 for text with a NUL byte: PostgreSQL cannot store or even compare it, SQLite would keep it."""
    if "\x00" in text:
        raise ClientException(detail=_(NUL_SENT))


def _readable_form(encoded: bytes) -> None:
    """Form and query text: percent-encoded UTF-8 (what browsers send) and no NUL, or a 400."""
    if not encoded.isascii():
        raise ClientException(detail=_(UNREADABLE))
    try:
        pairs = parse_qsl(encoded.decode("ascii"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise ClientException(detail=_(UNREADABLE)) from exc
    for key, value in pairs:
        refuse_nul(key + value)


def _readable_json(body: bytes) -> None:
    """A JSON body Litestar can decode without crashing: UTF-8, and not absurdly deep. (The fields that are
    stored refuse NUL and other controls one by one; the API ignores fields it does not know.)"""
    try:
        msgspec.json.decode(body)
    except UnicodeDecodeError as exc:
        raise ClientException(detail=_(UNREADABLE)) from exc
    except RecursionError as exc:
        raise ClientException(detail=_(TOO_DEEP)) from exc
    except msgspec.DecodeError:
        pass  # malformed JSON: Litestar answers 400 itself


async def refuse_unreadable_input(request: Request[Any, Any, Any]) -> None:
    """Turn input the database or Litestar's parsers would choke on into a clear 4xx before any handler runs:
    an id no column holds (404), a NUL byte, invalid UTF-8 or absurdly nested JSON anywhere (400).
    One rule for the API and every form: text is stored as sent, or refused, never silently altered."""
    for name, value in request.path_params.items():
        if isinstance(value, int) and abs(value) > id_limit(name):
            raise NotFoundException(detail=_(NOTHING_HERE))
        if isinstance(value, str):
            refuse_nul(value)
    _readable_form(request.scope.get("query_string", b""))
    if request.method in ("POST", "PUT", "PATCH"):
        media_type = request.content_type[0]
        if request.route_handler.opt.get("json_body") and not media_type.endswith("json"):
            raise HTTPException(status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE, detail=_(NOT_JSON))
        if media_type == FORM_TYPE:
            _readable_form(await request.body())
        elif media_type.endswith("json"):
            _readable_json(await request.body())


def database_unavailable(exc: BaseException) -> bool:
    """True for the ways a database that is down, refusing, restarting or stalled shows up."""
    if isinstance(exc, GroupFailed):  # the transaction that was to store the request failed; nothing is half-stored
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    # SQLAlchemy wraps what a statement raises; what asyncpg raises while connecting (the server is
    # starting up, out of connections, refusing us) reaches us as asyncpg's own exception.
    return type(exc).__module__.partition(".")[0] == "asyncpg" or isinstance(
        exc,
        OSError  # refused, reset, or a connect or statement timeout (TimeoutError)
        | OperationalError
        | InterfaceError
        | PoolTimeout,
    )


def server_error(request: Request[Any, Any, Any], exc: Exception) -> HTTPException:
    """The answer to an exception no handler expected: 503 with Retry-After when the database is away,
    else a 500 whose reference is logged with the traceback, so a person can quote it and we can find it."""
    if database_unavailable(exc):
        log.warning("database unavailable on %s %s: %r", request.method, request.scope.get("path_template", ""), exc)
        detail = UNAVAILABLE if request.method == "POST" else UNAVAILABLE_PAGE
        return HTTPException(
            status_code=HTTP_503_SERVICE_UNAVAILABLE,
            detail=_(detail),
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    request_id = secrets.token_hex(6)
    log.error(
        "unexpected error on %s %s (request %s)",
        request.method,
        request.scope.get("path_template", ""),
        request_id,
        exc_info=exc,
    )
    return HTTPException(
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        detail=_(INTERNAL, request_id=request_id),
        headers={"X-Request-ID": request_id},
        extra={"request_id": request_id},
    )


class _ForgivingCookieBackend(ClientSideSessionBackend):
    """Litestar's cookie sessions, except that a cookie it cannot read is no session rather than a 500.
    The cookie's expiry part is authenticated but not encrypted, and Litestar parses it as JSON before it
    checks the signature, so anyone can craft one that breaks the parser."""

    def load_data(self, data: list[bytes]) -> dict[str, Any]:
        """The session in the cookie, or none when the cookie is not one we wrote."""
        try:
            return super().load_data(data)
        except Exception:  # whatever a forged cookie breaks, it is no session
            return {}


class SessionCookieConfig(CookieBackendConfig):
    """CookieBackendConfig whose backend reads a forged or mangled cookie as no session."""

    _backend_class = _ForgivingCookieBackend
