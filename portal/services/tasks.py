"""Tasks for people: fulfilling a gesture, answering a wish, a lead's personal follow-up with an at-risk customer,
and a personal reply to a customer who said we did not make it right."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.gestures import FULFILMENT_HOURS
from portal.i18n import gettext as _
from portal.i18n import use_locale
from portal.mail import Mail
from portal.models import GestureGrant, Report, ReportEvent, Site, Staff, Task, utcnow
from portal.services.staff import site_staff_query


def customer_label(report: Report) -> str:
    """How a task names the customer: their name, else their email, else the report (in the current language)."""
    return report.customer_name or report.customer_email or _("the customer of %(ref)s", ref=report.ref)


def add_task(session: AsyncSession, report: Report, grant: GestureGrant, kind: str, title: str, now: datetime) -> Task:
    """A gesture to fulfil or a wish to answer, due within the fulfilment deadline."""
    task = Task(
        site_id=report.site_id,
        report_id=report.id,
        grant_id=grant.id,
        kind=kind,
        title=title,
        due_at=now + timedelta(hours=FULFILMENT_HOURS),
    )
    session.add(task)
    return task


async def follow_ups_for(session: AsyncSession, reports: Sequence[Report], *, mail: Mail) -> list[Task]:
    """A named lead must follow up personally with each at-risk customer among these new reports (one group of
    intake): the on-duty lead with fewest open follow-ups, told by mail, as if the reports came one by one.

    One open follow-up per customer: their next report while it is open goes to the same conversation, not a new
    task. Per site, one read of the customers' open follow-ups and one of the leads with their load.
    """
    tasks: list[Task] = []
    for site_id in dict.fromkeys(report.site_id for report in reports):
        mine = [report for report in reports if report.site_id == site_id]
        site = mine[0].site
        followed = set(
            await session.scalars(
                select(Report.customer_key)
                .join(Task, Report.id == Task.report_id)
                .where(
                    Task.site_id == site_id,
                    Task.kind == "follow_up",
                    Task.done_at.is_(None),
                    Report.customer_key.in_({report.customer_key for report in mine}),
                )
            )
        )
        open_follow_ups = (
            select(func.count())
            .where(Task.assignee_id == Staff.id, Task.kind == "follow_up", Task.done_at.is_(None))
            .correlate(Staff)
            .scalar_subquery()
        )
        leads = (await session.execute(site_staff_query(site_id, ["lead"]).add_columns(open_follow_ups))).all()
        load = {lead.id: count for lead, count in leads}
        for report in mine:
            if report.customer_key in followed:
                continue
            followed.add(report.customer_key)
            lead = min((lead for lead, _ in leads), key=lambda s: (not s.on_duty, load[s.id], s.id), default=None)
            tasks.append(_follow_up(session, site, report, lead, mail=mail))
            if lead:
                load[lead.id] += 1
    return tasks


def _follow_up(session: AsyncSession, site: Site, report: Report, lead: Staff | None, *, mail: Mail) -> Task:
    with use_locale(lead.language if lead else None):  # the lead's task, whoever's request it comes from
        title = _(
            "Follow up personally with %(customer)s: small failures are piling up", customer=customer_label(report)
        )
    task = Task(
        site_id=site.id,
        report_id=report.id,
        kind="follow_up",
        assignee_id=lead.id if lead else None,
        title=title,
        due_at=report.created_at + timedelta(hours=site.follow_up_hours),
        created_at=report.created_at,
    )
    session.add(task)
    if lead:
        mail.follow_up(session, report, lead=lead, task=task)
    return task


def rating_reply_for(session: AsyncSession, report: Report, *, due_at: datetime) -> Task:
    """The assignee replies personally to a customer who said we did not make it right, within the fresh first
    clock (in the caller's transaction; anyone at the site may take it when nobody is assigned)."""
    assignee = report.assignee
    with use_locale(assignee.language if assignee else report.site.default_language):
        title = _("Reply personally to %(customer)s: they told us it isn't right yet", customer=customer_label(report))
    task = Task(
        site_id=report.site_id,
        report_id=report.id,
        kind="rating",
        assignee=assignee,
        title=title,
        due_at=due_at,
    )
    session.add(task)
    return task


async def open_tasks(session: AsyncSession, site_ids: Sequence[int], *, assignee_id: int | None = None) -> list[Task]:
    """Tasks not yet done at these sites, the nearest deadline first."""
    query = (
        select(Task).where(Task.site_id.in_(site_ids), Task.done_at.is_(None)).order_by(Task.due_at, Task.id).limit(500)
    )
    if assignee_id is not None:
        query = query.where(Task.assignee_id == assignee_id)
    return list((await session.scalars(query)).all())


async def report_tasks(session: AsyncSession, report: Report) -> list[Task]:
    """Every task on one report."""
    return list((await session.scalars(select(Task).where(Task.report_id == report.id).order_by(Task.id))).all())


async def task_for_staff(session: AsyncSession, site_ids: Sequence[int], task_id: int) -> Task | None:
    """A task, if it belongs to one of these sites."""
    return await session.scalar(select(Task).where(Task.id == task_id, Task.site_id.in_(site_ids)))


async def complete_task(session: AsyncSession, task: Task, staff: Staff) -> None:
    """Mark a task done (once); it leaves a line on the report's timeline."""
    if task.done_at is None:
        task.done_at, task.done_by_id = utcnow(), staff.id
        session.add(ReportEvent(report_id=task.report_id, kind="task", staff_id=staff.id, body=task.title))
    await session.commit()
