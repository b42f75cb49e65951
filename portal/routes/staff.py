"""Staff pages behind the login: the queue, reports and their conversation, customer files, clocks, mail."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.enums import MediaType, RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.params import Body, QueryParameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.clocks import Clock, running_clock
from portal.domain.corrective_actions import STATE_LABELS as CA_STATE_LABELS
from portal.domain.corrective_actions import title_from_report
from portal.domain.gestures import Tier
from portal.domain.repeat import RepeatLevel
from portal.domain.workflow import STATE_LABELS, STATE_NAMES, TransitionError, next_states
from portal.i18n import N_
from portal.i18n import gettext as _
from portal.lexicon import load_lexicon
from portal.mail import Mail
from portal.models import Report, Site, Staff, utcnow
from portal.routes.errors import found, parse_id, parse_ids
from portal.routes.privacy import COUNT_LABELS
from portal.routes.security import page_headers, same_site_path
from portal.routes.staff_base import StaffPages, report_or_404
from portal.services import (
    clocks,
    conversation,
    corrective_actions,
    customers,
    gesture_grants,
    onboarding,
    privacy_staff,
    queue,
)
from portal.site_texts import category_text

# How the outbox's states read on the mail pages.
MAIL_STATES = {"pending": N_("pending"), "sending": N_("sending"), "sent": N_("sent"), "dead": N_("dead")}


def clock_of(report: Report, now: datetime | None = None) -> Clock | None:
    """The clock running on a report right now, for the countdowns."""
    return running_clock(
        first_response_due_at=report.first_response_due_at,
        recovery_due_at=report.recovery_due_at,
        first_response_at=report.first_response_at,
        recovered_at=report.recovered_at,
        now=now or utcnow(),
    )


async def customer_or_404(
    db_session: AsyncSession, sites: list[Site], site_id: int, key: str
) -> customers.CustomerFile:
    site = next((s for s in sites if s.id == site_id), None)
    return found(await customers.customer_file(db_session, site, key) if site and key else None, _("No such customer."))


def customer_template(staff: Staff, file: customers.CustomerFile, *, status_code: int = 200, **extra: Any) -> Template:
    """The customer's file, with a form's error in `extra`."""
    context = {
        "staff": staff,
        "file": file,
        "note": "",
        "note_error": None,
        "clock_of": clock_of,
        "state_names": STATE_NAMES,
        "tiers": list(Tier),
        "reason": "",
        "erase_error": None,
        "erased": None,
        "count_labels": COUNT_LABELS,
        **extra,
    }
    return Template("pages/staff_customer.html", context=context, status_code=status_code, headers=page_headers())


def _number(value: str | None) -> int | None:
    """A numeric filter from a form: "Any" sends an empty string, which means no filter."""
    return parse_id(value)


async def render_report(
    db_session: AsyncSession,
    staff: Staff,
    report: Report,
    *,
    status_code: int = 200,
    template: str = "pages/staff_report.html",
    **extra: Any,
) -> Template:
    """The report page (or one of its htmx `template` partials), with any form's error or findings in `extra`."""
    context: dict[str, Any] = {
        "staff": staff,
        "report": report,
        "category": category_text(report.site, report.category),
        "events": await conversation.timeline(db_session, report),
        "clock": clock_of(report),
        "customer": await customers.customer_file(db_session, report.site, report.customer_key)
        if report.customer_key
        else None,
        "next_states": {s: STATE_LABELS[s] for s in next_states(report.state)},
        "state_labels": STATE_LABELS,
        "state_names": STATE_NAMES,
        "draft": {"body": "", "override_reason": ""},
        "findings": [],
        "state_error": None,
        "update_error": None,
        "gestures": await gesture_grants.for_report_page(db_session, report, staff),
        "tier_labels": {t.value: t.label for t in Tier},
        "grant_error": None,
        "grant_form": {"gesture_id": "", "reason": ""},
        "sent": False,
        **extra,
    }
    return Template(template, context=context, status_code=status_code, headers=page_headers())


