"""Gestures given: the customer's own choice, staff grants within their role's budget, and how both are told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.gestures import BudgetCheck, Tier, budgets_of, check_budget, role_limit
from portal.domain.intake import CONTROL_RE
from portal.domain.webhooks import report_data
from portal.gesture_texts import describe
from portal.i18n import gettext as _
from portal.i18n import use_locale
from portal.mail import Mail
from portal.models import Gesture, GestureCode, GestureGrant, Report, ReportEvent, Site, Staff, Task, utcnow
from portal.services.gesture_catalog import catalog, has_room, month_start, offered, offers_for, usage
from portal.services.staff import site_staff
from portal.services.tasks import add_task, customer_label, report_tasks
from portal.services.webhooks import emit

MAX_WISH = 1000
CHOICES = ("gesture", "declined", "wish")


class AlreadyChosen(Exception):
    """The customer already answered for this report."""

    def __init__(self, grant: GestureGrant) -> None:
        super().__init__(_("You have already told us what you'd like for this report."))
        self.grant = grant


class GestureGone(Exception):
    """The gesture picked has just reached its cap or run out of codes; these are still on offer."""

    def __init__(self, name: str, alternatives: list[Gesture]) -> None:
        super().__init__(
            _(
                "“%(gesture)s” has just run out for now. Here is what we can still offer; sorry for the extra step.",
                gesture=name,
            )
        )
        self.alternatives = alternatives


class OverBudget(Exception):
    """A staff grant beyond the role's monthly budget, with who could grant it instead."""

    def __init__(self, check: BudgetCheck, tier: Tier, who: list[Staff]) -> None:
        names = ", ".join(s.name for s in who) or _("nobody at this site")
        super().__init__(
            _(
                "That would go over your monthly budget for %(tier)s gestures (%(used)s of %(limit)s used). "
                "Who can grant it: %(names)s.",
                tier=_(tier.label),
                used=check.used,
                limit=check.limit,
                names=names,
            )
        )
        self.check = check
        self.who = who


async def customer_choice(session: AsyncSession, report: Report) -> GestureGrant | None:
    """What the customer told us they'd like for this report, if they have."""
    return await session.scalar(select(GestureGrant).where(GestureGrant.customer_choice_for == report.id))


async def _take_code(session: AsyncSession, gesture: Gesture, grant: GestureGrant) -> str | None:
    """Claim one free code for the grant; a conditional UPDATE so two customers never get the same code."""
    for _attempt in range(5):
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
        if taken.rowcount == 1:  # type: ignore[attr-defined]  # an UPDATE's Result is a CursorResult; Session.execute() can't say so (sqlalchemy#12913)
            return code.code
    return None


async def _fulfil(session: AsyncSession, report: Report, gesture: Gesture, grant: GestureGrant, now: datetime) -> bool:
    """Deliver a code at once, or give a person the task with a 24-hour deadline; False when the pool is empty."""
    if gesture.fulfilment == "code":
        grant.code = await _take_code(session, gesture, grant)
        return grant.code is not None
    with use_locale(report.site.default_language):  # staff read tasks; the customer's request makes them
        title = _("%(gesture)s for %(customer)s", gesture=gesture.name, customer=customer_label(report))
    add_task(session, report, grant, "gesture", title, now)
    return True


async def choose(
    session: AsyncSession,
    *,
    report: Report,
    choice: str,
    gesture_id: int | None,
    wish: str,
    mail: Mail,
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
        raise ValueError(_("Pick one of the options, or tell us in your own words."))
    grant = GestureGrant(
        site_id=report.site_id, report_id=report.id, customer_choice_for=report.id, choice=choice, created_at=now
    )
    gesture = None
    if choice == "gesture":
        gesture = next((g for g in await offered(session, report) if g.id == gesture_id), None)
        if gesture is None:
            raise ValueError(_("Pick one of the gestures offered to you."))
        if not has_room(gesture, (await usage(session, [gesture], now))[gesture.id]):
            raise await _gone(session, report, gesture.id, gesture.name, now)
        grant.gesture_id, grant.gesture_name, grant.tier = gesture.id, gesture.name, gesture.tier
    elif choice == "wish":
        text = (wish or "").strip()
        if not text:
            raise ValueError(_("Tell us in a few words what would make it right."))
        if len(text) > MAX_WISH or CONTROL_RE.search(text):
            raise ValueError(_("Please keep it to %(limit)s characters of plain text.", limit=MAX_WISH))
        grant.wish = text
    session.add(grant)
    try:
        await session.flush()
    except IntegrityError:  # a second submission raced this one
        await session.rollback()
        await session.refresh(report)
        raise AlreadyChosen(await customer_choice(session, report)) from None  # type: ignore[arg-type]  # the unique customer_choice_for that failed means the racing answer is there
    if gesture and not await _fulfil(
        session, report, gesture, grant, now
    ):  # the last code went to someone else meanwhile
        await session.delete(grant)
        raise await _gone(session, report, gesture.id, gesture.name, now)
    if choice == "wish":
        with use_locale(report.site.default_language):
            title = _("Answer %(customer)s: what would make it right", customer=customer_label(report))
        add_task(session, report, grant, "wish", title, now)
    with use_locale(report.lang):  # the timeline line is read by the customer, in their language
        line = describe(grant, gesture)
    session.add(ReportEvent(report_id=report.id, kind="gesture", body=line, created_at=now))
    mail.gesture(session, report, grant, gesture)
    chosen = report_data(report, mail.base_url, choice=grant.choice, gesture=grant.gesture_name)
    await emit(session, report.site_id, "gesture.chosen", chosen)
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


async def budget_used(session: AsyncSession, staff: Staff, now: datetime) -> dict[int, int]:
    """How many gestures of each tier this staff member granted this month."""
    rows = await session.execute(
        select(GestureGrant.tier, func.count())
        .where(GestureGrant.granted_by_id == staff.id, GestureGrant.created_at >= month_start(now))
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


async def grant(
    session: AsyncSession,
    *,
    report: Report,
    staff: Staff,
    gesture_id: int,
    reason: str,
    mail: Mail,
    now: datetime | None = None,
) -> GestureGrant:
    """A staff member grants a gesture on their own authority, within their role's monthly budget."""
    now = now or utcnow()
    gesture = next((g for g in await catalog(session, report.site_id) if g.id == gesture_id), None)
    if gesture is None:
        raise ValueError(_("Pick a gesture from the site's catalog."))
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > 500:
        raise ValueError(_("Say in a sentence why (at most 500 characters): it is kept with the grant."))
    if not has_room(gesture, (await usage(session, [gesture], now))[gesture.id]):
        raise ValueError(
            _("“%(gesture)s” has reached its cap or has no codes left. Pick another one.", gesture=gesture.name)
        )
    tier = Tier(gesture.tier)
    check = check_budget(
        budgets_of(report.site.gesture_budgets),
        role=staff.role,
        tier=tier,
        used=(await budget_used(session, staff, now)).get(tier, 0),
    )
    if not check.allowed:
        raise OverBudget(check, tier, await site_staff(session, report.site_id, check.can_grant))
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
        raise ValueError(_("“%(gesture)s” has no codes left. Pick another one.", gesture=gesture.name))
    with use_locale(report.lang):
        line = describe(given, gesture)
    session.add(
        ReportEvent(
            report_id=report.id,
            kind="gesture",
            staff_id=staff.id,
            body=line,
            override_reason=reason,
            created_at=now,
        )
    )
    mail.gesture(session, report, given, gesture)
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
