"""Demo data for open data (架空のデモデータ): the groups (分類), one dataset published the way staff
upload a file (公衆無線LANアクセスポイント一覧, from data/demo_public_wifi.csv, marked as demo in
every row), and the datasets generated from the demo town's places and residents. Generated
datasets that staff would publish by hand (地域・年齢別人口) are published here, so that the demo
catalogue shows them.

Idempotent: groups and the uploaded dataset are looked up by name first, and the generated
datasets are refreshed, which adds nothing when the data has not changed.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from django.db import transaction

from yakuba.core.registry import registry
from yakuba.modules.opendata import generate, services
from yakuba.modules.opendata.models import Dataset, Frequency, Group, Licence, Resource
from yakuba.platform.accounts.models import Department

DATA = Path(__file__).parent / "data"

# (name, title, English title, description)
GROUPS = (
    ("disaster", "防災", "Disaster prevention", "避難所・避難場所、AEDなど災害への備え"),
    ("childcare", "子育て", "Childcare", "保育所・子育て支援施設など"),
    ("health-welfare", "健康・福祉", "Health and welfare", "医療機関、福祉の施設など"),
    ("facilities", "施設", "Facilities", "公共施設の場所と利用案内"),
    ("statistics", "人口・統計", "Population and statistics", "人口、世帯などの統計"),
    ("tourism", "観光", "Tourism", "観光施設、イベント、公衆無線LANなど"),
)


def _load_groups() -> None:
    for order, (name, title, title_en, description) in enumerate(GROUPS, start=1):
        Group.objects.get_or_create(
            name=name,
            defaults={
                "title": title,
                "title_en": title_en,
                "description": description,
                "order": order,
            },
        )


def _load_public_wifi() -> None:
    if Dataset.objects.filter(name="public-wifi").exists():
        return
    department = (
        Department.objects.filter(name__contains="企画").first() or Department.objects.first()
    )
    if department is None:
        return
    reader = csv.reader(io.StringIO((DATA / "demo_public_wifi.csv").read_text("utf-8-sig")))
    header = next(reader)
    rows = [dict(zip(header, cells, strict=True)) for cells in reader]
    dataset = services.save_dataset(
        by=None,
        name="public-wifi",
        title="公衆無線LANアクセスポイント一覧",
        title_en="Public Wi-Fi access points",
        description=(
            "町の施設で使える無料の公衆無線LAN（Watari_Free_Wi-Fi）の場所です。"
            "デモデータ（架空の情報を含みます）。"
        ),
        description_en=(
            "Where the town's free public Wi-Fi (Watari_Free_Wi-Fi) can be used. "
            "Demo data (partly fictional)."
        ),
        department=department,
        licence=Licence.CC_BY_4,
        frequency=Frequency.IRREGULAR,
        spatial="宮城県亘理町",
        contact_name=department.name,
        contact_phone=department.phone,
        standard="public_wifi",
        groups=list(Group.objects.filter(name__in=["tourism", "facilities"])),
        tags=[generate.STANDARD_TAG, "公衆無線LANアクセスポイント一覧", "Wi-Fi", "デモデータ"],
    )
    for file_format, content, count in generate.render_files(header, rows):
        label = Resource.Format(file_format).label
        resource = services.add_resource(
            dataset,
            by=None,
            name=f"公衆無線LANアクセスポイント一覧（{label}）",
            name_en=f"Public Wi-Fi access points ({label})",
            file_format=file_format,
        )
        services.publish_file(resource, content, row_count=count)
    services.publish_dataset(dataset, by=None)


@transaction.atomic
def load_demo() -> None:
    """Load the open-data part of the demo town (groups, an uploaded dataset, generated ones)."""
    _load_groups()
    _load_public_wifi()
    generate.refresh_generated_datasets()
    _publish_reviewed_drafts()


def _publish_reviewed_drafts() -> None:
    """What staff would do after reading the generated drafts: publish them."""
    by_hand = [entry.code for entry in registry.open_datasets() if not entry.publish_automatically]
    for dataset in Dataset.objects.filter(source__in=by_hand, state=Dataset.State.DRAFT):
        services.publish_dataset(dataset, by=None)
