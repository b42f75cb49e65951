"""The background loop: deliver due mail, then wait for a wake-up or the next poll."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker

from portal.mailer import SmtpMailer
from portal.outbox import DeliveryRun, deliver_due_mail
from portal.settings import Settings

log = logging.getLogger(__name__)


class Worker:
    """Delivers the outbox; several may run at once (claims keep them apart)."""

    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.mailer = SmtpMailer.from_url(settings.smtp_url) if settings.smtp_url else None
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look at the outbox now rather than at the next poll (called after a commit that queued mail)."""
        self._wake.set()

    async def run_once(self, now: datetime | None = None, batch: int = 20) -> DeliveryRun:
        """One pass over the mail due at `now` (default: the current time)."""
        return await deliver_due_mail(
            self.sessionmaker,
            self.mailer.send if self.mailer else None,
            mail_from=self.settings.mail_from,
            max_attempts=self.settings.mail_max_attempts,
            backoff_seconds=self.settings.mail_backoff_seconds,
            now=now,
            batch=batch,
        )

    async def run_forever(self) -> None:
        """Loop until cancelled; a failing pass is logged and retried, never fatal."""
        log.info("mail worker started (%s)", "SMTP" if self.mailer else "dev mailbox")
        while True:
            self._wake.clear()
            try:
                run = await self.run_once()
                if run.sent or run.retried or run.dead:
                    log.info("mail: %s sent, %s to retry, %s dead", run.sent, run.retried, run.dead)
            except Exception:
                log.exception("mail worker pass failed")
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.worker_poll_seconds)
            except TimeoutError:
                pass
