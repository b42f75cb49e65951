"""The staff REST API: reports, customers and corrective actions, as the token's owner sees them on the staff pages."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, delete, get, post
from litestar.exceptions import ClientException, HTTPException, PermissionDeniedException
from litestar.params import Parameter, QueryParameter
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_422_UNPROCESSABLE_ENTITY
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.corrective_actions import STATES as CA_STATES
from portal.domain.corrective_actions import CATransitionError
from portal.domain.workflow import TransitionError
from portal.i18n import gettext as _
from portal.lexicon import load_lexicon
from portal.mail import Mail
from portal.models import CorrectiveAction, Report, Site
from portal.routes.api_auth import OPENAPI_COMPONENTS, SECURITY, STAFF_API, ApiCaller, api_errors, require_scope
from portal.routes.api_docs import NO_NUL
from portal.routes.errors import found
from portal.services import conversation, corrective_actions, privacy_staff, queue
from portal.services.customers import CustomerFile
from portal.services.staff_api import customer_at_sites, report_by_ref

MAX_PAGE = 100
NO_REPORT = "No report with this reference at your sites."
NO_CA = "No corrective action with this id at your sites."
OPTIONS: dict[str, Any] = {"dependencies": STAFF_API, "security": SECURITY, "tags": ["staff"]}
# POST bodies must be JSON (a 415 otherwise, from refuse_unreadable_input).
WRITES: dict[str, Any] = {**OPTIONS, "opt": {"json_body": True}}
NOT_JSON = {413: "The body is larger than the portal takes.", 415: "The body is not sent as application/json."}
__all__ = ["OPENAPI_COMPONENTS", "handlers"]


class ClocksOut(msgspec.Struct):
    """The report's two promises: a first answer and a recovery, each with its due time and whether it was broken."""

    first_response_due_at: datetime | None
    first_response_at: datetime | None
    first_response_breached: bool
    recovery_due_at: datetime | None
    recovered_at: datetime | None
    recovery_breached: bool


class ReportOut(msgspec.Struct):
    """A report as staff see it."""

    ref: str
    site_key: str
    state: str
    category: str
    description: str
    customer_name: str | None
    customer_email: str | None
    customer_key: str | None
    repeat_level: int
    clocks: ClocksOut
    assignee: str | None  # the assignee's email
    ca_id: int | None
    created_at: datetime
    portal_url: str


class ReportPage(msgspec.Struct):
    """A page of reports and the cursor of the next one (null on the last page)."""

    reports: list[ReportOut]
    next_cursor: str | None


class StateIn(msgspec.Struct):
    state: Literal["acknowledged", "in_progress", "fixed", "closed"]


class UpdateIn(msgspec.Struct):
    """An update to the customer; wording the linter flags goes out only with `send_anyway` and a `reason`."""

    text: str
    send_anyway: bool = False
    reason: str | None = None


class UpdateOut(msgspec.Struct):
    id: int
    created_at: datetime


class NoteOut(msgspec.Struct):
    body: str
    created_at: datetime


class CustomerOut(msgspec.Struct):
    """A customer's file at one site: their repeat level now, their reports (newest first) and staff notes."""

    customer_key: str
    site_key: str
    repeat_level: int
    reports: list[ReportOut]
    notes: list[NoteOut]


class CAOut(msgspec.Struct):
    """A corrective action."""

    id: int
    site_key: str
    state: str
    title: str
    problem: str
    category: str | None
    owner_id: int | None
    due_on: str | None
    root_cause: str | None  # the why-chain's last answer
    report_refs: list[str]
    created_at: datetime
    closed_at: datetime | None
    portal_url: str


class CAIn(msgspec.Struct):
    """A new corrective action at one of your sites, optionally from reports there (an agent's is a proposal)."""

    site_key: str
    title: str
    problem: str = ""
    report_refs: list[str] = []


class CAStateIn(msgspec.Struct):
    """A move; closing before the verification window ends needs `early_close_reason`."""

    state: str
    early_close_reason: str = ""


