"""Decoy status links for bots that fill the honeypot: they look and answer like real ones, yet nothing is stored.

A decoy token has the length and alphabet of a real status token (24 bytes, URL-safe base64). It holds a
nonce, the few facts its page shows (site, minute, category, language, time zone) encrypted with a
keystream derived from the secret, and a MAC, so every decoy looks random, only tokens this portal
issued open a decoy page, and any other token is the usual 404.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from portal.domain.tokens import REF_ALPHABET

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
NONCE, BODY, MAC = 6, 10, 8  # bytes, 24 in all, as in tokens.status_token()
_BODY = struct.Struct("!I3sBBb")  # site id, minutes since EPOCH, category index, language index, quarter hours east
_NONE = 255  # no category, or a category index out of range
_NO_ZONE = -128


@dataclass(frozen=True)
class Decoy:
    """What a decoy status page shows beyond the site's own texts."""

    site_id: int
    at: datetime  # to the minute
    category_index: int | None
    language_index: int
    tz_offset_min: int | None  # to the quarter hour


def _key(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(f"decoy:{purpose}:{secret}".encode()).digest()


def _stream(secret: str, nonce: bytes) -> bytes:
    return hmac.new(_key(secret, "stream"), nonce, hashlib.sha256).digest()[:BODY]


def _mac(secret: str, nonce: bytes, body: bytes) -> bytes:
    return hmac.new(_key(secret, "mac"), nonce + body, hashlib.sha256).digest()[:MAC]


def _xor(data: bytes, stream: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, stream, strict=True))


def decoy_token(secret: str, decoy: Decoy) -> str:
    """A status token for this decoy, indistinguishable from a real one without the secret."""
    minutes = min(max(0, int((decoy.at - EPOCH).total_seconds() // 60)), 2**24 - 1)
    category = decoy.category_index if decoy.category_index is not None and 0 <= decoy.category_index < _NONE else _NONE
    zone = _NO_ZONE if decoy.tz_offset_min is None else max(-127, min(127, round(decoy.tz_offset_min / 15)))
    plain = _BODY.pack(decoy.site_id, minutes.to_bytes(3, "big"), category, decoy.language_index, zone)
    nonce = secrets.token_bytes(NONCE)
    body = _xor(plain, _stream(secret, nonce))
    return base64.urlsafe_b64encode(nonce + body + _mac(secret, nonce, body)).decode()


def read_decoy_token(secret: str, token: str) -> Decoy | None:
    """The decoy behind a token this portal issued; None for any other token."""
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return None
    if len(raw) != NONCE + BODY + MAC:
        return None
    nonce, body, mac = raw[:NONCE], raw[NONCE : NONCE + BODY], raw[NONCE + BODY :]
    if not hmac.compare_digest(mac, _mac(secret, nonce, body)):
        return None
    site_id, minutes, category, language, zone = _BODY.unpack(_xor(body, _stream(secret, nonce)))
    return Decoy(
        site_id=site_id,
        at=EPOCH + timedelta(minutes=int.from_bytes(minutes, "big")),
        category_index=None if category == _NONE else category,
        language_index=language,
        tz_offset_min=None if zone == _NO_ZONE else zone * 15,
    )


def decoy_ref(secret: str, token: str) -> str:
    """The reference a decoy shows, the same on its receipt and its page."""
    digest = hmac.new(_key(secret, "ref"), token.encode(), hashlib.sha256).digest()
    return "".join(REF_ALPHABET[b % len(REF_ALPHABET)] for b in digest[:8])


def decoy_seed(secret: str, token: str) -> int:
    """The seed of a decoy's apology, so its page shows the same words on every visit."""
    return int.from_bytes(hmac.new(_key(secret, "seed"), token.encode(), hashlib.sha256).digest()[:4], "big")
