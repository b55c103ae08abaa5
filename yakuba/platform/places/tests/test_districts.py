"""Districts (行政区) as GeoJSON: import all-or-nothing, export, and places following them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import translation

from yakuba.platform.places.models import District
from yakuba.platform.places.services import export_districts_geojson, import_districts_geojson

from .factories import DistrictFactory, PlaceFactory, square

pytestmark = pytest.mark.django_db


def collection(*features: dict[str, Any]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def feature(code: str, name: str = "区", geometry: Any = None, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": geometry if geometry is not None else square(140.0, 38.0),
        "properties": {"code": code, "name": name, **props},
    }


def test_import_creates_and_updates_districts_by_code() -> None:
    DistrictFactory(code="A", name="古い")
    result = import_districts_geojson(collection(feature("A", "新しい"), feature("B")), by=None)
    assert (result.created, result.updated) == (1, 1)
    assert District.objects.get(code="A").name == "新しい"


def test_import_gives_places_without_a_district_the_one_they_lie_in() -> None:
    place = PlaceFactory.create(latitude=38.005, longitude=140.005, district=None)
    import_districts_geojson(collection(feature("A")), by=None)
    place.refresh_from_db()
    assert place.district is not None
    assert place.district.code == "A"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (feature("A", geometry={"type": "Point", "coordinates": [140, 38]}), "geometry: 区域は"),
        (feature("A", name=""), "name: "),
        (feature("", name="コードなし"), "code: "),
        (feature("A", order="first"), "order: 「order」は整数"),
        ({"type": "Feature", "geometry": None}, "プロパティ（properties）がありません"),
    ],
)
def test_one_bad_feature_imports_nothing_and_names_the_feature(
    bad: dict[str, Any], message: str
) -> None:
    with translation.override("ja"):
        result = import_districts_geojson(collection(feature("OK"), bad), by=None)
        texts = [str(e) for e in result.errors]
    assert not result.is_ok
    assert any(t.startswith("2番目の地物: ") and message in t for t in texts), texts
    assert not District.objects.exists()


@pytest.mark.parametrize(
    "data", [b"not json", b'{"type": "Feature"}', collection(), "\ufeff".encode() + b"[]"]
)
def test_file_that_is_not_a_feature_collection_is_rejected(data: bytes) -> None:
    assert not import_districts_geojson(data, by=None).is_ok


def test_duplicate_codes_in_one_file_are_rejected() -> None:
    result = import_districts_geojson(collection(feature("A"), feature("A")), by=None)
    assert not result.is_ok
    assert not District.objects.exists()


def test_export_then_import_round_trips() -> None:
    DistrictFactory(code="A", name="一", name_kana="いち", name_en="One", order=3)
    exported = json.dumps(export_districts_geojson()).encode()
    before = list(
        District.objects.values("code", "name", "name_kana", "name_en", "order", "boundary")
    )
    District.objects.all().delete()
    assert import_districts_geojson(exported, by=None).is_ok
    after = list(
        District.objects.values("code", "name", "name_kana", "name_en", "order", "boundary")
    )
    assert after == before
