"""Taking in a report: flood limits, identity, apology, storage and the apology mail in one commit."""

from __future__ import annotations

import functools
import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, ScalarSelect, Select, Table, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.apologies import apology_texts
from portal.domain import decoys, tokens
from portal.domain.apology import Apology, compose_apology, render_template
from portal.domain.clocks import due_times
from portal.domain.gestures import effective_tier
from portal.domain.identity import client_hash, verified_identity
from portal.domain.intake import (
    ReportDraft,
    customer_local_time,
    is_honeypot_filled,
    validate_report,
)
from portal.domain.repeat import RepeatLevel, customer_key, queue_priority, repeat_level
from portal.domain.similarity import page_path
from portal.domain.sites import origin_allowed
from portal.group_commit import GroupCommit
from portal.i18n import LANGUAGES
from portal.i18n import gettext as _
from portal.mail import Mail
from portal.models import (
    ApologyTemplate,
    CustomerProfile,
    Gesture,
    Report,
    Site,
    utcnow,
)
from portal.services import floods, gesture_catalog, limits, tasks
from portal.services.site_cache import SiteCache, SiteSnapshot, load_snapshot
from portal.services.templates import published_for
from portal.settings import Settings
from portal.site_texts import category_text

RATE_WINDOW = timedelta(minutes=1)
# Counting stops here: the hour's reports only sort a report into bands (the top one is 20+), and
# no repeat level is above CHURN_RISK; an unbounded count grew with every report of an incident.
SITE_HOUR_CAP = 1000
REPEAT_CAP = int(RepeatLevel.CHURN_RISK)


class RateLimited(Exception):
    """Too many reports from one address to one site in the last minute."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after}s")
        self.retry_after = retry_after


class SiteFlooded(RateLimited):
    """More reports to the site in the last minute, from everyone together, than its ceiling."""


class UnknownSite(LookupError):
    """No site has this key."""


class OriginRefused(PermissionError):
    """The browser page submitting is not on one of the site's allowed origins."""

    def __init__(self, origin: str) -> None:
        super().__init__(_("This site does not accept reports from %(origin)s.", origin=origin))


@dataclass(frozen=True)
class Receipt:
    """What the customer is told right after reporting."""

    ref: str
    status_url: str
    apology: Apology
    stored: bool = True
    offers: Sequence[Gesture] = ()
    status_token: str = ""


@dataclass(frozen=True)
class Counts:
    """What intake needs to know before storing a report, read in one statement."""

    site_last_hour: int
    earlier_from_customer: int  # within the site's repeat window
    staff_set_tier: int | None


async def _admit(session: AsyncSession, site: Site, client: str, settings: Settings, now: datetime) -> None:
    """Count the report against its address's limit and the site's ceiling, or raise RateLimited / SiteFlooded.

    The counts are committed at once, before the report is written, so the lock on the site's counter
    row lasts one statement, not the whole intake.
    """
    address = await limits.hit(
        session,
        limits.counter_key("report", str(site.id), client),
        limit=settings.reports_per_minute,
        window=RATE_WINDOW,
        now=now,
    )
    if not address.allowed:
        await session.commit()
        raise RateLimited(address.retry_after)
    ceiling = await limits.hit(
        session,
        limits.counter_key("site", str(site.id)),
        limit=site.max_reports_per_minute,
        window=RATE_WINDOW,
        now=now,
    )
    if not ceiling.allowed:
        await limits.refund(session, [address, ceiling], now=now)
        await floods.record_refusal(session, site, now)
        await session.commit()
        raise SiteFlooded(ceiling.retry_after)
    await session.commit()


def _count_upto(cap: int, *where: ColumnElement[bool]) -> ScalarSelect[int]:
    """How many reports match, counting no further than `cap`: the index scan stops there however many match."""
    matching = select(literal(1)).select_from(Report).where(*where).limit(cap).subquery()
    return select(func.count()).select_from(matching).scalar_subquery()


def counts_statement(site: Site, key: str | None, now: datetime) -> Select[Any]:
    """The one statement intake reads before storing; bounded, so it costs the same at an idle site and
    in the middle of an incident."""
    tier = (
        select(CustomerProfile.tier)
        .where(CustomerProfile.site_id == site.id, CustomerProfile.customer_key == key)
        .scalar_subquery()
    )
    return select(
        _count_upto(SITE_HOUR_CAP, Report.site_id == site.id, Report.created_at >= now - timedelta(hours=1)),
        _count_upto(
            REPEAT_CAP,
            Report.site_id == site.id,
            Report.customer_key == key,
            Report.created_at >= now - timedelta(days=site.repeat_window_days),
        ),
        tier,
    )


