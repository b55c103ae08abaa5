"""The public places API: its OpenAPI contract and its answers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client

from yakuba.platform.places.models import PlaceKind

from .factories import DistrictFactory, PlaceFactory, square

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    """The schema as clients see it at /api/openapi.json (JSON: status codes are strings)."""
    from yakuba.config.api import api

    return json.loads(json.dumps(api.get_openapi_schema(), cls=DjangoJSONEncoder))


def resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def check(value: Any, schema: dict[str, Any], spec: dict[str, Any], where: str = "$") -> None:
    """A small JSON Schema check for the subset Django Ninja emits (no jsonschema dependency)."""
    schema = resolve(schema, spec)
    if "anyOf" in schema:
        failures = []
        for option in schema["anyOf"]:
            try:
                check(value, option, spec, where)
                return
            except AssertionError as error:
                failures.append(str(error))
        raise AssertionError(f"{where}: matches no anyOf option: {failures}")
    kind = schema.get("type")
    types: dict[str, Any] = {
        "object": dict,
        "array": list,
        "string": str,
        "integer": int,
        "number": (int, float),
        "boolean": bool,
        "null": type(None),
    }
    if kind:
        assert isinstance(value, types[kind]), f"{where}: {value!r} is not {kind}"
        if kind in {"integer", "number"}:
            assert not isinstance(value, bool), f"{where}: boolean is not {kind}"
    if "const" in schema:
        assert value == schema["const"], f"{where}: {value!r} != {schema['const']!r}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if kind == "object":
        for name in schema.get("required", []):
            assert name in value, f"{where}: missing {name}"
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                check(value[name], sub, spec, f"{where}.{name}")
    if kind == "array" and "items" in schema:
        for index, item in enumerate(value):
            check(item, schema["items"], spec, f"{where}[{index}]")


def response_schema(spec: dict[str, Any], path: str, status: str = "200") -> dict[str, Any]:
    operation = spec["paths"][path]["get"]
    return operation["responses"][status]["content"]["application/json"]["schema"]


EXPECTED = {
    "/api/places/": ("200",),
    "/api/places/geojson": ("200",),
    "/api/places/districts": ("200",),
    "/api/places/districts/lookup": ("200", "404"),
    "/api/places/{code}": ("200", "404"),
}


@pytest.mark.parametrize(("path", "statuses"), EXPECTED.items())
def test_openapi_schema_has_the_path_and_its_response_schemas(
    openapi: dict[str, Any], path: str, statuses: tuple[str, ...]
) -> None:
    assert path in openapi["paths"], sorted(openapi["paths"])
    for status in statuses:
        assert response_schema(openapi, path, status)


def test_openapi_json_is_served(client: Client) -> None:
    body = client.get("/api/openapi.json").json()
    assert set(EXPECTED) <= set(body["paths"])


def test_list_validates_and_hides_non_public_places(
    client: Client, openapi: dict[str, Any]
) -> None:
    district = DistrictFactory(code="D1")
    PlaceFactory(code="A", district=district)
    PlaceFactory(code="B", is_public=False)
    body = client.get("/api/places/").json()
    check(body, response_schema(openapi, "/api/places/"), openapi)
    assert [item["code"] for item in body["items"]] == ["A"]
    assert body["items"][0]["district"]["code"] == "D1"
    assert body["count"] == 1


def test_list_filters_by_kind_district_and_text(client: Client) -> None:
    north = DistrictFactory(code="N")
    PlaceFactory(code="S1", kind=PlaceKind.SHELTER, name="北避難所", district=north)
    PlaceFactory(code="S2", kind=PlaceKind.SHELTER, name="南避難所")
    PlaceFactory(code="F1", kind=PlaceKind.FACILITY, name="北会館", district=north)

    def codes(**params: str) -> list[str]:
        return sorted(i["code"] for i in client.get("/api/places/", params).json()["items"])

    assert codes(kind="shelter") == ["S1", "S2"]
    assert codes(district="N") == ["F1", "S1"]
    assert codes(q="北", kind="shelter") == ["S1"]


def test_list_paginates(client: Client) -> None:
    for _ in range(7):
        PlaceFactory()
    body = client.get("/api/places/", {"per_page": 3, "page": 3}).json()
    assert (body["count"], body["pages"], len(body["items"])) == (7, 3, 1)


@pytest.mark.parametrize(
    "params", [{"kind": "castle"}, {"page": "0"}, {"per_page": "1000"}, {"page": "x"}]
)
def test_list_rejects_bad_parameters_with_422(client: Client, params: dict[str, str]) -> None:
    assert client.get("/api/places/", params).status_code == 422


def test_detail_validates(client: Client, openapi: dict[str, Any]) -> None:
    PlaceFactory(code="A-1", phone="0223-34-1111", capacity=None)
    response = client.get("/api/places/A-1")
    assert response.status_code == 200
    check(response.json(), response_schema(openapi, "/api/places/{code}"), openapi)
    assert response.json()["phone"] == "0223-34-1111"


def test_detail_of_non_public_or_unknown_place_is_404(
    client: Client, openapi: dict[str, Any]
) -> None:
    PlaceFactory(code="HIDDEN", is_public=False)
    for code in ("HIDDEN", "NOPE"):
        response = client.get(f"/api/places/{code}")
        assert response.status_code == 404
        check(response.json(), response_schema(openapi, "/api/places/{code}", "404"), openapi)


def test_geojson_validates(client: Client, openapi: dict[str, Any]) -> None:
    PlaceFactory(code="A", kind=PlaceKind.AED, latitude=38.1, longitude=140.9)
    PlaceFactory(code="F", kind=PlaceKind.FACILITY)
    body = client.get("/api/places/geojson", {"kind": "aed"}).json()
    check(body, response_schema(openapi, "/api/places/geojson"), openapi)
    assert [f["id"] for f in body["features"]] == ["A"]
    assert body["features"][0]["geometry"]["coordinates"] == [140.9, 38.1]


def test_districts_validate(client: Client, openapi: dict[str, Any]) -> None:
    DistrictFactory(code="D2", order=2)
    DistrictFactory(code="D1", order=1)
    body = client.get("/api/places/districts").json()
    check(body, response_schema(openapi, "/api/places/districts"), openapi)
    assert [d["code"] for d in body] == ["D1", "D2"]


def test_lookup_finds_the_district(client: Client, openapi: dict[str, Any]) -> None:
    DistrictFactory(code="IN", boundary=square(140.0, 38.0))
    response = client.get("/api/places/districts/lookup", {"lat": "38.005", "lon": "140.005"})
    assert response.status_code == 200
    check(response.json(), response_schema(openapi, "/api/places/districts/lookup"), openapi)
    assert response.json()["code"] == "IN"


def test_lookup_outside_every_district_is_404_with_a_message(
    client: Client, openapi: dict[str, Any]
) -> None:
    DistrictFactory(boundary=square(140.0, 38.0))
    response = client.get(
        "/api/places/districts/lookup", {"lat": "35", "lon": "139"}, HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert response.status_code == 404
    check(response.json(), response_schema(openapi, "/api/places/districts/lookup", "404"), openapi)
    assert response.json()["detail"] == "その地点はどの行政区にも含まれていません。"


@pytest.mark.parametrize(
    "params",
    [
        {"lat": "abc", "lon": "140"},
        {"lat": "38", "lon": ""},
        {"lat": "91", "lon": "140"},
        {"lat": "38", "lon": "-181"},
        {"lat": "nan", "lon": "140"},
        {"lat": "38"},
    ],
)
def test_lookup_with_bad_numbers_is_422(client: Client, params: dict[str, str]) -> None:
    assert client.get("/api/places/districts/lookup", params).status_code == 422


def test_contract_check_rejects_a_response_of_the_wrong_shape(openapi: dict[str, Any]) -> None:
    """Guards the checker above: it must fail on a missing field and on a wrong type."""
    schema = response_schema(openapi, "/api/places/districts/lookup")
    good = {"code": "D", "name": "区", "name_kana": "", "name_en": "", "order": 1}
    check(good, schema, openapi)
    with pytest.raises(AssertionError):
        check({k: v for k, v in good.items() if k != "name"}, schema, openapi)
    with pytest.raises(AssertionError):
        check({**good, "order": "1"}, schema, openapi)
