"""Corrective actions: the board, linking reports, suggestions, state changes, verification and closure mail."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.domain.corrective_actions import (
    CAFields,
    CAForm,
    CATransitionError,
    check_transition,
    missing_for,
    page_matches,
)
from portal.domain.intake import EMAIL_RE
from portal.domain.similarity import STRONG_MATCH, Doc, Index, ca_doc, report_doc
from portal.domain.workflow import check_message
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
from portal.services.intake import RATE_WINDOW, RateLimited

OPEN_STATES = ("open", "investigating", "action_planned", "implemented", "verifying", "reopened")
SUGGESTION_WINDOW = timedelta(days=30)  # sibling reports are looked for among the site's recent ones
SUGGESTION_POOL = 500


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
    linked = dict(
        (
            await session.execute(
                select(Report.ca_id, func.count()).where(Report.ca_id.in_(ids)).group_by(Report.ca_id)
            )
        ).all()
    )
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
    """Open a CA; a lead or admin owns what they open, an agent's is a proposal waiting for an owner."""
    title = " ".join((title or "").split())
    if not title or len(title) > 200:
        raise ValueError("Give the corrective action a title of at most 200 characters.")
    ca = CorrectiveAction(
        site_id=site.id,
        title=title,
        problem=(problem or "").strip()[:4000],
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
            body=None if ca.owner_id else "Proposed; a lead will take it on.",
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
        raise CATransitionError(f"A CA that is {ca.state.replace('_', ' ')} needs {', '.join(missing)}.")
    changed = [name for name, value in changes.items() if getattr(ca, name) != value]
    for name in changed:
        setattr(ca, name, changes[name])
    if changed:
        session.add(
            CAEvent(
                ca_id=ca.id,
                kind="edit",
                staff_id=staff.id,
                body="Changed: " + ", ".join(n.replace("_", " ") for n in changed),
            )
        )
    await session.commit()


async def move(
    session: AsyncSession,
    ca: CorrectiveAction,
    target: str,
    staff: Staff | None,
    *,
    mail: Mail,
    early_close_reason: str = "",
    note: str | None = None,
    now: datetime | None = None,
) -> None:
    """Move a CA on. Implemented starts verification at once; closing unpublishes it and mails everyone who told us."""
    now = now or utcnow()
    check_transition(fields_of(ca), target, now=now, early_close_reason=early_close_reason)
    _record(
        session,
        ca,
        target,
        staff,
        note
        or (f"Closed before the window ended: {early_close_reason.strip()}" if early_close_reason.strip() else None),
        now,
    )
    if target == "implemented":
        ca.verification_started_at = ca.verified_through = now
        ca.verification_ends_at = now + timedelta(days=ca.verification_days)
        _record(session, ca, "verifying", None, f"Watching new reports until {ca.verification_ends_at:%d %b %Y}.", now)
    elif target == "closed":
        ca.closed_at, ca.public = now, False
        await _send_closure_mail(session, ca, mail=mail)
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
    if recurring:
        await _reopen(
            session,
            ca,
            recurring[0],
            f"Report {recurring[0].ref} was linked during verification: the failure recurred.",
            mail=mail,
        )
    await session.commit()
    return len(newly)


async def unlink(session: AsyncSession, ca: CorrectiveAction, report: Report, staff: Staff) -> None:
    """Take a report off the CA (linked by mistake)."""
    if report.ca_id == ca.id:
        report.ca_id = None
        session.add(CAEvent(ca_id=ca.id, kind="unlink", staff_id=staff.id, report_id=report.id, body=report.ref))
    await session.commit()


async def _reopen(session: AsyncSession, ca: CorrectiveAction, evidence: Report, why: str, *, mail: Mail) -> None:
    """Reopen with the evidence on the timeline, and tell the owner."""
    now = utcnow()
    _record(session, ca, "reopened", None, why, now)
    session.add(
        CAEvent(ca_id=ca.id, kind="recurrence", report_id=evidence.id, body=evidence.description[:500], created_at=now)
    )
    ca.verification_started_at = ca.verification_ends_at = None
    if ca.owner:
        mail.ca_reopened(session, ca, evidence=evidence, why=why)


_DOC_COLUMNS = (Report.id, Report.description, Report.category, Report.page_url, Report.location)


async def _site_docs(session: AsyncSession, site_id: int, since: datetime, *, unlinked_only: bool = False) -> list[Doc]:
    """The site's recent reports as Docs, read as plain columns (hundreds of rows on every report page)."""
    query = select(*_DOC_COLUMNS).where(Report.site_id == site_id, Report.created_at >= since)
    if unlinked_only:
        query = query.where(Report.ca_id.is_(None))
    rows = (await session.execute(query.order_by(Report.created_at.desc()).limit(SUGGESTION_POOL))).all()
    return [report_doc(*row) for row in rows]


async def _ca_docs(session: AsyncSession, cas: Sequence[CorrectiveAction]) -> list[Doc]:
    by_ca: dict[int, list[Doc]] = defaultdict(list)
    rows = (
        await session.execute(
            select(Report.ca_id, *_DOC_COLUMNS)
            .where(Report.ca_id.in_([c.id for c in cas]))
            .order_by(Report.id.desc())
            .limit(5000)
        )
    ).all()
    for ca_id, *columns in rows:
        by_ca[ca_id].append(report_doc(*columns))
    return [ca_doc(c.id, c.title, c.problem, c.category, by_ca[c.id]) for c in cas]


async def _with_reports(session: AsyncSession, ranked: list[tuple[Doc, float]]) -> list[tuple[Report, float]]:
    """The ranked reports themselves, in rank order."""
    found = {
        r.id: r for r in (await session.scalars(select(Report).where(Report.id.in_([d.key for d, _ in ranked])))).all()
    }
    return [(found[d.key], score) for d, score in ranked if d.key in found]  # type: ignore[index]


@dataclass(frozen=True)
class ReportSuggestions:
    """Where a report most likely belongs: open CAs and sibling reports, best first, with scores."""

    cas: list[tuple[CorrectiveAction, float]]
    siblings: list[tuple[Report, float]]


async def suggest_for_report(session: AsyncSession, report: Report, k: int = 3) -> ReportSuggestions:
    """The open CAs and recent sibling reports most like this one."""
    query = report_doc(report.id, report.description, report.category, report.page_url, report.location)
    cas = [c for c in await open_cas(session, [report.site_id]) if c.id != report.ca_id]
    by_id = {c.id: c for c in cas}
    ca_ranked = Index(await _ca_docs(session, cas)).rank(query, k=k) if cas else []
    pool = await _site_docs(session, report.site_id, report.created_at - SUGGESTION_WINDOW)
    siblings = Index(pool).rank(query, k=k, exclude=[report.id]) if pool else []
    return ReportSuggestions(
        cas=[(by_id[d.key], s) for d, s in ca_ranked], siblings=await _with_reports(session, siblings)
    )  # type: ignore[index]


async def suggest_for_ca(session: AsyncSession, ca: CorrectiveAction, k: int = 10) -> list[tuple[Report, float]]:
    """Recent unlinked reports at the CA's site that most look like it."""
    [doc] = await _ca_docs(session, [ca])
    pool = await _site_docs(session, ca.site_id, utcnow() - SUGGESTION_WINDOW, unlinked_only=True)
    return await _with_reports(session, Index(pool).rank(doc, k=k)) if pool else []


async def add_suggestion(session: AsyncSession, ca: CorrectiveAction, staff: Staff, body: str) -> None:
    """A field-suggested action from staff."""
    session.add(CASuggestion(ca_id=ca.id, source="staff", body=check_message(body), staff_id=staff.id))
    await session.commit()


async def accept_suggestion(session: AsyncSession, ca: CorrectiveAction, suggestion_id: int, staff: Staff) -> None:
    """Take a suggestion into the CA's preventive plan (once)."""
    suggestion = await session.get(CASuggestion, suggestion_id)
    if suggestion is None or suggestion.ca_id != ca.id:
        raise ValueError("No such suggestion on this CA.")
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
    reports = [r for r in await linked_reports(session, ca) if r.customer_email]
    subscribers = (await session.scalars(select(MeToo).where(MeToo.ca_id == ca.id))).all()
    unsubscribed = set(
        (await session.scalars(select(Unsubscribe.email).where(Unsubscribe.site_id == ca.site_id))).all()
    )
    told: dict[str, dict[str, list]] = defaultdict(lambda: {"reports": [], "me_too": []})
    for report in reports:
        told[report.customer_email.lower()]["reports"].append(report)  # type: ignore[union-attr]
    for subscriber in subscribers:
        told[subscriber.email.lower()]["me_too"].append(subscriber)
    for email, what in told.items():
        if email in unsubscribed:
            continue
        mail.closure(session, ca, email=email, reports=list(reversed(what["reports"])), me_too=what["me_too"])


async def verify(sessionmaker: async_sessionmaker, *, mail: Mail, now: datetime | None = None) -> int:
    """Watch verifying CAs: a new linked or strongly similar report reopens one. Returns how many reopened."""
    now = now or utcnow()
    reopened = 0
    async with sessionmaker() as session:
        verifying = (await session.scalars(select(CorrectiveAction).where(CorrectiveAction.state == "verifying"))).all()
        for ca in verifying:
            since = ca.verified_through or ca.verification_started_at or now
            fresh = (
                await session.scalars(
                    select(Report)
                    .where(Report.site_id == ca.site_id, Report.created_at > since, Report.created_at <= now)
                    .order_by(Report.created_at)
                )
            ).all()
            ca.verified_through = now
            if not fresh:
                continue
            evidence, why = next(
                (
                    (r, f"Report {r.ref} was linked during verification: the failure recurred.")
                    for r in fresh
                    if r.ca_id == ca.id
                ),
                (None, ""),
            )
            if evidence is None:
                [doc] = await _ca_docs(session, [ca])
                index = Index([doc])
                for report in fresh:
                    if report.ca_id is not None:
                        continue
                    [(_, score)] = index.rank(
                        report_doc(report.id, report.description, report.category, report.page_url, report.location),
                        k=1,
                    )
                    if score >= STRONG_MATCH:
                        evidence, why = (
                            report,
                            f"Report {report.ref} looks like the same failure (similarity {score:.2f}) during verification.",
                        )
                        break
            if evidence is not None:
                await _reopen(session, ca, evidence, why, mail=mail)
                reopened += 1
        await session.commit()
    return reopened


async def known_issues(session: AsyncSession, site: Site, page_url: str | None) -> list[CorrectiveAction]:
    """The site's published known issues that cover this page, newest first."""
    cas = (
        await session.scalars(
            select(CorrectiveAction)
            .where(CorrectiveAction.site_id == site.id, CorrectiveAction.public, CorrectiveAction.state != "closed")
            .order_by(CorrectiveAction.id.desc())
        )
    ).all()
    return [c for c in cas if page_matches(c.page_pattern, page_url)]


async def me_too(
    session: AsyncSession,
    site: Site,
    ca_id: int,
    email: str,
    *,
    client: str,
    per_minute: int,
    now: datetime | None = None,
) -> CorrectiveAction:
    """Subscribe an address to hear when a published known issue is fixed (once per address; a flood waits, as on intake)."""
    now = now or utcnow()
    ca = await session.get(CorrectiveAction, ca_id)
    if ca is None or ca.site_id != site.id or not ca.public or ca.state == "closed":
        raise LookupError("That issue is no longer listed.")
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 320:
        raise ValueError("Give us an email address (name@example.com) so we can tell you when it's fixed.")
    recent, oldest = (
        await session.execute(
            select(func.count(), func.min(MeToo.created_at)).where(
                MeToo.client_hash == client, MeToo.created_at >= now - RATE_WINDOW
            )
        )
    ).one()
    if recent >= per_minute:
        raise RateLimited(max(1, math.ceil((oldest + RATE_WINDOW - now).total_seconds())))
    exists = await session.scalar(select(MeToo.id).where(MeToo.ca_id == ca.id, MeToo.email == email))
    if not exists:
        session.add(MeToo(ca_id=ca.id, email=email, client_hash=client, created_at=now))
        await session.commit()
    return ca


async def unsubscribe(session: AsyncSession, site_id: int, email: str) -> None:
    """No more closure mail from this site to this address."""
    exists = await session.scalar(
        select(Unsubscribe.id).where(Unsubscribe.site_id == site_id, Unsubscribe.email == email)
    )
    if not exists:
        session.add(Unsubscribe(site_id=site_id, email=email))
        await session.commit()


async def closure_for_report(session: AsyncSession, report: Report) -> CorrectiveAction | None:
    """The closed CA a report led to, for the customer's status page."""
    if report.ca_id is None:
        return None
    return await session.scalar(
        select(CorrectiveAction).where(CorrectiveAction.id == report.ca_id, CorrectiveAction.state == "closed")
    )
