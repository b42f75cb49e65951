"""Gestures: the site's catalog, what a customer is offered, their choice, staff grants within budget, and fulfilment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from jinja2 import Environment
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.gestures import (
    DEFAULT_CATALOG,
    FULFILMENT_HOURS,
    BudgetCheck,
    GestureOption,
    GestureSpec,
    Tier,
    budgets_of,
    check_budget,
    offer_gestures,
    parse_codes,
    role_limit,
)
from portal.domain.intake import CONTROL_RE
from portal.emails import render_mail
from portal.models import (
    CustomerProfile,
    Gesture,
    GestureCode,
    GestureGrant,
    Report,
    ReportEvent,
    Site,
    Staff,
    StaffSite,
    Task,
    utcnow,
)
from portal.outbox import enqueue_mail
from portal.services.customer_mail import mail_customer
from portal.settings import Settings

MAX_WISH = 1000
CHOICES = ("gesture", "declined", "wish")


class AlreadyChosen(Exception):
    """The customer already answered for this report."""

    def __init__(self, grant: GestureGrant) -> None:
        super().__init__("You have already told us what you'd like for this report.")
        self.grant = grant


class GestureGone(Exception):
    """The gesture picked has just reached its cap or run out of codes; these are still on offer."""

    def __init__(self, name: str, alternatives: list[Gesture]) -> None:
        super().__init__(
            f"“{name}” has just run out for now. Here is what we can still offer; sorry for the extra step."
        )
        self.alternatives = alternatives


class OverBudget(Exception):
    """A staff grant beyond the role's monthly budget, with who could grant it instead."""

    def __init__(self, check: BudgetCheck, tier: Tier, who: list[Staff]) -> None:
        names = (
            ", ".join(s.name for s in who)
            or " or ".join(f"a site {r}" for r in check.can_grant)
            or "nobody at this site"
        )
        super().__init__(
            f"That would go over your monthly budget for {tier.label} gestures ({check.used} of {check.limit} used). "
            f"Who can grant it: {names}."
        )
        self.check = check
        self.who = who


def _month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


async def catalog(session: AsyncSession, site_id: int, *, active_only: bool = True) -> list[Gesture]:
    """The site's gestures in their order."""
    query = select(Gesture).where(Gesture.site_id == site_id).order_by(Gesture.position, Gesture.id)
    if active_only:
        query = query.where(Gesture.active)
    return list((await session.scalars(query)).all())


def seed_defaults(session: AsyncSession, site: Site) -> None:
    """Give a new site Mend's default catalog (in the caller's transaction)."""
    session.add_all(
        Gesture(site_id=site.id, position=position, **_fields(spec)) for position, spec in enumerate(DEFAULT_CATALOG)
    )


async def usage(
    session: AsyncSession, gestures: Sequence[Gesture], now: datetime, *, count_all: bool = False
) -> dict[int, tuple[int, int, int | None]]:
    """Per gesture: granted today and this month, codes left (None when not a code gesture).

    Grants are counted for capped gestures only unless `count_all`: intake asks on every report,
    and most catalogs have no caps.
    """
    capped = [g.id for g in gestures if count_all or g.daily_cap is not None or g.monthly_cap is not None]
    granted: dict[int, tuple[int, int]] = {}
    if capped:
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        rows = await session.execute(
            select(GestureGrant.gesture_id, func.count().filter(GestureGrant.created_at >= day_start), func.count())
            .where(GestureGrant.gesture_id.in_(capped), GestureGrant.created_at >= _month_start(now))
            .group_by(GestureGrant.gesture_id)
        )
        granted = {gid: (day, month) for gid, day, month in rows}
    code_ids = [g.id for g in gestures if g.fulfilment == "code"]
    left: dict[int, int] = {}
    if code_ids:
        rows = await session.execute(
            select(GestureCode.gesture_id, func.count())
            .where(GestureCode.gesture_id.in_(code_ids), GestureCode.grant_id.is_(None))
            .group_by(GestureCode.gesture_id)
        )
        left = dict(rows.all())
    return {g.id: (*granted.get(g.id, (0, 0)), left.get(g.id, 0) if g.fulfilment == "code" else None) for g in gestures}


def _has_room(gesture: Gesture, used: tuple[int, int, int | None]) -> bool:
    today, month, codes_left = used
    return (
        (gesture.daily_cap is None or today < gesture.daily_cap)
        and (gesture.monthly_cap is None or month < gesture.monthly_cap)
        and (codes_left is None or codes_left > 0)
    )


