"""The JSON API and the health check."""

from __future__ import annotations

import dataclasses
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.exceptions import ClientException, HTTPException, NotAuthorizedException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.openapi.spec import Parameter as OpenAPIParameter
from litestar.openapi.spec import RequestBody as OpenAPIRequestBody
from litestar.status_codes import HTTP_429_TOO_MANY_REQUESTS
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.db import ping
from portal.domain.events import (
    EVENT_TYPES,
    MAX_BODY_BYTES,
    MAX_CUSTOMER_ID,
    MAX_EVENT_ID,
    MAX_EVENTS,
    BadBatch,
    Unauthenticated,
    parse_batch,
)
from portal.domain.gestures import Tier
from portal.domain.intake import CONTROLS, LINE_BREAKS, SPACE
from portal.i18n import customer_language, set_locale
from portal.i18n import gettext as _
from portal.models import utcnow
from portal.routes.api_docs import ERROR_SCHEMA, RETRY_AFTER, ReportOperation
from portal.routes.clients import client_address
from portal.routes.errors import INTAKE_ERRORS, intake_error, refuse_nul
from portal.services.customer_events import BATCHES_PER_MINUTE, TooManyBatches, record_events, signing_site
from portal.services.intake import intake_site, receive_report


class ReportIn(msgspec.Struct):
    """A report as a host page or the widget submits it."""

    site_key: str
    category: str | None = None
    description: str | None = None
    suggestion: str | None = None
    email: str | None = None
    name: str | None = None
    customer_id: str | None = None
    customer_sig: str | None = None
    customer_tier: str | None = None  # standard, elevated or premium; trusted only when customer_sig covers it
    page_url: str | None = None
    referrer: str | None = None
    viewport: str | None = None
    busy: int | None = None
    location: str | None = None
    tz_offset_min: int | None = None
    lang: str | None = None
    website: str | None = None  # honeypot: people never see it, bots fill it


class ApologyOut(msgspec.Struct):
    text: str
    signed_by: str


class GestureOut(msgspec.Struct):
    """A gesture the customer may pick (on the status page, or by POSTing `choice=gesture:<id>` to `gesture_url`)."""

    id: int
    name: str
    description: str
    tier: str


class ReportCreated(msgspec.Struct):
    """The receipt: the customer's reference, private status link, apology and the gestures offered."""

    id: str
    status_url: str
    apology: ApologyOut
    gestures: list[GestureOut]
    gesture_url: str


# The body must be JSON (415 otherwise: refuse_unreadable_input reads `json_body`); ReportOperation documents it.
@post("/api/v1/reports", status_code=201, tags=["reports"], operation_class=ReportOperation, opt={"json_body": True})
async def create_report(request: Request[Any, Any, Any], data: ReportIn) -> Response[ReportCreated]:
    """Take a report; answers with the apology and the private status link."""
    refuse_nul(data.site_key)
    # The hottest path: no injected dependencies (Litestar resolves two or more in a task group per
    # request), and no session unless the site cache must ask the database.
    sessions, mail = request.app.state.sessionmaker, request.app.state.mail
    snapshot = await intake_site(sessions, request.app.state.sites, data.site_key)
    site = snapshot.site if snapshot else None
    raw = msgspec.structs.asdict(data)
    lang = customer_language(
        site.languages if site else None,
        site.default_language if site else None,
        raw,
        request.headers.get("accept-language"),
    )
    set_locale(lang)
    try:
        receipt = await receive_report(
            sessions,
            sites=request.app.state.sites,
            snapshot=snapshot,
            raw=raw,
            origin=request.headers.get("origin"),
            client_address=client_address(request),
            user_agent=request.headers.get("user-agent"),
            settings=request.app.state.settings,
            mail=mail,
            writer=request.app.state.intake_writer,
            lang=lang,
        )
    except INTAKE_ERRORS as exc:
        raise intake_error(exc) from exc
    body = ReportCreated(
        id=receipt.ref,
        status_url=receipt.status_url,
        apology=ApologyOut(text=receipt.apology.text, signed_by=receipt.apology.signed_by),
        gestures=[
            GestureOut(id=g.id, name=g.name, description=g.description, tier=Tier(g.tier).label) for g in receipt.offers
        ],
        gesture_url=f"{receipt.status_url}/gesture",
    )
    return Response(body, status_code=201)


@get(
    "/health",
    tags=["ops"],
    responses={503: ResponseSpec(data_container=dict[str, str], description="The database does not answer.")},
)
async def health(db_session: AsyncSession) -> Response[dict[str, str]]:
    """200 when the database answers, 503 when it does not."""
    try:
        await ping(db_session)
    except Exception as exc:  # report any database failure as unhealthy
        return Response({"status": "error", "database": f"unavailable: {type(exc).__name__}"}, status_code=503)
    return Response({"status": "ok", "database": "ok"})


