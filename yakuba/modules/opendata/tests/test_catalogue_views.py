"""The residents' open-data pages over HTTP: searching and filtering the catalogue, a dataset's
page, the CSV preview, downloads (headers, conditional GET, old versions, 404 for drafts and 410
for withdrawn datasets) and the town map with its list for readers without JavaScript."""

from __future__ import annotations

import json
from datetime import timedelta
from email.utils import format_datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from yakuba.core.models import Municipality
from yakuba.modules.opendata import services
from yakuba.modules.opendata.models import Dataset, Group, Licence, Resource
from yakuba.platform.accounts.models import Department
from yakuba.platform.places.models import PlaceKind
from yakuba.platform.places.tests.factories import PlaceFactory, make_user

pytestmark = pytest.mark.django_db

AED_CSV = "名称,所在地_連結表記,緯度,経度\n" + "".join(
    f"AED{n},亘理町字悠里{n},38.03,140.85\n" for n in range(1, 31)
)


@pytest.fixture(autouse=True)
def town(settings: Any, tmp_path: Any) -> Municipality:
    settings.MEDIA_ROOT = tmp_path
    return Municipality.objects.create(
        name="亘理町",
        code="043231",
        prefecture="宮城県",
        map_center_latitude=38.03,
        map_center_longitude=140.85,
    )


@pytest.fixture
def department() -> Department:
    return Department.objects.create(code="somu", name="総務課", name_en="General Affairs")


def make_dataset(
    department: Department,
    name: str,
    *,
    title: str = "",
    content: bytes | None = b"a,b\n1,2\n",
    file_format: str = Resource.Format.CSV,
    state: str = Dataset.State.PUBLISHED,
    **fields: Any,
) -> Dataset:
    dataset = Dataset.objects.create(
        name=name,
        title=title or name,
        department=department,
        published_at=timezone.now() if state != Dataset.State.DRAFT else None,
        **fields,
    )
    if content is not None:
        resource = Resource.objects.create(dataset=dataset, name=f"{title}一覧", format=file_format)
        services.publish_file(resource, content)
    services.refresh_search_text(dataset)
    Dataset.objects.filter(pk=dataset.pk).update(state=state)
    dataset.refresh_from_db()
    return dataset


def first_resource(dataset: Dataset) -> Resource:
    resource = dataset.resources.first()
    assert resource is not None
    return resource


def text_of(response: Any) -> str:
    return str(response.content.decode())


def body_of(response: Any) -> bytes:
    """A streamed file's bytes."""
    return b"".join(response.streaming_content)


# --- the catalogue --------------------------------------------------------------------------------


def test_catalogue_lists_published_datasets_but_not_drafts_or_withdrawn_ones(
    client: Client, department: Department
) -> None:
    make_dataset(department, "aed", title="AED設置箇所一覧", description="町内のAEDの場所。")
    make_dataset(department, "draft", title="下書きのデータ", state=Dataset.State.DRAFT)
    make_dataset(department, "gone", title="削除したデータ", state=Dataset.State.DELETED)

    page = text_of(client.get(reverse("opendata:catalogue")))

    assert "AED設置箇所一覧" in page
    assert "町内のAEDの場所。" in page
    assert "総務課" in page
    assert "CSV" in page
    assert "下書きのデータ" not in page
    assert "削除したデータ" not in page


def test_searching_in_hiragana_finds_a_katakana_title(
    client: Client, department: Department
) -> None:
    make_dataset(department, "bus", title="コミュニティバス停留所")
    make_dataset(department, "aed", title="AED設置箇所一覧")

    page = text_of(client.get(reverse("opendata:catalogue"), {"q": "ばす"}))

    assert "コミュニティバス停留所" in page
    assert "AED設置箇所一覧" not in page
    assert "1件のデータセット" in page


def test_facets_show_counts_and_filter_without_javascript(
    client: Client, department: Department
) -> None:
    other = Department.objects.create(code="kenko", name="健康推進課")
    safety = Group.objects.create(name="bousai", title="防災")
    first = make_dataset(department, "shelters", title="指定避難所一覧")
    first.groups.add(safety)
    first.tags.set(services.tag_names(["避難"]))
    make_dataset(other, "clinics", title="医療機関一覧", file_format=Resource.Format.JSON)

    page = text_of(client.get(reverse("opendata:catalogue")))
    assert 'name="group" value="bousai"' in page
    assert 'name="department" value="kenko"' in page
    assert 'name="format" value="JSON"' in page

    for query, expected, absent in (
        ({"group": "bousai"}, "指定避難所一覧", "医療機関一覧"),
        ({"tag": "避難"}, "指定避難所一覧", "医療機関一覧"),
        ({"department": "kenko"}, "医療機関一覧", "指定避難所一覧"),
        ({"format": "JSON"}, "医療機関一覧", "指定避難所一覧"),
    ):
        filtered = text_of(client.get(reverse("opendata:catalogue"), query))
        assert expected in filtered, query
        assert absent not in filtered, query
        # The chosen value stays ticked, so that it can be unticked.
        assert "checked" in filtered


