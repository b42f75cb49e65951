"""Single sign-on rules that need no network: which email domains may join, and what an ID token must say."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from portal.i18n import gettext as _


class SsoRefused(Exception):
    """The provider's answer does not let this person in; the message says why, for them to read."""


@dataclass(frozen=True)
class SsoIdentity:
    """Who the provider vouches for: a verified email, and the name it knows them by."""

    email: str
    name: str


def parse_domains(text: str) -> tuple[str, ...]:
    """`"Example.com, @partner.example"` -> `("example.com", "partner.example")`; raises ValueError on a non-domain."""
    domains = tuple(part.strip().lower().removeprefix("@") for part in text.split(",") if part.strip())
    for domain in domains:
        if "." not in domain or any(c.isspace() or c in "@/:" for c in domain):
            raise ValueError(f"not an email domain: {domain!r}")
    return domains


def may_join(email: str, domains: tuple[str, ...]) -> bool:
    """True when an unknown person with this email may join by themselves: its domain is on the allow-list,
    exactly (a subdomain is another organisation's)."""
    return email.rpartition("@")[2].lower() in domains


def issuer_label(issuer: str) -> str:
    """What the sign-in button names the provider by: the issuer's host."""
    return urlsplit(issuer).hostname or issuer


def identity_from_claims(claims: Mapping[str, object]) -> SsoIdentity:
    """The person a validated ID token names; refused unless its email is there and verified by the provider."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise SsoRefused(_("The sign-in provider did not share your email address, so Mend can't tell who you are."))
    # Some providers send the flag as the string "true"; anything else (absent, false) is unverified.
    verified = claims.get("email_verified")
    if verified is not True and verified != "true":
        raise SsoRefused(
            _("The sign-in provider has not verified %(email)s. Verify it there, then try again.", email=email)
        )
    name = claims.get("name")
    email = email.strip().lower()
    return SsoIdentity(email=email, name=name.strip()[:200] if isinstance(name, str) and name.strip() else "")
