"""Checking an uploaded table (取り込むファイルの確認) against a 自治体標準オープンデータセット, or
working out its column types when it follows no standard.

Every problem names the row (as a spreadsheet shows it, the header is row 1), the column, what is
wrong and what is expected, in plain words. Two kinds:

- an error: the value is not what the column holds (「139.5」 as a latitude, a date that does not
  exist, a required column missing);
- a warning: the value is readable but not written the standard way, and the message gives the
  standard spelling (和暦 or 2024/4/1 for a date, 全角 digits, 〒 before a postal code), or it is
  possible but worth a look (a point outside Japan, a column the standard does not have).

A count the standard marks `suppressible` (人口, 世帯数) may also hold the symbols of Japanese
statistics tables (e-Stat and the prefectures' 統計表の記号): "X" or "x" for 秘匿 (hidden so that
nobody can be identified) and "-" for 皆無 (none). Such a cell counts as filled in a required
column; anywhere else the symbols are errors like any other non-number.

The rows are read once, in constant memory: at most `MAX_PROBLEMS` problems are kept in detail,
all of them are counted.
"""

from __future__ import annotations

import datetime
import difflib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _

from yakuba.core.eras import ERAS
from yakuba.core.models import local_government_code_check_digit
from yakuba.core.standard_datasets import (
    ColumnType,
    StandardColumn,
    StandardDataset,
    is_municipality_code,
)
from yakuba.modules.opendata.tabular import Table

MAX_PROBLEMS = 1000
# A value quoted in a message is cut to this many characters.
QUOTED_VALUE_LENGTH = 30

# Japan's extreme points (国土地理院): 択捉島 45°33′N, 沖ノ鳥島 20°25′N, 南鳥島 153°59′E,
# 与那国島 122°56′E. A town's point outside them is almost always a typo or a swapped pair.
JAPAN_LATITUDES = (Decimal("20.42"), Decimal("45.56"))
JAPAN_LONGITUDES = (Decimal("122.93"), Decimal("153.99"))

