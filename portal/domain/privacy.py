"""What is removed when a customer's data ages out or is erased, and what stays for the counts.

Kept on purpose: category, state, the clocks, repeat level and tier, the local weekday and hour, the site's load,
the folded page path and `location` (a coarse place the host names in `data-location`, such as a store or a
checkout step: trends and hotspots group by it, and it says where the failure happened, not who the customer is).
"""

from __future__ import annotations

import hashlib
import hmac
from calendar import monthrange
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from portal.i18n import gettext as _
from portal.i18n import ngettext


class _Report(Protocol):
    @property
    def page_path(self) -> str | None: ...

    @property
    def suggestion(self) -> str | None: ...


def customer_hash(secret_key: str, site_id: int, key: str) -> str:
    """A keyed hash naming one customer of one site in the audit trail: stable, and useless to identify anyone."""
    return hmac.new(secret_key.encode(), f"{site_id}:{key}".encode(), hashlib.sha256).hexdigest()


def erasure_marker() -> str:
    """What replaces the customer's words after they asked to be forgotten (in the current language)."""
    return _("[removed at the customer's request]")


def retention_marker(months: int) -> str:
    """What replaces the customer's words once they are older than the site keeps them (in the current language)."""
    return ngettext("[removed after %(num)s month]", "[removed after %(num)s months]", months)


def retention_cutoff(now: datetime, months: int) -> datetime:
    """`now` moved back by whole calendar months (the 31st becomes the month's last day): older reports age out."""
    month_index = now.year * 12 + now.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(now.day, monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)


def anonymised_fields(report_like: _Report, marker: str, *, now: datetime) -> dict[str, Any]:
    """The new values of a report's personal columns; everything trends, results and CA verification read stays."""
    return {
        "customer_name": None,
        "customer_email": None,
        "customer_external_id": None,
        "customer_key": None,
        "description": marker,
        "suggestion": marker if report_like.suggestion else None,
        "apology_text": marker,  # it quotes the customer's words
        "page_url": report_like.page_path or None,  # the path pattern only: no ids, no query string
        "referrer": None,
        "user_agent": None,
        "client_hash": "",  # NOT NULL
        "anonymised_at": now,
    }


def scrub(text: str, values: Iterable[str | None], marker: str) -> str:
    """`text` with every occurrence of the given values (a name, an address) replaced by `marker`."""
    for value in sorted({v for v in values if v}, key=len, reverse=True):
        text = text.replace(value, marker)
    return text
