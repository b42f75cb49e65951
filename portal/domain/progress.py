"""What a customer is told happens next, given where their report stands."""

from __future__ import annotations

from dataclasses import dataclass

from portal.domain.workflow import STATES

CUSTOMER_STATE_LABELS = {
    "new": "Received",
    "acknowledged": "Seen by our team",
    "in_progress": "Being worked on",
    "fixed": "Fixed for you",
    "closed": "Done",
}


@dataclass(frozen=True)
class Step:
    """One step of the recovery, as the customer sees it."""

    title: str
    detail: str
    done: bool
    current: bool


_STEPS = (
    ("new", "We have your report", "It reached us, and the apology above went out straight away."),
    (
        "acknowledged",
        "A person looks at it",
        "Someone from our team follows up within 20 minutes during opening hours.",
    ),
    ("fixed", "We put it right for you", "We aim to have it sorted for you within 24 hours."),
    ("closed", "We stop it happening again", "We look for the cause and tell you what we changed."),
)


def progress_steps(state: str) -> list[Step]:
    """The four steps of recovery, marked done up to the report's current state."""
    reached = STATES.index(state) if state in STATES else 0
    done = [STATES.index(key) <= reached for key, _, _ in _STEPS]
    current = max(i for i, d in enumerate(done) if d)
    return [Step(title, detail, done[i], i == current) for i, (_, title, detail) in enumerate(_STEPS)]
