"""Every mail Mend sends, one named method per kind.

Each is rendered from `templates/emails/{kind}.txt|.html` (the subject is the text's first line),
queued in the outbox inside the caller's transaction, and wakes the worker once that transaction
commits, so no route or service has to remember to.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from jinja2 import Environment
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import joinedload

from portal.db import call_after_commit
from portal.domain.identity import unsubscribe_token
from portal.i18n import DEFAULT_LANGUAGE, use_locale
from portal.models import (
    CorrectiveAction,
    Gesture,
    GestureGrant,
    Invite,
    MeToo,
    MonthlyResult,
    OutboxMail,
    Report,
    ReportEvent,
    Site,
    Staff,
    Task,
    WebhookEndpoint,
)
from portal.outbox import MailContent, add_mail, enqueue_mails, outbox_row
from portal.settings import Settings
from portal.templating import make_environment

UNWRITTEN = MailContent(subject="", text="", html="")  # a mail the worker writes when it sends it


class Mail:
    """Renders, addresses and queues mail; built once per app (and per worker) from the settings."""

    def __init__(self, env: Environment, *, base_url: str, secret_key: str) -> None:
        self.env = env
        self.base_url = base_url
        self.secret_key = secret_key
        # Set after a commit that queued mail; the worker waits on it between polls.
        self.queued = asyncio.Event()

    @classmethod
    def from_settings(cls, settings: Settings, env: Environment | None = None) -> Mail:
        """The mail service for these settings, on the app's Jinja environment when given."""
        return cls(env or make_environment(), base_url=settings.base_url, secret_key=settings.secret_key)

    def url(self, path: str) -> str:
        """An absolute link into the portal, for mail and snippets."""
        return f"{self.base_url}{path}"

    def status_url(self, token: str) -> str:
        """The customer's private status page."""
        return self.url(f"/s/{token}")

    def rating_url(self, token: str) -> str:
        """The page where the customer tells us whether we made it right."""
        return self.url(f"/s/{token}/rating")

    def render(self, kind: str, locale: str = DEFAULT_LANGUAGE, **context: Any) -> MailContent:
        """Subject, text and HTML of one kind of mail, in `locale`."""
        with use_locale(locale):
            subject, _, text = self.env.get_template(f"emails/{kind}.txt").render(**context).partition("\n")
            html = self.env.get_template(f"emails/{kind}.html").render(**context)
        return MailContent(subject=" ".join(subject.split()), text=text.lstrip("\n"), html=html)

    def _row(
        self,
        kind: str,
        *,
        dedupe_key: str,
        to_addr: str,
        to_name: str | None,
        locale: str,
        site_id: int | None = None,
        report_id: int | None = None,
        unsubscribe_url: str | None = None,
        **context: Any,
    ) -> dict[str, Any]:
        return outbox_row(
            dedupe_key=dedupe_key,
            to_addr=to_addr,
            to_name=to_name,
            content=self.render(kind, locale, unsubscribe_url=unsubscribe_url, **context),
            base_url=self.base_url,
            site_id=site_id,
            report_id=report_id,
            unsubscribe_url=unsubscribe_url,
        )

    def _queue(self, session: AsyncSession, kind: str, **mail: Any) -> None:
        self._add(session, self._row(kind, **mail))

    def _add(self, session: AsyncSession, row: dict[str, Any]) -> None:
        add_mail(session, row)
        call_after_commit(session, self.queued.set)  # a worker in this process wakes at once

    def _customer_row(
        self, report: Report, kind: str, dedupe_key: str, *, when_sent: bool = False, **context: Any
    ) -> dict[str, Any] | None:
        """The mail to the report's customer about it (None when they left no email); with `when_sent`, left
        for the worker to write from the report when it sends it (`write_claimed`)."""
        if not report.customer_email:
            return None
        mail: dict[str, Any] = {
            "dedupe_key": dedupe_key,
            "to_addr": report.customer_email,
            "to_name": report.customer_name,
            "site_id": report.site_id,
            "report_id": report.id,
        }
        if when_sent:
            return outbox_row(content=UNWRITTEN, base_url=self.base_url, **mail) | {"write_as": kind}
        return self._row(kind, **mail, **self._about(report), **context)

    def _about(self, report: Report) -> dict[str, Any]:
        """What every mail to a report's customer is written with: their language, the site, the report and
        its status page."""
        return {
            "locale": report.lang or report.site.default_language,
            "site": report.site,
            "report": report,
            "status_url": self.status_url(report.status_token),
        }

    def _to_customer(self, session: AsyncSession, report: Report, kind: str, dedupe_key: str, **context: Any) -> None:
        """Mail the report's customer about it (nothing when they left no email)."""
        row = self._customer_row(report, kind, dedupe_key, **context)
        if row is not None:
            self._add(session, row)

    def _to_staff(self, session: AsyncSession, kind: str, staff: Staff, *, dedupe_key: str, **context: Any) -> None:
        """Mail a staff member, in the portal language they chose."""
        self._queue(
            session,
            kind,
            dedupe_key=dedupe_key,
            to_addr=staff.email,
            to_name=staff.name,
            locale=staff.language or DEFAULT_LANGUAGE,
            staff=staff,
            **context,
        )

    # To customers

    async def apologies(self, session: AsyncSession, reports: Sequence[Report]) -> None:
        """The apologies of a group of new reports, right after them, in one statement. The worker writes
        each from its report when it sends it (`write_claimed`): intake spends no time on templates."""
        rows = [
            row
            for report in reports
            if (row := self._customer_row(report, "apology", f"apology:{report.id}", when_sent=True))
        ]
        if rows:
            await enqueue_mails(session, rows)
            call_after_commit(session, self.queued.set)

    async def write_claimed(self, sessionmaker: async_sessionmaker[AsyncSession], mails: Sequence[OutboxMail]) -> None:
        """Write the claimed mails queued to be written when sent, from their reports as they are now, in place
        and in the database (a retry sends the same words); cancel those whose report or address is gone."""
        unwritten = [mail for mail in mails if mail.write_as]
        if not unwritten:
            return
        async with sessionmaker() as session, session.begin():
            # Still this worker's: an erasure since the claim cancelled the mail and took the claim back.
            ours = set(
                await session.scalars(
                    select(OutboxMail.id)
                    .where(
                        OutboxMail.id.in_([mail.id for mail in unwritten]),
                        OutboxMail.claim_token == unwritten[0].claim_token,
                    )
                    .with_for_update()
                )
            )
            reports = await session.scalars(
                select(Report)
                .options(joinedload(Report.site))
                .where(Report.id.in_([mail.report_id for mail in unwritten if mail.report_id]))
            )
            by_id = {report.id: report for report in reports}
            for mail in unwritten:
                report = by_id.get(mail.report_id or 0)
                if mail.id not in ours or report is None or report.customer_email != mail.to_addr:
                    mail.state = "cancelled"
                else:
                    about = self._about(report)
                    content = self.render(mail.write_as or "", about.pop("locale"), **about)
                    mail.subject, mail.text_body, mail.html_body = content.subject, content.text, content.html
                    mail.write_as = None
            written = [
                {
                    "id": mail.id,
                    "state": mail.state,
                    "subject": mail.subject,
                    "text_body": mail.text_body,
                    "html_body": mail.html_body,
                    "write_as": mail.write_as,
                    "lease_until": None if mail.state == "cancelled" else mail.lease_until,
                    "claim_token": None if mail.state == "cancelled" else mail.claim_token,
                }
                for mail in unwritten
                if mail.id in ours
            ]
            if written:
                await session.execute(update(OutboxMail), written)

    def gesture(self, session: AsyncSession, report: Report, grant: GestureGrant, gesture: Gesture | None) -> None:
        """The customer's choice, or a staff grant, confirmed."""
        self._to_customer(session, report, "gesture", f"gesture:{grant.id}", grant=grant, gesture=gesture)

    def update(self, session: AsyncSession, report: Report, *, event_id: int, text: str, staff: Staff) -> None:
        """A staff member's update on the report."""
        self._to_customer(session, report, "update", f"update:{event_id}", update=text, staff=staff)

    def wrapup(self, session: AsyncSession, report: Report, staff: Staff) -> None:
        """Fixed for the customer, asking whether we made it right: sent once per report, however it got there."""
        self._to_customer(
            session,
            report,
            "wrapup",
            f"wrapup:{report.id}",
            staff=staff,
            rating_url=self.rating_url(report.status_token),
        )

    def rating_reminder(self, session: AsyncSession, report: Report) -> None:
        """The one reminder to a customer who has not told us whether we made it right."""
        self._to_customer(
            session,
            report,
            "rating_reminder",
            f"rating_reminder:{report.id}",
            rating_url=self.rating_url(report.status_token),
        )

    def erasure_confirm(
        self, session: AsyncSession, report: Report, *, token: str, request_id: int, hours: int
    ) -> None:
        """The link that confirms a customer's "forget me", to the address on file (one mail per request)."""
        self._to_customer(
            session,
            report,
            "erasure_confirm",
            f"erasure_confirm:{request_id}",
            confirm_url=self.url(f"/s/forget/{token}"),
            hours=hours,
        )

    def closure(
        self,
        session: AsyncSession,
        ca: CorrectiveAction,
        *,
        email: str,
        reports: Sequence[Report],
        me_too: Sequence[MeToo],
    ) -> None:
        """What we changed, to one person who told us (their reports oldest first), with one-click unsubscribe."""
        first = reports[0] if reports else None
        self._queue(
            session,
            "closure",
            dedupe_key=f"closure:{ca.id}:{email}",
            to_addr=email,
            to_name=first.customer_name if first else None,
            locale=(first.lang if first else me_too[0].lang) or ca.site.default_language,
            site_id=ca.site_id,
            report_id=first.id if first else None,
            unsubscribe_url=self.url(f"/u/{unsubscribe_token(self.secret_key, ca.site_id, email)}"),
            ca=ca,
            site=ca.site,
            reports=reports,
            me_too=me_too,
            name=first.customer_name if first else None,
            status_url=self.status_url(first.status_token) if first else None,
        )

    # To staff

    def invite(
        self, session: AsyncSession, invite: Invite, *, token: str, by: Staff, sites: Sequence[Site], days: int
    ) -> None:
        """An invitation with its single-use link, valid for `days`."""
        self._queue(
            session,
            "invite",
            dedupe_key=f"invite:{invite.id}",
            to_addr=invite.email,
            to_name=None,
            locale=by.language or DEFAULT_LANGUAGE,
            site_id=sites[0].id if sites else None,
            by=by,
            role=invite.role,
            sites=sites,
            url=self.url(f"/staff/invite/{token}"),
            days=days,
        )

    def follow_up(self, session: AsyncSession, report: Report, *, lead: Staff, task: Task) -> None:
        """A lead is asked to follow up personally with an at-risk customer."""
        self._to_staff(
            session,
            "follow_up",
            lead,
            dedupe_key=f"follow_up:{report.id}",
            site_id=report.site_id,
            report_id=report.id,
            report=report,
            site=report.site,
            task=task,
            url=self.url(f"/staff/reports/{report.id}"),
        )

    def poor_rating(
        self, session: AsyncSession, report: Report, *, staff: Staff, event: ReportEvent, task: Task
    ) -> None:
        """A customer said we did not make it right: the report is open again, with a personal reply due."""
        self._to_staff(
            session,
            "poor_rating",
            staff,
            dedupe_key=f"poor_rating:{event.id}:{staff.id}",
            site_id=report.site_id,
            report_id=report.id,
            report=report,
            site=report.site,
            event=event,
            task=task,
            url=self.url(f"/staff/reports/{report.id}"),
        )

    def clock_warning(
        self, session: AsyncSession, report: Report, *, staff: Staff, kind: str, clock: str, minutes: int
    ) -> None:
        """A recovery clock is about to run out."""
        self._to_staff(
            session,
            "clock_warning",
            staff,
            dedupe_key=f"warn:{kind}:{report.id}:{staff.id}",
            site_id=report.site_id,
            report_id=report.id,
            report=report,
            clock=clock,
            minutes=minutes,
            url=self.url(f"/staff/reports/{report.id}"),
        )

    def ca_reopened(self, session: AsyncSession, ca: CorrectiveAction, *, evidence: Report, why: str) -> None:
        """The failure came back during verification: the owner hears why."""
        assert ca.owner is not None
        self._to_staff(
            session,
            "ca_reopened",
            ca.owner,
            dedupe_key=f"ca_reopened:{ca.id}:{evidence.id}",
            site_id=ca.site_id,
            report_id=evidence.id,
            ca=ca,
            report=evidence,
            why=why,
            url=self.url(f"/staff/cas/{ca.id}"),
        )

    def monthly(self, session: AsyncSession, result: MonthlyResult, *, person: Staff) -> None:
        """Last month's results, to each of the site's staff."""
        self._to_staff(
            session,
            "monthly",
            person,
            dedupe_key=f"monthly:{result.id}:{person.id}",
            site_id=result.site_id,
            result=result,
            data=result.data,
            url=self.url(f"/staff/results/{result.id}"),
        )

    def flood(
        self,
        session: AsyncSession,
        site: Site,
        *,
        admin: Staff,
        started_at: datetime,
        last_refused_at: datetime,
        refused: int,
    ) -> None:
        """The site's ceiling refused reports: once per flood, saying how many, so a person can tell an
        incident many customers noticed from abuse."""
        self._to_staff(
            session,
            "flood",
            admin,
            dedupe_key=f"flood:{site.id}:{started_at.timestamp():.6f}:{admin.id}",
            site_id=site.id,
            site=site,
            started_at=started_at,
            last_refused_at=last_refused_at,
            refused=refused,
            queue_url=self.url(f"/staff?site={site.id}"),
            url=self.url(f"/staff/sites/{site.id}"),
        )

    def webhook_disabled(
        self, session: AsyncSession, endpoint: WebhookEndpoint, *, site: Site, staff: Staff, error: str | None
    ) -> None:
        """A site's webhook or chat endpoint failed for a day and was switched off: once per switch-off."""
        disabled_at = endpoint.disabled_at.timestamp() if endpoint.disabled_at else 0.0
        self._to_staff(
            session,
            "webhook_disabled",
            staff,
            dedupe_key=f"webhook_disabled:{endpoint.id}:{disabled_at:.6f}:{staff.id}",
            site_id=site.id,
            site=site,
            endpoint=endpoint,
            error=error,
            url=self.url(f"/staff/sites/{site.id}/integrations"),
        )
