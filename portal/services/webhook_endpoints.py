"""A site's webhook and chat endpoints as admins manage them: add, list with their recent deliveries, enable, delete."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.changes import site_changed
from portal.domain.webhooks import KINDS, OFFERED, check_url, new_secret
from portal.i18n import gettext as _
from portal.models import WebhookDelivery, WebhookEndpoint

MAX_DESCRIPTION = 200  # the column's length
LOG_LENGTH = 20  # deliveries shown per endpoint


class EndpointInvalid(ValueError):
    """An endpoint that cannot be added, with a message per field (kind, url, events, description)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class NewEndpoint:
    """What an admin asks for: a kind, where to post, which events, and a note for people."""

    kind: str
    url: str
    events: list[str]
    description: str = ""


async def site_endpoints(session: AsyncSession, site_id: int) -> list[WebhookEndpoint]:
    """The site's endpoints, oldest first."""
    query = select(WebhookEndpoint).where(WebhookEndpoint.site_id == site_id).order_by(WebhookEndpoint.id)
    return list((await session.scalars(query)).all())


async def site_endpoint(session: AsyncSession, site_id: int, endpoint_id: int) -> WebhookEndpoint | None:
    """One of the site's endpoints; None for an unknown id or another site's endpoint."""
    return await session.scalar(
        select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.site_id == site_id)
    )


async def site_delivery(session: AsyncSession, site_id: int, delivery_id: int) -> WebhookDelivery | None:
    """One delivery to one of the site's endpoints; None for another site's."""
    return await session.scalar(
        select(WebhookDelivery)
        .join(WebhookDelivery.endpoint)
        .where(WebhookDelivery.id == delivery_id, WebhookEndpoint.site_id == site_id)
    )


async def recent_deliveries(
    session: AsyncSession, endpoints: Iterable[WebhookEndpoint], limit: int = LOG_LENGTH
) -> dict[int, list[WebhookDelivery]]:
    """Each endpoint's latest deliveries, newest first (one indexed query per endpoint: a site has a handful)."""
    log: dict[int, list[WebhookDelivery]] = {}
    for endpoint in endpoints:
        query = (
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
        log[endpoint.id] = list((await session.scalars(query)).all())
    return log


async def _problems(wanted: NewEndpoint, *, allow_loopback: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    if wanted.kind not in KINDS:
        return {"kind": _("Pick a webhook, Slack, Microsoft Teams or Mattermost.")}
    offered = OFFERED[wanted.kind]
    if not wanted.events:
        errors["events"] = _("Pick at least one event.")
    elif unknown := [event for event in wanted.events if event not in offered]:
        errors["events"] = _("This kind of endpoint cannot get: %(events)s.", events=", ".join(unknown))
    if len(wanted.description) > MAX_DESCRIPTION:
        errors["description"] = _("Please keep it to %(limit)s characters.", limit=MAX_DESCRIPTION)
    try:
        # check_url resolves the host name: off the event loop.
        await asyncio.to_thread(check_url, wanted.url, allow_loopback=allow_loopback)
    except ValueError as exc:
        errors["url"] = str(exc)
    return errors


async def add_endpoint(
    session: AsyncSession, site_id: int, wanted: NewEndpoint, *, allow_loopback: bool
) -> WebhookEndpoint:
    """Add an endpoint to the site once its URL is safe to post to; webhooks get a fresh signing secret. Commits."""
    wanted = NewEndpoint(
        kind=wanted.kind.strip(),
        url=wanted.url.strip(),
        events=list(dict.fromkeys(wanted.events)),
        description=wanted.description.strip(),
    )
    errors = await _problems(wanted, allow_loopback=allow_loopback)
    if errors:
        raise EndpointInvalid(errors)
    endpoint = WebhookEndpoint(
        site_id=site_id,
        kind=wanted.kind,
        url=wanted.url,
        events=wanted.events,
        description=wanted.description,
        secret=new_secret() if wanted.kind == "webhook" else None,
    )
    session.add(endpoint)
    await site_changed(session, site_id)  # intake's cached site knows which events its endpoints want
    await session.commit()
    return endpoint


async def enable_endpoint(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    """Turn an endpoint that was disabled after a day of failures back on, with a clean failure record. Commits."""
    endpoint.enabled = True
    endpoint.disabled_at = None
    endpoint.failing_since = None
    await site_changed(session, endpoint.site_id)
    await session.commit()


async def delete_endpoint(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    """Remove the endpoint and its delivery log. Commits."""
    await session.delete(endpoint)
    await site_changed(session, endpoint.site_id)
    await session.commit()
