"""Corrective actions: the board, linking reports, suggestions, state changes, verification and closure mail."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.domain.corrective_actions import (
    STATE_LABELS,
    CAFields,
    CAForm,
    CATransitionError,
    check_transition,
    missing_for,
    problem_from_reports,
)
from portal.domain.similarity import STRONG_MATCH, Doc, Index, ca_doc, report_doc
from portal.domain.workflow import check_message
from portal.i18n import N_, format_day, use_locale
from portal.i18n import gettext as _
from portal.mail import Mail
from portal.models import (
    CAEvent,
    CASuggestion,
    CorrectiveAction,
    MeToo,
    Report,
    Site,
    Staff,
    Unsubscribe,
    utcnow,
)
from portal.services.webhooks import emit_ca_moved

OPEN_STATES = ("open", "investigating", "action_planned", "implemented", "verifying", "reopened")
SUGGESTION_WINDOW = timedelta(days=30)  # sibling reports are looked for among the site's recent ones
SUGGESTION_POOL = 500
# Why a verifying CA reopened: on its timeline, and in the mail to its owner.
RECURRED = N_("Report %(ref)s was linked during verification: the failure recurred.")
LOOKS_ALIKE = N_("Report %(ref)s looks like the same failure (similarity %(score)s) during verification.")
# The CA's fields as the timeline names them when a lead edits them.
FIELD_NAMES = {
    "title": N_("title"),
    "problem": N_("problem"),
    "category": N_("category"),
    "severity": N_("severity"),
    "within_control": N_("within control"),
    "owner_id": N_("owner id"),
    "due_on": N_("due on"),
    "containment": N_("containment"),
    "whys": N_("whys"),
    "corrective_action": N_("corrective action"),
    "preventive_action": N_("preventive action"),
    "verification_days": N_("verification days"),
    "closure_summary": N_("closure summary"),
    "public": N_("public"),
    "public_wording": N_("public wording"),
    "page_pattern": N_("page pattern"),
}


def fields_of(ca: CorrectiveAction) -> CAFields:
    """What the state rules look at."""
    return CAFields(
        state=ca.state,
        problem=ca.problem,
        owner_id=ca.owner_id,
        whys=tuple(ca.whys or ()),
        corrective_action=ca.corrective_action,
        preventive_action=ca.preventive_action,
        closure_summary=ca.closure_summary,
        verification_ends_at=ca.verification_ends_at,
    )


async def board(
    session: AsyncSession, site_ids: Sequence[int]
) -> tuple[list[CorrectiveAction], dict[int, int], dict[int, int]]:
    """Every CA at these sites, with linked-report and "me too" counts per CA."""
    cas = list(
        (
            await session.scalars(
                select(CorrectiveAction)
                .where(CorrectiveAction.site_id.in_(site_ids))
                .order_by(CorrectiveAction.due_on.is_(None), CorrectiveAction.due_on, CorrectiveAction.id)
            )
        ).all()
    )
    ids = [c.id for c in cas]
    linked = {
        ca_id: n
        for ca_id, n in await session.execute(
            select(Report.ca_id, func.count()).where(Report.ca_id.in_(ids)).group_by(Report.ca_id)
        )
        if ca_id is not None  # the IN already leaves out unlinked reports; this tells the type checker
    }
    me_too = dict(
        (
            await session.execute(select(MeToo.ca_id, func.count()).where(MeToo.ca_id.in_(ids)).group_by(MeToo.ca_id))
        ).all()
    )
    return cas, linked, me_too


async def me_too_count(session: AsyncSession, ca: CorrectiveAction) -> int:
    """How many customers pressed "me too" on the known issue."""
    return await session.scalar(select(func.count()).where(MeToo.ca_id == ca.id)) or 0


async def ca_at_sites(session: AsyncSession, site_ids: Sequence[int], ca_id: int) -> CorrectiveAction | None:
    """A CA, if it belongs to one of these sites."""
    return await session.scalar(
        select(CorrectiveAction).where(CorrectiveAction.id == ca_id, CorrectiveAction.site_id.in_(site_ids))
    )


async def open_cas(session: AsyncSession, site_ids: Sequence[int]) -> list[CorrectiveAction]:
    """These sites' CAs not yet closed."""
    return list(
        (
            await session.scalars(
                select(CorrectiveAction)
                .where(CorrectiveAction.site_id.in_(site_ids), CorrectiveAction.state.in_(OPEN_STATES))
                .order_by(CorrectiveAction.id)
            )
        ).all()
    )


