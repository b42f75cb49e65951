"""The corrective-action board and CA pages: quality leads own CAs, anyone on the site can propose one and link reports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body, QueryParameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.corrective_actions import (
    FLOW,
    SEVERITIES,
    STATE_LABELS,
    CATransitionError,
    check_transition,
    early_close_needs_reason,
    missing_fields,
    move_edits,
    next_states,
    validate_ca,
)
from portal.i18n import gettext as _
from portal.mail import Mail
from portal.models import CorrectiveAction, Site, Staff, utcnow
from portal.routes.errors import found, parse_id, parse_ids
from portal.routes.security import page_headers, same_site_path
from portal.routes.staff_base import StaffPages, report_or_404
from portal.services import corrective_actions, queue
from portal.services.staff import site_staff

BOARD_COLUMNS = (*FLOW[:-1], "reopened", "closed")


def _require_lead(staff: Staff) -> None:
    if staff.role not in ("lead", "admin"):
        raise PermissionDeniedException(
            detail=_("Quality leads and admins run corrective actions; you can propose one and link reports.")
        )


async def _owners(db_session: AsyncSession, site: Site) -> list[Staff]:
    """Who may own a CA at this site: its leads, and admins."""
    return await site_staff(db_session, site.id, ["lead", "admin"])


def _moves(ca: CorrectiveAction) -> list[str]:
    """The states a lead may move the CA to by hand (reopening is the rules' own step)."""
    return [s for s in next_states(ca.state) if s != "reopened"]


def _needs(ca: CorrectiveAction, target: str, owners: list[Staff], now: datetime, prefix: str) -> dict[str, Any]:
    """What the form of a move to `target` asks for: the fields it still needs, and a reason to close early."""
    fields = corrective_actions.fields_of(ca)
    return {
        "ca": ca,
        "target": target,
        "needs": missing_fields(target, fields) if target in _moves(ca) else [],
        "reason_needed": early_close_needs_reason(fields, target, now),
        "owners": owners,
        "prefix": prefix,
        "labels": STATE_LABELS,
    }


class CAController(StaffPages):
    """/staff/cas: from a pattern of reports to a verified fix."""

    path = "/staff/cas"

    async def _ca_or_404(self, db_session: AsyncSession, sites: list[Site], ca_id: int) -> CorrectiveAction:
        return found(
            await corrective_actions.ca_at_sites(db_session, [s.id for s in sites], ca_id),
            _("No such corrective action."),
        )

    async def _board(
        self,
        db_session: AsyncSession,
        staff: Staff,
        sites: list[Site],
        *,
        partial: bool = False,
        error: str | None = None,
        moving: dict[str, Any] | None = None,
    ) -> Template:
        """The board; `moving` (from `_needs`) opens the refused card's move with what it still needs."""
        cas, linked, me_too = await corrective_actions.board(db_session, [s.id for s in sites])
        columns = {state: [c for c in cas if c.state == state] for state in BOARD_COLUMNS}
        context = {
            "staff": staff,
            "columns": columns,
            "labels": STATE_LABELS,
            "linked": linked,
            "me_too": me_too,
            "moves": _moves,
            "error": error,
            "moving": moving,
            "sites": sites,
        }
        return Template(
            "partials/ca_board.html" if partial else "pages/staff_cas.html",
            context=context,
            status_code=400 if error else 200,
            headers=page_headers(),
        )

    async def _page(
        self,
        db_session: AsyncSession,
        staff: Staff,
        ca: CorrectiveAction,
        *,
        status_code: int = 200,
        target: str | None = None,
        **extra: Any,
    ) -> Template:
        """The CA page; its move form is set for `target` (by default the next state) and asks for what it needs."""
        now = utcnow()
        owners = await _owners(db_session, ca.site)
        moves = _moves(ca)
        context = {
            "staff": staff,
            "ca": ca,
            "labels": STATE_LABELS,
            "next_states": {s: STATE_LABELS[s] for s in moves},
            "move": _needs(ca, target if target in moves else next(iter(moves), ""), owners, now, "move"),
            "reports": await corrective_actions.linked_reports(db_session, ca),
            "trend": await corrective_actions.weekly_trend(db_session, ca),
            "suggested": await corrective_actions.suggest_for_ca(db_session, ca),
            "suggestions": await corrective_actions.suggestions(db_session, ca),
            "events": await corrective_actions.timeline(db_session, ca),
            "owners": owners,
            "severities": SEVERITIES,
            "me_too": await corrective_actions.me_too_count(db_session, ca),
            "form": None,
            "typed": None,
            "errors": {},
            "state_error": None,
            "saved": False,
            "now": now,
            **extra,
        }
        return Template("pages/staff_ca.html", context=context, status_code=status_code, headers=page_headers())

    @get("/")
    async def board_page(
        self, request: HTMXRequest, db_session: AsyncSession, staff: Staff, sites: list[Site]
    ) -> Template:
        """Every CA at your sites in columns by state."""
        return await self._board(db_session, staff, sites, partial=bool(request.htmx))

    @post("/")
    async def create(
        self,
        db_session: AsyncSession,
        staff: Staff,
        sites: list[Site],
        data: dict[str, Any] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Open a CA (an agent's is a proposal), from a report, from a hotspot's reports, or from scratch."""
        report_id = parse_id(data.get("report_id"), "report_id")
        report = await report_or_404(db_session, sites, report_id) if report_id is not None else None
        reports = ([report] if report else []) + await queue.reports_for_staff(
            db_session, [s.id for s in sites], parse_ids(data.get("report_ids"), "report_id")
        )
        site_id = reports[0].site_id if reports else parse_id(data.get("site_id"), "site_id")
        site = found(next((s for s in sites if s.id == site_id), None), _("No such site."))
        try:
            ca = await corrective_actions.create_ca(
                db_session,
                site=site,
                staff=staff,
                title=str(data.get("title", "")),
                problem=str(data.get("problem", "")),
                category=report.category if report else None,
                reports=[r for r in reports if r.site_id == site.id],
            )
        except ValueError as exc:
            return await self._board(db_session, staff, sites, error=str(exc))
        return Redirect(f"/staff/cas/{ca.id}", status_code=303)

    @get("/{ca_id:int}")
    async def ca_page(
        self,
        db_session: AsyncSession,
        staff: Staff,
        sites: list[Site],
        ca_id: int,
        move: str | None = None,
        saved: bool = False,
    ) -> Template:
        """The CA: its fields and why-chain, linked reports and their trend, suggestions, and the timeline.

        `move` is where a refused move was headed: its form opens set for it, with why it was refused
        (worked out again from the rules, so the URL stays a page and not a replayed POST)."""
        ca = await self._ca_or_404(db_session, sites, ca_id)
        state_error = None
        if move is not None:
            try:
                check_transition(corrective_actions.fields_of(ca), move, now=utcnow())
            except CATransitionError as exc:
                state_error = str(exc)
        return await self._page(db_session, staff, ca, target=move, state_error=state_error, saved=saved)

    @get("/{ca_id:int}/needs")
    async def move_needs(
        self,
        db_session: AsyncSession,
        staff: Staff,
        sites: list[Site],
        ca_id: int,
        target: Annotated[str, QueryParameter(name="state")] = "",
    ) -> Template:
        """What a move to `state` asks for, swapped into the CA page's move form when the lead picks a state."""
        ca = await self._ca_or_404(db_session, sites, ca_id)
        move = _needs(ca, target, await _owners(db_session, ca.site), utcnow(), "move")
        return Template("partials/ca_move_needs.html", context={"move": move}, headers=page_headers())

    @post("/{ca_id:int}")
    async def save(
        self,
        db_session: AsyncSession,
        staff: Staff,
        sites: list[Site],
        ca_id: int,
        data: dict[str, Any] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Save the CA's fields (leads and admins)."""
        _require_lead(staff)
        ca = await self._ca_or_404(db_session, sites, ca_id)
        form = validate_ca(
            data, [c["slug"] for c in ca.site.categories], {s.id for s in await _owners(db_session, ca.site)}
        )
        try:
            await corrective_actions.update_ca(db_session, ca, form, staff)
        except CATransitionError as exc:
            return await self._page(
                db_session, staff, ca, form=form, typed=data, errors=form.errors or {"form": str(exc)}, status_code=400
            )
        return Redirect(f"/staff/cas/{ca.id}?saved=true#ca-form", status_code=303)

    @post("/{ca_id:int}/state")
    async def move(
        self,
        request: HTMXRequest,
        db_session: AsyncSession,
        mail: Mail,
        staff: Staff,
        sites: list[Site],
        ca_id: int,
        data: dict[str, Any] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Move the CA on, filling in what the move's form asked for first. A refused move opens the card's
        move on the board (htmx) with what is still missing, or goes back to the CA page set for it."""
        _require_lead(staff)
        ca = await self._ca_or_404(db_session, sites, ca_id)
        target = str(data.get("state") or "")
        owners = await _owners(db_session, ca.site)
        edits, errors = move_edits(data, {o.id for o in owners})
        try:
            if errors:
                raise CATransitionError("; ".join(errors.values()))
            await corrective_actions.move(
                db_session,
                ca,
                target,
                staff,
                early_close_reason=str(data.get("early_close_reason") or ""),
                edits=edits,
                mail=mail,
            )
        except CATransitionError as exc:
            if request.htmx:
                moving = _needs(ca, target, owners, utcnow(), f"move-{ca.id}")
                return await self._board(db_session, staff, sites, partial=True, error=str(exc), moving=moving)
            return Redirect(f"/staff/cas/{ca.id}?move={quote(target, safe='')}#move", status_code=303)
        if request.htmx:
            return await self._board(db_session, staff, sites, partial=True)
        return Redirect(f"/staff/cas/{ca.id}", status_code=303)

    @post("/{ca_id:int}/links")
    async def link(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        mail: Mail,
        staff: Staff,
        sites: list[Site],
        ca_id: int,
        data: dict[str, Any] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Redirect:
        """Link reports (ticked suggestions, or references typed in) to the CA."""
        ca = await self._ca_or_404(db_session, sites, ca_id)
        reports = await queue.reports_for_staff(
            db_session, [ca.site_id], parse_ids(data.get("report_ids"), "report_id")
        )
        refs = [r.strip().upper() for r in str(data.get("refs") or "").replace(",", " ").split() if r.strip()]
        if refs:
            reports += await queue.reports_by_refs(db_session, ca.site_id, refs)
        await corrective_actions.link(
            db_session,
            ca,
            reports,
            staff,
            mail=mail,
        )
        return Redirect(same_site_path(request, f"/staff/cas/{ca.id}"), status_code=303)

    @post("/{ca_id:int}/unlink/{report_id:int}")
    async def unlink(
        self, db_session: AsyncSession, staff: Staff, sites: list[Site], ca_id: int, report_id: int
    ) -> Redirect:
        """Take a report linked by mistake off the CA."""
        ca = await self._ca_or_404(db_session, sites, ca_id)
        await corrective_actions.unlink(db_session, ca, await report_or_404(db_session, sites, report_id), staff)
        return Redirect(f"/staff/cas/{ca.id}", status_code=303)

    @post("/{ca_id:int}/suggestions")
    async def suggest(
        self,
        db_session: AsyncSession,
        staff: Staff,
        sites: list[Site],
        ca_id: int,
        data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """A field-suggested action from anyone at the site."""
        ca = await self._ca_or_404(db_session, sites, ca_id)
        try:
            await corrective_actions.add_suggestion(db_session, ca, staff, data.get("body", ""))
        except ValueError as exc:
            return await self._page(db_session, staff, ca, state_error=str(exc), status_code=400)
        return Redirect(f"/staff/cas/{ca.id}#suggestions", status_code=303)

    @post("/{ca_id:int}/suggestions/{suggestion_id:int}/accept")
    async def accept(
        self, db_session: AsyncSession, staff: Staff, sites: list[Site], ca_id: int, suggestion_id: int
    ) -> Redirect:
        """Take a suggestion into the preventive plan (leads and admins)."""
        _require_lead(staff)
        ca = await self._ca_or_404(db_session, sites, ca_id)
        try:
            await corrective_actions.accept_suggestion(db_session, ca, suggestion_id, staff)
        except ValueError as exc:
            raise NotFoundException(detail=str(exc)) from exc
        return Redirect(f"/staff/cas/{ca.id}#suggestions", status_code=303)


handlers: list[ControllerRouterHandler] = [CAController]
