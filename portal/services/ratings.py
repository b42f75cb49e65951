""" "Did we make it right?": recording the customer's answer, reopening on a poor one, the one reminder, praise."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.domain.clocks import due_times
from portal.domain.ratings import (
    GOOD_SCORE,
    RATABLE_STATES,
    Answer,
    is_final,
    is_poor,
    poor_rating_recipients,
    reminder_due_at,
    reopened_state,
    reopens,
)
from portal.domain.repeat import RepeatLevel, queue_priority
from portal.domain.webhooks import report_data
from portal.mail import Mail
from portal.models import Rating, Report, ReportEvent, Site, Unsubscribe, utcnow
from portal.services import tasks, webhooks
from portal.services.staff import ROLES, site_staff

REMINDER_BATCH = 500
# The reminder delays a site can set (portal/domain/sites.py; 0 sends none).
SHORTEST_REMINDER, LONGEST_REMINDER = timedelta(days=1), timedelta(days=30)


class NotYetRatable(Exception):
    """The report is not fixed for the customer yet: there is nothing to rate."""


class RatingFinal(Exception):
    """The answer is older than the change window: it stands as given."""

    def __init__(self, rating: Rating) -> None:
        super().__init__(f"rating of report {rating.report_id} is final")
        self.rating = rating


async def rating_of(session: AsyncSession, report: Report) -> Rating | None:
    """The customer's answer on a report, if they gave one."""
    return await session.scalar(
        select(Rating).where(Rating.report_id == report.id).execution_options(populate_existing=True)
    )


def _changeable(rating: Rating, now: datetime) -> int:
    """The score an answer had before this change; RatingFinal once its change window is over."""
    if is_final(rating.created_at, now):
        raise RatingFinal(rating)
    return rating.score


async def rate(
    session: AsyncSession, *, report: Report, answer: Answer, mail: Mail, now: datetime | None = None
) -> Rating:
    """Record the customer's answer, or their change to it within the change window; a poor first answer
    or a change down into poor reopens the report.

    The first answer needs a recovered report; a change does not, so a customer whose poor answer
    reopened the report can still revise it while we work on it again.
    """
    now = now or utcnow()
    rating = await rating_of(session, report)
    previous = None
    if rating is None:
        if report.state not in RATABLE_STATES:
            raise NotYetRatable
        rating = Rating(
            report_id=report.id,
            site_id=report.site_id,
            score=answer.score,
            first_response_breached=report.first_response_breached,
            recovery_breached=report.recovery_breached,
            created_at=now,
        )
        session.add(rating)
        try:
            await session.flush()
        except IntegrityError:  # a first answer racing this one won: this one becomes a change to it
            await session.rollback()
            await session.refresh(report)
            rating = await rating_of(session, report)
            assert rating is not None  # the unique report_id that failed means the racing answer is there
            previous = _changeable(rating, now)
    else:
        previous = _changeable(rating, now)
    rating.score, rating.surprised, rating.comment = answer.score, answer.surprised, answer.comment
    rating.agent_id, rating.updated_at = report.assignee_id, now
    event = ReportEvent(
        report_id=report.id,
        kind="rating",
        body=answer.comment,
        score=answer.score,
        surprised=answer.surprised,
        created_at=now,
    )
    session.add(event)
    if reopens(previous, answer.score, report.site.poor_rating_max) and report.state in RATABLE_STATES:
        await _reopen(session, report, event, now=now, mail=mail)
    poor = is_poor(answer.score, report.site.poor_rating_max)
    data = report_data(
        report, mail.base_url, score=answer.score, surprised=answer.surprised, comment=answer.comment, poor=poor
    )
    await webhooks.emit(session, report.site_id, "rating.submitted", data)
    if poor:  # chat channels hear of the poor ones only
        await webhooks.emit(session, report.site_id, "rating.poor", data)
    await session.commit()
    return rating


