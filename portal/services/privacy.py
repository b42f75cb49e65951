"""A customer's data: a copy for them, erasure on request, and anonymisation once it is older than the site keeps it.

Erasure and retention remove the same things from a report (portal/domain/privacy.py) and keep the counts that
trends, hotspots, monthly results and CA verification read. Every export and erasure, and each retention pass,
leaves a PrivacyAudit row that names the customer only by a keyed hash.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.domain.privacy import (
    anonymised_fields,
    customer_hash,
    erasure_marker,
    retention_cutoff,
    retention_marker,
    scrub,
)
from portal.i18n import use_locale
from portal.models import (
    CAEvent,
    CASuggestion,
    CorrectiveAction,
    CustomerEvent,
    CustomerNote,
    CustomerProfile,
    GestureGrant,
    MeToo,
    OutboxMail,
    PrivacyAudit,
    Rating,
    Report,
    ReportEvent,
    Site,
    Staff,
    Task,
    Unsubscribe,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)

BATCH = 500  # reports anonymised per commit by the retention pass
HIDDEN_KINDS = ("breach", "assign", "task")  # timeline entries the customer never sees


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _email_of(key: str) -> str | None:
    return key.split(":", 1)[1] if key.startswith("email:") else None


async def _reports_of(session: AsyncSession, site: Site, key: str) -> list[Report]:
    query = select(Report).where(Report.site_id == site.id, Report.customer_key == key).order_by(Report.id)
    return list((await session.scalars(query)).all())


async def _me_too_of(session: AsyncSession, site: Site, email: str | None) -> list[MeToo]:
    if not email:
        return []
    cas = select(CorrectiveAction.id).where(CorrectiveAction.site_id == site.id)
    query = select(MeToo).where(MeToo.ca_id.in_(cas), func.lower(MeToo.email) == email.lower()).order_by(MeToo.id)
    return list((await session.scalars(query)).all())


async def export_customer(session: AsyncSession, site: Site, key: str) -> dict[str, Any]:
    """Everything this customer told this site, and what we answered, as JSON-ready data (commits nothing)."""
    return await _export(session, site, await _reports_of(session, site, key), key)


async def export_report(session: AsyncSession, report: Report) -> dict[str, Any]:
    """What the customer told us in this one report (one that names no customer), shaped as export_customer's."""
    return await _export(session, report.site, [report], None)


async def _export(session: AsyncSession, site: Site, reports: Sequence[Report], key: str | None) -> dict[str, Any]:
    ids = [r.id for r in reports]
    events: dict[int, list[ReportEvent]] = {i: [] for i in ids}
    ratings: dict[int, Rating] = {}
    grants: dict[int, GestureGrant] = {}
    if ids:
        for event in await session.scalars(
            select(ReportEvent)
            .where(ReportEvent.report_id.in_(ids), ReportEvent.kind.not_in(HIDDEN_KINDS))
            .order_by(ReportEvent.id)
        ):
            events[event.report_id].append(event)
        ratings = {r.report_id: r for r in await session.scalars(select(Rating).where(Rating.report_id.in_(ids)))}
        grants = {
            g.report_id: g
            for g in await session.scalars(
                select(GestureGrant).where(
                    GestureGrant.report_id.in_(ids), GestureGrant.customer_choice_for.is_not(None)
                )
            )
        }
    me_too = await _me_too_of(session, site, _email_of(key)) if key else []
    customer_events = (
        (
            await session.scalars(
                select(CustomerEvent)
                .where(CustomerEvent.site_id == site.id, CustomerEvent.customer_key == key)
                .order_by(CustomerEvent.at)
            )
        ).all()
        if key
        else []
    )
    return {
        "site": site.name,
        "customer": key,
        "reports": [_report_json(r, events[r.id], ratings.get(r.id), grants.get(r.id)) for r in reports],
        "me_too": [{"issue": m.ca_id, "email": m.email, "created_at": _iso(m.created_at)} for m in me_too],
        "events": [{"id": e.event_id, "type": e.type, "at": _iso(e.at)} for e in customer_events],
    }


def _report_json(
    report: Report, events: Sequence[ReportEvent], rating: Rating | None, grant: GestureGrant | None
) -> dict[str, Any]:
    return {
        "ref": report.ref,
        "category": report.category,
        "state": report.state,
        "description": report.description,
        "suggestion": report.suggestion,
        "name": report.customer_name,
        "email": report.customer_email,
        "customer_id": report.customer_external_id,
        "page_url": report.page_url,
        "referrer": report.referrer,
        "location": report.location,
        "language": report.lang,
        "browser": report.user_agent,
        "local_time": _iso(report.customer_local_at),
        "apology": report.apology_text,
        "apology_signed_by": report.apology_signed_by,
        "created_at": _iso(report.created_at),
        "recovered_at": _iso(report.recovered_at),
        "timeline": [
            {"kind": e.kind, "text": e.body, "state": e.to_state, "score": e.score, "at": _iso(e.created_at)}
            for e in events
        ],
        "rating": rating
        and {
            "score": rating.score,
            "surprised": rating.surprised,
            "comment": rating.comment,
            "updated_at": _iso(rating.updated_at),
        },
        "gesture": grant
        and {"choice": grant.choice, "gesture": grant.gesture_name, "wish": grant.wish, "at": _iso(grant.created_at)},
    }


