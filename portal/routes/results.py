"""Monthly results: a page per site and month for staff, and a read-only link admins can share and revoke."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import PermissionDeniedException
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import gettext as _
from portal.models import MonthlyResult, Site, Staff
from portal.routes.errors import found
from portal.routes.security import page_headers
from portal.routes.staff_base import StaffPages
from portal.services import monthly


class ResultsController(StaffPages):
    """/staff/results: each site's month, built on the first of the next month."""

    path = "/staff/results"

    async def _result_or_404(self, db_session: AsyncSession, sites: list[Site], result_id: int) -> MonthlyResult:
        return found(
            await monthly.result_for_staff(db_session, [s.id for s in sites], result_id), _("No such monthly results.")
        )

    def _page(self, staff: Staff, result: MonthlyResult, **extra: Any) -> Template:
        context = {"staff": staff, "result": result, "data": result.data, "share_url": None, **extra}
        return Template("pages/staff_result.html", context=context, headers=page_headers(private=True))

    @get("/")
    async def list_results(self, read_session: AsyncSession, staff: Staff, sites: list[Site]) -> Template:
        """Every month built for your sites."""
        results = await monthly.results_for_staff(read_session, [s.id for s in sites])
        return Template(
            "pages/staff_results.html", context={"staff": staff, "results": results}, headers=page_headers()
        )

    @get("/{result_id:int}")
    async def result_page(
        self, read_session: AsyncSession, staff: Staff, sites: list[Site], result_id: int
    ) -> Template:
        """One site's month."""
        return self._page(staff, await self._result_or_404(read_session, sites, result_id))

    @post("/{result_id:int}/share")
    async def share(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, staff: Staff, sites: list[Site], result_id: int
    ) -> Template:
        """A read-only link for the whole company (admins); shown once, replacing any earlier link."""
        if staff.role != "admin":
            raise PermissionDeniedException(detail=_("Only admins share results outside the staff pages."))
        result = await self._result_or_404(db_session, sites, result_id)
        token = await monthly.share(db_session, result)
        return self._page(staff, result, share_url=f"{request.app.state.settings.base_url}/r/{token}")

    @post("/{result_id:int}/revoke")
    async def revoke(self, db_session: AsyncSession, staff: Staff, sites: list[Site], result_id: int) -> Redirect:
        """Stop the shared link from working."""
        if staff.role != "admin":
            raise PermissionDeniedException(detail=_("Only admins revoke shared links."))
        await monthly.revoke(db_session, await self._result_or_404(db_session, sites, result_id))
        return Redirect(f"/staff/results/{result_id}", status_code=303)


@get("/r/{token:str}", include_in_schema=False)
async def shared_result(token: str, db_session: AsyncSession) -> Template:
    """The results as shared company-wide: read-only, until an admin revokes the link (checked on the
    primary, never a replica, so a revoked link stops working at once)."""
    result = found(
        await monthly.shared(db_session, token), _("This link doesn't work (any more). Ask an admin for a new one.")
    )
    return Template(
        "pages/shared_result.html", context={"result": result, "data": result.data}, headers=page_headers(private=True)
    )


handlers: list[ControllerRouterHandler] = [ResultsController, shared_result]
