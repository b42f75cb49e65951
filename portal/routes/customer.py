"""The customer's private status page."""

from __future__ import annotations

from litestar import get
from litestar.exceptions import NotFoundException
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.progress import STATE_LABELS, progress_steps
from portal.domain.sites import category_label
from portal.models import Report
from portal.routes.security import page_headers


@get("/s/{token:str}", include_in_schema=False)
async def status_page(token: str, db_session: AsyncSession) -> Template:
    """What the customer reported, our apology, and what happens next."""
    report = await db_session.scalar(select(Report).where(Report.status_token == token))
    if report is None:
        raise NotFoundException(detail="This status link doesn't exist. Check that the whole link was copied.")
    context = {
        "report": report,
        "category": category_label(report.site.categories, report.category),
        "state_label": STATE_LABELS.get(report.state, report.state),
        "steps": progress_steps(report.state),
    }
    return Template("pages/status.html", context=context, headers=page_headers(private=True))


handlers = [status_page]
