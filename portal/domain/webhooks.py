"""Webhooks and chat alerts: which events exist, where they may go, what they say, when to try again.

An endpoint is a signed webhook (Standard Webhooks) or a Slack, Teams or Mattermost channel. Its
URL is checked when it is saved and again before every attempt, since the name can resolve elsewhere
by then: outside development only https to public addresses, so the portal cannot be pointed at its
own network (SSRF). Payloads carry a report's or a CA's public fields and portal links, never the
customer's email or the customer's private status link.
"""

from __future__ import annotations

import base64
import ipaddress
import secrets
import socket
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from portal.i18n import N_
from portal.i18n import gettext as _

KINDS = ("webhook", "slack", "teams", "mattermost")
CHAT_KINDS = KINDS[1:]

# Every event, with how staff see it (translated where shown).
EVENTS: dict[str, str] = {
    "report.created": N_("A report comes in"),
    "report.state_changed": N_("A report changes state"),
    "report.at_risk": N_("A customer is at risk"),
    "gesture.chosen": N_("A customer chooses a gesture"),
    "rating.submitted": N_("A customer rates the recovery"),
    "clock.breached": N_("A clock is breached"),
    "ca.state_changed": N_("A corrective action changes state"),
    "ca.closed": N_("A corrective action is closed"),
    "ca.reopened": N_("A corrective action is reopened"),
    "flood.refused": N_("A flood of reports is refused"),
    "clock.warning": N_("A clock is about to run out"),
    "rating.poor": N_("A customer says we did not make it right"),
}
# What a chat channel tells people: the moments someone should act now. Integrations get the full record.
CHAT_EVENTS = ("report.at_risk", "clock.warning", "clock.breached", "rating.poor", "ca.reopened", "flood.refused")
CHAT_ONLY = ("ca.reopened", "flood.refused", "clock.warning", "rating.poor")
OFFERED: dict[str, tuple[str, ...]] = {
    kind: CHAT_EVENTS if kind in CHAT_KINDS else tuple(e for e in EVENTS if e not in CHAT_ONLY) for kind in KINDS
}
TEST_EVENT = "test"  # what "send test event" sends; never subscribed to

# Waits after each failed attempt (the last repeats): over a day in all, so a receiver that is down
# for hours still gets every event, and an endpoint is disabled only after a day of failures.
BACKOFF = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
)
DISABLE_AFTER = timedelta(days=1)
EXCERPT = 500  # characters of the receiver's answer kept in the delivery log

Resolver = Callable[..., Sequence[tuple[Any, ...]]]


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form, `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_loopback: bool) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 reaches 127.0.0.1
    if mapped is not None:
        return _refused(mapped, allow_loopback)
    if address.is_loopback:
        return not allow_loopback
    return (
        address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global  # shared address space (100.64/10) and the like
    )


def check_url(url: str, *, allow_loopback: bool, resolve: Resolver = socket.getaddrinfo) -> str:
    """The URL, stripped, if events may be sent there; else ValueError saying why.

    Only https unless `allow_loopback` (development); every address the host resolves to must be public
    (loopback allowed in development). Resolves the name, so call it off the event loop.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError(_("This is not a valid URL.")) from None
    allowed = ("https", "http") if allow_loopback else ("https",)
    if parts.scheme not in allowed:
        raise ValueError(_("The URL must start with https://."))
    host = parts.hostname
    if not host:
        raise ValueError(_("The URL has no host name."))
    if parts.username or parts.password:
        raise ValueError(_("The URL must not contain a user name or password."))
    try:
        infos = resolve(host, port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise ValueError(_("%(host)s cannot be found.", host=host)) from None
    if not infos:
        raise ValueError(_("%(host)s cannot be found.", host=host))
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])  # an IPv6 scope (%eth0) is not part of it
        if _refused(address, allow_loopback):
            raise ValueError(
                _(
                    "%(host)s is a private or local address (%(address)s): events go only to public ones.",
                    host=host,
                    address=str(address),
                )
            )
    return url


def timestamp(at: datetime) -> str:
    """ISO 8601 in UTC with a Z, as Standard Webhooks payloads write times."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _time(at: datetime | None) -> str | None:
    return timestamp(at) if at else None


def event_payload(event_type: str, data: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The body of an event: `{type, timestamp, data}`."""
    return {"type": event_type, "timestamp": timestamp(at), "data": data}


class _Site(Protocol):
    """What a payload says about a site."""

    @property
    def id(self) -> int: ...

    @property
    def key(self) -> str: ...

    @property
    def name(self) -> str: ...


class _Report(Protocol):
    """What a payload says about a report (portal.models.Report)."""

    @property
    def id(self) -> int: ...

    @property
    def ref(self) -> str: ...

    @property
    def site(self) -> _Site: ...

    @property
    def state(self) -> str: ...

    @property
    def category(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def repeat_level(self) -> int: ...

    @property
    def customer_tier(self) -> int: ...

    @property
    def identity_verified(self) -> bool: ...

    @property
    def page_path(self) -> str | None: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def first_response_due_at(self) -> datetime | None: ...

    @property
    def recovery_due_at(self) -> datetime | None: ...

    @property
    def recovered_at(self) -> datetime | None: ...

    @property
    def ca_id(self) -> int | None: ...


class _CA(Protocol):
    """What a payload says about a corrective action (portal.models.CorrectiveAction)."""

    @property
    def id(self) -> int: ...

    @property
    def site(self) -> _Site: ...

    @property
    def state(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def category(self) -> str | None: ...

    @property
    def severity(self) -> str: ...

    @property
    def due_on(self) -> Any: ...

    @property
    def public(self) -> bool: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def closed_at(self) -> datetime | None: ...


def site_data(site: _Site, base_url: str) -> dict[str, Any]:
    """The site an event is about."""
    return {"key": site.key, "name": site.name, "url": f"{base_url}/staff?site={site.id}"}


def report_data(report: _Report, base_url: str, **extra: Any) -> dict[str, Any]:
    """A report's public fields and its portal link (nothing that reaches the customer), plus `extra`."""
    return {
        "ref": report.ref,
        "site": site_data(report.site, base_url),
        "state": report.state,
        "category": report.category,
        "description": report.description,
        "repeat_level": int(report.repeat_level),
        "customer_tier": int(report.customer_tier),
        "identity_verified": bool(report.identity_verified),
        "page": report.page_path,
        "created_at": _time(report.created_at),
        "first_response_due_at": _time(report.first_response_due_at),
        "recovery_due_at": _time(report.recovery_due_at),
        "recovered_at": _time(report.recovered_at),
        "ca_id": report.ca_id,
        "url": f"{base_url}/staff/reports/{report.id}",
        **extra,
    }


def ca_data(ca: _CA, base_url: str, **extra: Any) -> dict[str, Any]:
    """A corrective action's public fields and its portal link, plus `extra`."""
    return {
        "id": ca.id,
        "site": site_data(ca.site, base_url),
        "state": ca.state,
        "title": ca.title,
        "category": ca.category,
        "severity": ca.severity,
        "due_on": ca.due_on.isoformat() if ca.due_on else None,
        "public": bool(ca.public),
        "created_at": _time(ca.created_at),
        "closed_at": _time(ca.closed_at),
        "url": f"{base_url}/staff/cas/{ca.id}",
        **extra,
    }
