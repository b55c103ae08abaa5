"""Operations on places (場所) and districts (行政区): what staff do, and the district lookup."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

import shapely
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils.translation import gettext as _
from shapely import STRtree
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from yakuba.platform.places import place_csv
from yakuba.platform.places.boundaries import boundary_geometry
from yakuba.platform.places.models import District, Place

Actor = AbstractBaseUser | AnonymousUser | None

PLACE_FIELDS = frozenset(
    f.name for f in Place._meta.get_fields() if f.concrete and f.name not in {"id", "updated_at"}
)


# --- District lookup (地点 → 行政区) -------------------------------------------------------------


class DistrictLocator:
    """Finds the district a point lies in, over prepared shapely geometries.

    Boundaries are indexed in an STR-tree (bounding boxes) and prepared, so a lookup costs a tree
    query plus one or two `covers` tests instead of a full polygon test against every district.
    A point on the border of two districts goes to the one that comes first in display order.
    """

    def __init__(self, districts: Iterable[District]) -> None:
        self._districts: list[District] = []
        geometries: list[BaseGeometry] = []
        for district in districts:
            if not district.boundary:
                continue
            try:
                geometry = boundary_geometry(district.boundary)
            except ValidationError:
                # Saved through the ORM without validation (e.g. a raw update): skip, don't crash.
                continue
            shapely.prepare(geometry)
            self._districts.append(district)
            geometries.append(geometry)
        self._geometries = geometries
        self._tree = STRtree(geometries)

    def find(self, latitude: float, longitude: float) -> District | None:
        point = Point(longitude, latitude)  # GeoJSON order: x = longitude, y = latitude.
        for index in sorted(int(i) for i in self._tree.query(point)):
            if self._geometries[index].covers(point):
                # A copy, so a caller changing the instance cannot change the shared cache.
                return copy.copy(self._districts[index])
        return None


_locator_cache: tuple[tuple[int, Any], DistrictLocator] | None = None


def _districts_fingerprint() -> tuple[int, Any]:
    """(count, latest updated_at): changes whenever a district is added, changed or deleted.

    Cheap enough to ask on every lookup, and it is what makes the cache correct across processes
    (a second web worker or the task worker changing districts), which in-process signals are not.
    """
    summary = District.objects.aggregate(count=Count("id"), latest=Max("updated_at"))
    return summary["count"], summary["latest"]


def forget_district_boundaries(**_kwargs: Any) -> None:
    """Drop this process's cached boundaries (connected to District save/delete signals)."""
    global _locator_cache
    _locator_cache = None


def district_locator() -> DistrictLocator:
    """The district locator for the current boundaries, rebuilt only when a district changed."""
    global _locator_cache
    fingerprint = _districts_fingerprint()
    if _locator_cache is None or _locator_cache[0] != fingerprint:
        _locator_cache = (fingerprint, DistrictLocator(District.objects.all()))
    return _locator_cache[1]


def find_district(latitude: float, longitude: float) -> District | None:
    """The district (行政区) the point lies in, or None when it is outside every district."""
    return district_locator().find(latitude, longitude)


# --- Places (場所) ---------------------------------------------------------------------------------


def _assign(place: Place, values: dict[str, Any]) -> None:
    unknown = set(values) - PLACE_FIELDS
    if unknown:
        raise TypeError(f"Unknown place fields: {sorted(unknown)}")
    for name, value in values.items():
        setattr(place, name, value)


@transaction.atomic
def create_place(*, by: Actor, **values: Any) -> Place:
    """Register a place (場所を登録). Without a district, it is found from the coordinates."""
    place = Place()
    _assign(place, values)
    if place.district_id is None:
        place.district = _district_for(place)
    place.full_clean()
    place.save()
    return place


