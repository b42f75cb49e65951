"""Creating and finding sites."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain import tokens
from portal.domain.sites import DEFAULT_CATEGORIES, SiteSettings, normalize_origin
from portal.i18n import gettext as _
from portal.i18n import use_locale
from portal.models import Site
from portal.services.gesture_catalog import seed_defaults


async def create_site(
    session: AsyncSession,
    *,
    name: str,
    origins: list[str],
    signer_name: str = "Sam Rivera",
    signer_role: str = "Customer Care Lead",
    key: str | None = None,
) -> Site:
    """A new site with default categories and gestures, a fresh key and a fresh signing secret."""
    site = Site(
        key=key or tokens.site_key(),
        name=name,
        secret=tokens.site_secret(),
        allowed_origins=[normalize_origin(o) for o in origins],
        categories=[dict(c) for c in DEFAULT_CATEGORIES],
        signer_name=signer_name,
        signer_role=signer_role,
    )
    session.add(site)
    await session.flush()
    seed_defaults(session, site)
    await session.flush()
    return site


async def all_sites(session: AsyncSession) -> list[Site]:
    """Every site, by name (admins' lists)."""
    return list((await session.scalars(select(Site).order_by(Site.name))).all())


async def sites_by_ids(session: AsyncSession, ids: list[int]) -> list[Site]:
    """The sites with these ids, by name; unknown ids are skipped."""
    return list((await session.scalars(select(Site).where(Site.id.in_(ids)).order_by(Site.name))).all())


async def site_by_id(session: AsyncSession, site_id: int) -> Site | None:
    """One site by its id."""
    return await session.get(Site, site_id)


async def site_by_key(session: AsyncSession, key: str) -> Site | None:
    """The site with this public key, if any."""
    return await session.scalar(select(Site).where(Site.key == key))


def embed_snippet(base_url: str, site: Site) -> str:
    """What a site owner pastes into their pages, with a no-JavaScript fallback link."""
    with use_locale(site.default_language):
        fallback = _("Something small went wrong? Tell us")
    return (
        f'<script async src="{base_url}/widget.js" data-site="{site.key}"></script>\n'
        f'<noscript><a href="{base_url}/w/{site.key}">{fallback}</a></noscript>'
    )


async def update_site(session: AsyncSession, site: Site, changes: SiteSettings) -> None:
    """Apply an admin's validated settings."""
    site.name = changes.name
    site.allowed_origins = changes.allowed_origins
    site.categories = changes.categories
    site.no_blame_text = changes.no_blame_text
    site.signer_name = changes.signer_name
    site.signer_role = changes.signer_role
    site.repeat_window_days = changes.repeat_window_days
    site.first_response_minutes = changes.first_response_minutes
    site.recovery_hours = changes.recovery_hours
    site.follow_up_hours = changes.follow_up_hours
    site.max_reports_per_minute = changes.max_reports_per_minute
    site.languages = changes.languages
    site.default_language = changes.default_language
    for field in ("rating_reminder_days", "poor_rating_max", "silent_after_days", "retention_months"):
        if (value := getattr(changes, field)) is not None:
            setattr(site, field, value)
    if changes.privacy_url is not None:
        site.privacy_url = changes.privacy_url or None
    await session.commit()


async def rotate_secret(session: AsyncSession, site: Site) -> None:
    """A new signing secret: identities signed with the old one stop being trusted at once."""
    site.secret = tokens.site_secret()
    await session.commit()
