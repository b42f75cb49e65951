"""What a log line may say about a person or a secret: masked emails, hashed addresses, URLs without their path."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from portal.domain.identity import client_hash

EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
TOKEN_SEGMENT = re.compile(r"(?<=/)[\w-]{24,}(?=/|$)")  # a link's token: the status page, unsubscribe, invites
HASH_LENGTH = 12  # enough to tell addresses apart in a day's log, too short to say much else


def mask_email(address: str) -> str:
    """`ana.lima@example.com` -> `a***@example.com`: the domain stays for diagnosis, the person goes."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


def mask_emails(text: str) -> str:
    """Free text (an SMTP server's answer, an exception) with every email address in it masked."""
    return EMAIL.sub(lambda found: mask_email(found.group(0)), text)


def hash_address(secret_key: str, address: str) -> str:
    """A short keyed hash of a client address: the same address gives the same hash (the start of the one
    floods and guesses are counted by), and nobody without the key can tell which address it was."""
    return client_hash(secret_key, address)[:HASH_LENGTH]


def redact_url(url: str) -> str:
    """`https://hooks.slack.com/services/T/B/secret?x=1` -> `https://hooks.slack.com/…`: the host says where
    a request went; the path, query and any user:password in it may be the secret (a Slack URL is one)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}/…" if parts.scheme and host else "…"


def redact_path(path: str) -> str:
    """A request's path as a log may show it: without the query (a searched email, a sign-in code) and with
    each token-like segment (a customer's status link) shortened to `…`."""
    return TOKEN_SEGMENT.sub("…", path.partition("?")[0])
