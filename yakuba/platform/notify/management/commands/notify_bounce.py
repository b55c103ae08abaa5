"""Read one returned mail (a bounce or a complaint report) on standard input and record it.

Postfix master.cf, for example:
    yakuba-bounce unix - n n - - pipe
      user=yakuba argv=/srv/yakuba/.venv/bin/python /srv/yakuba/manage.py notify_bounce --to ${recipient}
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from yakuba.platform.notify.bounces import process_bounce


class Command(BaseCommand):
    help = "Record a bounce (RFC 3464) or complaint (RFC 5965) read from standard input."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", default="", help="The envelope recipient (bounces+<id>@…).")

    def handle(self, *args: Any, **options: Any) -> None:
        outcome = process_bounce(sys.stdin.buffer.read(), envelope_to=options["to"])
        self.stdout.write(f"{outcome.kind} {outcome.delivery_id or ''}".strip())
