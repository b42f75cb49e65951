"""What a customer is told happens next, given where their report stands."""

from __future__ import annotations

from dataclasses import dataclass

from portal.domain.workflow import STATES
from portal.i18n import N_

CUSTOMER_STATE_LABELS = {
    "new": N_("Received"),
    "acknowledged": N_("Seen by our team"),
    "in_progress": N_("Being worked on"),
    "fixed": N_("Fixed for you"),
    "closed": N_("Done"),
}


@dataclass(frozen=True)
class Step:
    """One step of the recovery, as the customer sees it."""

    title: str
    detail: str
    done: bool
    current: bool


_STEPS = (
    ("new", N_("We have your report"), N_("It reached us, and the apology above went out straight away.")),
    (
        "acknowledged",
        N_("A person looks at it"),
        N_("Someone from our team follows up within 20 minutes during opening hours."),
    ),
    ("fixed", N_("We put it right for you"), N_("We aim to have it sorted for you within 24 hours.")),
    ("closed", N_("We stop it happening again"), N_("We look for the cause and tell you what we changed.")),
)


def progress_steps(state: str) -> list[Step]:
    """The four steps of recovery, marked done up to the report's current state."""
    reached = STATES.index(state) if state in STATES else 0
    done = [STATES.index(key) <= reached for key, _, _ in _STEPS]
    current = max(i for i, d in enumerate(done) if d)
    return [Step(title, detail, done[i], i == current) for i, (_, title, detail) in enumerate(_STEPS)]
