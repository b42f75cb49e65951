"""The privacy trail for admins: every export, erasure and retention pass at their sites, without the data erased."""

from __future__ import annotations

from litestar import get
from litestar.exceptions import PermissionDeniedException
from litestar.response import Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import N_
from portal.i18n import gettext as _
from portal.models import Site, Staff
from portal.routes.security import page_headers
from portal.routes.staff_base import StaffPages
from portal.services import privacy_staff

# How the trail's actions and non-staff actors read on the page.
ACTIONS = {"export": N_("export"), "erase": N_("erasure"), "retention": N_("retention")}
ACTORS = {"customer": N_("the customer"), "worker": N_("retention")}
# What each of the service's counts means, on the trail and on the erasure receipt.
COUNT_LABELS = {
    "reports": N_("reports anonymised"),
    "replies": N_("replies removed"),
    "comments": N_("rating comments"),
    "wishes": N_("gesture wishes"),
    "mail_cancelled": N_("mails cancelled"),
    "customer_note": N_("staff notes"),
    "customer_profile": N_("tier set by staff"),
    "customer_event": N_("shop events"),
    "me_too": N_("me-too subscriptions"),
    "unsubscribe": N_("unsubscribes"),
}
HASH_SHOWN = 12  # enough to tell customers apart on the page, too little to mean anything elsewhere


class PrivacyController(StaffPages):
    """/staff/privacy: the audit trail of exports and erasures, for admins."""

    path = "/staff/privacy"

    @get("/")
    async def trail(self, db_session: AsyncSession, staff: Staff, sites: list[Site]) -> Template:
        """Who exported or erased whose data, when and why, newest first."""
        if staff.role != "admin":
            raise PermissionDeniedException(detail=_("Only admins see the privacy trail."))
        context = {
            "staff": staff,
            "rows": await privacy_staff.audit_trail(db_session, [s.id for s in sites]),
            "sites_by_id": {s.id: s for s in sites},
            "actions": ACTIONS,
            "actors": ACTORS,
            "count_labels": COUNT_LABELS,
            "hash_shown": HASH_SHOWN,
        }
        return Template("pages/staff_privacy.html", context=context, headers=page_headers())


handlers: list[ControllerRouterHandler] = [PrivacyController]
