"""The staff CSV file of places (場所一覧CSV): its columns, how a file is decoded, how a cell is read.

The same columns are written by the export and read by the import, so staff can download the list,
edit it in Excel and upload it again. Column names are fixed Japanese words (not translated): a file
must mean the same thing whichever language the staff member's screen is in.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from yakuba.core.csv_export import FORMULA_STARTS
from yakuba.platform.places.models import Place, PlaceKind

# (model field, column name) in file order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "ID"),
    ("kind", "種別"),
    ("name", "名称"),
    ("name_kana", "名称_カナ"),
    ("name_en", "名称_英字"),
    ("postal_code", "郵便番号"),
    ("address", "住所"),
    ("latitude", "緯度"),
    ("longitude", "経度"),
    ("district", "行政区コード"),
    ("opening_hours", "開館時間"),
    ("wheelchair_accessible", "車いす利用可"),
    ("accessible_toilet", "多機能トイレ"),
    ("accessibility_notes", "バリアフリー情報"),
    ("capacity", "収容人数"),
    ("phone", "電話番号"),
    ("url", "URL"),
    ("notes", "備考"),
    ("is_public", "公開"),
)
COLUMN_OF_FIELD = dict(COLUMNS)
FIELD_OF_COLUMN = {column: field for field, column in COLUMNS}
REQUIRED_COLUMNS = ("ID", "種別", "名称", "緯度", "経度")
BOOLEAN_FIELDS = frozenset({"wheelchair_accessible", "accessible_toilet", "is_public"})

TRUE_WORDS = frozenset({"1", "true", "yes", "y", "はい", "○", "〇", "有", "あり", "可"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "いいえ", "×", "無", "なし", "不可"})


def protect_text(value: str) -> str:
    """A text cell a spreadsheet would run as a formula, quoted (undone by `unprotect_text`)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def unprotect_text(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


# A town has hundreds of places, not millions; the cap keeps one upload from tying up a worker.
MAX_FILE_BYTES = 5 * 1024 * 1024


class CellError(ValueError):
    """A cell that cannot be read; the message is for the staff member."""


def kind_of(value: str) -> str:
    """The PlaceKind code for a cell: the code itself or its label in Japanese or English."""
    text = value.strip()
    for kind in PlaceKind:
        if text == kind.value:
            return kind.value
    for language in ("ja", "en"):
        with translation.override(language):
            for kind in PlaceKind:
                if text == str(kind.label):
                    return kind.value
    raise CellError(_("「%(value)s」は種別にありません。") % {"value": text})


def kind_label_ja(kind: str) -> str:
    with translation.override("ja"):
        return str(PlaceKind(kind).label)


def boolean_of(value: str, *, default: bool) -> bool:
    text = value.strip().lower()
    if not text:
        return default
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError(_("「1」（はい）か「0」（いいえ）で入力してください。"))


def number_of(value: str) -> float:
    text = value.strip()
    if not text:
        raise CellError(_("入力してください。"))
    try:
        number = float(text)
    except ValueError:
        raise CellError(_("「%(value)s」は数値ではありません。") % {"value": text}) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise CellError(_("「%(value)s」は数値ではありません。") % {"value": text})
    return number


def whole_number_of(value: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise CellError(_("「%(value)s」は整数ではありません。") % {"value": text}) from None


def decode(data: bytes) -> str:
    """Text of an uploaded file: UTF-8 (with or without BOM) or Shift_JIS (CP932, as Excel saves)."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        try:
            # CP932 is the superset Windows (and so Excel) actually writes when it says Shift_JIS.
            return data.decode("cp932")
        except UnicodeDecodeError:
            pass
    raise CellError(
        _("文字コードを判別できません。UTF-8またはShift_JISのCSVファイルを選んでください。")
    )


@dataclass(frozen=True)
class Record:
    """One data row: its line number in the file (the header is line 1) and its cells by column."""

    line: int
    cells: dict[str, str]
    # Set when the row itself is malformed (more cells than the header has columns).
    problem: str = ""


def read_records(text: str) -> tuple[list[str], Iterator[Record]]:
    """The header and the data rows; blank rows are skipped but still counted in line numbers."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise CellError(_("ファイルが空です。")) from None

    def records() -> Iterator[Record]:
        start = reader.line_num + 1
        for row in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                yield Record(line=line, cells={}, problem=_("見出しより列が多い行です。"))
                continue
            yield Record(line=line, cells=dict(zip(header, row, strict=False)))

    return header, records()


def check_header(header: list[str]) -> list[str]:
    """Problems with the header row, as messages (empty when it is fine)."""
    problems: list[str] = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(_("見出し「%(name)s」が重複しています。") % {"name": name})
        seen.add(name)
        if name not in FIELD_OF_COLUMN:
            problems.append(_("見出し「%(name)s」は使えません。") % {"name": name})
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            problems.append(_("見出し「%(name)s」がありません。") % {"name": name})
    return problems


def row_of(place: Place) -> list[str]:
    """One place as CSV cells in COLUMNS order."""
    values: dict[str, Any] = {
        "kind": kind_label_ja(place.kind),
        "district": place.district.code if place.district else "",
        "capacity": "" if place.capacity is None else str(place.capacity),
    }
    cells: list[str] = []
    for field, _column in COLUMNS:
        if field in values:
            cells.append(values[field])
        elif field in BOOLEAN_FIELDS:
            cells.append("1" if getattr(place, field) else "0")
        elif field in {"latitude", "longitude"}:
            cells.append(repr(getattr(place, field)))
        else:
            cells.append(protect_text(str(getattr(place, field))))
    return cells


def write(places: Any) -> bytes:
    """The CSV file of `places`, UTF-8 with a BOM so Excel opens it without garbling Japanese."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column for _field, column in COLUMNS])
    for place in places:
        writer.writerow(row_of(place))
    return buffer.getvalue().encode("utf-8-sig")
