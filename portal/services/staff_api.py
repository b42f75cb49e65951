"""Lookups the staff API needs that the staff pages do not: reports by reference, customers by key alone."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.models import Report, Site
from portal.services.customers import CustomerFile, customer_file


async def report_by_ref(session: AsyncSession, site_ids: list[int], ref: str) -> Report | None:
    """The report with this reference if it belongs to one of the caller's sites; None otherwise (a 404)."""
    return await session.scalar(select(Report).where(Report.ref == ref.strip().upper(), Report.site_id.in_(site_ids)))


async def customer_at_sites(session: AsyncSession, sites: list[Site], key: str) -> CustomerFile | None:
    """The customer's file at one of these sites that has reports from them (pass one site to pick it)."""
    site_ids = [site.id for site in sites]
    site_id = await session.scalar(
        select(Report.site_id).where(Report.customer_key == key, Report.site_id.in_(site_ids)).limit(1)
    )
    site = next((s for s in sites if s.id == site_id), None)
    return await customer_file(session, site, key) if site else None
