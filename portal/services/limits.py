"""Rate limits that hold under concurrency, on both databases and across any number of server processes.

Each limited thing (one address at one site, one account from one address...) is a counter row.
A hit is one upsert that adds one to the row, or starts a new window when the old one is over, and
returns the new count: checking and counting are a single statement, so concurrent requests are
serialised by the row's lock and exactly `limit` of them see a count within the limit. Nothing
needs Redis: the database every install already has is the shared state.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import ReturningInsert

from portal.db import dialect_insert
from portal.models import RateCounter, utcnow


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


def counter_key(scope: str, *parts: str) -> str:
    """The row of one limit, e.g. `counter_key("report", site_id, client)`; the parts are hashed, so
    the table holds no email addresses and every key has the same length."""
    return f"{scope}:{hashlib.sha256(chr(31).join(parts).encode()).hexdigest()[:40]}"


async def hit(session: AsyncSession, key: str, *, limit: int, window: timedelta, now: datetime) -> Hit:
    """Count one hit in the caller's transaction; the window starts at the first hit after the last one ended.

    Refused hits are counted too (they cannot change the answer, which only depends on whether the
    count is over the limit); the row stays locked on PostgreSQL until the caller commits.
    """
    hits, retry_after = (await hit_many(session, {key: 1}, window=window, now=now))[key]
    return Hit(key, hits, limit, retry_after)


@functools.cache
def _counting(dialect: str) -> ReturningInsert[str, int, datetime]:
    """hit_many's upsert: a window that is over starts again with these hits, else they are added. Every
    value is in the VALUES row (the hit's time as window_started_at), so many keys go in one statement."""
    upsert = dialect_insert(dialect, RateCounter.__table__)
    over = RateCounter.window_ends_at <= upsert.excluded.window_started_at
    return upsert.on_conflict_do_update(
        index_elements=[RateCounter.key],
        set_={
            "hits": case((over, upsert.excluded.hits), else_=RateCounter.hits + upsert.excluded.hits),
            "window_started_at": case((over, upsert.excluded.window_started_at), else_=RateCounter.window_started_at),
            "window_ends_at": case((over, upsert.excluded.window_ends_at), else_=RateCounter.window_ends_at),
        },
    ).returning(RateCounter.key, RateCounter.hits, RateCounter.window_ends_at)


async def hit_many(
    session: AsyncSession, counts: Mapping[str, int], *, window: timedelta, now: datetime
) -> dict[str, tuple[int, int]]:
    """Count `counts[key]` hits on each key in one statement, in the caller's transaction; per key, the count
    in its window after these hits and the seconds until that window ends.

    A group of requests counts together: the group's hits on a key are numbers count - n + 1 ... count, and
    exactly those within the limit are allowed, as if each request had hit alone. The rows are written in
    key order, the order every writer locks them in, so two groups never deadlock.
    """
    # Many rows as parameters: SQLAlchemy sends them as one multi-row statement (its "insertmanyvalues").
    rows = [
        {"key": key, "hits": n, "window_started_at": now, "window_ends_at": now + window}
        for key, n in sorted(counts.items())
    ]
    counted: dict[str, tuple[int, int]] = {}
    for key, hits, ends_at in await session.execute(_counting(session.get_bind().dialect.name), rows):
        # A concurrent request that read the clock a moment later may have started the window.
        wait = min(ends_at - now, window)
        counted[key] = (hits, max(1, math.ceil(wait.total_seconds())))
    return counted


async def refund(session: AsyncSession, hits: Sequence[Hit], *, now: datetime) -> None:
    """Give back hits that turned out not to count (a correct password, a report another limit refused),
    in the caller's transaction."""
    await refund_many(session, Counter(counted.key for counted in hits), now=now)


async def refund_many(session: AsyncSession, counts: Mapping[str, int], *, now: datetime) -> None:
    """Give back `counts[key]` hits on each key, in the caller's transaction.

    One row at a time, in key order, as hit_many locks them: two writers never each hold a row the other
    waits for.
    """
    for key, n in sorted(counts.items()):
        await session.execute(
            update(RateCounter)
            .where(RateCounter.key == key, RateCounter.window_ends_at > now, RateCounter.hits > 0)
            .values(hits=case((RateCounter.hits > n, RateCounter.hits - n), else_=0))
        )


async def prune(sessionmaker: async_sessionmaker[AsyncSession], now: datetime | None = None) -> int:
    """Forget counters whose window is over (the worker's housekeeping); commits."""
    async with sessionmaker() as session, session.begin():
        result = await session.execute(delete(RateCounter).where(RateCounter.window_ends_at <= (now or utcnow())))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
