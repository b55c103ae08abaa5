"""Open datasets generated from live data (業務データからの自動作成).

Each module declares in the registry the 自治体標準オープンデータセット it can build
(`ModuleEntry.open_datasets`). `refresh_generated_datasets` makes sure each has a catalogue entry
and publishes its rows as files:

- CSV: UTF-8 with a byte-order mark, CRLF line ends (RFC 4180), the header row exactly the
  standard's column names in the standard's order. The standard prescribes UTF-8; the BOM is
  there because the town's staff and most residents open CSV files in Excel, which reads UTF-8
  without a BOM as Shift_JIS and garbles every Japanese cell, while every CSV reader a developer
  uses (Python's csv with utf-8-sig, pandas, CKAN's xloader, our own upload check) skips it. The
  platform's other CSV downloads do the same (yakuba.core.csv_export). Cells are written as they
  are: unlike a staff export, an open-data file is data, and prefixing "-" or "=" against formula
  injection would change values (a suppressed count is "X", an empty one "-" in some standards).
- JSON: an array of objects, keys in the standard's column order, every value the CSV's text.
- GeoJSON (RFC 7946) when the standard has 緯度 and 経度: a FeatureCollection of Points
  [経度, 緯度]; rows without valid coordinates are left out of it (they are in the CSV and JSON).

The same rows always give byte-identical files (no timestamps in the content, fixed key order,
fixed number formatting), so `services.publish_file` adds a version only when the data changed.
Builders must return their rows in a stable order for the same reason.

A dataset staff deleted (tombstone) is not brought back by a refresh. A new dataset is published
at once unless its OpenDataset says `publish_automatically=False` (地域・年齢別人口 from the
residents who signed up, which is not the town's official population): it then stays a draft,
with its files kept current, until staff have read it and publish it by hand.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from yakuba.core.models import Municipality
from yakuba.core.registry import OpenDataset, registry
from yakuba.core.standard_datasets import STANDARD_DATASETS, StandardDataset
from yakuba.modules.opendata import services
from yakuba.modules.opendata.models import Dataset, Frequency, Group, Licence, Resource
from yakuba.platform.accounts.models import Department

logger = logging.getLogger(__name__)

# The tag BODIK and the national catalogue use to find standard datasets (with the dataset's
# own name as a second tag).
STANDARD_TAG = "自治体標準ODS"

# Group (分類) names a generated dataset is filed under when the group exists (the demo makes them).
GROUPS_BY_STANDARD: dict[str, tuple[str, ...]] = {
    "public_facilities": ("facilities",),
    "aed_locations": ("disaster", "health-welfare"),
    "evacuation_sites": ("disaster",),
    "shelters": ("disaster",),
    "childcare_facilities": ("childcare", "facilities"),
    "medical_institutions": ("health-welfare",),
    "public_toilets": ("facilities",),
    "population_by_area_age": ("statistics",),
}


class GenerationError(Exception):
    """A builder's rows do not have the standard's columns (a programming error to fix)."""


@dataclass
class RefreshResult:
    """What one refresh did: datasets created, file versions published, failures by code."""

    created: list[str] = field(default_factory=list)
    published_versions: int = 0
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


# --- Files -------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A value as the text of one cell, the same every time for the same value."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return str(value)


def table_of(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> list[list[str]]:
    """The rows as text cells in `columns` order; GenerationError when a row's columns differ."""
    expected = list(columns)
    table = []
    for number, row in enumerate(rows, start=1):
        if list(row) != expected:
            missing = [c for c in expected if c not in row]
            unexpected = [c for c in row if c not in expected]
            raise GenerationError(
                f"row {number}: columns differ from the standard "
                f"(missing {missing}, unexpected {unexpected}, or out of order)"
            )
        table.append([cell_text(row[column]) for column in expected])
    return table


