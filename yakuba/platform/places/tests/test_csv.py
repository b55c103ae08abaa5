"""The staff CSV: import (validate everything, then all or nothing) and export."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import translation

from yakuba.platform.places import place_csv
from yakuba.platform.places.models import Place, PlaceKind
from yakuba.platform.places.services import export_places_csv, import_places_csv

from .factories import DistrictFactory, PlaceFactory, square

pytestmark = pytest.mark.django_db

HEADER = [column for _field, column in place_csv.COLUMNS]


def good_row(**cells: str) -> dict[str, str]:
    row = {
        "ID": "IMP-001",
        "種別": "避難所",
        "名称": "テスト避難所",
        "名称_カナ": "てすとひなんじょ",
        "名称_英字": "Test Shelter",
        "郵便番号": "989-2351",
        "住所": "亘理町字悠里",
        "緯度": "38.005",
        "経度": "140.005",
        "行政区コード": "",
        "開館時間": "24時間",
        "車いす利用可": "1",
        "多機能トイレ": "0",
        "バリアフリー情報": "",
        "収容人数": "200",
        "電話番号": "0223-34-1111",
        "URL": "https://example.jp/shelter",
        "備考": "",
        "公開": "1",
    }
    row.update(cells)
    return row


def csv_bytes(
    rows: list[dict[str, str]], *, encoding: str = "utf-8", header: list[str] | None = None
) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    columns = header or HEADER
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return buffer.getvalue().encode(encoding)


def test_good_file_imports_every_row() -> None:
    rows = [good_row(), good_row(ID="IMP-002", 名称="二つ目", 種別="aed")]
    result = import_places_csv(csv_bytes(rows), by=None)
    assert result.is_ok, [str(e) for e in result.errors]
    assert (result.created, result.updated) == (2, 0)
    place = Place.objects.get(code="IMP-001")
    assert place.kind == PlaceKind.SHELTER
    assert place.capacity == 200
    assert place.wheelchair_accessible is True
    assert place.accessible_toilet is False
    assert Place.objects.get(code="IMP-002").kind == PlaceKind.AED


def test_import_finds_the_district_from_the_coordinates() -> None:
    district = DistrictFactory(boundary=square(140.0, 38.0))
    import_places_csv(csv_bytes([good_row()]), by=None)
    assert Place.objects.get(code="IMP-001").district == district


def test_import_keeps_an_explicit_district_code() -> None:
    DistrictFactory(boundary=square(140.0, 38.0))
    other = DistrictFactory(code="OTHER", boundary=None)
    import_places_csv(csv_bytes([good_row(行政区コード="OTHER")]), by=None)
    assert Place.objects.get(code="IMP-001").district == other


BAD_ROWS = [
    ({"種別": "城"}, "種別", "「城」は種別にありません"),
    ({"種別": ""}, "種別", ""),
    ({"名称": ""}, "名称", ""),
    ({"緯度": "北"}, "緯度", "数値ではありません"),
    ({"緯度": ""}, "緯度", "入力してください"),
    ({"緯度": "95"}, "緯度", "90"),
    ({"経度": "-181"}, "経度", "-180"),
    ({"経度": "nan"}, "経度", "数値ではありません"),
    ({"URL": "not a url"}, "URL", ""),
    ({"収容人数": "たくさん"}, "収容人数", "整数ではありません"),
    ({"収容人数": "-5"}, "収容人数", ""),
    ({"車いす利用可": "たぶん"}, "車いす利用可", "「1」（はい）か「0」（いいえ）"),
    ({"行政区コード": "NOPE"}, "行政区コード", "「NOPE」は登録されていません"),
    ({"ID": ""}, "ID", ""),
    ({"ID": "ＩＤ全角"}, "ID", "半角英数字"),
    ({"名称": "長" * 101}, "名称", ""),
]


@pytest.mark.parametrize(("cells", "column", "message"), BAD_ROWS)
def test_one_bad_row_is_reported_with_its_line_and_column_and_nothing_is_imported(
    cells: dict[str, str], column: str, message: str
) -> None:
    rows = [good_row(ID="OK-001"), good_row(ID="OK-002"), good_row(**{"ID": "BAD-1", **cells})]
    with translation.override("ja"):
        result = import_places_csv(csv_bytes(rows), by=None)
        texts = [str(e) for e in result.errors]
    assert not result.is_ok
    assert Place.objects.count() == 0
    assert any(t.startswith(f"4行目: {column}: ") and message in t for t in texts), texts


def test_every_bad_row_is_reported_not_only_the_first() -> None:
    rows = [good_row(ID="A", 緯度="x"), good_row(ID="B"), good_row(ID="C", 名称="", 経度="999")]
    with translation.override("ja"):
        result = import_places_csv(csv_bytes(rows), by=None)
    lines = sorted((e.line, e.column) for e in result.errors)
    assert lines == [(2, "緯度"), (4, "名称"), (4, "経度")]


def test_duplicate_id_inside_the_file_is_an_error() -> None:
    rows = [good_row(ID="SAME"), good_row(ID="OTHER"), good_row(ID="SAME")]
    with translation.override("ja"):
        result = import_places_csv(csv_bytes(rows), by=None)
    assert [str(e) for e in result.errors] == ["4行目: ID: ID「SAME」が2行目と重複しています。"]
    assert Place.objects.count() == 0


def test_a_bad_row_leaves_existing_places_unchanged() -> None:
    PlaceFactory(code="IMP-001", name="元の名前")
    rows = [good_row(名称="新しい名前"), good_row(ID="IMP-002", 緯度="bad")]
    assert not import_places_csv(csv_bytes(rows), by=None).is_ok
    assert Place.objects.get(code="IMP-001").name == "元の名前"


def test_errors_are_in_the_users_language() -> None:
    with translation.override("en"):
        result = import_places_csv(csv_bytes([good_row(緯度="x")]), by=None)
        assert str(result.errors[0]) == "Row 2: 緯度: “x” is not a number."


def test_line_numbers_count_blank_lines_and_multiline_cells() -> None:
    text = "\r\n".join(
        [
            ",".join(HEADER),
            ",".join(good_row(ID="A").values()),
            "",
            ",".join(good_row(ID="B", 備考='"一行目\n二行目"').values()),
            ",".join(good_row(ID="C", 緯度="x").values()),
        ]
    )
    result = import_places_csv(text.encode("utf-8"), by=None)
    assert [(e.line, e.column) for e in result.errors] == [(6, "緯度")]


def test_upsert_by_id_updates_the_existing_place() -> None:
    place = PlaceFactory.create(code="IMP-001", name="古い名前", kind=PlaceKind.FACILITY)
    result = import_places_csv(csv_bytes([good_row(名称="新しい名前")]), by=None)
    assert (result.created, result.updated) == (0, 1)
    place.refresh_from_db()
    assert place.name == "新しい名前"
    assert place.kind == PlaceKind.SHELTER
    assert Place.objects.count() == 1


@pytest.mark.parametrize("encoding", ["shift_jis", "cp932", "utf-8", "utf-8-sig"])
def test_file_in_each_supported_encoding_imports(encoding: str) -> None:
    rows = [good_row(名称="亘理町中央公民館", 住所="宮城県亘理郡亘理町字悠里１番地")]
    result = import_places_csv(csv_bytes(rows, encoding=encoding), by=None)
    assert result.is_ok, [str(e) for e in result.errors]
    assert Place.objects.get().name == "亘理町中央公民館"


def test_cp932_only_characters_import() -> None:
    """Excel's "Shift_JIS" is CP932: NEC special characters such as ① and ㈱ must survive."""
    result = import_places_csv(
        csv_bytes([good_row(備考="①番窓口 ㈱テスト")], encoding="cp932"), by=None
    )
    assert result.is_ok
    assert Place.objects.get().notes == "①番窓口 ㈱テスト"