async def linked_reports(session: AsyncSession, ca: CorrectiveAction) -> list[Report]:
    """The reports linked to the CA, newest first."""
    return list(
        (await session.scalars(select(Report).where(Report.ca_id == ca.id).order_by(Report.created_at.desc()))).all()
    )


async def timeline(session: AsyncSession, ca: CorrectiveAction) -> list[CAEvent]:
    """The CA's events, oldest first."""
    return list((await session.scalars(select(CAEvent).where(CAEvent.ca_id == ca.id).order_by(CAEvent.id))).all())


async def suggestions(session: AsyncSession, ca: CorrectiveAction) -> list[CASuggestion]:
    """Ideas from customers and staff attached to the CA."""
    return list(
        (await session.scalars(select(CASuggestion).where(CASuggestion.ca_id == ca.id).order_by(CASuggestion.id))).all()
    )


async def create_ca(
    session: AsyncSession,
    *,
    site: Site,
    staff: Staff,
    title: str,
    problem: str = "",
    category: str | None = None,
    reports: Sequence[Report] = (),
) -> CorrectiveAction:
    """Open a CA; a lead or admin owns what they open, an agent's is a proposal waiting for an owner.
    Without a problem statement, the reports' own words (quoted, with their references) start one."""
    title = " ".join((title or "").split())
    if not title or len(title) > 200:
        raise ValueError(_("Give the corrective action a title of at most 200 characters."))
    ca = CorrectiveAction(
        site_id=site.id,
        title=title,
        problem=(problem or "").strip()[:4000]
        or problem_from_reports([(r.ref, r.description) for r in reports if r.site_id == site.id]),
        category=category,
        state="open",
        owner_id=staff.id if staff.role in ("lead", "admin") else None,
        proposed_by_id=staff.id,
        whys=[],
    )
    session.add(ca)
    await session.flush()
    session.add(
        CAEvent(
            ca_id=ca.id,
            kind="state",
            staff_id=staff.id,
            to_state="open",
            body=None if ca.owner_id else _("Proposed; a lead will take it on."),
        )
    )
    await _link(session, ca, reports, staff)
    await session.commit()
    return ca


async def update_ca(session: AsyncSession, ca: CorrectiveAction, form: CAForm, staff: Staff) -> None:
    """Save a lead's edits; a CA in a state keeps what that state needs."""
    if form.errors:
        raise CATransitionError("; ".join(form.errors.values()))
    changes = {
        "title": form.title,
        "problem": form.problem,
        "category": form.category,
        "severity": form.severity,
        "within_control": form.within_control,
        "owner_id": form.owner_id,
        "due_on": form.due_on,
        "containment": form.containment,
        "whys": list(form.whys),
        "corrective_action": form.corrective_action,
        "preventive_action": form.preventive_action,
        "verification_days": form.verification_days,
        "closure_summary": form.closure_summary,
        "public": form.public and ca.state != "closed",
        "public_wording": form.public_wording,
        "page_pattern": form.page_pattern,
    }
    edited = CAFields(
        state=ca.state,
        problem=form.problem,
        owner_id=form.owner_id,
        whys=form.whys,
        corrective_action=form.corrective_action,
        preventive_action=form.preventive_action,
        closure_summary=form.closure_summary,
    )
    missing = missing_for(ca.state if ca.state != "reopened" else "open", edited)
    if missing:
        raise CATransitionError(
            _(
                "A CA that is “%(state)s” needs %(missing)s.",
                state=_(STATE_LABELS.get(ca.state, ca.state)),
                missing=", ".join(missing),
            )
        )
    _apply(session, ca, changes, staff)
    await session.commit()


def _apply(session: AsyncSession, ca: CorrectiveAction, changes: Mapping[str, object], staff: Staff | None) -> None:
    """Write the fields that differ, and name them on the timeline."""
    changed = [name for name, value in changes.items() if getattr(ca, name) != value]
    for name in changed:
        setattr(ca, name, changes[name])
    if changed:
        session.add(
            CAEvent(
                ca_id=ca.id,
                kind="edit",
                staff_id=staff.id if staff else None,
                body=_("Changed: %(fields)s", fields=", ".join(_(FIELD_NAMES.get(n, n)) for n in changed)),
            )
        )