# ASCII: a full-width digit is not what the standard asks for (it is explained, not accepted).
INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)", re.ASCII)
LEADING_ZERO = re.compile(r"[+-]?0\d", re.ASCII)
DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
GREGORIAN_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
ERA_DATE = re.compile(
    r"(明治|大正|昭和|平成|令和|[MTSHR])\s*(元|\d{1,2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?",
    re.IGNORECASE,
)
TIME = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d|24:00", re.ASCII)
LOOSE_TIME = re.compile(r"(\d{1,2})\s*[:時]\s*(?:(\d{1,2})\s*(?::\s*(\d{1,2})|分)?)?")
POSTAL_CODE = re.compile(r"\d{3}-\d{4}|\d{7}", re.ASCII)
PHONE_CHARACTERS = re.compile(r"(?:\+81)?[\d()-]+", re.ASCII)
# Hyphens, dashes and long-vowel marks people type for 「-」 in numbers.
HYPHENS = re.compile(r"[‐‑‒–—―−ーｰ－]")
DEGREE_SIGNS = re.compile(r"[°度′″'\"分秒]")
ERA_BY_NAME = {era.name: era for era in ERAS} | {era.romaji[0]: era for era in ERAS}
URL_VALIDATOR = URLValidator(schemes=["http", "https"])
# 統計表の記号: x 秘匿 (both cases are in use), - 皆無.
STATISTICS_SYMBOLS = frozenset({"X", "x", "-"})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file: where (row as in the file, column name) and what."""

    row: int
    column: str
    message: str
    is_warning: bool = False

    def __str__(self) -> str:
        if self.column:
            return _("%(row)d行目「%(column)s」: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("%(row)d行目: %(message)s") % {"row": self.row, "message": self.message}


@dataclass
class CheckResult:
    """What the check found: the first problems in detail and how many there are in all."""

    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    error_count: int = 0
    warning_count: int = 0
    row_count: int = 0
    # The file's columns in file order: the standard's definition where it has one, otherwise
    # the type inferred from the values.
    columns: list[StandardColumn] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return self.error_count > 0

    @property
    def is_truncated(self) -> bool:
        """Whether more problems were counted than are listed."""
        return self.problem_count > len(self.problems)


@dataclass(frozen=True)
class Finding:
    """What is wrong with one value (the row and column are added by the caller)."""

    message: str
    is_warning: bool = False


def validate(
    table: Table, standard: StandardDataset | None, *, max_problems: int = MAX_PROBLEMS
) -> CheckResult:
    """Check every row of `table` against `standard`, or infer its columns when there is none.

    Consumes `table.rows`; a `TableError` raised while reading a row is passed on."""
    result = CheckResult()

    def report(row: int, column: str, finding: Finding) -> None:
        result.problem_count += 1
        if finding.is_warning:
            result.warning_count += 1
        else:
            result.error_count += 1
        if len(result.problems) < max_problems:
            result.problems.append(Problem(row, column, finding.message, finding.is_warning))

    declared = {column.name: column for column in standard.columns} if standard else {}
    if standard is not None:
        for finding, name in header_findings(table.header, standard):
            report(1, name, finding)
    checked = [
        (index, declared[name]) for index, name in enumerate(table.header) if name in declared
    ]
    inferred = {
        index: ColumnInference(name)
        for index, name in enumerate(table.header)
        if name not in declared
    }
    for row in table.rows:
        result.row_count += 1
        for index, column in checked:
            text = row[index].strip()
            if not text:
                if column.required:
                    report(
                        row.number,
                        column.name,
                        Finding(_("必須の項目が空です。値を入れてください。")),
                    )
            elif not fits_column(column, text):
                report(row.number, column.name, explain_column(column, text))
        for index, inference in inferred.items():
            inference.add(row[index].strip())
    if result.row_count == 0:
        report(
            2, "", Finding(_("データの行がありません（1行目の列名だけです）。"), is_warning=True)
        )
    result.columns = [
        declared[name] if name in declared else inferred[index].column(result.row_count)
        for index, name in enumerate(table.header)
    ]
    return result


def header_findings(header: list[str], standard: StandardDataset) -> list[tuple[Finding, str]]:
    """Problems with the columns themselves: missing, unknown, out of the standard's order."""
    findings: list[tuple[Finding, str]] = []
    names = standard.column_names()
    present = set(header)
    missing = [column for column in standard.columns if column.name not in present]
    missing_names = [column.name for column in missing]
    for column in missing:
        if column.required:
            findings.append(
                (
                    Finding(_("必須の列「%(name)s」がありません。") % {"name": column.name}),
                    column.name,
                )
            )
    if optional_missing := [column.name for column in missing if not column.required]:
        findings.append(
            (
                Finding(
                    _("標準の次の列がありません（なくても構いません）：%(names)s。")
                    % {"names": "、".join(optional_missing)},
                    is_warning=True,
                ),
                "",
            )
        )
    extras = [name for name in header if name not in names]
    for name in extras:
        message = _("「%(name)s」は標準データセット「%(dataset)s」にない列です。") % {
            "name": name,
            "dataset": standard.title,
        }
        if close := closest_name(name, missing_names):
            message += _("「%(name)s」の書き間違いではありませんか。") % {"name": close}
        findings.append((Finding(message, is_warning=True), name))
    expected = sorted((name for name in header if name in names), key=names.index) + extras
    if header != expected:
        findings.append(
            (
                Finding(
                    _("列の順番が標準と違います。次の順に並べてください：%(names)s。")
                    % {"names": "、".join(expected)}
                ),
                "",
            )
        )
    return findings


def closest_name(name: str, candidates: list[str]) -> str | None:
    """The standard column a misspelt name most likely means (全角/半角 and spaces ignored)."""

    def normal(text: str) -> str:
        return "".join(unicodedata.normalize("NFKC", text).split()).lower()

    by_normal = {normal(candidate): candidate for candidate in candidates}
    matches = difflib.get_close_matches(normal(name), list(by_normal), n=1, cutoff=0.6)
    return by_normal[matches[0]] if matches else None


# -- Values ------------------------------------------------------------------------------------