class LinkIn(msgspec.Struct):
    report_refs: list[str]


class Linked(msgspec.Struct):
    linked: int


def _base(request: Request[Any, Any, Any]) -> str:
    return str(request.app.state.settings.base_url).rstrip("/")


def report_out(request: Request[Any, Any, Any], report: Report) -> ReportOut:
    """The report's JSON."""
    return ReportOut(
        ref=report.ref,
        site_key=report.site.key,
        state=report.state,
        category=report.category,
        description=report.description,
        customer_name=report.customer_name,
        customer_email=report.customer_email,
        customer_key=report.customer_key,
        repeat_level=report.repeat_level,
        clocks=ClocksOut(
            first_response_due_at=report.first_response_due_at,
            first_response_at=report.first_response_at,
            first_response_breached=report.first_response_breached,
            recovery_due_at=report.recovery_due_at,
            recovered_at=report.recovered_at,
            recovery_breached=report.recovery_breached,
        ),
        assignee=report.assignee.email if report.assignee else None,
        ca_id=report.ca_id,
        created_at=report.created_at,
        portal_url=f"{_base(request)}/staff/reports/{report.id}",
    )


async def ca_out(request: Request[Any, Any, Any], db_session: AsyncSession, ca: CorrectiveAction) -> CAOut:
    """The CA's JSON, with the references of its linked reports."""
    linked = await corrective_actions.linked_reports(db_session, ca)
    return CAOut(
        id=ca.id,
        site_key=ca.site.key,
        state=ca.state,
        title=ca.title,
        problem=ca.problem,
        category=ca.category,
        owner_id=ca.owner_id,
        due_on=ca.due_on.isoformat() if ca.due_on else None,
        root_cause=ca.whys[-1] if ca.whys else None,
        report_refs=[r.ref for r in linked],
        created_at=ca.created_at,
        closed_at=ca.closed_at,
        portal_url=f"{_base(request)}/staff/cas/{ca.id}",
    )


def _encode_cursor(cursor: queue.Cursor | None, order: str) -> str | None:
    return base64.urlsafe_b64encode(f"{order}:{cursor.encode()}".encode()).decode() if cursor else None


def _decode_cursor(value: str | None, order: str) -> queue.Cursor | None:
    """The queue cursor inside an opaque one, given for this order; a mangled cursor (or one of the other
    order) is a 400, never a silent first page."""
    if not value:
        return None
    try:
        given, _sep, inner = base64.urlsafe_b64decode(value.encode()).decode().partition(":")
        cursor = queue.Cursor.decode(inner) if given == order else None
    except (binascii.Error, UnicodeError, ValueError):
        cursor = None
    if cursor is None:
        raise ClientException(detail=_("This cursor is not one the API gave."))
    return cursor


def _site(sites: list[Site], key: str | None) -> Site | None:
    return next((s for s in sites if s.key == key), None)


async def _report(db_session: AsyncSession, caller: ApiCaller, ref: str) -> Report:
    return found(await report_by_ref(db_session, caller.site_ids, ref), _(NO_REPORT))


async def _ca(db_session: AsyncSession, caller: ApiCaller, ca_id: int) -> CorrectiveAction:
    return found(await corrective_actions.ca_at_sites(db_session, caller.site_ids, ca_id), _(NO_CA))