class StaffController(StaffPages):
    """The queue, reports and their conversation, customer files, clocks and mail."""

    path = "/staff"

    @get("/")
    async def queue_page(
        self,
        request: HTMXRequest,
        db_session: AsyncSession,
        staff: Staff,
        sites: list[Site],
        site: str | None = None,
        category: str | None = None,
        state_name: Annotated[str | None, QueryParameter(name="state")] = None,
        level: str | None = None,
        assignee: str | None = None,
        due: str | None = None,
        after: str | None = None,
    ) -> Template:
        """At-risk customers first, then the nearest clock; the filters swap only the rows (htmx) and stay in the URL."""
        filters = queue.QueueFilter(
            site_id=_number(site),
            category=category or None,
            state=state_name or None,
            level=_number(level),
            assignee={"me": staff.id, "none": 0}.get(assignee or ""),
            due=due or None,
            after=queue.Cursor.decode(after),
        )
        page = await queue.list_reports(db_session, [s.id for s in sites], filters)
        categories = sorted({(c["slug"], category_text(s, c["slug"])) for s in sites for c in s.categories})
        context = {
            "staff": staff,
            "sites": sites,
            "sites_by_id": {s.id: s for s in sites},
            "filters": filters,
            "categories": categories,
            "states": STATE_LABELS,
            "state_names": STATE_NAMES,
            "page": page,
            "next_cursor": page.next_cursor.encode() if page.next_cursor else None,
            "levels": {lvl.value: lvl.label for lvl in RepeatLevel},
            "assignee": assignee or "",
            "clock_of": clock_of,
            "open_cas": await corrective_actions.open_cas(db_session, [s.id for s in sites]),
        }
        partial = request.htmx and request.htmx.target == "queue-rows"
        if not partial:  # the refresh swaps only the rows: no checklist queries every 15 s
            context["first_run"] = await onboarding.first_run(
                db_session, staff, base_url=request.app.state.settings.base_url
            )
        return Template(
            "partials/queue_rows.html" if partial else "pages/staff_queue.html", context=context, headers=page_headers()
        )

    @get("/reports/{report_id:int}")
    async def report_page(self, db_session: AsyncSession, staff: Staff, sites: list[Site], report_id: int) -> Template:
        """A report with every piece of context captured with it, its timeline, and what to do next."""
        report = await report_or_404(db_session, sites, report_id)
        return await render_report(db_session, staff, report)

    @get("/reports/{report_id:int}/prevention")
    async def prevention(
        self, request: HTMXRequest, db_session: AsyncSession, staff: Staff, sites: list[Site], report_id: int
    ) -> Template:
        """The CA this report belongs to, or the open CAs and recent reports it most likely goes with (loaded after the page)."""
        report = await report_or_404(db_session, sites, report_id)
        category = category_text(report.site, report.category)
        context = {
            "staff": staff,
            "report": report,
            "category": category,
            "ca_title": title_from_report(category, report.description),
            "linked_ca": await corrective_actions.ca_at_sites(db_session, [report.site_id], report.ca_id)
            if report.ca_id
            else None,
            "ca_suggestions": await corrective_actions.suggest_for_report(db_session, report),
            "ca_labels": CA_STATE_LABELS,
        }
        template = "partials/report_corrective_actions.html" if request.htmx else "pages/staff_prevention.html"
        return Template(template, context=context, headers=page_headers())

    @post("/reports/{report_id:int}/state")
    async def move_report(
        self,
        db_session: AsyncSession,
        mail: Mail,
        staff: Staff,
        sites: list[Site],
        report_id: int,
        data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Move the report to a later state."""
        report = await report_or_404(db_session, sites, report_id)
        try:
            await conversation.change_state(
                db_session,
                report=report,
                staff=staff,
                target=data.get("state", ""),
                mail=mail,
            )
        except TransitionError as exc:
            return await render_report(db_session, staff, report, state_error=str(exc), status_code=400)
        return Redirect(f"/staff/reports/{report.id}", status_code=303)

    @post("/reports/{report_id:int}/updates")
    async def send_update(
        self,
        request: HTMXRequest,
        db_session: AsyncSession,
        mail: Mail,
        staff: Staff,
        sites: list[Site],
        report_id: int,
        data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Write to the customer; flagged wording comes back with the findings beside the kept text, and needs
        a reason to send anyway. With htmx only the form is swapped (and, once sent, the timeline and clock)."""
        report = await report_or_404(db_session, sites, report_id)
        draft = {"body": data.get("body", ""), "override_reason": data.get("override_reason", "")}
        form = "partials/report_update.html" if request.htmx else "pages/staff_report.html"
        try:
            await conversation.send_update(
                db_session,
                report=report,
                staff=staff,
                body=draft["body"],
                override_reason=draft["override_reason"],
                lexicon=load_lexicon(report.lang or "en"),
                mail=mail,
            )
        except conversation.NeedsReview as exc:
            return await render_report(
                db_session, staff, report, draft=draft, findings=exc.findings, status_code=422, template=form
            )
        except ValueError as exc:
            return await render_report(
                db_session, staff, report, draft=draft, update_error=str(exc), status_code=400, template=form
            )
        if request.htmx:
            return await render_report(
                db_session, staff, report, sent=True, template="partials/report_update_sent.html"
            )
        return Redirect(f"/staff/reports/{report.id}#timeline", status_code=303)

    @post("/reports/{report_id:int}/assign")
    async def take(self, db_session: AsyncSession, staff: Staff, sites: list[Site], report_id: int) -> Redirect:
        """Assign the report to yourself."""
        report = await report_or_404(db_session, sites, report_id)
        await conversation.assign(db_session, reports=[report], staff=staff)
        return Redirect(f"/staff/reports/{report.id}", status_code=303)

    @post("/reports/bulk")
    async def bulk(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        mail: Mail,
        staff: Staff,
        sites: list[Site],
        data: dict[str, Any] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Redirect:
        """Act on the ticked reports at once: take them, or acknowledge those still new."""
        ticked = data.get("ids")
        # A queue row that folds one customer's reports ticks them all: its box sends their ids space-separated.
        ids = parse_ids(" ".join([ticked] if isinstance(ticked, str) else ticked or []).split(), "report_id")
        reports = await queue.reports_for_staff(db_session, [s.id for s in sites], ids)
        if data.get("action") == "assign_to_me":
            await conversation.assign(db_session, reports=reports, staff=staff)
        elif data.get("action") == "link_ca" and (ca_id := parse_id(data.get("ca_id"), "ca_id")) is not None:
            ca = found(
                await corrective_actions.ca_at_sites(db_session, [s.id for s in sites], ca_id),
                _("No such corrective action."),
            )
            await corrective_actions.link(
                db_session,
                ca,
                reports,
                staff,
                mail=mail,
            )
        elif data.get("action") == "acknowledge":
            for report in reports:
                if "acknowledged" in next_states(report.state):
                    await conversation.change_state(
                        db_session,
                        report=report,
                        staff=staff,
                        target="acknowledged",
                        mail=mail,
                    )
        return Redirect(same_site_path(request, "/staff"), status_code=303)

    @get("/customers/{site_id:int}")
    async def customer_page(
        self, db_session: AsyncSession, staff: Staff, sites: list[Site], site_id: int, key: str
    ) -> Template:
        """Everything this customer told the site, their repeat level, and staff notes."""
        file = await customer_or_404(db_session, sites, site_id, key)
        return customer_template(staff, file)

    @post("/customers/{site_id:int}/notes")
    async def add_customer_note(
        self,
        db_session: AsyncSession,
        staff: Staff,
        sites: list[Site],
        site_id: int,
        data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Add an internal note to the customer's file."""
        file = await customer_or_404(db_session, sites, site_id, data.get("key", ""))
        try:
            await customers.add_note(db_session, site=file.site, key=file.key, staff=staff, body=data.get("body", ""))
        except ValueError as exc:
            return customer_template(staff, file, note=data.get("body", ""), note_error=str(exc), status_code=400)
        return Redirect(f"/staff/customers/{site_id}?key={quote(file.key)}", status_code=303)

    @post("/customers/{site_id:int}/tier")
    async def set_customer_tier(
        self,
        db_session: AsyncSession,
        staff: Staff,
        sites: list[Site],
        site_id: int,
        data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template | Redirect:
        """Leads and admins set the customer's tier; it shapes the gestures offered from their next report."""
        file = await customer_or_404(db_session, sites, site_id, data.get("key", ""))
        if staff.role not in ("lead", "admin"):
            raise PermissionDeniedException(detail=_("Only leads and admins set a customer's tier."))
        tier = Tier.parse(data.get("tier"))
        if tier is None:
            return customer_template(staff, file, tier_error=_("Pick standard, elevated or premium."), status_code=400)
        await customers.set_customer_tier(db_session, site=file.site, key=file.key, tier=tier, staff=staff)
        return Redirect(f"/staff/customers/{site_id}?key={quote(file.key)}", status_code=303)

    @get("/customers/{site_id:int}/export")
    async def export_customer(
        self, db_session: AsyncSession, staff: Staff, sites: list[Site], site_id: int, key: str
    ) -> Response[dict[str, Any]]:
        """Everything this customer told the site, as a JSON download; the export goes on the privacy trail."""
        file = await customer_or_404(db_session, sites, site_id, key)
        data = await privacy_staff.export_for_staff(db_session, file.site, file.key, staff=staff, actor="staff")
        headers = {
            "Content-Disposition": 'attachment; filename="mend-customer-data.json"',
            "Cache-Control": "private, no-store",
        }
        return Response(data, media_type=MediaType.JSON, headers=headers)

    @post("/customers/{site_id:int}/erase")
    async def erase_customer(
        self,
        db_session: AsyncSession,
        staff: Staff,
        sites: list[Site],
        site_id: int,
        data: dict[str, str] = Body(media_type=RequestEncodingType.URL_ENCODED),
    ) -> Template:
        """Leads and admins erase the customer at this site, with a reason and a confirmation; a receipt follows."""
        file = await customer_or_404(db_session, sites, site_id, data.get("key", ""))
        if staff.role not in ("lead", "admin"):
            raise PermissionDeniedException(detail=_("Only leads and admins erase a customer."))
        reason = data.get("reason", "")
        if data.get("confirm") != "yes":
            error = _("Tick the box to confirm the erasure.")
            return customer_template(staff, file, reason=reason, erase_error=error, status_code=400)
        try:
            counts = await privacy_staff.erase_for_staff(
                db_session, file.site, file.key, staff=staff, actor="staff", reason=reason
            )
        except ValueError as exc:
            return customer_template(staff, file, reason=reason, erase_error=str(exc), status_code=400)
        return customer_template(staff, file, erased=counts)

    @get("/adherence")
    async def adherence_page(self, db_session: AsyncSession, staff: Staff, sites: list[Site]) -> Template:
        """How each site kept its 20-minute and 24-hour promises, week by week."""
        weeks = await clocks.adherence(db_session, [s.id for s in sites], now=utcnow())
        context = {
            "staff": staff,
            "weeks": weeks,
            "sites_by_id": {s.id: s for s in sites},
            "alerts": await clocks.alert_routes(db_session, sites),
        }
        return Template("pages/staff_adherence.html", context=context, headers=page_headers())

    @get("/mail")
    async def mail_page(
        self,
        request: Request[Any, Any, Any],
        db_session: AsyncSession,
        staff: Staff,
        sites: list[Site],
        state_name: Annotated[str | None, QueryParameter(name="state")] = None,
    ) -> Template:
        """The outbox: what was sent, what waits for a retry, and dead letters (the dev mailbox without SMTP)."""
        mails = await queue.list_mail(db_session, [s.id for s in sites], state=state_name or None)
        context = {
            "staff": staff,
            "mails": mails,
            "state": state_name or "",
            "mail_states": MAIL_STATES,
            "dev_mailbox": not request.app.state.settings.smtp_url,
        }
        return Template("pages/staff_mail.html", context=context, headers=page_headers())

    @get("/mail/{mail_id:int}")
    async def mail_message(self, db_session: AsyncSession, staff: Staff, sites: list[Site], mail_id: int) -> Template:
        """One mail as the customer receives it."""
        mail = found(await queue.mail_for_staff(db_session, [s.id for s in sites], mail_id), _("No such mail."))
        context = {"staff": staff, "mail": mail, "mail_states": MAIL_STATES}
        return Template("pages/staff_mail_message.html", context=context, headers=page_headers())


handlers: list[ControllerRouterHandler] = [StaffController]