def fits_column(column: StandardColumn, text: str) -> bool:
    """Whether a (stripped, non-empty) value is what `column` may hold: a value of its type, or
    a statistics symbol in a suppressible count."""
    return (column.suppressible and text in STATISTICS_SYMBOLS) or fits(column.type, text)


def explain_column(column: StandardColumn, text: str) -> Finding:
    """Why a value does not fit `column`; a full-width or dash-like symbol is only a warning."""
    if column.suppressible and (plain := normalised(text)) in STATISTICS_SYMBOLS:
        return suggestion(
            _("「%(value)s」は半角で「%(suggestion)s」と書いてください。"), text, plain
        )
    return explain(column.type, text)


def fits(type: ColumnType, text: str) -> bool:
    """Whether a (stripped, non-empty) value is written exactly as the standard wants it."""
    return STRICT[type](text)


def explain(type: ColumnType, text: str) -> Finding:
    """Why a value that does not fit its type is wrong, and what to write instead."""
    return EXPLAIN[type](text)


def quoted(text: str) -> str:
    return text if len(text) <= QUOTED_VALUE_LENGTH else text[:QUOTED_VALUE_LENGTH] + "…"


def suggestion(message: str, text: str, better: str) -> Finding:
    """A warning: `text` is readable, and `better` is how the standard writes it."""
    return Finding(
        message % {"value": quoted(text), "suggestion": better},
        is_warning=True,
    )


def normalised(text: str) -> str:
    """Full-width digits, letters and signs made half-width, dashes made 「-」 (NFKC)."""
    return HYPHENS.sub("-", unicodedata.normalize("NFKC", text)).strip()


def is_integer(text: str) -> bool:
    return INTEGER.fullmatch(text) is not None


def is_decimal(text: str) -> bool:
    return DECIMAL.fullmatch(text) is not None


def number_finding(text: str, kind: str, example: str) -> Finding:
    """A value that should be a number: readable once normalised (warning) or not at all."""
    plain = normalised(text).replace(",", "")
    pattern = INTEGER if kind == "integer" else DECIMAL
    if pattern.fullmatch(plain):
        return suggestion(
            _(
                "「%(value)s」は半角数字だけで「%(suggestion)s」と書いてください（桁区切りのカンマは付けません）。"
            ),
            text,
            plain,
        )
    if kind == "integer" and DECIMAL.fullmatch(plain):
        return Finding(
            _(
                "「%(value)s」は整数ではありません。小数点のない数（例: %(example)s）を書いてください。"
            )
            % {"value": quoted(text), "example": example}
        )
    return Finding(
        _("「%(value)s」は数値ではありません。数字で書いてください（例: %(example)s）。")
        % {"value": quoted(text), "example": example}
    )


def explain_integer(text: str) -> Finding:
    return number_finding(text, "integer", "120")


def explain_decimal(text: str) -> Finding:
    return number_finding(text, "decimal", "12.5")


def as_date(text: str) -> datetime.date | None:
    match = DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def is_date(text: str) -> bool:
    return as_date(text) is not None


def explain_date(text: str) -> Finding:
    plain = normalised(text)
    not_a_day = _("「%(value)s」は存在しない日付です。")
    if match := DATE.fullmatch(plain) or GREGORIAN_DATE.fullmatch(plain):
        year, month, day = (int(part) for part in match.groups())
        try:
            day_value = datetime.date(year, month, day)
        except ValueError:
            return Finding(not_a_day % {"value": quoted(text)})
        return suggestion(
            _("「%(value)s」は「%(suggestion)s」のように YYYY-MM-DD の形で書いてください。"),
            text,
            day_value.isoformat(),
        )
    if match := ERA_DATE.fullmatch(plain):
        era_name, era_year, month_text, day_text = match.groups()
        era = ERA_BY_NAME[era_name.upper() if era_name.isascii() else era_name]
        year = era.start.year + (1 if era_year == "元" else int(era_year)) - 1
        try:
            day_value = datetime.date(year, int(month_text), int(day_text))
        except ValueError:
            return Finding(not_a_day % {"value": quoted(text)})
        if day_value < era.start:
            return Finding(
                _("「%(value)s」はありません（%(era)sは%(start)sからです）。")
                % {"value": quoted(text), "era": era.name, "start": era.start.isoformat()}
            )
        return suggestion(
            _("「%(value)s」は和暦です。西暦で「%(suggestion)s」と書いてください。"),
            text,
            day_value.isoformat(),
        )
    return Finding(
        _(
            "「%(value)s」は日付として読めません。YYYY-MM-DD の形（例: 2024-04-01）で書いてください。"
        )
        % {"value": quoted(text)}
    )