@transaction.atomic
def update_place(place: Place, *, by: Actor, **changes: Any) -> Place:
    """Change a place (場所を変更).

    The district follows the coordinates when it is given as None or when the place moved without
    a district being given; otherwise (e.g. only the phone number changed) it stays as it was.
    """
    moved = "latitude" in changes or "longitude" in changes
    _assign(place, changes)
    if ("district" in changes and changes["district"] is None) or (
        moved and "district" not in changes
    ):
        place.district = _district_for(place)
    place.full_clean()
    place.save()
    return place


@transaction.atomic
def delete_place(place: Place, *, by: Actor) -> None:
    """Remove a place (場所を削除)."""
    place.delete()


def _district_for(place: Place) -> District | None:
    if not isinstance(place.latitude, int | float) or not isinstance(place.longitude, int | float):
        return None  # full_clean reports the missing coordinates.
    return find_district(place.latitude, place.longitude)


# --- CSV import and export -----------------------------------------------------------------------


@dataclass
class RowError:
    """One problem in an uploaded file: the line in the file, the column and what is wrong."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.line == 0:
            return self.message
        if self.column:
            return _("%(line)d行目: %(column)s: %(message)s") % {
                "line": self.line,
                "column": self.column,
                "message": self.message,
            }
        return _("%(line)d行目: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class ImportResult:
    """What an import did: how many rows were created and updated, or why nothing was imported."""

    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def is_ok(self) -> bool:
        return not self.errors

    @property
    def imported(self) -> int:
        return self.created + self.updated


def _read_upload(file: IO[bytes] | bytes) -> bytes:
    if isinstance(file, bytes):
        return file
    data = file.read(place_csv.MAX_FILE_BYTES + 1)
    return data.encode("utf-8") if isinstance(data, str) else data


def _messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {name: [str(m) for m in messages] for name, messages in error.message_dict.items()}
    return {NON_FIELD_ERRORS: [str(m) for m in error.messages]}


@transaction.atomic
def import_places_csv(file: IO[bytes] | bytes, *, by: Actor) -> ImportResult:
    """Import places from the staff CSV (場所の一括登録), upserting by ID.

    Every row is checked first; if any row is wrong, nothing is saved and every problem is reported
    with its line number and column, so staff fix the file once and upload it again.
    """
    data = _read_upload(file)
    if len(data) > place_csv.MAX_FILE_BYTES:
        message = _("ファイルが大きすぎます（上限5MB）。")
        return ImportResult(errors=[RowError(line=0, column="", message=message)])
    try:
        header, records = place_csv.read_records(place_csv.decode(data))
    except place_csv.CellError as error:
        return ImportResult(errors=[RowError(line=1, column="", message=str(error))])
    problems = place_csv.check_header(header)
    if problems:
        return ImportResult(errors=[RowError(line=1, column="", message=p) for p in problems])

    rows = list(records)
    codes = {r.cells.get("ID", "").strip() for r in rows} - {""}
    existing = {p.code: p for p in Place.objects.filter(code__in=codes)} if codes else {}
    districts = {d.code: d for d in District.objects.all()}
    locator = district_locator()

    errors: list[RowError] = []
    places: list[Place] = []
    first_line_of_code: dict[str, int] = {}
    for record in rows:
        if record.problem:
            errors.append(RowError(line=record.line, column="", message=record.problem))
            continue
        place, row_errors = _place_from_record(record, existing, districts, locator)
        code = place.code
        if code and code in first_line_of_code:
            message = _("ID「%(code)s」が%(line)d行目と重複しています。") % {
                "code": code,
                "line": first_line_of_code[code],
            }
            row_errors.append(RowError(line=record.line, column="ID", message=message))
        elif code:
            first_line_of_code[code] = record.line
        errors.extend(row_errors)
        places.append(place)
    if not rows:
        errors.append(RowError(line=2, column="", message=_("取り込む行がありません。")))
    if errors:
        return ImportResult(errors=errors)

    result = ImportResult()
    for place in places:
        if place.pk is None:
            result.created += 1
        else:
            result.updated += 1
        place.save()
    return result


def _place_from_record(
    record: place_csv.Record,
    existing: dict[str, Place],
    districts: dict[str, District],
    locator: DistrictLocator,
) -> tuple[Place, list[RowError]]:
    """A Place (new or the one with the same ID) set from the row, and the row's problems."""
    cells = record.cells
    code = cells.get("ID", "").strip()
    place = existing.get(code) or Place()
    errors: list[RowError] = []
    failed: set[str] = set()

    def problem(field_name: str, message: str) -> None:
        failed.add(field_name)
        column = place_csv.COLUMN_OF_FIELD[field_name]
        errors.append(RowError(line=record.line, column=column, message=message))

    for column, raw in cells.items():
        field_name = place_csv.FIELD_OF_COLUMN[column]
        try:
            if field_name == "kind":
                place.kind = place_csv.kind_of(raw) if raw.strip() else ""
            elif field_name in {"latitude", "longitude"}:
                setattr(place, field_name, place_csv.number_of(raw))
            elif field_name == "capacity":
                place.capacity = place_csv.whole_number_of(raw)
            elif field_name in place_csv.BOOLEAN_FIELDS:
                default = field_name == "is_public"
                setattr(place, field_name, place_csv.boolean_of(raw, default=default))
            elif field_name == "district":
                district_code = raw.strip()
                if district_code and district_code not in districts:
                    raise place_csv.CellError(
                        _("行政区コード「%(code)s」は登録されていません。")
                        % {"code": district_code}
                    )
                place.district = districts.get(district_code)
            else:
                setattr(place, field_name, place_csv.unprotect_text(raw.strip()))
        except place_csv.CellError as error:
            problem(field_name, str(error))

    if place.district is None and not failed & {"latitude", "longitude", "district"}:
        place.district = locator.find(place.latitude, place.longitude)
    try:
        # Uniqueness is checked against the file (duplicate IDs) and by upserting, and the district
        # came from the loaded table: neither needs a query per row.
        place.full_clean(exclude=sorted(failed | {"district"}), validate_unique=False)
    except ValidationError as error:
        for name, messages in _messages(error).items():
            column = place_csv.COLUMN_OF_FIELD.get(name, "")
            for message in messages:
                errors.append(RowError(line=record.line, column=column, message=message))
    return place, errors


