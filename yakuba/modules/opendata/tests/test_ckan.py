"""The CKAN-compatible Action API at /api/3/action/: every action's envelope and keys as CKAN 2.9/2.10
answers them, paging and incremental filters as ckanext-harvest sends them, CKAN's errors, and a
harvest run written the way ckanext-harvest's CKAN harvester does it."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from yakuba.modules.opendata import ckan
from yakuba.modules.opendata.models import Dataset, Licence, Resource
from yakuba.modules.opendata.tests.factories import (
    CSV_CONTENT,
    DatasetFactory,
    GroupFactory,
    ResourceFactory,
    TagFactory,
)
from yakuba.platform.accounts.models import Department
from yakuba.platform.accounts.tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db

BASE = "/api/3/action"
# CKAN's timestamps: UTC without an offset, microseconds when there are any.
CKAN_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$")
PACKAGE_KEYS = {
    "id",
    "name",
    "title",
    "notes",
    "url",
    "version",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "license_id",
    "license_title",
    "license_url",
    "isopen",
    "metadata_created",
    "metadata_modified",
    "state",
    "private",
    "type",
    "creator_user_id",
    "owner_org",
    "organization",
    "groups",
    "tags",
    "num_tags",
    "resources",
    "num_resources",
    "extras",
    "relationships_as_object",
    "relationships_as_subject",
}
RESOURCE_KEYS = {
    "id",
    "package_id",
    "name",
    "description",
    "format",
    "mimetype",
    "mimetype_inner",
    "url",
    "url_type",
    "size",
    "hash",
    "hash_algorithm",
    "created",
    "last_modified",
    "metadata_modified",
    "position",
    "state",
    "resource_type",
    "cache_url",
    "datastore_active",
}
ORGANIZATION_KEYS = {
    "id",
    "name",
    "title",
    "display_name",
    "description",
    "image_url",
    "image_display_url",
    "created",
    "is_organization",
    "approval_status",
    "state",
    "type",
}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def get(client: Client, action: str, **params: Any) -> tuple[int, Any]:
    response = client.get(f"{BASE}/{action}", params)
    assert response["Content-Type"] == "application/json;charset=utf-8"
    return response.status_code, json.loads(response.content)


def result(client: Client, action: str, **params: Any) -> Any:
    status, body = get(client, action, **params)
    assert status == 200, body
    assert body["success"] is True
    return body["result"]


def error(client: Client, action: str, **params: Any) -> tuple[int, dict[str, Any]]:
    status, body = get(client, action, **params)
    assert set(body) == {"help", "success", "error"}
    assert body["success"] is False
    return status, body["error"]


@pytest.fixture
def catalogue() -> dict[str, Any]:
    """A standard dataset with two files, a group and BODIK's tags; a tombstone; a draft."""
    somu = DepartmentFactory.create(code="somu", name="総務課")
    bosai = GroupFactory.create(name="bosai", title="防災", description="災害への備え")
    tags = [TagFactory.create(name="自治体標準ODS"), TagFactory.create(name="AED設置箇所一覧")]
    aed = DatasetFactory.create(
        name="aed",
        title="AED設置箇所一覧",
        description="町内のAED",
        department=somu,
        groups=[bosai],
        tags=tags,
        standard="aed_locations",
        spatial="宮城県亘理町",
        contact_name="総務課 防災係",
        contact_email="bosai@example.jp",
    )
    csv = ResourceFactory.create(dataset=aed, name="AED一覧（CSV）")
    ResourceFactory.create(dataset=aed, name="AED地図", format=Resource.Format.GEOJSON, position=1)
    ResourceFactory.create(dataset=aed, name="まだ無いファイル", content=False, position=2)
    gone = DatasetFactory.create(
        name="old-list", title="古い一覧", state=Dataset.State.DELETED, deletion_reason="統合"
    )
    ResourceFactory.create(dataset=gone)
    draft = DatasetFactory.create(name="draft", title="下書き", state=Dataset.State.DRAFT)
    return {"aed": aed, "csv": csv, "gone": gone, "draft": draft, "somu": somu, "bosai": bosai}