async def offers_for(
    session: AsyncSession,
    site: Site,
    *,
    category: str,
    customer_tier: int,
    repeat_level: int,
    now: datetime,
    exclude: Sequence[int] = (),
) -> list[Gesture]:
    """The 2–3 gestures to offer: relevant, within the customer's tier, and not run out."""
    gestures = [g for g in await catalog(session, site.id) if g.id not in exclude]
    room = await usage(session, gestures, now)
    by_id = {g.id: g for g in gestures}
    options = [GestureOption(g.id, g.tier, tuple(g.categories or ()), g.position) for g in gestures]
    chosen = offer_gestures(
        options,
        category=category,
        customer_tier=customer_tier,
        repeat_level=repeat_level,
        available=lambda o: _has_room(by_id[o.id], room[o.id]),
    )
    return [by_id[o.id] for o in chosen]


async def set_customer_tier(session: AsyncSession, *, site: Site, key: str, tier: Tier, staff: Staff) -> None:
    """Staff set the customer's tier on their file; it counts from their next report."""
    profile = await session.scalar(
        select(CustomerProfile).where(CustomerProfile.site_id == site.id, CustomerProfile.customer_key == key)
    )
    if profile is None:
        session.add(CustomerProfile(site_id=site.id, customer_key=key, tier=int(tier), set_by_id=staff.id))
    else:
        profile.tier, profile.set_by_id, profile.updated_at = int(tier), staff.id, utcnow()
    await session.commit()


async def customer_choice(session: AsyncSession, report: Report) -> GestureGrant | None:
    """What the customer told us they'd like for this report, if they have."""
    return await session.scalar(select(GestureGrant).where(GestureGrant.customer_choice_for == report.id))


async def offered(session: AsyncSession, report: Report) -> list[Gesture]:
    """The gestures this report's customer may pick from, in the order offered."""
    ids = report.offered_gesture_ids or []
    if not ids:
        return []
    found = {
        g.id: g
        for g in (
            await session.scalars(select(Gesture).where(Gesture.id.in_(ids), Gesture.site_id == report.site_id))
        ).all()
    }
    return [found[i] for i in ids if i in found]


