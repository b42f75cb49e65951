"""A customer's file: everything they told one site, how often, and what staff noted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.gestures import Tier
from portal.domain.repeat import RepeatLevel, repeat_level
from portal.domain.workflow import check_message
from portal.models import CustomerNote, CustomerProfile, Report, Site, Staff, utcnow


@dataclass(frozen=True)
class CustomerFile:
    """One customer as one site knows them."""

    site: Site
    key: str
    reports: list[Report]
    notes: list[CustomerNote]
    level: RepeatLevel  # now, within the site's window
    staff_tier: int | None = None  # set on the file by staff; wins over the tier the host signs

    @property
    def flagged(self) -> bool:
        """At risk or worse: every staff member sees it on each of this customer's reports."""
        return self.level >= RepeatLevel.AT_RISK

    @property
    def who(self) -> str:
        """How staff recognise the customer."""
        return self.key.split(":", 1)[1]


async def customer_file(
    session: AsyncSession, site: Site, key: str, now: datetime | None = None
) -> CustomerFile | None:
    """The file, or None when this site has no reports from this customer."""
    reports = list(
        (
            await session.scalars(
                select(Report)
                .where(Report.site_id == site.id, Report.customer_key == key)
                .order_by(Report.created_at.desc())
            )
        ).all()
    )
    if not reports:
        return None
    since = (now or utcnow()) - timedelta(days=site.repeat_window_days)
    in_window = sum(r.created_at >= since for r in reports)
    notes = list(
        (
            await session.scalars(
                select(CustomerNote)
                .where(CustomerNote.site_id == site.id, CustomerNote.customer_key == key)
                .order_by(CustomerNote.id.desc())
            )
        ).all()
    )
    level = repeat_level(in_window - 1) if in_window else RepeatLevel.FIRST
    staff_tier = await session.scalar(
        select(CustomerProfile.tier).where(CustomerProfile.site_id == site.id, CustomerProfile.customer_key == key)
    )
    return CustomerFile(site=site, key=key, reports=reports, notes=notes, level=level, staff_tier=staff_tier)


async def add_note(session: AsyncSession, *, site: Site, key: str, staff: Staff, body: str) -> CustomerNote:
    """Write an internal note on the customer's file."""
    note = CustomerNote(site_id=site.id, customer_key=key, staff_id=staff.id, body=check_message(body))
    session.add(note)
    await session.commit()
    return note


async def set_customer_tier(session: AsyncSession, *, site: Site, key: str, tier: Tier, staff: Staff) -> None:
    """Staff set the customer's tier on their file; it counts from their next report."""
    profile = await session.scalar(
        select(CustomerProfile).where(CustomerProfile.site_id == site.id, CustomerProfile.customer_key == key)
    )
    if profile is None:
        session.add(CustomerProfile(site_id=site.id, customer_key=key, tier=int(tier), set_by_id=staff.id))
    else:
        profile.tier, profile.set_by_id, profile.updated_at = int(tier), staff.id, utcnow()
    await session.commit()