@get("/api/v1/reports", responses=api_errors({404: "`site` names no site of yours."}), **OPTIONS)
async def list_reports(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    caller: ApiCaller,
    site: Annotated[str | None, Parameter(description="A site key: only that site's reports.", pattern=NO_NUL)] = None,
    category: Annotated[str | None, Parameter(description="A category slug.", pattern=NO_NUL)] = None,
    state_name: Annotated[
        str | None,
        QueryParameter(name="state", description="new, acknowledged, in_progress, fixed or closed.", pattern=NO_NUL),
    ] = None,
    level: Annotated[int | None, Parameter(ge=1, le=4, description="Repeat level; 4 means 4 and more.")] = None,
    assignee: Annotated[str | None, Parameter(description="`me` or `none`.", pattern=NO_NUL)] = None,
    due: Annotated[
        Literal["overdue", "hour"] | None, Parameter(description="Clocks overdue or due within the hour.")
    ] = None,
    order: Annotated[
        Literal["urgent", "newest"],
        Parameter(
            description="`urgent`: the queue's order (at risk first, then the nearest clock); `newest`: newest first."
        ),
    ] = "urgent",
    cursor: Annotated[str | None, Parameter(description="`next_cursor` of the previous page.", pattern=NO_NUL)] = None,
    limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
) -> ReportPage:
    """Your sites' reports, most urgent first (the queue's order) or newest first, a page at a time."""
    require_scope(caller, "reports:read")
    chosen = found(_site(caller.sites, site), _("No such site.")) if site else None
    filters = queue.QueueFilter(
        site_id=chosen.id if chosen else None,
        category=category or None,
        state=state_name or None,
        level=level,
        assignee={"me": caller.staff.id, "none": 0}.get(assignee or ""),
        due=due,
        after=_decode_cursor(cursor, order),
        newest_first=order == "newest",
    )
    page = await queue.list_reports(db_session, caller.site_ids, filters, limit=limit)
    return ReportPage([report_out(request, r) for r in page.reports], _encode_cursor(page.next_cursor, order))


@get("/api/v1/reports/{ref:str}", responses=api_errors({404: NO_REPORT}), **OPTIONS)
async def get_report(
    request: Request[Any, Any, Any], db_session: AsyncSession, caller: ApiCaller, ref: str
) -> ReportOut:
    """One report."""
    require_scope(caller, "reports:read")
    return report_out(request, await _report(db_session, caller, ref))


@post(
    "/api/v1/reports/{ref:str}/state",
    status_code=200,
    responses=api_errors(
        {**NOT_JSON, 404: NO_REPORT, 409: "The report's state does not allow this move (the detail says why)."}
    ),
    **WRITES,
)
async def move_report(
    request: Request[Any, Any, Any], db_session: AsyncSession, mail: Mail, caller: ApiCaller, ref: str, data: StateIn
) -> ReportOut:
    """Move the report on, as the staff page does (the first move to fixed or closed sends the wrap-up)."""
    require_scope(caller, "reports:write")
    report = await _report(db_session, caller, ref)
    try:
        await conversation.change_state(db_session, report=report, staff=caller.staff, target=data.state, mail=mail)
    except TransitionError as exc:
        raise HTTPException(status_code=HTTP_409_CONFLICT, detail=str(exc)) from exc
    return report_out(request, report)


@post(
    "/api/v1/reports/{ref:str}/updates",
    status_code=201,
    responses=api_errors(
        {
            **NOT_JSON,
            404: NO_REPORT,
            422: "The linter flagged the wording: `extra.findings` lists each (kind, phrase, reason, suggestion). "
            "Rephrase, or send again with `send_anyway` and a `reason`.",
        }
    ),
    **WRITES,
)
async def send_update(db_session: AsyncSession, mail: Mail, caller: ApiCaller, ref: str, data: UpdateIn) -> UpdateOut:
    """Write to the customer (status page and mail), through the same linter as the staff page."""
    require_scope(caller, "reports:write")
    report = await _report(db_session, caller, ref)
    try:
        event = await conversation.send_update(
            db_session,
            report=report,
            staff=caller.staff,
            body=data.text,
            override_reason=data.reason if data.send_anyway else None,
            lexicon=load_lexicon(report.lang or "en"),
            mail=mail,
        )
    except conversation.NeedsReview as exc:
        findings = [
            {"kind": f.kind, "phrase": f.phrase, "reason": f.reason, "suggestion": f.suggestion} for f in exc.findings
        ]
        raise HTTPException(
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
            detail=_("The wording needs another look; send anyway only with a reason."),
            extra={"findings": findings},
        ) from exc
    except ValueError as exc:
        raise ClientException(detail=str(exc)) from exc
    return UpdateOut(id=event.id, created_at=event.created_at)


