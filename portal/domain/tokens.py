"""Unguessable identifiers handed to customers and site owners."""

from __future__ import annotations

import secrets

REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read aloud on the phone


def status_token() -> str:
    """192 random bits for a customer's private status link."""
    return secrets.token_urlsafe(24)


def report_ref() -> str:
    """A short reference a customer can quote (not a secret: the status token is)."""
    # One read of the system's randomness, not one per letter: 32 letters divide 256, so each is as likely.
    return "".join(REF_ALPHABET[byte % len(REF_ALPHABET)] for byte in secrets.token_bytes(8))


def site_key() -> str:
    """The public key a site puts in its embed snippet."""
    return "site_" + secrets.token_urlsafe(12)


def site_secret() -> str:
    """The secret a site signs customer identities with."""
    return secrets.token_hex(32)
