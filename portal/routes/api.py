"""The JSON API and the health check."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.db import ping
from portal.domain.gestures import Tier
from portal.i18n import customer_language, set_locale
from portal.mail import Mail
from portal.routes.api_docs import ReportOperation
from portal.routes.clients import client_address
from portal.routes.errors import INTAKE_ERRORS, intake_error, refuse_nul
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
async def create_report(
    request: Request[Any, Any, Any], data: ReportIn, db_session: AsyncSession, mail: Mail
) -> Response[ReportCreated]:
    """Take a report; answers with the apology and the private status link."""
    refuse_nul(data.site_key)
    snapshot = await intake_site(db_session, request.app.state.sites, data.site_key)
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
            db_session,
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


handlers: list[ControllerRouterHandler] = [create_report, health]