IDENTIFIER = (
    f"^[{SPACE}]*[^{SPACE}{CONTROLS}{LINE_BREAKS}][^{CONTROLS}{LINE_BREAKS}]*[{SPACE}]*$"  # one line, not blank
)
EVENTS_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["events"],
    description=f"Up to {MAX_EVENTS:,} events, stored all or none; ids and customer ids are trimmed as report fields are.",
    properties={
        "events": Schema(
            type=OpenAPIType.ARRAY,
            max_items=MAX_EVENTS,
            items=Schema(
                type=OpenAPIType.OBJECT,
                required=["id", "customer_id", "type", "at"],
                properties={
                    "id": Schema(
                        type=OpenAPIType.STRING,
                        max_length=MAX_EVENT_ID,
                        pattern=IDENTIFIER,
                        description="Your id for the event: sending it again stores nothing new.",
                    ),
                    "customer_id": Schema(
                        type=OpenAPIType.STRING,
                        max_length=MAX_CUSTOMER_ID,
                        pattern=IDENTIFIER,
                        description="Your id for the customer, as in the snippet's data-customer-id.",
                    ),
                    "type": Schema(type=OpenAPIType.STRING, enum=list(EVENT_TYPES)),
                    "at": Schema(
                        type=OpenAPIType.STRING,
                        format=OpenAPIFormat.DATE_TIME,
                        description="When the customer acted, with its offset; from 2000 to five minutes from now.",
                    ),
                },
            ),
        )
    },
)
SIGNATURE_HEADERS = {
    "Mend-Site": "The site key.",
    "Mend-Timestamp": "Unix seconds when the request was signed; refused more than five minutes from our clock.",
    "Mend-Signature": "`v1=` and the hex HMAC-SHA256, keyed with the site's secret, of the timestamp, a dot and "
    "the raw body.",
}
EVENTS_ERRORS = {
    "400": "Not JSON, not a list of events, more than 1,000, or a bad event: `extra.errors` names each (its "
    "`index`, `id`, `field` and `message`). Nothing is stored.",
    "401": "A signature header is missing, the timestamp is too far from our clock, or the signature does not "
    "match (an unknown site key included).",
    "413": f"The body is larger than {MAX_BODY_BYTES // 2**20} MB.",
    "415": "The body is not sent as application/json.",
    "429": f"The site sent more than {BATCHES_PER_MINUTE} batches in the last minute.",
    "500": "An unexpected failure; the detail quotes a reference that the portal's log holds.",
    "503": "The database is not answering; nothing is stored, try again.",
}


@dataclasses.dataclass
class EventsOperation(Operation):
    """The operation Litestar generates for receive_events, with its signature headers, body and answers."""

    def __post_init__(self) -> None:
        self.parameters = [
            OpenAPIParameter(
                name=name, param_in="header", required=True, schema=Schema(type=OpenAPIType.STRING), description=text
            )
            for name, text in SIGNATURE_HEADERS.items()
        ]
        self.request_body = OpenAPIRequestBody(
            required=True, content={"application/json": OpenAPIMediaType(schema=EVENTS_SCHEMA)}
        )
        self.responses = {
            **(self.responses or {}),
            **{
                status: OpenAPIResponse(
                    description=description,
                    headers=RETRY_AFTER if status in ("429", "503") else None,
                    content={"application/json": OpenAPIMediaType(schema=ERROR_SCHEMA)},
                )
                for status, description in EVENTS_ERRORS.items()
            },
        }


class EventsStored(msgspec.Struct):
    """What a batch did: events received, newly stored, and already stored (sent before, or twice in the batch)."""

    received: int
    stored: int
    duplicates: int


# The body is read raw: the signature covers its exact bytes. EventsOperation documents the headers and answers.
@post(
    "/api/v1/events",
    status_code=200,
    tags=["customer activity"],
    operation_class=EventsOperation,
    opt={"json_body": True},
    request_max_body_size=MAX_BODY_BYTES,
)
async def receive_events(request: Request[Any, Any, Any], db_session: AsyncSession) -> Response[EventsStored]:
    """Store a batch of what customers did on the host, signed with the site's secret; all of it or none."""
    body = await request.body()
    now = utcnow()
    try:
        site = await signing_site(
            db_session,
            site_key=request.headers.get("mend-site"),
            timestamp=request.headers.get("mend-timestamp"),
            signature=request.headers.get("mend-signature"),
            body=body,
            now=now,
        )
        stored = await record_events(db_session, site, parse_batch(body, now), now=now)
    except Unauthenticated as exc:
        raise NotAuthorizedException(detail=str(exc), headers={"WWW-Authenticate": "Mend-Signature"}) from exc
    except BadBatch as exc:
        errors = [dataclasses.asdict(problem) for problem in exc.problems]
        raise ClientException(detail=exc.message, extra={"errors": errors} if errors else None) from exc
    except TooManyBatches as exc:
        raise HTTPException(
            status_code=HTTP_429_TOO_MANY_REQUESTS,
            detail=_(
                "This site sent more than %(limit)s batches of events in a minute. "
                "Please wait %(seconds)s seconds and send again.",
                limit=BATCHES_PER_MINUTE,
                seconds=exc.retry_after,
            ),
            headers={"Retry-After": str(exc.retry_after)},
        ) from exc
    return Response(EventsStored(received=stored.received, stored=stored.stored, duplicates=stored.duplicates))


handlers: list[ControllerRouterHandler] = [create_report, health, receive_events]
