from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yakuba.modules.procedures.catalogue import CatalogueError, load_catalogue
from yakuba.modules.procedures.models import FormVersion, Procedure


class Command(BaseCommand):
    help = (
        "Load the shipped catalogue of procedures (yakuba/modules/procedures/catalogue/*.json): "
        "create missing procedures, publish a new form version where a file's form changed. "
        "Unchanged files change nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        procedures_before = Procedure.objects.count()
        versions_before = FormVersion.objects.count()
        try:
            procedures = load_catalogue()
        except CatalogueError as error:
            raise CommandError(str(error)) from error
        if options["verbosity"] > 0:
            self.stdout.write(
                f"{len(procedures)} procedure(s) in the catalogue: "
                f"{Procedure.objects.count() - procedures_before} created, "
                f"{FormVersion.objects.count() - versions_before} form version(s) published"
            )
