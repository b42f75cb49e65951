"""Clock labels under a minute, and who stands in for the alerts when nobody is on duty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from portal.domain.clocks import Clock, alert_recipients

DUE = datetime(2026, 11, 23, 9, 20, tzinfo=UTC)


def test_under_a_minute_is_said_in_words_never_zero_minutes():
    assert Clock("first_response", DUE, -timedelta(seconds=20)).label == "first follow-up overdue just now"
    assert Clock("recovery", DUE, timedelta(seconds=40)).label == "less than a minute left for recovery"
    assert Clock("first_response", DUE, -timedelta(seconds=61)).label == "first follow-up overdue by 1 min"
    assert Clock("recovery", DUE, timedelta(minutes=1)).label == "1 min left for recovery"


@dataclass
class Person:
    name: str
    role: str
    on_duty: bool = False


def test_alerts_go_to_those_on_duty_else_leads_else_admins_else_everyone():
    agent, lead, admin = Person("agent", "agent"), Person("lead", "lead"), Person("admin", "admin")
    assert alert_recipients([agent, lead, admin]) == ("leads", [lead])
    assert alert_recipients([agent, admin]) == ("admins", [admin])
    assert alert_recipients([agent]) == ("everyone", [agent])
    assert alert_recipients([]) == (None, [])
    working = Person("working", "agent", on_duty=True)
    assert alert_recipients([agent, lead, admin, working]) == ("on_duty", [working])
