"""Taking in a report: flood limits, identity, apology, storage and the apology mail in one commit."""

from __future__ import annotations

import functools
import json
import random
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Integer,
    ScalarSelect,
    Select,
    String,
    Table,
    bindparam,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.apologies import apology_texts
from portal.domain import decoys, tokens
from portal.domain.apology import Apology, compose_apology, render_template
from portal.domain.clocks import due_times
from portal.domain.gestures import effective_tier
from portal.domain.hotspots import SITE_HOUR_CAP
from portal.domain.identity import client_hash, verified_identity
from portal.domain.intake import (
    Invalid,
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
    read_only_copy,
    utcnow,
)
from portal.services import floods, gesture_catalog, limits, tasks, webhooks
from portal.services.site_cache import SiteCache, SiteSnapshot, load_snapshot
from portal.services.templates import published_for
from portal.settings import Settings
from portal.site_texts import category_text

RATE_WINDOW = timedelta(minutes=1)
# Counting stops here: no repeat level is above CHURN_RISK (the hour's reports stop at SITE_HOUR_CAP).
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
    """What intake needs to know about a site's reports before storing a group, read in one statement."""

    site_last_hour: int
    earlier: Mapping[str, int]  # per customer key: their reports within the site's repeat window
    staff_set_tier: Mapping[str, int | None]  # per customer key: the tier staff set, if any


async def _admit(session: AsyncSession, site: Site, client: str, settings: Settings, now: datetime) -> None:
    """Count one report against its address's limit and the site's ceiling, or raise RateLimited /
    SiteFlooded; commits the counts at once, refused or not (the decoy path: the writer counts a group)."""
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


