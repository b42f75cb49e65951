"""Signed customer identity: the host vouches for a customer id with an HMAC of the site's secret."""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign_customer(secret: str, customer_id: str, tier: str | None = None) -> str:
    """Hex HMAC-SHA256 for `data-customer-sig`: of the customer id, or of `id|tier=<tier>` when the host vouches for a tier too."""
    message = customer_id if tier is None else f"{customer_id}|tier={tier}"
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_customer(secret: str, customer_id: str | None, signature: str | None, tier: str | None = None) -> bool:
    """True only when the signature is the site's HMAC of this exact customer id (and tier, when one is given)."""
    if not customer_id or not signature:
        return False
    # Compared as bytes: compare_digest refuses str with non-ASCII characters, and a forged signature may have some.
    return hmac.compare_digest(sign_customer(secret, customer_id, tier).encode(), signature.strip().lower().encode())


def verified_identity(
    secret: str, customer_id: str | None, signature: str | None, tier: str | None
) -> tuple[bool, str | None]:
    """(id verified, tier verified): a signature over the id alone still identifies, but vouches for no tier."""
    if tier and verify_customer(secret, customer_id, signature, tier):
        return True, tier
    return verify_customer(secret, customer_id, signature), None


def client_hash(secret_key: str, address: str) -> str:
    """A keyed hash of a client address: enough to count floods and guesses, useless to identify anyone."""
    return hmac.new(secret_key.encode(), address.encode(), hashlib.sha256).hexdigest()


def unsubscribe_token(secret_key: str, site_id: int, email: str) -> str:
    """A link token that lets exactly this address leave this site's closure mail, without signing in."""
    payload = base64.urlsafe_b64encode(f"{site_id}:{email.lower()}".encode()).decode().rstrip("=")
    return f"{payload}.{hmac.new(secret_key.encode(), payload.encode(), hashlib.sha256).hexdigest()[:32]}"


def read_unsubscribe_token(secret_key: str, token: str) -> tuple[int, str] | None:
    """(site id, email) from a genuine token; None for anything forged or mangled."""
    payload, _, signature = token.partition(".")
    expected = hmac.new(secret_key.encode(), payload.encode(), hashlib.sha256).hexdigest()[:32]
    if not payload or not hmac.compare_digest(expected.encode(), signature.encode()):
        return None
    site_id, _, email = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode().partition(":")
    return (int(site_id), email) if site_id.isdigit() and email else None
