"""Rate limits that hold under concurrency, on both databases and across any number of server processes.

Each limited thing (one address at one site, one account from one address...) is a counter row.
A hit is one upsert that adds one to the row, or starts a new window when the old one is over, and
returns the new count: checking and counting are a single statement, so concurrent requests are
serialised by the row's lock and exactly `limit` of them see a count within the limit. Nothing
needs Redis: the database every install already has is the shared state.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.models import Base, RateCounter, utcnow


@dataclass(frozen=True)
class Hit:
    """One request counted against a limit."""

    key: str
    hits: int
    limit: int
    retry_after: int  # seconds until the window ends

    @property
    def allowed(self) -> bool:
        """True while the window holds no more than `limit` hits, this one included."""
        return self.hits <= self.limit


def insert_or_update(session: AsyncSession, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that takes ON CONFLICT DO UPDATE, in the dialect of the session's database."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def counter_key(scope: str, *parts: str) -> str:
    """The row of one limit, e.g. `counter_key("report", site_id, client)`; the parts are hashed, so
    the table holds no email addresses and every key has the same length."""
    return f"{scope}:{hashlib.sha256(chr(31).join(parts).encode()).hexdigest()[:40]}"


async def hit(session: AsyncSession, key: str, *, limit: int, window: timedelta, now: datetime) -> Hit:
    """Count one hit in the caller's transaction; the window starts at the first hit after the last one ended.

    Refused hits are counted too (they cannot change the answer, which only depends on whether the
    count is over the limit); the row stays locked on PostgreSQL until the caller commits.
    """
    ends = literal(now + window, RateCounter.window_ends_at.type)
    over = RateCounter.window_ends_at <= now
    upsert = (
        insert_or_update(session, RateCounter)
        .values(key=key, hits=1, window_ends_at=now + window)
        .on_conflict_do_update(
            index_elements=[RateCounter.key],
            set_={
                "hits": case((over, 1), else_=RateCounter.hits + 1),
                "window_ends_at": case((over, ends), else_=RateCounter.window_ends_at),
            },
        )
        .returning(RateCounter.hits, RateCounter.window_ends_at)
    )
    hits, ends_at = (await session.execute(upsert)).one()
    # A concurrent request that read the clock a moment later may have started the window.
    wait = min(ends_at - now, window)
    return Hit(key, hits, limit, max(1, math.ceil(wait.total_seconds())))


async def refund(session: AsyncSession, hits: Sequence[Hit], *, now: datetime) -> None:
    """Give back hits that turned out not to count (a correct password, a report another limit refused),
    in the caller's transaction.

    One row at a time, in the order they were hit: the order every request locks them in, so two
    requests can never each hold a row the other waits for.
    """
    for counted in hits:
        await session.execute(
            update(RateCounter)
            .where(RateCounter.key == counted.key, RateCounter.window_ends_at > now, RateCounter.hits > 0)
            .values(hits=RateCounter.hits - 1)
        )


async def prune(sessionmaker: async_sessionmaker[AsyncSession], now: datetime | None = None) -> int:
    """Forget counters whose window is over (the worker's housekeeping); commits."""
    async with sessionmaker() as session, session.begin():
        result = await session.execute(delete(RateCounter).where(RateCounter.window_ends_at <= (now or utcnow())))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
