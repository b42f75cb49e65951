"""Staff's side of privacy: export and erase one customer (each a use case that commits), and the audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import gettext as _
from portal.models import PrivacyAudit, Site, Staff
from portal.services.privacy import erase_customer, export_customer, record_export

MAX_REASON = 500
TRAIL_LIMIT = 500


def erasure_reason(text: str | None) -> str:
    """The reason staff give for an erasure: required, and short enough for the trail."""
    reason = (text or "").strip()
    if not reason:
        raise ValueError(_("Say why this customer is erased."))
    if len(reason) > MAX_REASON:
        raise ValueError(_("Keep the reason to %(limit)s characters at most.", limit=MAX_REASON))
    return reason


async def export_for_staff(session: AsyncSession, site: Site, key: str, *, staff: Staff, actor: str) -> dict[str, Any]:
    """The customer's data as JSON-ready values, with the export recorded on the trail (actor staff or api)."""
    data = await export_customer(session, site, key)
    await record_export(session, site, key, actor=actor, staff=staff, reason=None)
    await session.commit()
    return data


async def erase_for_staff(
    session: AsyncSession, site: Site, key: str, *, staff: Staff, actor: str, reason: str | None
) -> dict[str, int]:
    """Erase the customer at this site for a lead or admin, with their reason (ValueError without one); the counts."""
    counts = await erase_customer(session, site, key, actor=actor, staff=staff, reason=erasure_reason(reason))
    await session.commit()
    return counts


async def audit_trail(session: AsyncSession, site_ids: list[int], *, limit: int = TRAIL_LIMIT) -> list[PrivacyAudit]:
    """The newest exports, erasures and retention passes at these sites."""
    query = (
        select(PrivacyAudit)
        .where(PrivacyAudit.site_id.in_(site_ids))
        .order_by(PrivacyAudit.created_at.desc(), PrivacyAudit.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(query)).all())
