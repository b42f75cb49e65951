"""Wake-ups that reach other processes: PostgreSQL NOTIFY in the committing transaction, LISTEN in the worker.

`notify_on_commit(session, channel)` adds one `pg_notify` to the session's transaction just before it
commits, so the notification is delivered with the commit and never after a rollback (on SQLite it
does nothing: there the waiting side polls). `listen(...)` keeps a dedicated connection that
LISTENs, reconnects when it drops, and calls back on every notification and after every reconnect
(notifications sent while it was away are lost, so the caller must look for itself). A worker in the
committing process itself can be woken directly too: `waking(channel, wake)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Iterator, Sequence

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
from sqlalchemy import event, make_url, select
from sqlalchemy import func as sql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from portal.db import call_after_commit

log = logging.getLogger(__name__)

OUTBOX = "mend_outbox"
WEBHOOKS = "mend_webhooks"
_CHANNELS = "mend.notify"
RECONNECT_SECONDS = (0.5, 1.0, 2.0, 5.0)


def notify_on_commit(session: AsyncSession, channel: str) -> None:
    """Notify `channel`'s listeners when the session's transaction commits (once, however often called)."""
    if session.get_bind().dialect.name == "postgresql":
        session.info.setdefault(_CHANNELS, set()).add(channel)
    if _here.get(channel):
        call_after_commit(session, _wake_here(channel))


_here: dict[str, set[Callable[[], None]]] = {}  # this process's listeners, per channel


@contextlib.contextmanager
def waking(channel: str, wake: Callable[[], None]) -> Iterator[None]:
    """While inside, call `wake` when a transaction in this process commits a notification on `channel`."""
    _here.setdefault(channel, set()).add(wake)
    try:
        yield
    finally:
        _here[channel].discard(wake)


@functools.cache
def _wake_here(channel: str) -> Callable[[], None]:
    """One callback per channel, so a transaction that notifies it many times wakes its listeners once."""

    def wake_all() -> None:
        for wake in list(_here.get(channel, ())):
            wake()

    return wake_all


@event.listens_for(Session, "before_commit")
def _notify(session: Session) -> None:
    for channel in sorted(session.info.pop(_CHANNELS, ())):
        session.execute(select(sql.pg_notify(channel, "")))


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_CHANNELS, None)


def asyncpg_dsn(database_url: str) -> str:
    """The libpq-style address asyncpg connects to, from a SQLAlchemy `postgresql+asyncpg://` URL."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


async def listen(
    database_url: str,
    channel: str | Sequence[str],
    wake: Callable[[], None],
    *,
    connect_timeout: float,
    on_listening: Callable[[bool], None] = lambda _listening: None,
) -> None:
    """LISTEN on `channel` (or several) until cancelled, calling `wake` on each notification and after each
    (re)connect.

    `on_listening(True|False)` says when notifications can (and can no longer) be relied on.
    """
    attempt = 0
    while True:
        try:
            conn = await asyncpg.connect(
                asyncpg_dsn(database_url), timeout=connect_timeout, server_settings={"application_name": "mend-listen"}
            )
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            delay = RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)]
            log.warning("cannot LISTEN for wake-ups (%s); retrying in %s s", exc, delay)
            attempt += 1
            await asyncio.sleep(delay)
            continue
        attempt = 0
        try:
            await _listen_on(conn, channel, wake, on_listening)
            log.warning("the LISTEN connection dropped; reconnecting")
        finally:
            on_listening(False)
            conn.terminate()


async def _listen_on(
    conn: asyncpg.Connection,
    channel: str | Sequence[str],
    wake: Callable[[], None],
    on_listening: Callable[[bool], None],
    every: float = 10.0,
) -> None:
    """LISTEN on one connection until it ends; an idle connection can die silently, so ask it now and then."""
    lost = asyncio.Event()
    conn.add_termination_listener(lambda _conn: lost.set())
    for name in [channel] if isinstance(channel, str) else channel:
        await conn.add_listener(name, lambda *_args: wake())
    on_listening(True)
    wake()  # anything queued while nobody listened
    while not lost.is_set():
        try:
            async with asyncio.timeout(every):  # not wait_for: see Worker._loop
                await lost.wait()
        except TimeoutError:
            try:
                await conn.execute("SELECT 1", timeout=every)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                return
