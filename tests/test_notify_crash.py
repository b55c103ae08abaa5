"""A worker killed in the middle of a bulk send: after recovery every resident has exactly one mail.

The notify engine's promise (`notify.delivery`, `notify.channels.email`) is "no copy twice, none
lost" even when a worker process dies. This test keeps that promise honest with real processes: a
segment message to 10,000 residents is sent by a real `manage.py db_worker` against the test's own
database, to a real SMTP server (aiosmtpd) in this process. The server holds its answer to one mail
at about a third of the way, the worker is killed with SIGKILL while it waits for that answer (the
mail is past the point of no return; the rest of its slice is claimed but not sent), then
`manage.py recover_jobs` and a new worker finish the send.

The database is a SQLite file in a temporary folder, or, when the suite runs on PostgreSQL
(DATABASE_URL=postgres://…), a database of its own on the same server, dropped at the end.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
RESIDENTS = 10_000
# The mail the server holds its "250" for while the worker is killed: in the middle of a slice
# (sending.BATCH_SIZE = 500), about a third of the way through.
HOLD_AT = 3_250
MESSAGE_ID = re.compile(rb"(?im)^Message-ID:\s*(\S+)")

SETUP = """
import os

from allauth.account.models import EmailAddress
from yakuba.platform import notify
from yakuba.platform.accounts.models import ResidentProfile, User
from yakuba.platform.places.models import District

residents = int(os.environ["CRASH_RESIDENTS"])
district = District.objects.create(code="C01", name="荒浜", order=1)
users = User.objects.bulk_create(
    User(email=f"crash{n}@example.jp", password="!") for n in range(residents)
)
ResidentProfile.objects.bulk_create(
    ResidentProfile(
        user=user, family_name="亘理", given_name=f"花子{user.pk}", district=district,
        notification_channels=["in_app", "email"],
    )
    for user in users
)
EmailAddress.objects.bulk_create(
    EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
)
message = notify.send(
    "notify.announcement",
    segment={"district": ["C01"]},
    contents={"ja": {"subject": "断水のお知らせ", "body": "((氏名))様\\n荒浜で断水します。"}},
)
print(message.pk)
"""

# Waits (inside the project, with its ORM) until the message is sent, then describes the outcome.
REPORT = """
import json
import os
import time

from django.db.models import Count
from yakuba.platform.notify.models import Delivery, DeliveryBatch, Message, Recipient

message_id = int(os.environ["CRASH_MESSAGE_ID"])
deadline = time.monotonic() + float(os.environ["CRASH_WAIT_SECONDS"])
while time.monotonic() < deadline:
    if Message.objects.get(pk=message_id).status == "sent":
        break
    time.sleep(0.2)
