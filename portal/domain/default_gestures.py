"""Mend's default gesture catalog: what every new site offers until its admins change it.

Customers read these words, so they are in every language's catalog (see portal/catalogs.py).
"""

from __future__ import annotations

from portal.domain.gestures import GestureSpec, Tier
from portal.i18n import N_

# English originals, translated by the catalogs where shown until a site writes its own.
DEFAULT_CATALOG = [
    GestureSpec(
        N_("Priority help next time"),
        N_("Next time you contact us, you go straight to the front of the line."),
        Tier.STANDARD,
    ),
    GestureSpec(
        N_("A handwritten note"), N_("A short handwritten note from the person who fixes this."), Tier.STANDARD
    ),
    GestureSpec(
        N_("A personal check of your next order"),
        N_("Someone checks your next order by hand before it leaves us."),
        Tier.ELEVATED,
        ["delivery", "order", "billing"],
    ),
    GestureSpec(
        N_("Early access to something new"), N_("You get to try our next new thing before anyone else."), Tier.ELEVATED
    ),
    GestureSpec(
        N_("One-to-one time with an expert"),
        N_("Half an hour with one of our experts, on whatever you'd like help with."),
        Tier.PREMIUM,
    ),
]
