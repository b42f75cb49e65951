"""The only code that speaks SMTP."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import aiosmtplib


@dataclass(frozen=True)
class SmtpMailer:
    """The server named by an smtp:// or smtps:// URL; `connect()` opens a connection that sends many mails."""

    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str) -> SmtpMailer:
        """`smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://host:465` (implicit TLS)."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"PORTAL_SMTP_URL must be smtp:// or smtps://, got {parts.scheme or url!r}")
        use_tls = parts.scheme == "smtps"
        return cls(
            hostname=parts.hostname,
            port=parts.port or (465 if use_tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=use_tls,
        )

    def connect(self) -> SmtpConnection:
        """A connection to the server, opened at its first mail and reused for the ones after it."""
        return SmtpConnection(self)


class SmtpConnection:
    """One SMTP session for many mails: a mail costs its MAIL, RCPT and DATA round trips, not a new
    connection, greeting and login. After a failure the next mail opens a fresh session."""

    def __init__(self, mailer: SmtpMailer) -> None:
        self.mailer = mailer
        self.smtp: aiosmtplib.SMTP | None = None

    async def send(self, sender: str, recipient: str, message: bytes) -> None:
        """Hand one message to the server; raises on any refusal or connection failure."""
        if self.smtp is None or not self.smtp.is_connected:
            m = self.mailer
            self.smtp = aiosmtplib.SMTP(
                hostname=m.hostname,
                port=m.port,
                username=m.username,
                password=m.password,
                use_tls=m.use_tls,
                start_tls=None if not m.use_tls else False,
                timeout=m.timeout,
            )
            await self.smtp.connect()
        # A mailbox with non-ASCII letters before the @ travels only with SMTPUTF8 (PORTAL_SMTP_UTF8).
        options = [] if recipient.isascii() and sender.isascii() else ["SMTPUTF8"]
        try:
            await self.smtp.sendmail(sender, [recipient], message, mail_options=options)
        except aiosmtplib.SMTPServerDisconnected:
            self.smtp = None
            raise

    async def close(self) -> None:
        """Say goodbye to the server, if it is still there."""
        if self.smtp is not None and self.smtp.is_connected:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await self.smtp.quit()
        self.smtp = None
