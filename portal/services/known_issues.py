"""What customers see of corrective actions: known issues in the panel, "me too", the closure on their
status page, and unsubscribing from closure mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.corrective_actions import page_matches
from portal.domain.intake import EMAIL_RE, undeliverable
from portal.i18n import gettext as _
from portal.models import CorrectiveAction, MeToo, Report, Site, Unsubscribe, utcnow
from portal.services import limits
from portal.services.intake import RATE_WINDOW, RateLimited


async def known_issues(session: AsyncSession, site: Site, page_url: str | None) -> list[CorrectiveAction]:
    """The site's published known issues that cover this page, newest first."""
    cas = (
        await session.scalars(
            select(CorrectiveAction)
            .where(CorrectiveAction.site_id == site.id, CorrectiveAction.public, CorrectiveAction.state != "closed")
            .order_by(CorrectiveAction.id.desc())
        )
    ).all()
    return [c for c in cas if page_matches(c.page_pattern, page_url)]


async def me_too(
    session: AsyncSession,
    site: Site,
    ca_id: int,
    email: str,
    *,
    client: str,
    per_minute: int,
    lang: str = "en",
    smtp_utf8: bool = False,
    now: datetime | None = None,
) -> CorrectiveAction:
    """Subscribe an address to hear when a published known issue is fixed (once per address; a flood waits, as on intake)."""
    now = now or utcnow()
    ca = await session.get(CorrectiveAction, ca_id)
    if ca is None or ca.site_id != site.id or not ca.public or ca.state == "closed":
        raise LookupError(_("That issue is no longer listed."))
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 320:
        raise ValueError(_("Give us an email address (name@example.com) so we can tell you when it's fixed."))
    if problem := undeliverable(email, smtp_utf8=smtp_utf8):
        raise ValueError(problem)
    if await session.scalar(select(MeToo.id).where(MeToo.ca_id == ca.id, MeToo.email == email)):
        return ca  # already subscribed: asking again takes nothing from the limit
    hit = await limits.hit(session, limits.counter_key("me-too", client), limit=per_minute, window=RATE_WINDOW, now=now)
    if not hit.allowed:
        await session.commit()
        raise RateLimited(hit.retry_after)
    session.add(MeToo(ca_id=ca.id, email=email, client_hash=client, lang=lang, created_at=now))
    await session.commit()
    return ca


async def unsubscribe(session: AsyncSession, site_id: int, email: str) -> None:
    """No more closure mail from this site to this address."""
    exists = await session.scalar(
        select(Unsubscribe.id).where(Unsubscribe.site_id == site_id, Unsubscribe.email == email)
    )
    if not exists:
        session.add(Unsubscribe(site_id=site_id, email=email))
        await session.commit()


async def closure_for_report(session: AsyncSession, report: Report) -> CorrectiveAction | None:
    """The closed CA a report led to, for the customer's status page."""
    if report.ca_id is None:
        return None
    return await session.scalar(
        select(CorrectiveAction).where(CorrectiveAction.id == report.ca_id, CorrectiveAction.state == "closed")
    )
