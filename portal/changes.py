"""Telling every process that a site changed: a version on the site row, bumped in the writer's transaction.

Intake caches a site with its gestures, templates and the events its webhook endpoints want per process
(portal/services/site_cache.py) and compares the version on every report, so a change committed anywhere
is seen by the next report in every process. ORM writes to any of these bump it by themselves (the flush
hook below), so no admin page has to remember to; a Core statement that changes them calls
`site_changed`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from portal.models import ApologyTemplate, Gesture, Site, WebhookEndpoint

# What the intake cache holds a copy of: a change to any of these rows makes the copy stale.
CACHED = (Site, Gesture, ApologyTemplate, WebhookEndpoint)


def _bump(session: Session, site_ids: Iterable[int]) -> None:
    ids = sorted(set(site_ids))  # one order for every writer, so two bumps never deadlock
    if ids:
        session.execute(
            update(Site)
            .where(Site.id.in_(ids))
            .values(version=Site.version + 1)
            .execution_options(synchronize_session=False)
        )


async def site_changed(session: AsyncSession, site_id: int) -> None:
    """Mark the site changed in the caller's transaction: every process's cached copy is stale once it commits."""
    await session.run_sync(_bump, [site_id])


def _site_id(row: Any) -> int | None:
    return row.id if isinstance(row, Site) else row.site_id


@event.listens_for(Session, "before_flush")
def _bump_changed_sites(session: Session, _context: object, _instances: object) -> None:
    changed = [
        row
        for row in (*session.new, *session.deleted, *(r for r in session.dirty if session.is_modified(r)))
        if isinstance(row, CACHED) and not (isinstance(row, Site) and row in session.new)
    ]
    _bump(session, (site_id for row in changed if (site_id := _site_id(row)) is not None))
