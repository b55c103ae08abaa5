"""Open311 GeoReport v2 at /open311/v2/: every method in JSON and XML, with valid and invalid
parameters, answered as the spec says (JSON validated against our JSON Schemas, XML parsed for the
spec's element names), and mySociety's servicerequestupdates extension."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeXML
import jsonschema
import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from yakuba.modules.reports import open311, open311_keys, services
from yakuba.modules.reports.models import (
    Category,
    CategoryAttribute,
    Open311Client,
    Report,
    ReportPhoto,
    ReportUpdate,
    Status,
)
from yakuba.platform.accounts.models import Department, User
from yakuba.platform.places.models import District

if TYPE_CHECKING:
    # The test client's response type, known to django-stubs only.
    from django.test.client import _MonkeyPatchedWSGIResponse as Response


pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
SCHEMAS = Path(__file__).resolve().parent.parent / "open311_schemas"
# Inside the test district (a square of 0.1° from 140.85 E, 38.0 N).
LAT, LONG = 38.03, 140.88


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def valid_json(response: Response, schema_name: str) -> Any:
    assert response["Content-Type"].startswith("application/json")
    data = json.loads(response.content)
    jsonschema.validate(
        data, schema(schema_name), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return data


def xml_root(response: Response, root: str) -> Element:
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    element: Element = SafeXML.fromstring(response.content)
    assert element.tag == root
    return element


def json_errors(response: Response, status: int) -> list[str]:
    assert response.status_code == status
    errors = valid_json(response, "errors")
    assert {e["code"] for e in errors} == {status}
    return [e["description"] for e in errors]


def xml_errors(response: Response, status: int) -> list[str]:
    assert response.status_code == status
    root = xml_root(response, "errors")
    errors = root.findall("error")
    assert errors
    assert {e.findtext("code") for e in errors} == {str(status)}
    return [e.findtext("description") or "" for e in errors]


@pytest.fixture(autouse=True)
def fresh_rate_counts() -> None:
    """Rate counters live in the cache by app id and minute; ids repeat from test to test."""
    cache.clear()


# --- The town ---------------------------------------------------------------------------------------


@pytest.fixture
def department() -> Department:
    return Department.objects.create(code="doboku", name="都市建設課", name_en="Construction")


@pytest.fixture
def district() -> District:
    west, south, size = 140.85, 38.0, 0.1
    ring = [
        [west, south],
        [west + size, south],
        [west + size, south + size],
        [west, south + size],
        [west, south],
    ]
    return District.objects.create(
        code="D1", name="逢隈", boundary={"type": "Polygon", "coordinates": [ring]}
    )


@pytest.fixture
def pothole(department: Department, district: District) -> Category:
    return Category.objects.create(
        code="pothole",
        name="道路の穴",
        name_en="Pothole",
        description="道路の穴やひび割れ",
        group="道路",
        keywords="道路,穴",
        department=department,
        order=1,
    )


@pytest.fixture
def streetlight(department: Department, district: District) -> Category:
    category = Category.objects.create(
        code="streetlight", name="街灯", name_en="Streetlight", department=department, order=2
    )
    values = [
        {"key": "off", "name": "点かない", "name_en": "Not lit"},
        {"key": "blink", "name": "点滅する", "name_en": "Blinking"},
    ]
    CategoryAttribute.objects.create(
        category=category, code="pole", datatype="string", description="街灯の番号", required=True
    )
    CategoryAttribute.objects.create(
        category=category,
        code="state",
        datatype="singlevaluelist",
        description="様子",
        values=values,
    )
    CategoryAttribute.objects.create(
        category=category,
        code="times",
        datatype="multivaluelist",
        description="いつ",
        values=[{"key": "night", "name": "夜"}, {"key": "dawn", "name": "明け方"}],
    )
    CategoryAttribute.objects.create(
        category=category,
        code="asset_id",
        datatype="string",
        description="設備番号",
        required=True,
        automated="hidden_field",
    )
    CategoryAttribute.objects.create(
        category=category,
        code="inspected",
        datatype="string",
        description="点検結果",
        automated="server_set",
    )
    return category


@pytest.fixture
def app_key() -> tuple[Open311Client, str]:
    return open311_keys.issue_key(by=None, name="まちレポアプリ")


@pytest.fixture
def clerk() -> User:
    return User.objects.create_user(email="clerk@town.example.jp", is_staff=True)


def report(category: Category, **extra: Any) -> Report:
    values: dict[str, Any] = {"description": "穴があいています", "latitude": LAT, "longitude": LONG}
    values.update(extra)
    return services.submit_report(category=category, **values)


def created_days_ago(item: Report, days: float) -> Report:
    Report.objects.filter(pk=item.pk).update(created_at=timezone.now() - timedelta(days=days))
    item.refresh_from_db()
    return item


def post_request(client: Client, fmt: str = "json", **data: Any) -> Response:
    return client.post(f"{BASE}/requests.{fmt}", data)


# --- discovery -------------------------------------------------------------------------------------


def test_discovery_in_json_names_the_spec_this_endpoint_and_both_formats(client: Client) -> None:
    data = valid_json(client.get(f"{BASE}/discovery.json"), "discovery")
    endpoint = data["endpoints"][0]
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "production"
    assert data["key_service"]


def test_discovery_in_xml_has_the_specs_elements(client: Client) -> None:
    root = xml_root(client.get(f"{BASE}/discovery.xml"), "discovery")
    assert root.findtext("changeset")
    endpoint = root.find("endpoints/endpoint")
    assert endpoint is not None
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert [f.text for f in endpoint.findall("formats/format")] == [
        "text/xml",
        "application/json",
    ]


# --- services --------------------------------------------------------------------------------------


def test_services_list_the_categories_taken_today_with_metadata_when_they_ask_questions(
    client: Client, pothole: Category, streetlight: Category, department: Department
) -> None:
    Category.objects.create(
        code="old-campaign",
        name="終わったテーマ",
        department=department,
        campaign_ends_on=timezone.localdate() - timedelta(days=1),
    )
    data = valid_json(client.get(f"{BASE}/services.json"), "services")
    assert [(s["service_code"], s["metadata"]) for s in data] == [
        ("pothole", False),
        ("streetlight", True),
    ]
    assert data[0] == {
        "service_code": "pothole",
        "service_name": "道路の穴",
        "description": "道路の穴やひび割れ",
        "metadata": False,
        "type": "realtime",
        "keywords": "道路,穴",
        "group": "道路",
    }


def test_services_in_xml_have_the_specs_elements(client: Client, streetlight: Category) -> None:
    root = xml_root(client.get(f"{BASE}/services.xml"), "services")
    (service,) = root.findall("service")
    assert [child.tag for child in service] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert service.findtext("metadata") == "true"
    assert service.findtext("service_name") == "街灯"


def test_services_speak_english_to_an_english_client(client: Client, pothole: Category) -> None:
    data = valid_json(
        client.get(f"{BASE}/services.json", headers={"accept-language": "en"}), "services"
    )
    assert data[0]["service_name"] == "Pothole"
    item = report(pothole)
    (found,) = valid_json(
        client.get(f"{BASE}/requests/{item.pk}.json", headers={"accept-language": "en"}), "requests"
    )
    assert (found["service_name"], found["agency_responsible"]) == ("Pothole", "Construction")


def test_a_service_definition_gives_attributes_datatypes_values_and_the_automated_flag(
    client: Client, streetlight: Category
) -> None:
    data = valid_json(client.get(f"{BASE}/services/streetlight.json"), "service_definition")
    assert data["service_code"] == "streetlight"
    attributes = {a["code"]: a for a in data["attributes"]}
    assert [a["order"] for a in data["attributes"]] == [1, 2, 3, 4, 5]
    assert attributes["pole"]["required"] is True
    assert attributes["pole"]["datatype"] == "string"
    assert "values" not in attributes["pole"]
    assert "automated" not in attributes["pole"]
    assert attributes["state"]["values"] == [
        {"key": "off", "name": "点かない"},
        {"key": "blink", "name": "点滅する"},
    ]
    assert attributes["times"]["datatype"] == "multivaluelist"
    assert attributes["asset_id"]["automated"] == "hidden_field"
    assert attributes["asset_id"]["variable"] is True
    assert attributes["inspected"]["automated"] == "server_set"
    assert attributes["inspected"]["variable"] is False


def test_a_service_definition_in_xml_has_the_specs_elements(
    client: Client, streetlight: Category
) -> None:
    root = xml_root(client.get(f"{BASE}/services/streetlight.xml"), "service_definition")
    assert root.findtext("service_code") == "streetlight"
    attributes = root.findall("attributes/attribute")
    assert len(attributes) == 5
    state = attributes[1]
    for name in ("variable", "code", "datatype", "required", "datatype_description", "order"):
        assert state.find(name) is not None, name
    assert [v.findtext("key") for v in state.findall("values/value")] == ["off", "blink"]
    assert attributes[4].findtext("automated") == "server_set"
    assert attributes[4].findtext("variable") == "false"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_is_not_found(client: Client, fmt: str) -> None:
    response = client.get(f"{BASE}/services/nothing.{fmt}")
    errors = json_errors(response, 404) if fmt == "json" else xml_errors(response, 404)
    assert "nothing" in errors[0]


# --- POST requests, tokens, GET requests/{id} ------------------------------------------------------


def test_a_posted_request_round_trips_through_its_token_and_its_id(
    client: Client, streetlight: Category, app_key: tuple[Open311Client, str]
) -> None:
    app, key = app_key
    response = client.post(
        f"{BASE}/requests.json",
        {
            "api_key": key,
            "jurisdiction_id": "watari.miyagi.jp",
            "service_code": "streetlight",
            "lat": str(LAT),
            "long": str(LONG),
            "description": "街灯が点きません",
            "attribute[pole]": "A-12",
            "attribute[state]": "off",
            "attribute[times][]": ["night", "dawn"],
            "attribute[inspected]": "ok",  # server_set: never taken from outside
            "email": "hanako@example.jp",
            "first_name": "花子",
            "last_name": "亘理",
            "phone": "0223-00-0000",
            "media_url": "https://elsewhere.example/photo.jpg",
        },
    )
    assert response.status_code == 200
    (created,) = valid_json(response, "request_created")
    stored = Report.objects.get(pk=int(created["service_request_id"]))
    assert created["token"] == str(stored.token)
    assert stored.client == app
    assert stored.source == "まちレポアプリ"
    assert stored.attributes == {"pole": "A-12", "state": "off", "times": ["night", "dawn"]}
    assert stored.reporter_email == "hanako@example.jp"
    assert stored.reporter_name == "亘理 花子"
    assert stored.reporter_phone == "0223-00-0000"
    assert "elsewhere.example" not in stored.description

    (by_token,) = valid_json(client.get(f"{BASE}/tokens/{created['token']}.json"), "tokens")
    assert by_token == {
        "service_request_id": created["service_request_id"],
        "token": created["token"],
    }

    (found,) = valid_json(
        client.get(f"{BASE}/requests/{by_token['service_request_id']}.json"), "requests"
    )
    assert found["service_code"] == "streetlight"
    assert found["description"] == "街灯が点きません"
    assert found["status"] == "open"
    assert (found["lat"], found["long"]) == (LAT, LONG)
    assert found["requested_datetime"].endswith("+09:00")
    # Personal data never leaves through the public method.
    assert "hanako" not in json.dumps(found)


def test_a_request_posted_in_xml_is_answered_in_xml(
    client: Client, pothole: Category, app_key: tuple[Open311Client, str]
) -> None:
    response = post_request(
        client,
        "xml",
        api_key=app_key[1],
        service_code="pothole",
        address_string="役場の前の交差点",
        description="大きな穴",
    )
    assert response.status_code == 200
    request = xml_root(response, "service_requests").find("request")
    assert request is not None
    request_id, token = request.findtext("service_request_id"), request.findtext("token")
    assert request.find("service_notice") is not None
    assert request.find("account_id") is not None
    stored = Report.objects.get(pk=int(request_id or 0))
    assert stored.address_string == "役場の前の交差点"
    assert stored.latitude is None

    by_token = xml_root(client.get(f"{BASE}/tokens/{token}.xml"), "service_requests")
    assert by_token.findtext("request/service_request_id") == request_id
    found = xml_root(client.get(f"{BASE}/requests/{request_id}.xml"), "service_requests")
    assert found.findtext("request/address") == "役場の前の交差点"
    assert found.findtext("request/lat") == ""  # an empty element: no pin


def test_a_client_need_not_send_a_hidden_field_even_when_it_is_required(
    client: Client, streetlight: Category, app_key: tuple[Open311Client, str]
) -> None:
    response = post_request(
        client,
        api_key=app_key[1],
        service_code="streetlight",
        lat=LAT,
        long=LONG,
        description="点きません",
        **{"attribute[pole]": "B-3"},
    )
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "key",
    ["", "o311_0000000_nonsense", "not-a-key"],
    ids=["missing", "unknown", "malformed"],
)
def test_a_post_without_a_good_key_is_forbidden_and_files_nothing(
    client: Client, pothole: Category, fmt: str, key: str
) -> None:
    data: dict[str, Any] = {
        "service_code": "pothole",
        "lat": LAT,
        "long": LONG,
        "description": "穴",
    }
    if key:
        data["api_key"] = key
    response = post_request(client, fmt, **data)
    errors = json_errors(response, 403) if fmt == "json" else xml_errors(response, 403)
    assert "api_key" in errors[0]
    assert not Report.objects.exists()


def test_a_post_with_a_revoked_key_or_a_right_prefix_and_wrong_secret_is_forbidden(
    client: Client, pothole: Category, app_key: tuple[Open311Client, str]
) -> None:
    app, key = app_key
    data: dict[str, Any] = {
        "service_code": "pothole",
        "lat": LAT,
        "long": LONG,
        "description": "穴",
    }
    json_errors(
        post_request(client, api_key=key[:-1] + ("A" if key[-1] != "A" else "B"), **data), 403
    )
    open311_keys.revoke_key(app, by=None)
    assert json_errors(post_request(client, api_key=key, **data), 403) == [
        "このapi_keyは失効しています。"
    ]
    assert not Report.objects.exists()


def test_a_post_for_an_unknown_service_is_not_found(
    client: Client, pothole: Category, app_key: tuple[Open311Client, str]
) -> None:
    response = post_request(
        client, api_key=app_key[1], service_code="nothing", lat=LAT, long=LONG, description="穴"
    )
    json_errors(response, 404)


GOOD = {
    "service_code": "streetlight",
    "lat": str(LAT),
    "long": str(LONG),
    "description": "点かない",
}
ANSWERED = {"attribute[pole]": "A-1"}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"service_code": ""}, "service_codeを指定してください。"),
        ({"lat": "", "long": ""}, "場所を、latとlong、またはaddress_stringで指定してください。"),
        (
            {"lat": "", "long": "", "address_id": "123"},
            "address_idには対応していません。latとlong、またはaddress_stringで場所を指定してください。",
        ),
        ({"lat": "north"}, "latは数で指定してください。"),
        ({"long": "nan"}, "longは数で指定してください。"),
        ({"lat": ""}, "場所は緯度と経度の両方で指定してください。"),
        ({"lat": "95"}, "場所（緯度・経度）が正しくありません。"),
        ({"lat": "35.0"}, "その場所は町の外です。地図で町内の場所を選んでください。"),
        ({"description": "あ" * 4001}, "内容は4000文字以内にしてください。"),
        ({"description": "  "}, "どんな様子か、短く書いてください。"),
        ({"attribute[colour]": "red"}, "「colour」はこの種類の質問ではありません。"),
        ({"attribute[pole]": ""}, "「街灯の番号」に答えてください。"),
        ({"attribute[state]": "smoke"}, "「様子」の答えは選択肢から選んでください。"),
        ({"attribute[state][]": ["off", "blink"]}, "「様子」の答えは一つにしてください。"),
        ({"email": "not an address"}, "emailの形が正しくありません。"),
    ],
)
def test_a_bad_post_is_refused_with_the_reason_and_files_nothing(
    client: Client,
    streetlight: Category,
    app_key: tuple[Open311Client, str],
    changes: dict[str, Any],
    expected: str,
) -> None:
    data = {"api_key": app_key[1], **GOOD, **ANSWERED, **changes}
    assert expected in json_errors(post_request(client, **data), 400)
    assert not Report.objects.exists()


def test_a_bad_post_in_xml_lists_every_reason(
    client: Client, streetlight: Category, app_key: tuple[Open311Client, str]
) -> None:
    data = {**GOOD, "api_key": app_key[1], "description": "", "attribute[colour]": "red"}
    errors = xml_errors(post_request(client, "xml", **data), 400)
    assert "どんな様子か、短く書いてください。" in errors
    assert "「colour」はこの種類の質問ではありません。" in errors
    assert "「街灯の番号」に答えてください。" in errors


def test_a_description_of_exactly_4000_characters_is_taken(
    client: Client, pothole: Category, app_key: tuple[Open311Client, str]
) -> None:
    response = post_request(
        client,
        api_key=app_key[1],
        service_code="pothole",
        lat=LAT,
        long=LONG,
        description="あ" * 4000,
    )
    assert response.status_code == 200


def test_posts_are_limited_per_key_per_minute(
    client: Client, pothole: Category, settings: Any
) -> None:
    settings.REPORTS_OPEN311_POSTS_PER_MINUTE = 2
    _first, first_key = open311_keys.issue_key(by=None, name="A")
    _second, second_key = open311_keys.issue_key(by=None, name="B")
    data: dict[str, Any] = {
        "service_code": "pothole",
        "lat": LAT,
        "long": LONG,
        "description": "穴",
    }
    assert post_request(client, api_key=first_key, **data).status_code == 200
    assert post_request(client, api_key=first_key, **data).status_code == 200
    limited = post_request(client, api_key=first_key, **data)
    json_errors(limited, 429)
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert post_request(client, api_key=second_key, **data).status_code == 200
    assert Report.objects.count() == 3


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("request_id", ["999", "abc"])
def test_an_unknown_request_is_not_found(client: Client, fmt: str, request_id: str) -> None:
    response = client.get(f"{BASE}/requests/{request_id}.{fmt}")
    json_errors(response, 404) if fmt == "json" else xml_errors(response, 404)


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("token", ["0c7a4e3e-0000-4000-8000-000000000000", "not-a-uuid"])
def test_an_unknown_token_is_not_found(client: Client, fmt: str, token: str) -> None:
    response = client.get(f"{BASE}/tokens/{token}.{fmt}")
    json_errors(response, 404) if fmt == "json" else xml_errors(response, 404)


# --- GET requests ----------------------------------------------------------------------------------


def test_a_request_shows_its_status_last_public_note_department_and_first_public_photo(
    client: Client, pothole: Category, clerk: User, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    item = report(pothole)
    hidden_photo = ReportPhoto(report=item, width=1, height=1)
    hidden_photo.image.save("a.jpg", ContentFile(b"x"), save=False)
    hidden_photo.thumbnail.save("b.jpg", ContentFile(b"x"), save=False)
    hidden_photo.save()
    services.change_status(item, by=clerk, status=Status.FIXED, note="補修しました")
    ReportUpdate.objects.create(report=item, by_staff=True, note="業者A社に依頼", is_internal=True)

    (found,) = valid_json(client.get(f"{BASE}/requests/{item.pk}.json"), "requests")
    assert found["status"] == "closed"
    assert found["status_notes"] == "補修しました"
    assert found["agency_responsible"] == "都市建設課"
    assert found["media_url"] is None  # the only photo is not reviewed yet
    assert found["service_notice"] == "" and found["zipcode"] == ""
    assert found["expected_datetime"] is None
    assert found["updated_datetime"].endswith("+09:00")

    ReportPhoto.objects.filter(pk=hidden_photo.pk).update(is_public=True)
    (found,) = valid_json(client.get(f"{BASE}/requests/{item.pk}.json"), "requests")
    assert found["media_url"] == f"http://testserver/reports/photos/{hidden_photo.pk}/"


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (Status.RECEIVED, "open"),
        (Status.IN_PROGRESS, "open"),
        (Status.FIXED, "closed"),
        (Status.NOT_FIXABLE, "closed"),
        (Status.REFERRED, "closed"),
    ],
)
def test_statuses_map_to_open_and_closed(
    client: Client, pothole: Category, status: str, shown: str
) -> None:
    item = report(pothole)
    Report.objects.filter(pk=item.pk).update(status=status)
    (found,) = valid_json(client.get(f"{BASE}/requests/{item.pk}.json"), "requests")
    assert found["status"] == shown


def test_the_request_list_in_xml_has_the_specs_elements(client: Client, pothole: Category) -> None:
    item = report(pothole)
    root = xml_root(client.get(f"{BASE}/requests.xml"), "service_requests")
    (request,) = root.findall("request")
    assert [child.tag for child in request] == [
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ]
    assert request.findtext("service_request_id") == str(item.pk)
    assert float(request.findtext("lat") or 0) == LAT
    assert (request.findtext("requested_datetime") or "").endswith("+09:00")


def test_hidden_and_merged_reports_never_appear(
    client: Client, pothole: Category, app_key: tuple[Open311Client, str]
) -> None:
    shown = report(pothole)
    hidden = report(pothole)
    merged = report(pothole)
    Report.objects.filter(pk=hidden.pk).update(is_hidden=True)
    Report.objects.filter(pk=merged.pk).update(merged_into=shown)
    listed = valid_json(client.get(f"{BASE}/requests.json"), "requests")
    assert [r["service_request_id"] for r in listed] == [str(shown.pk)]
    ids = f"{shown.pk},{hidden.pk},{merged.pk}"
    listed = valid_json(client.get(f"{BASE}/requests.json?service_request_id={ids}"), "requests")
    assert [r["service_request_id"] for r in listed] == [str(shown.pk)]
    for gone in (hidden, merged):
        json_errors(client.get(f"{BASE}/requests/{gone.pk}.json"), 404)
        json_errors(client.get(f"{BASE}/tokens/{gone.token}.json"), 404)
    # Nor can an app comment on them.
    response = client.post(
        f"{BASE}/servicerequestupdates.json",
        {"api_key": app_key[1], "service_request_id": hidden.pk, "description": "まだ"},
    )
    json_errors(response, 404)


def test_by_default_the_list_holds_the_last_90_days_newest_first(
    client: Client, pothole: Category
) -> None:
    old = created_days_ago(report(pothole), 91)
    older = created_days_ago(report(pothole), 30)
    newest = report(pothole)
    listed = valid_json(client.get(f"{BASE}/requests.json"), "requests")
    assert [r["service_request_id"] for r in listed] == [str(newest.pk), str(older.pk)]
    # Ids override every other parameter, the 90 days included.
    listed = valid_json(
        client.get(f"{BASE}/requests.json?service_request_id={old.pk},x&status=open"), "requests"
    )
    assert [r["service_request_id"] for r in listed] == [str(old.pk)]


def test_the_list_holds_at_most_the_maximum(
    client: Client, pothole: Category, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(open311, "MAX_ITEMS", 2)
    items = [report(pothole) for _ in range(3)]
    listed = valid_json(client.get(f"{BASE}/requests.json"), "requests")
    assert [r["service_request_id"] for r in listed] == [str(items[2].pk), str(items[1].pk)]


def test_the_list_filters_by_service_code_status_and_dates(
    client: Client, pothole: Category, streetlight: Category, clerk: User
) -> None:
    hole = created_days_ago(report(pothole), 10)
    light = report(streetlight, attributes={"pole": "A-1", "asset_id": "L-9"})
    services.change_status(light, by=clerk, status=Status.FIXED, note="交換しました")

    def ids(query: str) -> list[str]:
        listed = valid_json(client.get(f"{BASE}/requests.json?{query}"), "requests")
        return [r["service_request_id"] for r in listed]

    assert ids("service_code=pothole") == [str(hole.pk)]
    assert ids("service_code=pothole,streetlight") == [str(light.pk), str(hole.pk)]
    assert ids("service_code=nothing") == []
    assert ids("status=open") == [str(hole.pk)]
    assert ids("status=closed") == [str(light.pk)]
    assert ids("status=open,closed") == [str(light.pk), str(hole.pk)]
    day = timezone.localtime(timezone.now() - timedelta(days=5)).isoformat(timespec="seconds")
    quoted = day.replace("+", "%2B")
    assert ids(f"start_date={quoted}") == [str(light.pk)]
    assert ids(f"end_date={quoted}") == [str(hole.pk)]
    # An unescaped "+" arrives as a space; the offset is still understood.
    assert ids(f"start_date={day}") == [str(light.pk)]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "start_date=2025-01-01T00:00:00%2B09:00&end_date=2025-04-02T00:00:00%2B09:00",
            "start_dateからend_dateまでは90日以内にしてください。",
        ),
        (
            "start_date=2025-03-01&end_date=2025-02-01",
            "start_dateはend_dateより前にしてください。",
        ),
        (
            "start_date=yesterday",
            "start_dateは日時（例: 2025-05-01T09:00:00+09:00）で指定してください。",
        ),
        ("status=pending", "statusはopenかclosedで指定してください。"),
    ],
)
def test_bad_list_parameters_are_refused(
    client: Client, fmt: str, query: str, expected: str
) -> None:
    response = client.get(f"{BASE}/requests.{fmt}?{query}")
    errors = json_errors(response, 400) if fmt == "json" else xml_errors(response, 400)
    assert errors == [expected]


def test_a_span_of_exactly_90_days_is_taken(client: Client) -> None:
    query = "start_date=2025-01-01T00:00:00%2B09:00&end_date=2025-04-01T00:00:00%2B09:00"
    assert client.get(f"{BASE}/requests.json?{query}").status_code == 200


# --- servicerequestupdates -------------------------------------------------------------------------


def test_updates_list_public_updates_with_the_status_as_of_each(
    client: Client, pothole: Category, clerk: User
) -> None:
    item = report(pothole)
    services.change_status(item, by=clerk, status=Status.IN_PROGRESS, note="確認に行きます")
    comment = services.add_comment(item, by=None, note="まだ危ないです")
    ReportUpdate.objects.create(report=item, by_staff=True, note="内部メモ", is_internal=True)
    services.change_status(item, by=clerk, status=Status.FIXED, note="補修しました")
    hidden = report(pothole)
    services.add_comment(hidden, by=None, note="見えないはず")
    Report.objects.filter(pk=hidden.pk).update(is_hidden=True)

    data = valid_json(client.get(f"{BASE}/servicerequestupdates.json"), "servicerequestupdates")
    assert [(u["description"], u["status"]) for u in data] == [
        ("確認に行きます", "open"),
        ("まだ危ないです", "open"),
        ("補修しました", "closed"),
    ]
    assert data[1]["update_id"] == str(comment.pk)
    assert data[1]["service_request_id"] == str(item.pk)
    assert data[1]["updated_datetime"].endswith("+09:00")


def test_updates_in_xml_have_the_extensions_elements(
    client: Client, pothole: Category, clerk: User
) -> None:
    item = report(pothole)
    services.change_status(item, by=clerk, status=Status.FIXED, note="補修しました")
    root = xml_root(client.get(f"{BASE}/servicerequestupdates.xml"), "service_requests_updates")
    (update,) = root.findall("request_update")
    assert [child.tag for child in update] == [
        "update_id",
        "service_request_id",
        "status",
        "updated_datetime",
        "description",
        "media_url",
    ]
    assert update.findtext("status") == "closed"


def test_updates_are_chosen_by_when_they_were_made(
    client: Client, pothole: Category, clerk: User
) -> None:
    item = created_days_ago(report(pothole), 200)  # an old report updated today still shows
    old = services.change_status(item, by=clerk, status=Status.IN_PROGRESS, note="古い")
    ReportUpdate.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=100))
    services.change_status(item, by=clerk, status=Status.FIXED, note="新しい")
    data = valid_json(client.get(f"{BASE}/servicerequestupdates.json"), "servicerequestupdates")
    assert [u["description"] for u in data] == ["新しい"]
    start = timezone.localtime(timezone.now() - timedelta(days=101)).date().isoformat()
    end = timezone.localtime(timezone.now() - timedelta(days=95)).date().isoformat()
    data = valid_json(
        client.get(f"{BASE}/servicerequestupdates.json?start_date={start}&end_date={end}"),
        "servicerequestupdates",
    )
    assert [u["description"] for u in data] == ["古い"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_updates_refuse_a_span_over_90_days(client: Client, fmt: str) -> None:
    response = client.get(
        f"{BASE}/servicerequestupdates.{fmt}?start_date=2025-01-01&end_date=2025-06-01"
    )
    json_errors(response, 400) if fmt == "json" else xml_errors(response, 400)


def post_update(client: Client, fmt: str = "json", **data: Any) -> Response:
    return client.post(f"{BASE}/servicerequestupdates.{fmt}", data)


def test_an_app_posts_a_comment_and_it_is_listed(
    client: Client, pothole: Category, app_key: tuple[Open311Client, str]
) -> None:
    item = report(pothole)
    response = post_update(
        client,
        api_key=app_key[1],
        service_request_id=item.pk,
        update_id="fms-77",
        status="OPEN",
        description="さらに広がっています",
        updated_datetime="2025-05-01T10:00:00+09:00",
        email="taro@example.jp",
        first_name="太郎",
        last_name="亘理",
    )
    (created,) = valid_json(response, "update_created")
    update = ReportUpdate.objects.get(pk=int(created["update_id"]))
    assert (update.report, update.note, update.by_staff, update.status) == (
        item,
        "さらに広がっています",
        False,
        "",
    )
    listed = valid_json(client.get(f"{BASE}/servicerequestupdates.json"), "servicerequestupdates")
    assert [u["update_id"] for u in listed] == [created["update_id"]]


def test_an_update_sent_again_with_its_update_id_is_made_once(
    client: Client, pothole: Category, app_key: tuple[Open311Client, str]
) -> None:
    item = report(pothole)
    sent: dict[str, Any] = {
        "api_key": app_key[1],
        "service_request_id": item.pk,
        "update_id": "fms-9",
    }
    (first,) = valid_json(
        post_update(client, **sent, description="広がっています"), "update_created"
    )
    (again,) = valid_json(
        post_update(client, **sent, description="広がっています"), "update_created"
    )
    assert again == first
    assert item.updates.count() == 1

    # Another app may use the same id for its own update.
    other_key = open311_keys.issue_key(by=None, name="別のアプリ")[1]
    (other,) = valid_json(
        post_update(client, **{**sent, "api_key": other_key}, description="見ました"),
        "update_created",
    )
    assert other != first and item.updates.count() == 2


def test_an_update_id_used_for_another_report_or_too_long_is_refused(
    client: Client, pothole: Category, app_key: tuple[Open311Client, str]
) -> None:
    first, second = report(pothole), report(pothole)
    post_update(
        client, api_key=app_key[1], service_request_id=first.pk, update_id="u1", description="a"
    )
    response = post_update(
        client, api_key=app_key[1], service_request_id=second.pk, update_id="u1", description="b"
    )
    assert response.status_code == 400
    assert "別の通報" in valid_json(response, "errors")[0]["description"]
    response = post_update(
        client,
        api_key=app_key[1],
        service_request_id=second.pk,
        update_id="x" * (open311.UPDATE_ID_MAX_LENGTH + 1),
        description="b",
    )
    assert response.status_code == 400
    assert not second.updates.exists()


def test_two_simultaneous_sends_of_one_update_make_one(
    client: Client,
    pothole: Category,
    app_key: tuple[Open311Client, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The other request's update lands between our look-up and our insert: the unique
    constraint refuses ours and the answer is theirs."""
    item = report(pothole)
    theirs = services.add_comment(
        item,
        by=None,
        note="先に届いた分",
        via=services.AppReference(app_key[0], "fms-race"),
    )
    looked_up: list[services.AppReference] = []

    def not_yet_there(via: services.AppReference) -> ReportUpdate | None:
        looked_up.append(via)
        return None if len(looked_up) <= 2 else ReportUpdate.objects.get(pk=theirs.pk)

    monkeypatch.setattr(open311, "earlier_update", not_yet_there)
    response = post_update(
        client,
        api_key=app_key[1],
        service_request_id=item.pk,
        update_id="fms-race",
        description="後から届いた分",
    )
    assert valid_json(response, "update_created") == [{"update_id": str(theirs.pk)}]
    assert item.updates.count() == 1


