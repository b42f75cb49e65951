"""Trends and hotspots for staff: the charts, the call-outs, and the reports behind each call-out."""

from __future__ import annotations

from typing import Annotated, Any

from babel.dates import get_day_names
from litestar import get
from litestar.exceptions import NotFoundException
from litestar.params import QueryParameter
from litestar.response import Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import current_locale, format_day
from portal.i18n import gettext as _
from portal.models import Site, Staff
from portal.routes.security import page_headers
from portal.routes.staff_base import StaffPages, chosen_sites
from portal.services import satisfaction, trends

HEAT_LEVELS = 5


def chart(
    kind: str, labels: list[str], series: dict[str, list[int]], *, stacked: bool = False, horizontal: bool = False
) -> dict[str, Any]:
    """A Chart.js configuration; the page's table under it carries the same numbers. Counts are whole: the
    value axis ticks in integers from zero (`precision: 0`), never 0.5 reports."""
    value, category = ("x", "y") if horizontal else ("y", "x")
    scales: dict[str, Any] = {
        value: {"stacked": stacked, "beginAtZero": True, "ticks": {"precision": 0}},
        category: {"stacked": stacked, "grid": {"display": False}},
    }
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


def _series(counts: list[tuple[str, int]], name: str) -> tuple[list[str], dict[str, list[int]]]:
    """A chart's labels and its one named series, from (label, count) pairs."""
    return [label for label, _n in counts], {name: [n for _label, n in counts]}


class TrendsController(StaffPages):
    """/staff/trends: when, where and under what load failures happen; every filter is in the URL."""

    path = "/staff/trends"

    @get("/")
    async def trends_page(
        self,
        read_session: AsyncSession,
        staff: Staff,
        sites: list[Site],
        site: str | None = None,
        first: Annotated[str | None, QueryParameter(name="from")] = None,
        last: Annotated[str | None, QueryParameter(name="to")] = None,
    ) -> Template:
        """Charts with their tables, hotspot call-outs and what customers said of the recovery, for a site (or all
        yours) and a date range."""
        chosen = chosen_sites(sites, site)
        period = trends.Period.parse(first, last)
        t = await trends.trends(read_session, chosen, period)
        reports, chosen_label = _("Reports"), _("Chosen")
        charts = {
            "categories": chart("bar", [format_day(w, form="d MMM") for w in t.weeks], t.categories, stacked=True),
            "locations": chart("bar", *_series(t.locations, reports), horizontal=True),
            "pages": chart("bar", *_series(t.pages, reports), horizontal=True),
            "busy": chart("bar", *_series(t.busy, reports)),
            "rate": chart("bar", *_series(t.rate, reports)),
            "levels": chart("bar", *_series(t.levels, reports)),
            "gestures": chart("bar", *_series(t.gestures, chosen_label), horizontal=True),
        }
        days = get_day_names("abbreviated", locale=current_locale())
        context = {
            "staff": staff,
            "sites": sites,
            "site": site or "",
            "period": period,
            "t": t,
            "charts": charts,
            "weekdays": [days[i] for i in range(7)],  # Monday first
            "heat_class": lambda n: f"heat-{0 if not n else 1 + (HEAT_LEVELS - 1) * n // max(t.heat_max, 1)}",
            "hotspots": await trends.hotspots(read_session, chosen, period),
            "sat": await satisfaction.satisfaction(read_session, chosen, period),
        }
        return Template("pages/staff_trends.html", context=context, headers=page_headers())

    @get("/cell")
    async def cell(
        self,
        read_session: AsyncSession,
        staff: Staff,
        sites: list[Site],
        dimension: str,
        value: str,
        site: str | None = None,
        first: Annotated[str | None, QueryParameter(name="from")] = None,
        last: Annotated[str | None, QueryParameter(name="to")] = None,
    ) -> Template:
        """The reports behind one hotspot, and a way to open a corrective action for them."""
        chosen = chosen_sites(sites, site)
        period = trends.Period.parse(first, last)
        try:
            reports = await trends.cell_reports(read_session, chosen, period, dimension, value)
        except ValueError as exc:
            raise NotFoundException(detail=str(exc)) from exc
        label = trends.cell_label(chosen, dimension, value)
        context = {
            "staff": staff,
            "sites": chosen,
            "reports": reports,
            "period": period,
            "dimension": dimension,
            "value": value,
            "label": label,
            # Attribute values: plain strings, escaped once by the template.
            "ca_title": _("Failures concentrate: %(label)s", label=label),
            "ca_problem": _("A hotspot: reports concentrate in “%(label)s” beyond chance.", label=label),
        }
        return Template("pages/staff_hotspot.html", context=context, headers=page_headers())


handlers: list[ControllerRouterHandler] = [TrendsController]
