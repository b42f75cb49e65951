"""Staff accounts and what each may see."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.passwords import check_password, hash_password
from portal.i18n import N_, STAFF_LANGUAGES
from portal.models import LoginFailure, Site, Staff, StaffSite, utcnow
from portal.services.sites import all_sites

ROLES = (N_("admin"), N_("lead"), N_("agent"))  # also the values stored and sent by forms
SIGN_IN_WINDOW = timedelta(minutes=15)
MAX_SIGN_IN_FAILURES = 5


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


class SignInThrottled(Exception):
    """Too many failed sign-ins for this email or from this address; try again later."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after}s")
        self.retry_after = retry_after


async def authenticate(
    session: AsyncSession, email: str, password: str, *, client: str, now: datetime | None = None
) -> Staff | None:
    """The active staff member with these credentials, or None; refuses to check after too many failures."""
    now = now or utcnow()
    email = email.strip().lower()
    since = now - SIGN_IN_WINDOW
    recent = or_(LoginFailure.email == email, LoginFailure.client_hash == client)
    failures, oldest = (
        await session.execute(
            select(func.count(), func.min(LoginFailure.created_at)).where(recent, LoginFailure.created_at >= since)
        )
    ).one()
    if failures >= MAX_SIGN_IN_FAILURES:
        raise SignInThrottled(max(1, math.ceil((oldest + SIGN_IN_WINDOW - now).total_seconds())))
    staff = await session.scalar(select(Staff).where(Staff.email == email))
    if check_password(staff.password_hash if staff else None, password) and staff and staff.is_active:
        return staff
    session.add(LoginFailure(email=email, client_hash=client, created_at=now))
    await session.commit()
    return None


async def sign_out_everywhere(session: AsyncSession, staff: Staff) -> None:
    """Invalidate every session of this staff member, on every device."""
    staff.session_epoch += 1
    await session.commit()


async def staff_by_id(session: AsyncSession, staff_id: int | None) -> Staff | None:
    """One account by id (None for none)."""
    return await session.get(Staff, staff_id) if staff_id is not None else None


async def all_staff(session: AsyncSession) -> list[Staff]:
    """Everyone with an account, by email (the admins' people page)."""
    return list((await session.scalars(select(Staff).order_by(Staff.email))).all())


async def visible_sites(session: AsyncSession, staff: Staff) -> list[Site]:
    """Admins see every site; everyone else sees the sites they belong to."""
    if staff.role == "admin":
        return await all_sites(session)
    return sorted(staff.sites, key=lambda s: s.name)


async def set_language(session: AsyncSession, staff: Staff, language: str | None) -> None:
    """The staff portal's language for this person; None follows their browser."""
    staff.language = language if language in STAFF_LANGUAGES else None
    await session.commit()


async def set_on_duty(session: AsyncSession, staff: Staff, on_duty: bool) -> None:
    """Start or end a shift: on-duty staff get the clock alerts of their sites."""
    staff.on_duty = on_duty
    await session.commit()


def site_staff_query(site_id: int, roles: Sequence[str]) -> Select[Staff]:
    """Active staff in these roles who work at the site (admins work at every site), by name."""
    linked = select(StaffSite.staff_id).where(StaffSite.site_id == site_id)
    return (
        select(Staff)
        .where(Staff.is_active, Staff.role.in_(roles), (Staff.role == "admin") | Staff.id.in_(linked))
        .order_by(Staff.name, Staff.id)
    )


async def site_staff(session: AsyncSession, site_id: int, roles: Sequence[str]) -> list[Staff]:
    """Active staff in these roles who work at the site (admins work at every site), by name."""
    return list((await session.scalars(site_staff_query(site_id, roles))).all())