def test_standard_filter_is_a_choice_of_one(client: Client, department: Department) -> None:
    make_dataset(department, "aed", title="AED設置箇所一覧", standard="aed_locations")
    make_dataset(department, "minutes", title="会議録")

    page = text_of(client.get(reverse("opendata:catalogue"), {"standard": "aed_locations"}))

    assert 'type="radio" name="standard" value="aed_locations"' in page
    assert "AED設置箇所一覧" in page
    assert "会議録" not in page


def test_results_sort_by_name_or_newest(client: Client, department: Department) -> None:
    older = make_dataset(department, "a-first", title="いちばん古いデータ")
    make_dataset(department, "b-second", title="新しいデータ")
    Dataset.objects.filter(pk=older.pk).update(modified_at=timezone.now() - timedelta(days=9))

    by_name = text_of(client.get(reverse("opendata:catalogue"), {"sort": "name"}))
    newest = text_of(client.get(reverse("opendata:catalogue"), {"sort": "new"}))

    assert by_name.index("いちばん古いデータ") < by_name.index("新しいデータ")
    assert newest.index("新しいデータ") < newest.index("いちばん古いデータ")


def test_an_unknown_sort_searches_as_if_none_were_given(
    client: Client, department: Department
) -> None:
    make_dataset(department, "aed", title="AED設置箇所一覧")

    response = client.get(reverse("opendata:catalogue"), {"sort": "title; drop table"})

    assert response.status_code == 200
    assert "AED設置箇所一覧" in text_of(response)


def test_a_search_too_long_says_so_and_keeps_the_other_conditions(
    client: Client, department: Department
) -> None:
    make_dataset(department, "aed", title="AED設置箇所一覧")
    make_dataset(department, "json", title="会議録", file_format=Resource.Format.JSON)

    page = text_of(client.get(reverse("opendata:catalogue"), {"q": "あ" * 201, "format": "CSV"}))

    assert "200文字以内で入力してください（今は201文字です）。" in page
    assert "AED設置箇所一覧" in page
    assert "会議録" not in page


def test_results_are_paginated_and_a_page_past_the_end_shows_the_last(
    client: Client, department: Department
) -> None:
    for number in range(23):
        make_dataset(department, f"data-{number:02d}", title=f"データ{number:02d}", content=None)

    first = text_of(client.get(reverse("opendata:catalogue"), {"sort": "name"}))
    second = text_of(client.get(reverse("opendata:catalogue"), {"sort": "name", "page": "2"}))
    beyond = text_of(client.get(reverse("opendata:catalogue"), {"sort": "name", "page": "99"}))

    assert "23件のデータセット" in first
    assert "データ19" in first and "データ20" not in first
    assert "データ20" in second and "データ22" in second and "データ19" not in second
    assert 'rel="next"' in first
    assert "データ22" in beyond


