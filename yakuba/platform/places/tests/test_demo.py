"""The demo loader (デモデータ) and the registry entry built on it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from shapely.geometry import shape

from yakuba.core.models import Municipality
from yakuba.core.registry import registry
from yakuba.core.standard_datasets import standard_dataset
from yakuba.platform.places import demo
from yakuba.platform.places.models import District, Place, PlaceKind
from yakuba.platform.places.services import find_district

pytestmark = pytest.mark.django_db


def snapshot() -> list[tuple[object, ...]]:
    districts = list(District.objects.values_list("code", "updated_at", "boundary"))
    places = list(Place.objects.order_by("code").values_list("code", "updated_at", "district"))
    return [*districts, *places]


def test_demo_loads_12_districts_and_30_or_more_places() -> None:
    demo.load_demo()
    assert District.objects.count() == 12
    assert Place.objects.count() >= 30
    assert len(set(Place.objects.values_list("kind", flat=True))) >= 6
    assert all("デモデータ" in notes for notes in Place.objects.values_list("notes", flat=True))


def test_demo_loader_run_twice_changes_nothing() -> None:
    demo.load_demo()
    first = snapshot()
    demo.load_demo()
    assert snapshot() == first


def test_demo_restores_a_place_someone_changed() -> None:
    demo.load_demo()
    Place.objects.filter(code="FAC-001").update(name="別の名前")
    demo.load_demo()
    assert Place.objects.get(code="FAC-001").name == "亘理町役場"


def test_every_demo_place_lies_in_its_districts_polygon() -> None:
    demo.load_demo()
    for place in Place.objects.select_related("district"):
        found = find_district(place.latitude, place.longitude)
        assert found is not None, place.code
        assert found.pk == place.district_id, place.code


def test_demo_districts_do_not_overlap_and_cover_the_town() -> None:
    demo.load_demo()
    shapes = [shape(d.boundary) for d in District.objects.all()]
    for i, first in enumerate(shapes):
        for second in shapes[i + 1 :]:
            assert first.intersection(second).area == pytest.approx(0, abs=1e-12)
    total = sum(s.area for s in shapes)
    assert total == pytest.approx((demo.NORTH - demo.SOUTH) * (demo.EAST - demo.WEST))


def test_town_hall_is_in_the_town_centres_district() -> None:
    demo.load_demo()
    found = find_district(38.037, 140.853)
    assert found is not None
    assert Place.objects.get(code="FAC-001").district_id == found.pk


def test_registry_declares_menus_layers_datasets_and_the_demo() -> None:
    entry = registry["places"]
    assert entry.load_demo is demo.load_demo
    assert entry.url_prefix == "places/"
    assert entry.api_prefix == "places"
    assert entry.order == 10
    assert [m.url_name for m in entry.resident_menu] == ["places:list"]
    assert entry.staff_menu[0].permission == "places.view_place"
    assert {layer.url_kwargs["kind"] for layer in entry.map_layers} == set(PlaceKind.values)
    for layer in entry.map_layers:
        reverse(layer.url_name, kwargs=layer.url_kwargs)
    assert [d.standard for d in entry.open_datasets] == [
        "public_facilities",
        "aed_locations",
        "evacuation_sites",
        "shelters",
        "childcare_facilities",
        "medical_institutions",
        "public_toilets",
    ]
    assert all(d.code == f"places.{d.standard}" for d in entry.open_datasets)


def test_open_dataset_rows_have_the_standard_columns_in_order() -> None:
    Municipality.objects.create(
        name="亘理町",
        code="043231",
        prefecture="宮城県",
        map_center_latitude=38.037,
        map_center_longitude=140.853,
    )
    demo.load_demo()
    datasets = {d.code: d for d in registry["places"].open_datasets}
    rows = datasets["places.public_facilities"].build_rows()
    assert rows
    for dataset in datasets.values():
        expected = standard_dataset(dataset.standard).column_names()
        assert all(tuple(row) == expected for row in dataset.build_rows()), dataset.code
    town_hall = next(r for r in rows if r["ID"] == "FAC-001")
    assert town_hall["全国地方公共団体コード"] == "043231"
    assert town_hall["地方公共団体名"] == "宮城県亘理町"
    assert town_hall["名称"] == "亘理町役場"
    hall = Place.objects.get(code="FAC-001")
    assert town_hall["名称_英語"] == hall.name_en
    assert town_hall["所在地_連結表記"] == hall.address
    # The standard separates バリアフリー情報 items with ";".
    assert (
        town_hall["バリアフリー情報"] == f"多機能トイレあり;車いす利用可;{hall.accessibility_notes}"
    )
    site = datasets["places.evacuation_sites"].build_rows()[0]
    assert site["市区町村コード"] == "043231"
    assert site["名称_英字"] == Place.objects.get(code=site["ID"]).name_en
    assert "FAC-009" not in {r["ID"] for r in rows}  # not public
    aeds = datasets["places.aed_locations"].build_rows()
    assert {r["ID"] for r in aeds} == set(
        Place.objects.filter(kind=PlaceKind.AED).values_list("code", flat=True)
    )
    for dataset in datasets.values():
        for row in dataset.build_rows():
            assert row["緯度"] and row["経度"]
            assert row["全国地方公共団体コード"] == "043231"
