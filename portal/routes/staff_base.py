"""What every staff page shares: the signed-in staff member, the sites they may see, and their 404s."""

from __future__ import annotations

from litestar import Controller
from litestar.di import Provide
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import gettext as _
from portal.models import Report, Site, Staff
from portal.routes.auth import provide_staff, requires_staff
from portal.routes.errors import found
from portal.services import queue
from portal.services.staff import visible_sites


async def provide_sites(staff: Staff, db_session: AsyncSession) -> list[Site]:
    """The sites this staff member may see."""
    return await visible_sites(db_session, staff)


async def report_or_404(db_session: AsyncSession, sites: list[Site], report_id: int) -> Report:
    """The report if it is at one of the viewer's sites; a 404 otherwise."""
    return found(await queue.report_for_staff(db_session, [s.id for s in sites], report_id), _("No such report."))


class StaffPages(Controller):
    """Pages behind the staff login, given the staff member and the sites they may see."""

    guards = [requires_staff]
    dependencies = {"staff": Provide(provide_staff), "sites": Provide(provide_sites)}
    include_in_schema = False


def chosen_sites(sites: list[Site], site: str | None) -> list[Site]:
    """The site a page's `site` filter names (all the viewer's sites when empty); another site is a 404."""
    if not site:
        return sites
    return found([s for s in sites if str(s.id) == site] or None, _("No such site."))
