"""Files staff upload to a dataset (ファイルの取り込み): check first, publish when nothing is wrong.

`check_upload` reads the file (CSV or TSV in UTF-8 or Shift_JIS, XLSX, JSON, GeoJSON), checks a
table against the dataset's 自治体標準オープンデータセット (or infers its columns when it follows
none) and keeps the file and the result as an `Upload`, so the check page can be shown again.
A file that cannot be read at all is refused (ValidationError on "file") and nothing is kept.
Staff fix their file and upload it again: each try is a new `Upload`.

`publish_upload` publishes a checked upload without errors (warnings are allowed) as the next
version of the resource it replaces, or of a new resource. What is published:

- CSV: rewritten as CSV UTF-8 (with a BOM, CRLF line ends), whatever encoding and delimiter
  the upload had. The standard prescribes UTF-8; the BOM is there for Excel, as in the files the
  platform generates (see generate.py).
- XLSX: the workbook as uploaded, for the staff and residents who work in Excel, and beside it a
  CSV UTF-8 file made from its first sheet, because the standard's file is CSV and machines read
  CSV.
- A table with latitude and longitude columns (緯度・経度): also a GeoJSON file of its points,
  so that the data appears on the town map (rows without valid coordinates are left out of it).
- JSON, GeoJSON: as uploaded.

The files made from an upload go to the dataset's resources with the same name in the other
format ("sibling" resources), created the first time. Publishing one upload twice (a double click,
a reload) publishes once: `Upload.published_version` records it.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from itertools import islice
from pathlib import PurePath
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from yakuba.core.standard_datasets import STANDARD_DATASETS, ColumnType
from yakuba.modules.opendata import generate, services
from yakuba.modules.opendata.models import Dataset, Resource, ResourceVersion, Upload
from yakuba.modules.opendata.tabular import MAX_FILE_BYTES, Row, TableError, read_table
from yakuba.modules.opendata.validation import CheckResult, validate

# As much as the reader takes (about 580,000 rows of a 30-column standard file). Publishing
# streams through temporary files, so memory does not grow with the file.
UPLOAD_MAX_BYTES = MAX_FILE_BYTES
JSON_MAX_BYTES = 30 * 1024 * 1024
PREVIEW_ROWS = 20

# The stored upload's name ends in what its content turned out to be, which decides its format.
FORMAT_BY_SUFFIX: dict[str, str] = {
    ".csv": Resource.Format.CSV,
    ".tsv": Resource.Format.CSV,
    ".xlsx": Resource.Format.XLSX,
    ".json": Resource.Format.JSON,
    ".geojson": Resource.Format.GEOJSON,
}
TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".xlsx"})
# read_table refuses the old .xls with the way to save it as .xlsx or CSV; let it say so.
CHECKED_TABLE_SUFFIXES = TABLE_SUFFIXES | {".xls"}


def upload_format(upload: Upload) -> str:
    """The resource format (CSV, XLSX, JSON, GeoJSON) of a stored upload."""
    return FORMAT_BY_SUFFIX[PurePath(upload.file.name).suffix.lower()]


def error_count(upload: Upload) -> int:
    """How many of the upload's problems are errors (誤り); the others are warnings (注意)."""
    return sum(1 for problem in upload.problems if not problem["is_warning"])


def has_errors(upload: Upload) -> bool:
    """Whether anything keeps the upload from being published (warnings do not)."""
    return error_count(upload) > 0


def can_take_files(dataset: Dataset) -> bool:
    """Whether staff may upload files to the dataset: not to a tombstone, nor to a dataset whose
    files the platform generates."""
    return not dataset.source and dataset.state != Dataset.State.DELETED