class EraseIn(msgspec.Struct):
    """Why the customer is erased (kept on the privacy trail); the `reason` query parameter works as well."""

    reason: str | None = None


class ErasedOut(msgspec.Struct):
    """What the erasure removed or emptied, by kind; the privacy trail holds the same counts."""

    site_key: str
    counts: dict[str, int]


CUSTOMER_KEY = Annotated[str, Parameter(description="A report's `customer_key`, URL-encoded.", pattern=NO_NUL)]
CUSTOMER_SITE = Annotated[
    str | None, Parameter(description="A site key, when the customer reported at several.", pattern=NO_NUL)
]
NO_CUSTOMER = "No customer with this key at your sites."


async def _customer(db_session: AsyncSession, caller: ApiCaller, key: str, site: str | None) -> CustomerFile:
    sites = [s for s in caller.sites if s.key == site] if site else caller.sites
    return found(await customer_at_sites(db_session, sites, key) if sites else None, _("No such customer."))


def _customer_out(request: Request[Any, Any, Any], file: CustomerFile) -> CustomerOut:
    return CustomerOut(
        customer_key=file.key,
        site_key=file.site.key,
        repeat_level=int(file.level),
        reports=[report_out(request, r) for r in file.reports],
        notes=[NoteOut(body=n.body, created_at=n.created_at) for n in file.notes],
    )


@get("/api/v1/customers/{key:str}", responses=api_errors({404: NO_CUSTOMER}), **OPTIONS)
async def get_customer(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    caller: ApiCaller,
    key: CUSTOMER_KEY,
    site: CUSTOMER_SITE = None,
) -> CustomerOut:
    """A customer's file: their reports, repeat level and staff notes."""
    require_scope(caller, "reports:read")
    return _customer_out(request, await _customer(db_session, caller, key, site))


@get("/api/v1/customers/{key:str}/export", responses=api_errors({404: NO_CUSTOMER}), **OPTIONS)
async def export_customer(
    db_session: AsyncSession, caller: ApiCaller, key: CUSTOMER_KEY, site: CUSTOMER_SITE = None
) -> dict[str, Any]:
    """Everything the customer told one site (reports, replies, ratings, gestures, events) as JSON; the export
    goes on the site's privacy trail."""
    require_scope(caller, "reports:read")
    file = await _customer(db_session, caller, key, site)
    return await privacy_staff.export_for_staff(db_session, file.site, file.key, staff=caller.staff, actor="api")


@delete(
    "/api/v1/customers/{key:str}",
    status_code=200,
    responses=api_errors({404: NO_CUSTOMER, 400: "No `reason` in the body or the query, or one too long."}),
    **OPTIONS,
)
async def erase_customer(
    db_session: AsyncSession,
    caller: ApiCaller,
    key: CUSTOMER_KEY,
    site: CUSTOMER_SITE = None,
    reason: Annotated[
        str | None, Parameter(description="Why (or send `reason` in a JSON body).", pattern=NO_NUL)
    ] = None,
    data: EraseIn | None = None,
) -> ErasedOut:
    """Erase the customer at one site, as "forget me" does (leads and admins, with a reason): their personal data
    leaves every report, reply, rating, event and pending mail there; counts and trends stay."""
    require_scope(caller, "reports:write")
    file = await _customer(db_session, caller, key, site)
    if caller.staff.role not in ("lead", "admin"):
        raise PermissionDeniedException(detail=_("Only leads and admins erase a customer."))
    why = data.reason if data and data.reason else reason
    try:
        counts = await privacy_staff.erase_for_staff(
            db_session, file.site, file.key, staff=caller.staff, actor="api", reason=why
        )
    except ValueError as exc:
        raise ClientException(detail=str(exc)) from exc
    return ErasedOut(site_key=file.site.key, counts=counts)


