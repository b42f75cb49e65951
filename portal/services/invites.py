"""Inviting staff by email: a single-use link that expires, kept only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.domain.intake import EMAIL_RE
from portal.i18n import gettext as _
from portal.mail import Mail
from portal.models import Invite, Site, Staff, utcnow
from portal.services.staff import ROLES, upsert_staff

INVITE_LIFETIME = timedelta(days=7)
MIN_PASSWORD = 10


class InviteError(ValueError):
    """An invitation that cannot be sent or accepted, with the reason."""


def _token_hash(token: str) -> str:
    """What is stored of an invitation token."""
    return hashlib.sha256(token.encode()).hexdigest()


async def invite(session: AsyncSession, *, email: str, role: str, sites: list[Site], by: Staff, mail: Mail) -> Invite:
    """Record the invitation and queue its mail in one transaction."""
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        raise InviteError(_("That doesn't look like an email address."))
    if role not in ROLES:
        raise InviteError(_("Pick a role."))
    if role != "admin" and not sites:
        raise InviteError(_("Pick at least one site: leads and agents see only their sites."))
    token = secrets.token_urlsafe(32)
    record = Invite(
        token_hash=_token_hash(token),
        email=email,
        role=role,
        site_ids=[s.id for s in sites],
        invited_by_id=by.id,
        expires_at=utcnow() + INVITE_LIFETIME,
    )
    session.add(record)
    await session.flush()
    mail.invite(session, record, token=token, by=by, sites=sites, days=INVITE_LIFETIME.days)
    await session.commit()
    return record


async def open_invite(session: AsyncSession, token: str, now: datetime | None = None) -> Invite:
    """The invitation behind a link, if it is still good."""
    record = await session.scalar(select(Invite).where(Invite.token_hash == _token_hash(token)))
    if record is None or record.accepted_at is not None:
        raise InviteError(_("This invitation link has already been used or does not exist."))
    if record.expires_at < (now or utcnow()):
        raise InviteError(_("This invitation has expired. Ask an admin to send a new one."))
    return record


async def accept(session: AsyncSession, *, token: str, name: str, password: str | None) -> Staff:
    """Create the account the invitation describes; the link cannot be used again. No password (None) where
    people sign in only with single sign-on: the account gets a random one nobody knows."""
    record = await open_invite(session, token)
    if password is None:
        password = secrets.token_urlsafe(32)
    elif len(password) < MIN_PASSWORD:
        raise InviteError(_("Use a password of at least %(min)s characters.", min=MIN_PASSWORD))
    sites = list((await session.scalars(select(Site).where(Site.id.in_(record.site_ids)))).all())
    staff = await upsert_staff(
        session, email=record.email, password=password, role=record.role, name=name.strip()[:200], sites=sites
    )
    record.accepted_at = utcnow()
    await session.commit()
    return staff