def explain_time(text: str) -> Finding:
    unreadable = Finding(
        _("「%(value)s」は時刻として読めません。hh:mm の形（例: 09:00）で書いてください。")
        % {"value": quoted(text)}
    )
    match = LOOSE_TIME.fullmatch(normalised(text))
    if match is None:
        return unreadable
    hour, minute, second = (int(part) if part else 0 for part in match.groups())
    if second or (hour, minute) > (24, 0) or minute > 59:
        return Finding(
            _("「%(value)s」は時刻の範囲（00:00〜23:59）にありません。hh:mm の形で書いてください。")
            % {"value": quoted(text)}
        )
    return suggestion(
        _("「%(value)s」は「%(suggestion)s」のように hh:mm の形で書いてください。"),
        text,
        f"{hour:02d}:{minute:02d}",
    )


def coordinate(text: str) -> Decimal | None:
    return Decimal(text) if DECIMAL.fullmatch(text) else None


def is_latitude(text: str) -> bool:
    value = coordinate(text)
    return value is not None and JAPAN_LATITUDES[0] <= value <= JAPAN_LATITUDES[1]


def is_longitude(text: str) -> bool:
    value = coordinate(text)
    return value is not None and JAPAN_LONGITUDES[0] <= value <= JAPAN_LONGITUDES[1]


def explain_coordinate(text: str, *, is_latitude: bool) -> Finding:
    limit = Decimal(90 if is_latitude else 180)
    plain = normalised(text)
    value = coordinate(plain)
    if value is None:
        if DEGREE_SIGNS.search(plain):
            return Finding(
                _("「%(value)s」は度分秒の形です。10進数の度（例: 38.0380）で書いてください。")
                % {"value": quoted(text)}
            )
        return Finding(
            _("「%(value)s」は数値ではありません。10進数の度（例: 38.0380）で書いてください。")
            % {"value": quoted(text)}
        )
    if abs(value) > limit:
        if is_latitude:
            message = _("「%(value)s」は緯度の範囲（-90〜90）を超えています。") % {
                "value": quoted(text)
            }
            if abs(value) <= 180:
                message += _("経度と入れ替わっていませんか。")
        else:
            message = _("「%(value)s」は経度の範囲（-180〜180）を超えています。") % {
                "value": quoted(text)
            }
        return Finding(message)
    if plain != text:
        return suggestion(
            _("「%(value)s」は半角で「%(suggestion)s」と書いてください。"), text, plain
        )
    if is_latitude:
        message = _("「%(value)s」は日本の範囲（北緯20〜46度）の外です。") % {"value": quoted(text)}
        if JAPAN_LONGITUDES[0] <= value <= JAPAN_LONGITUDES[1]:
            message += _("経度と入れ替わっていませんか。")
    else:
        message = _("「%(value)s」は日本の範囲（東経122〜154度）の外です。") % {
            "value": quoted(text)
        }
        if JAPAN_LATITUDES[0] <= value <= JAPAN_LATITUDES[1]:
            message += _("緯度と入れ替わっていませんか。")
    return Finding(message + _("位置を確かめてください。"), is_warning=True)


def explain_latitude(text: str) -> Finding:
    return explain_coordinate(text, is_latitude=True)


def explain_longitude(text: str) -> Finding:
    return explain_coordinate(text, is_latitude=False)


def with_check_digit(first_five: str) -> str:
    return first_five + str(local_government_code_check_digit(first_five))


