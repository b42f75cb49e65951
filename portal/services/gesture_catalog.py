"""A site's gesture catalog: the gestures, their caps and code pools, and what a customer is offered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.default_gestures import DEFAULT_CATALOG
from portal.domain.gestures import GestureOption, GestureSpec, offer_gestures, parse_codes
from portal.i18n import gettext as _
from portal.models import Gesture, GestureCode, GestureGrant, Report, Site


async def catalog(session: AsyncSession, site_id: int, *, active_only: bool = True) -> list[Gesture]:
    """The site's gestures in their order."""
    query = select(Gesture).where(Gesture.site_id == site_id).order_by(Gesture.position, Gesture.id)
    if active_only:
        query = query.where(Gesture.active)
    return list((await session.scalars(query)).all())


async def gesture_of_site(session: AsyncSession, site_id: int, gesture_id: int) -> Gesture | None:
    """One gesture of the site's catalog (None for another site's)."""
    return await session.scalar(select(Gesture).where(Gesture.id == gesture_id, Gesture.site_id == site_id))


def seed_defaults(session: AsyncSession, site: Site) -> None:
    """Give a new site Mend's default catalog (in the caller's transaction)."""
    session.add_all(
        Gesture(site_id=site.id, position=position, **_fields(spec)) for position, spec in enumerate(DEFAULT_CATALOG)
    )


async def add_gesture(session: AsyncSession, site: Site, spec: GestureSpec) -> Gesture:
    """Add a gesture to the end of the site's catalog."""
    last = await session.scalar(select(func.max(Gesture.position)).where(Gesture.site_id == site.id))
    gesture = Gesture(site_id=site.id, position=(last or 0) + 1, **_fields(spec))
    session.add(gesture)
    await session.commit()
    return gesture


async def set_budgets(session: AsyncSession, site: Site, budgets: dict[str, list[int]]) -> None:
    """Save how many gestures of each tier each role may grant a month on their own authority."""
    site.gesture_budgets = budgets
    await session.commit()


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
        raise ValueError(_("Paste at least one code, one per line."))
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


def month_start(now: datetime) -> datetime:
    """Midnight on the first of `now`'s month: caps and budgets count from there."""
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


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
            .where(GestureGrant.gesture_id.in_(capped), GestureGrant.created_at >= month_start(now))
            .group_by(GestureGrant.gesture_id)
        )
        # The IN already leaves out grants of deleted gestures; the check tells the type checker.
        granted = {gid: (day, month) for gid, day, month in rows if gid is not None}
    code_ids = [g.id for g in gestures if g.fulfilment == "code"]
    left: dict[int, int] = {}
    if code_ids:
        free = await session.execute(
            select(GestureCode.gesture_id, func.count())
            .where(GestureCode.gesture_id.in_(code_ids), GestureCode.grant_id.is_(None))
            .group_by(GestureCode.gesture_id)
        )
        left = dict(free.all())
    return {g.id: (*granted.get(g.id, (0, 0)), left.get(g.id, 0) if g.fulfilment == "code" else None) for g in gestures}


def has_room(gesture: Gesture, used: tuple[int, int, int | None]) -> bool:
    """True while the gesture is under its daily and monthly caps and has codes left."""
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
    return offers_among(gestures, await usage(session, gestures, now), category, customer_tier, repeat_level)


def offers_among(
    gestures: Sequence[Gesture],
    room: dict[int, tuple[int, int, int | None]],
    category: str,
    customer_tier: int,
    repeat_level: int,
) -> list[Gesture]:
    """The gestures to offer out of an active catalog, given each one's `usage` (intake's cached catalog)."""
    by_id = {g.id: g for g in gestures}
    options = [GestureOption(g.id, g.tier, tuple(g.categories or ()), g.position) for g in gestures]
    chosen = offer_gestures(
        options,
        category=category,
        customer_tier=customer_tier,
        repeat_level=repeat_level,
        available=lambda o: has_room(by_id[o.id], room[o.id]),
    )
    return [by_id[o.id] for o in chosen]


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
