"""Settings read from the environment once, in `create_app` or the CLI, never at import time.

Each field carries its meaning and, when the environment can set it, its variable: `from_env`
reads exactly those, and README.md's settings table is generated from the same fields (`make docs`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from portal.domain.network import parse_proxies
from portal.domain.sso import parse_domains

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-secret-change-me"


class SettingsError(ValueError):
    """Raised when the environment describes an unsafe or unusable configuration."""


@dataclass(frozen=True)
class EnvVar:
    """Where `Settings.from_env` reads a field, and how it turns the text into a value."""

    name: str
    parse: Callable[[str], object] = str
    blank_is_unset: bool = False
    """An empty value means the default (so `PORTAL_SMTP_URL=` in an env file turns SMTP off)."""

    def read(self, env: Mapping[str, str], default: object) -> object:
        """The value `env` gives this variable, or `default` when it gives none."""
        raw = env.get(self.name)
        if raw is None or (self.blank_is_unset and not raw):
            return default
        return self.parse(raw)


def setting(default: Any, doc: str, env: EnvVar | None = None) -> Any:
    """A settings field: its default, what it is for, and the variable that sets it, if any."""
    return field(default=default, metadata={"doc": doc, "env": env})


def _origin(url: str) -> str:
    return url.rstrip("/")


def _flag(text: str) -> bool:
    """`true`/`false` (also 1/0, yes/no, on/off) from the environment."""
    value = text.strip().lower()
    if value not in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
        raise SettingsError(f"expected true or false, got {text!r}")
    return value in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    database_url: str = setting(
        "sqlite+aiosqlite:///mend.sqlite3",
        "SQLAlchemy async URL, e.g. `postgresql+asyncpg://user@host/mend`; SQLite is the embedded default, "
        "PostgreSQL the scale-out path",
        EnvVar("PORTAL_DATABASE_URL", blank_is_unset=True),
    )
    database_read_url: str | None = setting(
        None,
        "SQLAlchemy async URL of a read replica (a PostgreSQL streaming replica) that trends, exports and monthly "
        "results read from, read-only; unset: they read `PORTAL_DATABASE_URL`",
        EnvVar("PORTAL_DATABASE_READ_URL", blank_is_unset=True),
    )
    db_pgbouncer: bool = setting(
        False,
        "PostgreSQL is reached through PgBouncer in transaction mode: turn asyncpg's prepared-statement caches "
        "off and name each statement uniquely (not needed from PgBouncer 1.21 with `max_prepared_statements` set)",
        EnvVar("PORTAL_DB_PGBOUNCER", parse=_flag),
    )
    db_connect_timeout: float = setting(
        2.0,
        "Seconds a request waits to connect to PostgreSQL, or for a free pooled connection, before answering 503 "
        "with `Retry-After`",
        EnvVar("PORTAL_DB_CONNECT_TIMEOUT", parse=float),
    )
    db_statement_timeout: float = setting(
        3.0,
        "Seconds the web process (requests and its worker) waits for one PostgreSQL statement before giving up "
        "(a request then answers 503); migrations and the CLI wait as long as it takes",
        EnvVar("PORTAL_DB_STATEMENT_TIMEOUT", parse=float),
    )
    smtp_url: str | None = setting(
        None,
        "`smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://host:465` (implicit TLS); "
        "unset keeps mail in the dev mailbox at `/staff/mail`",
        EnvVar("PORTAL_SMTP_URL", blank_is_unset=True),
    )
    secret_key: str = setting(
        DEV_SECRET,
        "Signs sessions and CSRF tokens and keys the hash of client addresses; at least 16 characters, "
        "and required outside development",
        EnvVar("PORTAL_SECRET_KEY", blank_is_unset=True),
    )
    base_url: str = setting(
        "http://127.0.0.1:8000",
        "Public origin of the portal, used in links sent by email and in the embed snippet; "
        "an `https://` origin also marks cookies Secure",
        EnvVar("PORTAL_BASE_URL", parse=_origin),
    )
    mail_from: str = setting("Mend <mend@localhost>", "From header of every mail", EnvVar("PORTAL_MAIL_FROM"))
    smtp_utf8: bool = setting(
        False,
        "The SMTP server offers SMTPUTF8, so it can deliver to addresses with non-ASCII letters before the @ "
        "(`zoë@example.com`); while false, intake refuses such addresses rather than accept mail that "
        "could never leave",
        EnvVar("PORTAL_SMTP_UTF8", parse=_flag),
    )
    environment: str = setting(
        "development",
        "`development` allows the built-in secret and reads edited templates again; anything else refuses that "
        "secret and reads each template once",
        EnvVar("PORTAL_ENV"),
    )
    reports_per_minute: int = setting(
        5,
        "Reports accepted per minute from one address to one site before answering 429",
        EnvVar("PORTAL_REPORTS_PER_MINUTE", parse=int),
    )
    trusted_proxies: tuple[str, ...] | None = setting(
        None,
        "Comma-separated addresses or networks (`10.0.0.1, 10.1.0.0/16`) of the reverse proxies in front of the "
        "portal; only from these is `X-Forwarded-For` believed for the client's address (rate limits and "
        "sign-in throttling count by it). Unset: no proxy, the connection's own address counts",
        EnvVar("PORTAL_TRUSTED_PROXIES", parse=parse_proxies, blank_is_unset=True),
    )
    oidc_issuer: str | None = setting(
        None,
        "Issuer URL of an OpenID Connect provider (`https://login.example.com/realms/staff`); set with the client "
        'id and secret, it adds "Sign in with …" to the staff login (endpoints and keys come from its discovery '
        "document)",
        EnvVar("PORTAL_OIDC_ISSUER", blank_is_unset=True),
    )
    oidc_client_id: str | None = setting(
        None, "Mend's client id at the OpenID Connect provider", EnvVar("PORTAL_OIDC_CLIENT_ID", blank_is_unset=True)
    )
    oidc_client_secret: str | None = setting(
        None,
        "Mend's client secret at the OpenID Connect provider; the redirect URI to register there is "
        "`<PORTAL_BASE_URL>/staff/sso/callback`",
        EnvVar("PORTAL_OIDC_CLIENT_SECRET", blank_is_unset=True),
    )
    oidc_auto_join_domains: tuple[str, ...] | None = setting(
        None,
        "Comma-separated email domains (`example.com, partner.example`) whose people may join through single "
        "sign-on without an invitation, as agents on no site until an admin places them; unset: only existing "
        "staff sign in",
        EnvVar("PORTAL_OIDC_AUTO_JOIN_DOMAINS", parse=parse_domains, blank_is_unset=True),
    )
    password_sign_in: bool = setting(
        True,
        "Staff may sign in with a password; `false` leaves only single sign-on (which must then be configured)",
        EnvVar("PORTAL_PASSWORD_SIGN_IN", parse=_flag),
    )
    max_body_bytes: int = setting(16 * 1024, "Largest report body accepted")
    mail_max_attempts: int = setting(
        8,
        "Delivery attempts before a mail becomes a dead letter",
        EnvVar("PORTAL_MAIL_MAX_ATTEMPTS", parse=int),
    )
    mail_backoff_seconds: float = setting(
        30.0,
        "First retry delay of a mail; doubles on each attempt (capped at one hour)",
        EnvVar("PORTAL_MAIL_BACKOFF_SECONDS", parse=float),
    )
    webhook_max_attempts: int = setting(
        10,
        "Delivery attempts of one event to a webhook or chat endpoint before it is given up (retries back off "
        "from 5 seconds to 10 hours, so ten attempts span about two days)",
        EnvVar("PORTAL_WEBHOOK_MAX_ATTEMPTS", parse=int),
    )
    worker_poll_seconds: float = setting(
        2.0,
        "How often the worker looks for due mail when nothing wakes it, and runs its housekeeping "
        "(clocks, rollups, monthly results, verification of corrective actions)",
        EnvVar("PORTAL_WORKER_POLL_SECONDS", parse=float),
    )
    worker_mail_poll_seconds: float = setting(
        0.25,
        "How often a worker that no notification can reach looks for mail queued by another process: always on "
        "SQLite, and on PostgreSQL only while its LISTEN connection is down (one indexed read when there is none)",
        EnvVar("PORTAL_WORKER_MAIL_POLL_SECONDS", parse=float),
    )
    run_worker: bool = setting(False, "Run the mail worker inside the web process (`portal run`)")
    cookie_secure: bool = setting(False, "Mark cookies Secure; `from_env` sets it when base_url is https")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from PORTAL_* variables; refuse the dev secret outside development."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {
            f.name: f.metadata["env"].read(env, f.default) for f in fields(cls) if f.metadata["env"] is not None
        }
        values["cookie_secure"] = str(values["base_url"]).startswith("https://")
        values.update(overrides)
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Reject configurations that would be unsafe in production."""
        if self.environment != "development" and self.secret_key == DEV_SECRET:
            raise SettingsError("PORTAL_SECRET_KEY must be set outside development")
        if len(self.secret_key) < 16:
            raise SettingsError("PORTAL_SECRET_KEY must be at least 16 characters")
        oidc = (self.oidc_issuer, self.oidc_client_id, self.oidc_client_secret)
        if any(oidc) and not all(oidc):
            raise SettingsError("PORTAL_OIDC_ISSUER, PORTAL_OIDC_CLIENT_ID and PORTAL_OIDC_CLIENT_SECRET go together")
        if not self.password_sign_in and not self.sso_enabled:
            raise SettingsError(
                "PORTAL_PASSWORD_SIGN_IN=false needs single sign-on (PORTAL_OIDC_ISSUER and its client)"
            )

    @property
    def sso_enabled(self) -> bool:
        """True when staff can sign in through the OpenID Connect provider."""
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_client_secret)

    @property
    def is_postgres(self) -> bool:
        """True when the database is PostgreSQL."""
        return self.database_url.startswith("postgresql")
