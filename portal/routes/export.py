"""CSV and JSON exports of reports and corrective actions, with the trends page's filters, streamed."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import QueryParameter
from litestar.response import Stream
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import gettext as _
from portal.models import Site
from portal.routes.staff_base import StaffPages, chosen_sites
from portal.services import export
from portal.services.trends import Period

FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


class ExportController(StaffPages):
    """/staff/export/{reports|cas}.{csv|json}?site=&from=&to=&category=&state="""

    path = "/staff/export"

    @get("/{filename:str}")
    async def download(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        sites: list[Site],
        filename: str,
        site: str | None = None,
        first: Annotated[str | None, QueryParameter(name="from")] = None,
        last: Annotated[str | None, QueryParameter(name="to")] = None,
        category: str | None = None,
        state_name: Annotated[str | None, QueryParameter(name="state")] = None,
    ) -> Stream:
        """reports.csv, reports.json (with context, clocks and CA), cas.csv or cas.json (with the why-chain, plan and linked reports)."""
        what, _dot, fmt = filename.partition(".")
        if what not in ("reports", "cas") or fmt not in FORMATS:
            raise NotFoundException(detail=_("Export reports or cas, as .csv or .json."))
        ids, period = [s.id for s in chosen_sites(sites, site)], Period.parse(first, last)
        if what == "reports":
            query, columns = (
                export.reports_query(ids, period, category=category or None, state=state_name or None),
                list(export.REPORT_COLUMNS),
            )
        else:
            query, columns = (
                export.cas_query(ids, period, state=state_name or None),
                [*export.CA_COLUMNS, "linked_reports"],
            )
        sessionmaker = request.app.state.export_sessionmaker
        body = export.as_csv(sessionmaker, query, columns) if fmt == "csv" else export.as_json(sessionmaker, query)
        # The request's session lets go of its connection first: the export reads on a session of its own
        # (SQLite has one connection), for as long as the download takes.
        await db_session.close()
        headers = {
            "Content-Disposition": f'attachment; filename="mend-{what}.{fmt}"',
            "Cache-Control": "private, no-store",
        }
        return Stream(body, media_type=FORMATS[fmt], headers=headers)


handlers: list[ControllerRouterHandler] = [ExportController]
