"""Who is asking: the one place a route learns the client's address (`portal run` leaves forwarded
headers to it, so PORTAL_TRUSTED_PROXIES alone decides whom to believe)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from portal.domain.identity import client_hash
from portal.domain.network import client_address as resolve_client_address


def client_address(request: Request[Any, Any, Any]) -> str:
    """The client's address: the peer's, or the one a trusted proxy forwarded."""
    settings = request.app.state.settings
    forwarded = ",".join(request.headers.getall("x-forwarded-for", []))
    peer = request.client.host if request.client else None
    return resolve_client_address(peer, forwarded or None, settings.trusted_proxies or ())


def client_key(request: Request[Any, Any, Any]) -> str:
    """A keyed hash of the client's address, to count guesses and floods by."""
    return client_hash(request.app.state.settings.secret_key, client_address(request))
