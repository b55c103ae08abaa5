"""Checking uploaded tables against a standard data set, and inferring columns without one."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator

import pytest

from yakuba.core.standard_datasets import ColumnType, StandardColumn, StandardDataset
from yakuba.modules.opendata.tabular import Table, read_table
from yakuba.modules.opendata.validation import MAX_PROBLEMS, CheckResult, Problem, validate

T = ColumnType

AED = StandardDataset(
    code="aed_test",
    title="AED設置箇所一覧",
    title_en="AED locations",
    columns=(
        StandardColumn("全国地方公共団体コード", T.MUNICIPALITY_CODE, required=True),
        StandardColumn("名称", T.TEXT, required=True),
        StandardColumn("名称_カナ", T.TEXT, required=False),
        StandardColumn("緯度", T.LATITUDE, required=False),
        StandardColumn("経度", T.LONGITUDE, required=False),
        StandardColumn("備考", T.TEXT, required=False),
    ),
    source="https://www.digital.go.jp/",
)


def table(text: str) -> Table:
    return read_table(io.BytesIO(text.encode()), "data.csv")


def check(text: str, standard: StandardDataset | None = AED, **options: int) -> CheckResult:
    return validate(table(text), standard, **options)


def one_column(type: ColumnType) -> StandardDataset:
    return StandardDataset(
        code="one",
        title="一列",
        title_en="One column",
        columns=(StandardColumn("値", type, required=False),),
        source="https://example.jp/",
    )


def value_problems(type: ColumnType, value: str) -> list[Problem]:
    quoted = '"' + value.replace('"', '""') + '"'
    return check(f"値\n{quoted}\n", one_column(type)).problems


# -- Columns -----------------------------------------------------------------------------------


def test_a_file_that_follows_the_standard_has_no_problem() -> None:
    result = check(
        "全国地方公共団体コード,名称,名称_カナ,緯度,経度,備考\n"
        "043231,亘理町役場,ワタリチョウヤクバ,38.0380,140.8790,\n"
    )

    assert result.problems == []
    assert (result.problem_count, result.row_count, result.has_errors) == (0, 1, False)
    assert result.columns == list(AED.columns)


def test_a_missing_required_column_is_an_error_and_missing_optional_ones_one_warning() -> None:
    result = check("名称,緯度,経度\n亘理町役場,38.0380,140.8790\n")

    assert [(problem.row, problem.column, problem.is_warning) for problem in result.problems] == [
        (1, "全国地方公共団体コード", False),
        (1, "", True),
    ]
    assert result.problems[0].message == "必須の列「全国地方公共団体コード」がありません。"
    assert result.problems[1].message == (
        "標準の次の列がありません（なくても構いません）：名称_カナ、備考。"
    )


def test_an_unknown_column_is_flagged_and_a_misspelt_one_gets_the_standard_name() -> None:
    result = check(
        "全国地方公共団体コード,名称,名称_カナ,緯度,経　度,備考,設置場所\n"
        "043231,亘理町役場,,38.0380,140.8790,,1階\n"
    )

    messages = {problem.column: problem.message for problem in result.problems}
    assert messages["経　度"] == (
        "「経　度」は標準データセット「AED設置箇所一覧」にない列です。"
        "「経度」の書き間違いではありませんか。"
    )
    assert messages["設置場所"] == "「設置場所」は標準データセット「AED設置箇所一覧」にない列です。"


def test_columns_out_of_the_standards_order_are_reported_with_the_order_to_use() -> None:
    result = check(
        "名称,全国地方公共団体コード,独自,名称_カナ,緯度,経度,備考\n"
        "亘理町役場,043231,x,,38.0380,140.8790,\n"
    )

    errors = [problem for problem in result.problems if not problem.is_warning]
    assert [str(problem) for problem in errors] == [
        "1行目: 列の順番が標準と違います。次の順に並べてください："
        "全国地方公共団体コード、名称、名称_カナ、緯度、経度、備考、独自。"
    ]


def test_extra_columns_get_inferred_types_beside_the_standards_columns() -> None:
    result = check(
        "全国地方公共団体コード,名称,名称_カナ,緯度,経度,備考,設置日\n"
        "043231,亘理町役場,,38.0380,140.8790,,2024-04-01\n"
    )

    assert result.columns[-1] == StandardColumn("設置日", T.DATE, required=True)


# -- Rows --------------------------------------------------------------------------------------


def test_an_empty_required_cell_is_reported_with_the_row_as_in_the_file() -> None:
    result = check(
        "全国地方公共団体コード,名称,名称_カナ,緯度,経度,備考\n"
        '043231,亘理町役場,,38.0380,140.8790,"1階\n正面玄関"\n'
        "043231,　,,38.0380,140.8790,\n"
    )

    assert [str(problem) for problem in result.problems] == [
        "3行目「名称」: 必須の項目が空です。値を入れてください。"
    ]


def test_the_message_names_row_column_value_and_what_is_expected() -> None:
    result = check(
        "全国地方公共団体コード,名称,名称_カナ,緯度,経度,備考\n"
        "043231,亘理町役場,,38.0380,140.8790,\n"
        "043231,逢隈公民館,,139.5,38.05,\n"
    )

    assert str(result.problems[0]) == (
        "3行目「緯度」: 「139.5」は緯度の範囲（-90〜90）を超えています。経度と入れ替わっていませんか。"
    )
    assert str(result.problems[1]) == (
        "3行目「経度」: 「38.05」は日本の範囲（東経122〜154度）の外です。"
        "緯度と入れ替わっていませんか。位置を確かめてください。"
    )


def test_a_header_only_file_is_a_warning() -> None:
    result = check("全国地方公共団体コード,名称,名称_カナ,緯度,経度,備考\n")

    assert [(problem.row, problem.is_warning) for problem in result.problems] == [(2, True)]
    assert result.row_count == 0


def test_problems_past_the_cap_are_counted_but_not_kept() -> None:
    header = "全国地方公共団体コード,名称,名称_カナ,緯度,経度,備考\n"
    rows = "043232,亘理町役場,,38.0380,140.8790,\n" * (MAX_PROBLEMS + 500)

    result = check(header + rows)

    assert len(result.problems) == MAX_PROBLEMS
    assert result.problem_count == result.error_count == MAX_PROBLEMS + 500
    assert result.is_truncated
    assert result.problems[-1].row == MAX_PROBLEMS + 1


def test_a_smaller_cap_can_be_asked_for() -> None:
    result = check("値\nx\ny\nz\n", one_column(T.INTEGER), max_problems=2)

    assert (len(result.problems), result.problem_count) == (2, 3)


# -- Values, type by type, at their boundaries --------------------------------------------------

OK, WARNING, ERROR = "ok", "warning", "error"

CASES: list[tuple[ColumnType, str, str, str]] = [
    # (type, value, outcome, part of the message)
    (T.TEXT, "なんでも", OK, ""),
    (T.INTEGER, "120", OK, ""),
    (T.INTEGER, "-3", OK, ""),
    (T.INTEGER, "1,234", WARNING, "「1234」と書いて"),
    (T.INTEGER, "１２", WARNING, "「12」と書いて"),
    (T.INTEGER, "1.5", ERROR, "整数ではありません"),
    (T.INTEGER, "約10", ERROR, "数値ではありません"),
    (T.DECIMAL, "12.5", OK, ""),
    (T.DECIMAL, "-.5", OK, ""),
    (T.DECIMAL, "12.", ERROR, "数値ではありません"),
    (T.DATE, "2024-02-29", OK, ""),
    (T.DATE, "2023-02-29", ERROR, "「2023-02-29」は存在しない日付です。"),
    (T.DATE, "2024-13-01", ERROR, "存在しない日付"),
    (T.DATE, "2024/2/29", WARNING, "「2024/2/29」は「2024-02-29」のように YYYY-MM-DD"),
    (T.DATE, "2023/2/29", ERROR, "存在しない日付"),
    (T.DATE, "2024年4月1日", WARNING, "「2024-04-01」"),
    (T.DATE, "令和6年2月29日", WARNING, "「令和6年2月29日」は和暦です。西暦で「2024-02-29」"),
    (T.DATE, "R5.2.29", ERROR, "存在しない日付"),
    (T.DATE, "令和元年5月1日", WARNING, "「2019-05-01」"),
    (T.DATE, "令和元年4月30日", ERROR, "（令和は2019-05-01からです）"),
    (T.DATE, "H31.4.30", WARNING, "「2019-04-30」"),
    (T.DATE, "昭和64年1月7日", WARNING, "「1989-01-07」"),
    (T.DATE, "来週", ERROR, "日付として読めません"),
    (T.TIME, "00:00", OK, ""),
    (T.TIME, "23:59", OK, ""),
    (T.TIME, "24:00", OK, ""),
    (T.TIME, "24:01", ERROR, "時刻の範囲（00:00〜23:59）にありません"),
    (T.TIME, "09:60", ERROR, "時刻の範囲"),
    (T.TIME, "9:00", WARNING, "「09:00」のように hh:mm"),
    (T.TIME, "9時30分", WARNING, "「09:30」"),
    (T.TIME, "08:30:00", WARNING, "「08:30」"),
    (T.TIME, "朝", ERROR, "時刻として読めません"),
    (T.LATITUDE, "38.0380", OK, ""),
    (T.LATITUDE, "90", WARNING, "日本の範囲（北緯20〜46度）の外です"),
    (T.LATITUDE, "90.0000", WARNING, "日本の範囲"),
    (T.LATITUDE, "90.0001", ERROR, "緯度の範囲（-90〜90）を超えています。経度と入れ替わって"),
    (T.LATITUDE, "-90", WARNING, "日本の範囲"),
    (T.LATITUDE, "-90.0001", ERROR, "緯度の範囲"),
    (T.LATITUDE, "180.5", ERROR, "緯度の範囲（-90〜90）を超えています。"),
    (T.LATITUDE, "20.42", OK, ""),
    (T.LATITUDE, "45.57", WARNING, "日本の範囲"),
    (T.LATITUDE, "３８．０３８", WARNING, "半角で「38.038」"),
    (T.LATITUDE, "38°02′17″", ERROR, "度分秒"),
    (T.LONGITUDE, "140.8790", OK, ""),
    (T.LONGITUDE, "180", WARNING, "日本の範囲（東経122〜154度）の外です"),
    (T.LONGITUDE, "180.0001", ERROR, "経度の範囲（-180〜180）を超えています"),
    (T.LONGITUDE, "-180", WARNING, "日本の範囲"),
    (T.LONGITUDE, "122.93", OK, ""),
    (T.MUNICIPALITY_CODE, "043231", OK, ""),
    (T.MUNICIPALITY_CODE, "131016", OK, ""),
    (
        T.MUNICIPALITY_CODE,
        "043232",
        ERROR,
        "検査数字（6桁目）が合いません。5桁目までが正しければ「043231」",
    ),
    (T.MUNICIPALITY_CODE, "43231", ERROR, "先頭の0が消えています"),
    (T.MUNICIPALITY_CODE, "04323", ERROR, "検査数字（6桁目）が抜けています。6桁で「043231」"),
    (T.MUNICIPALITY_CODE, "０４３２３１", WARNING, "半角で「043231」"),
    (T.MUNICIPALITY_CODE, "亘理町", ERROR, "6桁の数字"),
    (T.POSTAL_CODE, "989-2393", OK, ""),
    (T.POSTAL_CODE, "9892393", OK, ""),
    (T.POSTAL_CODE, "〒989-2393", WARNING, "「989-2393」と書いて"),
    (T.POSTAL_CODE, "９８９ー２３９３", WARNING, "「989-2393」"),
    (T.POSTAL_CODE, "98-2393", ERROR, "郵便番号として読めません"),
    (T.PHONE, "0223-34-1111", OK, ""),
    (T.PHONE, "0223341111", OK, ""),
    (T.PHONE, "090-1234-5678", OK, ""),
    (T.PHONE, "(0223)34-1111", OK, ""),
    (T.PHONE, "+81-223-34-1111", OK, ""),
    (T.PHONE, "０２２３－３４－１１１１", WARNING, "半角で「0223-34-1111」"),
    (T.PHONE, "223-34-1111", ERROR, "先頭の0が消えていませんか"),
    (T.PHONE, "0223-34-111", ERROR, "電話番号として読めません"),
    (T.PHONE, "0223--34-1111", ERROR, "電話番号として読めません"),
    (T.URL, "https://www.town.watari.miyagi.jp/", OK, ""),
    (T.URL, "http://例え.jp/施設", OK, ""),
    (T.URL, "www.town.watari.miyagi.jp", ERROR, "「https://www.town.watari.miyagi.jp」"),
    (T.URL, "ftp://example.jp/a.csv", ERROR, "http:// か https:// で始まる"),
    (T.EMAIL, "info@town.watari.miyagi.jp", OK, ""),
    (T.EMAIL, "info＠town.watari.miyagi.jp", WARNING, "半角で「info@town.watari.miyagi.jp」"),
    (T.EMAIL, "info.town.watari", ERROR, "メールアドレスとして読めません"),
]


@pytest.mark.parametrize(("type", "value", "outcome", "message"), CASES)
def test_a_value_is_accepted_flagged_or_refused_by_its_type(
    type: ColumnType, value: str, outcome: str, message: str
) -> None:
    problems = value_problems(type, value)

    if outcome == OK:
        assert problems == []
        return
    assert len(problems) == 1
    assert problems[0].is_warning is (outcome == WARNING)
    assert message in problems[0].message
    assert (problems[0].row, problems[0].column) == (2, "値")


def test_a_long_value_is_shortened_in_the_message() -> None:
    [problem] = value_problems(T.INTEGER, "あ" * 100)

    assert problem.message.startswith("「" + "あ" * 30 + "…」")


# -- Without a standard: inference ---------------------------------------------------------------


def test_each_column_gets_the_narrowest_type_all_its_values_fit() -> None:
    result = check(
        "ID,名称,開設日,開館,収容人数,面積,電話番号,郵便番号,緯度,lon,団体コード,URL,連絡先,番号\n"
        "0012,役場,2024-04-01,09:00,120,35.5,0223-34-1111,9892393,38.038,140.879,043231,"
        "https://a.jp/,a@a.jp,7\n"
        "0013,公民館,2019-05-01,24:00,80,40,090-1234-5678,989-2393,38.05,140.86,043231,"
        "http://b.jp/,b@b.jp,\n",
        None,
    )

    assert result.problems == []
    assert [(column.name, column.type, column.required) for column in result.columns] == [
        ("ID", T.TEXT, True),
        ("名称", T.TEXT, True),
        ("開設日", T.DATE, True),
        ("開館", T.TIME, True),
        ("収容人数", T.INTEGER, True),
        ("面積", T.DECIMAL, True),
        ("電話番号", T.PHONE, True),
        ("郵便番号", T.POSTAL_CODE, True),
        ("緯度", T.LATITUDE, True),
        ("lon", T.LONGITUDE, True),
        ("団体コード", T.MUNICIPALITY_CODE, True),
        ("URL", T.URL, True),
        ("連絡先", T.EMAIL, True),
        ("番号", T.INTEGER, False),
    ]


@pytest.mark.parametrize(
    ("name", "values", "type"),
    [
        ("値", ["38.038", "40"], T.DECIMAL),  # a number is a number unless the name says more
        ("緯度", ["38.038", "139.5"], T.DECIMAL),  # a name does not stretch the range
        ("経度", ["140.8", "181"], T.DECIMAL),
        ("郵便番号", ["9892393", "98923"], T.INTEGER),
        ("値", ["989-2393"], T.POSTAL_CODE),
        ("値", ["9892393"], T.INTEGER),
        ("値", ["2024-02-29", "2023-02-29"], T.TEXT),
        ("値", ["令和6年4月1日"], T.TEXT),
        ("値", ["1", "x"], T.TEXT),
        ("値", ["", ""], T.TEXT),
    ],
)
def test_inference_takes_a_type_only_when_every_value_fits(
    name: str, values: list[str], type: ColumnType
) -> None:
    result = check(f"{name},名称\n" + "".join(f"{value},x\n" for value in values), None)

    assert result.columns[0].type == type


def test_an_empty_file_body_infers_text_columns_not_required() -> None:
    result = check("名称,番号\n", None)

    assert result.columns == [
        StandardColumn("名称", T.TEXT, required=False),
        StandardColumn("番号", T.TEXT, required=False),
    ]


# -- Memory ------------------------------------------------------------------------------------


class GeneratedCsv(io.RawIOBase):
    """A CSV file of `rows` rows made on the fly, so the test itself holds none of it."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.chunks = self.generate()
        self.pending = b""

    def generate(self) -> Iterator[bytes]:
        yield "全国地方公共団体コード,名称,名称_カナ,緯度,経度,備考\n".encode()
        line = "043231,亘理町役場,ワタリチョウヤクバ,38.0380,140.8790,\n".encode()
        for _ in range(self.rows // 1000):
            yield line * 1000

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        assert (offset, whence) == (0, io.SEEK_SET)
        self.chunks = self.generate()
        self.pending = b""
        return 0

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while len(self.pending) < len(buffer):
            chunk = next(self.chunks, b"")
            if not chunk:
                break
            self.pending += chunk
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def test_a_large_file_is_checked_in_constant_memory() -> None:
    file = io.BufferedReader(GeneratedCsv(rows=30_000))
    tracemalloc.start()
    try:
        result = validate(read_table(file, "aed.csv"), AED)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert result.row_count == 30_000
    assert result.problem_count == 0
    # The file is 1.8 MB; its rows as Python lists would take several times that.
    assert peak < 1024 * 1024


# -- Statistics symbols in counts ----------------------------------------------------------------

POPULATION = StandardDataset(
    code="population_test",
    title="地域・年齢別人口",
    title_en="Population",
    columns=(
        StandardColumn("地域名", T.TEXT, required=True),
        StandardColumn("総人口", T.INTEGER, required=True, suppressible=True),
        StandardColumn("世帯数", T.INTEGER, required=False, suppressible=True),
        StandardColumn("面積", T.INTEGER, required=False),
    ),
    source="https://www.digital.go.jp/",
)


@pytest.mark.parametrize("value", ["X", "x", "-", "120", "0"])
def test_a_suppressible_count_accepts_a_number_or_the_symbols_for_hidden_and_none(
    value: str,
) -> None:
    result = check(f"地域名,総人口,世帯数,面積\n逢隈,{value},{value},\n", POPULATION)

    assert result.problems == []


def test_a_required_count_shown_as_x_is_filled() -> None:
    result = check("地域名,総人口,世帯数,面積\n逢隈,X,,\n", POPULATION)

    assert result.problems == []


@pytest.mark.parametrize("value", ["X", "-"])
def test_the_symbols_are_errors_in_a_count_that_is_not_suppressible(value: str) -> None:
    result = check(f"地域名,総人口,世帯数,面積\n逢隈,10,10,{value}\n", POPULATION)

    assert [(p.column, p.is_warning) for p in result.problems] == [("面積", False)]


@pytest.mark.parametrize(("value", "standard"), [("Ｘ", "X"), ("－", "-"), ("ー", "-")])
def test_a_full_width_symbol_is_a_warning_with_the_standard_spelling(
    value: str, standard: str
) -> None:
    result = check(f"地域名,総人口,世帯数,面積\n逢隈,{value},,\n", POPULATION)

    assert [(p.column, p.is_warning) for p in result.problems] == [("総人口", True)]
    assert f"「{standard}」" in result.problems[0].message
