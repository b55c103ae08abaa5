"""Fixtures for the whole test suite.

`mailbox`: a real SMTP server (aiosmtpd) on 127.0.0.1 that the site sends mail to through Django's
SMTP backend, so tests see exactly what a resident's mail client would receive.

    def test_signup_sends_a_confirmation(client, mailbox):
        client.post("/accounts/signup/", {...})
        message = mailbox.wait_for(to="new@example.jp")
        assert "/accounts/confirm-email/" in mailbox.text_body(message)
"""

from __future__ import annotations

import email
import email.policy
import re
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command

# The browser fixtures (Chromium via Playwright, axe-core) for tests anywhere in the tree.
pytest_plugins = ["tests.browser.fixtures"]


class _CollectingHandler:
    """aiosmtpd handler: keeps every message it is given, in arrival order."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.messages.append(message)
            self.recipients.append([r.lower() for r in envelope.rcpt_tos])
            self.arrived.notify_all()
        return "250 Message accepted for delivery"


class SMTPServer:
    """A running aiosmtpd server: `host`, `port`, and the messages it has received."""

    def __init__(self, controller: Controller, handler: _CollectingHandler) -> None:
        self.controller = controller
        self.handler = handler
        self.host: str = controller.hostname
        self.port: int = controller.port


class Mailbox:
    """What the test SMTP server received during one test."""

    def __init__(self, server: SMTPServer) -> None:
        self._handler = server.handler

    @property
    def messages(self) -> list[EmailMessage]:
        """Every message received in this test, oldest first (`email.message.EmailMessage`)."""
        with self._handler.arrived:
            return list(self._handler.messages)

    def clear(self) -> None:
        with self._handler.arrived:
            self._handler.messages.clear()
            self._handler.recipients.clear()

    def to(self, address: str) -> list[EmailMessage]:
        """Messages addressed to `address` (envelope recipient or To/Cc header), oldest first."""
        address = address.lower()
        with self._handler.arrived:
            pairs = list(zip(self._handler.messages, self._handler.recipients, strict=True))
        return [
            message
            for message, recipients in pairs
            if address in recipients
            or address in str(message.get("To", "")).lower()
            or address in str(message.get("Cc", "")).lower()
        ]

    def wait_for(self, *, to: str, timeout: float = 10.0, count: int = 1) -> EmailMessage:
        """The newest message to `to`, waiting up to `timeout` seconds until `count` have arrived."""
        deadline = time.monotonic() + timeout
        with self._handler.arrived:
            while True:
                found = self.to(to)
                if len(found) >= count:
                    return found[-1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"No mail to {to} within {timeout}s; received: "
                        f"{[str(m.get('To')) for m in self._handler.messages]}"
                    )
                self._handler.arrived.wait(remaining)

    @staticmethod
    def text_body(message: EmailMessage) -> str:
        """The plain-text body (or the HTML one with tags left in, when there is no text part)."""
        part = message.get_body(preferencelist=("plain", "html"))
        if part is None:
            return ""
        content: str = part.get_content()
        return content

    @classmethod
    def links(cls, message: EmailMessage) -> list[str]:
        """Every http(s) link in the text body, in order."""
        return re.findall(r"https?://[^\s<>\"']+", cls.text_body(message))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port, for the whole test session."""
    handler = _CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield SMTPServer(controller, handler)
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_server: SMTPServer, settings: Any) -> Iterator[Mailbox]:
    """Send this test's mail over SMTP to `smtp_server`; an empty mailbox at the start."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    box = Mailbox(smtp_server)
    box.clear()
    yield box
    box.clear()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Start every test with an empty cache, so that allauth's rate limits (kept in the cache)
    counted in one test never throttle another. The limits themselves stay on."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _jobs_run_at_once(request: pytest.FixtureRequest, settings: Any) -> None:
    """Jobs enqueued by a test run at once, in the test, unless it is marked `job_queue`.

    The demo and production use the database queue and its worker; tests of the queue itself (retries,
    the worker) are marked `job_queue` and keep it.
    """
    if request.node.get_closest_marker("job_queue") is None:
        settings.TASKS = {
            "default": {
                "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                "QUEUES": ["default", "notify-priority", "notify-bulk"],
            }
        }


@pytest.fixture
def run_worker() -> Iterator[Callable[[], None]]:
    """Run `manage.py db_worker --batch`: every due job, retries included, then stop."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}

    def run() -> None:
        call_command(
            "db_worker",
            queue_name="*",
            batch=True,
            interval=0,
            startup_delay=False,
            reload=False,
            verbosity=0,
        )

    yield run
    # The worker installs its own shutdown handlers; give the test runner its own back.
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.fixture(autouse=True)
def _japanese_by_default() -> Iterator[None]:
    """Every test starts in Japanese, the default language.

    A request served in English leaves English active in the thread that served it (LocaleMiddleware
    does not switch back), which would otherwise leak into the next test's messages.
    """
    from django.utils import translation

    translation.activate("ja")
    yield
    translation.deactivate()
