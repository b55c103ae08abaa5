from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from yakuba.modules.procedures.mynaportal import PackageError, import_package
from yakuba.platform.accounts.models import User


class Command(BaseCommand):
    help = (
        "Import applications filed on マイナポータル (ぴったりサービス) from a downloaded package "
        "(a ZIP of 申請データ, or one application's XML) into the back office. Whole or nothing; "
        "applications imported before are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the package: a .zip or an application's .xml")
        parser.add_argument(
            "--by", default="", help="the e-mail of the staff member the import is recorded as"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        by = None
        if options["by"]:
            by = User.objects.filter(email__iexact=options["by"], is_staff=True).first()
            if by is None:
                raise CommandError(f"No staff account with the e-mail {options['by']}")
        try:
            with path.open("rb") as package:
                result = import_package(package, by=by)
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        except PackageError as error:
            raise CommandError(str(error)) from error
        if options["verbosity"] > 0:
            for submission in result.created:
                self.stdout.write(
                    f"{submission.external_reference} → {submission.receipt_number} "
                    f"({submission.procedure.code})"
                )
            self.stdout.write(
                f"{len(result.created)} application(s) imported, "
                f"{len(result.already_imported)} imported before and skipped"
            )
