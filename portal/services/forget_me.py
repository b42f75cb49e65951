"""A customer's own privacy requests from their status page: "download what you told us" and "forget me".

Whoever holds a status link may act for that report; acting for every report under the customer's key takes a
verified identity or a confirmation link mailed to the address on file (mail scanners open links: only the
button on the page behind it erases).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.privacy import customer_hash
from portal.mail import Mail
from portal.models import ErasureRequest, PrivacyAudit, Report, utcnow
from portal.services import privacy

CONFIRM_LIFETIME = timedelta(hours=24)


@dataclass(frozen=True)
class Erased:
    """The receipt of a "forget me": how many reports were anonymised, and the audit row that records it."""

    reports: int
    reference: int


def _token_hash(token: str) -> str:
    """What is stored of a confirmation token."""
    return hashlib.sha256(token.encode()).hexdigest()


async def download(session: AsyncSession, report: Report) -> dict[str, Any]:
    """Everything the customer told this site under their key (only this report when it names no customer),
    recorded as an export by the customer."""
    if report.customer_key:
        data = await privacy.export_customer(session, report.site, report.customer_key)
        await privacy.record_export(
            session, report.site, report.customer_key, actor="customer", staff=None, reason=None
        )
    else:
        data = await privacy.export_report(session, report)
        privacy.record_audit(session, report.site, "export", actor="customer", counts={"reports": 1})
    await session.commit()
    return data


async def _erase(session: AsyncSession, report: Report) -> Erased:
    """Erase in the caller's transaction: every report under the customer's key, or this one when it names none."""
    site, key = report.site, report.customer_key
    if key:
        counts = await privacy.erase_customer(session, site, key, actor="customer", staff=None, reason=None)
    else:
        counts = await privacy.erase_report(session, report, actor="customer")
    await session.flush()
    hashed = customer_hash(site.secret, site.id, key) if key else None
    audit_id = await session.scalar(
        select(PrivacyAudit.id)
        .where(
            PrivacyAudit.site_id == site.id,
            PrivacyAudit.action == "erase",
            PrivacyAudit.actor == "customer",
            PrivacyAudit.customer_hash.is_(None) if hashed is None else PrivacyAudit.customer_hash == hashed,
        )
        .order_by(PrivacyAudit.id.desc())
        .limit(1)
    )
    return Erased(reports=counts.get("reports", 0), reference=audit_id or 0)


async def forget(session: AsyncSession, report: Report, *, mail: Mail, now: datetime | None = None) -> Erased | None:
    """The customer's "forget me": erased at once for a verified identity or a report without an address (the
    receipt); otherwise a confirmation link mailed to the address on file (None)."""
    if report.identity_verified or not report.customer_email:
        erased = await _erase(session, report)
        await session.commit()
        return erased
    token = secrets.token_urlsafe(32)
    request = ErasureRequest(
        report_id=report.id, token_hash=_token_hash(token), expires_at=(now or utcnow()) + CONFIRM_LIFETIME
    )
    session.add(request)
    await session.flush()
    mail.erasure_confirm(
        session, report, token=token, request_id=request.id, hours=int(CONFIRM_LIFETIME.total_seconds() // 3600)
    )
    await session.commit()
    return None


async def _open_request(
    session: AsyncSession, token: str, now: datetime, *, lock: bool = False
) -> ErasureRequest | None:
    """The request behind a mailed link while it is unused and unexpired (locked for the one who confirms it)."""
    query = select(ErasureRequest).where(ErasureRequest.token_hash == _token_hash(token))
    request = await session.scalar(query.with_for_update() if lock else query)
    if request is None or request.confirmed_at is not None or request.expires_at <= now:
        return None
    return request


async def pending_request(session: AsyncSession, token: str, now: datetime | None = None) -> Report | None:
    """The report a mailed confirmation link speaks for, while the link is unused and unexpired (else None)."""
    request = await _open_request(session, token, now or utcnow())
    return await session.get(Report, request.report_id) if request else None


async def confirm(session: AsyncSession, token: str, now: datetime | None = None) -> Erased | None:
    """Erase what a mailed link confirms, once (None: the link is unknown, used or expired)."""
    now = now or utcnow()
    request = await _open_request(session, token, now, lock=True)
    if request is None:
        return None
    request.confirmed_at = now
    report = await session.get(Report, request.report_id)
    if report is None:
        return None
    erased = await _erase(session, report)
    await session.commit()
    return erased