def export_places_csv() -> bytes:
    """Every place as the staff CSV (場所一覧CSV), the same columns the import reads."""
    places = Place.objects.select_related("district").order_by("code")
    return place_csv.write(places.iterator(chunk_size=500))


# --- Districts (行政区) ------------------------------------------------------------------------------


DISTRICT_FIELDS = frozenset({"name", "name_kana", "name_en", "boundary", "order"})


@transaction.atomic
def upsert_district(code: str, *, by: Actor, **values: Any) -> tuple[District, bool]:
    """Create or change the district with this code (行政区を登録・変更); (district, changed).

    It saves only when something differs, so running it again with the same values leaves the
    district (and its updated_at, and so the lookup cache) untouched. The boundary is validated.
    """
    unknown = set(values) - DISTRICT_FIELDS
    if unknown:
        raise TypeError(f"Unknown district fields: {sorted(unknown)}")
    district = District.objects.filter(code=code).first() or District(code=code)
    if district.pk is not None and all(getattr(district, k) == v for k, v in values.items()):
        return district, False
    for name, value in values.items():
        setattr(district, name, value)
    district.full_clean()
    district.save()
    return district, True


# --- Districts as GeoJSON ------------------------------------------------------------------------


def district_feature(district: District) -> dict[str, Any]:
    """A district as a GeoJSON Feature (RFC 7946); its properties are the district's own fields."""
    return {
        "type": "Feature",
        "id": district.code,
        "geometry": district.boundary or None,
        "properties": {
            "code": district.code,
            "name": district.name,
            "name_kana": district.name_kana,
            "name_en": district.name_en,
            "order": district.order,
        },
    }


