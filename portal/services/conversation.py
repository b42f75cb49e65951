"""Recovery with the customer: state changes, staff updates, customer replies, the wrap-up."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.clocks import running_clock
from portal.domain.lexicon import Finding, Lexicon, lint
from portal.domain.webhooks import report_data
from portal.domain.workflow import check_message, check_transition
from portal.mail import Mail
from portal.models import NO_CLOCK, Report, ReportEvent, Staff, utcnow
from portal.services import webhooks

RECOVERED = ("fixed", "closed")


class NeedsReview(Exception):
    """A staff update the linter flagged; it goes out only with a recorded reason."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(f"{len(findings)} finding(s)")
        self.findings = findings


def _restart_clock(report: Report) -> None:
    """Point the queue at the clock still running, or past every clock once the customer is recovered."""
    clock = running_clock(
        first_response_due_at=report.first_response_due_at,
        recovery_due_at=report.recovery_due_at,
        first_response_at=report.first_response_at,
        recovered_at=report.recovered_at,
        now=utcnow(),
    )
    report.next_due_at = clock.due_at if clock else NO_CLOCK


async def report_by_status_token(session: AsyncSession, token: str) -> Report | None:
    """The report behind a customer's private status link."""
    return await session.scalar(select(Report).where(Report.status_token == token))


async def timeline(session: AsyncSession, report: Report) -> list[ReportEvent]:
    """The report's events, oldest first."""
    return list(
        (
            await session.scalars(
                select(ReportEvent).where(ReportEvent.report_id == report.id).order_by(ReportEvent.id)
            )
        ).all()
    )


async def change_state(session: AsyncSession, *, report: Report, staff: Staff, target: str, mail: Mail) -> None:
    """Move the report on, record who and when; the first move to fixed (or closed) sends the wrap-up, which
    asks "Did we make it right?", once."""
    check_transition(report.state, target)
    session.add(
        ReportEvent(report_id=report.id, kind="state", staff_id=staff.id, from_state=report.state, to_state=target)
    )
    if target in RECOVERED and report.state not in RECOVERED:
        report.priority = 0  # recovered: no longer jumps the queue
        report.recovered_at = utcnow()
        # Fixed again after a poor answer reopened it, the customer already has the wrap-up and its question.
        if report.rating_asked_at is None:
            mail.wrapup(session, report, staff)
            report.rating_asked_at = report.recovered_at
        _restart_clock(report)
    data = report_data(report, mail.base_url, state=target, previous_state=report.state)
    report.state = target
    await webhooks.emit(session, report.site_id, "report.state_changed", data)
    await session.commit()


async def send_update(
    session: AsyncSession,
    *,
    report: Report,
    staff: Staff,
    body: str,
    override_reason: str | None,
    lexicon: Lexicon,
    mail: Mail,
) -> ReportEvent:
    """Write to the customer (status page and mail); flagged wording needs a recorded reason."""
    text = check_message(body)
    findings = lint(text, lexicon, follow_up=True)
    reason = (override_reason or "").strip()
    if findings and not reason:
        raise NeedsReview(findings)
    event = ReportEvent(
        report_id=report.id, kind="update", staff_id=staff.id, body=text, override_reason=reason if findings else None
    )
    session.add(event)
    if report.first_response_at is None:  # an update explaining progress stops the first clock
        report.first_response_at = utcnow()
        _restart_clock(report)
    await session.flush()
    mail.update(session, report, event_id=event.id, text=text, staff=staff)
    await session.commit()
    return event


async def assign(session: AsyncSession, *, reports: list[Report], staff: Staff) -> int:
    """Give reports to a staff member (taking one is assigning it to yourself); returns how many changed."""
    changed = [r for r in reports if r.assignee_id != staff.id]
    for report in changed:
        report.assignee_id = staff.id
        session.add(ReportEvent(report_id=report.id, kind="assign", staff_id=staff.id))
    await session.commit()
    return len(changed)


async def add_reply(session: AsyncSession, *, report: Report, body: str) -> ReportEvent:
    """The customer answers on their status page; it lands on the staff timeline."""
    event = ReportEvent(report_id=report.id, kind="reply", body=check_message(body))
    session.add(event)
    await session.commit()
    return event