def test_file_in_an_unknown_encoding_is_rejected() -> None:
    data = csv_bytes([good_row()], encoding="utf-16")
    with translation.override("ja"):
        result = import_places_csv(data, by=None)
    assert "文字コードを判別できません" in str(result.errors[0])


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ([c for c in HEADER if c != "緯度"], "見出し「緯度」がありません"),
        ([*HEADER, "色"], "見出し「色」は使えません"),
        ([*HEADER, "名称"], "見出し「名称」が重複しています"),
    ],
)
def test_bad_header_is_reported_on_line_one(header: list[str], message: str) -> None:
    with translation.override("ja"):
        result = import_places_csv(csv_bytes([good_row()], header=header), by=None)
        texts = [str(e) for e in result.errors]
    assert any(t.startswith("1行目: ") and message in t for t in texts), texts
    assert Place.objects.count() == 0


def test_header_with_only_the_required_columns_is_enough() -> None:
    header = list(place_csv.REQUIRED_COLUMNS)
    result = import_places_csv(csv_bytes([good_row()], header=header), by=None)
    assert result.is_ok
    assert Place.objects.get().is_public is True


def test_empty_file_and_header_only_file_are_errors() -> None:
    assert not import_places_csv(b"", by=None).is_ok
    assert not import_places_csv(csv_bytes([]), by=None).is_ok