def test_the_catalogue_takes_the_same_number_of_queries_for_more_datasets(
    client: Client, department: Department, django_assert_max_num_queries: Any
) -> None:
    for number in range(3):
        make_dataset(department, f"few-{number}")
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("opendata:catalogue"))
    for number in range(12):
        make_dataset(department, f"many-{number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("opendata:catalogue"))


# --- a dataset's page -----------------------------------------------------------------------------


def test_dataset_page_says_how_to_use_the_data_in_plain_words(
    client: Client, department: Department
) -> None:
    dataset = make_dataset(
        department,
        "aed",
        title="AED設置箇所一覧",
        standard="aed_locations",
        frequency="monthly",
        contact_name="総務課 防災係",
        contact_phone="0223-34-1111",
        spatial="亘理町",
    )

    page = text_of(client.get(reverse("opendata:dataset", args=["aed"])))

    assert "出典を書けば、誰でも自由に使えます" in page
    assert "https://creativecommons.org/licenses/by/4.0/deed.ja" in page
    assert "出典：亘理町「AED設置箇所一覧」（http://testserver/opendata/datasets/aed/）" in page
    assert "毎月" in page
    assert "総務課 防災係" in page
    assert "自治体標準オープンデータセット「AED設置箇所一覧」" in page
    assert f"/api/3/action/package_show?id={dataset.id}" in page
    assert f"/dataset/{dataset.id}.jsonld" in page


def test_english_pages_show_the_english_title_when_there_is_one(
    client: Client, department: Department
) -> None:
    make_dataset(department, "aed", title="AED設置箇所一覧", title_en="AED locations")

    page = text_of(
        client.get(reverse("opendata:dataset", args=["aed"]), headers={"accept-language": "en"})
    )

    assert "<h1>AED locations</h1>" in page


def test_public_domain_data_needs_no_credit_line(client: Client, department: Department) -> None:
    make_dataset(department, "free", title="自由なデータ", licence=Licence.CC0)

    page = text_of(client.get(reverse("opendata:dataset", args=["free"])))

    assert "出典を書かなくても" in page
    assert "出典の書き方" not in page


def test_dataset_page_lists_the_current_file_and_the_older_versions(
    client: Client, department: Department
) -> None:
    dataset = make_dataset(department, "aed", title="AED設置箇所一覧")
    resource = first_resource(dataset)
    services.publish_file(resource, b"a,b\n1,2\n3,4\n", note="2件目を追加")

    page = text_of(client.get(reverse("opendata:dataset", args=["aed"])))

    assert reverse("opendata:download", args=[resource.pk]) in page
    assert reverse("opendata:download_version", args=[resource.pk, 1]) in page
    assert reverse("opendata:download_version", args=[resource.pk, 2]) not in page
    assert "第2版" in page
    assert reverse("opendata:preview", args=[resource.pk]) in page


def test_a_draft_dataset_does_not_exist_for_the_public(
    client: Client, department: Department
) -> None:
    dataset = make_dataset(department, "draft", state=Dataset.State.DRAFT)
    resource = first_resource(dataset)

    assert client.get(reverse("opendata:dataset", args=["draft"])).status_code == 404
    assert client.get(reverse("opendata:download", args=[resource.pk])).status_code == 404
    assert client.get(reverse("opendata:preview", args=[resource.pk])).status_code == 404
    assert (
        client.get(reverse("opendata:download_version", args=[resource.pk, 1])).status_code == 404
    )


def test_a_withdrawn_dataset_says_when_and_why_and_its_files_are_gone(
    client: Client, department: Department
) -> None:
    dataset = make_dataset(department, "old-shelters", title="旧避難所一覧")
    resource = first_resource(dataset)
    services.delete_dataset(dataset, by=make_user(), reason="新しいデータセットに統合しました。")

    response = client.get(reverse("opendata:dataset", args=["old-shelters"]))
    page = text_of(response)

    assert response.status_code == 410
    assert "公開を終了しました" in page
    assert "新しいデータセットに統合しました。" in page
    assert reverse("opendata:download", args=[resource.pk]) not in page
    assert client.get(reverse("opendata:download", args=[resource.pk])).status_code == 410
    assert (
        client.get(reverse("opendata:download_version", args=[resource.pk, 1])).status_code == 410
    )
    assert client.get(reverse("opendata:preview", args=[resource.pk])).status_code == 410


# --- preview --------------------------------------------------------------------------------------


def test_preview_shows_the_first_twenty_rows_of_a_csv_with_a_bom(
    client: Client, department: Department
) -> None:
    dataset = make_dataset(
        department, "aed", title="AED設置箇所一覧", content=("\ufeff" + AED_CSV).encode()
    )

    page = text_of(client.get(reverse("opendata:preview", args=[first_resource(dataset).pk])))

    assert '<th scope="col">名称</th>' in page
    assert "<td>AED1</td>" in page
    assert "<td>AED20</td>" in page
    assert "<td>AED21</td>" not in page
    assert "\ufeff" not in page


def test_preview_of_a_file_that_is_not_utf8_says_so(client: Client, department: Department) -> None:
    dataset = make_dataset(department, "sjis", content="名称\n役場\n".encode("cp932"))

    response = client.get(reverse("opendata:preview", args=[first_resource(dataset).pk]))

    assert response.status_code == 200
    assert "中身を表示できません" in text_of(response)


def test_only_csv_files_have_a_preview(client: Client, department: Department) -> None:
    dataset = make_dataset(department, "json", content=b"[]", file_format=Resource.Format.JSON)

    response = client.get(reverse("opendata:preview", args=[first_resource(dataset).pk]))

    assert response.status_code == 404


# --- downloads ------------------------------------------------------------------------------------


def test_download_streams_the_current_file_with_its_name_hash_and_date(
    client: Client, department: Department
) -> None:
    dataset = make_dataset(department, "aed", title="AED設置箇所", content=AED_CSV.encode())
    resource = first_resource(dataset)
    version = resource.current_version()
    assert version is not None

    response = client.get(reverse("opendata:download", args=[resource.pk]))

    assert response.status_code == 200
    assert response.streaming
    assert body_of(response).decode() == AED_CSV
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["ETag"] == f'"{version.sha256}"'
    assert response["Last-Modified"] == format_datetime(
        version.created_at.replace(microsecond=0), usegmt=True
    )
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="aed.csv"')
    assert f"filename*=UTF-8''{quote('AED設置箇所一覧.csv')}" in disposition


def test_an_unchanged_file_answers_not_modified(client: Client, department: Department) -> None:
    dataset = make_dataset(department, "aed")
    url = reverse("opendata:download", args=[first_resource(dataset).pk])
    first = client.get(url)

    by_etag = client.get(url, headers={"if-none-match": first["ETag"]})
    by_date = client.get(url, headers={"if-modified-since": first["Last-Modified"]})
    changed = client.get(url, headers={"if-none-match": '"something-else"'})

    assert by_etag.status_code == 304
    assert by_date.status_code == 304
    assert changed.status_code == 200


def test_older_versions_stay_downloadable(client: Client, department: Department) -> None:
    dataset = make_dataset(department, "aed", content=b"a\n1\n")
    resource = first_resource(dataset)
    services.publish_file(resource, b"a\n2\n")

    current = client.get(reverse("opendata:download", args=[resource.pk]))
    first = client.get(reverse("opendata:download_version", args=[resource.pk, 1]))
    missing = client.get(reverse("opendata:download_version", args=[resource.pk, 7]))

    assert body_of(current) == b"a\n2\n"
    assert body_of(first) == b"a\n1\n"
    assert 'filename="aed_v1.csv"' in first["Content-Disposition"]
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("file_format", "content_type"),
    [
        (Resource.Format.JSON, "application/json"),
        (Resource.Format.GEOJSON, "application/geo+json"),
    ],
)
def test_each_format_has_its_content_type(
    client: Client, department: Department, file_format: str, content_type: str
) -> None:
    dataset = make_dataset(department, "data", content=b"{}", file_format=file_format)

    response = client.get(reverse("opendata:download", args=[first_resource(dataset).pk]))

    assert response["Content-Type"] == content_type


