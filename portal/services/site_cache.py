"""What intake reads about a site on every report, kept per process and checked against the site's version.

A snapshot holds the site row, its active gestures, its published templates and the events its webhook
endpoints want, read together once.
A request takes the snapshot it finds here without a query; the intake writer then reads the versions
of its group's sites in the transaction that stores them and redoes a report against a fresh copy
when its site changed (portal/services/intake.py). So a change committed in any process
(portal/changes.py bumps the version) is seen by the very next report: caching costs no staleness.
What runs out (gesture caps, code pools) is never cached.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.models import ApologyTemplate, Gesture, Site, WebhookEndpoint
from portal.services.templates import choose_published

MAX_SITES = 10_000  # a process forgets the least recently loaded site past this many


@dataclass(frozen=True)
class SiteSnapshot:
    """A site as intake sees it; its objects are detached copies, never written through."""

    site: Site
    version: int
    gestures: Sequence[Gesture]  # active, in catalog order
    templates: Sequence[ApologyTemplate]  # published
    category_slugs: list[str] = field(default_factory=list)
    webhook_events: frozenset[str] = frozenset()  # what the site's enabled endpoints want: intake emits only these

    def published_for(self, category: str, lang: str) -> list[ApologyTemplate]:
        """The published variants in this language for this category, else the site-wide ones (empty: Mend's own)."""
        return choose_published([t for t in self.templates if t.lang == lang], category)


class SiteCache:
    """Snapshots by site key, one cache per app (that is, per process)."""

    def __init__(self) -> None:
        self._by_key: dict[str, SiteSnapshot] = {}

    def cached(self, key: str) -> SiteSnapshot | None:
        """The snapshot this process holds for the key, if any (its version is checked where the report is
        stored)."""
        return self._by_key.get(key)

    async def refreshed(self, session: AsyncSession, snapshots: Iterable[SiteSnapshot]) -> dict[int, SiteSnapshot]:
        """These sites as committed now, by id: one read of their versions, a reload of those that moved on
        (a deleted site is left out)."""
        by_id = {snapshot.site.id: snapshot for snapshot in snapshots}
        current: dict[int, SiteSnapshot] = {}
        table = Site.__table__.c  # Core: no ORM machinery on the intake writer's path
        for site_id, version in await session.execute(select(table.id, table.version).where(table.id.in_(by_id))):
            snapshot = by_id[site_id]
            if snapshot.version != version:
                cached = self._by_key.get(snapshot.site.key)
                fresh = cached if cached is not None and cached.version == version else None
                fresh = fresh or await self.reload(session, snapshot.site.key)
                if fresh is None:
                    continue
                snapshot = fresh
            current[site_id] = snapshot
        return current

    async def current(self, session: AsyncSession, key: str) -> SiteSnapshot | None:
        """The snapshot of the site with this key as committed now (None: no such site): one indexed read of
        its version, and a reload only when that moved on."""
        cached = self._by_key.get(key)
        version = await session.scalar(select(Site.version).where(Site.key == key))
        if version is None:
            self._by_key.pop(key, None)
            return None
        if cached is not None and cached.version == version:
            return cached
        return await self.reload(session, key)

    async def reload(self, session: AsyncSession, key: str) -> SiteSnapshot | None:
        """Read the site afresh and keep it."""
        site = await session.scalar(select(Site).where(Site.key == key).execution_options(populate_existing=True))
        if site is None:
            self._by_key.pop(key, None)
            return None
        snapshot = await load_snapshot(session, site)
        # Detached, so no later request's session can write to them or expire them.
        for row in (site, *snapshot.gestures, *snapshot.templates):
            session.expunge(row)
        if len(self._by_key) >= MAX_SITES:
            self._by_key.pop(next(iter(self._by_key)))
        self._by_key[key] = snapshot
        return snapshot


async def load_snapshot(session: AsyncSession, site: Site) -> SiteSnapshot:
    """What intake needs of this site, read in the caller's session (the objects stay in it)."""
    gestures = (
        await session.scalars(
            select(Gesture).where(Gesture.site_id == site.id, Gesture.active).order_by(Gesture.position, Gesture.id)
        )
    ).all()
    templates = (
        await session.scalars(
            select(ApologyTemplate).where(ApologyTemplate.site_id == site.id, ApologyTemplate.published)
        )
    ).all()
    subscribed = await session.scalars(
        select(WebhookEndpoint.events).where(WebhookEndpoint.site_id == site.id, WebhookEndpoint.enabled)
    )
    return SiteSnapshot(
        webhook_events=frozenset(event for events in subscribed for event in events),
        site=site,
        version=site.version,
        gestures=tuple(gestures),
        templates=tuple(templates),
        category_slugs=[c["slug"] for c in site.categories],
    )
