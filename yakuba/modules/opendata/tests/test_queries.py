"""The catalogue's search: Japanese-tolerant words, filters, facets with counts, order and pages."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yakuba.modules.opendata import queries, services
from yakuba.modules.opendata.models import Dataset, Licence, Resource
from yakuba.modules.opendata.tests.factories import (
    DatasetFactory,
    GroupFactory,
    ResourceFactory,
    TagFactory,
)
from yakuba.platform.accounts.tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def names(result: queries.SearchResult) -> list[str]:
    return [dataset.name for dataset in result.datasets]


def test_public_datasets_leave_out_drafts_and_tombstones() -> None:
    DatasetFactory.create(name="shown")
    DatasetFactory.create(name="draft", state=Dataset.State.DRAFT)
    DatasetFactory.create(name="gone", state=Dataset.State.DELETED)

    assert [d.name for d in queries.public_datasets()] == ["shown"]
    assert {d.name for d in queries.listed_datasets(include_deleted=True)} == {"shown", "gone"}


@pytest.mark.parametrize(
    ("title", "query"),
    [
        ("指定緊急避難場所（ヒナンジョ）", "ひなんじょ"),
        ("ひなんじょ一覧", "ヒナンジョ"),
        ("ひなんじょ一覧", "ﾋﾅﾝｼﾞｮ"),
        ("ＡＥＤ設置箇所一覧", "aed"),
        ("AED設置箇所一覧", "ＡＥＤ"),
        ("Wi-Fiスポット", "wi-fi"),
        ("人口２０２５年", "2025"),
    ],
)
def test_words_match_however_japanese_is_typed(title: str, query: str) -> None:
    DatasetFactory.create(name="found", title=title)
    DatasetFactory.create(name="other", title="公共施設一覧")

    assert names(queries.search_datasets(query)) == ["found"]


def test_words_are_found_in_english_title_description_tags_groups_and_department() -> None:
    somu = DepartmentFactory.create(code="somu", name="総務課")
    DatasetFactory.create(name="by-english", title_en="Shelters")
    DatasetFactory.create(name="by-description", description="町内のトイレの場所")
    DatasetFactory.create(name="by-tag", tags=[TagFactory.create(name="防災")])
    DatasetFactory.create(
        name="by-group", groups=[GroupFactory.create(name="kosodate", title="子育て")]
    )
    DatasetFactory.create(name="by-department", department=somu)

    assert names(queries.search_datasets("shelters")) == ["by-english"]
    assert names(queries.search_datasets("トイレ")) == ["by-description"]
    assert names(queries.search_datasets("防災")) == ["by-tag"]
    assert names(queries.search_datasets("子育て")) == ["by-group"]
    assert names(queries.search_datasets("総務")) == ["by-department"]


@pytest.mark.parametrize(
    ("title", "query"),
    [
        ("防災行政無線の放送内容", "ぼうさい"),
        ("指定避難所一覧", "ひなんじょ"),  # 所 read しょ alone, voiced after 避難 (連濁)
        ("指定避難所一覧", "ヒナンショ"),
        ("公衆トイレ一覧", "こうしゅうといれ"),
        ("公衆トイレ一覧", "ｺｳｼｭｳﾄｲﾚ"),
        ("AED設置箇所一覧", "ＡＥＤ"),
        ("観光ガイド", "ｶﾞｲﾄﾞ"),
    ],
)
def test_kana_finds_the_kanji_of_a_title(title: str, query: str) -> None:
    DatasetFactory.create(name="found", title=title)
    DatasetFactory.create(name="other", title="人口統計")

    assert names(queries.search_datasets(query)) == ["found"]


def test_kana_finds_the_kanji_of_a_tag_or_group() -> None:
    DatasetFactory.create(name="by-tag", tags=[TagFactory.create(name="防災")])
    DatasetFactory.create(
        name="by-group", groups=[GroupFactory.create(name="kosodate", title="子育て")]
    )

    assert names(queries.search_datasets("ぼうさい")) == ["by-tag"]
    assert names(queries.search_datasets("こそだて")) == ["by-group"]


def test_the_standard_datasets_title_is_searched() -> None:
    DatasetFactory.create(name="aed", title="救命器具の場所", standard="aed_locations")

    assert names(queries.search_datasets("AED設置箇所")) == ["aed"]


def test_every_word_must_be_found() -> None:
    DatasetFactory.create(name="both", title="避難所", description="亘理町の一覧")
    DatasetFactory.create(name="one", title="避難所")

    assert names(queries.search_datasets("避難所　亘理町")) == ["both"]


def test_every_word_must_be_found_in_kana_too() -> None:
    DatasetFactory.create(name="both", title="防災マップ", tags=[TagFactory.create(name="避難所")])
    DatasetFactory.create(name="map-only", title="観光マップ")
    DatasetFactory.create(name="shelter-only", title="指定避難所一覧")

    assert names(queries.search_datasets("ひなんじょ まっぷ")) == ["both"]


@pytest.mark.parametrize("query", ["%", "_", "\\"])
def test_like_wildcards_are_plain_characters(query: str) -> None:
    DatasetFactory.create(title="避難所")

    assert queries.search_datasets(query).count == 0


def test_a_word_is_not_found_across_two_texts() -> None:
    DatasetFactory.create(name="split", title="防災", title_en="Map", description="")

    assert queries.search_datasets("防災map").count == 0


def test_a_word_in_the_title_ranks_above_one_in_the_description() -> None:
    now = timezone.now()
    DatasetFactory.create(name="in-description", description="AEDの場所", modified_at=now)
    DatasetFactory.create(name="in-title", title="AED", modified_at=now - timedelta(days=9))

    assert names(queries.search_datasets("AED")) == ["in-title", "in-description"]


def test_titles_rank_above_tags_and_tags_above_the_rest() -> None:
    now = timezone.now()
    # The newest would come first on equal scores; the score must decide.
    DatasetFactory.create(name="in-description", description="防災の手引き", modified_at=now)
    DatasetFactory.create(
        name="in-tag",
        tags=[TagFactory.create(name="防災")],
        modified_at=now - timedelta(days=1),
    )
    DatasetFactory.create(name="in-title", title="防災マップ", modified_at=now - timedelta(days=2))

    assert names(queries.search_datasets("防災")) == ["in-title", "in-tag", "in-description"]
    # Descriptions are not read in kana (services.search_text_of).
    assert names(queries.search_datasets("ぼうさい")) == ["in-title", "in-tag"]


def test_the_scores_of_the_words_add_up() -> None:
    now = timezone.now()
    DatasetFactory.create(name="one-in-title", title="防災", description="地図", modified_at=now)
    DatasetFactory.create(
        name="both-in-title", title="防災地図", modified_at=now - timedelta(days=1)
    )

    assert names(queries.search_datasets("防災 地図")) == ["both-in-title", "one-in-title"]


def test_filters_must_all_hold() -> None:
    bosai, kosodate = GroupFactory.create(name="bosai"), GroupFactory.create(name="kosodate")
    tag = TagFactory.create(name="自治体標準ODS")
    somu = DepartmentFactory.create(code="somu", name="総務課")
    both = DatasetFactory.create(name="both", groups=[bosai, kosodate], tags=[tag], department=somu)
    ResourceFactory.create(dataset=both, format=Resource.Format.GEOJSON)
    DatasetFactory.create(name="bosai-only", groups=[bosai], tags=[tag], department=somu)
    DatasetFactory.create(name="cc0", licence=Licence.CC0, standard="aed_locations")

    assert names(queries.search_datasets(groups=["bosai", "kosodate"])) == ["both"]
    assert names(queries.search_datasets(groups=["bosai"], sort="name asc")) == [
        "bosai-only",
        "both",
    ]
    found = queries.search_datasets(tags=["自治体標準ＯＤＳ"], departments=["somu"])
    assert set(names(found)) == {"bosai-only", "both"}
    assert names(queries.search_datasets(formats=["geojson"])) == ["both"]
    assert names(queries.search_datasets(licences=["CC0-1.0"])) == ["cc0"]
    assert names(queries.search_datasets(standard="aed_locations")) == ["cc0"]


def test_a_resource_without_a_file_does_not_count_as_a_format() -> None:
    ResourceFactory.create(
        dataset=DatasetFactory.create(name="empty"), format=Resource.Format.XLSX, content=False
    )

    assert queries.search_datasets(formats=["XLSX"]).count == 0


def test_facets_count_the_datasets_found() -> None:
    bosai = GroupFactory.create(name="bosai", title="防災")
    tag = TagFactory.create(name="AED")
    somu = DepartmentFactory.create(code="somu", name="総務課")
    first = DatasetFactory.create(title="AED一覧", groups=[bosai], tags=[tag], department=somu)
    ResourceFactory.create(dataset=first)
    ResourceFactory.create(dataset=first)  # two CSV files still count the dataset once
    second = DatasetFactory.create(title="AED地図", groups=[bosai], standard="aed_locations")
    ResourceFactory.create(dataset=second, format=Resource.Format.GEOJSON)
    DatasetFactory.create(title="人口", groups=[bosai])

    facets = queries.search_datasets("aed").facets

    def counts(field: str) -> dict[str, tuple[str, int]]:
        return {item.name: (item.display_name, item.count) for item in facets[field]}

    assert counts("groups") == {"bosai": ("防災", 2)}
    assert counts("tags") == {"AED": ("AED", 1)}
    assert counts("organization") == {"somu": ("総務課", 1), "chomin": ("町民生活課", 1)}
    assert counts("res_format") == {"CSV": ("CSV", 1), "GeoJSON": ("GeoJSON", 1)}
    assert counts("license_id")["CC-BY-4.0"][1] == 2
    assert counts("standard")["aed_locations"][1] == 1


def test_facets_list_the_commonest_first_up_to_the_limit() -> None:
    common, rare = TagFactory.create(name="b-common"), TagFactory.create(name="a-rare")
    DatasetFactory.create(tags=[common, rare])
    DatasetFactory.create(tags=[common])

    facets = queries.search_datasets(facet_fields=["tags"], facet_limit=1).facets

    assert [(item.name, item.count) for item in facets["tags"]] == [("b-common", 2)]
    assert list(facets) == ["tags"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name asc", ["a", "b", "c"]),
        ("name desc", ["c", "b", "a"]),
        ("metadata_modified desc", ["b", "c", "a"]),
        ("new", ["b", "c", "a"]),
        ("name", ["a", "b", "c"]),
        ("", ["b", "c", "a"]),  # no words: every score is equal, newest first
        ("metadata_created asc, name desc", ["c", "b", "a"]),
    ],
)
def test_sort_orders(sort: str, expected: list[str]) -> None:
    now = timezone.now()
    created = now - timedelta(days=30)
    DatasetFactory.create(name="a", modified_at=now - timedelta(days=3), created_at=created)
    DatasetFactory.create(name="b", modified_at=now, created_at=created)
    DatasetFactory.create(name="c", modified_at=now - timedelta(days=1), created_at=created)

    assert names(queries.search_datasets(sort=sort)) == expected


def test_an_unknown_sort_is_refused() -> None:
    with pytest.raises(queries.SearchError) as refused:
        queries.search_datasets(sort="popularity desc")

    assert refused.value.field == "sort"


def test_pages_cover_the_result_once() -> None:
    for number in range(25):
        DatasetFactory.create(name=f"d{number:02d}")

    seen: list[str] = []
    for start in range(0, 30, 10):
        result = queries.search_datasets(sort="id asc", start=start, rows=10)
        assert result.count == 25
        seen += names(result)

    assert sorted(seen) == sorted(f"d{number:02d}" for number in range(25))
    assert len(seen) == 25


def test_tombstones_are_found_only_when_asked_for() -> None:
    DatasetFactory.create(name="gone", title="避難所", state=Dataset.State.DELETED)

    assert queries.search_datasets("避難所").count == 0
    assert names(queries.search_datasets("避難所", include_deleted=True)) == ["gone"]


def test_a_page_is_read_in_a_fixed_number_of_queries(
    django_assert_max_num_queries: Any,
) -> None:
    group, tag = GroupFactory.create(), TagFactory.create()
    for _number in range(15):
        ResourceFactory.create(dataset=DatasetFactory.create(groups=[group], tags=[tag]))

    with django_assert_max_num_queries(20):
        result = queries.search_datasets("データ", rows=15)
        for dataset in result.datasets:
            list(dataset.groups.all()), list(dataset.tags.all()), dataset.department.name
            for resource in dataset.resources.all():
                queries.published_version(resource)

    assert result.count == 15


def test_a_search_takes_the_same_queries_however_large_the_catalogue() -> None:
    group, tag = GroupFactory.create(title="防災"), TagFactory.create(name="避難所")

    def queries_to_search(count: int) -> int:
        Dataset.objects.all().delete()
        for number in range(count):
            ResourceFactory.create(
                dataset=DatasetFactory.create(
                    title=f"指定避難所一覧{number}", groups=[group], tags=[tag]
                )
            )
        with CaptureQueriesContext(connection) as context:
            result = queries.search_datasets("ひなんじょ ぼうさい", rows=5)
        assert result.count == count
        return len(context.captured_queries)

    assert queries_to_search(5) == queries_to_search(50)


def test_the_search_text_follows_the_services() -> None:
    department = DepartmentFactory.create(code="somu", name="総務課")
    dataset = services.save_dataset(
        by=None, name="shelters", title="避難所", department=department, tags=["防災"]
    )
    Dataset.objects.filter(pk=dataset.pk).update(state=Dataset.State.PUBLISHED)
    dataset.refresh_from_db()
    assert names(queries.search_datasets("ぼうさい")) == ["shelters"]

    services.save_dataset(dataset, by=None, title="公衆トイレ", tags=["トイレ"])

    assert queries.search_datasets("ぼうさい").count == 0
    assert queries.search_datasets("ひなんじょ").count == 0
    assert names(queries.search_datasets("こうしゅう")) == ["shelters"]
    assert names(queries.search_datasets("総務")) == ["shelters"]


def test_the_migration_fills_the_search_text_of_existing_datasets() -> None:
    DatasetFactory.create(name="shelters", title="指定避難所一覧")
    Dataset.objects.update(search_text="")
    fill = import_module("yakuba.modules.opendata.migrations.0003_fill_search_text").fill

    fill(apps, None)

    assert names(queries.search_datasets("ひなんじょ")) == ["shelters"]
