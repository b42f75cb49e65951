"""Customer activity the host sends: how a batch is signed, and what a valid batch looks like.

The host signs `<timestamp>.<raw body>` with the site's secret, so a captured request cannot be
replayed later, or with a fresh timestamp, or with another body. A batch is taken whole or not at
all: one bad event refuses it, naming the event and its field.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from portal.domain.intake import CONTROL_RE, LIMITS, LINE_BREAK_RE
from portal.domain.repeat import customer_key
from portal.i18n import format_number
from portal.i18n import gettext as _

EVENT_TYPES = ("order", "visit", "renewal", "cancellation")
MAX_EVENTS = 1000
MAX_BODY_BYTES = 1024 * 1024  # 1,000 events with ids of ordinary length take about 150 KB
MAX_EVENT_ID = 100  # customer_event.event_id
MAX_CUSTOMER_ID = LIMITS["customer_id"]  # as on reports, so every id a report carries can be sent here
CLOCK_SKEW = timedelta(minutes=5)  # how far a signature's timestamp, or an event, may be from our clock
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
SIGNATURE_VERSION = "v1"
SHOWN_ERRORS = 50  # a batch of 1,000 bad events is answered with the first ones, not a 1,000-line list


class Unauthenticated(Exception):
    """The request is not signed with the site's secret, or not signed just now."""


class BadBatch(Exception):
    """A batch refused whole: the first problem as a message, and each bad event (up to SHOWN_ERRORS)."""

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems)


@dataclass(frozen=True)
class Problem:
    """One bad event: where it is in the batch, its id when it has a usable one, the field and what is wrong."""

    index: int
    id: str | None
    field: str
    message: str


@dataclass(frozen=True)
class Event:
    """One valid event, ready to store."""

    event_id: str
    customer_key: str
    type: str
    at: datetime


def sign_events(secret: str, timestamp: int | str, body: bytes) -> str:
    """The `Mend-Signature` header value for this body sent at this timestamp (Unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def check_signature(
    secret: str | None, *, timestamp: str | None, signature: str | None, body: bytes, now: datetime
) -> None:
    """Raise Unauthenticated unless `signature` is the site's over this body and a timestamp within
    CLOCK_SKEW of `now`. `secret` is None for a site key no site has: refused with the same words, after
    the same work, as a wrong signature, so the answer does not tell which keys exist."""
    if not timestamp or not signature:
        raise Unauthenticated(
            _("Sign each request: send the Mend-Site, Mend-Timestamp and Mend-Signature headers (see the README).")
        )
    sent_at = timestamp.strip()
    if not (sent_at.isascii() and sent_at.isdigit() and len(sent_at) <= 12):
        raise Unauthenticated(_("Mend-Timestamp must be the time of sending in Unix seconds, e.g. 1767225600."))
    if abs(now.timestamp() - int(sent_at)) > CLOCK_SKEW.total_seconds():
        raise Unauthenticated(
            _(
                "Mend-Timestamp is more than %(minutes)s minutes away from our clock. Sign each request as you "
                "send it, and check that your server's clock is right.",
                minutes=int(CLOCK_SKEW.total_seconds() // 60),
            )
        )
    expected = sign_events(secret if secret is not None else secrets.token_hex(32), sent_at, body)
    # Compared as bytes: compare_digest refuses str with non-ASCII characters, and a forged signature may have some.
    matches = hmac.compare_digest(expected.encode(), signature.strip().lower().encode())
    if secret is None or not matches:
        raise Unauthenticated(
            _("The signature does not match: sign the timestamp, a dot and the exact body with the site's secret.")
        )


def parse_batch(body: bytes, now: datetime) -> list[Event]:
    """The events of a batch body, in order, or BadBatch naming every bad event (up to SHOWN_ERRORS)."""
    try:
        document = msgspec.json.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise BadBatch(_("The body is not valid JSON: %(error)s", error=str(exc))) from exc
    events = document.get("events") if isinstance(document, dict) else None
    if not isinstance(events, list):
        raise BadBatch(
            _('Send a JSON object with a list of events: {"events": [{"id", "customer_id", "type", "at"}]}.')
        )
    if len(events) > MAX_EVENTS:
        raise BadBatch(
            _(
                "A batch holds at most %(limit)s events; this one has %(count)s. Send them in smaller batches.",
                limit=format_number(MAX_EVENTS),
                count=format_number(len(events)),
            )
        )
    parsed: list[Event] = []
    problems: list[Problem] = []
    for index, raw in enumerate(events):
        try:
            event = _event(raw, now)
        except _Refused as refused:
            sent_id = raw.get("id") if isinstance(raw, dict) else None
            shown_id = sent_id.strip() if isinstance(sent_id, str) and len(sent_id) <= MAX_EVENT_ID else None
            problems.append(Problem(index, shown_id, refused.field, refused.message))
            continue
        parsed.append(event)
    if problems:
        first = problems[0]
        message = _(
            "Nothing was stored: events[%(index)s] (id %(id)s) has a bad %(field)s: it %(problem)s",
            index=first.index,
            id=repr(first.id) if first.id is not None else "?",
            field=first.field,
            problem=first.message,
        )
        if len(problems) > 1:
            message += " " + _("%(count)s events in all need fixing.", count=len(problems))
        raise BadBatch(message, problems[:SHOWN_ERRORS])
    return parsed


class _Refused(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _event(raw: Any, now: datetime) -> Event:
    """One event, or _Refused naming its first bad field."""
    if not isinstance(raw, dict):
        raise _Refused("event", _('is not an object like {"id", "customer_id", "type", "at"}.'))
    event_id = _identifier(raw.get("id"), "id", MAX_EVENT_ID)
    customer_id = _identifier(raw.get("customer_id"), "customer_id", MAX_CUSTOMER_ID)
    kind = raw.get("type")
    if kind not in EVENT_TYPES:
        raise _Refused("type", _("must be one of %(types)s.", types=", ".join(EVENT_TYPES)))
    key = customer_key(customer_id, None)
    assert key is not None  # a valid customer id is never empty
    return Event(event_id=event_id, customer_key=key, type=kind, at=_moment(raw.get("at"), now))


def _identifier(value: object, field: str, limit: int) -> str:
    """A one-line id, trimmed as report fields are."""
    if not isinstance(value, str):
        raise _Refused(field, _('must be a string (send a number as text, e.g. "42").'))
    if len(value) > limit:
        raise _Refused(field, _("can be at most %(limit)s characters.", limit=limit))
    text = value.strip()
    if not text:
        raise _Refused(field, _("must not be empty."))
    if LINE_BREAK_RE.search(text) or CONTROL_RE.search(text):
        raise _Refused(field, _("must be on one line, without control characters."))
    return text


def _moment(value: object, now: datetime) -> datetime:
    """An ISO 8601 time with its offset, in UTC."""
    try:
        moment = datetime.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise _Refused("at", _('must be an ISO 8601 time with its offset, e.g. "2026-01-31T14:05:00Z".'))
    if moment.utcoffset() is None:
        raise _Refused("at", _('needs a time zone offset, e.g. "Z" or "+02:00": without one the time is ambiguous.'))
    # Compared before converting: a time near year 1 or 9999 with an offset has no UTC datetime.
    if moment < EARLIEST:
        raise _Refused("at", _("is before 2000; send the time the customer acted."))
    if moment > now + CLOCK_SKEW:
        raise _Refused("at", _("is in the future; send the time the customer acted."))
    return moment.astimezone(UTC)
