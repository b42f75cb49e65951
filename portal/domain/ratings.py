""" "Did we make it right?": the customer's answer, how long it stays theirs to change, and what a poor one sets off.

Recovery is measured by whether customers felt it was made right (and whether we surprised them),
not by whether staff marked it fixed; a poor answer puts the report back in front of people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from portal.domain.clocks import Candidate, alert_recipients
from portal.domain.intake import CONTROL_RE
from portal.domain.workflow import TransitionError
from portal.i18n import gettext as _

SCORES = (1, 2, 3, 4, 5)  # 1: not at all ... 5: completely (the words are in templates/partials/rating_words.html)
SURPRISES = ("yes", "little", "no")
MAX_COMMENT = 2000
CHANGE_WINDOW = timedelta(days=7)  # from the first answer; after it the answer is final
GOOD_SCORE = 4  # 4 and 5 count as made right (the satisfaction share); with a comment, they are praise
RATABLE_STATES = ("fixed", "closed")
REOPENED_STATE = "in_progress"


@dataclass(frozen=True)
class Answer:
    """A customer's checked answer."""

    score: int
    surprised: str | None  # yes, little, no; None: they skipped the question
    comment: str | None


class AnswerInvalid(ValueError):
    """An answer with a mistake in one field, named so the form can point at it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def validate_answer(form: Mapping[str, object]) -> Answer:
    """Check the rating form: a score from 1 to 5, an optional surprise answer, an optional short comment."""
    score = str(form.get("score") or "").strip()
    if score not in {str(s) for s in SCORES}:
        raise AnswerInvalid("score", _("Pick how well we made it right, from 1 to 5."))
    surprised = str(form.get("surprised") or "").strip() or None
    if surprised is not None and surprised not in SURPRISES:
        raise AnswerInvalid("surprised", _("Pick yes, a little or no, or leave it empty."))
    comment = str(form.get("comment") or "").strip()
    if len(comment) > MAX_COMMENT or CONTROL_RE.search(comment):
        raise AnswerInvalid("comment", _("Please keep it to %(limit)s characters of plain text.", limit=MAX_COMMENT))
    return Answer(score=int(score), surprised=surprised, comment=comment or None)


def is_final(first_answered_at: datetime, now: datetime) -> bool:
    """The answer can no longer be changed: the change window since the first answer is over."""
    return now >= first_answered_at + CHANGE_WINDOW


def is_poor(score: int, poor_rating_max: int) -> bool:
    """A score that says we did not make it right, by the site's threshold."""
    return score <= poor_rating_max


def reopens(previous_score: int | None, score: int, poor_rating_max: int) -> bool:
    """A poor first answer, or a change down into poor, reopens the report; a poor answer made poorer does not
    reopen it again."""
    return is_poor(score, poor_rating_max) and (previous_score is None or not is_poor(previous_score, poor_rating_max))


def reopened_state(current: str) -> str:
    """Where a poor answer sends a recovered report: back to in progress. Staff can only move reports forward;
    this is the one way back, and only from a recovered state."""
    if current not in RATABLE_STATES:
        raise TransitionError(f"only a recovered report is reopened, not one that is {current!r}")
    return REOPENED_STATE


def reminder_due_at(asked_at: datetime, reminder_days: int) -> datetime | None:
    """When the one reminder goes to a customer who has not answered (None: the site sends none)."""
    return asked_at + timedelta(days=reminder_days) if reminder_days > 0 else None


def poor_rating_recipients(assignee: Candidate | None, staff: Sequence[Candidate]) -> list[Candidate]:
    """Who hears of a poor answer: the report's assignee and, from the site's active staff, its leads; with
    no lead, whoever would get the clock alerts (on duty, then admins, then everyone)."""
    chosen = [s for s in staff if s.role == "lead"] or alert_recipients(staff)[1]
    return ([assignee] if assignee is not None and assignee not in chosen else []) + chosen
