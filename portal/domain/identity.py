"""Signed customer identity: the host vouches for a customer id with an HMAC of the site's secret."""

from __future__ import annotations

import hashlib
import hmac


def sign_customer(secret: str, customer_id: str) -> str:
    """Hex HMAC-SHA256 of the customer id, as the host computes it for `data-customer-sig`."""
    return hmac.new(secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()


def verify_customer(secret: str, customer_id: str | None, signature: str | None) -> bool:
    """True only when the signature is the site's HMAC of this exact customer id."""
    if not customer_id or not signature:
        return False
    return hmac.compare_digest(sign_customer(secret, customer_id), signature.strip().lower())


def client_hash(secret_key: str, address: str) -> str:
    """A keyed hash of a client address: enough to count floods and guesses, useless to identify anyone."""
    return hmac.new(secret_key.encode(), address.encode(), hashlib.sha256).hexdigest()
