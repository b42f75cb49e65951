"""Storing the customer activity a host sends: authenticated per site, rate limited, each event stored once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.db import insert_on_conflict
from portal.domain.events import Event, check_signature
from portal.models import CustomerEvent, Site
from portal.services import limits

BATCHES_PER_MINUTE = 60  # 60,000 events a minute at most per site: a backfill of ten million takes under three hours
BATCH_WINDOW = timedelta(minutes=1)


class TooManyBatches(Exception):
    """The site sent more batches in the last minute than BATCHES_PER_MINUTE."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after}s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Stored:
    """What a batch did: events received (an id repeated in the batch counts each time), newly stored, and
    already known (sent before, or twice in this batch)."""

    received: int
    stored: int
    duplicates: int


async def signing_site(
    session: AsyncSession,
    *,
    site_key: str | None,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: datetime,
) -> Site:
    """The site whose secret signed this body just now, or Unauthenticated (an unknown key included)."""
    site = await session.scalar(select(Site).where(Site.key == site_key)) if site_key else None
    check_signature(site.secret if site else None, timestamp=timestamp, signature=signature, body=body, now=now)
    assert site is not None  # check_signature refuses a key no site has
    return site


async def record_events(session: AsyncSession, site: Site, events: Sequence[Event], *, now: datetime) -> Stored:
    """Count the batch against the site's limit (TooManyBatches), then store each event not stored before; commits.

    ON CONFLICT DO NOTHING on (site, event id) stores each event once: an id repeated in the batch (the first
    one is kept), a batch sent again, or the same batch sent twice at once.
    """
    counted = await limits.hit(
        session, limits.counter_key("events", str(site.id)), limit=BATCHES_PER_MINUTE, window=BATCH_WINDOW, now=now
    )
    if not counted.allowed:
        await session.commit()
        raise TooManyBatches(counted.retry_after)
    stored = 0
    if events:
        insert = (
            insert_on_conflict(session, CustomerEvent)
            .values(
                [
                    {
                        "site_id": site.id,
                        "event_id": e.event_id,
                        "customer_key": e.customer_key,
                        "type": e.type,
                        "at": e.at,
                    }
                    for e in events
                ]
            )
            .on_conflict_do_nothing(index_elements=[CustomerEvent.site_id, CustomerEvent.event_id])
            .returning(CustomerEvent.id)
        )
        stored = len((await session.execute(insert)).all())
    await session.commit()
    return Stored(received=len(events), stored=stored, duplicates=len(events) - stored)
