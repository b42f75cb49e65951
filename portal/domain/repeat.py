"""Repeat microfailures: small failures that pile up on the same customer.

Four small failures in a short time lose a customer, so each report is placed on a ladder by
how many the same customer reported to the same site within the site's window.
"""

from __future__ import annotations

from enum import IntEnum

from portal.i18n import N_


class RepeatLevel(IntEnum):
    """Where a report puts its customer (1 first, 2 watch, 3 at risk, 4 and more churn risk)."""

    FIRST = 1
    WATCH = 2
    AT_RISK = 3
    CHURN_RISK = 4

    @property
    def label(self) -> str:
        """How staff see the level (a message id: translated where it is shown)."""
        return REPEAT_LABELS[self]


REPEAT_LABELS = {
    RepeatLevel.FIRST: N_("first"),
    RepeatLevel.WATCH: N_("watch"),
    RepeatLevel.AT_RISK: N_("at risk"),
    RepeatLevel.CHURN_RISK: N_("churn risk"),
}


def repeat_level(earlier_in_window: int) -> RepeatLevel:
    """The level of a report, given how many earlier reports the customer made in the window."""
    return RepeatLevel(min(earlier_in_window + 1, RepeatLevel.CHURN_RISK))


def customer_key(verified_id: str | None, email: str | None) -> str | None:
    """Who the customer is for counting: the site-verified id, else their email, else nobody."""
    if verified_id:
        return f"id:{verified_id}"
    if email:
        return f"email:{email.lower()}"
    return None


def queue_priority(level: int) -> int:
    """Queue urgency from the repeat level: churn risk first, then at risk, then everyone else."""
    return max(min(level, RepeatLevel.CHURN_RISK) - RepeatLevel.WATCH, 0)