async def _counts(session: AsyncSession, site: Site, key: str | None, now: datetime) -> Counts:
    """Reports to the site in the last hour (up to SITE_HOUR_CAP) and, for a known customer, their earlier
    reports in the repeat window (up to REPEAT_CAP) and the tier staff set."""
    row = (await session.execute(counts_statement(site, key, now))).one()
    return Counts(row[0], row[1] if key else 0, row[2] if key else None)


async def submit_report(
    session: AsyncSession,
    *,
    site: Site,
    draft: ReportDraft,
    client_address: str,
    user_agent: str | None,
    settings: Settings,
    mail: Mail,
    lang: str = "en",
    now: datetime | None = None,
    snapshot: SiteSnapshot | None = None,
    writer: IntakeWriter | None = None,
) -> Receipt:
    """Store the report with its context and queue the apology mail; commits before returning (and the
    flood counts before that, refused or not).

    With a `writer` (the app's), the report is written in the writer's next group and this returns once
    that group committed; without one, in the caller's session, as a group of one.
    """
    now = now or utcnow()
    snapshot = snapshot or await load_snapshot(session, site)
    client = client_hash(settings.secret_key, client_address)
    await _admit(session, site, client, settings, now)
    verified, signed_tier = verified_identity(site.secret, draft.customer_id, draft.customer_sig, draft.customer_tier)
    pending = PendingReport(
        snapshot=snapshot,
        draft=draft,
        client=client,
        user_agent=user_agent,
        lang=lang,
        now=now,
        verified=verified,
        signed_tier=signed_tier,
        key=customer_key(draft.customer_id if verified else None, draft.email),
    )
    if writer is not None:
        stored = await writer.submit(pending)
    else:
        (stored,) = await store_reports(session, [pending], mail=mail)
        await session.commit()
    return Receipt(
        ref=stored.ref,
        status_url=mail.status_url(stored.status_token),
        apology=stored.apology,
        offers=stored.offers,
        status_token=stored.status_token,
    )


@dataclass(frozen=True)
class PendingReport:
    """A validated, admitted report on its way to the database."""

    snapshot: SiteSnapshot
    draft: ReportDraft
    client: str
    user_agent: str | None
    lang: str
    now: datetime
    verified: bool
    signed_tier: str | None
    key: str | None


@dataclass(frozen=True)
class StoredReport:
    """What the customer is told about a stored report."""

    ref: str
    status_token: str
    apology: Apology
    offers: Sequence[Gesture]


IntakeWriter = GroupCommit[PendingReport, StoredReport]


def intake_writer(sessionmaker: async_sessionmaker[AsyncSession], mail: Mail) -> IntakeWriter:
    """The process's one writer of reports: each group of reports, their apology mails and follow-ups in one commit."""
    return GroupCommit(sessionmaker, functools.partial(store_reports, mail=mail))


async def store_reports(session: AsyncSession, reports: Sequence[PendingReport], *, mail: Mail) -> list[StoredReport]:
    """Write admitted reports with their apology mails (and a lead's follow-up for an at-risk customer) in
    the caller's transaction, in order: each report counts the ones before it, in the group as in the database."""
    rows: list[dict[str, Any]] = []
    stored: list[StoredReport] = []
    usage: dict[int, dict[int, tuple[int, int, int | None]]] = {}  # per site: caps and pools, read once a group
    for number, pending in enumerate(reports):
        site, draft, now, key = pending.snapshot.site, pending.draft, pending.now, pending.key
        counts = await _counts(session, site, key, now)
        earlier = reports[:number]
        # The group's earlier reports are not inserted yet: count them here.
        site_last_hour = counts.site_last_hour + sum(p.snapshot.site.id == site.id for p in earlier)
        from_customer = counts.earlier_from_customer + sum(
            p.snapshot.site.id == site.id and p.key == key for p in earlier if key
        )
        level = repeat_level(from_customer) if key else RepeatLevel.FIRST
        tier = effective_tier(counts.staff_set_tier, pending.signed_tier)
        if site.id not in usage:
            usage[site.id] = await gesture_catalog.usage(session, pending.snapshot.gestures, now)
        offers = gesture_catalog.offers_among(pending.snapshot.gestures, usage[site.id], draft.category, tier, level)
        apology = _apology_for(
            site, draft, pending.lang, level, pending.snapshot.published_for(draft.category, pending.lang)
        )
        rows.append(_report_row(pending, level, tier, offers, apology, min(site_last_hour, SITE_HOUR_CAP)))
        stored.append(StoredReport(rows[-1]["ref"], rows[-1]["status_token"], apology, offers))
    table = cast(Table, Report.__table__)
    ids = (await session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)).scalars()
    for pending, row, report_id in zip(reports, rows, ids, strict=True):
        # A transient copy for the mail templates; the row itself was written above.
        report = Report(id=report_id, **row)
        report.site = pending.snapshot.site
        if row["repeat_level"] >= RepeatLevel.AT_RISK:
            await tasks.follow_up_for(session, report.site, report, pending.now, mail=mail)
        mail.apology(session, report)
    return stored


