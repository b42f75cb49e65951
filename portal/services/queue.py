"""The staff queue: reports and mail, always limited to the sites the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.queue import fold_by_customer
from portal.models import OutboxMail, Report, utcnow

PAGE_SIZE = 50


@dataclass(frozen=True)
class Cursor:
    """Where a queue page ended, in queue order (priority, then the nearest clock)."""

    priority: int
    due_at: datetime
    id: int

    def encode(self) -> str:
        return f"{self.priority}_{self.due_at.isoformat()}_{self.id}"

    @classmethod
    def decode(cls, value: str | None) -> Cursor | None:
        """The cursor in a URL, or None when it is missing or mangled."""
        try:
            priority, at, report_id = (value or "").split("_")
            return cls(int(priority), datetime.fromisoformat(at), int(report_id))
        except ValueError:
            return None


DUE_WINDOWS = {"overdue": timedelta(0), "hour": timedelta(hours=1)}


@dataclass(frozen=True)
class QueueFilter:
    """What the viewer narrowed the queue to; None means any."""

    site_id: int | None = None
    category: str | None = None
    state: str | None = None
    level: int | None = None  # repeat level; 4 means 4 and more
    assignee: int | None = None  # a staff id, or 0 for nobody
    due: str | None = None  # a key of DUE_WINDOWS: clocks already overdue, or due within the hour
    after: Cursor | None = None  # keyset cursor: the last row of the previous page
    newest_first: bool = False  # in the order reports arrived, newest first, instead of the queue's order

    @property
    def narrows(self) -> bool:
        """Whether any filter leaves reports out (paging aside): an empty queue then means "none match"."""
        chosen = (self.site_id, self.category, self.state, self.level, self.assignee)
        return any(v is not None for v in chosen) or self.due in DUE_WINDOWS


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue, newest first, and the cursor of the next page."""

    reports: list[Report]
    next_cursor: Cursor | None

    @property
    def rows(self) -> list[list[Report]]:
        """The page as staff read it: each customer's reports on it folded into one row, most urgent first."""
        return fold_by_customer(self.reports)


async def list_reports(
    session: AsyncSession,
    site_ids: list[int],
    filters: QueueFilter,
    limit: int = PAGE_SIZE,
    now: datetime | None = None,
) -> QueuePage:
    """Customers at risk first, then the clock nearest to breach, among the viewer's sites (or newest first).

    Keyset pagination on (priority, next_due_at, id), or on id newest first, keeps every page an index
    range scan.
    """
    wanted = [filters.site_id] if filters.site_id in site_ids else site_ids
    query = select(Report).where(Report.site_id.in_(wanted))
    if filters.category:
        query = query.where(Report.category == filters.category)
    if filters.state:
        query = query.where(Report.state == filters.state)
    if filters.level:
        query = query.where(Report.repeat_level >= 4 if filters.level >= 4 else Report.repeat_level == filters.level)
    if filters.assignee is not None:
        query = query.where(
            Report.assignee_id == filters.assignee if filters.assignee else Report.assignee_id.is_(None)
        )
    if filters.due in DUE_WINDOWS:
        query = query.where(Report.next_due_at < (now or utcnow()) + DUE_WINDOWS[filters.due])
    order: tuple[Any, ...]
    if filters.newest_first:
        if filters.after:
            query = query.where(Report.id < filters.after.id)
        order = (Report.id.desc(),)
    else:
        if c := filters.after:
            query = query.where(
                or_(
                    Report.priority < c.priority,
                    and_(
                        Report.priority == c.priority,
                        or_(Report.next_due_at > c.due_at, and_(Report.next_due_at == c.due_at, Report.id > c.id)),
                    ),
                )
            )
        order = (Report.priority.desc(), Report.next_due_at.asc(), Report.id.asc())  # = ix_report_queue_order
    rows = list((await session.scalars(query.order_by(*order).limit(limit + 1))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more else None
    return QueuePage(reports=rows, next_cursor=Cursor(last.priority, last.next_due_at, last.id) if last else None)


async def reports_for_staff(session: AsyncSession, site_ids: list[int], report_ids: list[int]) -> list[Report]:
    """The reports among these ids that belong to the viewer's sites; the others are silently left out."""
    return list(
        (await session.scalars(select(Report).where(Report.id.in_(report_ids), Report.site_id.in_(site_ids)))).all()
    )


async def report_for_staff(session: AsyncSession, site_ids: list[int], report_id: int) -> Report | None:
    """The report if it belongs to one of the viewer's sites; None otherwise (shown as 404)."""
    return await session.scalar(select(Report).where(Report.id == report_id, Report.site_id.in_(site_ids)))


async def reports_by_refs(session: AsyncSession, site_id: int, refs: list[str]) -> list[Report]:
    """The site's reports with these references (as typed by staff); unknown ones are left out."""
    return list((await session.scalars(select(Report).where(Report.site_id == site_id, Report.ref.in_(refs)))).all())


async def list_mail(
    session: AsyncSession, site_ids: list[int], state: str | None = None, limit: int = 100
) -> list[OutboxMail]:
    """The newest mail of the viewer's sites, optionally only one state (e.g. dead letters)."""
    query = select(OutboxMail).where(OutboxMail.site_id.in_(site_ids))
    if state:
        query = query.where(OutboxMail.state == state)
    return list((await session.scalars(query.order_by(OutboxMail.id.desc()).limit(limit))).all())


async def mail_for_staff(session: AsyncSession, site_ids: list[int], mail_id: int) -> OutboxMail | None:
    """One mail of the viewer's sites."""
    return await session.scalar(select(OutboxMail).where(OutboxMail.id == mail_id, OutboxMail.site_id.in_(site_ids)))
