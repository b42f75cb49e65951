""" "Did we make it right?": the answer's rules, the reopen rule, the reminder's timing, who hears of a poor
answer, and the three site settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from portal.domain.ratings import (
    Answer,
    AnswerInvalid,
    is_final,
    is_poor,
    poor_rating_recipients,
    reminder_due_at,
    reopened_state,
    reopens,
    validate_answer,
)
from portal.domain.sites import SiteSettingsInvalid, validate_site_settings
from portal.domain.workflow import TransitionError
from tests.unit.test_site_settings import VALID

ANSWERED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_a_full_answer_is_kept_trimmed_and_an_empty_comment_is_none():
    assert validate_answer({"score": "4", "surprised": "little", "comment": "  Quick and kind.  "}) == Answer(
        4, "little", "Quick and kind."
    )
    assert validate_answer({"score": "1", "surprised": "", "comment": "   "}) == Answer(1, None, None)
    assert validate_answer({"score": "5"}) == Answer(5, None, None)


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({}, "score"),
        ({"score": "0"}, "score"),
        ({"score": "6"}, "score"),
        ({"score": "4.5"}, "score"),
        ({"score": "²"}, "score"),
        ({"score": "3", "surprised": "very"}, "surprised"),
        ({"score": "3", "comment": "x" * 2001}, "comment"),
        ({"score": "3", "comment": "bell\x07"}, "comment"),
    ],
)
def test_a_bad_answer_names_its_field(form, field):
    with pytest.raises(AnswerInvalid) as caught:
        validate_answer(form)
    assert caught.value.field == field


def test_a_comment_of_exactly_two_thousand_characters_is_fine():
    assert validate_answer({"score": "3", "comment": "x" * 2000}).comment == "x" * 2000


def test_the_answer_can_be_changed_for_seven_days_then_it_is_final():
    assert not is_final(ANSWERED, ANSWERED)
    assert not is_final(ANSWERED, ANSWERED + timedelta(days=7) - timedelta(seconds=1))
    assert is_final(ANSWERED, ANSWERED + timedelta(days=7))


def test_poor_is_up_to_the_sites_threshold():
    assert is_poor(2, 2)
    assert is_poor(1, 2)
    assert not is_poor(3, 2)
    assert is_poor(3, 3)


@pytest.mark.parametrize(
    ("previous", "score", "reopen"),
    [
        (None, 1, True),  # a poor first answer
        (None, 2, True),
        (None, 3, False),
        (4, 2, True),  # a change down into poor
        (3, 1, True),
        (2, 1, False),  # poor made poorer: already reopened once
        (1, 5, False),  # better is never a reopen
        (5, 4, False),
    ],
)
def test_a_poor_first_answer_or_a_change_down_into_poor_reopens(previous, score, reopen):
    assert reopens(previous, score, poor_rating_max=2) is reopen


def test_reopening_goes_back_to_in_progress_only_from_a_recovered_report():
    assert reopened_state("fixed") == "in_progress"
    assert reopened_state("closed") == "in_progress"
    for state in ("new", "acknowledged", "in_progress"):
        with pytest.raises(TransitionError):
            reopened_state(state)


def test_the_reminder_is_due_the_sites_days_after_the_ask_and_never_with_zero_days():
    assert reminder_due_at(ANSWERED, 3) == ANSWERED + timedelta(days=3)
    assert reminder_due_at(ANSWERED, 0) is None


@dataclass
class Person:
    name: str
    role: str
    on_duty: bool = False


def test_a_poor_answer_reaches_the_assignee_and_the_leads_else_whoever_gets_clock_alerts():
    agent, lead, admin = Person("agent", "agent"), Person("lead", "lead"), Person("admin", "admin")
    other = Person("other", "agent", on_duty=True)
    assert poor_rating_recipients(agent, [agent, lead, admin, other]) == [agent, lead]
    assert poor_rating_recipients(None, [agent, lead, admin]) == [lead]
    assert poor_rating_recipients(lead, [agent, lead]) == [lead]  # a lead assigned to it hears once
    assert poor_rating_recipients(agent, [agent, admin, other]) == [agent, other]  # no lead: those on duty
    assert poor_rating_recipients(agent, [agent, admin]) == [agent, admin]  # nobody on duty: the admins
    assert poor_rating_recipients(None, []) == []


def test_the_rating_settings_are_read_and_checked_within_their_ranges():
    settings = validate_site_settings(
        {**VALID, "rating_reminder_days": "0", "poor_rating_max": "4", "silent_after_days": "365"}
    )
    assert (settings.rating_reminder_days, settings.poor_rating_max, settings.silent_after_days) == (0, 4, 365)
    for field, value in [
        ("rating_reminder_days", "31"),
        ("rating_reminder_days", ""),
        ("poor_rating_max", "0"),
        ("poor_rating_max", "5"),
        ("silent_after_days", "6"),
        ("silent_after_days", "366"),
        ("silent_after_days", "sixty"),
    ]:
        with pytest.raises(SiteSettingsInvalid) as caught:
            validate_site_settings({**VALID, field: value})
        assert list(caught.value.errors) == [field]


def test_a_form_without_the_rating_settings_leaves_them_as_they_are():
    settings = validate_site_settings(VALID)
    assert (settings.rating_reminder_days, settings.poor_rating_max, settings.silent_after_days) == (None, None, None)
