"""Loyalty for staff: do customers come back after a recovery, and does the repeat rule's churn risk hold."""

from __future__ import annotations

from typing import Annotated

from litestar import get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.params import Body
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.loyalty import GROUP_LABELS, WINDOWS
from portal.domain.repeat import RepeatLevel
from portal.i18n import gettext as _
from portal.models import Site, Staff
from portal.routes.security import page_headers
from portal.routes.staff_base import StaffPages, chosen_sites
from portal.services import loyalty


def _site(sites: list[Site], site: str | None) -> Site | None:
    """The one site the page shows: the one asked for (a 404 when not the viewer's), else their first."""
    return next(iter(chosen_sites(sites, site)), None)


class LoyaltyController(StaffPages):
    """/staff/loyalty: the worker's loyalty and churn figures for one of your sites."""

    path = "/staff/loyalty"

    @get("/")
    async def loyalty_page(
        self, read_session: AsyncSession, staff: Staff, sites: list[Site], site: str | None = None, window: int = 30
    ) -> Template:
        """Return and cancellation rates after recovery, by group, and churn by repeat level, as last computed."""
        shown = _site(sites, site)
        stored = await loyalty.rollups(read_session, shown.id) if shown else {}
        labels = {key: _(label) for key, label in GROUP_LABELS.items()}
        labels |= {str(level.value): f"{level.value} · {_(level.label)}" for level in RepeatLevel}
        context = {
            "staff": staff,
            "sites": sites,
            "shown": shown,
            "window": window if window in WINDOWS else WINDOWS[0],
            "windows": WINDOWS,
            "loyalty": stored.get("loyalty"),
            "churn": stored.get("churn"),
            "labels": labels,
        }
        return Template("pages/staff_loyalty.html", context=context, headers=page_headers())

    @post("/recompute")
    async def recompute(
        self,
        db_session: AsyncSession,
        staff: Staff,
        sites: list[Site],
        data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Redirect:
        """Compute a site's figures now rather than at the worker's next pass (admins)."""
        if staff.role != "admin":
            raise PermissionDeniedException(detail=_("Only admins recompute the loyalty figures."))
        shown = _site(sites, data.get("site", ""))
        if shown is not None:
            await loyalty.recompute(db_session, shown)
        return Redirect(f"/staff/loyalty?site={shown.id if shown else ''}", status_code=303)


handlers: list[ControllerRouterHandler] = [LoyaltyController]
