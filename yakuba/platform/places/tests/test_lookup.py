"""The district lookup (地点 → 行政区) and boundary validation."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from yakuba.platform.places import demo
from yakuba.platform.places.boundaries import validate_boundary
from yakuba.platform.places.models import District
from yakuba.platform.places.services import find_district, upsert_district

from .factories import DistrictFactory, square

pytestmark = pytest.mark.django_db


def code_at(latitude: float, longitude: float) -> str | None:
    """The code of the district found at the point, or None."""
    found = find_district(latitude, longitude)
    return None if found is None else found.code


def test_point_inside_a_polygon_finds_its_district() -> None:
    district = DistrictFactory(boundary=square(140.0, 38.0, size=0.1))
    assert code_at(38.05, 140.05) == district.code


def test_point_outside_every_district_finds_nothing() -> None:
    DistrictFactory(boundary=square(140.0, 38.0, size=0.1))
    assert find_district(35.0, 139.0) is None


def test_latitude_and_longitude_are_not_swapped() -> None:
    DistrictFactory(boundary=square(140.0, 38.0, size=0.1))
    assert find_district(140.05, 38.05) is None


def test_point_in_either_part_of_a_multipolygon_finds_the_district() -> None:
    island = square(141.0, 38.0)["coordinates"]
    mainland = square(140.0, 38.0)["coordinates"]
    district = DistrictFactory(boundary={"type": "MultiPolygon", "coordinates": [mainland, island]})
    assert code_at(38.005, 140.005) == district.code
    assert code_at(38.005, 141.005) == district.code
    assert find_district(38.005, 140.5) is None


def test_point_in_a_polygons_hole_is_outside_it() -> None:
    outer = [[140.0, 38.0], [140.1, 38.0], [140.1, 38.1], [140.0, 38.1], [140.0, 38.0]]
    hole = [[140.04, 38.04], [140.06, 38.04], [140.06, 38.06], [140.04, 38.06], [140.04, 38.04]]
    DistrictFactory(boundary={"type": "Polygon", "coordinates": [outer, hole]})
    assert find_district(38.05, 140.05) is None
    assert find_district(38.02, 140.02) is not None


def test_district_without_boundary_is_never_found() -> None:
    DistrictFactory(boundary=None)
    assert find_district(38.0, 140.0) is None


def test_lookup_sees_a_changed_boundary_at_once() -> None:
    district = DistrictFactory.create(boundary=square(140.0, 38.0))
    assert find_district(38.005, 140.005) is not None
    upsert_district(district.code, by=None, boundary=square(150.0, 38.0))
    assert find_district(38.005, 140.005) is None
    assert code_at(38.005, 150.005) == district.code


def test_lookup_sees_a_change_made_without_signals() -> None:
    """Another process's change reaches this one through the (count, updated_at) fingerprint."""
    district = DistrictFactory.create(boundary=square(140.0, 38.0))
    assert find_district(38.005, 140.005) is not None
    District.objects.filter(pk=district.pk).update(boundary=square(150.0, 38.0))  # no signal
    DistrictFactory(boundary=square(160.0, 38.0))  # any later change moves the fingerprint
    assert find_district(38.005, 140.005) is None


def test_lookup_forgets_a_deleted_district() -> None:
    district = DistrictFactory.create(boundary=square(140.0, 38.0))
    assert find_district(38.005, 140.005) is not None
    district.delete()
    assert find_district(38.005, 140.005) is None


def test_returned_district_is_a_copy_of_the_cached_one() -> None:
    DistrictFactory(boundary=square(140.0, 38.0), name="本物")
    found = find_district(38.005, 140.005)
    assert found is not None
    found.name = "書き換え"
    again = find_district(38.005, 140.005)
    assert again is not None
    assert again.name == "本物"


@pytest.mark.parametrize(
    ("boundary", "message"),
    [
        ({"type": "Point", "coordinates": [140.0, 38.0]}, "PolygonまたはMultiPolygon"),
        ({"type": "Feature", "geometry": None}, "PolygonまたはMultiPolygon"),
        ([1, 2, 3], "PolygonまたはMultiPolygon"),
        ({"type": "Polygon"}, "座標（coordinates）がありません"),
        ({"type": "Polygon", "coordinates": [[[140.0, 38.0], [140.1]]]}, "座標の形式"),
        ({"type": "Polygon", "coordinates": [[["a", "b"], [1, 2], [3, 4], [1, 2]]]}, "座標の形式"),
        ({"type": "Polygon", "coordinates": []}, "空"),
        (square(200.0, 38.0), "経度-180〜180"),
        (
            {
                "type": "Polygon",
                "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],  # a bow tie
            },
            "区域の形が正しくありません",
        ),
    ],
)
def test_invalid_boundary_is_rejected_with_a_clear_message(boundary: Any, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        validate_boundary(boundary)
    assert message in " ".join(error.value.messages)


def test_saving_a_district_through_the_service_validates_its_boundary() -> None:
    with pytest.raises(ValidationError) as error:
        upsert_district("X1", by=None, name="X", boundary={"type": "Point", "coordinates": [0, 0]})
    assert "boundary" in error.value.message_dict
    assert not District.objects.filter(code="X1").exists()


class TestDemoGrid:
    """Property: a point strictly inside one demo tile maps to that tile's district."""

    @pytest.fixture(autouse=True)
    def _demo_districts(self, django_db_blocker: Any) -> None:
        for index, (code, name, kana, romaji) in enumerate(demo.DISTRICTS):
            upsert_district(
                code,
                by=None,
                name=name,
                name_kana=kana,
                name_en=romaji,
                boundary=demo.tile_polygon(index),
                order=index,
            )

    @settings(max_examples=200, deadline=None)
    @given(
        index=st.integers(min_value=0, max_value=len(demo.DISTRICTS) - 1),
        across=st.floats(min_value=0.001, max_value=0.999),
        up=st.floats(min_value=0.001, max_value=0.999),
    )
    def test_point_inside_exactly_one_tile_maps_to_it(
        self, index: int, across: float, up: float
    ) -> None:
        code = demo.DISTRICTS[index][0]
        latitude, longitude = demo.point_in_tile(code, across, up)
        assert code_at(latitude, longitude) == code

    def test_point_outside_the_grid_maps_to_nothing(self) -> None:
        assert find_district(demo.NORTH + 0.01, demo.WEST + 0.05) is None
        assert find_district(demo.SOUTH + 0.05, demo.EAST + 0.01) is None