def _numbered(keys: Mapping[int, str], counted: Mapping[str, tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """Each report's own hit number on its key (the group's hits on a key end at the counted total, in
    order) and the key's retry-after."""
    group = Counter(keys.values())
    seen: Counter[str] = Counter()
    numbered = {}
    for number, key in keys.items():
        seen[key] += 1
        total, retry_after = counted[key]
        numbered[number] = (total - group[key] + seen[key], retry_after)
    return numbered


async def _admit_group(
    session: AsyncSession, reports: Mapping[int, PendingReport], settings: Settings
) -> dict[int, RateLimited]:
    """Count a group of reports against their addresses' limits and their sites' ceilings, in the caller's
    transaction, in one statement however large the group: each report gets the answer it would have got
    alone, in order. Returns the refused ones; hits that did not count are given back."""
    if not reports:
        return {}
    now = max(p.request.now for p in reports.values())  # a report dated in the past counts in its own window
    address = {n: limits.counter_key("report", str(p.site.id), p.request.client) for n, p in reports.items()}
    ceiling = {n: limits.counter_key("site", str(p.site.id)) for n, p in reports.items()}
    counted = await limits.hit_many(
        session, Counter(address.values()) + Counter(ceiling.values()), window=RATE_WINDOW, now=now
    )
    refused: dict[int, RateLimited] = {}
    for number, (hit, retry_after) in _numbered(address, counted).items():
        if hit > settings.reports_per_minute:
            refused[number] = RateLimited(retry_after)
    # A report its address's limit refused takes no place under the site's ceiling: the others are numbered
    # as if it had not come, and its hit there is given back below.
    taken = Counter(ceiling[n] for n in refused)
    under = {n: key for n, key in ceiling.items() if n not in refused}
    places = {key: (total - taken[key], retry_after) for key, (total, retry_after) in counted.items()}
    flooded: list[int] = []
    for number, (hit, retry_after) in _numbered(under, places).items():
        if hit > reports[number].site.max_reports_per_minute:
            refused[number] = SiteFlooded(retry_after)
            flooded.append(number)
    if refused:
        await limits.refund_many(
            session, taken + Counter([address[n] for n in flooded] + [ceiling[n] for n in flooded]), now=now
        )
    for site_id, count in sorted(Counter(reports[n].site.id for n in flooded).items()):
        site = next(p.site for p in reports.values() if p.site.id == site_id)
        await floods.record_refusal(session, site, now, refused=count)
    return refused


def _count_upto(cap: str, *where: ColumnElement[bool], outer: FromClause | None = None) -> ScalarSelect[int]:
    """How many reports match, counting no further than the `cap` parameter: the index scan stops there
    however many match."""
    matching = select(literal(1)).select_from(Report).where(*where).limit(bindparam(cap, type_=Integer))
    if outer is not None:
        matching = matching.correlate(outer)
    return select(func.count()).select_from(matching.subquery()).scalar_subquery()


@functools.cache
def _counts_statement(dialect: str, *, per_customer: bool) -> Select[Any]:
    """counts_statement's SQL, built once: every value is a parameter."""
    site = bindparam("site_id", type_=Integer)
    since = functools.partial(bindparam, type_=Report.created_at.type)
    site_hour = _count_upto("site_cap", Report.site_id == site, Report.created_at >= since("hour_ago"))
    if not per_customer:
        return select(site_hour)
    as_json = bindparam("keys", type_=String)
    if dialect == "postgresql":
        elements = func.json_array_elements_text(sql_cast(as_json, postgresql.JSON))
    else:
        elements = func.json_each(as_json)
    customer = elements.table_valued("value").alias("customer")
    earlier = _count_upto(
        "repeat_cap",
        Report.site_id == site,
        Report.customer_key == customer.c.value,
        Report.created_at >= since("repeat_since"),
        outer=customer,
    )
    tier = (
        select(CustomerProfile.tier)
        .where(CustomerProfile.site_id == site, CustomerProfile.customer_key == customer.c.value)
        .scalar_subquery()
    )
    return select(site_hour, customer.c.value, earlier, tier)


def counts_statement(
    site: Site, keys: Sequence[str], now: datetime, dialect: str
) -> tuple[Select[Any], dict[str, Any]]:
    """The one statement intake reads about a site before storing a group, and its parameters: the site's
    reports in the last hour, and per customer key their earlier reports in the repeat window and the tier
    staff set. Bounded, so it costs the same at an idle site and in the middle of an incident; the keys go
    in as one JSON parameter, so the statement is built and compiled once whatever the size of the group."""
    params = {
        "site_id": site.id,
        "site_cap": SITE_HOUR_CAP,
        "hour_ago": now - timedelta(hours=1),
        "repeat_cap": REPEAT_CAP,
        "repeat_since": now - timedelta(days=site.repeat_window_days),
        "keys": json.dumps(list(keys)),
    }
    return _counts_statement(dialect, per_customer=bool(keys)), params


async def _counts(session: AsyncSession, site: Site, keys: Sequence[str], now: datetime) -> Counts:
    """Reports to the site in the last hour (up to SITE_HOUR_CAP) and, per customer key, their earlier
    reports in the repeat window (up to REPEAT_CAP) and the tier staff set."""
    statement, params = counts_statement(site, keys, now, session.get_bind().dialect.name)
    rows = (await session.execute(statement, params)).all()
    if not keys:
        return Counts(rows[0][0], {}, {})
    return Counts(rows[0][0], {row[1]: row[2] for row in rows}, {row[1]: row[3] for row in rows})


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
) -> StoredReport:
    """Store a checked report dated `now` (a test or an import can date it in the past) as a group of one,
    in the caller's session; commits. Raises RateLimited or SiteFlooded."""
    snapshot = await load_snapshot(session, site)
    request = IntakeRequest(
        raw=None,
        origin=None,
        client=client_hash(settings.secret_key, client_address),
        user_agent=user_agent,
        lang=lang,
        now=now or utcnow(),
    )
    (outcome,) = await store_reports(
        session, [_pending(snapshot, request, draft)], mail=mail, sites=None, settings=settings
    )
    await session.commit()
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


@dataclass(frozen=True)
class IntakeRequest:
    """What one request brings to intake, before anything about its site is checked."""

    raw: Mapping[str, Any] | None  # None: a draft the caller checked (a test or an import, not a request)
    origin: str | None
    client: str  # the sender's address, hashed with the secret key
    user_agent: str | None
    lang: str
    now: datetime


@dataclass(frozen=True)
class PendingReport:
    """A report checked against its site's snapshot, on its way to the database."""

    snapshot: SiteSnapshot
    request: IntakeRequest
    draft: ReportDraft
    verified: bool
    signed_tier: str | None
    key: str | None

    @property
    def site(self) -> Site:
        return self.snapshot.site


def prepare(snapshot: SiteSnapshot, request: IntakeRequest, settings: Settings) -> PendingReport:
    """Check a request against its site as the snapshot has it: the page's origin, the fields, the identity.
    Raises OriginRefused or Invalid."""
    site, raw = snapshot.site, request.raw or {}
    if not origin_allowed(request.origin, site.allowed_origins, settings.base_url):
        raise OriginRefused(request.origin or "")
    draft = validate_report(raw, snapshot.category_slugs, smtp_utf8=settings.smtp_utf8)
    return _pending(snapshot, request, draft)


def recheck(pending: PendingReport, snapshot: SiteSnapshot, settings: Settings) -> PendingReport:
    """The report checked again against a fresher copy of its site."""
    if pending.request.raw is None:
        return _pending(snapshot, pending.request, pending.draft)
    return prepare(snapshot, pending.request, settings)


def _pending(snapshot: SiteSnapshot, request: IntakeRequest, draft: ReportDraft) -> PendingReport:
    verified, signed_tier = verified_identity(
        snapshot.site.secret, draft.customer_id, draft.customer_sig, draft.customer_tier
    )
    return PendingReport(
        snapshot=snapshot,
        request=request,
        draft=draft,
        verified=verified,
        signed_tier=signed_tier,
        key=customer_key(draft.customer_id if verified else None, draft.email),
    )


@dataclass(frozen=True)
class StoredReport:
    """What the customer is told about a stored report."""

    ref: str
    status_token: str
    apology: Apology
    offers: Sequence[Gesture]


IntakeWriter = GroupCommit[PendingReport, StoredReport]


def intake_writer(
    sessionmaker: async_sessionmaker[AsyncSession], mail: Mail, sites: SiteCache, settings: Settings
) -> IntakeWriter:
    """The process's one writer of reports: each group's flood counts in one commit, then its reports,
    apology mails and follow-ups in the next."""
    return GroupCommit(sessionmaker, functools.partial(store_reports, mail=mail, sites=sites, settings=settings))


async def store_reports(
    session: AsyncSession,
    reports: Sequence[PendingReport],
    *,
    mail: Mail,
    sites: SiteCache | None,
    settings: Settings,
) -> list[StoredReport | Exception]:
    """Store a group of reports: each is checked again against its site as committed now (a request may have
    used a copy an admin changed since); their sites' counts are read and they are counted against the
    flood limits (committed at once, so the counter rows stay locked for one statement, not the whole
    group); then each is written with its apology mail (and a lead's follow-up for an at-risk customer) in
    the caller's next transaction. Returns, per report, what was stored or why it was not. `sites` is the
    writer's cache; None when the reports were checked in this session (submit_report)."""
    outcomes: list[StoredReport | Exception | None] = [None] * len(reports)
    snapshots = [p.snapshot for p in reports]
    # Without the writer's cache the reports were checked in this very session (submit_report).
    current = await sites.refreshed(session, snapshots) if sites else {s.site.id: s for s in snapshots}
    admitted: dict[int, PendingReport] = {}
    for number, pending in enumerate(reports):
        snapshot = current.get(pending.site.id)
        try:
            if snapshot is None:
                raise UnknownSite()
            admitted[number] = pending if snapshot is pending.snapshot else recheck(pending, snapshot, settings)
        except (UnknownSite, OriginRefused, Invalid) as exc:
            outcomes[number] = exc
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_COUNTING_SETTINGS)
    now = utcnow()
    counts = await _counts_by_site(session, list(admitted.values()), now)
    for number, refusal in (await _admit_group(session, admitted, settings)).items():
        outcomes[number] = refusal
        del admitted[number]
    await session.commit()
    stored = await _store(session, list(admitted.values()), counts, now, mail=mail)
    for number, outcome in zip(admitted, stored, strict=True):
        outcomes[number] = outcome
    return [outcome for outcome in outcomes if outcome is not None]


