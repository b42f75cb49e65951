"""How the staff queue reads: one customer's pile of reports is one line of work, not five."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar


class Queued(Protocol):
    """What folding needs to know of a report."""

    @property
    def site_id(self) -> int: ...
    @property
    def customer_key(self) -> str | None: ...
    @property
    def recovered_at(self) -> datetime | None: ...


Q = TypeVar("Q", bound=Queued)


def _customer(report: Queued) -> Hashable | None:
    # Recovered reports stay apart from open ones: a bulk action on the open pile must not touch finished work.
    return (report.site_id, report.customer_key, report.recovered_at is None) if report.customer_key else None


def fold_by_customer(reports: Sequence[Q]) -> list[list[Q]]:
    """The reports in queue order, each customer's reports to a site folded into the group of their first one.

    A group keeps the place of its most urgent report, so the queue order (customers at risk first, then
    the nearest clock) holds between groups. Reports without a known customer are never folded.
    """
    groups: list[list[Q]] = []
    by_customer: dict[Hashable, list[Q]] = {}
    for report in reports:
        key = _customer(report)
        if key is not None and key in by_customer:
            by_customer[key].append(report)
            continue
        group = [report]
        groups.append(group)
        if key is not None:
            by_customer[key] = group
    return groups