# --- Envelope -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("status_show", {}),
        ("package_list", {}),
        ("package_show", {"id": "aed"}),
        ("package_search", {"q": "AED"}),
        ("current_package_list_with_resources", {}),
        ("organization_list", {}),
        ("organization_show", {"id": "somu"}),
        ("group_list", {}),
        ("group_show", {"id": "bosai"}),
        ("tag_list", {}),
        ("help_show", {"name": "package_search"}),
    ],
)
def test_every_action_answers_in_ckans_envelope(
    client: Client, catalogue: dict[str, Any], action: str, params: dict[str, str]
) -> None:
    status, body = get(client, action, **params)

    assert status == 200
    assert list(body) == ["help", "success", "result"]
    assert body["help"] == f"http://testserver/api/3/action/help_show?name={action}"
    assert body["success"] is True


def test_resource_show_answers_in_ckans_envelope(client: Client, catalogue: dict[str, Any]) -> None:
    shown = result(client, "resource_show", id=str(catalogue["csv"].pk))

    assert set(shown) == RESOURCE_KEYS
    assert shown["id"] == str(catalogue["csv"].pk)


def test_the_api_is_open_to_web_clients(client: Client) -> None:
    response = client.get(f"{BASE}/status_show")

    assert response["Access-Control-Allow-Origin"] == "*"


def test_status_show_says_which_ckan_it_answers_as(client: Client) -> None:
    status = result(client, "status_show")

    assert status["ckan_version"] == ckan.CKAN_VERSION
    assert status["site_url"] == "http://testserver/"
    assert status["locale_default"] == "ja"
    assert status["extensions"] == []


# --- package_show -------------------------------------------------------------------------------


