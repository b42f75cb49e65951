"""/api/v1/sites/{key}/webhooks: a site's webhook and chat endpoints through the staff API, for admins."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec
from litestar import Request, delete, get, post
from litestar.exceptions import ClientException, PermissionDeniedException
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import N_
from portal.i18n import gettext as _
from portal.models import Site, WebhookEndpoint
from portal.routes.api_auth import SECURITY, STAFF_API, ApiCaller, api_errors, require_scope
from portal.routes.errors import found
from portal.routes.integrations import allow_loopback
from portal.services import webhook_endpoints
from portal.services.webhook_endpoints import EndpointInvalid, NewEndpoint

SCOPE = "webhooks:manage"
OPTIONS: dict[str, Any] = {"dependencies": STAFF_API, "security": SECURITY, "tags": ["webhooks"]}
NO_SITE = N_("No site with this key among yours.")
NO_ENDPOINT = N_("No endpoint with this id at this site.")
ADMINS_ONLY = {403: "The token lacks webhooks:manage, or its owner is not an admin."}


class WebhookIn(msgspec.Struct):
    """An endpoint to add: a signed webhook (the default) or a Slack, Teams or Mattermost incoming-webhook URL."""

    url: str
    events: list[str]
    kind: Literal["webhook", "slack", "teams", "mattermost"] = "webhook"
    description: str = ""


class WebhookOut(msgspec.Struct):
    """An endpoint; `failing_since` is set while deliveries fail, `disabled_at` once a day of failures turned it off."""

    id: int
    kind: str
    url: str
    events: list[str]
    description: str
    enabled: bool
    failing_since: datetime | None
    disabled_at: datetime | None
    created_at: datetime


class WebhookCreated(WebhookOut):
    """The new endpoint, with its signing secret (`whsec_…`, signed webhooks only): shown this once."""

    secret: str | None = None


def _out(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "kind": endpoint.kind,
        "url": endpoint.url,
        "events": endpoint.events,
        "description": endpoint.description,
        "enabled": endpoint.enabled,
        "failing_since": endpoint.failing_since,
        "disabled_at": endpoint.disabled_at,
        "created_at": endpoint.created_at,
    }


def _admin_site(caller: ApiCaller, key: str) -> Site:
    """The caller's site with this key (a 404 for one they may not see), once they are known to be an admin."""
    require_scope(caller, SCOPE)
    site = found(next((s for s in caller.sites if s.key == key), None), _(NO_SITE))
    if caller.staff.role != "admin":
        raise PermissionDeniedException(detail=_("Only admins manage a site's webhooks."))
    return site


@get("/api/v1/sites/{key:str}/webhooks", responses=api_errors({**ADMINS_ONLY, 404: NO_SITE}), **OPTIONS)
async def list_webhooks(caller: ApiCaller, db_session: AsyncSession, key: str) -> list[WebhookOut]:
    """The site's endpoints, oldest first (secrets are never listed)."""
    site = _admin_site(caller, key)
    return [WebhookOut(**_out(e)) for e in await webhook_endpoints.site_endpoints(db_session, site.id)]


@post(
    "/api/v1/sites/{key:str}/webhooks",
    status_code=201,
    responses=api_errors(
        {
            **ADMINS_ONLY,
            400: "The endpoint cannot be added: `extra.fields` says why for each field (an unsafe URL, an event "
            "this kind does not offer, no events).",
            404: NO_SITE,
            415: "The body is not sent as application/json.",
        }
    ),
    opt={"json_body": True},
    **OPTIONS,
)
async def add_webhook(
    request: Request[Any, Any, Any], caller: ApiCaller, db_session: AsyncSession, key: str, data: WebhookIn
) -> WebhookCreated:
    """Add an endpoint; the answer carries a signed webhook's secret, which is never shown again."""
    site = _admin_site(caller, key)
    wanted = NewEndpoint(kind=data.kind, url=data.url, events=data.events, description=data.description)
    try:
        endpoint = await webhook_endpoints.add_endpoint(
            db_session, site.id, wanted, allow_loopback=allow_loopback(request)
        )
    except EndpointInvalid as exc:
        raise ClientException(detail=str(exc), extra={"fields": exc.errors}) from exc
    return WebhookCreated(**_out(endpoint), secret=endpoint.secret)


@delete(
    "/api/v1/sites/{key:str}/webhooks/{endpoint_id:int}",
    status_code=204,
    responses=api_errors({**ADMINS_ONLY, 404: f"{NO_SITE} / {NO_ENDPOINT}"}),
    **OPTIONS,
)
async def delete_webhook(caller: ApiCaller, db_session: AsyncSession, key: str, endpoint_id: int) -> None:
    """Remove an endpoint and its delivery log."""
    site = _admin_site(caller, key)
    endpoint = found(await webhook_endpoints.site_endpoint(db_session, site.id, endpoint_id), _(NO_ENDPOINT))
    await webhook_endpoints.delete_endpoint(db_session, endpoint)


handlers: list[ControllerRouterHandler] = [list_webhooks, add_webhook, delete_webhook]
