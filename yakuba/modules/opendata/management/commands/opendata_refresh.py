from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yakuba.modules.opendata import generate


class Command(BaseCommand):
    help = (
        "Refresh the open datasets generated from live data (for cron). Unchanged data adds no "
        "new file version."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = generate.refresh_generated_datasets()
        if options["verbosity"] > 0:
            self.stdout.write(
                f"created {len(result.created)} dataset(s), "
                f"published {result.published_versions} new file version(s)"
            )
            for code in result.skipped:
                self.stdout.write(f"  skipped {code} (deleted, or no department to publish it)")
        if result.failed:
            for code, error in result.failed.items():
                self.stderr.write(f"  failed {code}: {error}")
            raise CommandError(f"{len(result.failed)} dataset(s) could not be refreshed.")
