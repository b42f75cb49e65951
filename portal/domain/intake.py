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

from portal.domain.gestures import Tier
from portal.i18n import N_
from portal.i18n import gettext as _

MAX_DESCRIPTION = 2000
MAX_SUGGESTION = 1000
HONEYPOT_FIELD = "website"

# The rules below are written as patterns once, so the validator and the API's OpenAPI schema say the
# same thing (the schemathesis test holds them to it). Values are checked as sent, and their
# surrounding whitespace is then dropped; an empty or blank value is the same as none.
CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0/C1 controls; tabs and newlines are allowed in free text only
# What str.strip() removes (Python's \s), spelled out: the schema's readers may mean less by \s.
SPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
LINE_BREAKS = r"\n\r\u2028\u2029"
CONTROL_RE = re.compile(f"[{CONTROLS}]")
LINE_BREAK_RE = re.compile(f"[{LINE_BREAKS}]")
ONE_LINE = f"[^{CONTROLS}{LINE_BREAKS}]*"
EMAIL_DOMAIN = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
EMAIL_LOCAL_ASCII = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+"  # what any SMTP server delivers to
EMAIL_RE = re.compile(rf"^[^@\s<>()\[\],;:\"\\{CONTROLS}]+@{EMAIL_DOMAIN}$")
EMAIL_ASCII = f"{EMAIL_LOCAL_ASCII}@{EMAIL_DOMAIN}"
# http(s) with a plain host (no IPv6 brackets, nothing a URL parser would refuse), then any non-space text.
URL = rf"[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9._~%!$&'()*+,;=:@-]+(?:[/?#][^{SPACE}{CONTROLS}]*)?"
VIEWPORT = "[0-9]{1,5}x[0-9]{1,5}"
HEX_SIG = "[0-9a-fA-F]{64}"
CUSTOMER_TIERS = tuple(t.label for t in Tier)  # the host's words for a tier, covered by the signature
URL_RE, VIEWPORT_RE, HEX_SIG_RE = (re.compile(pattern) for pattern in (URL, VIEWPORT, HEX_SIG))


def optional_line(core: str) -> str:
    """The whole-value pattern of a one-line field whose trimmed text, when there is any, matches `core`."""
    return f"^[{SPACE}]*(?:{core})?[{SPACE}]*$"


FREE_TEXT = f"^[{SPACE}]*[^{CONTROLS}]*[{SPACE}]*$"
NOT_BLANK = f"^[{SPACE}]*[^{SPACE}{CONTROLS}][^{CONTROLS}]*[{SPACE}]*$"  # free text with something in it
NOT_EMPTY = f"[^{SPACE}]"  # anything but whitespace
LIMITS = {
    "description": MAX_DESCRIPTION,
    "suggestion": MAX_SUGGESTION,
    "email": 320,
    "name": 120,
    "customer_id": 200,
    "customer_sig": 64,
    "customer_tier": 20,
    "page_url": 2000,
    "referrer": 2000,
    "viewport": 20,
    "location": 200,
}
# Each text field's pattern, as the OpenAPI schema publishes it (email: as SMTP without SMTPUTF8 takes it).
PATTERNS = {
    "description": FREE_TEXT,
    "suggestion": FREE_TEXT,
    "email": optional_line(EMAIL_ASCII),
    "name": optional_line(ONE_LINE),
    "customer_id": optional_line(ONE_LINE),
    "customer_sig": optional_line(HEX_SIG),
    "customer_tier": optional_line("|".join(CUSTOMER_TIERS)),
    "page_url": optional_line(URL),
    "referrer": optional_line(URL),
    "viewport": optional_line(VIEWPORT),
    "location": optional_line(ONE_LINE),
}
RANGES = {"busy": (0, 100), "tz_offset_min": (-14 * 60, 14 * 60)}
NON_ASCII_MAILBOX = N_(
    "Our mail server can't deliver to an address with letters like “ë” or “ñ” before the @. Please use another address."
)


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


def _sent(raw: Mapping[str, Any], field: str) -> str:
    value = raw.get(field)
    return "" if value is None else str(value)


def _text(raw: Mapping[str, Any], field: str) -> str:
    return _sent(raw, field).strip()


def _too_long(raw: Mapping[str, Any], field: str) -> bool:
    """Limits count what was sent, surrounding whitespace included (as the schema's maxLength does)."""
    return len(_sent(raw, field)) > LIMITS[field]