async def _reopen(
    session: AsyncSession, report: Report, rating_event: ReportEvent, *, now: datetime, mail: Mail
) -> None:
    """Back to in progress with fresh clocks from now, at the front of the queue; the assignee and the
    site's leads are told, and the assignee must reply personally within the first clock (in the caller's
    transaction)."""
    target = reopened_state(report.state)
    session.add(
        ReportEvent(report_id=report.id, kind="state", from_state=report.state, to_state=target, created_at=now)
    )
    data = report_data(report, mail.base_url, state=target, previous_state=report.state)
    await webhooks.emit(session, report.site_id, "report.state_changed", data)
    report.state = target
    # Fixed before the wrap-up asked (it was still sent): fixing it again must not send a second one.
    report.rating_asked_at = report.rating_asked_at or now
    site = report.site
    report.first_response_due_at, report.recovery_due_at = due_times(
        now, site.first_response_minutes, site.recovery_hours
    )
    report.first_response_at = report.recovered_at = None
    report.first_response_warned = report.recovery_warned = False
    report.first_response_breached = report.recovery_breached = False
    report.next_due_at = report.first_response_due_at
    # A customer who says it was not made right is at risk, whatever their repeat level says.
    report.priority = max(queue_priority(report.repeat_level), queue_priority(RepeatLevel.AT_RISK))
    await session.flush()
    task = tasks.rating_reply_for(session, report, due_at=report.first_response_due_at)
    assignee = report.assignee if report.assignee and report.assignee.is_active else None
    for person in poor_rating_recipients(assignee, await site_staff(session, report.site_id, ROLES)):
        mail.poor_rating(session, report, staff=person, event=rating_event, task=task)


async def praise_for(session: AsyncSession, staff_id: int, *, limit: int = 50) -> list[tuple[Rating, Report]]:
    """Praise on reports this staff member recovered (a good answer with words), newest first, with its report."""
    query = (
        select(Rating, Report)
        .join(Report, Report.id == Rating.report_id)
        .where(Rating.agent_id == staff_id, Rating.score >= GOOD_SCORE, Rating.comment.is_not(None))
        .order_by(Rating.updated_at.desc(), Rating.id.desc())
        .limit(limit)
    )
    return [(rating, report) for rating, report in (await session.execute(query)).all()]


async def send_reminders(sessionmaker: async_sessionmaker[AsyncSession], *, mail: Mail, now: datetime) -> int:
    """Remind customers who have not answered, once, when their site's reminder delay has passed; none to
    those who left no email, unsubscribed from the site, or whose site sends no reminders.

    Each reminder is claimed by a conditional UPDATE on `rating_reminded_at`: of two workers, only the one
    whose UPDATE set it mails."""
    unanswered = ~exists().where(Rating.report_id == Report.id)
    unsubscribed = exists().where(
        Unsubscribe.site_id == Report.site_id, func.lower(Unsubscribe.email) == func.lower(Report.customer_email)
    )
    # Due where the site's delay has passed, per delay a site may set; a report asked longer ago than the
    # longest delay allows is past reminding, so the scan stays within that window of the index.
    due_now = or_(
        *(
            and_(Site.rating_reminder_days == days, Report.rating_asked_at <= now - timedelta(days=days))
            for days in range(SHORTEST_REMINDER.days, LONGEST_REMINDER.days + 1)
        )
    )
    candidates = (
        select(Report)
        .join(Site, Site.id == Report.site_id)
        .where(
            Report.rating_asked_at > now - LONGEST_REMINDER - timedelta(days=1),
            due_now,
            Report.rating_reminded_at.is_(None),
            Report.state.in_(RATABLE_STATES),
            Report.customer_email.is_not(None),
            unanswered,
            ~unsubscribed,
        )
        .order_by(Report.rating_asked_at, Report.id)
        .limit(REMINDER_BATCH)
    )
    sent = 0
    async with sessionmaker() as session:
        for report in (await session.scalars(candidates)).all():
            assert report.rating_asked_at is not None  # the WHERE keeps asked reports only
            due = reminder_due_at(report.rating_asked_at, report.site.rating_reminder_days)
            if due is None or due > now:
                continue
            claimed = await session.execute(
                update(Report)
                .where(Report.id == report.id, Report.rating_reminded_at.is_(None))
                .values(rating_reminded_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount == 1:  # type: ignore[attr-defined]  # a CursorResult for an UPDATE
                mail.rating_reminder(session, report)
                sent += 1
            await session.commit()  # release the row at once: another worker waiting on it moves on
    return sent
