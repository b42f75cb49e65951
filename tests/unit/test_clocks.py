from datetime import UTC, datetime, timedelta

from portal.domain.clocks import ClockRecord, due_times, running_clock, weekly_adherence

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
FIRST, RECOVERY = due_times(T0, 20, 24)


def clock(now, first_response_at=None, recovered_at=None):
    return running_clock(
        first_response_due_at=FIRST,
        recovery_due_at=RECOVERY,
        first_response_at=first_response_at,
        recovered_at=recovered_at,
        now=now,
    )


def test_default_targets_are_twenty_minutes_and_a_day():
    assert (timedelta(minutes=20), timedelta(hours=24)) == (FIRST - T0, RECOVERY - T0)


def test_the_first_follow_up_clock_runs_first_then_recovery_then_none():
    first = clock(T0 + timedelta(minutes=8))
    assert (first.kind, first.label) == ("first_response", "12 min left for first follow-up")
    after_update = clock(T0 + timedelta(hours=2), first_response_at=T0 + timedelta(minutes=10))
    assert (after_update.kind, after_update.label) == ("recovery", "22 h 0 min left for recovery")
    assert clock(T0 + timedelta(hours=3), recovered_at=T0 + timedelta(hours=2)) is None


def test_an_overdue_clock_says_by_how_much():
    late = clock(T0 + timedelta(minutes=27))
    assert late.breached
    assert late.label == "first follow-up overdue by 7 min"


def test_reports_from_before_clocks_have_none():
    assert (
        running_clock(
            first_response_due_at=None, recovery_due_at=None, first_response_at=None, recovered_at=None, now=T0
        )
        is None
    )


def record(created, first_at=None, recovered_at=None, site_id=1):
    first_due, recovery_due = due_times(created, 20, 24)
    return ClockRecord(site_id, created, first_due, recovery_due, first_at, recovered_at)


def test_weekly_adherence_counts_only_decided_clocks():
    now = T0 + timedelta(days=2)
    rows = weekly_adherence(
        [
            record(T0, first_at=T0 + timedelta(minutes=5), recovered_at=T0 + timedelta(hours=3)),  # both on time
            record(T0, first_at=T0 + timedelta(minutes=45)),  # follow-up late; recovery overdue
            record(T0, recovered_at=T0 + timedelta(minutes=15)),  # fixed at once: both on time
            record(now - timedelta(minutes=5)),  # still running: not decided
        ],
        now,
    )
    [week] = rows
    assert week.week == T0.date()
    assert week.reports == 4
    assert (week.first_on_time, week.first_decided) == (2, 3)
    assert (week.recovered_on_time, week.recovery_decided) == (2, 3)
    assert round(week.first_response_rate, 2) == 0.67