# The counting transaction's settings on PostgreSQL, in one statement. Its counts statement is planned for
# its parameters each time: a plan made once for every site and hour can walk a whole incident's reports.
# (Only here: planning each multi-row INSERT too cost PostgreSQL 60 % more CPU a report.) And its commit
# does not wait for the log to reach the disk: the reports' commit comes next and flushes the log up to
# itself, this one included.
_COUNTING_SETTINGS = select(
    func.set_config("plan_cache_mode", "force_custom_plan", True),
    func.set_config("synchronous_commit", "off", True),
)


async def _counts_by_site(session: AsyncSession, reports: Sequence[PendingReport], now: datetime) -> dict[int, Counts]:
    """Each site's counts for these reports (see `Counts`), one statement a site."""
    counts: dict[int, Counts] = {}
    for pending in reports:
        site = pending.site
        if site.id not in counts:
            keys = sorted({p.key for p in reports if p.key and p.site.id == site.id})
            counts[site.id] = await _counts(session, site, keys, now)
    return counts


async def _store(
    session: AsyncSession,
    reports: Sequence[PendingReport],
    counts: Mapping[int, Counts],
    now: datetime,
    *,
    mail: Mail,
) -> list[StoredReport]:
    """Write admitted reports with their apology mails in the caller's transaction, in order: each report
    counts the ones before it, in the group as in the database (`counts`: per site, read before the group)."""
    if not reports:
        return []
    usage: dict[int, dict[int, tuple[int, int, int | None]]] = {}  # per site: caps and pools, read once a group
    for pending in reports:
        if pending.site.id not in usage:
            usage[pending.site.id] = await gesture_catalog.usage(session, pending.snapshot.gestures, now)
    rows: list[dict[str, Any]] = []
    stored: list[StoredReport] = []
    # The group's earlier reports are not inserted yet: count them here.
    earlier_at_site: Counter[int] = Counter()
    earlier_by_customer: Counter[tuple[int, str | None]] = Counter()
    for pending in reports:
        site, draft, key, site_counts = pending.site, pending.draft, pending.key, counts[pending.site.id]
        site_last_hour = site_counts.site_last_hour + earlier_at_site[site.id]
        level = repeat_level(site_counts.earlier[key] + earlier_by_customer[site.id, key]) if key else RepeatLevel.FIRST
        tier = effective_tier(site_counts.staff_set_tier.get(key) if key else None, pending.signed_tier)
        earlier_at_site[site.id] += 1
        earlier_by_customer[site.id, key] += 1
        offers = gesture_catalog.offers_among(pending.snapshot.gestures, usage[site.id], draft.category, tier, level)
        lang = pending.request.lang
        apology = _apology_for(site, draft, lang, level, pending.snapshot.published_for(draft.category, lang))
        rows.append(_report_row(pending, level, tier, offers, apology, min(site_last_hour, SITE_HOUR_CAP)))
        stored.append(StoredReport(rows[-1]["ref"], rows[-1]["status_token"], apology, offers))
    table = cast(Table, Report.__table__)
    # The ids come back matched to their references, not in order: SQLite takes an unordered multi-row
    # RETURNING in one statement, where asking for the order made it one statement a report.
    ids: dict[str, int] = dict((await session.execute(insert(table).returning(table.c.ref, table.c.id), rows)).all())
    # For the mail templates, webhooks and follow-ups; the rows themselves were written above.
    written = [
        read_only_copy(Report, {**row, "id": ids[row["ref"]], "site": pending.site})
        for pending, row in zip(reports, rows, strict=True)
    ]
    await mail.apologies(session, written)
    await webhooks.emit_new_reports(session, [p.snapshot for p in reports], written, base_url=mail.base_url)
    await tasks.follow_ups_for(session, [r for r in written if r.repeat_level >= RepeatLevel.AT_RISK], mail=mail)
    return stored