async def move(
    session: AsyncSession,
    ca: CorrectiveAction,
    target: str,
    staff: Staff | None,
    *,
    mail: Mail,
    early_close_reason: str = "",
    edits: Mapping[str, object] | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> None:
    """Move a CA on. Implemented starts verification at once; closing unpublishes it and mails everyone who told us.

    `edits` (from `move_edits`) fill in what the target needs first, and are saved even when the move is
    still refused, so what the lead typed into the move is kept.
    """
    now = now or utcnow()
    _apply(session, ca, edits or {}, staff)
    try:
        check_transition(fields_of(ca), target, now=now, early_close_reason=early_close_reason)
    except CATransitionError:
        await session.commit()
        raise
    previous = ca.state
    _record(
        session,
        ca,
        target,
        staff,
        note
        or (
            _("Closed before the window ended: %(reason)s", reason=early_close_reason.strip())
            if early_close_reason.strip()
            else None
        ),
        now,
    )
    if target == "implemented":
        ca.verification_started_at = ca.verified_through = now
        ca.verification_ends_at = now + timedelta(days=ca.verification_days)
        watching = _("Watching new reports until %(day)s.", day=format_day(ca.verification_ends_at, None, "medium"))
        _record(session, ca, "verifying", None, watching, now)
    elif target == "closed":
        ca.closed_at, ca.public = now, False
        await _send_closure_mail(session, ca, mail=mail)
    await emit_ca_moved(session, ca, previous, base_url=mail.base_url)
    await session.commit()


def _record(
    session: AsyncSession, ca: CorrectiveAction, target: str, staff: Staff | None, body: str | None, now: datetime
) -> None:
    session.add(
        CAEvent(
            ca_id=ca.id,
            kind="state",
            staff_id=staff.id if staff else None,
            from_state=ca.state,
            to_state=target,
            body=body,
            created_at=now,
        )
    )
    ca.state = target


async def _link(
    session: AsyncSession, ca: CorrectiveAction, reports: Sequence[Report], staff: Staff | None
) -> list[Report]:
    """Link reports of the CA's site to it; each customer's own prevention idea is attached as a suggestion."""
    newly = [r for r in reports if r.site_id == ca.site_id and r.ca_id != ca.id]
    for report in newly:
        report.ca_id = ca.id
        session.add(
            CAEvent(
                ca_id=ca.id, kind="link", staff_id=staff.id if staff else None, report_id=report.id, body=report.ref
            )
        )
        if report.suggestion:
            session.add(CASuggestion(ca_id=ca.id, source="customer", body=report.suggestion, report_id=report.id))
    return newly


async def link(
    session: AsyncSession,
    ca: CorrectiveAction,
    reports: Sequence[Report],
    staff: Staff,
    *,
    mail: Mail,
) -> int:
    """Link reports to the CA; a report made during verification is a recurrence and reopens it."""
    newly = await _link(session, ca, reports, staff)
    recurring = [
        r
        for r in newly
        if ca.state == "verifying" and ca.verification_started_at and r.created_at >= ca.verification_started_at
    ]
    if recurring:  # unless the worker's verification reopened it first: the link stands either way
        await _reopen(session, ca, recurring[0], RECURRED, {"ref": recurring[0].ref}, mail=mail)
    await session.commit()
    return len(newly)


async def unlink(session: AsyncSession, ca: CorrectiveAction, report: Report, staff: Staff) -> None:
    """Take a report off the CA (linked by mistake)."""
    if report.ca_id == ca.id:
        report.ca_id = None
        session.add(CAEvent(ca_id=ca.id, kind="unlink", staff_id=staff.id, report_id=report.id, body=report.ref))
    await session.commit()


async def _reopen(
    session: AsyncSession, ca: CorrectiveAction, evidence: Report, why: str, values: dict[str, str], *, mail: Mail
) -> bool:
    """Reopen with the evidence on the timeline, and tell the owner in their language (`why` is an N_ message).
    False, and nothing written, when the CA left verification meanwhile: a staff member linking a recurring
    report and the worker spotting it may both try, and only the first reopens it (one event, one mail)."""
    claimed = await session.execute(
        update(CorrectiveAction)
        .where(CorrectiveAction.id == ca.id, CorrectiveAction.state == "verifying")
        .values(state="reopened")
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's Result is a CursorResult (sqlalchemy#12913)
        return False
    now, previous = utcnow(), ca.state
    _record(session, ca, "reopened", None, _(why, **values), now)
    await emit_ca_moved(session, ca, previous, base_url=mail.base_url)
    session.add(
        CAEvent(ca_id=ca.id, kind="recurrence", report_id=evidence.id, body=evidence.description[:500], created_at=now)
    )
    ca.verification_started_at = ca.verification_ends_at = None
    if ca.owner:
        with use_locale(ca.owner.language):
            owner_why = _(why, **values)
        mail.ca_reopened(session, ca, evidence=evidence, why=owner_why)
    return True


_DOC_COLUMNS = (Report.id, Report.description, Report.category, Report.page_url, Report.location)


def _report_doc(report: Report) -> Doc[int]:
    return report_doc(report.id, report.description, report.category, report.page_url, report.location)


async def _site_docs(
    session: AsyncSession, site_id: int, since: datetime, *, unlinked_only: bool = False
) -> list[Doc[int]]:
    """The site's recent reports as Docs, read as plain columns (hundreds of rows on every report page)."""
    query = select(*_DOC_COLUMNS).where(Report.site_id == site_id, Report.created_at >= since)
    if unlinked_only:
        query = query.where(Report.ca_id.is_(None))
    rows = (await session.execute(query.order_by(Report.created_at.desc()).limit(SUGGESTION_POOL))).all()
    return [report_doc(*row) for row in rows]


async def _ca_docs(session: AsyncSession, cas: Sequence[CorrectiveAction]) -> list[Doc[int]]:
    by_ca: dict[int | None, list[Doc[int]]] = defaultdict(list)
    rows = (
        await session.execute(
            select(Report.ca_id, *_DOC_COLUMNS)
            .where(Report.ca_id.in_([c.id for c in cas]))
            .order_by(Report.id.desc())
            .limit(5000)
        )
    ).all()
    for ca_id, report_id, description, category, page_url, location in rows:
        by_ca[ca_id].append(report_doc(report_id, description, category, page_url, location))
    return [ca_doc(c.id, c.title, c.problem, c.category, by_ca[c.id]) for c in cas]


async def _with_reports(session: AsyncSession, ranked: list[tuple[Doc[int], float]]) -> list[tuple[Report, float]]:
    """The ranked reports themselves, in rank order."""
    found = {
        r.id: r for r in (await session.scalars(select(Report).where(Report.id.in_([d.key for d, _ in ranked])))).all()
    }
    return [(found[d.key], score) for d, score in ranked if d.key in found]


@dataclass(frozen=True)
class ReportSuggestions:
    """Where a report most likely belongs: open CAs and sibling reports, best first, with scores."""

    cas: list[tuple[CorrectiveAction, float]]
    siblings: list[tuple[Report, float]]


async def _ca_index(
    session: AsyncSession, site_id: int, *, also: CorrectiveAction | None = None
) -> tuple[Index[int], dict[int, CorrectiveAction]]:
    """The site's open CAs (and `also`) as one index, with the CAs by id. Every report-to-CA score is
    asked of this index with the report as the query, so a pair scores the same on the report page,
    on the CA page and in verification (term weights, and so scores, depend on the index)."""
    cas = await open_cas(session, [site_id])
    if also is not None and also not in cas:
        cas.append(also)
    return Index(await _ca_docs(session, cas)), {c.id: c for c in cas}


async def suggest_for_report(session: AsyncSession, report: Report, k: int = 3) -> ReportSuggestions:
    """The open CAs and recent sibling reports most like this one."""
    query = _report_doc(report)
    index, by_id = await _ca_index(session, report.site_id)
    ca_ranked = index.rank(query, k=k, exclude=[report.ca_id]) if index.docs else []
    pool = await _site_docs(session, report.site_id, report.created_at - SUGGESTION_WINDOW)
    siblings = Index(pool).rank(query, k=k, exclude=[report.id]) if pool else []
    return ReportSuggestions(
        cas=[(by_id[d.key], s) for d, s in ca_ranked], siblings=await _with_reports(session, siblings)
    )


async def suggest_for_ca(session: AsyncSession, ca: CorrectiveAction, k: int = 10) -> list[tuple[Report, float]]:
    """Recent unlinked reports at the CA's site that most look like it."""
    index, _cas = await _ca_index(session, ca.site_id, also=ca)
    pool = await _site_docs(session, ca.site_id, utcnow() - SUGGESTION_WINDOW, unlinked_only=True)
    ranked = sorted(((d, index.score(d, ca.id)) for d in pool), key=lambda pair: -pair[1])[:k]
    return await _with_reports(session, ranked)


async def add_suggestion(session: AsyncSession, ca: CorrectiveAction, staff: Staff, body: str) -> None:
    """A field-suggested action from staff."""
    session.add(CASuggestion(ca_id=ca.id, source="staff", body=check_message(body), staff_id=staff.id))
    await session.commit()


async def accept_suggestion(session: AsyncSession, ca: CorrectiveAction, suggestion_id: int, staff: Staff) -> None:
    """Take a suggestion into the CA's preventive plan (once)."""
    suggestion = await session.get(CASuggestion, suggestion_id)
    if suggestion is None or suggestion.ca_id != ca.id:
        raise ValueError(_("No such suggestion on this CA."))
    if suggestion.accepted_at is None:
        suggestion.accepted_at = utcnow()
        ca.preventive_action = "\n".join(filter(None, [ca.preventive_action.strip(), f"- {suggestion.body}"]))
        session.add(CAEvent(ca_id=ca.id, kind="suggestion", staff_id=staff.id, body=suggestion.body[:500]))
    await session.commit()


async def weekly_trend(
    session: AsyncSession, ca: CorrectiveAction, weeks: int = 8, now: datetime | None = None
) -> list[tuple[datetime, int]]:
    """Linked reports per week over the last `weeks` weeks, oldest first."""
    now = now or utcnow()
    start = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
        weeks=weeks - 1
    )
    created = (
        await session.scalars(select(Report.created_at).where(Report.ca_id == ca.id, Report.created_at >= start))
    ).all()
    counts = [0] * weeks
    for at in created:
        counts[min((at - start).days // 7, weeks - 1)] += 1
    return [(start + timedelta(weeks=i), n) for i, n in enumerate(counts)]


async def _send_closure_mail(session: AsyncSession, ca: CorrectiveAction, *, mail: Mail) -> None:
    """One mail per person who told us (reporters by their reports, "me too" subscribers), skipping those who unsubscribed."""
    reports = await linked_reports(session, ca)
    subscribers = (await session.scalars(select(MeToo).where(MeToo.ca_id == ca.id))).all()
    unsubscribed = set(
        (await session.scalars(select(Unsubscribe.email).where(Unsubscribe.site_id == ca.site_id))).all()
    )
    told: dict[str, tuple[list[Report], list[MeToo]]] = defaultdict(lambda: ([], []))  # email: (reports, me too)
    for report in reports:
        if report.customer_email:
            told[report.customer_email.lower()][0].append(report)
    for subscriber in subscribers:
        told[subscriber.email.lower()][1].append(subscriber)
    for email, (their_reports, their_me_too) in told.items():
        if email in unsubscribed:
            continue
        mail.closure(session, ca, email=email, reports=list(reversed(their_reports)), me_too=their_me_too)


async def _claim_window(session: AsyncSession, ca: CorrectiveAction, now: datetime) -> bool:
    """Move the CA's verified-through mark to `now` if no other worker moved it since it was read;
    only the worker that moved it looks at the reports in between."""
    claimed = await session.execute(
        update(CorrectiveAction)
        .where(
            CorrectiveAction.id == ca.id,
            CorrectiveAction.state == "verifying",
            CorrectiveAction.verified_through.is_not_distinct_from(ca.verified_through),
        )
        .values(verified_through=now)
        .execution_options(synchronize_session="fetch")
    )
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]  # an UPDATE's Result is a CursorResult (sqlalchemy#12913)


async def verify(sessionmaker: async_sessionmaker[AsyncSession], *, mail: Mail, now: datetime | None = None) -> int:
    """Watch verifying CAs: a new linked or strongly similar report reopens one. Returns how many reopened.

    Each CA's window is claimed and looked at in its own transaction, so two workers never both reopen it.
    """
    now = now or utcnow()
    reopened = 0
    async with sessionmaker() as session:
        verifying = (await session.scalars(select(CorrectiveAction).where(CorrectiveAction.state == "verifying"))).all()
        for ca in verifying:
            since = ca.verified_through or ca.verification_started_at or now
            if not await _claim_window(session, ca, now):
                await session.commit()  # another worker took this window; nothing was written
                continue
            fresh = (
                await session.scalars(
                    select(Report)
                    .where(Report.site_id == ca.site_id, Report.created_at > since, Report.created_at <= now)
                    .order_by(Report.created_at)
                )
            ).all()
            evidence: Report | None = next((r for r in fresh if r.ca_id == ca.id), None)
            why = RECURRED
            values = {"ref": evidence.ref} if evidence else {}
            if evidence is None:
                index, _cas = await _ca_index(session, ca.site_id)
                for report in fresh:
                    if report.ca_id is not None:
                        continue
                    score = index.score(_report_doc(report), ca.id)
                    if score >= STRONG_MATCH:
                        evidence = report
                        why, values = LOOKS_ALIKE, {"ref": report.ref, "score": f"{score:.0%}"}
                        break
            if evidence is not None and await _reopen(session, ca, evidence, why, values, mail=mail):
                reopened += 1
            await session.commit()
    return reopened