def _report_row(
    pending: PendingReport,
    level: RepeatLevel,
    tier: int,
    offers: Sequence[Gesture],
    apology: Apology,
    site_last_hour: int,
) -> dict[str, Any]:
    site, draft, now, verified = pending.snapshot.site, pending.draft, pending.now, pending.verified
    local = customer_local_time(now, draft.tz_offset_min)
    first_due, recovery_due = due_times(now, site.first_response_minutes, site.recovery_hours)
    return {
        "ref": tokens.report_ref(),
        "status_token": tokens.status_token(),
        "site_id": site.id,
        "state": "new",
        "category": draft.category,
        "description": draft.description,
        "suggestion": draft.suggestion,
        "customer_name": draft.name,
        "customer_email": draft.email,
        "customer_external_id": draft.customer_id if verified else None,
        "identity_verified": verified,
        "customer_key": pending.key,
        "repeat_level": int(level),
        "customer_tier": tier,
        "offered_gesture_ids": [g.id for g in offers],
        "priority": queue_priority(level),
        "first_response_due_at": first_due,
        "recovery_due_at": recovery_due,
        "next_due_at": first_due,
        "apology_text": apology.text,
        "apology_signed_by": apology.signed_by,
        "page_url": draft.page_url,
        "page_path": page_path(draft.page_url)[:300] or None,
        "referrer": draft.referrer,
        "user_agent": (pending.user_agent or "")[:1000] or None,
        "viewport": draft.viewport,
        "lang": pending.lang,
        "location": draft.location,
        "busy": draft.busy,
        "tz_offset_min": draft.tz_offset_min,
        "customer_local_at": local.at if local else None,
        "local_weekday": local.weekday if local else None,
        "local_hour": local.hour if local else None,
        "site_reports_last_hour": site_last_hour,
        "client_hash": pending.client,
        "created_at": now,
    }


def _apology_for(
    site: Site,
    draft: ReportDraft,
    lang: str,
    level: int = RepeatLevel.FIRST,
    templates: Sequence[ApologyTemplate] = (),
    seed: int | None = None,
) -> Apology:
    """The site's own wording when it has published some for this category, else Mend's (`seed` picks the words)."""
    seed = secrets.randbits(32) if seed is None else seed
    texts = apology_texts(lang)
    if templates:
        return render_template(
            texts,
            random.Random(seed).choice(templates).body,
            name=draft.name,
            category_label=category_text(site, draft.category, lang),
            description=draft.description,
            signer_name=site.signer_name,
            signer_role=site.signer_role,
            repeat_level=level,
            seed=seed,
        )
    return compose_apology(
        texts,
        category=draft.category,
        category_label=category_text(site, draft.category, lang),
        description=draft.description,
        name=draft.name,
        signer_name=site.signer_name,
        signer_role=site.signer_role,
        has_email=bool(draft.email),
        seed=seed,
        repeat_level=level,
    )