def _report_row(
    pending: PendingReport,
    level: RepeatLevel,
    tier: int,
    offers: Sequence[Gesture],
    apology: Apology,
    site_last_hour: int,
) -> dict[str, Any]:
    site, draft, request, verified = pending.site, pending.draft, pending.request, pending.verified
    now = request.now
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
        "user_agent": (request.user_agent or "")[:1000] or None,
        "viewport": draft.viewport,
        "lang": request.lang,
        "location": draft.location,
        "busy": draft.busy,
        "tz_offset_min": draft.tz_offset_min,
        "customer_local_at": local.at if local else None,
        "local_weekday": local.weekday if local else None,
        "local_hour": local.hour if local else None,
        "site_reports_last_hour": site_last_hour,
        "client_hash": request.client,
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
    client: str,
    settings: Settings,
    mail: Mail,
    lang: str,
) -> Receipt:
    """What a bot that filled the honeypot gets: a receipt shaped like a real one (the same limits, gestures
    offered, a status link that answers) while nothing is stored and no mail is sent."""
    now, site = utcnow(), snapshot.site
    await _admit(session, site, client, settings, now)
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
    sessions: async_sessionmaker[AsyncSession],
    *,
    sites: SiteCache,
    snapshot: SiteSnapshot | None,
    raw: Mapping[str, Any],
    origin: str | None,
    client_address: str,
    user_agent: str | None,
    settings: Settings,
    mail: Mail,
    writer: IntakeWriter,
    lang: str = "en",
) -> Receipt:
    """The whole intake, shared by the JSON API and the panel form, for the site the key named (None: no site;
    see `intake_site`): checked here against this process's copy of the site, stored by the writer. A
    session is opened only on the paths that read the database here (a refusal checked against a fresher
    copy, a bot's decoy receipt); the usual report needs none until the writer's.

    Raises UnknownSite, OriginRefused, Invalid, RateLimited, SiteFlooded, or GroupFailed when the
    transaction that was to store it failed. A filled honeypot gets a receipt that looks real but nothing
    is stored, so a bot learns nothing.
    """
    if snapshot is None:
        raise UnknownSite()
    request = IntakeRequest(
        raw=raw,
        origin=origin,
        client=client_hash(settings.secret_key, client_address),
        user_agent=user_agent,
        lang=lang,
        now=utcnow(),
    )
    try:
        pending = prepare(snapshot, request, settings)
    except (OriginRefused, Invalid):
        # The copy may be behind an admin's change (a new origin, a new category): ask before refusing.
        async with sessions() as session:
            fresh = await sites.current(session, snapshot.site.key)
        if fresh is None:
            raise UnknownSite() from None
        if fresh is snapshot:
            raise
        pending = prepare(fresh, request, settings)
    if is_honeypot_filled(raw):
        async with sessions() as session:
            return await _decoy_receipt(
                session,
                snapshot=pending.snapshot,
                draft=pending.draft,
                client=request.client,
                settings=settings,
                mail=mail,
                lang=lang,
            )
    stored = await writer.submit(pending)
    return Receipt(
        ref=stored.ref,
        status_url=mail.status_url(stored.status_token),
        apology=stored.apology,
        offers=stored.offers,
        status_token=stored.status_token,
    )


async def intake_site(sessions: async_sessionmaker[AsyncSession], sites: SiteCache, key: str) -> SiteSnapshot | None:
    """The site a report names, from this process's cache without a query when it holds it (the writer
    checks it is current), else as committed now (None: no site has this key)."""
    if (cached := sites.cached(key)) is not None:
        return cached
    async with sessions() as session:
        return await sites.current(session, key)
