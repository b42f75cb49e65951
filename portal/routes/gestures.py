"""Gestures on the staff side: granting one from a report, the tasks that fulfil them, and each site's catalog (admins)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.gestures import (
    BUDGET_ROLE_NAMES,
    BUDGET_ROLES,
    FULFILMENTS,
    GestureInvalid,
    Tier,
    budgets_of,
    parse_budgets,
    validate_gesture,
)
from portal.i18n import gettext as _
from portal.i18n import ngettext
from portal.mail import Mail
from portal.models import Gesture, Site, Staff, utcnow
from portal.routes.admin import AdminController, site_or_404
from portal.routes.errors import found, parse_id
from portal.routes.security import page_headers, same_site_path
from portal.routes.staff import render_report
from portal.routes.staff_base import StaffPages, report_or_404
from portal.services import gesture_catalog, gesture_grants, tasks

CODES_UPLOAD_LIMIT = 1024 * 1024  # a pool of a few tens of thousands of codes in one paste


class RecoveryTaskController(StaffPages):
    """Granting gestures from a report, and the tasks that fulfil them and follow up at-risk customers."""

    path = "/staff"

    @post("/reports/{report_id:int}/gestures")
    async def grant(
        self,
        db_session: AsyncSession,
        mail: Mail,
        staff: Staff,
        sites: list[Site],
        report_id: int,
        data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Grant a gesture on your own authority, within your role's monthly budget."""
        report = await report_or_404(db_session, sites, report_id)
        form = {"gesture_id": data.get("gesture_id", ""), "reason": data.get("reason", "")}
        try:
            await gesture_grants.grant(
                db_session,
                report=report,
                staff=staff,
                gesture_id=parse_id(form["gesture_id"], "gesture_id") or 0,
                reason=form["reason"],
                mail=mail,
            )
        except gesture_grants.OverBudget as exc:
            return await render_report(
                db_session, staff, report, grant_error=str(exc), grant_form=form, status_code=403
            )
        except ValueError as exc:
            return await render_report(
                db_session, staff, report, grant_error=str(exc), grant_form=form, status_code=400
            )
        return Redirect(f"/staff/reports/{report.id}#gestures", status_code=303)

    @get("/tasks")
    async def tasks(self, db_session: AsyncSession, staff: Staff, sites: list[Site], mine: bool = False) -> Template:
        """Open tasks at your sites, nearest deadline first: gestures to fulfil, wishes to answer, at-risk follow-ups."""
        open_tasks = await tasks.open_tasks(db_session, [s.id for s in sites], assignee_id=staff.id if mine else None)
        context = {
            "staff": staff,
            "tasks": open_tasks,
            "mine": mine,
            "now": utcnow(),
            "sites_by_id": {s.id: s for s in sites},
        }
        return Template("pages/staff_tasks.html", context=context, headers=page_headers())

    @post("/tasks/{task_id:int}/done")
    async def done(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, staff: Staff, sites: list[Site], task_id: int
    ) -> Redirect:
        """Mark a task done; it goes on the report's timeline."""
        task = found(await tasks.task_for_staff(db_session, [s.id for s in sites], task_id), _("No such task."))
        await tasks.complete_task(db_session, task, staff)
        return Redirect(same_site_path(request, "/staff/tasks"), status_code=303)


def _gesture_form(gesture: Gesture | None) -> dict[str, Any]:
    if gesture is None:
        return {
            "name": "",
            "description": "",
            "tier": "standard",
            "categories": [],
            "daily_cap": "",
            "monthly_cap": "",
            "fulfilment": "task",
            "active": True,
        }
    return {
        "name": gesture.name,
        "description": gesture.description,
        "tier": Tier(gesture.tier).label,
        "categories": gesture.categories,
        "daily_cap": gesture.daily_cap or "",
        "monthly_cap": gesture.monthly_cap or "",
        "fulfilment": gesture.fulfilment,
        "active": gesture.active,
    }


def _form_data(data: dict[str, Any]) -> dict[str, Any]:
    categories = data.get("categories") or []
    return {
        **data,
        "categories": [categories] if isinstance(categories, str) else categories,
        "active": bool(data.get("active")),
    }


