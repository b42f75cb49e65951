"""The background loop: clocks, monthly results, verifying corrective actions, due mail and webhooks; then wait for a
wake-up or the next poll.

A commit that queues mail or a webhook event wakes the worker in its own process at once (`Mail.queued`),
and on PostgreSQL in every other process too (NOTIFY, portal/wakeups.py). Where no notification can reach
it (SQLite, or while its LISTEN connection is down) it looks for due mail and deliveries every
`worker_mail_poll_seconds` with a read, and claims only when there is some.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.mail import Mail
from portal.mailer import SmtpMailer
from portal.models import utcnow
from portal.outbox import BATCH, DeliveryRun, deliver_due_mail, has_due_mail
from portal.services import corrective_actions, floods, limits, loyalty, monthly, privacy, rollups, webhooks
from portal.services.clocks import ClockRun, check_clocks
from portal.services.ratings import send_reminders
from portal.settings import Settings
from portal.wakeups import OUTBOX, WEBHOOKS, listen, waking

log = logging.getLogger(__name__)


class Worker:
    """Keeps the clocks and delivers the outbox; several may run at once (claims and flags keep them apart)."""

    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], mail: Mail) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.mail = mail
        self.mailer = SmtpMailer.from_url(settings.smtp_url) if settings.smtp_url else None
        self.listening = False  # notifications from other processes reach this worker

    async def run_once(self, now: datetime | None = None, batch: int = BATCH) -> DeliveryRun:
        """One pass over the mail due at `now` (default: the current time)."""
        return await deliver_due_mail(
            self.sessionmaker,
            self.mailer,
            mail_from=self.settings.mail_from,
            max_attempts=self.settings.mail_max_attempts,
            backoff_seconds=self.settings.mail_backoff_seconds,
            now=now,
            batch=batch,
            write=functools.partial(self.mail.write_claimed, self.sessionmaker),
        )

    async def check_clocks(self, now: datetime | None = None) -> ClockRun:
        """Alert staff before clocks run out and record breaches."""
        return await check_clocks(self.sessionmaker, mail=self.mail, now=now or utcnow())

    async def verify(self, now: datetime | None = None) -> int:
        """Reopen corrective actions whose failure came back during verification."""
        return await corrective_actions.verify(self.sessionmaker, mail=self.mail, now=now)

    async def build_monthly(self, now: datetime | None = None) -> int:
        """Build last month's results where they are missing (the first pass of each month does it)."""
        return await monthly.build_due(self.sessionmaker, mail=self.mail, now=now)

    async def housekeeping(self) -> None:
        """Everything but the mail: clocks, rollups, monthly results, verification of corrective actions,
        flood notices, rating reminders, loyalty figures (each site's every 10 minutes), retention and spent rate-limit
        counters."""
        clocks = await self.check_clocks()
        if clocks.warned or clocks.breached:
            log.info("clocks: %s alerts, %s breaches", clocks.warned, clocks.breached)
        await rollups.roll_up(self.sessionmaker)
        if await self.build_monthly():
            log.info("monthly results built")
        reopened = await self.verify()
        if reopened:
            log.info("corrective actions: %s reopened by recurring reports", reopened)
        if flooded := await floods.notify_floods(self.sessionmaker, mail=self.mail):
            log.warning("floods: %s sites' admins told how many reports their ceiling refused", flooded)
        if reminded := await send_reminders(self.sessionmaker, mail=self.mail, now=utcnow()):
            log.info("ratings: %s customers reminded to tell us whether we made it right", reminded)
        if recomputed := await loyalty.refresh_due(self.sessionmaker):
            log.info("loyalty: %s sites' figures recomputed", recomputed)
        if anonymised := await privacy.anonymise_expired(self.sessionmaker, now=utcnow()):
            log.info("retention: %s reports anonymised", anonymised)
        await limits.prune(self.sessionmaker)

    def _listening(self, listening: bool) -> None:
        self.listening = listening
        if listening:
            log.info("worker listening for mail queued by other processes")

    async def run_forever(self) -> None:
        """Loop until cancelled; a failing pass is logged and retried, never fatal, and failing housekeeping
        never holds up the mail.

        A commit that queued mail wakes the loop to deliver it at once; the rest runs once per poll
        interval, so a busy intake does not pay for housekeeping on every report.
        """
        log.info("worker started (mail via %s)", "SMTP" if self.mailer else "the dev mailbox")
        listener = None
        if self.settings.is_postgres:
            listener = asyncio.create_task(
                listen(
                    self.settings.database_url,
                    (OUTBOX, WEBHOOKS),
                    self.mail.queued.set,
                    connect_timeout=self.settings.db_connect_timeout,
                    on_listening=self._listening,
                )
            )
        try:
            with waking(WEBHOOKS, self.mail.queued.set):
                await self._loop()
        finally:
            if listener:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener

    async def _loop(self) -> None:
        next_housekeeping = 0.0
        loop = asyncio.get_running_loop()
        woken = True
        while True:
            self.mail.queued.clear()
            if loop.time() >= next_housekeeping:
                next_housekeeping = loop.time() + self.settings.worker_poll_seconds
                try:
                    await self.housekeeping()
                except Exception:  # mail still goes out while housekeeping fails
                    log.exception("worker housekeeping failed")
                woken = True  # a poll: retries may have come due
            try:
                if woken or await has_due_mail(self.sessionmaker, now=utcnow()):
                    run = await self.run_once()
                    if run.sent or run.retried or run.dead:
                        log.info("mail: %s sent, %s to retry, %s dead", run.sent, run.retried, run.dead)
            except Exception:
                log.exception("worker mail pass failed")
            try:
                if woken or await webhooks.has_due(self.sessionmaker, now=utcnow()):
                    hooks = await webhooks.deliver_due(self.sessionmaker, mail=self.mail, settings=self.settings)
                    if hooks.delivered or hooks.retried or hooks.dead:
                        log.info(
                            "webhooks: %s delivered, %s to retry, %s dead", hooks.delivered, hooks.retried, hooks.dead
                        )
            except Exception:
                log.exception("worker webhook pass failed")
            poll = self.settings.worker_poll_seconds if self.listening else self.settings.worker_mail_poll_seconds
            # asyncio.timeout, not wait_for: on Python 3.11 a wake-up at the moment of cancellation makes
            # wait_for swallow the cancellation, and a stopped worker would run on.
            try:
                async with asyncio.timeout(min(poll, self.settings.worker_poll_seconds)):
                    await self.mail.queued.wait()
                woken = True
            except TimeoutError:
                woken = False