def _line(
    raw: Mapping[str, Any],
    field: str,
    errors: dict[str, str],
    label: str,
    shape: re.Pattern[str] | None = None,
    wrong_shape: str = "",
) -> str | None:
    """A single-line value: no line breaks or control characters (they end up in mail headers)."""
    value = _text(raw, field)
    if _too_long(raw, field):
        errors[field] = _("%(field)s can be at most %(limit)s characters.", field=_(label), limit=LIMITS[field])
    elif not value:
        return None
    elif LINE_BREAK_RE.search(value) or CONTROL_RE.search(value):
        errors[field] = _("%(field)s must be on one line, without control characters.", field=_(label))
    elif shape and not shape.fullmatch(value):
        errors[field] = _(wrong_shape, field=_(label))
    return value


def _int(raw: Mapping[str, Any], field: str, errors: dict[str, str], label: str) -> int | None:
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
    low, high = RANGES[field]
    if number is None:
        errors[field] = _("%(field)s must be a whole number.", field=_(label))
    elif not low <= number <= high:
        errors[field] = _("%(field)s must be between %(low)s and %(high)s.", field=_(label), low=low, high=high)
    return number


def undeliverable(email: str, *, smtp_utf8: bool) -> str | None:
    """Why mail to this well-formed address could never leave our SMTP server, or None: a mailbox name
    with non-ASCII letters needs a server that offers SMTPUTF8."""
    if not smtp_utf8 and not email.rpartition("@")[0].isascii():
        return _(NON_ASCII_MAILBOX)
    return None


def validate_report(raw: Mapping[str, Any], category_slugs: list[str], *, smtp_utf8: bool = False) -> ReportDraft:
    """Check a submitted report against the site's categories; raise `Invalid` naming each bad field.

    `smtp_utf8`: whether the configured SMTP server takes addresses with non-ASCII mailbox names.
    """
    errors: dict[str, str] = {}
    category = _text(raw, "category")
    description = _text(raw, "description")
    if CONTROL_RE.search(description):
        errors["description"] = _("The description contains characters we can't store.")
    if not description and not category:
        errors["description"] = _("Tell us in a few words what went wrong, or pick what it was about.")
    elif _too_long(raw, "description"):
        errors["description"] = _(
            "The description can be at most %(limit)s characters (it has %(length)s).",
            limit=MAX_DESCRIPTION,
            length=len(_sent(raw, "description")),
        )
    if category and category not in category_slugs:
        errors["category"] = _("Pick one of the listed topics.")
    suggestion = _text(raw, "suggestion") or None
    if _too_long(raw, "suggestion"):
        errors["suggestion"] = _("The suggestion can be at most %(limit)s characters.", limit=MAX_SUGGESTION)
    elif suggestion and CONTROL_RE.search(suggestion):
        errors["suggestion"] = _("The suggestion contains characters we can't store.")

    email = _line(
        raw, "email", errors, N_("Email"), EMAIL_RE, N_("That doesn't look like an email address (name@example.com).")
    )
    if email and "email" not in errors and (problem := undeliverable(email, smtp_utf8=smtp_utf8)):
        errors["email"] = problem
    name = _line(raw, "name", errors, N_("Name"))
    customer_id = _line(raw, "customer_id", errors, N_("Customer id"))
    customer_sig = _line(
        raw,
        "customer_sig",
        errors,
        N_("Customer signature"),
        HEX_SIG_RE,
        N_("The customer signature must be 64 hex characters."),
    )
    customer_tier = _line(raw, "customer_tier", errors, N_("Customer tier"))
    if customer_tier and "customer_tier" not in errors and customer_tier not in CUSTOMER_TIERS:
        errors["customer_tier"] = _("The customer tier must be standard, elevated or premium.")
    not_http = N_("%(field)s must be an http or https address.")
    page_url = _line(raw, "page_url", errors, N_("Page address"), URL_RE, not_http)
    referrer = _line(raw, "referrer", errors, N_("Referrer"), URL_RE, not_http)
    viewport = _line(raw, "viewport", errors, N_("Viewport"), VIEWPORT_RE, N_("Viewport must look like 1280x720."))
    location = _line(raw, "location", errors, N_("Location"))
    busy = _int(raw, "busy", errors, N_("Busy level"))
    tz_offset_min = _int(raw, "tz_offset_min", errors, N_("Timezone offset"))

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
