"""Floods: reports a site's per-minute ceiling refused.

Each refusal is counted in the site's flood row; once the flood is over the worker mails the site's
admins how many reports were refused, so a genuine incident (many real customers at once) is never
taken for abuse without a person seeing it. Each flood is reported once, however many workers run.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case, or_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.db import insert_on_conflict
from portal.domain.webhooks import timestamp
from portal.mail import Mail
from portal.models import Site, SiteFlood, utcnow
from portal.services.staff import site_staff
from portal.services.webhooks import emit

# Over after two quiet minutes: a flood just above the ceiling is refused at least once a minute.
FLOOD_QUIET = timedelta(minutes=2)
# A flood that goes on is reported this long after it began, and counts again from there.
FLOOD_LONGEST = timedelta(minutes=30)


async def record_refusal(session: AsyncSession, site: Site, now: datetime, refused: int = 1) -> None:
    """Count refused reports in the site's flood (a new flood when the last one was reported); in the
    caller's transaction, in one statement, so concurrent refusals are all counted. The refusal that starts a
    flood (its count is its own) emits `flood.refused`."""
    reported = SiteFlood.notified.is_(True)
    counted = await session.scalar(
        insert_on_conflict(session, SiteFlood)
        .values(site_id=site.id, started_at=now, last_refused_at=now, refused=refused, notified=False)
        .on_conflict_do_update(
            index_elements=[SiteFlood.site_id],
            set_={
                "refused": case((reported, refused), else_=SiteFlood.refused + refused),
                "started_at": case((reported, now), else_=SiteFlood.started_at),
                "last_refused_at": now,
                "notified": False,
            },
        )
        .returning(SiteFlood.refused)
    )
    if counted == refused:
        await emit(
            session,
            site.id,
            "flood.refused",
            {"site": {"key": site.key, "name": site.name}, "refused": refused, "started_at": timestamp(now)},
        )


async def notify_floods(
    sessionmaker: async_sessionmaker[AsyncSession], *, mail: Mail, now: datetime | None = None
) -> int:
    """Mail each site's admins about its flood once it is over; returns how many floods were reported. Commits.

    The conditional UPDATE claims a flood and reads its final count in one statement: a second worker
    finds it claimed, and a refusal after it starts a new flood.
    """
    now = now or utcnow()
    over = and_(
        SiteFlood.notified.is_(False),
        or_(SiteFlood.last_refused_at <= now - FLOOD_QUIET, SiteFlood.started_at <= now - FLOOD_LONGEST),
    )
    claim = (
        update(SiteFlood)
        .where(over)
        .values(notified=True)
        .returning(SiteFlood.site_id, SiteFlood.started_at, SiteFlood.last_refused_at, SiteFlood.refused)
        .execution_options(synchronize_session=False)
    )
    async with sessionmaker() as session, session.begin():
        floods = (await session.execute(claim)).all()
        for site_id, started_at, last_refused_at, refused in floods:
            site = await session.get(Site, site_id)
            if site is None:
                continue
            for admin in await site_staff(session, site.id, ["admin"]):
                mail.flood(
                    session,
                    site,
                    admin=admin,
                    started_at=started_at,
                    last_refused_at=last_refused_at,
                    refused=refused,
                )
    return len(floods)
