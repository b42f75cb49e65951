"""/staff/sites/{id}/integrations: a site's signed webhooks and Slack, Teams and Mattermost channels, for admins."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.webhooks import EVENTS, KINDS, OFFERED
from portal.i18n import gettext as _
from portal.models import Site, Staff, WebhookEndpoint, utcnow
from portal.routes.admin import AdminController, site_or_404
from portal.routes.errors import found
from portal.routes.security import page_headers
from portal.services import webhook_endpoints, webhooks
from portal.services.webhook_endpoints import EndpointInvalid, NewEndpoint


def allow_loopback(request: Request[Any, Any, Any]) -> bool:
    """Development may post to this machine (a local receiver); nowhere else may."""
    return bool(request.app.state.settings.environment == "development")


class IntegrationController(AdminController):
    """Where a site's events go, what was delivered there, and a way to test and resend."""

    path = "/staff/sites/{site_id:int}/integrations"

    async def _page(
        self, db_session: AsyncSession, admin: Staff, site: Site, *, status_code: int = 200, **extra: Any
    ) -> Template:
        endpoints = await webhook_endpoints.site_endpoints(db_session, site.id)
        kind = extra.pop("kind", None) or "webhook"
        context = {
            "staff": admin,
            "site": site,
            "endpoints": endpoints,
            "log": await webhook_endpoints.recent_deliveries(db_session, endpoints),
            "kinds": KINDS,
            "kind": kind,
            "offered": OFFERED[kind],
            "event_names": EVENTS,
            "form": {"kind": kind, "url": "", "events": [], "description": ""},
            "errors": {},
            "done": None,
            **extra,
        }
        return Template(
            "pages/admin_integrations.html", context=context, status_code=status_code, headers=page_headers()
        )

    async def _endpoint(self, db_session: AsyncSession, site_id: int, endpoint_id: int) -> WebhookEndpoint:
        endpoint = await webhook_endpoints.site_endpoint(db_session, site_id, endpoint_id)
        return found(endpoint, _("No such endpoint."))

    @get("/")
    async def integrations(
        self, db_session: AsyncSession, admin: Staff, site_id: int, kind: str | None = None, done: str | None = None
    ) -> Template:
        """The site's endpoints with their delivery logs, and the form to add one (for `kind`)."""
        site = await site_or_404(db_session, site_id)
        return await self._page(db_session, admin, site, kind=kind if kind in KINDS else None, done=done)

    @get("/events")
    async def events(self, admin: Staff, kind: str = "webhook") -> Template:
        """htmx: the event checkboxes a kind of endpoint offers."""
        kind = kind if kind in KINDS else "webhook"
        context = {"kind": kind, "offered": OFFERED[kind], "event_names": EVENTS, "form": {"events": []}, "errors": {}}
        return Template("partials/integration_events.html", context=context, headers=page_headers())

    @post("/")
    async def add(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        admin: Staff,
        site_id: int,
        data: dict[str, Any] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Add an endpoint, or show the form again with what is wrong (an unsafe URL included)."""
        site = await site_or_404(db_session, site_id)
        events = data.get("events") or []
        wanted = NewEndpoint(
            kind=str(data.get("kind", "")),
            url=str(data.get("url", "")),
            events=[events] if isinstance(events, str) else [str(e) for e in events],
            description=str(data.get("description", "")),
        )
        try:
            endpoint = await webhook_endpoints.add_endpoint(
                db_session, site.id, wanted, allow_loopback=allow_loopback(request)
            )
        except EndpointInvalid as exc:
            kind = wanted.kind if wanted.kind in KINDS else None
            form = {"kind": wanted.kind, "url": wanted.url, "events": wanted.events, "description": wanted.description}
            return await self._page(db_session, admin, site, kind=kind, form=form, errors=exc.errors, status_code=400)
        return Redirect(f"/staff/sites/{site.id}/integrations?done=added#endpoint-{endpoint.id}", status_code=303)

    @post("/{endpoint_id:int}/test")
    async def send_test(self, db_session: AsyncSession, admin: Staff, site_id: int, endpoint_id: int) -> Redirect:
        """Queue a test event to this endpoint only."""
        endpoint = await self._endpoint(db_session, site_id, endpoint_id)
        await webhooks.send_test(db_session, endpoint, now=utcnow())
        return Redirect(f"/staff/sites/{site_id}/integrations?done=tested#endpoint-{endpoint_id}", status_code=303)

    @post("/{endpoint_id:int}/enable")
    async def enable(self, db_session: AsyncSession, admin: Staff, site_id: int, endpoint_id: int) -> Redirect:
        """Turn a disabled endpoint back on."""
        await webhook_endpoints.enable_endpoint(db_session, await self._endpoint(db_session, site_id, endpoint_id))
        return Redirect(f"/staff/sites/{site_id}/integrations?done=enabled#endpoint-{endpoint_id}", status_code=303)

    @post("/{endpoint_id:int}/delete")
    async def delete(self, db_session: AsyncSession, admin: Staff, site_id: int, endpoint_id: int) -> Redirect:
        """Remove an endpoint and its delivery log."""
        await webhook_endpoints.delete_endpoint(db_session, await self._endpoint(db_session, site_id, endpoint_id))
        return Redirect(f"/staff/sites/{site_id}/integrations?done=deleted", status_code=303)

    @post("/deliveries/{delivery_id:int}/resend")
    async def resend(self, db_session: AsyncSession, admin: Staff, site_id: int, delivery_id: int) -> Redirect:
        """Send a delivery again, with the same webhook-id so the receiver can tell it is the same event."""
        delivery = found(
            await webhook_endpoints.site_delivery(db_session, site_id, delivery_id), _("No such delivery.")
        )
        await webhooks.resend(db_session, delivery, now=utcnow())
        return Redirect(
            f"/staff/sites/{site_id}/integrations?done=resent#endpoint-{delivery.endpoint_id}", status_code=303
        )


handlers: list[ControllerRouterHandler] = [IntegrationController]