def test_row_with_more_cells_than_the_header_is_an_error() -> None:
    data = csv_bytes([good_row()]) + ",".join([*good_row(ID="X").values(), "extra"]).encode()
    result = import_places_csv(data, by=None)
    assert [e.line for e in result.errors] == [3]


def test_oversized_file_is_rejected_before_it_is_read() -> None:
    data = b"x" * (place_csv.MAX_FILE_BYTES + 10)
    assert not import_places_csv(io.BytesIO(data), by=None).is_ok


def test_export_is_utf8_with_a_bom_and_the_import_columns() -> None:
    PlaceFactory(code="EXP-001", name="書き出し")
    data = export_places_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    assert rows[1][0] == "EXP-001"


def test_export_then_import_round_trips_every_field() -> None:
    district = DistrictFactory(code="RT", boundary=None)
    PlaceFactory(
        code="RT-001",
        kind=PlaceKind.MEDICAL,
        name="往復クリニック",
        name_en="Round Trip Clinic",
        postal_code="989-2351",
        latitude=38.0123456,
        longitude=140.8765432,
        district=district,
        opening_hours="9:00〜17:00",
        wheelchair_accessible=True,
        accessible_toilet=True,
        accessibility_notes="スロープ, 点字",
        capacity=12,
        phone="0223-00-0000",
        url="https://example.jp/a?b=c",
        notes='改行\nと"引用符"',
        is_public=False,
    )
    fields = [f for f, _c in place_csv.COLUMNS if f != "district"]
    before = Place.objects.values(*fields, "district_id").get()
    data = export_places_csv()
    Place.objects.all().delete()
    result = import_places_csv(data, by=None)
    assert result.is_ok, [str(e) for e in result.errors]
    assert Place.objects.values(*fields, "district_id").get() == before


def test_export_defuses_spreadsheet_formulas_and_import_restores_the_text() -> None:
    PlaceFactory(code="F-1", name="=HYPERLINK(1)", phone="+81-223-34-1111", latitude=-33.5)
    data = export_places_csv()
    row = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1]
    assert row[HEADER.index("名称")] == "'=HYPERLINK(1)"
    assert row[HEADER.index("電話番号")] == "'+81-223-34-1111"
    assert row[HEADER.index("緯度")] == "-33.5"
    Place.objects.all().delete()
    assert import_places_csv(data, by=None).is_ok
    place = Place.objects.get()
    assert (place.name, place.phone, place.latitude) == ("=HYPERLINK(1)", "+81-223-34-1111", -33.5)
