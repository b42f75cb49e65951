"""What a report must look like before it is stored, and the context derived from it.

One validator serves the JSON API and the panel form, so both refuse the same things with the
same words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from portal.domain.gestures import Tier
from portal.i18n import N_
from portal.i18n import gettext as _

MAX_DESCRIPTION = 2000
MAX_SUGGESTION = 1000
HONEYPOT_FIELD = "website"

EMAIL_RE = re.compile(
    r"^[^@\s<>()\[\],;:\"\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
VIEWPORT_RE = re.compile(r"^\d{1,5}x\d{1,5}$")
HEX_SIG_RE = re.compile(r"^[0-9a-fA-F]{64}$")
CUSTOMER_TIERS = tuple(t.label for t in Tier)  # the host's words for a tier, covered by the signature
# C0/C1 controls; tabs and newlines are allowed in free text only.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
LINE_BREAK_RE = re.compile(r"[\r\n\u2028\u2029]")


@dataclass(frozen=True)
class ReportDraft:
    """A validated report, ready for the intake service."""

    category: str
    description: str
    suggestion: str | None = None
    email: str | None = None
    name: str | None = None
    customer_id: str | None = None
    customer_sig: str | None = None
    customer_tier: str | None = None
    page_url: str | None = None
    referrer: str | None = None
    viewport: str | None = None
    busy: int | None = None
    location: str | None = None
    tz_offset_min: int | None = None


class Invalid(Exception):
    """A report that cannot be accepted, with a message per field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def is_honeypot_filled(raw: Mapping[str, Any]) -> bool:
    """Bots fill every field, including the one people never see."""
    return bool(str(raw.get(HONEYPOT_FIELD) or "").strip())


def _text(raw: Mapping[str, Any], field: str) -> str:
    value = raw.get(field)
    if value is None:
        return ""
    return str(value).strip()


def _line(raw: Mapping[str, Any], field: str, limit: int, errors: dict[str, str], label: str) -> str | None:
    """A single-line value: no line breaks or control characters (they end up in mail headers)."""
    value = _text(raw, field)
    if not value:
        return None
    if LINE_BREAK_RE.search(value) or CONTROL_RE.search(value):
        errors[field] = _("%(field)s must be on one line, without control characters.", field=_(label))
    elif len(value) > limit:
        errors[field] = _("%(field)s can be at most %(limit)s characters.", field=_(label), limit=limit)
    return value


def _int(raw: Mapping[str, Any], field: str, low: int, high: int, errors: dict[str, str], label: str) -> int | None:
    value = raw.get(field)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors[field] = _("%(field)s must be a whole number.", field=_(label))
        return None
    try:
        number = int(value) if not isinstance(value, float) or value.is_integer() else None
    except (TypeError, ValueError):
        number = None
    if number is None:
        errors[field] = _("%(field)s must be a whole number.", field=_(label))
    elif not low <= number <= high:
        errors[field] = _("%(field)s must be between %(low)s and %(high)s.", field=_(label), low=low, high=high)
    return number


def _url(raw: Mapping[str, Any], field: str, errors: dict[str, str], label: str) -> str | None:
    value = _line(raw, field, 2000, errors, label)
    if value and field not in errors:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            errors[field] = _("%(field)s must be an http or https address.", field=_(label))
    return value


