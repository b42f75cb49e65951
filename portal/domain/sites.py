"""Site defaults and the rules about where a site's widget may be used."""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_CATEGORIES: list[dict[str, str]] = [
    {"slug": "delivery", "label": "Late or missing delivery"},
    {"slug": "website", "label": "Page slow or broken"},
    {"slug": "billing", "label": "Wrong charge"},
    {"slug": "order", "label": "Wrong or damaged item"},
    {"slug": "service", "label": "Help that didn't help"},
    {"slug": "other", "label": "Something else"},
]

DEFAULT_NO_BLAME_TEXT = (
    "No slip is too small to tell us about. Nobody gets into trouble because of what you write "
    "here: we use it to fix the cause, so it doesn't happen to you or anyone else again."
)


class OriginError(ValueError):
    """An origin that is not scheme://host[:port]."""


def normalize_origin(value: str) -> str:
    """`https://Shop.example:443/path` -> `https://shop.example`; rejects anything but http(s)."""
    if value.strip() == "*":
        return "*"
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OriginError(f"not an http(s) origin: {value!r}")
    default_port = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def origin_allowed(origin: str | None, allowed: list[str], own_origin: str) -> bool:
    """May a browser page at `origin` submit for this site? No Origin header means not a browser form."""
    if not origin:
        return True
    try:
        origin = normalize_origin(origin)
    except OriginError:
        return False
    return origin == normalize_origin(own_origin) or "*" in allowed or origin in allowed


def category_label(categories: list[dict[str, str]], slug: str) -> str:
    """The label shown for a category slug (the slug itself when the site no longer lists it)."""
    return next((c["label"] for c in categories if c["slug"] == slug), slug)
