from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from yakuba.core.models import Municipality
from yakuba.core.registry import registry

WATARI = {
    "name": "亘理町",
    "name_kana": "わたりちょう",
    "name_en": "Watari Town",
    "code": "043231",
    "prefecture": "宮城県",
    "prefecture_en": "Miyagi",
    "postal_code": "989-2393",
    "address": "宮城県亘理郡亘理町字悠里1番地（デモ）",
    "phone": "0223-34-1111",
    "email": "info@example.jp",
    "opening_hours": "平日 8:30〜17:15",
    "map_center_latitude": 38.037,
    "map_center_longitude": 140.853,
    "map_zoom": 13,
}


class Command(BaseCommand):
    help = (
        "Load the demo town (架空のデモデータ) of 亘理町. Safe to run again: it never duplicates."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            municipality = Municipality.current()
            if municipality is None:
                Municipality.objects.create(is_demo=True, **WATARI)
            elif not municipality.is_demo:
                self.stderr.write(
                    "A real municipality is configured; the demo data was not loaded."
                )
                return
            for entry in registry:
                if entry.load_demo is not None:
                    entry.load_demo()
                    if options["verbosity"] > 0:
                        self.stdout.write(f"  demo data: {entry.app_label}")
        if options["verbosity"] > 0:
            self.stdout.write(self.style.SUCCESS("Demo town loaded."))
