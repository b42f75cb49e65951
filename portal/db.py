"""Engine and session factory for the web app, the worker and the CLI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry

from portal.settings import Settings

T = TypeVar("T")

_AFTER_COMMIT = "mend.after_commit"


def call_after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Call `callback` once the session's transaction commits; a rollback forgets it."""
    session.info.setdefault(_AFTER_COMMIT, set()).add(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, ()):
        callback()


@event.listens_for(Session, "after_rollback")
def _forget_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)


def make_engine(settings: Settings, *, statement_timeout: float | None = None) -> AsyncEngine:
    """Create the async engine; SQLite gets WAL and a busy timeout so a separate worker process can share it.

    On PostgreSQL, connecting (or waiting for a pooled connection) gives up after `db_connect_timeout`,
    and each statement after `statement_timeout` when one is given (the web app's engine): a database
    that is down or stalls then costs a request seconds and a 503, not a minute and a 500.
    """
    if settings.is_postgres:
        connect_args: dict[str, float] = {"timeout": settings.db_connect_timeout}
        if statement_timeout:
            connect_args["command_timeout"] = statement_timeout
        return create_async_engine(
            settings.database_url,
            pool_size=10,
            max_overflow=10,
            pool_pre_ping=True,
            pool_timeout=settings.db_connect_timeout,
            connect_args=connect_args,
        )
    # SQLite takes one writer at a time, and a writer that finds the lock taken sleeps in SQLite's
    # busy handler (up to 100 ms a try). One shared connection queues requests in-process instead;
    # the price: a task must never hold one session while opening another, or it waits for itself.
    engine = create_async_engine(
        settings.database_url, connect_args={"timeout": 30}, pool_size=1, max_overflow=0, pool_timeout=30
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


def insert_on_conflict(session: AsyncSession, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `table` that can say ON CONFLICT, in the session's dialect (both spell it alike)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def ping(session: AsyncSession) -> None:
    """A round trip to the database; raises when it does not answer."""
    await session.execute(text("SELECT 1"))


async def in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one unit of work in a session on a short-lived engine, and commit it (CLI, scripts, tests)."""
    engine = make_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            result = await work(session)
            await session.commit()
            return result
    finally:
        await engine.dispose()
