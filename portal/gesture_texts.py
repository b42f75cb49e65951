"""What we say about a gesture once it is chosen or granted, in the current language.

Shared by the status page, the panel and the confirmation mail, which must say the same; the mail
renders these inside the customer's language, whoever's request created the grant.
"""

from __future__ import annotations

from portal.domain.gestures import FULFILMENT_HOURS
from portal.i18n import gettext as _
from portal.models import Gesture, GestureGrant
from portal.site_texts import text_of


def describe(grant: GestureGrant, gesture: Gesture | None = None) -> str:
    """One line for the timeline, readable by the customer and staff alike."""
    if grant.choice == "declined":
        return _("No gesture, thank you: just fix it.")
    if grant.choice == "wish":
        return _("What would make it right, in the customer's words: %(wish)s", wish=grant.wish)
    name = text_of(gesture, "name") if gesture else grant.gesture_name
    if grant.granted_by:
        line = _("%(staff)s granted “%(gesture)s”.", staff=grant.granted_by.name, gesture=name)
    else:
        line = _("Chose “%(gesture)s”.", gesture=name)
    return f"{line} {_('(code sent)')}" if grant.code else line


def confirmation(grant: GestureGrant, gesture: Gesture | None = None) -> list[str]:
    """What we tell the customer about their gesture, in paragraphs."""
    if grant.choice == "declined":
        return [
            _(
                "Understood: no gesture. We'll put our effort into fixing it, and into making sure it doesn't happen again."
            )
        ]
    hours = {"hours": FULFILMENT_HOURS}
    if grant.choice == "wish":
        return [
            _("Thank you for telling us what would make it right: “%(wish)s”", wish=grant.wish),
            _("A person on our team will read it and answer you within %(hours)s hours.", **hours),
        ]
    name = text_of(gesture, "name") if gesture else grant.gesture_name
    offer = (
        _("We would like to offer you: %(gesture)s.", gesture=name)
        if grant.granted_by_id
        else _("You chose: %(gesture)s.", gesture=name)
    )
    lines = [f"{offer} {text_of(gesture, 'description')}" if gesture else offer]
    if grant.code:
        lines.append(_("Your code: %(code)s (it works once, and it is yours).", code=grant.code))
    else:
        lines.append(_("A person on our team will see to it within %(hours)s hours.", **hours))
    return lines
