"""How a report moves from received to closed, and who may write what on its timeline."""

from __future__ import annotations

STATES = ("new", "acknowledged", "in_progress", "fixed", "closed")
STATE_LABELS = {
    "new": "New",
    "acknowledged": "Acknowledged",
    "in_progress": "In progress",
    "fixed": "Fixed for the customer",
    "closed": "Closed (recovery done)",
}
MAX_MESSAGE = 4000


class TransitionError(ValueError):
    """A state change the workflow does not allow."""


def next_states(state: str) -> tuple[str, ...]:
    """States a report may move to: any later one (steps can be skipped when the work is done)."""
    return STATES[STATES.index(state) + 1 :] if state in STATES else ()


def check_transition(current: str, target: str) -> None:
    """Raise TransitionError unless `current` may move to `target`."""
    if target not in next_states(current):
        raise TransitionError(
            f"A report that is {STATE_LABELS.get(current, current).lower()} cannot move to {STATE_LABELS.get(target, target).lower()}."
        )


def check_message(body: str) -> str:
    """A message to or from a customer: not empty, not endless."""
    text = body.strip()
    if not text:
        raise ValueError("Write a message first.")
    if len(text) > MAX_MESSAGE:
        raise ValueError(f"Messages can be at most {MAX_MESSAGE} characters.")
    return text
