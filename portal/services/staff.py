"""Staff accounts and what each may see."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.passwords import check_password, hash_password
from portal.models import Site, Staff

ROLES = ("admin", "lead", "agent")


async def upsert_staff(
    session: AsyncSession, *, email: str, password: str, role: str, name: str = "", sites: list[Site] | None = None
) -> Staff:
    """Create the account, or reset its password and role when the email already exists."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    email = email.strip().lower()
    staff = await session.scalar(select(Staff).where(Staff.email == email))
    if staff is None:
        staff = Staff(email=email, name=name or email.split("@")[0], role=role, password_hash="", sites=[])
        session.add(staff)
    staff.password_hash = hash_password(password)
    staff.role = role
    staff.is_active = True
    for site in sites or []:
        if site not in staff.sites:
            staff.sites.append(site)
    await session.flush()
    return staff


async def authenticate(session: AsyncSession, email: str, password: str) -> Staff | None:
    """The active staff member with these credentials, or None."""
    staff = await session.scalar(select(Staff).where(Staff.email == email.strip().lower()))
    ok = check_password(staff.password_hash if staff else None, password)
    return staff if ok and staff and staff.is_active else None


async def visible_sites(session: AsyncSession, staff: Staff) -> list[Site]:
    """Admins see every site; everyone else sees the sites they belong to."""
    if staff.role == "admin":
        return list((await session.scalars(select(Site).order_by(Site.name))).all())
    return sorted(staff.sites, key=lambda s: s.name)
