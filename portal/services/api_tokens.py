"""Staff API tokens: create, list and revoke them, and find the live token a request carries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain import api_tokens as rules
from portal.i18n import gettext as _
from portal.models import ApiToken, Staff, utcnow
from portal.services.limits import Hit, counter_key, hit


@dataclass(frozen=True)
class Issued:
    """A token just created: `secret` is the only time the token itself exists outside its owner's hands."""

    token: ApiToken
    secret: str


async def create_token(
    session: AsyncSession,
    staff: Staff,
    *,
    name: str,
    scopes: Iterable[str],
    expires_on: date | None,
    now: datetime | None = None,
) -> Issued:
    """Issue a token acting as `staff` within `scopes`; only its hash is kept. Raises TokenRefused."""
    now = now or utcnow()
    name = name.strip()
    if not name or len(name) > rules.MAX_NAME:
        raise rules.TokenRefused(_("Give the token a name of at most %(max)s characters.", max=rules.MAX_NAME))
    granted = rules.valid_scopes(scopes)
    expires_at = rules.expiry(expires_on, now.date())
    secret = rules.new_token()
    token = ApiToken(
        staff_id=staff.id,
        name=name,
        token_hash=rules.token_hash(secret),
        prefix=rules.shown_prefix(secret),
        scopes=granted,
        expires_at=expires_at,
        created_at=now,
    )
    session.add(token)
    await session.commit()
    return Issued(token, secret)


async def create_token_for_email(
    session: AsyncSession, email: str, *, name: str, scopes: Iterable[str], expires_on: date | None
) -> Issued:
    """Issue a token for the active staff member with this email (the `portal create-token` command)."""
    staff = await session.scalar(select(Staff).where(Staff.email == email.strip().lower(), Staff.is_active))
    if staff is None:
        raise rules.TokenRefused(_("No active staff member has this email."))
    return await create_token(session, staff, name=name, scopes=scopes, expires_on=expires_on)


async def own_tokens(session: AsyncSession, staff: Staff) -> list[ApiToken]:
    """This staff member's tokens that are not revoked, newest first (expired ones too, to see why one stopped)."""
    query = (
        select(ApiToken)
        .where(ApiToken.staff_id == staff.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return list((await session.scalars(query)).all())


async def all_tokens(session: AsyncSession) -> list[ApiToken]:
    """Everyone's tokens that are not revoked, by owner then newest first (the admins' page)."""
    query = (
        select(ApiToken)
        .join(ApiToken.staff)
        .where(ApiToken.revoked_at.is_(None))
        .order_by(Staff.email, ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return list((await session.scalars(query)).all())


async def revoke_token(session: AsyncSession, token_id: int, *, by: Staff, now: datetime | None = None) -> bool:
    """Revoke a token of `by`'s own (any token when `by` is an admin); False when there is no such live token."""
    query = update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
    if by.role != "admin":
        query = query.where(ApiToken.staff_id == by.id)
    result = await session.execute(query.values(revoked_at=now or utcnow()))
    await session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Caller:
    """The live token a request carries and the count of its requests in this minute."""

    token: ApiToken
    limit: Hit


async def use_token(session: AsyncSession, secret: str, *, now: datetime | None = None) -> Caller | None:
    """The live token of an active staff member behind `secret`, its use counted and its last use recorded
    (at most once a minute); None for anything else. Commits, so the count holds even when the request fails."""
    now = now or utcnow()
    token = await session.scalar(select(ApiToken).where(ApiToken.token_hash == rules.token_hash(secret)))
    if (
        token is None
        or not token.staff.is_active
        or not rules.is_live(revoked_at=token.revoked_at, expires_at=token.expires_at, now=now)
    ):
        return None
    counted = await hit(
        session,
        counter_key("api-token", str(token.id)),
        limit=rules.REQUESTS_PER_MINUTE,
        window=timedelta(minutes=1),
        now=now,
    )
    if rules.last_use_due(token.last_used_at, now):
        token.last_used_at = now
    await session.commit()
    return Caller(token, counted)