def test_a_resource_without_a_file_yet_is_not_found(client: Client, department: Department) -> None:
    dataset = make_dataset(department, "empty", content=None)
    resource = Resource.objects.create(dataset=dataset, name="空", format=Resource.Format.CSV)

    assert client.get(reverse("opendata:download", args=[resource.pk])).status_code == 404


# --- the town map ---------------------------------------------------------------------------------


GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [140.85, 38.03]},
            "properties": {"名称": "鳥の海ベンチ", "所在地_連結表記": "亘理町荒浜"},
        }
    ],
}


def test_the_map_offers_every_layer_the_modules_declare_and_each_geojson_dataset(
    client: Client, department: Department
) -> None:
    make_dataset(
        department,
        "benches",
        title="ベンチの場所",
        content=json.dumps(GEOJSON).encode(),
        file_format=Resource.Format.GEOJSON,
    )
    make_dataset(
        department,
        "hidden",
        title="下書きの地図",
        content=json.dumps(GEOJSON).encode(),
        file_format=Resource.Format.GEOJSON,
        state=Dataset.State.DRAFT,
    )

    page = text_of(client.get(reverse("opendata:map")))

    for kind in PlaceKind:
        assert f'value="places.{kind.value}"' in page
        assert reverse("places:kind_geojson", kwargs={"kind": kind.value}) in page
    assert "ベンチの場所" in page
    assert "下書きの地図" not in page