def test_package_show_has_ckans_keys(client: Client, catalogue: dict[str, Any]) -> None:
    aed = catalogue["aed"]

    package = result(client, "package_show", id=str(aed.pk))

    assert set(package) == PACKAGE_KEYS
    assert package["id"] == str(aed.pk)
    assert package["name"] == "aed"
    assert package["notes"] == "町内のAED"
    assert package["state"] == "active"
    assert package["type"] == "dataset"
    assert package["private"] is False
    assert package["license_id"] == "CC-BY-4.0"
    assert package["license_url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert package["url"] == "http://testserver/opendata/datasets/aed/"
    assert package["maintainer_email"] == "bosai@example.jp"
    assert CKAN_TIME.match(package["metadata_created"])
    assert CKAN_TIME.match(package["metadata_modified"])
    assert (
        package["metadata_modified"]
        == aed.modified_at.astimezone(UTC).replace(tzinfo=None).isoformat()
    )

    assert set(package["organization"]) == ORGANIZATION_KEYS
    assert package["organization"]["name"] == "somu"
    assert package["organization"]["title"] == "総務課"
    assert package["owner_org"] == package["organization"]["id"]

    assert package["groups"] == [
        {
            "id": package["groups"][0]["id"],
            "name": "bosai",
            "title": "防災",
            "display_name": "防災",
            "description": "災害への備え",
            "image_display_url": "",
        }
    ]
    assert {tag["name"] for tag in package["tags"]} == {"自治体標準ODS", "AED設置箇所一覧"}
    assert all(
        set(tag) == {"id", "name", "display_name", "state", "vocabulary_id"}
        for tag in package["tags"]
    )
    assert package["num_tags"] == 2


def test_package_show_lists_the_published_files_with_their_download_address(
    client: Client, catalogue: dict[str, Any]
) -> None:
    csv = catalogue["csv"]

    resources = result(client, "package_show", id="aed")["resources"]

    assert [resource["name"] for resource in resources] == ["AED一覧（CSV）", "AED地図"]
    assert [resource["position"] for resource in resources] == [0, 1]
    first = resources[0]
    assert set(first) == RESOURCE_KEYS
    assert first["package_id"] == str(catalogue["aed"].pk)
    assert first["url"] == f"http://testserver/opendata/files/{csv.pk}/"
    assert first["format"] == "CSV"
    assert first["mimetype"] == "text/csv"
    assert first["size"] == len(CSV_CONTENT)
    assert first["hash"] == hashlib.sha256(CSV_CONTENT).hexdigest()
    assert CKAN_TIME.match(first["last_modified"])
    assert resources[1]["mimetype"] == "application/geo+json"


def test_package_show_puts_the_rest_of_the_metadata_in_extras(
    client: Client, catalogue: dict[str, Any]
) -> None:
    extras = result(client, "package_show", id="aed")["extras"]

    assert all(set(extra) == {"key", "value"} for extra in extras)
    assert [extra["key"] for extra in extras] == sorted(extra["key"] for extra in extras)
    values = {extra["key"]: extra["value"] for extra in extras}
    assert values["standard"] == "aed_locations"
    assert values["spatial_text"] == "宮城県亘理町"
    assert values["contact_name"] == "総務課 防災係"
    assert values["frequency"] == "irregular"
    assert "spatial" not in values  # ckanext-spatial would read it as a GeoJSON geometry


def test_package_show_finds_a_dataset_by_name_or_id(
    client: Client, catalogue: dict[str, Any]
) -> None:
    by_name = result(client, "package_show", id="aed")
    by_id = result(client, "package_show", id=by_name["id"])
    by_name_or_id = result(client, "package_show", name_or_id="aed")

    assert by_name == by_id == by_name_or_id


def test_package_show_of_a_deleted_dataset_is_its_tombstone(
    client: Client, catalogue: dict[str, Any]
) -> None:
    package = result(client, "package_show", id="old-list")

    assert package["state"] == "deleted"
    assert package["resources"] == []
    assert package["num_resources"] == 0
    assert {"key": "deletion_reason", "value": "統合"} in package["extras"]


def test_package_show_of_an_unknown_dataset_is_not_found(client: Client) -> None:
    status, body = get(client, "package_show", id="no-such-dataset")

    assert status == 404
    assert body == {
        "help": "http://testserver/api/3/action/help_show?name=package_show",
        "success": False,
        "error": {"__type": "Not Found Error", "message": "見つかりません"},
    }


def test_package_show_of_a_draft_is_not_authorized(
    client: Client, catalogue: dict[str, Any]
) -> None:
    status, failure = error(client, "package_show", id="draft")

    assert status == 403
    assert failure["__type"] == "Authorization Error"
    assert failure["message"].startswith("アクセスが拒否されました: ")


def test_package_show_without_an_id_is_a_validation_error(client: Client) -> None:
    status, failure = error(client, "package_show")

    assert status == 409
    assert failure == {"__type": "Validation Error", "name_or_id": ["値がありません。"]}


# --- Errors and request data -----------------------------------------------------------------


def test_an_unknown_action_is_a_bad_request_as_in_ckan(client: Client) -> None:
    response = client.get(f"{BASE}/package_delete")

    assert response.status_code == 400
    message = json.loads(response.content)
    assert isinstance(message, str)
    assert message == "不正なリクエスト - アクション名が不明です: package_delete"


def test_other_methods_are_not_allowed(client: Client) -> None:
    response = client.delete(f"{BASE}/package_list")

    assert response.status_code == 405


def test_actions_take_a_json_body_by_post(client: Client, catalogue: dict[str, Any]) -> None:
    response = client.post(
        f"{BASE}/package_search",
        data=json.dumps({"fq": "tags:自治体標準ODS", "facet.field": ["groups"], "rows": 5}),
        content_type="application/json",
    )

    body = json.loads(response.content)
    assert response.status_code == 200
    assert body["success"] is True
    assert [package["name"] for package in body["result"]["results"]] == ["aed"]
    assert body["result"]["facets"] == {"groups": {"bosai": 1}}


def test_fq_list_terms_must_all_hold(client: Client, catalogue: dict[str, Any]) -> None:
    DatasetFactory.create(name="plain")

    response = client.post(
        f"{BASE}/package_search",
        data=json.dumps({"fq_list": ["organization:somu OR name:plain", "groups:bosai"]}),
        content_type="application/json",
    )

    assert [package["name"] for package in json.loads(response.content)["result"]["results"]] == [
        "aed"
    ]


def test_actions_take_a_form_by_post(client: Client, catalogue: dict[str, Any]) -> None:
    response = client.post(f"{BASE}/package_show", {"id": "aed"})

    assert json.loads(response.content)["result"]["name"] == "aed"


def test_a_body_that_is_not_json_is_a_bad_request(client: Client) -> None:
    response = client.post(
        f"{BASE}/package_search", data="{rows: 1", content_type="application/json"
    )

    assert response.status_code == 400
    assert json.loads(response.content).startswith("不正なリクエスト - ")


def test_a_json_body_that_is_not_an_object_is_a_bad_request(client: Client) -> None:
    response = client.post(f"{BASE}/package_search", data="[1]", content_type="application/json")

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"rows": "many"}, "rows"),
        ({"start": "-1"}, "start"),
        ({"sort": "popularity desc"}, "sort"),
        ({"fq": "author:someone"}, "fq"),
        ({"fq": "organization:somu)"}, "fq"),
        ({"fq": "(organization:somu"}, "fq"),
        ({"fq": "metadata_modified:[yesterday TO *]"}, "fq"),
        ({"fq": "metadata_modified:2026-01-01"}, "fq"),
        ({"fq": 'organization:"somu'}, "fq"),
        ({"include_deleted": "perhaps"}, "include_deleted"),
        ({"facet.field": "[groups"}, "facet.field"),
    ],
)
def test_bad_search_parameters_are_validation_errors(
    client: Client, params: dict[str, str], field: str
) -> None:
    status, failure = error(client, "package_search", **params)

    assert status == 409
    assert failure["__type"] == "Validation Error"
    assert list(failure) == ["__type", field]
    assert isinstance(failure[field], list) and failure[field]