def record_audit(
    session: AsyncSession,
    site: Site,
    action: str,
    *,
    actor: str,
    key: str | None = None,
    staff: Staff | None = None,
    reason: str | None = None,
    counts: dict[str, int] | None = None,
) -> None:
    """Add a privacy-trail row in the caller's transaction; the customer appears only as a keyed hash."""
    session.add(
        PrivacyAudit(
            site_id=site.id,
            action=action,
            actor=actor,
            staff_id=staff.id if staff else None,
            customer_hash=customer_hash(site.secret, site.id, key) if key else None,
            reason=reason,
            counts=counts or {},
        )
    )


async def record_export(
    session: AsyncSession, site: Site, key: str, *, actor: str, staff: Staff | None, reason: str | None
) -> None:
    """Add the audit row for an export of this customer's data (the caller commits)."""
    record_audit(session, site, "export", actor=actor, key=key, staff=staff, reason=reason)


async def _anonymise(session: AsyncSession, reports: Sequence[Report], marker: str, now: datetime) -> Counter[str]:
    """Remove what these reports' customers told us, wherever it was copied; the counts stay."""
    counts: Counter[str] = Counter()
    if not reports:
        return counts
    ids = [r.id for r in reports]
    refs = [r.ref for r in reports]
    personal = [
        v
        for r in reports
        for v in (r.customer_name, r.customer_email, r.customer_external_id, r.description, r.suggestion)
        if v
    ]
    addresses = {r.customer_email.lower() for r in reports if r.customer_email}
    suggestions = {r.suggestion[:500] for r in reports if r.suggestion}
    ca_ids = {r.ca_id for r in reports if r.ca_id}
    grants = list((await session.scalars(select(GestureGrant).where(GestureGrant.report_id.in_(ids)))).all())
    personal += [g.wish for g in grants if g.wish]
    ratings = list((await session.scalars(select(Rating).where(Rating.report_id.in_(ids)))).all())
    personal += [r.comment for r in ratings if r.comment]

    for report in reports:
        for column, value in anonymised_fields(report, marker, now=now).items():
            setattr(report, column, value)
    counts["reports"] = len(reports)
    for event in await session.scalars(select(ReportEvent).where(ReportEvent.report_id.in_(ids))):
        if event.body is None:
            continue
        event.body = marker if event.kind in ("reply", "rating") else scrub(event.body, personal, marker)
        counts["replies"] += event.kind == "reply"
    for grant in grants:
        counts["wishes"] += grant.wish is not None
        grant.wish = None
    for rating in ratings:
        counts["comments"] += rating.comment is not None
        rating.comment = None
    for task in await session.scalars(select(Task).where(Task.report_id.in_(ids))):
        task.title = scrub(task.title, personal, marker)
    await session.execute(
        update(CASuggestion)
        .where(CASuggestion.report_id.in_(ids), CASuggestion.source == "customer")
        .values(body=marker)
        .execution_options(synchronize_session=False)
    )
    await session.execute(  # recurrences quote the report; accepted suggestions quote the customer's idea
        update(CAEvent)
        .where(CAEvent.body.is_not(None), or_(CAEvent.report_id.in_(ids), CAEvent.body.in_(suggestions)))
        .values(body=marker)
        .execution_options(synchronize_session=False)
    )
    for ca in await session.scalars(select(CorrectiveAction).where(CorrectiveAction.id.in_(ca_ids))):
        ca.problem = scrub(ca.problem, personal, marker)  # drafted from the linked reports' words
    for mail in await session.scalars(select(OutboxMail).where(OutboxMail.report_id.in_(ids))):
        counts["mail_cancelled"] += _blank_mail(mail, marker, to_customer=mail.to_addr.lower() in addresses)
    deliveries = (
        select(WebhookDelivery)
        .join(WebhookEndpoint)
        .where(
            WebhookEndpoint.site_id == reports[0].site_id,
            or_(*(cast(WebhookDelivery.payload, Text).like(f'%"{ref}"%') for ref in refs)),
        )
    )
    for delivery in await session.scalars(deliveries):
        data = dict(delivery.payload.get("data") or {})
        if data.get("ref") in refs:
            data.update({k: marker for k in ("description", "comment") if data.get(k)})
            delivery.payload = {**delivery.payload, "data": data}
    return counts