class CatalogController(AdminController):
    """/staff/sites/{id}/gestures: the small non-monetary gestures a site offers, their caps and code pools, and role budgets."""

    path = "/staff/sites/{site_id:int}/gestures"

    async def _page(
        self, db_session: AsyncSession, admin: Staff, site: Site, *, status_code: int = 200, **extra: Any
    ) -> Template:
        catalog = await gesture_catalog.catalog(db_session, site.id, active_only=False)
        context = {
            "staff": admin,
            "site": site,
            "catalog": catalog,
            "usage": await gesture_catalog.usage(db_session, catalog, utcnow(), count_all=True),
            "tiers": list(Tier),
            "fulfilments": FULFILMENTS,
            "budgets": budgets_of(site.gesture_budgets),
            "budget_roles": BUDGET_ROLES,
            "budget_role_names": BUDGET_ROLE_NAMES,
            "form": _gesture_form(None),
            "errors": {},
            "editing": None,
            "message": None,
            **extra,
        }
        return Template("pages/admin_gestures.html", context=context, status_code=status_code, headers=page_headers())

    async def _gesture_or_404(self, db_session: AsyncSession, site: Site, gesture_id: int) -> Gesture:
        return found(await gesture_catalog.gesture_of_site(db_session, site.id, gesture_id), _("No such gesture."))

    @get("/")
    async def list_gestures(
        self,
        db_session: AsyncSession,
        admin: Staff,
        site_id: int,
        codes_added: int | None = None,
        budgets_saved: bool = False,
    ) -> Template:
        """The catalog, a form for a new gesture, and the budgets."""
        message = None
        if codes_added is not None:
            # English says "1 new codes added." too (as before); other languages get their plural forms.
            message = ngettext("%(num)s new codes added.", "%(num)s new codes added.", codes_added)
        elif budgets_saved:
            message = _("Budgets saved.")
        return await self._page(db_session, admin, await site_or_404(db_session, site_id), message=message)

    @post("/")
    async def add(
        self,
        db_session: AsyncSession,
        admin: Staff,
        site_id: int,
        data: dict[str, Any] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Add a gesture; money in any form is refused with the reason."""
        site = await site_or_404(db_session, site_id)
        try:
            await gesture_catalog.add_gesture(
                db_session, site, validate_gesture(data, [c["slug"] for c in site.categories])
            )
        except GestureInvalid as exc:
            return await self._page(db_session, admin, site, form=_form_data(data), errors=exc.errors, status_code=400)
        return Redirect(f"/staff/sites/{site.id}/gestures", status_code=303)

    @get("/{gesture_id:int}")
    async def edit(self, db_session: AsyncSession, admin: Staff, site_id: int, gesture_id: int) -> Template:
        """One gesture's form."""
        site = await site_or_404(db_session, site_id)
        gesture = await self._gesture_or_404(db_session, site, gesture_id)
        return await self._page(db_session, admin, site, form=_gesture_form(gesture), editing=gesture)

    @post("/{gesture_id:int}")
    async def save(
        self,
        db_session: AsyncSession,
        admin: Staff,
        site_id: int,
        gesture_id: int,
        data: dict[str, Any] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Save a gesture (or retire it by unticking "offered")."""
        site = await site_or_404(db_session, site_id)
        gesture = await self._gesture_or_404(db_session, site, gesture_id)
        try:
            spec = validate_gesture(data, [c["slug"] for c in site.categories])
        except GestureInvalid as exc:
            return await self._page(
                db_session, admin, site, form=_form_data(data), errors=exc.errors, editing=gesture, status_code=400
            )
        await gesture_catalog.update_gesture(db_session, gesture, spec, active=bool(data.get("active")))
        return Redirect(f"/staff/sites/{site.id}/gestures", status_code=303)

    @post("/{gesture_id:int}/codes", request_max_body_size=CODES_UPLOAD_LIMIT)
    async def add_codes(
        self,
        db_session: AsyncSession,
        admin: Staff,
        site_id: int,
        gesture_id: int,
        data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Add single-use codes to an automatic gesture's pool."""
        site = await site_or_404(db_session, site_id)
        gesture = await self._gesture_or_404(db_session, site, gesture_id)
        if gesture.fulfilment != "code":
            return await self._page(
                db_session,
                admin,
                site,
                message=_("That gesture is fulfilled by a person; it has no code pool."),
                status_code=400,
            )
        try:
            added = await gesture_catalog.add_codes(db_session, gesture, data.get("codes", ""))
        except ValueError as exc:
            return await self._page(db_session, admin, site, message=str(exc), status_code=400)
        return Redirect(f"/staff/sites/{site.id}/gestures?codes_added={added}", status_code=303)

    @post("/budgets")
    async def save_budgets(
        self,
        db_session: AsyncSession,
        admin: Staff,
        site_id: int,
        data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """How many gestures of each tier agents and leads may grant a month on their own."""
        site = await site_or_404(db_session, site_id)
        try:
            await gesture_catalog.set_budgets(db_session, site, parse_budgets(data))
        except GestureInvalid as exc:
            return await self._page(db_session, admin, site, message=" ".join(exc.errors.values()), status_code=400)
        return Redirect(f"/staff/sites/{site.id}/gestures?budgets_saved=true", status_code=303)


handlers: list[ControllerRouterHandler] = [RecoveryTaskController, CatalogController]