# --- package_search -----------------------------------------------------------------------------


def _many_datasets(
    count: int, department: Department, *, modified: datetime | None = None
) -> list[Dataset]:
    """`count` public datasets, set-000 last modified at `modified` (default now), each next
    one a minute earlier."""
    now = modified or timezone.now()
    return Dataset.objects.bulk_create(
        Dataset(
            name=f"set-{number:03d}",
            title=f"データ{number}",
            department=department,
            state=Dataset.State.PUBLISHED,
            modified_at=now - timedelta(minutes=number),
        )
        for number in range(count)
    )


def test_paging_by_id_covers_every_dataset_once_in_id_order(client: Client) -> None:
    created = _many_datasets(230, DepartmentFactory.create())

    seen: list[str] = []
    start = 0
    while True:
        page = result(client, "package_search", rows=100, start=start, sort="id asc")
        assert page["count"] == 230
        if not page["results"]:
            break
        seen += [package["id"] for package in page["results"]]
        start += 100

    assert len(seen) == 230
    assert seen == sorted(str(dataset.pk) for dataset in created)


def test_rows_are_capped_at_the_maximum(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    _many_datasets(5, DepartmentFactory.create())
    monkeypatch.setattr(ckan, "ROWS_MAX", 3)

    page = result(client, "package_search", rows=5000)

    assert page["count"] == 5
    assert len(page["results"]) == 3


def test_search_defaults_to_ten_rows_sorted_by_score_then_newest(client: Client) -> None:
    _many_datasets(12, DepartmentFactory.create())

    page = result(client, "package_search")

    assert page["sort"] == "score desc, metadata_modified desc"
    assert [package["name"] for package in page["results"]] == [
        f"set-{number:03d}" for number in range(10)
    ]
    assert page["facets"] == {} and page["search_facets"] == {}


def test_incremental_harvest_filter_finds_what_changed_since(client: Client) -> None:
    now = timezone.now()
    DatasetFactory.create(name="old", modified_at=now - timedelta(days=3))
    DatasetFactory.create(name="recent", modified_at=now - timedelta(hours=1))
    DatasetFactory.create(name="newest", modified_at=now)
    # ckanext-harvest: (gather_started - 1 hour).isoformat() + "Z", naive UTC with microseconds.
    since = (now - timedelta(hours=2)).astimezone(UTC).replace(tzinfo=None).isoformat()

    page = result(client, "package_search", fq=f"metadata_modified:[{since}Z TO *]", sort="id asc")
    assert {package["name"] for package in page["results"]} == {"recent", "newest"}

    until = (now - timedelta(minutes=30)).astimezone(UTC).isoformat()
    page = result(client, "package_search", fq=f"metadata_modified:[{since}Z TO {until}]")
    assert [package["name"] for package in page["results"]] == ["recent"]


@pytest.mark.parametrize(
    ("fq", "expected"),
    [
        ("organization:somu", {"aed"}),
        ("groups:bosai", {"aed"}),
        ("tags:自治体標準ODS", {"aed"}),
        ('tags:"自治体標準ODS"', {"aed"}),
        ("res_format:GeoJSON", {"aed"}),
        ("res_format:XLSX", set()),
        ("name:plain", {"plain"}),
        ("license_id:CC0-1.0", {"plain"}),
        ("-organization:somu", {"plain"}),
        ("+organization:somu +groups:bosai", {"aed"}),
        ("organization:somu AND groups:nothing", set()),
        ("organization:somu OR organization:chomin", {"aed", "plain"}),
        ("organization:(somu OR chomin)", {"aed", "plain"}),
        ("(organization:somu OR name:plain) tags:自治体標準ODS", {"aed"}),
        ("NOT name:aed", {"plain"}),
        ("*:*", {"aed", "plain"}),
        ("type:dataset", {"aed", "plain"}),
        ("state:active", {"aed", "plain"}),
        ("metadata_created:[* TO *]", {"aed", "plain"}),
        ("metadata_created:{* TO 2000-01-01}", set()),
    ],
)
def test_filter_queries_in_solr_syntax(
    client: Client, catalogue: dict[str, Any], fq: str, expected: set[str]
) -> None:
    DatasetFactory.create(name="plain", licence=Licence.CC0)

    page = result(client, "package_search", fq=fq, rows=100)

    assert {package["name"] for package in page["results"]} == expected


def test_filter_by_id_and_owner_org(client: Client, catalogue: dict[str, Any]) -> None:
    aed = result(client, "package_show", id="aed")

    by_id = result(client, "package_search", fq=f"id:{aed['id']}")
    by_owner = result(client, "package_search", fq=f"owner_org:{aed['owner_org']}")

    assert [package["name"] for package in by_id["results"]] == ["aed"]
    assert [package["name"] for package in by_owner["results"]] == ["aed"]


def test_a_q_with_a_field_is_read_as_a_filter(client: Client, catalogue: dict[str, Any]) -> None:
    page = result(client, "package_search", q="tags:自治体標準ODS")

    assert [package["name"] for package in page["results"]] == ["aed"]


def test_words_match_in_japanese_either_kana(client: Client) -> None:
    DatasetFactory.create(name="shelters", title="指定避難所（ヒナンジョ）一覧")

    page = result(client, "package_search", q="ひなんじょ")

    assert [package["name"] for package in page["results"]] == ["shelters"]


def test_tombstones_are_searched_only_with_include_deleted(
    client: Client, catalogue: dict[str, Any]
) -> None:
    without = result(client, "package_search", rows=100)
    with_deleted = result(client, "package_search", rows=100, include_deleted="true")

    assert {package["name"] for package in without["results"]} == {"aed"}
    assert {package["name"]: package["state"] for package in with_deleted["results"]} == {
        "aed": "active",
        "old-list": "deleted",
    }


def test_facets_as_ckan_returns_them(client: Client, catalogue: dict[str, Any]) -> None:
    page = result(
        client,
        "package_search",
        **{"facet.field": json.dumps(["organization", "res_format", "tags"]), "facet.limit": "1"},
    )

    assert page["facets"]["organization"] == {"somu": 1}
    assert page["facets"]["res_format"] in ({"CSV": 1}, {"GeoJSON": 1})
    assert len(page["facets"]["tags"]) == 1
    assert page["search_facets"]["organization"] == {
        "title": "organization",
        "items": [{"name": "somu", "display_name": "総務課", "count": 1}],
    }


def test_facet_false_leaves_facets_out(client: Client, catalogue: dict[str, Any]) -> None:
    page = result(client, "package_search", facet="false", **{"facet.field": '["tags"]'})

    assert page["facets"] == {}


def test_a_search_page_is_read_in_a_fixed_number_of_queries(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    group, tag = GroupFactory.create(), TagFactory.create()
    for _number in range(20):
        ResourceFactory.create(dataset=DatasetFactory.create(groups=[group], tags=[tag]))

    with django_assert_max_num_queries(15):
        page = result(client, "package_search", rows=100)

    assert len(page["results"]) == 20


# --- Lists and the other actions ----------------------------------------------------------------


def test_package_list_names_public_datasets(client: Client, catalogue: dict[str, Any]) -> None:
    DatasetFactory.create(name="b-plain")

    assert result(client, "package_list") == ["aed", "b-plain"]
    assert result(client, "package_list", limit=1, offset=1) == ["b-plain"]


def test_current_package_list_with_resources_is_newest_first(client: Client) -> None:
    now = timezone.now()
    ResourceFactory.create(
        dataset=DatasetFactory.create(name="older", modified_at=now - timedelta(days=1))
    )
    DatasetFactory.create(name="newer", modified_at=now)

    packages = result(client, "current_package_list_with_resources")
    second_page = result(client, "current_package_list_with_resources", limit=1, offset=1)

    assert [package["name"] for package in packages] == ["newer", "older"]
    assert packages[1]["num_resources"] == 1
    assert [package["name"] for package in second_page] == ["older"]


def test_organization_list_and_show(client: Client, catalogue: dict[str, Any]) -> None:
    DatasetFactory.create(name="plain")  # 町民生活課 (chomin)

    assert result(client, "organization_list") == ["chomin", "somu"]
    assert result(client, "organization_list", sort="package_count desc", limit=1) in (
        ["chomin"],
        ["somu"],
    )
    listed = result(client, "organization_list", all_fields="true")
    somu = next(entry for entry in listed if entry["name"] == "somu")
    assert set(somu) == ORGANIZATION_KEYS | {"package_count", "num_followers"}
    assert somu["package_count"] == 1

    shown = result(client, "organization_show", id=somu["id"], include_datasets="true")
    assert shown["name"] == "somu"
    assert [package["name"] for package in shown["packages"]] == ["aed"]
    assert "packages" not in result(client, "organization_show", id="somu")

    status, failure = error(client, "organization_show", id="no-such-department")
    assert status == 404
    assert failure["__type"] == "Not Found Error"


def test_ids_of_organizations_groups_and_tags_are_stable(
    client: Client, catalogue: dict[str, Any]
) -> None:
    first = result(client, "package_show", id="aed")
    second = result(client, "package_show", id="aed")

    assert first["owner_org"] == second["owner_org"]
    assert first["groups"][0]["id"] == second["groups"][0]["id"]
    assert [tag["id"] for tag in first["tags"]] == [tag["id"] for tag in second["tags"]]


def test_group_list_and_show(client: Client, catalogue: dict[str, Any]) -> None:
    GroupFactory.create(name="kosodate", title="子育て")

    assert result(client, "group_list") == ["bosai", "kosodate"]
    listed = result(client, "group_list", all_fields="true", sort="title asc")
    assert [(group["title"], group["package_count"]) for group in listed] == [
        ("子育て", 0),
        ("防災", 1),
    ]
    assert all(group["is_organization"] is False for group in listed)

    shown = result(client, "group_show", id=listed[1]["id"], include_datasets="true")
    assert shown["name"] == "bosai"
    assert [package["name"] for package in shown["packages"]] == ["aed"]

    status, _failure = error(client, "group_show", id="nothing")
    assert status == 404


def test_tag_list_lists_tags_of_public_datasets(client: Client, catalogue: dict[str, Any]) -> None:
    DatasetFactory.create(state=Dataset.State.DRAFT, tags=[TagFactory.create(name="秘密")])

    assert result(client, "tag_list") == ["AED設置箇所一覧", "自治体標準ODS"]
    assert result(client, "tag_list", query="ＯＤＳ") == ["自治体標準ODS"]
    tags = result(client, "tag_list", all_fields="true")
    assert {tag["name"] for tag in tags} == {"AED設置箇所一覧", "自治体標準ODS"}


def test_resource_show_not_found(client: Client, catalogue: dict[str, Any]) -> None:
    tombstone_file = catalogue["gone"].resources.get()

    for key in ("not-a-uuid", "0b7c6f0e-7d43-4b8a-9b8e-5f7f3c1f2a10", str(tombstone_file.pk)):
        status, failure = error(client, "resource_show", id=key)
        assert status == 404
        assert failure["__type"] == "Not Found Error"


def test_help_show_gives_the_actions_documentation(client: Client) -> None:
    assert "fq" in result(client, "help_show", name="package_search")

    status, _failure = error(client, "help_show", name="nothing")
    assert status == 404


# --- A harvest run -------------------------------------------------------------------------------


def harvest(client: Client, fq_terms: list[str]) -> dict[str, dict[str, Any]]:
    """What ckanext-harvest's CKAN harvester does: page package_search by 100 sorted by id, drop
    ids already seen, stop at an empty page; then read each dataset with package_show."""
    params: dict[str, str] = {
        "rows": "100",
        "start": "0",
        "sort": "id asc",
        "include_deleted": "true",
    }
    if fq_terms:
        params["fq"] = " ".join(fq_terms)
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    previous = None
    while True:
        response = client.get(f"{BASE}/package_search?{urlencode(params)}")
        assert response.content != previous, "The paging doesn't seem to work"
        previous = response.content
        page = json.loads(response.content)["result"]["results"]
        fresh = [package for package in page if package["id"] not in seen]
        seen |= {package["id"] for package in page}
        found += fresh
        if not page:
            break
        params["start"] = str(int(params["start"]) + int(params["rows"]))
    ids = [package["id"] for package in found]
    assert len(ids) == len(set(ids)), "a dataset was gathered twice"
    return {key: result(client, "package_show", id=key) for key in ids}


def test_a_harvester_finds_every_dataset_once_and_learns_of_deletions(client: Client) -> None:
    somu = DepartmentFactory.create(code="somu", name="総務課")
    two_days_ago = timezone.now() - timedelta(days=2)
    _many_datasets(150, somu, modified=two_days_ago)
    gone = DatasetFactory.create(
        name="gone", department=somu, state=Dataset.State.DELETED, modified_at=two_days_ago
    )
    DatasetFactory.create(name="draft", department=somu, state=Dataset.State.DRAFT)

    first_run = harvest(client, ["organization:somu OR organization:other"])

    assert len(first_run) == 151
    assert first_run[str(gone.pk)]["state"] == "deleted"
    assert all(
        package["state"] == "active" for key, package in first_run.items() if key != str(gone.pk)
    )

    # The next run asks for what changed since the last one started, less an hour.
    gather_started = datetime.now(UTC).replace(tzinfo=None)
    Dataset.objects.filter(name="set-149").update(modified_at=timezone.now())
    Dataset.objects.filter(name="set-148").update(
        state=Dataset.State.DELETED, modified_at=timezone.now()
    )
    since = (gather_started - timedelta(hours=1)).isoformat()

    second_run = harvest(
        client, ["organization:somu OR organization:other", f"metadata_modified:[{since}Z TO *]"]
    )

    assert {package["name"]: package["state"] for package in second_run.values()} == {
        "set-149": "active",
        "set-148": "deleted",
    }