def can_publish(upload: Upload) -> bool:
    """Whether a checked upload can be published now: no errors, not published already, and its
    dataset still takes files."""
    return (
        not has_errors(upload)
        and upload.published_version_id is None
        and can_take_files(upload.dataset)
    )


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def _check_can_take_files(dataset: Dataset) -> None:
    if dataset.state == Dataset.State.DELETED:
        raise ValidationError(_("削除済みのデータセットにはファイルを登録できません。"))
    if dataset.source:
        raise ValidationError(
            _(
                "このデータセットのファイルは町の業務データから自動で作成しています。"
                "ファイルを取り込むことはできません。"
            )
        )


def check_upload(
    dataset: Dataset, file: UploadedFile, *, by: Any, resource: Resource | None = None
) -> Upload:
    """Check a file staff upload (取り込み) and keep it with the result; nothing is published.

    `resource` is the file it replaces (None: a new file). Raises ValidationError ("file") for a
    file that is too large, of another kind, unreadable, or of another format than the resource
    it replaces."""
    _check_can_take_files(dataset)
    if resource is not None and resource.dataset_id != dataset.pk:
        raise ValidationError({"resource": [_("このデータセットのファイルを選んでください。")]})
    name = PurePath(file.name or "").name
    suffix = PurePath(name).suffix.lower()
    if file.size is None or file.size > UPLOAD_MAX_BYTES:
        raise _refuse(
            _("ファイルが大きすぎます（上限は%(megabytes)d MBです）。")
            % {"megabytes": UPLOAD_MAX_BYTES // (1024 * 1024)}
        )
    if suffix in CHECKED_TABLE_SUFFIXES:
        stored_suffix, encoding, result = _check_table(dataset, file, name)
        columns = [_column_record(column) for column in result.columns]
        problems = _problem_records(result)
        problem_count, row_count = result.problem_count, result.row_count
    elif suffix in (".json", ".geojson"):
        if file.size > JSON_MAX_BYTES:
            # A JSON file is parsed whole, and parsing takes several times its size in memory.
            raise _refuse(
                _("JSONファイルが大きすぎます（上限は%(megabytes)d MBです）。CSVにしてください。")
                % {"megabytes": JSON_MAX_BYTES // (1024 * 1024)}
            )
        stored_suffix, encoding = suffix, "utf-8"
        row_count = _check_json(file, is_geojson=suffix == ".geojson")
        columns, problems, problem_count = [], [], 0
    else:
        raise _refuse(
            _(
                "CSV（.csv）、Excel（.xlsx）、JSON（.json）、GeoJSON（.geojson）の"
                "いずれかのファイルを選んでください。「%(name)s」は取り込めません。"
            )
            % {"name": name}
        )
    file_format = FORMAT_BY_SUFFIX[stored_suffix]
    if resource is not None and resource.format != file_format:
        raise _refuse(
            _(
                "置き換えるファイルは%(expected)s形式ですが、選んだファイルは%(actual)s形式です。"
                "同じ形式のファイルを選ぶか、新しいファイルとして取り込んでください。"
            )
            % {"expected": resource.format, "actual": file_format}
        )
    upload = Upload(
        dataset=dataset,
        resource=resource,
        original_name=name[:255],
        encoding=encoding,
        standard=dataset.standard if suffix in TABLE_SUFFIXES else "",
        columns=columns,
        problems=problems,
        problem_count=problem_count,
        row_count=row_count,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    file.seek(0)
    upload.file.save(f"{uuid.uuid4().hex}{stored_suffix}", file, save=False)
    try:
        upload.save()
    except BaseException:
        upload.file.delete(save=False)
        raise
    return upload


def _check_table(dataset: Dataset, file: IO[bytes], name: str) -> tuple[str, str, CheckResult]:
    standard = STANDARD_DATASETS.get(dataset.standard) if dataset.standard else None
    try:
        table = read_table(file, name)
        result = validate(table, standard)
    except TableError as error:
        raise _refuse(str(error)) from None
    if table.format == "xlsx":
        return ".xlsx", table.encoding, result
    return f".{table.format}", table.encoding, result


def _column_record(column: Any) -> dict[str, Any]:
    record = asdict(column)
    record["type"] = str(column.type)
    return record


def _problem_records(result: CheckResult) -> list[dict[str, Any]]:
    records = [asdict(problem) for problem in result.problems]
    if result.is_truncated:
        listed_errors = sum(1 for problem in result.problems if not problem.is_warning)
        # Kept as a problem of its own, so that an error beyond the listed ones still counts.
        records.append(
            {
                "row": 0,
                "column": "",
                "message": _(
                    "ほかにも%(count)d件の問題があります（うち誤り%(errors)d件）。"
                    "上の問題を直してから、もう一度取り込んでください。"
                )
                % {
                    "count": result.problem_count - len(result.problems),
                    "errors": result.error_count - listed_errors,
                },
                "is_warning": result.error_count == listed_errors,
            }
        )
    return records


def _check_json(file: IO[bytes], *, is_geojson: bool) -> int:
    """The JSON's item count (features for GeoJSON); ValidationError when it is not JSON."""
    try:
        data = json.loads(file.read().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise _refuse(_("JSONファイルはUTF-8で保存してください。")) from None
    except json.JSONDecodeError as error:
        raise _refuse(
            _("JSONとして読めません（%(line)d行目%(column)d文字目）。ファイルを確かめてください。")
            % {"line": error.lineno, "column": error.colno}
        ) from None
    if is_geojson:
        features = data.get("features") if isinstance(data, dict) else None
        # Every feature an object too: the town map reads each one's properties.
        if (
            not isinstance(features, list)
            or data.get("type") != "FeatureCollection"
            or not all(isinstance(feature, dict) for feature in features)
        ):
            raise _refuse(
                _(
                    "GeoJSONの「FeatureCollection」ではありません。"
                    "地物（features）の一覧を持つGeoJSONファイルを選んでください。"
                )
            )
        return len(features)
    return len(data) if isinstance(data, list) else 1


def preview_rows(upload: Upload, limit: int = PREVIEW_ROWS) -> tuple[list[str], list[Row]]:
    """The header and first rows of a table upload, as read (row numbers as in the file)."""
    if upload.file.name is None or PurePath(upload.file.name).suffix.lower() not in TABLE_SUFFIXES:
        return [], []
    try:
        with upload.file.open("rb") as handle:
            table = read_table(handle, upload.file.name)
            return table.header, list(islice(table.rows, limit))
    except (FileNotFoundError, TableError):
        return [], []


# --- Publishing ----------------------------------------------------------------------------------


@transaction.atomic
def publish_upload(
    upload: Upload, *, by: Any, name: str = "", name_en: str = "", note: str = ""
) -> ResourceVersion | None:
    """Publish a checked upload (公開): the next version of the resource it replaces, or the first
    of a new resource named `name`, with the files made from it (see the module's docstring).

    Returns the upload's version; None when the file is the same as the current version (nothing
    new is published). An upload already published returns its version again. Raises
    ValidationError when the upload has errors or the dataset cannot take files."""
    # The lock makes a second, simultaneous publish of the same upload wait and then see the first.
    upload = (
        Upload.objects.select_for_update(of=("self",))
        .select_related("dataset", "resource", "published_version")
        .get(pk=upload.pk)
    )
    if upload.published_version is not None:
        return upload.published_version
    dataset = upload.dataset
    _check_can_take_files(dataset)
    if has_errors(upload):
        raise ValidationError(
            _("誤りがあるため公開できません。直したファイルをもう一度取り込んでください。")
        )
    file_format = upload_format(upload)
    if file_format in (Resource.Format.CSV, Resource.Format.XLSX) and (
        upload.standard != dataset.standard
    ):
        raise ValidationError(
            _(
                "取り込んだ後に、準拠する標準データセットが変わりました。"
                "新しい標準で確かめるため、ファイルをもう一度取り込んでください。"
            )
        )
    resource = upload.resource or services.add_resource(
        dataset, by=by, name=name, name_en=name_en, file_format=file_format
    )
    with _files_of(upload, file_format) as (content, made):
        version = services.publish_file(
            resource, content, by=by, note=note, row_count=upload.row_count
        )
        for sibling_format, sibling_content, row_count in made:
            services.publish_file(
                _sibling(resource, sibling_format, by=by),
                sibling_content,
                by=by,
                note=note,
                row_count=row_count,
            )
    upload.resource = resource
    upload.published_version = version
    upload.save(update_fields=["resource", "published_version"])
    return version


def _sibling(resource: Resource, file_format: str, *, by: Any) -> Resource:
    """The dataset's resource with the same name in `file_format`, added when missing."""
    sibling = (
        resource.dataset.resources.filter(name=resource.name, format=file_format)
        .order_by("position")
        .first()
    )
    if sibling is not None:
        return sibling
    return services.add_resource(
        resource.dataset,
        by=by,
        name=resource.name,
        name_en=resource.name_en,
        file_format=file_format,
        description=_("「%(name)s」（%(format)s）から作成したファイルです。")
        % {"name": resource.name, "format": resource.format},
    )


@contextmanager
def _files_of(
    upload: Upload, file_format: str
) -> Iterator[tuple[File, list[tuple[str, File, int]]]]:
    """The upload's own file as published and the (format, file, row count) made from it, as
    files on disk that are read in chunks and removed afterwards."""
    with ExitStack() as stack:
        handle = stack.enter_context(upload.file.open("rb"))
        if file_format not in (Resource.Format.CSV, Resource.Format.XLSX):
            yield File(handle), []
            return
        table = read_table(handle, upload.file.name or "")
        csv_file = stack.enter_context(tempfile.TemporaryFile())
        geojson_file = stack.enter_context(tempfile.TemporaryFile())
        features = _write_table(
            table.header, table.rows, _coordinates(upload), csv_file, geojson_file
        )
        made: list[tuple[str, File, int]] = []
        if file_format == Resource.Format.XLSX:
            handle.seek(0)
            made.append((Resource.Format.CSV, File(csv_file), upload.row_count))
            content = File(handle)
        else:
            content = File(csv_file)
        if features is not None:
            made.append((Resource.Format.GEOJSON, File(geojson_file), features))
        yield content, made


def _coordinates(upload: Upload) -> tuple[int, int] | None:
    """The positions of the latitude and longitude columns, when the table has both."""
    types = [column["type"] for column in upload.columns]
    if ColumnType.LATITUDE in types and ColumnType.LONGITUDE in types:
        return types.index(ColumnType.LATITUDE), types.index(ColumnType.LONGITUDE)
    return None


def _write_table(
    header: list[str],
    rows: Iterator[Row],
    coordinates: tuple[int, int] | None,
    csv_file: IO[bytes],
    geojson_file: IO[bytes],
) -> int | None:
    """Write the rows as CSV UTF-8 to `csv_file` and, with coordinates, as GeoJSON points to
    `geojson_file`, in one pass over the rows as they are read; the number of points, or None
    without coordinates."""
    text = io.TextIOWrapper(csv_file, encoding="utf-8", newline="", write_through=True)
    text.write("\ufeff")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    points = io.TextIOWrapper(geojson_file, encoding="utf-8", write_through=True)
    points.write('{"type": "FeatureCollection", "features": [\n')
    features = 0
    for row in rows:
        writer.writerow(row)
        if coordinates is None:
            continue
        feature = generate.point_feature(header, row, *coordinates)
        if feature is None:
            continue
        points.write((",\n" if features else "") + json.dumps(feature, ensure_ascii=False))
        features += 1
    points.write("\n]}\n")
    # The wrappers would close the files with them; the caller still reads them.
    text.detach()
    points.detach()
    csv_file.seek(0)
    geojson_file.seek(0)
    return features if coordinates is not None else None