def test_an_app_reopens_a_fixed_report_but_cannot_close_an_open_one(
    client: Client, pothole: Category, clerk: User, app_key: tuple[Open311Client, str]
) -> None:
    fixed = report(pothole)
    services.change_status(fixed, by=clerk, status=Status.FIXED, note="補修しました")
    response = post_update(
        client,
        "xml",
        api_key=app_key[1],
        service_request_id=fixed.pk,
        status="OPEN",
        description="まだ穴があります",
    )
    root = xml_root(response, "service_request_updates")
    assert root.findtext("request_update/update_id")
    fixed.refresh_from_db()
    assert fixed.status == Status.IN_PROGRESS

    still_open = report(pothole)
    response = post_update(
        client,
        api_key=app_key[1],
        service_request_id=still_open.pk,
        status="CLOSED",
        description="直ったようです",
    )
    assert response.status_code == 200
    still_open.refresh_from_db()
    assert still_open.status == Status.RECEIVED


@pytest.mark.parametrize(
    ("changes", "status", "expected"),
    [
        ({"api_key": ""}, 403, "api_keyがありません。町が発行したAPIキーを送ってください。"),
        ({"api_key": "o311_0000000_x"}, 403, "api_keyが正しくありません。"),
        ({"service_request_id": ""}, 400, "service_request_idを指定してください。"),
        ({"service_request_id": "999999"}, 404, "service_request_id「999999」はありません。"),
        ({"description": " "}, 400, "コメントか写真を送ってください。"),
        ({"status": "MAYBE"}, 400, "statusはOPENかCLOSEDで指定してください。"),
        (
            {"updated_datetime": "last tuesday"},
            400,
            "updated_datetimeは日時（例: 2025-05-01T09:00:00+09:00）で指定してください。",
        ),
    ],
)
def test_a_bad_update_is_refused_and_adds_nothing(
    client: Client,
    pothole: Category,
    app_key: tuple[Open311Client, str],
    changes: dict[str, str],
    status: int,
    expected: str,
) -> None:
    item = report(pothole)
    data = {"api_key": app_key[1], "service_request_id": str(item.pk), "description": "まだ"}
    data.update(changes)
    assert json_errors(post_update(client, **data), status) == [expected]
    assert not ReportUpdate.objects.exists()


# --- Formats, methods, unknown paths ---------------------------------------------------------------


def test_an_unknown_format_is_not_found_answered_in_xml(client: Client) -> None:
    assert xml_errors(client.get(f"{BASE}/services.csv"), 404) == [
        "形式は .xml か .json にしてください。"
    ]


@pytest.mark.parametrize("url", [f"{BASE}/nothing.json", f"{BASE}/services", f"{BASE}/"])
def test_anything_else_under_the_endpoint_is_the_specs_404(client: Client, url: str) -> None:
    response = client.get(url)
    json_errors(response, 404) if url.endswith(".json") else xml_errors(response, 404)


def test_a_method_that_does_not_take_posts_says_so(client: Client) -> None:
    response = client.post(f"{BASE}/services.json")
    json_errors(response, 405)
    assert response["Allow"] == "GET"
