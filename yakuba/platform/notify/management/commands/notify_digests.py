"""Send the daily digests that are due. The jobs enqueued at planning time do this already; run it
from cron as well (e.g. every 15 minutes) so that a lost job never holds a digest back."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from yakuba.platform.notify.delivery import send_digests


class Command(BaseCommand):
    help = "Send the daily notice digests that are due."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(str(send_digests()))