def render_csv(columns: Sequence[str], table: Sequence[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(table)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def render_json(columns: Sequence[str], table: Sequence[Sequence[str]]) -> bytes:
    records = [dict(zip(columns, cells, strict=True)) for cells in table]
    return (json.dumps(records, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _coordinate(text: str, limit: float) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and -limit <= value <= limit else None


def point_feature(
    columns: Sequence[str], cells: Sequence[str], latitude: int, longitude: int
) -> dict[str, Any] | None:
    """A row as a GeoJSON Point feature with its cells as properties, the cells at `latitude`
    and `longitude` giving the point; None when they are not valid coordinates."""
    lat = _coordinate(cells[latitude], 90)
    lon = _coordinate(cells[longitude], 180)
    if lat is None or lon is None:
        return None
    return {
        "type": "Feature",
        # RFC 7946: a position is [longitude, latitude].
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": dict(zip(columns, cells, strict=True)),
    }


def render_geojson(columns: Sequence[str], table: Sequence[Sequence[str]]) -> tuple[bytes, int]:
    """The GeoJSON file and how many features it has."""
    latitude, longitude = columns.index("緯度"), columns.index("経度")
    features = [
        feature
        for cells in table
        if (feature := point_feature(columns, cells, latitude, longitude)) is not None
    ]
    collection = {"type": "FeatureCollection", "features": features}
    content = json.dumps(collection, ensure_ascii=False, indent=2) + "\n"
    return content.encode("utf-8"), len(features)


def render_files(
    columns: Sequence[str], rows: Sequence[dict[str, Any]]
) -> list[tuple[str, bytes, int]]:
    """(format, content, row count) of each file the rows are published as."""
    table = table_of(rows, columns)
    files: list[tuple[str, bytes, int]] = [
        (Resource.Format.CSV, render_csv(columns, table), len(table)),
        (Resource.Format.JSON, render_json(columns, table), len(table)),
    ]
    if "緯度" in columns and "経度" in columns:
        content, count = render_geojson(columns, table)
        files.append((Resource.Format.GEOJSON, content, count))
    return files


# --- Catalogue entries -------------------------------------------------------------------------


def publishing_department() -> Department | None:
    """The department that publishes generated datasets: the planning division (企画, which
    usually runs the town's open data and DX), else general affairs (総務), else the first."""
    departments = Department.objects.order_by("order", "code")
    for word in ("企画", "総務"):
        department = departments.filter(name__contains=word).first()
        if department is not None:
            return department
    return departments.first()


def generated_name(code: str) -> str:
    """The dataset's URL name: "places.public_facilities" → "public-facilities"; a name staff
    already use gets a number ("public-facilities-2")."""
    base = code.rsplit(".", 1)[-1].replace("_", "-").lower()
    name, number = base, 1
    while Dataset.objects.filter(name=name).exists():
        number += 1
        name = f"{base}-{number}"
    return name


def _create_dataset(
    open_dataset: OpenDataset, standard: StandardDataset | None, department: Department
) -> Dataset:
    municipality = Municipality.current()
    place = f"{municipality.prefecture}{municipality.name}" if municipality else ""
    titles, descriptions = {}, {}
    for language in ("ja", "en"):
        with translation.override(language):
            titles[language] = str(open_dataset.title)
            descriptions[language] = _(
                "%(title)sです。町の業務システムのデータから自動で作成し、データが変わるたびに"
                "更新しています。"
            ) % {"title": titles[language]}
            if standard is not None:
                standard_title = standard.title_en if language == "en" else standard.title
                descriptions[language] += " " + _(
                    "項目はデジタル庁の自治体標準オープンデータセット「%(standard)s」に沿っています。"
                ) % {"standard": standard_title or standard.title}
    tags = [STANDARD_TAG, titles["ja"]]
    if standard is not None:
        tags.append(standard.title)
    groups = Group.objects.filter(
        name__in=GROUPS_BY_STANDARD.get(standard.code if standard else "", ())
    )
    dataset = services.save_dataset(
        by=None,
        name=generated_name(open_dataset.code),
        title=titles["ja"],
        title_en=titles["en"] if titles["en"] != titles["ja"] else "",
        description=descriptions["ja"],
        description_en=descriptions["en"],
        department=department,
        licence=Licence.CC_BY_4,
        frequency=Frequency.CONTINUOUS,
        spatial=place,
        contact_name=department.name,
        contact_phone=department.phone,
        contact_email=municipality.email if municipality else "",
        standard=standard.code if standard else "",
        groups=list(groups),
        tags=tags,
    )
    # The source is the link to the registry, not metadata staff edit, so it is set here.
    dataset.source = open_dataset.code
    dataset.save(update_fields=["source"])
    return dataset


def _resource(dataset: Dataset, file_format: str) -> Resource:
    resource = dataset.resources.filter(format=file_format).order_by("position").first()
    if resource is not None:
        return resource
    label = Resource.Format(file_format).label
    return services.add_resource(
        dataset,
        by=None,
        name=f"{dataset.title}（{label}）",
        name_en=f"{dataset.title_en} ({label})" if dataset.title_en else "",
        file_format=file_format,
    )


@transaction.atomic
def refresh_dataset(
    open_dataset: OpenDataset, result: RefreshResult | None = None
) -> Dataset | None:
    """Bring one generated dataset up to date; None when it was deleted (tombstone) or there is
    no department yet to publish it."""
    result = result if result is not None else RefreshResult()
    standard = STANDARD_DATASETS.get(open_dataset.standard)
    dataset = Dataset.objects.filter(source=open_dataset.code).order_by("created_at").first()
    if dataset is not None and dataset.state == Dataset.State.DELETED:
        result.skipped.append(open_dataset.code)
        return None
    rows = open_dataset.build_rows()
    columns = standard.column_names() if standard else tuple(rows[0]) if rows else ()
    files = render_files(columns, rows)
    is_new = dataset is None
    if dataset is None:
        department = publishing_department()
        if department is None:
            result.skipped.append(open_dataset.code)
            return None
        dataset = _create_dataset(open_dataset, standard, department)
    else:
        # Picks up a department or group renamed since the last refresh (services' docstring).
        services.refresh_search_text(dataset)
    published = 0
    for file_format, content, count in files:
        resource = _resource(dataset, file_format)
        if services.publish_file(resource, content, row_count=count) is not None:
            published += 1
    if is_new:
        if open_dataset.publish_automatically:
            dataset = services.publish_dataset(dataset, by=None)
        result.created.append(open_dataset.code)
    result.published_versions += published
    return dataset


def refresh_generated_datasets() -> RefreshResult:
    """Refresh every generated dataset the registry declares, each in its own transaction, so
    one failing builder does not hold back the others."""
    result = RefreshResult()
    for open_dataset in registry.open_datasets():
        try:
            refresh_dataset(open_dataset, result)
        except Exception as error:
            logger.exception("Open dataset %s could not be refreshed", open_dataset.code)
            result.failed[open_dataset.code] = f"{type(error).__name__}: {error}"
    return result
