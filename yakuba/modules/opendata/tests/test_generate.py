"""Datasets generated from live data: catalogue entries, files, versions, the job and the demo."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from yakuba.core.models import Municipality
from yakuba.core.registry import OpenDataset, registry
from yakuba.core.standard_datasets import standard_dataset
from yakuba.modules.opendata import demo, generate, services, tasks
from yakuba.modules.opendata.models import (
    Dataset,
    Group,
    Resource,
    ResourceVersion,
    Tag,
    Upload,
)
from yakuba.modules.opendata.tabular import read_table
from yakuba.modules.opendata.validation import validate
from yakuba.platform.accounts.tests.factories import DepartmentFactory
from yakuba.platform.places.tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db

AED = standard_dataset("aed_locations")


@pytest.fixture(autouse=True)
def town(settings: Any, tmp_path: Path) -> Municipality:
    settings.MEDIA_ROOT = tmp_path
    DepartmentFactory.create(code="chomin", name="町民生活課")
    DepartmentFactory.create(code="kikaku", name="企画課")
    return Municipality.objects.create(
        name="亘理町",
        code="043231",
        prefecture="宮城県",
        email="info@example.jp",
        map_center_latitude=38.037,
        map_center_longitude=140.853,
    )


class AedRows:
    """A builder whose rows a test can change."""

    def __init__(self) -> None:
        self.rows = [self.row("A-1", "役場", "38.0377", "140.8526"), self.row("A-2", "駅", "", "")]

    @staticmethod
    def row(code: str, name: str, latitude: str, longitude: str) -> dict[str, Any]:
        values = {"ID": code, "名称": name, "緯度": latitude, "経度": longitude}
        return {column: values.get(column, "") for column in AED.column_names()}

    def __call__(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self.rows]


@pytest.fixture
def aed() -> tuple[OpenDataset, AedRows]:
    rows = AedRows()
    return OpenDataset(
        "test.aed_locations", "AED設置箇所一覧", rows, standard="aed_locations"
    ), rows


def stored(version: ResourceVersion | None) -> bytes:
    assert version is not None
    with default_storage.open(version.file.name) as file:
        content: bytes = file.read()
    return content


def current(resource: Resource) -> ResourceVersion:
    version = resource.current_version()
    assert version is not None
    return version


def files_of(dataset: Dataset) -> dict[str, bytes]:
    return {r.format: stored(current(r)) for r in dataset.resources.all()}


def test_a_generated_dataset_is_created_published_and_tagged_for_harvesters(
    aed: tuple[OpenDataset, AedRows],
) -> None:
    Group.objects.create(name="disaster", title="防災")
    dataset = generate.refresh_dataset(aed[0])
    assert dataset is not None
    assert dataset.name == "aed-locations"
    assert dataset.state == Dataset.State.PUBLISHED
    assert dataset.source == "test.aed_locations"
    assert dataset.standard == "aed_locations"
    assert dataset.licence == "CC-BY-4.0"
    assert dataset.frequency == "continuous"
    assert dataset.department.name == "企画課"
    assert dataset.spatial == "宮城県亘理町"
    assert {"自治体標準ODS", "AED設置箇所一覧"} <= set(dataset.tags.values_list("name", flat=True))
    assert list(dataset.groups.values_list("name", flat=True)) == ["disaster"]
    assert sorted(dataset.resources.values_list("format", flat=True)) == ["CSV", "GeoJSON", "JSON"]


def test_the_english_description_names_the_standard_in_english(
    aed: tuple[OpenDataset, AedRows],
) -> None:
    dataset = generate.refresh_dataset(aed[0])
    assert dataset is not None
    assert AED.title_en in dataset.description_en
    assert f"「{AED.title}」" not in dataset.description_en


def test_the_csv_has_a_bom_crlf_and_exactly_the_standards_header(
    aed: tuple[OpenDataset, AedRows],
) -> None:
    dataset = generate.refresh_dataset(aed[0])
    assert dataset is not None
    content = files_of(dataset)["CSV"]
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").split("\r\n")
    assert lines[0].split(",") == list(AED.column_names())
    assert len(lines) == 4  # header, two rows, the final line end
    table = read_table(io.BytesIO(content), "aed.csv")
    assert table.encoding == "utf-8-sig"
    result = validate(table, AED)
    assert [p for p in result.problems if p.row == 1] == []


def test_json_and_geojson_carry_the_same_rows(aed: tuple[OpenDataset, AedRows]) -> None:
    dataset = generate.refresh_dataset(aed[0])
    assert dataset is not None
    files = files_of(dataset)
    records = json.loads(files["JSON"])
    assert [list(record) for record in records] == [list(AED.column_names())] * 2
    assert records[0]["名称"] == "役場"
    geojson = json.loads(files["GeoJSON"])
    assert geojson["type"] == "FeatureCollection"
    # The row without coordinates is in the CSV and JSON only.
    assert len(geojson["features"]) == 1
    feature = geojson["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [140.8526, 38.0377]}
    assert feature["properties"]["ID"] == "A-1"
    counts = {r.format: current(r).row_count for r in dataset.resources.all()}
    assert counts == {"CSV": 2, "JSON": 2, "GeoJSON": 1}


def test_same_data_gives_byte_identical_files_and_no_new_version(
    aed: tuple[OpenDataset, AedRows],
) -> None:
    columns = AED.column_names()
    assert generate.render_files(columns, aed[1]()) == generate.render_files(columns, aed[1]())
    dataset = generate.refresh_dataset(aed[0])
    assert dataset is not None
    modified = Dataset.objects.get(pk=dataset.pk).modified_at
    result = generate.RefreshResult()
    generate.refresh_dataset(aed[0], result)
    assert result.published_versions == 0
    assert ResourceVersion.objects.count() == 3
    assert Dataset.objects.get(pk=dataset.pk).modified_at == modified


def test_changed_data_adds_a_version_of_each_file_that_changed(
    aed: tuple[OpenDataset, AedRows],
) -> None:
    dataset = generate.refresh_dataset(aed[0])
    assert dataset is not None
    builder = aed[1]
    builder.rows[1] = builder.row("A-2", "駅（東口）", "", "")  # not on the map
    result = generate.RefreshResult()
    generate.refresh_dataset(aed[0], result)
    numbers = {r.format: current(r).number for r in dataset.resources.all()}
    assert numbers == {"CSV": 2, "JSON": 2, "GeoJSON": 1}
    assert result.published_versions == 2
    assert Dataset.objects.count() == 1


def test_rows_that_do_not_have_the_standards_columns_are_refused() -> None:
    bad = OpenDataset("test.bad", "壊れた", lambda: [{"名称": "x"}], standard="aed_locations")
    with pytest.raises(generate.GenerationError):
        generate.refresh_dataset(bad)
    assert not Dataset.objects.exists()


def test_one_failing_dataset_does_not_stop_the_others(
    aed: tuple[OpenDataset, AedRows], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = OpenDataset("test.bad", "壊れた", lambda: [{"名称": "x"}], standard="aed_locations")
    monkeypatch.setattr(registry, "open_datasets", lambda: [bad, aed[0]])
    result = generate.refresh_generated_datasets()
    assert list(result.failed) == ["test.bad"]
    assert result.created == ["test.aed_locations"]


def test_a_deleted_generated_dataset_is_not_brought_back(aed: tuple[OpenDataset, AedRows]) -> None:
    dataset = generate.refresh_dataset(aed[0])
    assert dataset is not None
    services.delete_dataset(dataset, by=None, reason="施設の統合のため")
    result = generate.RefreshResult()
    assert generate.refresh_dataset(aed[0], result) is None
    assert result.skipped == ["test.aed_locations"]
    dataset.refresh_from_db()
    assert dataset.state == Dataset.State.DELETED
    assert Dataset.objects.count() == 1


def test_a_name_staff_already_use_gets_a_number(aed: tuple[OpenDataset, AedRows]) -> None:
    services.save_dataset(
        by=None, name="aed-locations", title="AED", department=DepartmentFactory.create()
    )
    dataset = generate.refresh_dataset(aed[0])
    assert dataset is not None
    assert dataset.name == "aed-locations-2"


def test_every_declared_dataset_is_generated_with_its_standards_header() -> None:
    PlaceFactory.create(kind="aed", code="AED-1")
    PlaceFactory.create(kind="shelter", code="SH-1")
    result = generate.refresh_generated_datasets()
    assert result.failed == {}
    declared = registry.open_datasets()
    assert {d.code for d in declared} >= {
        "places.public_facilities",
        "accounts.population_by_area_age",
    }
    for open_dataset in declared:
        dataset = Dataset.objects.get(source=open_dataset.code)
        standard = standard_dataset(open_dataset.standard)
        assert dataset.standard == standard.code
        content = files_of(dataset)["CSV"]
        table = read_table(io.BytesIO(content), "file.csv")
        assert table.header == list(standard.column_names()), open_dataset.code
        assert [p for p in validate(table, standard).problems if p.row == 1] == []


def test_the_command_and_the_job_refresh_every_dataset(
    aed: tuple[OpenDataset, AedRows], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "open_datasets", lambda: [aed[0]])
    out = io.StringIO()
    call_command("opendata_refresh", stdout=out)
    assert "created 1 dataset(s)" in out.getvalue()
    result = tasks.refresh_generated_datasets.enqueue()
    assert result.return_value == {"created": 0, "published_versions": 0}


def test_the_command_fails_when_a_dataset_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = OpenDataset("test.bad", "壊れた", lambda: [{"名称": "x"}], standard="aed_locations")
    monkeypatch.setattr(registry, "open_datasets", lambda: [bad])
    with pytest.raises(CommandError):
        call_command("opendata_refresh", stdout=io.StringIO(), stderr=io.StringIO())


def test_the_demo_loads_once_however_often_it_runs() -> None:
    def load() -> dict[str, int]:
        registry["places"].load_demo()  # type: ignore[misc]
        registry["accounts"].load_demo()  # type: ignore[misc]
        demo.load_demo()
        return {
            model.__name__: model.objects.count()
            for model in (Group, Tag, Dataset, Resource, ResourceVersion, Upload)
        }

    first = load()
    assert first["Dataset"] == 1 + len(registry.open_datasets())
    assert load() == first
    wifi = Dataset.objects.get(name="public-wifi")
    assert wifi.state == Dataset.State.PUBLISHED
    assert "デモデータ" in wifi.description
    content = files_of(wifi)["CSV"]
    table = read_table(io.BytesIO(content), "wifi.csv")
    assert validate(table, standard_dataset("public_wifi")).error_count == 0


def test_a_dataset_not_published_automatically_stays_a_draft_with_current_files(
    aed: tuple[OpenDataset, AedRows],
) -> None:
    by_hand = replace(aed[0], publish_automatically=False)
    dataset = generate.refresh_dataset(by_hand)
    assert dataset is not None
    assert dataset.state == Dataset.State.DRAFT
    assert dataset.published_at is None
    assert set(files_of(dataset)) == {"CSV", "JSON", "GeoJSON"}

    aed[1].rows.append(aed[1].row("A-3", "公民館", "38.0300", "140.8500"))
    dataset = generate.refresh_dataset(by_hand)
    assert dataset is not None
    assert dataset.state == Dataset.State.DRAFT  # a refresh does not publish it either
    assert b"A-3" in files_of(dataset)["CSV"]


def test_the_population_of_the_demo_town_is_a_valid_standard_file_published_by_the_demo() -> None:
    registry["places"].load_demo()  # type: ignore[misc]
    registry["accounts"].load_demo()  # type: ignore[misc]
    generate.refresh_generated_datasets()
    population = Dataset.objects.get(source="accounts.population_by_area_age")
    assert population.state == Dataset.State.DRAFT  # the residents who signed up: staff decide

    demo.load_demo()

    population.refresh_from_db()
    assert population.state == Dataset.State.PUBLISHED
    content = files_of(population)["CSV"]
    table = read_table(io.BytesIO(content), "population.csv")
    result = validate(table, standard_dataset("population_by_area_age"))
    assert [str(problem) for problem in result.problems if not problem.is_warning] == []
    assert result.error_count == 0
    assert result.row_count > 0
    assert b",X," in content  # the demo town is small: some counts are suppressed
