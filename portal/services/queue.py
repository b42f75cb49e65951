"""The staff queue: reports and mail, always limited to the sites the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.models import OutboxMail, Report
PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueFilter:
    """What the viewer narrowed the queue to; None means any."""

    site_id: int | None = None
    category: str | None = None
    state: str | None = None
    before: tuple[datetime, int] | None = None  # keyset cursor: older than this (created_at, id)


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue, newest first, and the cursor of the next page."""

    reports: list[Report]
    next_cursor: tuple[datetime, int] | None


async def list_reports(session: AsyncSession, site_ids: list[int], filters: QueueFilter, limit: int = PAGE_SIZE) -> QueuePage:
    """Newest reports first among the viewer's sites, with keyset pagination (fast at any depth)."""
    wanted = [filters.site_id] if filters.site_id in site_ids else site_ids
    query = select(Report).where(Report.site_id.in_(wanted))
    if filters.category:
        query = query.where(Report.category == filters.category)
    if filters.state:
        query = query.where(Report.state == filters.state)
    if filters.before:
        at, report_id = filters.before
        query = query.where(or_(Report.created_at < at, and_(Report.created_at == at, Report.id < report_id)))
    rows = list((await session.scalars(query.order_by(Report.created_at.desc(), Report.id.desc()).limit(limit + 1))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return QueuePage(reports=rows, next_cursor=(rows[-1].created_at, rows[-1].id) if more else None)


async def report_for_staff(session: AsyncSession, site_ids: list[int], report_id: int) -> Report | None:
    """The report if it belongs to one of the viewer's sites; None otherwise (shown as 404)."""
    return await session.scalar(select(Report).where(Report.id == report_id, Report.site_id.in_(site_ids)))


async def list_mail(session: AsyncSession, site_ids: list[int], state: str | None = None, limit: int = 100) -> list[OutboxMail]:
    """The newest mail of the viewer's sites, optionally only one state (e.g. dead letters)."""
    query = select(OutboxMail).where(OutboxMail.site_id.in_(site_ids))
    if state:
        query = query.where(OutboxMail.state == state)
    return list((await session.scalars(query.order_by(OutboxMail.id.desc()).limit(limit))).all())


async def mail_for_staff(session: AsyncSession, site_ids: list[int], mail_id: int) -> OutboxMail | None:
    """One mail of the viewer's sites."""
    return await session.scalar(select(OutboxMail).where(OutboxMail.id == mail_id, OutboxMail.site_id.in_(site_ids)))