def explain_municipality_code(text: str) -> Finding:
    plain = normalised(text)
    if is_municipality_code(plain):
        return suggestion(
            _("「%(value)s」は半角で「%(suggestion)s」と書いてください。"), text, plain
        )
    if not (plain.isascii() and plain.isdigit()) or not 5 <= len(plain) <= 6:
        return Finding(
            _(
                "「%(value)s」は全国地方公共団体コードではありません。6桁の数字（例: 043231）で書いてください。"
            )
            % {"value": quoted(text)}
        )
    if len(plain) == 6:
        return Finding(
            _(
                "「%(value)s」は検査数字（6桁目）が合いません。5桁目までが正しければ「%(code)s」です。"
            )
            % {"value": quoted(text), "code": with_check_digit(plain[:5])}
        )
    if is_municipality_code("0" + plain):
        return Finding(
            _(
                "「%(value)s」は先頭の0が消えています（Excelが数値として扱うと消えます）。「%(code)s」と書いてください。"
            )
            % {"value": quoted(text), "code": "0" + plain}
        )
    return Finding(
        _("「%(value)s」は検査数字（6桁目）が抜けています。6桁で「%(code)s」と書いてください。")
        % {"value": quoted(text), "code": with_check_digit(plain)}
    )


def is_postal_code(text: str) -> bool:
    return POSTAL_CODE.fullmatch(text) is not None


def explain_postal_code(text: str) -> Finding:
    plain = normalised(text).removeprefix("〒").strip()
    if is_postal_code(plain):
        return suggestion(_("「%(value)s」は「%(suggestion)s」と書いてください。"), text, plain)
    return Finding(
        _(
            "「%(value)s」は郵便番号として読めません。「989-2393」か「9892393」の形で書いてください。"
        )
        % {"value": quoted(text)}
    )


def is_phone(text: str) -> bool:
    """A Japanese number from the area code (0 + 9 or 10 digits) or +81 and the same without 0,
    with hyphens or brackets as people group them: 0223-34-1111, (0223)34-1111, +81-223-34-1111."""
    if PHONE_CHARACTERS.fullmatch(text) is None or "--" in text or text.endswith("-"):
        return False
    digits = re.sub(r"\D", "", text)
    if text.startswith("+81"):
        return len(digits) in (11, 12) and digits[2] != "0"
    return digits.startswith("0") and len(digits) in (10, 11)


def explain_phone(text: str) -> Finding:
    plain = normalised(text).replace(" ", "-")
    if is_phone(plain):
        return suggestion(
            _("「%(value)s」は半角で「%(suggestion)s」と書いてください。"), text, plain
        )
    digits = re.sub(r"\D", "", plain)
    if len(digits) in (9, 10) and not digits.startswith("0") and set(plain) <= set("0123456789-"):
        return Finding(
            _(
                "「%(value)s」は先頭の0が消えていませんか（Excelが数値として扱うと消えます）。市外局番から「0」を付けて書いてください。"
            )
            % {"value": quoted(text)}
        )
    return Finding(
        _(
            "「%(value)s」は電話番号として読めません。市外局番から「0223-34-1111」の形で書いてください。"
        )
        % {"value": quoted(text)}
    )


def is_url(text: str) -> bool:
    try:
        URL_VALIDATOR(text)
    except ValidationError:
        return False
    return True


def explain_url(text: str) -> Finding:
    plain = normalised(text)
    if is_url(plain):
        return suggestion(
            _("「%(value)s」は半角で「%(suggestion)s」と書いてください。"), text, plain
        )
    if "://" not in plain and is_url("https://" + plain):
        return Finding(
            _("「%(value)s」には https:// がありません。「%(url)s」のように書いてください。")
            % {"value": quoted(text), "url": "https://" + plain}
        )
    return Finding(
        _("「%(value)s」はURLとして読めません。http:// か https:// で始まるURLを書いてください。")
        % {"value": quoted(text)}
    )


def is_email(text: str) -> bool:
    try:
        validate_email(text)
    except ValidationError:
        return False
    return True


def explain_email(text: str) -> Finding:
    plain = normalised(text)
    if is_email(plain):
        return suggestion(
            _("「%(value)s」は半角で「%(suggestion)s」と書いてください。"), text, plain
        )
    return Finding(
        _("「%(value)s」はメールアドレスとして読めません（例: info@town.example.lg.jp）。")
        % {"value": quoted(text)}
    )


def any_text(text: str) -> bool:
    return True


