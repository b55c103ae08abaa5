from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yakuba.modules.procedures.signing import (
    SigningCertificateMissing,
    create_demo_certificate,
    signing_paths,
)


class Command(BaseCommand):
    help = (
        "Make a self-signed demo certificate and key that sign the PDF copies of filed "
        "applications, where PROCEDURES_SIGNING_CERT and PROCEDURES_SIGNING_KEY point. Does "
        "nothing when both exist. A real town uses a certificate from its certificate authority."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            created = create_demo_certificate()
        except SigningCertificateMissing as error:
            raise CommandError(str(error)) from error
        if options["verbosity"] > 0:
            cert_path, key_path = signing_paths()
            if created:
                self.stdout.write(
                    f"created demo signing certificate {cert_path} and key {key_path}"
                )
            else:
                self.stdout.write(f"signing certificate {cert_path} already exists")
