"""Group commit: many requests' writes in one transaction, each request answered once it has committed.

One writer task per process takes every pending item once the previous group has committed (so groups
grow with the load; a group waits a moment for as many items as the last one had, so an idle server
commits each item at once and a busy one keeps its groups whole), applies them in one
transaction and resolves each item's future only after the commit: an answer means durable. An
item the group turns down (`apply` gives an exception in its place) gets that exception. When the
transaction fails, every item in that group gets `GroupFailed` (nothing of it was stored) and the
writer goes on with the next group.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# One result per item, in order, or the exception that item's request raises.
Apply = Callable[[AsyncSession, Sequence[T]], Awaitable[Sequence[R | Exception]]]


class GroupFailed(Exception):
    """The transaction of this item's group failed: nothing of it was stored; the request may be retried."""


class GroupCommit(Generic[T, R]):
    """Batches items through `apply(session, items) -> results` (one result or exception per item, in order),
    then commits."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        apply: Apply[T, R],
        *,
        max_group: int = 200,
        gather_wait: float = 0.005,
    ):
        self.sessionmaker = sessionmaker
        self.apply = apply
        self.max_group = max_group
        self.gather_wait = gather_wait  # how long a group may wait for the rest of its cohort (`_gather`)
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._wake = asyncio.Event()
        self._cohort = 1  # the size of the last group: about how many items come together under this load
        self._gathered = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        """Write `item` in the next group; returns its result once the group committed, or raises GroupFailed."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="group-commit")
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        self._wake.set()
        if len(self._pending) >= self._cohort:
            self._gathered.set()
        return await future

    async def stop(self) -> None:
        """Finish the group in flight and stop; items still waiting fail."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for _, future in self._pending:
            if not future.done():
                future.set_exception(GroupFailed("the server is stopping"))
        self._pending.clear()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                await self._gather()
                group, self._pending = self._pending[: self.max_group], self._pending[self.max_group :]
                self._cohort = len(group)
                await self._commit(group)

    async def _gather(self) -> None:
        """Wait a moment for the rest of the cohort: under load, requests come back in waves as the previous
        group's answers go out, and a group that left as soon as the first few had come would leave the
        rest to pay for a transaction of their own (groups of 30 and 2 in turn, not 32). A lone item, or a
        load that dropped, waits at most `gather_wait`."""
        if len(self._pending) >= self._cohort:
            return
        self._gathered.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.gather_wait):
                await self._gathered.wait()

    async def _write(self, items: list[T]) -> Sequence[R | Exception]:
        for attempt in (1, 2):
            async with self.sessionmaker() as session:
                try:
                    results = await self.apply(session, items)
                    if len(results) != len(items):  # a bug in apply: roll back, never leave a request waiting
                        raise RuntimeError(f"{len(results)} results for a group of {len(items)}")
                except DBAPIError as exc:
                    # A pooled connection the server dropped fails its first statement: nothing was
                    # written, so the group runs once more on a fresh connection.
                    if attempt == 2 or not exc.connection_invalidated:
                        raise
                    continue
                await session.commit()
                return results
        raise AssertionError("unreachable")

    async def _commit(self, group: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._write([item for item, _ in group])
        except asyncio.CancelledError:
            for _, future in group:
                if not future.done():
                    future.set_exception(GroupFailed("the server is stopping"))
            raise
        except Exception as exc:  # any failure fails this group only; the writer goes on
            log.warning("group of %s writes rolled back: %r", len(group), exc)
            for _, future in group:
                if not future.done():
                    failed = GroupFailed(f"the group's transaction failed: {type(exc).__name__}")
                    failed.__cause__ = exc
                    future.set_exception(failed)
            return
        for (_, future), result in zip(group, results, strict=True):
            if future.done():  # a request that gave up (its client left) no longer waits
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)