async def _take_code(session: AsyncSession, gesture: Gesture, grant: GestureGrant) -> str | None:
    """Claim one free code for the grant; a conditional UPDATE so two customers never get the same code."""
    for _ in range(5):
        code = await session.scalar(
            select(GestureCode)
            .where(GestureCode.gesture_id == gesture.id, GestureCode.grant_id.is_(None))
            .order_by(GestureCode.id)
            .limit(1)
        )
        if code is None:
            return None
        taken = await session.execute(
            update(GestureCode)
            .where(GestureCode.id == code.id, GestureCode.grant_id.is_(None))
            .values(grant_id=grant.id)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return code.code
    return None


def _who(report: Report) -> str:
    return report.customer_name or report.customer_email or f"the customer of {report.ref}"


async def _fulfil(session: AsyncSession, report: Report, gesture: Gesture, grant: GestureGrant, now: datetime) -> bool:
    """Deliver a code at once, or give a person the task with a 24-hour deadline; False when the pool is empty."""
    if gesture.fulfilment == "code":
        grant.code = await _take_code(session, gesture, grant)
        return grant.code is not None
    session.add(
        Task(
            site_id=report.site_id,
            report_id=report.id,
            grant_id=grant.id,
            kind="gesture",
            title=f"{gesture.name} for {_who(report)}",
            due_at=now + timedelta(hours=FULFILMENT_HOURS),
        )
    )
    return True


async def choose(
    session: AsyncSession,
    *,
    report: Report,
    choice: str,
    gesture_id: int | None,
    wish: str,
    settings: Settings,
    env: Environment,
    now: datetime | None = None,
) -> GestureGrant:
    """Record the customer's answer (a gesture, no thanks, or their own words), confirm it, and hand it to a person.

    Raises AlreadyChosen, GestureGone (with what is still on offer) or ValueError for a bad answer.
    """
    now = now or utcnow()
    existing = await customer_choice(session, report)
    if existing:
        raise AlreadyChosen(existing)
    if choice not in CHOICES:
        raise ValueError("Pick one of the options, or tell us in your own words.")
    grant = GestureGrant(
        site_id=report.site_id, report_id=report.id, customer_choice_for=report.id, choice=choice, created_at=now
    )
    gesture = None
    if choice == "gesture":
        gesture = next((g for g in await offered(session, report) if g.id == gesture_id), None)
        if gesture is None:
            raise ValueError("Pick one of the gestures offered to you.")
        if not _has_room(gesture, (await usage(session, [gesture], now))[gesture.id]):
            raise await _gone(session, report, gesture.id, gesture.name, now)
        grant.gesture_id, grant.gesture_name, grant.tier = gesture.id, gesture.name, gesture.tier
    elif choice == "wish":
        text = (wish or "").strip()
        if not text:
            raise ValueError("Tell us in a few words what would make it right.")
        if len(text) > MAX_WISH or CONTROL_RE.search(text):
            raise ValueError(f"Please keep it to {MAX_WISH} characters of plain text.")
        grant.wish = text
    session.add(grant)
    try:
        await session.flush()
    except IntegrityError:  # a second submission raced this one
        await session.rollback()
        await session.refresh(report)
        raise AlreadyChosen(await customer_choice(session, report)) from None  # type: ignore[arg-type]
    if gesture and not await _fulfil(
        session, report, gesture, grant, now
    ):  # the last code went to someone else meanwhile
        await session.delete(grant)
        raise await _gone(session, report, gesture.id, gesture.name, now)
    if choice == "wish":
        session.add(
            Task(
                site_id=report.site_id,
                report_id=report.id,
                grant_id=grant.id,
                kind="wish",
                title=f"Answer {_who(report)}: what would make it right",
                due_at=now + timedelta(hours=FULFILMENT_HOURS),
            )
        )
    session.add(ReportEvent(report_id=report.id, kind="gesture", body=describe(grant), created_at=now))
    mail_customer(
        session,
        report,
        "gesture",
        f"gesture:{grant.id}",
        settings,
        env,
        grant=grant,
        confirmation=confirmation(grant, gesture.description if gesture else None),
    )
    await session.commit()
    return grant


async def _gone(session: AsyncSession, report: Report, gesture_id: int, name: str, now: datetime) -> GestureGone:
    """Offer the next relevant gestures instead of the one that ran out, and remember them as the new offer."""
    alternatives = await offers_for(
        session,
        report.site,
        category=report.category,
        customer_tier=report.customer_tier,
        repeat_level=report.repeat_level,
        now=now,
        exclude=[gesture_id],
    )
    report.offered_gesture_ids = [g.id for g in alternatives]
    await session.commit()
    return GestureGone(name, alternatives)


def describe(grant: GestureGrant) -> str:
    """One line for the timeline, readable by the customer and staff alike."""
    if grant.choice == "declined":
        return "No gesture, thank you: just fix it."
    if grant.choice == "wish":
        return f"What would make it right, in the customer's words: {grant.wish}"
    giver = f"{grant.granted_by.name} granted" if grant.granted_by else "Chose"
    return f"{giver} “{grant.gesture_name}”" + (" (code sent)" if grant.code else "") + "."


def confirmation(grant: GestureGrant, description: str | None = None) -> list[str]:
    """What we tell the customer about their gesture, in paragraphs (status page, panel and mail say the same)."""
    if grant.choice == "declined":
        return [
            "Understood: no gesture. We'll put our effort into fixing it, and into making sure it doesn't happen again."
        ]
    if grant.choice == "wish":
        return [
            f"Thank you for telling us what would make it right: “{grant.wish}”",
            f"A person on our team will read it and answer you within {FULFILMENT_HOURS} hours.",
        ]
    lines = [
        f"{'We would like to offer you' if grant.granted_by_id else 'You chose'}: {grant.gesture_name}."
        + (f" {description}" if description else "")
    ]
    if grant.code:
        lines.append(f"Your code: {grant.code} (it works once, and it is yours).")
    else:
        lines.append(f"A person on our team will see to it within {FULFILMENT_HOURS} hours.")
    return lines


async def budget_used(session: AsyncSession, staff: Staff, now: datetime) -> dict[int, int]:
    """How many gestures of each tier this staff member granted this month."""
    rows = await session.execute(
        select(GestureGrant.tier, func.count())
        .where(GestureGrant.granted_by_id == staff.id, GestureGrant.created_at >= _month_start(now))
        .group_by(GestureGrant.tier)
    )
    return {tier: count for tier, count in rows if tier}


async def budget_overview(
    session: AsyncSession, staff: Staff, site: Site, now: datetime | None = None
) -> list[tuple[Tier, int, int | None]]:
    """(tier, used, monthly limit or None) for the staff member, to show beside the grant form."""
    used = await budget_used(session, staff, now or utcnow())
    budgets = budgets_of(site.gesture_budgets)
    return [(tier, used.get(tier, 0), role_limit(budgets, staff.role, tier)) for tier in Tier]


async def _who_can_grant(session: AsyncSession, site: Site, roles: Sequence[str]) -> list[Staff]:
    """Active staff of the site (and admins) in the given roles."""
    linked = select(StaffSite.staff_id).where(StaffSite.site_id == site.id)
    query = (
        select(Staff)
        .where(Staff.is_active, Staff.role.in_(roles), (Staff.role == "admin") | Staff.id.in_(linked))
        .order_by(Staff.name)
    )
    return list((await session.scalars(query)).all())


async def grant(
    session: AsyncSession,
    *,
    report: Report,
    staff: Staff,
    gesture_id: int,
    reason: str,
    settings: Settings,
    env: Environment,
    now: datetime | None = None,
) -> GestureGrant:
    """A staff member grants a gesture on their own authority, within their role's monthly budget."""
    now = now or utcnow()
    gesture = next((g for g in await catalog(session, report.site_id) if g.id == gesture_id), None)
    if gesture is None:
        raise ValueError("Pick a gesture from the site's catalog.")
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > 500:
        raise ValueError("Say in a sentence why (at most 500 characters): it is kept with the grant.")
    if not _has_room(gesture, (await usage(session, [gesture], now))[gesture.id]):
        raise ValueError(f"“{gesture.name}” has reached its cap or has no codes left. Pick another one.")
    tier = Tier(gesture.tier)
    check = check_budget(
        budgets_of(report.site.gesture_budgets),
        role=staff.role,
        tier=tier,
        used=(await budget_used(session, staff, now)).get(tier, 0),
    )
    if not check.allowed:
        raise OverBudget(check, tier, await _who_can_grant(session, report.site, check.can_grant))
    given = GestureGrant(
        site_id=report.site_id,
        report_id=report.id,
        choice="gesture",
        gesture_id=gesture.id,
        gesture_name=gesture.name,
        tier=gesture.tier,
        granted_by_id=staff.id,
        reason=reason,
        created_at=now,
    )
    given.granted_by = staff
    session.add(given)
    await session.flush()
    if not await _fulfil(session, report, gesture, given, now):
        await session.delete(given)
        await session.flush()
        raise ValueError(f"“{gesture.name}” has no codes left. Pick another one.")
    session.add(
        ReportEvent(
            report_id=report.id,
            kind="gesture",
            staff_id=staff.id,
            body=describe(given),
            override_reason=reason,
            created_at=now,
        )
    )
    mail_customer(
        session,
        report,
        "gesture",
        f"gesture:{given.id}",
        settings,
        env,
        grant=given,
        confirmation=confirmation(given, gesture.description),
    )
    await session.commit()
    return given


@dataclass(frozen=True)
class ReportGestures:
    """Everything about gestures on one report page: what was given, what is open, what the viewer may grant."""

    grants: list[GestureGrant]
    offered: list[Gesture]
    tasks: list[Task]
    catalog: list[Gesture]
    budget: list[tuple[Tier, int, int | None]]


async def for_report_page(session: AsyncSession, report: Report, staff: Staff) -> ReportGestures:
    """The report's gestures, tasks, the site's catalog and the viewer's budget this month."""
    grants = (
        await session.scalars(select(GestureGrant).where(GestureGrant.report_id == report.id).order_by(GestureGrant.id))
    ).all()
    return ReportGestures(
        grants=list(grants),
        offered=await offered(session, report),
        tasks=await report_tasks(session, report),
        catalog=await catalog(session, report.site_id),
        budget=await budget_overview(session, staff, report.site),
    )


async def follow_up_for(
    session: AsyncSession, site: Site, report: Report, now: datetime, *, settings: Settings, env: Environment
) -> Task | None:
    """A named lead must follow up personally with an at-risk customer: the on-duty lead with fewest open follow-ups, told by mail.

    One open follow-up per customer: their next report while it is open goes to the same conversation, not a new task.
    """
    already = await session.scalar(
        select(Task.id)
        .join(Report, Report.id == Task.report_id)
        .where(
            Task.site_id == site.id,
            Task.kind == "follow_up",
            Task.done_at.is_(None),
            Report.customer_key == report.customer_key,
        )
        .limit(1)
    )
    if already:
        return None
    open_follow_ups = (
        select(func.count())
        .where(Task.assignee_id == Staff.id, Task.kind == "follow_up", Task.done_at.is_(None))
        .correlate(Staff)
        .scalar_subquery()
    )
    linked = select(StaffSite.staff_id).where(StaffSite.site_id == site.id)
    lead = await session.scalar(
        select(Staff)
        .where(Staff.is_active, Staff.role == "lead", Staff.id.in_(linked))
        .order_by(Staff.on_duty.desc(), open_follow_ups, Staff.id)
        .limit(1)
    )
    task = Task(
        site_id=site.id,
        report_id=report.id,
        kind="follow_up",
        assignee_id=lead.id if lead else None,
        title=f"Follow up personally with {_who(report)}: small failures are piling up",
        due_at=now + timedelta(hours=site.follow_up_hours),
        created_at=now,
    )
    session.add(task)
    if lead:
        content = render_mail(
            env,
            "follow_up",
            report=report,
            site=site,
            staff=lead,
            task=task,
            url=f"{settings.base_url}/staff/reports/{report.id}",
        )
        enqueue_mail(
            session,
            dedupe_key=f"follow_up:{report.id}",
            to_addr=lead.email,
            to_name=lead.name,
            content=content,
            base_url=settings.base_url,
            site_id=site.id,
            report_id=report.id,
        )
    return task


async def open_tasks(session: AsyncSession, site_ids: Sequence[int], *, assignee_id: int | None = None) -> list[Task]:
    """Tasks not yet done at these sites, the nearest deadline first."""
    query = (
        select(Task).where(Task.site_id.in_(site_ids), Task.done_at.is_(None)).order_by(Task.due_at, Task.id).limit(500)
    )
    if assignee_id is not None:
        query = query.where(Task.assignee_id == assignee_id)
    return list((await session.scalars(query)).all())


async def report_tasks(session: AsyncSession, report: Report) -> list[Task]:
    """Every task on one report."""
    return list((await session.scalars(select(Task).where(Task.report_id == report.id).order_by(Task.id))).all())


async def task_for_staff(session: AsyncSession, site_ids: Sequence[int], task_id: int) -> Task | None:
    """A task, if it belongs to one of these sites."""
    return await session.scalar(select(Task).where(Task.id == task_id, Task.site_id.in_(site_ids)))


async def complete_task(session: AsyncSession, task: Task, staff: Staff) -> None:
    """Mark a task done (once); it leaves a line on the report's timeline."""
    if task.done_at is None:
        task.done_at, task.done_by_id = utcnow(), staff.id
        session.add(ReportEvent(report_id=task.report_id, kind="task", staff_id=staff.id, body=task.title))
    await session.commit()


async def add_gesture(session: AsyncSession, site: Site, spec: GestureSpec) -> Gesture:
    """Add a gesture to the end of the site's catalog."""
    last = await session.scalar(select(func.max(Gesture.position)).where(Gesture.site_id == site.id))
    gesture = Gesture(site_id=site.id, position=(last or 0) + 1, **_fields(spec))
    session.add(gesture)
    await session.commit()
    return gesture


def _fields(spec: GestureSpec) -> dict[str, object]:
    return {
        "name": spec.name,
        "description": spec.description,
        "tier": int(spec.tier),
        "categories": list(spec.categories),
        "daily_cap": spec.daily_cap,
        "monthly_cap": spec.monthly_cap,
        "fulfilment": spec.fulfilment,
    }


async def update_gesture(session: AsyncSession, gesture: Gesture, spec: GestureSpec, *, active: bool) -> None:
    """Save an edited gesture; past grants keep the name it had."""
    for name, value in _fields(spec).items():
        setattr(gesture, name, value)
    gesture.active = active
    await session.commit()


async def add_codes(session: AsyncSession, gesture: Gesture, text: str) -> int:
    """Add single-use codes to an automatic gesture's pool; codes already in it are skipped. Returns how many were new."""
    codes = parse_codes(text)
    if not codes:
        raise ValueError("Paste at least one code, one per line.")
    known = set(
        (
            await session.scalars(
                select(GestureCode.code).where(GestureCode.gesture_id == gesture.id, GestureCode.code.in_(codes))
            )
        ).all()
    )
    new = [c for c in codes if c not in known]
    session.add_all(GestureCode(gesture_id=gesture.id, code=c) for c in new)
    await session.commit()
    return len(new)