async def _decoy_receipt(
    session: AsyncSession,
    *,
    snapshot: SiteSnapshot,
    draft: ReportDraft,
    client_address: str,
    settings: Settings,
    mail: Mail,
    lang: str,
) -> Receipt:
    """What a bot that filled the honeypot gets: a receipt shaped like a real one (the same limits, gestures
    offered, a status link that answers) while nothing is stored and no mail is sent."""
    now, site = utcnow(), snapshot.site
    await _admit(session, site, client_hash(settings.secret_key, client_address), settings, now)
    _, signed_tier = verified_identity(site.secret, draft.customer_id, draft.customer_sig, draft.customer_tier)
    offers = gesture_catalog.offers_among(
        snapshot.gestures,
        await gesture_catalog.usage(session, snapshot.gestures, now),
        draft.category,
        effective_tier(None, signed_tier),
        RepeatLevel.FIRST,
    )
    slugs = [c["slug"] for c in site.categories]
    decoy = decoys.Decoy(
        site_id=site.id,
        at=now,
        category_index=slugs.index(draft.category) if draft.category in slugs else None,
        language_index=LANGUAGES.index(lang) if lang in LANGUAGES else 0,
        tz_offset_min=draft.tz_offset_min,
    )
    token = decoys.decoy_token(settings.secret_key, decoy)
    templates = snapshot.published_for(draft.category, lang)
    seed = decoys.decoy_seed(settings.secret_key, token)
    return Receipt(
        ref=decoys.decoy_ref(settings.secret_key, token),
        status_url=mail.status_url(token),
        apology=_apology_for(site, draft, lang, RepeatLevel.FIRST, templates, seed=seed),
        stored=False,
        offers=offers,
        status_token=token,
    )


async def decoy_report(session: AsyncSession, settings: Settings, token: str) -> Report | None:
    """The report a decoy status link pretends to show, built from its token and never stored (None: not a
    decoy); its apology has the receipt's words, less what the customer typed, which was never kept."""
    decoy = decoys.read_decoy_token(settings.secret_key, token)
    site = await session.get(Site, decoy.site_id) if decoy else None
    if decoy is None or site is None:
        return None
    slugs = [c["slug"] for c in site.categories]
    category = (
        slugs[decoy.category_index]
        if decoy.category_index is not None and decoy.category_index < len(slugs)
        else "other"
    )
    lang = LANGUAGES[decoy.language_index] if decoy.language_index < len(LANGUAGES) else site.default_language
    draft = ReportDraft(category=category, description="", tz_offset_min=decoy.tz_offset_min)
    templates = await published_for(session, site, category, lang)
    apology = _apology_for(
        site, draft, lang, RepeatLevel.FIRST, templates, seed=decoys.decoy_seed(settings.secret_key, token)
    )
    offers = await gesture_catalog.offers_for(
        session,
        site,
        category=category,
        customer_tier=effective_tier(None, None),
        repeat_level=RepeatLevel.FIRST,
        now=decoy.at,
    )
    report = Report(
        ref=decoys.decoy_ref(settings.secret_key, token),
        status_token=token,
        site_id=site.id,
        state="new",
        category=category,
        description="",
        lang=lang,
        tz_offset_min=decoy.tz_offset_min,
        apology_text=apology.text,
        apology_signed_by=apology.signed_by,
        offered_gesture_ids=[g.id for g in offers],
        repeat_level=RepeatLevel.FIRST,
        created_at=decoy.at,
    )
    report.site = site
    return report


async def receive_report(
    session: AsyncSession,
    *,
    snapshot: SiteSnapshot | None,
    raw: Mapping[str, Any],
    origin: str | None,
    client_address: str,
    user_agent: str | None,
    settings: Settings,
    mail: Mail,
    writer: IntakeWriter | None = None,
    lang: str = "en",
) -> Receipt:
    """The whole intake, shared by the JSON API and the panel form, for the site the key named (None: no site;
    see `intake_site`).

    Raises UnknownSite, OriginRefused, Invalid, RateLimited, SiteFlooded, or GroupFailed when the
    transaction that was to store it failed. A filled honeypot gets a receipt that looks real but nothing
    is stored, so a bot learns nothing.
    """
    if snapshot is None:
        raise UnknownSite()
    site = snapshot.site
    if not origin_allowed(origin, site.allowed_origins, settings.base_url):
        raise OriginRefused(origin or "")
    draft = validate_report(raw, snapshot.category_slugs, smtp_utf8=settings.smtp_utf8)
    if is_honeypot_filled(raw):
        return await _decoy_receipt(
            session,
            snapshot=snapshot,
            draft=draft,
            client_address=client_address,
            settings=settings,
            mail=mail,
            lang=lang,
        )
    return await submit_report(
        session,
        site=site,
        draft=draft,
        client_address=client_address,
        user_agent=user_agent,
        settings=settings,
        mail=mail,
        lang=lang,
        snapshot=snapshot,
        writer=writer,
    )


async def intake_site(session: AsyncSession, sites: SiteCache, key: str) -> SiteSnapshot | None:
    """The site a report names, as committed now, from this process's cache (None: no site has this key)."""
    return await sites.current(session, key)