def export_districts_geojson() -> dict[str, Any]:
    """All districts (行政区) as a GeoJSON FeatureCollection."""
    return {
        "type": "FeatureCollection",
        "features": [district_feature(d) for d in District.objects.all()],
    }


@transaction.atomic
def import_districts_geojson(file: IO[bytes] | bytes, *, by: Actor) -> ImportResult:
    """Import districts (行政区の一括登録) from a GeoJSON FeatureCollection, upserting by code.

    Each Feature needs properties `code` and `name` (`name_kana`, `name_en`, `order` optional) and
    a Polygon or MultiPolygon geometry. As with places, one bad feature means nothing is saved.
    Places without a district are then given one from their coordinates.
    """
    data = _read_upload(file)

    def fail(message: str) -> ImportResult:
        return ImportResult(errors=[RowError(line=0, column="", message=message)])

    if len(data) > place_csv.MAX_FILE_BYTES:
        return fail(_("ファイルが大きすぎます（上限5MB）。"))
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return fail(_("GeoJSONとして読み込めません。UTF-8のGeoJSONファイルを選んでください。"))
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        return fail(_("GeoJSONのFeatureCollectionを指定してください。"))
    features = document.get("features")
    if not isinstance(features, list) or not features:
        return fail(_("地物（features）がありません。"))

    existing = {d.code: d for d in District.objects.all()}
    errors: list[RowError] = []
    districts: list[District] = []
    seen: set[str] = set()
    for number, feature in enumerate(features, start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(properties, dict):
            message = _("プロパティ（properties）がありません。")
            errors.append(RowError(line=number, column="", message=message))
            continue
        code = str(properties.get("code") or "").strip()
        district = existing.get(code) or District(code=code)
        district.name = str(properties.get("name") or "").strip()
        district.name_kana = str(properties.get("name_kana") or "").strip()
        district.name_en = str(properties.get("name_en") or "").strip()
        district.boundary = feature.get("geometry")
        try:
            district.order = int(properties.get("order") or 0)
        except (TypeError, ValueError):
            message = _("「order」は整数で指定してください。")
            errors.append(RowError(line=number, column="order", message=message))
        if code in seen:
            message = _("コード「%(code)s」が重複しています。") % {"code": code}
            errors.append(RowError(line=number, column="code", message=message))
        seen.add(code)
        try:
            district.full_clean(validate_unique=False)
        except ValidationError as error:
            names = {"boundary": "geometry"}
            for name, messages in _messages(error).items():
                column = names.get(name, name if name != NON_FIELD_ERRORS else "")
                for message in messages:
                    errors.append(RowError(line=number, column=column, message=message))
        districts.append(district)
    if errors:
        return ImportResult(errors=[_as_feature_error(e) for e in errors])

    result = ImportResult()
    for district in districts:
        if district.pk is None:
            result.created += 1
        else:
            result.updated += 1
        district.save()
    forget_district_boundaries()
    assign_missing_districts(by=by)
    return result


def _as_feature_error(error: RowError) -> RowError:
    """Feature errors are numbered by feature, not by line: say so in the message."""
    if error.line == 0:
        return error
    prefix = _("%(number)d番目の地物") % {"number": error.line}
    message = f"{prefix}: {error.column + ': ' if error.column else ''}{error.message}"
    return RowError(line=0, column="", message=message)


@transaction.atomic
def assign_missing_districts(*, by: Actor) -> int:
    """Give every place without a district the one its coordinates fall in; returns how many."""
    locator = district_locator()
    changed = 0
    for place in Place.objects.filter(district__isnull=True).only("id", "latitude", "longitude"):
        district = locator.find(place.latitude, place.longitude)
        if district is not None:
            Place.objects.filter(pk=place.pk).update(district=district)
            changed += 1
    return changed