def validate_report(raw: Mapping[str, Any], category_slugs: list[str]) -> ReportDraft:
    """Check a submitted report against the site's categories; raise `Invalid` naming each bad field."""
    errors: dict[str, str] = {}
    category = _text(raw, "category")
    description = _text(raw, "description")
    if CONTROL_RE.search(description):
        errors["description"] = _("The description contains characters we can't store.")
    if not description and not category:
        errors["description"] = _("Tell us in a few words what went wrong, or pick what it was about.")
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = _(
            "The description can be at most %(limit)s characters (it has %(length)s).",
            limit=MAX_DESCRIPTION,
            length=len(description),
        )
    if category and category not in category_slugs:
        errors["category"] = _("Pick one of the listed topics.")
    suggestion = _text(raw, "suggestion") or None
    if suggestion and len(suggestion) > MAX_SUGGESTION:
        errors["suggestion"] = _("The suggestion can be at most %(limit)s characters.", limit=MAX_SUGGESTION)
    elif suggestion and CONTROL_RE.search(suggestion):
        errors["suggestion"] = _("The suggestion contains characters we can't store.")

    email = _line(raw, "email", 320, errors, N_("Email"))
    if email and "email" not in errors and not EMAIL_RE.match(email):
        errors["email"] = _("That doesn't look like an email address (name@example.com).")
    name = _line(raw, "name", 120, errors, N_("Name"))
    customer_id = _line(raw, "customer_id", 200, errors, N_("Customer id"))
    customer_sig = _line(raw, "customer_sig", 64, errors, N_("Customer signature"))
    if customer_sig and "customer_sig" not in errors and not HEX_SIG_RE.match(customer_sig):
        errors["customer_sig"] = _("The customer signature must be 64 hex characters.")
    customer_tier = _line(raw, "customer_tier", 20, errors, N_("Customer tier"))
    if customer_tier and "customer_tier" not in errors and customer_tier not in CUSTOMER_TIERS:
        errors["customer_tier"] = _("The customer tier must be standard, elevated or premium.")
    page_url = _url(raw, "page_url", errors, N_("Page address"))
    referrer = _url(raw, "referrer", errors, N_("Referrer"))
    viewport = _line(raw, "viewport", 20, errors, N_("Viewport"))
    if viewport and "viewport" not in errors and not VIEWPORT_RE.match(viewport):
        errors["viewport"] = _("Viewport must look like 1280x720.")
    location = _line(raw, "location", 200, errors, N_("Location"))
    busy = _int(raw, "busy", 0, 100, errors, N_("Busy level"))
    tz_offset_min = _int(raw, "tz_offset_min", -14 * 60, 14 * 60, errors, N_("Timezone offset"))

    if errors:
        raise Invalid(errors)
    return ReportDraft(
        category=category or ("other" if "other" in category_slugs or not category_slugs else category_slugs[0]),
        description=description,
        suggestion=suggestion,
        email=email.lower() if email else None,
        name=name,
        customer_id=customer_id,
        customer_sig=customer_sig,
        customer_tier=customer_tier,
        page_url=page_url,
        referrer=referrer,
        viewport=viewport,
        busy=busy,
        location=location,
        tz_offset_min=tz_offset_min,
    )


@dataclass(frozen=True)
class LocalTime:
    """The customer's wall-clock time when they reported."""

    at: datetime
    weekday: int  # Monday is 0
    hour: int


def customer_local_time(now_utc: datetime, tz_offset_min: int | None) -> LocalTime | None:
    """The customer's local time from their offset east of UTC in minutes (None when unknown)."""
    if tz_offset_min is None:
        return None
    local = (now_utc + timedelta(minutes=tz_offset_min)).replace(tzinfo=None)
    return LocalTime(at=local, weekday=local.weekday(), hour=local.hour)


# Captured by the loader and carried through the panel form as hidden fields.
CONTEXT_FIELDS = (
    "embed",
    "page_url",
    "referrer",
    "viewport",
    "tz_offset_min",
    "lang",
    "busy",
    "location",
    "customer_id",
    "customer_sig",
    "customer_tier",
)


def sanitize_context(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Keep only the context fields that would pass validation, so a host's bad data never blocks a customer."""
    values = {k: raw[k] for k in (*CONTEXT_FIELDS, "name", "email") if raw.get(k) not in (None, "")}
    try:
        validate_report({**values, "description": "-"}, [])
    except Invalid as exc:
        values = {k: v for k, v in values.items() if k not in exc.errors}
    values["embed"] = "1" if raw.get("embed") else ""
    return values