@get("/api/v1/cas", **OPTIONS, responses=api_errors())
async def list_cas(request: Request[Any, Any, Any], db_session: AsyncSession, caller: ApiCaller) -> list[CAOut]:
    """Every corrective action at your sites."""
    require_scope(caller, "cas:read")
    cas, _linked, _me_too = await corrective_actions.board(db_session, caller.site_ids)
    return [await ca_out(request, db_session, ca) for ca in cas]


@get("/api/v1/cas/{ca_id:int}", responses=api_errors({404: NO_CA}), **OPTIONS)
async def get_ca(request: Request[Any, Any, Any], db_session: AsyncSession, caller: ApiCaller, ca_id: int) -> CAOut:
    """One corrective action."""
    require_scope(caller, "cas:read")
    return await ca_out(request, db_session, await _ca(db_session, caller, ca_id))


@post(
    "/api/v1/cas",
    status_code=201,
    responses=api_errors(
        {**NOT_JSON, 404: "`site_key` names no site of yours.", 422: "The title is empty or too long."}
    ),
    **WRITES,
)
async def create_ca(request: Request[Any, Any, Any], db_session: AsyncSession, caller: ApiCaller, data: CAIn) -> CAOut:
    """Open a corrective action; a lead or admin owns it, an agent's is a proposal waiting for an owner."""
    require_scope(caller, "cas:write")
    site = found(_site(caller.sites, data.site_key), _("No such site."))
    reports = await queue.reports_by_refs(db_session, site.id, [r.strip().upper() for r in data.report_refs])
    try:
        ca = await corrective_actions.create_ca(
            db_session, site=site, staff=caller.staff, title=data.title, problem=data.problem, reports=reports
        )
    except ValueError as exc:
        raise HTTPException(status_code=HTTP_422_UNPROCESSABLE_ENTITY, detail=str(exc)) from exc
    return await ca_out(request, db_session, ca)


@post(
    "/api/v1/cas/{ca_id:int}/state",
    status_code=200,
    responses=api_errors(
        {
            **NOT_JSON,
            404: NO_CA,
            409: "The CA's state or its missing fields do not allow this move (the detail says what to do).",
        }
    ),
    **WRITES,
)
async def move_ca(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    mail: Mail,
    caller: ApiCaller,
    ca_id: int,
    data: CAStateIn,
) -> CAOut:
    """Move a corrective action on (leads and admins, as on the staff pages)."""
    require_scope(caller, "cas:write")
    ca = await _ca(db_session, caller, ca_id)
    if caller.staff.role not in ("lead", "admin"):
        raise PermissionDeniedException(detail=_("Only leads and admins move corrective actions."))
    if data.state not in CA_STATES:
        raise HTTPException(status_code=HTTP_409_CONFLICT, detail=_("Pick one of the listed states."))
    try:
        await corrective_actions.move(
            db_session, ca, data.state, caller.staff, mail=mail, early_close_reason=data.early_close_reason
        )
    except CATransitionError as exc:
        raise HTTPException(status_code=HTTP_409_CONFLICT, detail=str(exc)) from exc
    return await ca_out(request, db_session, ca)


@post("/api/v1/cas/{ca_id:int}/reports", status_code=200, responses=api_errors({**NOT_JSON, 404: NO_CA}), **WRITES)
async def link_reports(db_session: AsyncSession, mail: Mail, caller: ApiCaller, ca_id: int, data: LinkIn) -> Linked:
    """Link reports of the CA's site to it by reference (unknown references are left out); a report made during
    verification is a recurrence and reopens it."""
    require_scope(caller, "cas:write")
    ca = await _ca(db_session, caller, ca_id)
    reports = await queue.reports_by_refs(db_session, ca.site_id, [r.strip().upper() for r in data.report_refs])
    return Linked(await corrective_actions.link(db_session, ca, reports, caller.staff, mail=mail))


handlers: list[ControllerRouterHandler] = [
    list_reports,
    get_report,
    move_report,
    send_update,
    get_customer,
    export_customer,
    erase_customer,
    list_cas,
    get_ca,
    create_ca,
    move_ca,
    link_reports,
]
