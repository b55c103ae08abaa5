"""The places pages: residents' finder, GeoJSON, and the staff register."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from yakuba.platform.places.models import District, Place, PlaceKind
from yakuba.platform.places.services import export_places_csv

from .factories import DistrictFactory, PlaceFactory, make_user, square

pytestmark = pytest.mark.django_db

ALL_PLACE_PERMS = (
    "places.view_place",
    "places.add_place",
    "places.change_place",
    "places.delete_place",
)


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(make_user(perms=ALL_PLACE_PERMS))
    return client


def place_form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "kind": PlaceKind.SHELTER,
        "code": "NEW-001",
        "name": "新しい避難所",
        "name_kana": "あたらしいひなんじょ",
        "latitude": "38.005",
        "longitude": "140.005",
        "district": "",
        "is_public": "on",
    }
    data.update(overrides)
    return data


# --- Residents ---


def test_resident_list_shows_public_places_with_address_and_map_link(client: Client) -> None:
    PlaceFactory(name="亘理町役場", address="字悠里1番地", latitude=38.0378, longitude=140.8527)
    response = client.get(reverse("places:list"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "亘理町役場" in content
    assert "字悠里1番地" in content
    assert "https://www.openstreetmap.org/?mlat=38.037800&amp;mlon=140.852700" in content


def test_resident_list_hides_non_public_places(client: Client) -> None:
    PlaceFactory(name="見える施設")
    PlaceFactory(name="秘密の倉庫", is_public=False)
    content = client.get(reverse("places:list")).content.decode()
    assert "見える施設" in content
    assert "秘密の倉庫" not in content


def test_non_public_place_detail_is_404_for_residents(client: Client) -> None:
    place = PlaceFactory(is_public=False)
    assert client.get(reverse("places:detail", args=[place.code])).status_code == 404


def test_non_public_place_is_absent_from_geojson(client: Client) -> None:
    PlaceFactory(code="SEEN")
    PlaceFactory(code="HIDDEN", is_public=False)
    codes = [f["id"] for f in client.get(reverse("places:geojson")).json()["features"]]
    assert codes == ["SEEN"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "aed"}, {"AED 1"}),
        ({"district": "NORTH"}, {"北の公民館"}),
        ({"q": "こうみんかん"}, {"北の公民館"}),
        ({"q": "コウミンカン"}, {"北の公民館"}),
        ({"q": "公民館"}, {"北の公民館"}),
        ({"q": "ＡＥＤ"}, {"AED 1"}),
        ({"kind": "no-such-kind"}, {"AED 1", "北の公民館"}),
    ],
)
def test_resident_list_filters(client: Client, query: dict[str, str], expected: set[str]) -> None:
    north = DistrictFactory(code="NORTH")
    PlaceFactory(name="北の公民館", name_kana="きたのこうみんかん", district=north)
    PlaceFactory(name="AED 1", kind=PlaceKind.AED, name_kana="えーいーでぃー")
    response = client.get(reverse("places:list"), query)
    names = {p.name for p in response.context["page"].object_list}
    assert names == expected


def test_resident_list_paginates_and_keeps_filters_in_page_links(client: Client) -> None:
    for _ in range(25):
        PlaceFactory(kind=PlaceKind.BUS_STOP)
    response = client.get(reverse("places:list"), {"kind": "bus_stop"})
    assert len(response.context["page"].object_list) == 20
    assert "?kind=bus_stop&amp;page=2" in response.content.decode()
    second = client.get(reverse("places:list"), {"kind": "bus_stop", "page": "2"})
    assert len(second.context["page"].object_list) == 5


def test_resident_list_runs_a_fixed_number_of_queries(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    district = DistrictFactory()
    for _ in range(20):
        PlaceFactory(district=district)
    with django_assert_max_num_queries(12):
        client.get(reverse("places:list"))


def test_detail_page_shows_everything_a_resident_needs(client: Client) -> None:
    place = PlaceFactory(
        phone="0223-34-1111",
        opening_hours="平日 8:30〜17:15",
        accessibility_notes="正面にスロープ",
        wheelchair_accessible=True,
        capacity=300,
        latitude=38.0378,
        longitude=140.8527,
    )
    content = client.get(reverse("places:detail", args=[place.code])).content.decode()
    assert 'href="tel:0223-34-1111"' in content
    assert "平日 8:30〜17:15" in content
    assert "正面にスロープ" in content
    assert "300" in content
    assert 'href="geo:38.037800,140.852700"' in content
    assert '<script src="http' not in content  # no external scripts (CSP is self-only)


def test_geojson_is_a_valid_feature_collection(client: Client) -> None:
    PlaceFactory(code="G1", latitude=38.1, longitude=140.9)
    response = client.get(reverse("places:geojson"))
    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    (feature,) = body["features"]
    assert feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point", "coordinates": [140.9, 38.1]}
    assert feature["properties"]["code"] == "G1"


def test_geojson_of_one_kind(client: Client) -> None:
    PlaceFactory(code="A1", kind=PlaceKind.AED)
    PlaceFactory(code="F1", kind=PlaceKind.FACILITY)
    by_path = client.get(reverse("places:kind_geojson", args=["aed"])).json()
    by_query = client.get(reverse("places:geojson"), {"kind": "aed"}).json()
    assert [f["id"] for f in by_path["features"]] == ["A1"]
    assert by_query == by_path
    assert client.get(reverse("places:kind_geojson", args=["castle"])).status_code == 404


def test_districts_geojson_has_polygons(client: Client) -> None:
    DistrictFactory(code="D1", boundary=square(140.0, 38.0))
    body = client.get(reverse("places:districts_geojson")).json()
    assert body["type"] == "FeatureCollection"
    assert body["features"][0]["geometry"]["type"] == "Polygon"
    assert body["features"][0]["properties"]["code"] == "D1"


# --- Staff ---


def test_anonymous_visitor_is_sent_to_login(client: Client) -> None:
    response = client.get(reverse("places:staff_list"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_resident_who_is_not_staff_gets_403(client: Client) -> None:
    client.force_login(make_user(is_staff=False, perms=ALL_PLACE_PERMS))
    assert client.get(reverse("places:staff_list")).status_code == 403


@pytest.mark.parametrize(
    ("url_name", "args", "method"),
    [
        ("places:staff_list", [], "get"),
        ("places:staff_create", [], "get"),
        ("places:staff_create", [], "post"),
        ("places:staff_edit", ["P1"], "get"),
        ("places:staff_delete", ["P1"], "post"),
        ("places:staff_import", [], "get"),
        ("places:staff_export", [], "get"),
        ("places:staff_districts", [], "get"),
    ],
)
def test_staff_without_permission_gets_403(
    client: Client, url_name: str, args: list[str], method: str
) -> None:
    PlaceFactory(code="P1")
    client.force_login(make_user())
    response = getattr(client, method)(reverse(url_name, args=args))
    assert response.status_code == 403
    assert Place.objects.filter(code="P1").exists()


def test_staff_list_shows_non_public_places(staff_client: Client) -> None:
    PlaceFactory(name="秘密の倉庫", is_public=False)
    assert "秘密の倉庫" in staff_client.get(reverse("places:staff_list")).content.decode()


def test_staff_creates_a_place_and_its_district_is_found(staff_client: Client) -> None:
    district = DistrictFactory(boundary=square(140.0, 38.0))
    response = staff_client.post(reverse("places:staff_create"), place_form_data())
    assert response.status_code == 302
    place = Place.objects.get(code="NEW-001")
    assert place.district == district
    assert place.name == "新しい避難所"


def test_staff_create_with_bad_input_shows_errors_and_saves_nothing(staff_client: Client) -> None:
    data = place_form_data(latitude="100", url="nonsense", name="")
    response = staff_client.post(reverse("places:staff_create"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"latitude", "url", "name"}
    assert 'class="error-summary"' in response.content.decode()
    assert not Place.objects.exists()


def test_staff_edits_a_place(staff_client: Client) -> None:
    place = PlaceFactory.create(code="E1", name="前")
    data = place_form_data(code="E1", name="後")
    response = staff_client.post(reverse("places:staff_edit", args=["E1"]), data)
    assert response.status_code == 302
    place.refresh_from_db()
    assert place.name == "後"


def test_staff_delete_asks_for_confirmation_first(staff_client: Client) -> None:
    PlaceFactory(code="D1", name="消す施設")
    page = staff_client.get(reverse("places:staff_delete", args=["D1"]))
    assert "消す施設" in page.content.decode()
    assert Place.objects.filter(code="D1").exists()
    staff_client.post(reverse("places:staff_delete", args=["D1"]))
    assert not Place.objects.filter(code="D1").exists()


def test_staff_import_success_says_how_many(staff_client: Client) -> None:
    PlaceFactory(code="X1")
    data = export_places_csv()
    Place.objects.all().delete()
    upload = io.BytesIO(data)
    upload.name = "places.csv"
    response = staff_client.post(reverse("places:staff_import"), {"file": upload}, follow=True)
    assert "1件を取り込みました" in response.content.decode()
    assert Place.objects.filter(code="X1").exists()


def test_staff_import_failure_lists_row_errors(staff_client: Client) -> None:
    upload = io.BytesIO("ID,種別,名称,緯度,経度\r\nA,公共施設,名前,北,140\r\n".encode())
    upload.name = "places.csv"
    response = staff_client.post(reverse("places:staff_import"), {"file": upload})
    content = response.content.decode()
    assert response.status_code == 200
    assert "2行目: 緯度: 「北」は数値ではありません。" in content
    assert not Place.objects.exists()


def test_staff_export_downloads_csv(staff_client: Client) -> None:
    PlaceFactory(code="X1")
    response = staff_client.get(reverse("places:staff_export"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")


def test_staff_district_list_and_geojson_round_trip(client: Client) -> None:
    client.force_login(
        make_user(perms=("places.view_district", "places.add_district", "places.change_district"))
    )
    DistrictFactory(code="D1", name="一区", boundary=square(140.0, 38.0))
    assert "一区" in client.get(reverse("places:staff_districts")).content.decode()
    exported = client.get(reverse("places:staff_district_export")).content
    District.objects.all().delete()
    upload = io.BytesIO(exported)
    upload.name = "districts.geojson"
    response = client.post(reverse("places:staff_districts"), {"file": upload}, follow=True)
    assert "1件を取り込みました" in response.content.decode()
    assert District.objects.get().boundary == square(140.0, 38.0)


def test_english_pages_show_english_names_with_the_japanese_name_beside(client: Client) -> None:
    district = DistrictFactory(name="悠里", name_en="Yuri")
    place = PlaceFactory(name="亘理町役場", name_en="Watari Town Hall", district=district)
    client.cookies["django_language"] = "en"
    content = client.get(reverse("places:detail", args=[place.code])).content.decode()
    assert "<h1>Watari Town Hall" in content
    assert '<dd lang="ja">亘理町役場' in content
    assert "Yuri" in content
    listing = client.get(reverse("places:list")).content.decode()
    assert "View Watari Town Hall on a map" in listing
