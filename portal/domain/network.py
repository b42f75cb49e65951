"""Which address a request comes from: forwarded headers are believed only from proxies we were told to trust."""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

Network = IPv4Network | IPv6Network


def parse_proxies(text: str) -> tuple[str, ...]:
    """`"10.0.0.1, 10.1.0.0/16"` -> `("10.0.0.1/32", "10.1.0.0/16")`; raises ValueError on anything else."""
    return tuple(str(ip_network(part.strip(), strict=False)) for part in text.split(",") if part.strip())


@lru_cache(maxsize=16)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ip_network(n, strict=False) for n in trusted)


def _address(text: str) -> IPv4Address | IPv6Address | None:
    try:
        address = ip_address(text.strip().removeprefix("[").removesuffix("]"))
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
    return (address.ipv4_mapped or address) if isinstance(address, IPv6Address) else address


def is_trusted(address: str, trusted: tuple[str, ...]) -> bool:
    """True when `address` is one of the trusted proxies."""
    parsed = _address(address)
    return parsed is not None and any(parsed in network for network in _networks(trusted))


def client_address(peer: str | None, forwarded_for: str | None, trusted: tuple[str, ...]) -> str:
    """The address to count a client by.

    The peer, unless it is a trusted proxy: then X-Forwarded-For is read from the right (each proxy
    appends the address it saw) past every trusted proxy, to the first address that is not one;
    anything further left was written by the client and proves nothing.
    """
    address = peer or "unknown"
    if not forwarded_for or not is_trusted(address, trusted):
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        address = hop
        if not is_trusted(hop, trusted):
            break
    return address[:100]
