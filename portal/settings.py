"""Settings read from the environment once, in `create_app` or the CLI, never at import time."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-secret-change-me"


class SettingsError(ValueError):
    """Raised when the environment describes an unsafe or unusable configuration."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///mend.sqlite3"
    """SQLAlchemy async URL; SQLite is the embedded default, PostgreSQL the scale-out path."""
    smtp_url: str | None = None
    """smtp://user:pass@host:port (smtps:// for implicit TLS); unset keeps mail in the dev mailbox."""
    secret_key: str = DEV_SECRET
    """Signs sessions and CSRF tokens and keys the hash of client addresses."""
    base_url: str = "http://127.0.0.1:8000"
    """Public origin of the portal, used in links sent by email and in the embed snippet."""
    mail_from: str = "Mend <mend@localhost>"
    """From header of every mail."""
    environment: str = "development"
    """`development` allows the built-in secret; anything else refuses it."""
    reports_per_minute: int = 5
    """Reports accepted per minute from one address to one site before answering 429."""
    max_body_bytes: int = 16 * 1024
    """Largest report body accepted."""
    mail_max_attempts: int = 8
    """Delivery attempts before a mail becomes a dead letter."""
    mail_backoff_seconds: float = 30.0
    """First retry delay; doubles on each attempt (capped at one hour)."""
    worker_poll_seconds: float = 2.0
    """How often the worker looks for due mail when nothing wakes it."""
    run_worker: bool = False
    """Run the mail worker inside the web process (`portal run`)."""
    cookie_secure: bool = field(default=False)
    """Mark cookies Secure; on by default when base_url is https."""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from PORTAL_* variables; refuse the dev secret outside development."""
        env = dict(os.environ if env is None else env)
        base_url = env.get("PORTAL_BASE_URL", cls.base_url).rstrip("/")
        values: dict[str, object] = {
            "database_url": env.get("PORTAL_DATABASE_URL") or cls.database_url,
            "smtp_url": env.get("PORTAL_SMTP_URL") or None,
            "secret_key": env.get("PORTAL_SECRET_KEY") or DEV_SECRET,
            "base_url": base_url,
            "mail_from": env.get("PORTAL_MAIL_FROM", cls.mail_from),
            "environment": env.get("PORTAL_ENV", cls.environment),
            "reports_per_minute": int(env.get("PORTAL_REPORTS_PER_MINUTE", cls.reports_per_minute)),
            "worker_poll_seconds": float(env.get("PORTAL_WORKER_POLL_SECONDS", cls.worker_poll_seconds)),
            "mail_backoff_seconds": float(env.get("PORTAL_MAIL_BACKOFF_SECONDS", cls.mail_backoff_seconds)),
            "mail_max_attempts": int(env.get("PORTAL_MAIL_MAX_ATTEMPTS", cls.mail_max_attempts)),
            "cookie_secure": base_url.startswith("https://"),
        }
        values.update(overrides)
        settings = cls(**values)  # type: ignore[arg-type]
        settings.check()
        return settings

    def check(self) -> None:
        """Reject configurations that would be unsafe in production."""
        if self.environment != "development" and self.secret_key == DEV_SECRET:
            raise SettingsError("PORTAL_SECRET_KEY must be set outside development")
        if len(self.secret_key) < 16:
            raise SettingsError("PORTAL_SECRET_KEY must be at least 16 characters")

    @property
    def is_postgres(self) -> bool:
        """True when the database is PostgreSQL."""
        return self.database_url.startswith("postgresql")
