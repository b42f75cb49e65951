"""A real SMTP server on loopback (aiosmtpd) that tests can stop, restart and wait on."""

from __future__ import annotations

import email
import socket
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import default as default_policy

from aiosmtpd.controller import Controller


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=default_policy)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 OK"

    def wait_for(self, match: Callable[[EmailMessage], bool], timeout: float = 15.0) -> EmailMessage:
        """Block until a matching message arrives (woken by each arrival, not by polling)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                found = next((m for m in self.messages if match(m)), None)
                if found is not None:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no matching mail within {timeout}s; got {[m['To'] for m in self.messages]}")
                self._arrived.wait(remaining)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """A loopback SMTP server that a test can take down and bring back on the same port."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"
