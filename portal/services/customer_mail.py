"""Mail to a report's customer, and the private link it carries."""

from __future__ import annotations

from jinja2 import Environment
from sqlalchemy.ext.asyncio import AsyncSession

from portal.emails import render_mail
from portal.models import Report
from portal.outbox import enqueue_mail
from portal.settings import Settings


def status_url(settings: Settings, token: str) -> str:
    """The customer's private status page."""
    return f"{settings.base_url}/s/{token}"


def mail_customer(
    session: AsyncSession,
    report: Report,
    kind: str,
    dedupe_key: str,
    settings: Settings,
    env: Environment,
    **context: object,
) -> None:
    """Queue a mail to the report's customer, in the caller's transaction (nothing when they left no email)."""
    if not report.customer_email:
        return
    enqueue_mail(
        session,
        dedupe_key=dedupe_key,
        to_addr=report.customer_email,
        to_name=report.customer_name,
        content=render_mail(
            env, kind, site=report.site, report=report, status_url=status_url(settings, report.status_token), **context
        ),
        base_url=settings.base_url,
        site_id=report.site_id,
        report_id=report.id,
    )
