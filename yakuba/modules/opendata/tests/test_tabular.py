"""Reading uploaded tables: encodings, CSV details, XLSX values, broken files."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yakuba.modules.opendata import tabular
from yakuba.modules.opendata.tabular import Row, Table, TableError, read_table

HEADER = "名称,住所,緯度,経度"
CONTENT = (
    "名称,住所,緯度,経度\r\n"
    "亘理町役場,宮城県亘理郡亘理町字悠里1,38.0380,140.8790\r\n"
    "逢隈公民館,宮城県亘理郡亘理町逢隈,38.0590,140.8650\r\n"
)


def read(data: bytes, filename: str = "施設.csv") -> Table:
    return read_table(io.BytesIO(data), filename)


def rows_of(table: Table) -> list[tuple[int, list[str]]]:
    return [(row.number, list(row)) for row in table.rows]


def xlsx(*rows: tuple[object, ...], sheets: int = 1) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    for number in range(1, sheets):
        workbook.create_sheet(f"Sheet{number + 1}").append(["別のシート"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def table_error(data: bytes, filename: str = "施設.csv") -> str:
    with pytest.raises(TableError) as raised:
        rows_of(read(data, filename))
    return str(raised.value)


# -- Encodings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("codec", "encoding"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("cp932", "cp932"),
        ("shift_jis", "cp932"),
    ],
)
def test_japanese_csv_is_read_in_each_encoding_excel_and_others_write(
    codec: str, encoding: str
) -> None:
    table = read(CONTENT.encode(codec))

    assert table.encoding == encoding
    assert table.format == "csv"
    assert table.header == ["名称", "住所", "緯度", "経度"]
    assert rows_of(table) == [
        (2, ["亘理町役場", "宮城県亘理郡亘理町字悠里1", "38.0380", "140.8790"]),
        (3, ["逢隈公民館", "宮城県亘理郡亘理町逢隈", "38.0590", "140.8650"]),
    ]


def test_characters_only_cp932_has_are_read_from_a_file_excel_saved() -> None:
    table = read("名称,備考\n髙橋医院,①番窓口～\n".encode("cp932"))

    assert rows_of(table) == [(2, ["髙橋医院", "①番窓口～"])]


def test_a_utf8_file_with_one_japanese_character_late_in_the_file_is_utf8() -> None:
    text = "名称,番号\n" + "".join(f"A{number},{number}\n" for number in range(20_000)) + "亘理,1\n"

    table = read(text.encode("utf-8"))

    assert table.encoding == "utf-8"
    assert list(list(table.rows)[-1]) == ["亘理", "1"]


def test_a_cp932_file_with_its_first_japanese_character_late_in_the_file_is_cp932() -> None:
    text = "name,n\n" + "".join(f"A{number},{number}\n" for number in range(20_000)) + "亘理,1\n"

    table = read(text.encode("cp932"))

    assert table.encoding == "cp932"
    assert list(list(table.rows)[-1]) == ["亘理", "1"]


def test_a_file_in_neither_utf8_nor_shift_jis_is_refused() -> None:
    # 0x82 starts a two-byte CP932 character; 0xFF can follow nothing; neither is UTF-8.
    assert "文字コードを判別できません" in table_error(b"name\n\x82\xff\n")


def test_an_iso_2022_jp_file_is_refused_as_an_unknown_encoding() -> None:
    assert "文字コードを判別できません" in table_error(CONTENT.encode("iso2022_jp"))


def test_a_utf16_file_gets_a_message_on_how_to_save_it_again() -> None:
    message = table_error(CONTENT.encode("utf-16"))

    assert "UTF-16" in message
    assert "CSV UTF-8" in message


# -- CSV details -------------------------------------------------------------------------------


def test_a_line_break_inside_quotes_stays_in_its_cell_and_rows_keep_spreadsheet_numbers() -> None:
    table = read('名称,備考\n役場,"1階\r\n2階"\n公民館,"""本館"""\n'.encode())

    assert rows_of(table) == [(2, ["役場", "1階\r\n2階"]), (3, ["公民館", '"本館"'])]


def test_blank_rows_are_skipped_but_still_counted_and_trailing_empty_lines_dropped() -> None:
    table = read("名称,番号\n役場,1\n\n,\n公民館,2\n\n\n".encode())

    assert rows_of(table) == [(2, ["役場", "1"]), (5, ["公民館", "2"])]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_kind_of_line_end_is_read(newline: str) -> None:
    table = read(newline.join(["名称,番号", "役場,1", "公民館,2"]).encode())

    assert rows_of(table) == [(2, ["役場", "1"]), (3, ["公民館", "2"])]


def test_a_cr_at_a_chunk_boundary_still_pairs_with_its_lf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tabular, "READ_CHUNK_BYTES", 8)
    data = b"name,n\r\nabcdef\r\nxy,2\r\n"  # the first "\r\n" of a row falls across 8 bytes

    assert rows_of(read(data)) == [(2, ["abcdef", ""]), (3, ["xy", "2"])]


def test_a_tsv_file_is_split_on_tabs() -> None:
    table = read("名称\t住所\n役場\t悠里1, 2\n".encode(), "施設.tsv")

    assert table.format == "tsv"
    assert rows_of(table) == [(2, ["役場", "悠里1, 2"])]


def test_a_csv_excel_saved_as_tab_separated_text_is_split_on_tabs() -> None:
    table = read("名称\t住所\n役場\t悠里1\n".encode())

    assert table.header == ["名称", "住所"]
    assert rows_of(table) == [(2, ["役場", "悠里1"])]


def test_short_rows_are_padded_and_empty_cells_past_the_header_are_dropped() -> None:
    table = read("名称,番号,備考,,\n役場\n公民館,2,,,\n".encode())

    assert table.header == ["名称", "番号", "備考"]
    assert rows_of(table) == [(2, ["役場", "", ""]), (3, ["公民館", "2", ""])]


def test_a_row_with_more_values_than_the_header_is_refused_with_its_number() -> None:
    message = table_error("名称,番号\n役場,1\n公民館,2,悠里\n".encode())

    assert message.startswith("3行目には見出しより多くの値があります（見出しは2列、この行は3列）")


def test_header_names_are_trimmed_and_the_bom_removed() -> None:
    table = read(" 名称 ,\u3000番号\n役場,1\n".encode("utf-8-sig"))

    assert table.header == ["名称", "番号"]


def test_a_quote_left_open_is_reported_with_the_row_it_starts_on() -> None:
    message = table_error('名称,備考\n役場,1\n公民館,"閉じていない\n体育館,3\n'.encode())

    assert message.startswith('3行目: 引用符（"）が閉じられていないか')


def test_text_after_a_closing_quote_is_reported() -> None:
    assert table_error('名称,備考\n役場,"1"階\n'.encode()).startswith("2行目: 引用符")


# -- XLSX --------------------------------------------------------------------------------------


def test_xlsx_values_become_the_text_an_open_data_file_holds() -> None:
    data = xlsx(
        (
            "名称",
            "開設日",
            "開始時間",
            "更新日時",
            "収容人数",
            "緯度",
            "小さな数",
            "有無",
            "郵便番号",
        ),
        (
            "役場",
            datetime.date(2024, 4, 1),
            datetime.time(9, 30),
            datetime.datetime(2024, 4, 1, 17, 5),
            120.0,
            38.038,
            0.00001,
            True,
            "989-2393",
        ),
        (None,) * 9,
        ("公民館", datetime.datetime(2019, 5, 1), None, None, 35, -1.5, 1e16, False, 9892393),
        sheets=2,
    )

    table = read(data, "施設.xlsx")

    assert table.format == "xlsx"
    assert table.encoding == ""
    assert table.header[:3] == ["名称", "開設日", "開始時間"]
    assert rows_of(table) == [
        (
            2,
            [
                "役場",
                "2024-04-01",
                "09:30",
                "2024-04-01 17:05",
                "120",
                "38.038",
                "0.00001",
                "TRUE",
                "989-2393",
            ],
        ),
        (
            4,
            ["公民館", "2019-05-01", "", "", "35", "-1.5", "10000000000000000", "FALSE", "9892393"],
        ),
    ]


def test_xlsx_rows_keep_the_sheet_row_numbers_after_empty_rows() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["A1"], sheet["B1"] = "名称", "番号"
    sheet["A5"], sheet["B5"] = "役場", 1
    out = io.BytesIO()
    workbook.save(out)

    assert rows_of(read(out.getvalue(), "施設.xlsx")) == [(5, ["役場", "1"])]


def test_an_xlsx_named_csv_is_read_as_the_workbook_it_is() -> None:
    table = read(xlsx(("名称",), ("役場",)), "施設.csv")

    assert table.format == "xlsx"
    assert rows_of(table) == [(2, ["役場"])]


def test_a_damaged_xlsx_is_refused() -> None:
    data = xlsx(("名称",), ("役場",))

    assert "Excelファイル（.xlsx）として読めません" in table_error(data[:200], "施設.xlsx")
    assert "Excelファイル（.xlsx）として読めません" in table_error(b"not a zip", "施設.xlsx")


def test_an_old_xls_file_gets_a_message_on_how_to_save_it_again() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)

    assert "古いExcel形式（.xls）" in table_error(data, "施設.xls")


# -- Broken or wrong files ---------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"  \r\n\r\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(data: bytes) -> None:
    assert table_error(data) == "ファイルが空です。"


def test_a_file_that_is_not_a_table_is_refused() -> None:
    assert "CSVファイルではないようです" in table_error(b"%PDF-1.7\n\x00\x01\x02binary")


def test_a_file_of_another_kind_is_refused_by_its_name() -> None:
    assert "「案内.pdf」は読めません" in table_error(b"%PDF-1.7", "案内.pdf")


def test_a_first_row_left_blank_is_reported_as_a_missing_header() -> None:
    assert table_error(",,\n役場,1,2\n".encode()).startswith("1行目に見出し（列名）がありません")


def test_a_title_above_the_header_is_reported() -> None:
    message = table_error("亘理町AED一覧,,\n名称,住所,緯度\n".encode())

    assert message.startswith("1行目は表の題名のようです")


def test_a_header_with_a_gap_names_the_empty_column() -> None:
    assert table_error("名称,,緯度\n".encode()).startswith("1行目の見出しの2列目が空です")


def test_a_first_row_of_data_is_reported_as_a_missing_header() -> None:
    assert table_error(b"38.038,140.879\n38.05,140.86\n").startswith("1行目が列名ではなくデータ")


def test_duplicate_column_names_are_listed() -> None:
    message = table_error("名称,住所,名称,備考,住所\n".encode())

    assert (
        message
        == "同じ名前の列があります：「名称」、「住所」。列名はそれぞれ違う名前にしてください。"
    )


def test_too_many_columns_are_refused() -> None:
    header = ",".join(f"列{number}" for number in range(tabular.MAX_COLUMNS + 1))

    assert table_error(header.encode()).startswith("列が多すぎます（201列。上限は200列です）")


def test_a_file_over_the_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tabular, "MAX_FILE_BYTES", 1024 * 1024)
    data = (HEADER + "\n" + "役場,悠里,38.0,140.8\n" * 60_000).encode()

    assert table_error(data) == "ファイルが大きすぎます（上限は1 MBです）。"
    assert table_error(xlsx(("名称",), ("x" * 100,)) + bytes(1024 * 1024), "a.xlsx") == (
        "ファイルが大きすぎます（上限は1 MBです）。"
    )


def test_a_row_is_a_list_of_cells_with_its_number() -> None:
    row = Row(["役場", "1"], 7)

    assert row == ["役場", "1"]
    assert row.number == 7


@settings(max_examples=300, deadline=None)
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.binary(max_size=400).map(lambda tail: b"PK\x03\x04" + tail),
        st.binary(max_size=400).map(lambda tail: "名称,番号\n".encode() + tail),
        st.text(max_size=200).map(lambda text: text.encode("utf-8-sig")),
    ),
    filename=st.sampled_from(["a.csv", "a.tsv", "a.xlsx", "a.txt"]),
)
def test_any_bytes_either_read_or_raise_table_error(data: bytes, filename: str) -> None:
    try:
        table = read(data, filename)
        for row in table.rows:
            assert len(row) == len(table.header)
    except TableError as error:
        assert str(error)