def is_inside_latitude_range(text: str) -> bool:
    value = coordinate(text)
    return value is not None and abs(value) <= 90


STRICT: dict[ColumnType, Callable[[str], bool]] = {
    ColumnType.TEXT: any_text,
    ColumnType.INTEGER: is_integer,
    ColumnType.DECIMAL: is_decimal,
    ColumnType.DATE: is_date,
    ColumnType.TIME: lambda text: TIME.fullmatch(text) is not None,
    # Only points in Japan pass without a word: for this platform, a point abroad is a mistake
    # until someone has looked at it.
    ColumnType.LATITUDE: is_latitude,
    ColumnType.LONGITUDE: is_longitude,
    ColumnType.MUNICIPALITY_CODE: is_municipality_code,
    ColumnType.POSTAL_CODE: is_postal_code,
    ColumnType.PHONE: is_phone,
    ColumnType.URL: is_url,
    ColumnType.EMAIL: is_email,
}
EXPLAIN: dict[ColumnType, Callable[[str], Finding]] = {
    ColumnType.INTEGER: explain_integer,
    ColumnType.DECIMAL: explain_decimal,
    ColumnType.DATE: explain_date,
    ColumnType.TIME: explain_time,
    ColumnType.LATITUDE: explain_latitude,
    ColumnType.LONGITUDE: explain_longitude,
    ColumnType.MUNICIPALITY_CODE: explain_municipality_code,
    ColumnType.POSTAL_CODE: explain_postal_code,
    ColumnType.PHONE: explain_phone,
    ColumnType.URL: explain_url,
    ColumnType.EMAIL: explain_email,
}


# -- Inference ---------------------------------------------------------------------------------

# Narrowest first. Plain numbers cannot say whether they are a latitude, a municipality code or a
# count, so the types that look like numbers are taken only when the column's name says so.
INFERENCE_ORDER = (
    ColumnType.DATE,
    ColumnType.TIME,
    ColumnType.PHONE,
    ColumnType.INTEGER,
    ColumnType.DECIMAL,
    ColumnType.POSTAL_CODE,
    ColumnType.EMAIL,
    ColumnType.URL,
)
NAME_HINTS: dict[ColumnType, tuple[str, ...]] = {
    ColumnType.MUNICIPALITY_CODE: ("地方公共団体コード", "団体コード", "市区町村コード"),
    ColumnType.LATITUDE: ("緯度", "latitude", "lat"),
    ColumnType.LONGITUDE: ("経度", "longitude", "lon", "lng"),
    ColumnType.POSTAL_CODE: ("郵便番号", "postal_code", "postcode", "zip"),
}


def named_types(name: str) -> list[ColumnType]:
    """The number-like types a column's name points to (「緯度」, "lat", 「郵便番号」 …)."""
    words = unicodedata.normalize("NFKC", name).lower()
    return [
        type
        for type, hints in NAME_HINTS.items()
        if any(hint in words if not hint.isascii() else hint == words for hint in hints)
    ]


class ColumnInference:
    """The types a column's values still all fit, narrowed value by value."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.hinted = named_types(name)
        self.candidates = [*self.hinted, *INFERENCE_ORDER]
        self.has_empty = False
        self.has_values = False

    def add(self, text: str) -> None:
        if not text:
            self.has_empty = True
            return
        self.has_values = True
        if self.candidates:
            self.candidates = [type for type in self.candidates if inferred_fit(type, text)]

    def column(self, row_count: int) -> StandardColumn:
        type = self.candidates[0] if self.has_values and self.candidates else ColumnType.TEXT
        return StandardColumn(
            name=self.name, type=type, required=row_count > 0 and not self.has_empty
        )


def inferred_fit(type: ColumnType, text: str) -> bool:
    # A number with a leading zero (an ID 「0012」) would lose it as a number: it is text.
    if type in (ColumnType.INTEGER, ColumnType.DECIMAL) and LEADING_ZERO.match(text):
        return False
    if type is ColumnType.LATITUDE:
        return is_inside_latitude_range(text)
    if type is ColumnType.LONGITUDE:
        value = coordinate(text)
        return value is not None and abs(value) <= 180
    return fits(type, text)
