"""Trends and hotspots for staff: the charts, the call-outs, and the reports behind each call-out."""

from __future__ import annotations

from typing import Any

from litestar import get
from litestar.exceptions import NotFoundException
from litestar.params import QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.hotspots import WEEKDAYS
from portal.models import Site, Staff
from portal.routes.security import page_headers
from portal.routes.staff_base import StaffPages, chosen_sites
from portal.services import trends

HEAT_LEVELS = 5


def chart(
    kind: str, labels: list[str], series: dict[str, list[int]], *, stacked: bool = False, horizontal: bool = False
) -> dict[str, Any]:
    """A Chart.js configuration; the page's table beside it carries the same numbers."""
    scales: dict[str, Any] = {"x": {"stacked": stacked}, "y": {"stacked": stacked, "beginAtZero": True}}
    return {
        "type": kind,
        "data": {"labels": labels, "datasets": [{"label": name, "data": values} for name, values in series.items()]},
        "options": {
            "indexAxis": "y" if horizontal else "x",
            "scales": scales,
            "plugins": {"legend": {"display": len(series) > 1}},
            "maintainAspectRatio": False,
        },
    }


class TrendsController(StaffPages):
    """/staff/trends: when, where and under what load failures happen; every filter is in the URL."""

    path = "/staff/trends"

    @get("/")
    async def trends_page(
        self,
        db_session: AsyncSession,
        staff: Staff,
        sites: list[Site],
        site: str | None = None,
        first: str | None = QueryParameter(name="from", default=None),
        last: str | None = QueryParameter(name="to", default=None),
    ) -> Template:
        """Charts with their tables, and hotspot call-outs, for a site (or all yours) and a date range."""
        chosen = chosen_sites(sites, site)
        period = trends.Period.parse(first, last)
        t = await trends.trends(db_session, chosen, period)
        charts = {
            "categories": chart("bar", [w.strftime("%d %b") for w in t.weeks], t.categories, stacked=True),
            "locations": chart(
                "bar", [k for k, _ in t.locations], {"Reports": [n for _, n in t.locations]}, horizontal=True
            ),
            "pages": chart("bar", [k for k, _ in t.pages], {"Reports": [n for _, n in t.pages]}, horizontal=True),
            "busy": chart("bar", [k for k, _ in t.busy], {"Reports": [n for _, n in t.busy]}),
            "rate": chart("bar", [k for k, _ in t.rate], {"Reports": [n for _, n in t.rate]}),
            "levels": chart("bar", [k for k, _ in t.levels], {"Reports": [n for _, n in t.levels]}),
            "gestures": chart(
                "bar", [k for k, _ in t.gestures], {"Chosen": [n for _, n in t.gestures]}, horizontal=True
            ),
        }
        context = {
            "staff": staff,
            "sites": sites,
            "site": site or "",
            "period": period,
            "t": t,
            "charts": charts,
            "weekdays": WEEKDAYS,
            "heat_class": lambda n: f"heat-{0 if not n else 1 + (HEAT_LEVELS - 1) * n // max(t.heat_max, 1)}",
            "hotspots": await trends.hotspots(db_session, chosen, period),
        }
        return Template("pages/staff_trends.html", context=context, headers=page_headers())

    @get("/cell")
    async def cell(
        self,
        db_session: AsyncSession,
        staff: Staff,
        sites: list[Site],
        dimension: str,
        value: str,
        site: str | None = None,
        first: str | None = QueryParameter(name="from", default=None),
        last: str | None = QueryParameter(name="to", default=None),
    ) -> Template:
        """The reports behind one hotspot, and a way to open a corrective action for them."""
        chosen = chosen_sites(sites, site)
        period = trends.Period.parse(first, last)
        try:
            reports = await trends.cell_reports(db_session, chosen, period, dimension, value)
        except ValueError as exc:
            raise NotFoundException(detail=str(exc)) from exc
        context = {
            "staff": staff,
            "sites": chosen,
            "reports": reports,
            "period": period,
            "dimension": dimension,
            "value": value,
            "label": trends.cell_label(chosen, dimension, value),
        }
        return Template("pages/staff_hotspot.html", context=context, headers=page_headers())


handlers = [TrendsController]
