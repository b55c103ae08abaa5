from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from yakuba.core.jobs import recover_abandoned_jobs


class Command(BaseCommand):
    help = "Fail and retry background jobs left running by a worker that died."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            default=settings.JOB_ABANDONED_AFTER_SECONDS,
            help="seconds a job may run before it is taken as abandoned",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = recover_abandoned_jobs(running_longer_than=timedelta(seconds=options["older_than"]))
        if options["verbosity"] > 0:
            self.stdout.write(f"Recovered {count} abandoned job(s).")
