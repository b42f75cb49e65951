"""How a report moves from received to closed, and who may write what on its timeline."""

from __future__ import annotations

from portal.i18n import N_
from portal.i18n import gettext as _

STATES = ("new", "acknowledged", "in_progress", "fixed", "closed")
STATE_LABELS = {
    "new": N_("New"),
    "acknowledged": N_("Acknowledged"),
    "in_progress": N_("In progress"),
    "fixed": N_("Fixed for the customer"),
    "closed": N_("Closed (recovery done)"),
}
# How a state reads on a badge in staff lists.
STATE_NAMES = {
    "new": N_("new"),
    "acknowledged": N_("acknowledged"),
    "in_progress": N_("in progress"),
    "fixed": N_("fixed"),
    "closed": N_("closed"),
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
            _(
                "A report that is “%(current)s” cannot move to “%(target)s”.",
                current=_(STATE_LABELS.get(current, current)),
                target=_(STATE_LABELS.get(target, target)),
            )
        )


def check_message(body: str) -> str:
    """A message to or from a customer: not empty, not endless."""
    text = body.strip()
    if not text:
        raise ValueError(_("Write a message first."))
    if len(text) > MAX_MESSAGE:
        raise ValueError(_("Messages can be at most %(limit)s characters.", limit=MAX_MESSAGE))
    return text