def test_the_map_lists_what_is_on_it_for_readers_without_javascript(
    client: Client, department: Department
) -> None:
    PlaceFactory.create(
        kind=PlaceKind.AED, name="亘理町役場", name_kana="わたりちょうやくば", address="悠里1"
    )
    PlaceFactory.create(kind=PlaceKind.AED, name="非公開のAED", is_public=False)
    make_dataset(
        department,
        "benches",
        title="ベンチの場所",
        content=json.dumps(GEOJSON).encode(),
        file_format=Resource.Format.GEOJSON,
    )

    page = text_of(client.get(reverse("opendata:map")))

    assert "亘理町役場" in page
    assert "悠里1" in page
    assert "鳥の海ベンチ" in page
    assert "亘理町荒浜" in page
    assert "非公開のAED" not in page


class MapList(HTMLParser):
    """The map page's list, as {layer title: (is hidden, [(name, is hidden), …])}."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.layers: dict[str, tuple[bool, list[tuple[str, bool]]]] = {}
        self._layer_hidden = False
        self._items: list[tuple[str, bool]] = []
        self._in: str = ""
        self._text = ""
        self._item_hidden = False
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        classes = (names.get("class") or "").split()
        if "map-list__layer" in classes:
            self._layer_hidden = "hidden" in names
            self._items = []
        elif tag == "h3" and "map-list__layer" not in classes and self._in == "":
            self._in, self._text = "title", ""
        elif "map-list__item" in classes:
            self._item_hidden = "hidden" in names
        elif "map-list__name" in classes:
            self._in, self._text = "name", ""
        elif tag == "span" and self._in == "title":
            self._in = "count"

    def handle_data(self, data: str) -> None:
        if self._in in ("title", "name"):
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if self._in in ("title", "count") and tag == "h3":
            self.layers[self._text.strip()] = (self._layer_hidden, self._items)
            self._in = ""
        elif self._in == "name" and tag in ("a", "span"):
            self._items.append((self._text.strip(), self._item_hidden))
            self._in = ""


def test_the_map_list_shows_only_the_chosen_layers_and_the_names_searched(
    client: Client,
) -> None:
    PlaceFactory.create(kind=PlaceKind.AED, name="中央公民館", name_kana="ちゅうおうこうみんかん")
    PlaceFactory.create(kind=PlaceKind.AED, name="図書館", name_kana="トショカン")
    PlaceFactory.create(kind=PlaceKind.PARK, name="鳥の海公園")

    everything = MapList(text_of(client.get(reverse("opendata:map")))).layers
    chosen = MapList(
        text_of(
            client.get(
                reverse("opendata:map"), {"chosen": "1", "layer": ["places.aed"], "q": "としょ"}
            )
        )
    ).layers

    # A first visit shows every layer and everything on it.
    assert everything["AED設置箇所"] == (False, [("中央公民館", False), ("図書館", False)])
    assert everything["公園"] == (False, [("鳥の海公園", False)])
    # Chosen: the park is not shown; of the AEDs only the library's name matches 「としょ」.
    assert chosen["AED設置箇所"] == (False, [("中央公民館", True), ("図書館", False)])
    assert chosen["公園"][0] is True


def test_a_layer_that_cannot_be_read_is_reported_in_the_list(
    client: Client, department: Department
) -> None:
    make_dataset(
        department,
        "broken",
        title="壊れた地図",
        content=b"{not json",
        file_format=Resource.Format.GEOJSON,
    )

    page = text_of(client.get(reverse("opendata:map")))

    assert "壊れた地図" in page
    assert "この情報は今は読み込めません" in page


def test_a_geojson_file_with_features_that_are_not_objects_still_shows_the_map(
    client: Client, department: Department
) -> None:
    collection = {**GEOJSON, "features": ["x", 1, None, [], *GEOJSON["features"]]}
    make_dataset(
        department,
        "benches",
        title="ベンチの場所",
        content=json.dumps(collection).encode(),
        file_format=Resource.Format.GEOJSON,
    )

    response = client.get(reverse("opendata:map"))

    assert response.status_code == 200
    assert "鳥の海ベンチ" in text_of(response)


def test_the_map_takes_the_same_number_of_queries_for_more_geojson_datasets(
    client: Client, department: Department
) -> None:
    def queries_for_the_map() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("opendata:map")).status_code == 200
        return len(captured)

    content = json.dumps(GEOJSON).encode()
    make_dataset(department, "benches-1", content=content, file_format=Resource.Format.GEOJSON)
    one = queries_for_the_map()
    for number in (2, 3, 4):
        make_dataset(
            department, f"benches-{number}", content=content, file_format=Resource.Format.GEOJSON
        )

    assert queries_for_the_map() == one
