"""The recovery clocks: a first follow-up within minutes, the customer's problem fixed within a day.

Defaults come from the service-recovery literature: follow up within 20 minutes (fixed, or an
update explaining progress) and recover within 24 hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol, TypeVar

from portal.i18n import N_
from portal.i18n import gettext as _

FIRST_RESPONSE_MINUTES = 20
RECOVERY_HOURS = 24
WARN_BEFORE = {"first_response": timedelta(minutes=5), "recovery": timedelta(hours=1)}
CLOCK_LABELS = {"first_response": N_("first follow-up"), "recovery": N_("recovery")}


@dataclass(frozen=True)
class Clock:
    """The clock that matters now for a report."""

    kind: str  # first_response or recovery
    due_at: datetime
    remaining: timedelta

    @property
    def breached(self) -> bool:
        return self.remaining < timedelta(0)

    @property
    def label(self) -> str:
        """'12 min left for first follow-up', 'recovery overdue by 2 h 5 min'; under a minute in words,
        never '0 min'."""
        name = _(CLOCK_LABELS[self.kind])
        if abs(self.remaining) < timedelta(minutes=1):
            if self.breached:
                return _("%(clock)s overdue just now", clock=name)
            return _("less than a minute left for %(clock)s", clock=name)
        span = _span(abs(self.remaining))
        if self.breached:
            return _("%(clock)s overdue by %(span)s", clock=name, span=span)
        return _("%(span)s left for %(clock)s", span=span, clock=name)


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)
    return _("%(minutes)s min", minutes=minutes)


class AlertCandidate(Protocol):
    """What choosing alert recipients needs to know of a staff member."""

    @property
    def role(self) -> str: ...

    @property
    def on_duty(self) -> bool: ...


Candidate = TypeVar("Candidate", bound=AlertCandidate)

# Why these people get a site's clock alerts now, in the order they are tried.
ALERT_REASONS = {
    "on_duty": N_("on duty"),
    "leads": N_("no one on duty: the site's leads"),
    "admins": N_("no one on duty and no lead: the admins"),
    "everyone": N_("no one on duty, no lead, no admin: everyone at the site"),
}


def alert_recipients(staff: Sequence[Candidate]) -> tuple[str | None, list[Candidate]]:
    """Who gets a site's clock alerts, and why (a key of ALERT_REASONS), from the active staff who work
    there: those on duty; when nobody is, the site's leads, then the admins, then everyone, so an alert
    is never mailed to nobody. (None, []) when the site has no staff at all."""
    for reason, wanted in (
        ("on_duty", lambda s: s.on_duty),
        ("leads", lambda s: s.role == "lead"),
        ("admins", lambda s: s.role == "admin"),
        ("everyone", lambda s: True),
    ):
        if chosen := [s for s in staff if wanted(s)]:
            return reason, chosen
    return None, []


def due_times(created_at: datetime, first_response_minutes: int, recovery_hours: int) -> tuple[datetime, datetime]:
    """When the first follow-up and the recovery are due for a report made at `created_at`."""
    return created_at + timedelta(minutes=first_response_minutes), created_at + timedelta(hours=recovery_hours)


def running_clock(
    *,
    first_response_due_at: datetime | None,
    recovery_due_at: datetime | None,
    first_response_at: datetime | None,
    recovered_at: datetime | None,
    now: datetime,
) -> Clock | None:
    """The first clock still running (None once the customer is recovered, or for reports from before clocks)."""
    if recovered_at is not None or first_response_due_at is None or recovery_due_at is None:
        return None
    if first_response_at is None:
        return Clock("first_response", first_response_due_at, first_response_due_at - now)
    return Clock("recovery", recovery_due_at, recovery_due_at - now)


@dataclass(frozen=True)
class ClockRecord:
    """What adherence needs from one report."""

    site_id: int
    created_at: datetime
    first_response_due_at: datetime
    recovery_due_at: datetime
    first_response_at: datetime | None
    recovered_at: datetime | None


@dataclass
class WeekAdherence:
    """How one site kept its clocks in one week (by the week the reports came in)."""

    site_id: int
    week: date  # the Monday
    reports: int = 0
    first_on_time: int = 0
    first_decided: int = 0
    recovered_on_time: int = 0
    recovery_decided: int = 0

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def first_response_rate(self) -> float | None:
        return self._share(self.first_on_time, self.first_decided)

    @property
    def recovery_rate(self) -> float | None:
        return self._share(self.recovered_on_time, self.recovery_decided)


def _outcome(done_at: datetime | None, due_at: datetime, now: datetime) -> bool | None:
    """On time (True), late or overdue (False), or not decided yet (None)."""
    if done_at is not None:
        return done_at <= due_at
    return False if now > due_at else None


def weekly_adherence(records: Iterable[ClockRecord], now: datetime) -> list[WeekAdherence]:
    """Per site and week: how many clocks were kept, among those already decided."""
    weeks: dict[tuple[int, date], WeekAdherence] = {}
    for r in records:
        monday = (r.created_at - timedelta(days=r.created_at.weekday())).date()
        row = weeks.setdefault((r.site_id, monday), WeekAdherence(r.site_id, monday))
        row.reports += 1
        first = _outcome(r.first_response_at or r.recovered_at, r.first_response_due_at, now)
        recovery = _outcome(r.recovered_at, r.recovery_due_at, now)
        if first is not None:
            row.first_decided += 1
            row.first_on_time += first
        if recovery is not None:
            row.recovery_decided += 1
            row.recovered_on_time += recovery
    return sorted(weeks.values(), key=lambda w: (w.site_id, w.week), reverse=True)
