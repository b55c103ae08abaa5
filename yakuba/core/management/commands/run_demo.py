"""Run the demo: web server, background worker and a local mail catcher, stopped together by Ctrl-C."""

import os
import subprocess
import sys
import time
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

DEMO_LOGINS = [
    ("町民 / resident", "resident@example.jp", "yakuba-demo"),
    ("職員 / staff（町民生活課）", "staff@example.jp", "yakuba-demo"),
    ("職員 / staff（生涯学習課: 施設予約）", "shisetsu@example.jp", "yakuba-demo"),
    ("監査 / auditor（総務課）", "auditor@example.jp", "yakuba-demo"),
    ("管理者 / administrator", "admin@example.jp", "yakuba-demo"),
]


def message_text(message: Message) -> str:
    """The plain-text body of a mail (the part with the verification link)."""
    body = message.get_body(("plain",)) if isinstance(message, EmailMessage) else None
    return str(body.get_content()) if body is not None else ""


class PrintingMailbox:
    """An SMTP handler that prints each mail, so demo sign-ups can follow their verification link."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        print(
            f"\n--- mail to {', '.join(envelope.rcpt_tos)}: {str(message.get('Subject', '')).strip()}\n"
            f"{message_text(message)}\n--- end of mail\n",
            flush=True,
        )
        return "250 Message accepted"


class Command(BaseCommand):
    help = "Start the demo: web server + background worker + mail catcher. Ctrl-C stops all."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args: Any, **options: Any) -> None:
        from aiosmtpd.controller import Controller

        mailbox = Controller(
            PrintingMailbox(), hostname=settings.EMAIL_HOST, port=settings.EMAIL_PORT
        )
        mailbox.start()
        address = f"{options['host']}:{options['port']}"
        manage = [sys.executable, os.path.join(settings.BASE_DIR, "manage.py")]
        # A worker stopped hard last time may have left jobs running; they are retried now.
        subprocess.run([*manage, "recover_jobs", "--older-than", "0", "-v", "0"], check=True)  # noqa: S603
        processes = [
            subprocess.Popen([*manage, "runserver", "--noreload", address]),  # noqa: S603
            subprocess.Popen(  # noqa: S603
                [*manage, "db_worker", "--queue-name", "*", "--interval", "1", "--no-reload"]
            ),
        ]
        self.stdout.write(self.style.SUCCESS(f"\nYakuba demo is running at http://{address}/"))
        self.stdout.write("Demo sign-ins (email / password):")
        for role, email, password in DEMO_LOGINS:
            self.stdout.write(f"  {role:28} {email:24} {password}")
        self.stdout.write(
            f"Mail is caught on {settings.EMAIL_HOST}:{settings.EMAIL_PORT} and printed here.\n"
            "Press Ctrl-C to stop the web server and the worker.\n"
        )
        try:
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            # SIGTERM, not SIGINT: a shell that starts the demo in the background makes its
            # children ignore SIGINT, and both the server and the worker stop cleanly on SIGTERM.
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
            mailbox.stop()
            self.stdout.write("Stopped.")
