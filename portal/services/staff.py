"""Staff accounts and what each may see."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.passwords import check_password, hash_password
from portal.i18n import N_, STAFF_LANGUAGES
from portal.models import Site, Staff, StaffSession, StaffSite, utcnow
from portal.services import limits
from portal.services.sites import all_sites

ROLES = (N_("admin"), N_("lead"), N_("agent"))  # also the values stored and sent by forms
SIGN_IN_WINDOW = timedelta(minutes=15)
# Failed sign-ins allowed per window: for one account from one address (someone guessing, or its
# owner mistyping), from one address across accounts, and for one account from everywhere. The last is
# far above the first, so a guesser slows an account down without locking its owner out.
FAILURES_PER_ACCOUNT_AND_ADDRESS = 5
FAILURES_PER_ADDRESS = 20
FAILURES_PER_ACCOUNT = 100


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
    """Too many failed sign-ins for this account from this address, from this address, or for this account; try again later."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after}s")
        self.retry_after = retry_after


async def authenticate(
    session: AsyncSession, email: str, password: str, *, client: str, now: datetime | None = None
) -> Staff | None:
    """The active staff member with these credentials, or None; refuses to check after too many failures.

    Every attempt takes a slot from each limit before the password is checked, and the slots are
    committed first, so concurrent guesses cannot all be checked; a correct password gives them back.
    """
    now = now or utcnow()
    email = email.strip().lower()
    taken: list[limits.Hit] = []
    for key, limit in (
        (limits.counter_key("sign-in", email, client), FAILURES_PER_ACCOUNT_AND_ADDRESS),
        (limits.counter_key("sign-in-address", client), FAILURES_PER_ADDRESS),
        (limits.counter_key("sign-in-account", email), FAILURES_PER_ACCOUNT),
    ):
        hit = await limits.hit(session, key, limit=limit, window=SIGN_IN_WINDOW, now=now)
        if not hit.allowed:
            await limits.refund(session, taken, now=now)  # checked nothing: only the limit that refused counts it
            await session.commit()
            raise SignInThrottled(hit.retry_after)
        taken.append(hit)
    await session.commit()
    staff = await session.scalar(select(Staff).where(Staff.email == email))
    if check_password(staff.password_hash if staff else None, password) and staff and staff.is_active:
        await limits.refund(session, taken, now=now)
        await session.commit()
        return staff
    return None


SESSION_IDLE = timedelta(hours=12)  # a session unused this long ends, as its cookie does
SESSION_TOUCH = timedelta(hours=1)  # use pushes the end back at most this often: a write an hour, not per request


def _session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


async def start_session(session: AsyncSession, staff: Staff, now: datetime | None = None) -> str:
    """Sign this staff member in on one browser; returns the id its cookie carries (their expired sessions go)."""
    now = now or utcnow()
    session_id = secrets.token_urlsafe(32)
    await session.execute(delete(StaffSession).where(StaffSession.staff_id == staff.id, StaffSession.expires_at <= now))
    session.add(StaffSession(id_hash=_session_hash(session_id), staff_id=staff.id, expires_at=now + SESSION_IDLE))
    await session.commit()
    return session_id


async def signed_in_staff(
    session: AsyncSession, staff_id: object, session_id: object, now: datetime | None = None
) -> Staff | None:
    """The active staff member a cookie's session belongs to, while that session lives; using it keeps it alive."""
    if not isinstance(staff_id, int) or not isinstance(session_id, str):
        return None
    now = now or utcnow()
    live = (
        await session.execute(
            select(Staff, StaffSession.expires_at)
            .join(StaffSession, StaffSession.staff_id == Staff.id)
            .where(
                Staff.id == staff_id,
                Staff.is_active,
                StaffSession.id_hash == _session_hash(session_id),
                StaffSession.expires_at > now,
            )
        )
    ).first()
    if live is None:
        return None
    staff, expires_at = live
    if expires_at < now + SESSION_IDLE - SESSION_TOUCH:
        await session.execute(
            update(StaffSession)
            .where(StaffSession.id_hash == _session_hash(session_id))
            .values(expires_at=now + SESSION_IDLE)
        )
        await session.commit()
    return staff


async def sign_out(session: AsyncSession, session_id: object) -> None:
    """End one session: its cookie, even copied, no longer signs anyone in."""
    if isinstance(session_id, str):
        await session.execute(delete(StaffSession).where(StaffSession.id_hash == _session_hash(session_id)))
        await session.commit()


async def sign_out_everywhere(session: AsyncSession, staff: Staff) -> None:
    """End every session of this staff member, on every device."""
    await session.execute(delete(StaffSession).where(StaffSession.staff_id == staff.id))
    await session.commit()


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
