import csv
import re
from pathlib import Path

import pytest

from yakuba.core.standard_datasets import (
    STANDARD_DATASETS,
    ColumnType,
    StandardDataset,
    is_municipality_code,
    standard_dataset,
)

SAMPLES = Path(__file__).parent / "data" / "standard_samples"
DATASETS = list(STANDARD_DATASETS.values())


def dataset_id(dataset: StandardDataset) -> str:
    return dataset.code


def test_the_datasets_the_platform_publishes_are_defined() -> None:
    assert {
        "public_facilities",
        "aed_locations",
        "evacuation_sites",
        "shelters",
        "childcare_facilities",
        "medical_institutions",
        "events",
        "population_by_area_age",
    } <= set(STANDARD_DATASETS)


def test_a_dataset_is_found_by_its_code_and_an_unknown_code_is_a_key_error() -> None:
    assert standard_dataset("aed_locations").title == "AED設置箇所一覧"
    with pytest.raises(KeyError):
        standard_dataset("no_such_dataset")


@pytest.mark.parametrize("dataset", DATASETS, ids=dataset_id)
def test_a_dataset_is_described_and_sourced(dataset: StandardDataset) -> None:
    assert STANDARD_DATASETS[dataset.code] is dataset
    assert dataset.title and dataset.title_en
    assert dataset.source.startswith("https://")
    assert dataset.column_names() == tuple(c.name for c in dataset.columns)


@pytest.mark.parametrize("dataset", DATASETS, ids=dataset_id)
def test_column_names_are_unique(dataset: StandardDataset) -> None:
    names = dataset.column_names()
    assert len(names) == len(set(names))


@pytest.mark.parametrize("dataset", DATASETS, ids=dataset_id)
def test_every_dataset_requires_what_identifies_a_row(dataset: StandardDataset) -> None:
    required = {c.name for c in dataset.columns if c.required}
    assert required
    names = set(dataset.column_names())
    if "所在地_連結表記" in names:
        # A sheet with an address requires its one-line form (◎), except where the Ver.1
        # definition left the address optional: hydrants and cultural properties.
        optional_address = dataset.code in {"fire_water_facilities", "cultural_properties"}
        assert ("所在地_連結表記" in required) != optional_address
    if "名称" in names:
        assert "名称" in required


@pytest.mark.parametrize(
    ("code", "required"),
    [
        ("evacuation_sites", {"名称", "所在地_連結表記", "電話番号", "市区町村コード"}),
        ("public_toilets", {"名称", "所在地_連結表記", "設置位置"}),
        ("events", {"イベント名", "開始日", "終了日", "開始時間", "終了時間"}),
        ("population_by_area_age", {"調査年月日", "地域名", "総人口", "男性", "女性"}),
    ],
)
def test_the_official_required_columns_are_required(code: str, required: set[str]) -> None:
    dataset = standard_dataset(code)
    assert required <= {c.name for c in dataset.columns if c.required}


def test_evacuation_sites_require_every_disaster_type_and_the_shelter_overlap() -> None:
    dataset = standard_dataset("evacuation_sites")
    flags = [c for c in dataset.columns if c.name.startswith("災害種別_")]
    assert len(flags) == 8
    assert all(c.required for c in flags)
    assert next(c for c in dataset.columns if c.name == "指定避難所との重複").required


@pytest.mark.parametrize("dataset", DATASETS, ids=dataset_id)
def test_the_municipality_code_comes_first(dataset: StandardDataset) -> None:
    first = dataset.columns[0]
    assert first.name == "全国地方公共団体コード"
    assert first.type is ColumnType.MUNICIPALITY_CODE


@pytest.mark.parametrize("dataset", DATASETS, ids=dataset_id)
def test_coordinates_are_typed_and_latitude_comes_before_longitude(
    dataset: StandardDataset,
) -> None:
    names = dataset.column_names()
    types = {c.name: c.type for c in dataset.columns}
    if "緯度" not in names:
        assert dataset.code in {"population_by_area_age", "open_data_catalogue"}
        return
    assert types["緯度"] is ColumnType.LATITUDE
    assert types["経度"] is ColumnType.LONGITUDE
    assert names.index("経度") == names.index("緯度") + 1


@pytest.mark.parametrize("dataset", DATASETS, ids=dataset_id)
def test_a_dataset_not_read_from_the_official_sheet_says_so(dataset: StandardDataset) -> None:
    # Every definition says what it rests on; those we could not read whole say "best reading".
    assert dataset.note
    verified = {"public_toilets", "evacuation_sites", "fire_water_facilities"}
    assert ("best reading" in dataset.note) == (dataset.code not in verified)


@pytest.mark.parametrize("dataset", DATASETS, ids=dataset_id)
def test_column_examples_fit_their_type(dataset: StandardDataset) -> None:
    for column in dataset.columns:
        if column.example:
            assert fits(column.type, column.example), (column.name, column.example)


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.csv")), ids=lambda p: p.stem)
def test_an_official_sample_has_exactly_the_standards_header(path: Path) -> None:
    dataset = standard_dataset(path.stem)
    with path.open(encoding="utf-8", newline="") as sample:
        header, *rows = list(csv.reader(sample))
    assert tuple(header) == dataset.column_names()
    assert rows
    for row in rows:
        assert len(row) == len(header)
        for column, value in zip(dataset.columns, row, strict=True):
            assert value or not column.required or column.name.startswith("災害種別_")
            assert not value or fits(column.type, value), (column.name, value)


@pytest.mark.parametrize("code", ["043231", "011002", "131016", "462209", "082201"])
def test_real_municipality_codes_pass_the_check_digit(code: str) -> None:
    assert is_municipality_code(code)


@pytest.mark.parametrize("code", ["043232", "04323", "0432310", "04323a", "０４３２３１", ""])
def test_wrong_municipality_codes_fail(code: str) -> None:
    assert not is_municipality_code(code)


def fits(type: ColumnType, value: str) -> bool:
    """Whether a cell written as the standard's common rules say fits the column type."""
    match type:
        case ColumnType.MUNICIPALITY_CODE:
            return is_municipality_code(value)
        case ColumnType.LATITUDE:
            return -90 <= float(value) <= 90
        case ColumnType.LONGITUDE:
            return -180 <= float(value) <= 180
        case ColumnType.INTEGER:
            return value.isdigit()
        case ColumnType.DECIMAL:
            return re.fullmatch(r"-?\d+(\.\d+)?", value) is not None
        case ColumnType.DATE:
            return re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None
        case ColumnType.TIME:
            return re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value) is not None
        case ColumnType.POSTAL_CODE:
            return re.fullmatch(r"\d{3}-?\d{4}", value) is not None
        case ColumnType.URL:
            return value.startswith(("http://", "https://"))
        case ColumnType.EMAIL:
            return "@" in value
        case _:
            return True
