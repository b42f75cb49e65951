"""Engine and session factory for the web app, the worker and the CLI."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
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

from portal import changes  # noqa: F401  (every session bumps the version of sites it changes)
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
        connect_args: dict[str, Any] = {"timeout": settings.db_connect_timeout}
        if statement_timeout:
            connect_args["command_timeout"] = statement_timeout
        if settings.db_pgbouncer:
            # PgBouncer in transaction mode hands each transaction to any server connection: a statement
            # prepared on one is unknown (or, by a generated name, taken) on another. No statement caches,
            # and a unique name for the statements asyncpg still prepares.
            connect_args |= {
                "statement_cache_size": 0,
                "prepared_statement_cache_size": 0,
                "prepared_statement_name_func": lambda: f"__mend_{uuid.uuid4().hex}__",
            }
        return create_async_engine(
            settings.database_url,
            pool_size=10,
            max_overflow=10,
            # No ping before every checkout (a round trip per request): a connection the server dropped
            # fails its first statement, SQLAlchemy then discards the whole pool, that request gets
            # a 503 (an intake group retries once, see group_commit.py) and the next ones reconnect.
            pool_pre_ping=False,
            pool_timeout=settings.db_connect_timeout,
            connect_args=connect_args,
            hide_parameters=True,  # an error's message (logged) would otherwise quote emails, names, free text
        )
    # SQLite takes one writer at a time, and a writer that finds the lock taken sleeps in SQLite's
    # busy handler (up to 100 ms a try). One shared connection queues requests in-process instead;
    # the price: a task must never hold one session while opening another, or it waits for itself.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)  # its DEBUG lines quote every statement's parameters
    engine = create_async_engine(
        settings.database_url,
        connect_args={"timeout": 30},
        pool_size=1,
        max_overflow=0,
        pool_timeout=30,
        hide_parameters=True,
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


def make_read_engine(settings: Settings, *, statement_timeout: float | None = None) -> AsyncEngine | None:
    """The engine for reads that may lag a little (trends, exports, results): the replica at
    `database_read_url`, refusing writes; None when there is none."""
    if not settings.database_read_url:
        return None
    engine = make_engine(
        dataclasses.replace(settings, database_url=settings.database_read_url), statement_timeout=statement_timeout
    )
    if engine.dialect.name == "postgresql":
        return engine.execution_options(postgresql_readonly=True)

    @event.listens_for(engine.sync_engine, "connect")
    def _query_only(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    return engine


def read_sessions(
    sessionmaker: async_sessionmaker[AsyncSession] | None,
) -> Callable[[AsyncSession], AsyncIterator[AsyncSession]]:
    """The `read_session` dependency: a session on the read engine, or the request's own without one
    (a second session on SQLite's single connection would wait for the first)."""

    async def read_session(db_session: AsyncSession) -> AsyncIterator[AsyncSession]:
        if sessionmaker is None:
            yield db_session
            return
        async with sessionmaker() as session:
            yield session

    return read_session


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


def insert_on_conflict(session: AsyncSession, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `table` that can say ON CONFLICT, in the session's dialect (both spell it alike)."""
    return dialect_insert(session.get_bind().dialect.name, table)


def dialect_insert(dialect: str, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `table` that can say ON CONFLICT, in the named dialect."""
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


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