deliveries = Delivery.objects.filter(recipient__message_id=message_id)
recipients = Recipient.objects.filter(message_id=message_id)
print(json.dumps({
    "status": Message.objects.get(pk=message_id).status,
    "recipients": recipients.count(),
    "residents_with_inbox_entry": recipients.values("user").distinct().count(),
    "unfinished_batches": DeliveryBatch.objects.filter(
        message_id=message_id, finished_at__isnull=True
    ).count(),
    "states": dict(deliveries.values_list("status").annotate(n=Count("pk")).order_by()),
    "channels": dict(deliveries.values_list("channel").annotate(n=Count("pk")).order_by()),
    "sent_again": deliveries.filter(attempts__gt=1).count(),
    "emails": dict(deliveries.values_list("pk", "recipient__user__email")),
}))
"""


class CountingHandler:
    """aiosmtpd handler counting what was accepted per Message-ID and per recipient; it can hold
    its answer to the `hold_at`-th mail until `release` is set (the mail is already received)."""

    def __init__(self, *, hold_at: int) -> None:
        self.hold_at = hold_at
        self.message_ids: Counter[str] = Counter()
        self.recipients: Counter[str] = Counter()
        self.received = 0
        self.lock = threading.Lock()
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        found = MESSAGE_ID.search(envelope.content.partition(b"\r\n\r\n")[0])
        with self.lock:
            self.message_ids[found.group(1).decode() if found else ""] += 1
            self.recipients.update(address.lower() for address in envelope.rcpt_tos)
            self.received += 1
            hold = self.received == self.hold_at
        if hold:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.01)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def crash_environment(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for manage.py subprocesses on a database of the test's own."""
    leave_out = {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {k: v for k, v in os.environ.items() if k not in leave_out}
    environment.update(
        YAKUBA_VAR_DIR=str(tmp_path),
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="yakuba.config.settings",
        # A dead worker's deliveries are taken over after 3 s, its job at once, retried after 1 s.
        NOTIFY_SENDING_LEASE_SECONDS="3",
        JOB_ABANDONED_AFTER_SECONDS="0",
        JOB_RETRY_BASE_SECONDS="1",
        CRASH_RESIDENTS=str(RESIDENTS),
    )
    server_url = os.environ.get("DATABASE_URL", "")
    database = ""
    admin_url = ""
    if server_url.startswith(("postgres://", "postgresql://")):
        import psycopg

        database = f"yakuba_crash_{os.getpid()}"
        parts = urlsplit(server_url)
        admin_url = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{database}"')
        environment["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{database}"))
    try:
        manage(environment, "migrate", "--no-input", "-v", "0")
        yield environment
    finally:
        if database:
            import psycopg

            with psycopg.connect(admin_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def manage(environment: dict[str, str], *arguments: str) -> str:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def start_worker(environment: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(  # noqa: S603
            [
                *(sys.executable, "manage.py", "db_worker", "--queue-name", "*"),
                *("--interval", "0.1", "--no-reload", "--no-startup-delay"),
            ],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.timeout(600)
def test_a_worker_killed_mid_send_leaves_every_resident_exactly_one_mail(
    crash_environment: dict[str, str], tmp_path: Path
) -> None:
    handler = CountingHandler(hold_at=HOLD_AT)
    sink = Controller(handler, hostname="127.0.0.1", port=free_port())
    sink.start()
    environment = {**crash_environment, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(sink.port)}
    log = tmp_path / "worker.log"
    workers: list[subprocess.Popen[bytes]] = []
    try:
        message_id = manage(environment, "shell", "-c", SETUP).strip().splitlines()[-1]

        workers.append(start_worker(environment, log))
        assert handler.holding.wait(timeout=180), log.read_text()
        # The worker now waits for the server's answer to a mail it has committed as sent, with the
        # rest of its slice claimed (`sending`) but not sent. Kill it there.
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=10)
        handler.release.set()
        assert handler.received == HOLD_AT

        recovered = manage(environment, "recover_jobs")
        assert "Recovered 1 abandoned job(s)." in recovered
        workers.append(start_worker(environment, log))
        printed = manage(
            {**environment, "CRASH_MESSAGE_ID": message_id, "CRASH_WAIT_SECONDS": "300"},
            "shell",
            "-c",
            REPORT,
        )
        report = json.loads(printed.strip().splitlines()[-1])
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)
        sink.stop()

    emails: dict[str, str] = report.pop("emails")
    expected_ids = {f"<notify-{pk}@yakuba.invalid>" for pk in emails}
    duplicated = {key: n for key, n in handler.message_ids.items() if n > 1}
    missing = expected_ids - set(handler.message_ids)
    assert report["status"] == "sent", (report, log.read_text()[-3000:])
    assert report["unfinished_batches"] == 0, report
    assert report["recipients"] == report["residents_with_inbox_entry"] == RESIDENTS, report
    assert report["channels"] == {"email": RESIDENTS}, report
    assert report["states"] == {"delivered": RESIDENTS}, report
    assert not duplicated, f"{len(duplicated)} mails arrived twice: {sorted(duplicated)[:20]}"
    assert not missing, f"{len(missing)} mails never arrived: {sorted(missing)[:20]}"
    assert set(handler.message_ids) == expected_ids
    assert sum(handler.recipients.values()) == len(handler.recipients) == RESIDENTS
    assert set(handler.recipients) == {address.lower() for address in emails.values()}
    # The crash did interrupt deliveries: those claimed by the dead worker were sent again after
    # their lease ran out, and still arrived once.
    assert report["sent_again"] > 0, report
