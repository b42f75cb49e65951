"""The demo: a shop site served by the portal itself at /demo, and an admin to look at what it sends."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.sites import normalize_origin
from portal.models import Site
from portal.services.sites import create_site, site_by_key
from portal.services.staff import upsert_staff

DEMO_SITE_KEY = "demo-shop"
DEMO_ADMIN = "admin@example.com"


async def set_up_demo(session: AsyncSession, *, base_url: str, admin_password: str) -> Site:
    """Create the demo site and admin, or bring them up to date (idempotent; resets the admin's password).

    The demo page is served from `base_url`, so the site must allow that origin: running the demo again
    on another port adds the new origin (earlier ones stay, in case the portal still answers there)."""
    origin = normalize_origin(base_url)
    site = await site_by_key(session, DEMO_SITE_KEY)
    if site is None:
        site = await create_site(session, name="Northwind Goods (demo)", origins=[origin], key=DEMO_SITE_KEY)
    elif origin not in site.allowed_origins:
        site.allowed_origins = [origin, *site.allowed_origins]
    await upsert_staff(session, email=DEMO_ADMIN, password=admin_password, role="admin", name="Demo Admin")
    await session.commit()
    return site
