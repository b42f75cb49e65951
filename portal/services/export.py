"""Streaming exports of reports and corrective actions: rows leave as the database yields them, never all at once."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.models import CorrectiveAction, Rating, Report, Site, Staff
from portal.services.trends import Period

BATCH = 1000
REPORT_COLUMNS = {
    "ref": Report.ref,
    "site": Site.name,
    "created_at": Report.created_at,
    "state": Report.state,
    "category": Report.category,
    "description": Report.description,
    "suggestion": Report.suggestion,
    "customer_name": Report.customer_name,
    "customer_email": Report.customer_email,
    "repeat_level": Report.repeat_level,
    "customer_tier": Report.customer_tier,
    "page_url": Report.page_url,
    "page_path": Report.page_path,
    "location": Report.location,
    "busy": Report.busy,
    "site_reports_last_hour": Report.site_reports_last_hour,
    "local_weekday": Report.local_weekday,
    "local_hour": Report.local_hour,
    "first_response_due_at": Report.first_response_due_at,
    "first_response_at": Report.first_response_at,
    "recovery_due_at": Report.recovery_due_at,
    "recovered_at": Report.recovered_at,
    "corrective_action_id": Report.ca_id,
    # The customer's answer to "Did we make it right?" (empty when they gave none); rated_at is when
    # the answer shown was given, as it may be changed within 7 days.
    "rating_score": Rating.score,
    "rating_surprised": Rating.surprised,
    "rating_comment": Rating.comment,
    "rated_at": Rating.updated_at,
}
CA_COLUMNS = {
    "id": CorrectiveAction.id,
    "site": Site.name,
    "title": CorrectiveAction.title,
    "state": CorrectiveAction.state,
    "severity": CorrectiveAction.severity,
    "category": CorrectiveAction.category,
    "owner": Staff.name,
    "created_at": CorrectiveAction.created_at,
    "due_on": CorrectiveAction.due_on,
    "closed_at": CorrectiveAction.closed_at,
    "problem": CorrectiveAction.problem,
    "root_cause_chain": CorrectiveAction.whys,
    "corrective_action": CorrectiveAction.corrective_action,
    "preventive_action": CorrectiveAction.preventive_action,
    "closure_summary": CorrectiveAction.closure_summary,
}


def _labelled(columns: dict[str, Any]) -> list[Any]:
    return [column.label(name) for name, column in columns.items()]


def reports_query(
    site_ids: Sequence[int], period: Period, *, category: str | None = None, state: str | None = None
) -> Select[*tuple[Any, ...]]:
    """The reports to export, oldest first."""
    query = (
        select(*_labelled(REPORT_COLUMNS))
        .join(Site, Site.id == Report.site_id)
        .outerjoin(Rating, Rating.report_id == Report.id)
        .where(Report.site_id.in_(site_ids), Report.created_at >= period.start, Report.created_at < period.end)
        .order_by(Report.id)
    )
    if category:
        query = query.where(Report.category == category)
    if state:
        query = query.where(Report.state == state)
    return query


def cas_query(site_ids: Sequence[int], period: Period, *, state: str | None = None) -> Select[*tuple[Any, ...]]:
    """The corrective actions opened in the period, oldest first."""
    linked = (
        select(func.count()).where(Report.ca_id == CorrectiveAction.id).correlate(CorrectiveAction).scalar_subquery()
    )
    query = (
        select(*_labelled(CA_COLUMNS), linked.label("linked_reports"))
        .join(Site, Site.id == CorrectiveAction.site_id)
        .outerjoin(Staff, Staff.id == CorrectiveAction.owner_id)
        .where(
            CorrectiveAction.site_id.in_(site_ids),
            CorrectiveAction.created_at >= period.start,
            CorrectiveAction.created_at < period.end,
        )
        .order_by(CorrectiveAction.id)
    )
    return query.where(CorrectiveAction.state == state) if state else query


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# What makes a spreadsheet read a cell as a formula when the cell starts with it, after any spaces or line
# breaks: the ASCII signs, their fullwidth forms (Excel reads ＝1+1 as =1+1), and | (a DDE call).
FORMULA_STARTS = frozenset("=+-@|\uff1d\uff0b\uff0d\uff20\uff5c")


def _cell(value: Any) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    value = _plain(value)
    if isinstance(value, list):
        value = " → ".join(map(str, value))
    text = "" if value is None else str(value)
    starts_a_formula = text[:1] in ("\t", "\r", "\n") or text.lstrip()[:1] in FORMULA_STARTS
    return "'" + text if starts_a_formula else text


async def _rows(
    sessionmaker: async_sessionmaker[AsyncSession], query: Select[*tuple[Any, ...]]
) -> AsyncIterator[dict[str, Any]]:
    async with sessionmaker() as session:
        result = await session.stream(query.execution_options(yield_per=BATCH))
        async for partition in result.mappings().partitions(BATCH):
            for row in partition:
                yield dict(row)


async def as_csv(
    sessionmaker: async_sessionmaker[AsyncSession], query: Select[*tuple[Any, ...]], columns: Sequence[str]
) -> AsyncIterator[bytes]:
    """CSV with a header row, one chunk per batch of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    count = 0
    async for row in _rows(sessionmaker, query):
        writer.writerow([_cell(row.get(c)) for c in columns])
        count += 1
        if count % BATCH == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


async def as_json(
    sessionmaker: async_sessionmaker[AsyncSession], query: Select[*tuple[Any, ...]]
) -> AsyncIterator[bytes]:
    """A JSON array of objects, one chunk per batch of rows."""
    yield b"["
    chunk: list[str] = []
    first = True
    async for row in _rows(sessionmaker, query):
        chunk.append(
            ("" if first else ",") + "\n" + json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False)
        )
        first = False
        if len(chunk) == BATCH:
            yield "".join(chunk).encode()
            chunk = []
    yield ("".join(chunk) + "\n]\n").encode()