def _blank_mail(mail: OutboxMail, marker: str, *, to_customer: bool) -> bool:
    """Empty a mail that quotes erased data; one not yet sent is cancelled. True when it was cancelled."""
    cancelled = mail.state in ("pending", "sending")
    if cancelled:
        mail.state, mail.lease_until, mail.claim_token = "cancelled", None, None
    mail.text_body = mail.html_body = marker
    mail.to_name = None
    mail.last_error = None
    if to_customer:
        mail.to_addr = ""
        mail.subject = marker
        mail.unsubscribe_url = None
    return cancelled


async def erase_customer(
    session: AsyncSession, site: Site, key: str, *, actor: str, staff: Staff | None, reason: str | None
) -> dict[str, int]:
    """Forget this customer at this site, in the caller's transaction (commits nothing); counts removed by kind."""
    now = utcnow()
    email = _email_of(key)
    reports = await _reports_of(session, site, key)
    email = email or next((r.customer_email for r in reports if r.customer_email), None)
    with use_locale(site.default_language):
        marker = erasure_marker()
    counts = await _anonymise(session, reports, marker, now)
    for model in (CustomerNote, CustomerProfile, CustomerEvent):
        result = await session.execute(delete(model).where(model.site_id == site.id, model.customer_key == key))
        counts[model.__tablename__] = result.rowcount  # type: ignore[attr-defined]
    for row in await _me_too_of(session, site, email):
        await session.delete(row)
        counts["me_too"] += 1
    if email:
        result = await session.execute(
            delete(Unsubscribe).where(Unsubscribe.site_id == site.id, func.lower(Unsubscribe.email) == email.lower())
        )
        counts["unsubscribe"] = result.rowcount  # type: ignore[attr-defined]
        for mail in await session.scalars(
            select(OutboxMail).where(OutboxMail.site_id == site.id, func.lower(OutboxMail.to_addr) == email.lower())
        ):
            counts["mail_cancelled"] += _blank_mail(mail, marker, to_customer=True)
    totals = {kind: int(n) for kind, n in counts.items() if n}
    record_audit(session, site, "erase", actor=actor, key=key, staff=staff, reason=reason, counts=totals)
    return totals


async def erase_report(session: AsyncSession, report: Report, *, actor: str) -> dict[str, int]:
    """Forget what the customer told us in this one report (one that names no customer), in the caller's
    transaction, with its audit row; counts removed by kind."""
    with use_locale(report.site.default_language):
        marker = erasure_marker()
    counts = await _anonymise(session, [report], marker, utcnow())
    totals = {kind: int(n) for kind, n in counts.items() if n}
    record_audit(session, report.site, "erase", actor=actor, counts=totals)
    return totals


async def anonymise_expired(sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime) -> int:
    """Anonymise every site's reports older than it keeps them, in batches; the number of reports anonymised."""
    async with sessionmaker() as session:
        sites = (
            await session.execute(select(Site.id, Site.retention_months, Site.default_language).order_by(Site.id))
        ).all()
    done = 0
    for site_id, months, language in sites:
        with use_locale(language):
            marker = retention_marker(months)
        done += await _expire_site(sessionmaker, site_id, retention_cutoff(now, months), marker, now)
    return done


async def _expire_site(
    sessionmaker: async_sessionmaker[AsyncSession], site_id: int, cutoff: datetime, marker: str, now: datetime
) -> int:
    counts: Counter[str] = Counter()
    while True:
        async with sessionmaker() as session:
            reports = list(
                (
                    await session.scalars(
                        select(Report)
                        .where(Report.site_id == site_id, Report.anonymised_at.is_(None), Report.created_at < cutoff)
                        .order_by(Report.id)
                        .limit(BATCH)
                    )
                ).all()
            )
            counts.update(await _anonymise(session, reports, marker, now))
            await session.commit()
        if len(reports) < BATCH:
            break
    async with sessionmaker() as session:
        stale = {
            "customer_event": delete(CustomerEvent).where(CustomerEvent.site_id == site_id, CustomerEvent.at < cutoff),
            "customer_note": delete(CustomerNote).where(
                CustomerNote.site_id == site_id, CustomerNote.created_at < cutoff
            ),
            "customer_profile": delete(CustomerProfile).where(
                CustomerProfile.site_id == site_id, CustomerProfile.updated_at < cutoff
            ),
            "me_too": delete(MeToo).where(
                MeToo.ca_id.in_(select(CorrectiveAction.id).where(CorrectiveAction.site_id == site_id)),
                MeToo.created_at < cutoff,
            ),
        }  # unsubscriptions stay: they are how we keep our promise not to write again
        for kind, statement in stale.items():
            result = await session.execute(statement.execution_options(synchronize_session=False))
            counts[kind] += result.rowcount  # type: ignore[attr-defined]
        totals = {kind: int(n) for kind, n in counts.items() if n}
        if totals:
            session.add(PrivacyAudit(site_id=site_id, action="retention", actor="worker", counts=totals))
        await session.commit()
    return counts["reports"]
