"""Staff API tokens: how they look, what is stored of them, what they may do and until when."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from portal.i18n import N_
from portal.i18n import gettext as _

TOKEN_PREFIX = "mend_"
SHOWN_PREFIX = 12  # "mend_" and 7 random characters: enough to tell one's tokens apart, useless to guess with
SCOPES = {
    "reports:read": N_("Read reports and customer files"),
    "reports:write": N_("Change report states and send updates"),
    "cas:read": N_("Read corrective actions"),
    "cas:write": N_("Open, move and link corrective actions"),
    "webhooks:manage": N_("Manage the webhooks of your sites"),
}
MAX_NAME = 100
REQUESTS_PER_MINUTE = 600
LAST_USED_EVERY = timedelta(minutes=1)  # last use is written at most this often: one write a minute, not per request


class TokenRefused(ValueError):
    """A token that cannot be created as asked, with the reason."""


def new_token() -> str:
    """A fresh token: 256 random bits behind a prefix that secret scanners and people recognise."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored of a token (it is random, so a fast hash cannot be reversed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def shown_prefix(token: str) -> str:
    """The start of a token that lists show to recognise it."""
    return token[:SHOWN_PREFIX]


def valid_scopes(asked: Iterable[str]) -> list[str]:
    """The scopes asked for, in the canonical order; an unknown or empty set is refused."""
    wanted = set(asked)
    unknown = wanted - SCOPES.keys()
    if unknown:
        raise TokenRefused(_("Unknown scope: %(scopes)s.", scopes=", ".join(sorted(unknown))))
    if not wanted:
        raise TokenRefused(_("Pick at least one scope."))
    return [scope for scope in SCOPES if scope in wanted]


def expiry(day: date | None, today: date) -> datetime | None:
    """A token asked to expire on `day` stops working at the end of that day (UTC); the day must be after today."""
    if day is None:
        return None
    if day <= today:
        raise TokenRefused(_("The expiry date must be after today."))
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def is_live(*, revoked_at: datetime | None, expires_at: datetime | None, now: datetime) -> bool:
    """A token works until it is revoked or expires."""
    return revoked_at is None and (expires_at is None or now < expires_at)


def missing_scope(granted: Iterable[str], needed: str) -> bool:
    """True when a token lacks the scope an endpoint needs."""
    return needed not in set(granted)


def last_use_due(last_used_at: datetime | None, now: datetime) -> bool:
    """Whether this use should be written: the first, or the first a minute after the last one written."""
    return last_used_at is None or now - last_used_at >= LAST_USED_EVERY
