"""Reading a table staff upload (取り込むファイルの読み取り): CSV, TSV or XLSX, row by row.

`read_table` reads the header at once and hands the rows over as an iterator, so a file of a
million rows is checked and converted in constant memory. Row numbers are the ones a spreadsheet
shows (the header is row 1, a cell with a line break does not add a row, blank rows still count),
so a message about 「5行目」 leads staff to the row they see in Excel.

CSV encodings: UTF-8 (with or without BOM) and Shift_JIS. Shift_JIS is decoded as CP932, the
superset Windows and Excel actually write (①, 髙, ～ …); a file Python's own ``shift_jis`` codec
wrote is read the same way. The whole file is scanned once for its encoding before any row is
handed out, so a bad byte near the end is refused up front rather than after half the rows.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath
from typing import IO, Any

import openpyxl
from django.utils.translation import gettext as _

# An upload is a whole data set at once; 200 MB holds about 580,000 rows of a 30-column standard
# file (bench/opendata_stream.py), far more than a town publishes in one file.
MAX_FILE_BYTES = 200 * 1024 * 1024
# An XLSX is a zip: this caps what its parts may inflate to, against zip bombs.
MAX_XLSX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
# The widest standard data set has about 60 columns; more is a wrong file, not a wide table.
MAX_COLUMNS = 200

READ_CHUNK_BYTES = 64 * 1024

CSV_SUFFIXES = frozenset({".csv", ".tsv"})
XLSX_SUFFIXES = frozenset({".xlsx"})

ZIP_SIGNATURE = b"PK\x03\x04"
# OLE2 compound files: the old binary Excel (.xls), and any password-protected workbook.
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Control bytes no text table contains (tab, CR and LF are allowed). They are ASCII in UTF-8 and
# in CP932 alike (CP932's second bytes start at 0x40), so the raw bytes can be searched.
CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# ISO-2022-JP (「JIS」) switches to Japanese with ESC $ B.
ISO_2022_JP_ESCAPE = b"\x1b$"
# A line ends at CRLF, LF or a lone CR (Excel for Mac's old "CSV (Macintosh)"); a CR at the end
# of a chunk waits for the next chunk, which may start with its LF.
LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r(?=[^\n]))")
# A header cell that is a number or a date means the first row is data, not column names.
DATA_LIKE = re.compile(r"[+-]?\d+(?:[.,/:-]\d+)*")


class TableError(ValueError):
    """A file that cannot be read as a table; the message is for the staff member."""


class Row(list[str]):
    """A row's cells, one per header column, with the row number a spreadsheet shows."""

    __slots__ = ("number",)

    def __init__(self, cells: Iterable[str], number: int) -> None:
        super().__init__(cells)
        self.number = number


@dataclass
class Table:
    """A table being read: its column names and its data rows, streamed.

    Iterating `rows` may still raise `TableError` (a row wider than the header, broken quoting
    further down the file). Rows with no value at all are skipped; every other row has exactly
    one cell per header column.
    """

    header: list[str]
    rows: Iterator[Row]
    # The Python codec the CSV was decoded with ("utf-8-sig", "utf-8", "cp932"); "" for XLSX.
    encoding: str
    format: str  # "csv", "tsv" or "xlsx"


def read_table(file: IO[bytes], filename: str) -> Table:
    """Open an uploaded CSV, TSV or XLSX file and read its header (1行目 = 列名)."""
    suffix = PurePath(filename).suffix.lower()
    file.seek(0)
    head = file.read(len(OLE_SIGNATURE))
    file.seek(0)
    if head.startswith(OLE_SIGNATURE):
        raise TableError(
            _(
                "古いExcel形式（.xls）やパスワード付きのファイルは読めません。パスワードを外し、"
                "Excelで「Excelブック（.xlsx）」か「CSV UTF-8（コンマ区切り）」で保存し直してください。"
            )
        )
    # Content decides over the name: an XLSX renamed to .csv is still read as what it is.
    if suffix in XLSX_SUFFIXES or (suffix in CSV_SUFFIXES and head.startswith(ZIP_SIGNATURE)):
        return read_xlsx(file)
    if suffix in CSV_SUFFIXES:
        return read_csv(file, tab_separated=suffix == ".tsv")
    raise TableError(
        _("CSVファイル（.csv）かExcelファイル（.xlsx）を選んでください。「%(name)s」は読めません。")
        % {"name": PurePath(filename).name}
    )


def read_csv(file: IO[bytes], *, tab_separated: bool = False) -> Table:
    encoding, first_line = detect_encoding(file)
    delimiter = "\t" if tab_separated else ","
    # A .csv that Excel saved as 「テキスト（タブ区切り）」: tabs in the header and no comma.
    if b"\t" in first_line and b"," not in first_line:
        delimiter = "\t"
    file.seek(0)
    reader = csv.reader(decoded_lines(file, encoding), delimiter=delimiter, strict=True)
    records = csv_records(reader)
    header = read_header(records)
    return Table(
        header=header,
        rows=data_rows(records, width=len(header)),
        encoding=encoding,
        format="tsv" if delimiter == "\t" else "csv",
    )


def detect_encoding(file: IO[bytes]) -> tuple[str, bytes]:
    """The codec the whole file decodes with (UTF-8 first, then CP932), and its first line.

    One pass over the file with an incremental decoder per candidate: constant memory."""
    head = file.read(READ_CHUNK_BYTES)
    if not head.strip():
        raise TableError(_("ファイルが空です。"))
    if head.startswith(UTF16_BOMS):
        raise TableError(
            _(
                "このファイルはUTF-16（Excelの「Unicode テキスト」）で保存されています。"
                "Excelで「CSV UTF-8（コンマ区切り）」を選んで保存し直してください。"
            )
        )
    first_line = head.split(b"\n", 1)[0]
    candidates = ("utf-8-sig",) if head.startswith(codecs.BOM_UTF8) else ("utf-8", "cp932")
    decoders = {name: codecs.getincrementaldecoder(name)() for name in candidates}
    size = 0
    chunk = head
    while chunk:
        size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise TableError(file_too_large_message())
        if (control := CONTROL_BYTES.search(chunk)) is not None:
            if chunk.startswith(ISO_2022_JP_ESCAPE, control.start()):
                raise TableError(unknown_encoding_message())
            raise TableError(_("CSVファイルではないようです（文字以外のデータが含まれています）。"))
        for name, decoder in list(decoders.items()):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                del decoders[name]
        if not decoders:
            raise TableError(unknown_encoding_message())
        chunk = file.read(READ_CHUNK_BYTES)
    for name, decoder in decoders.items():
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return name, first_line
    raise TableError(unknown_encoding_message())


def unknown_encoding_message() -> str:
    return _(
        "文字コードを判別できません。UTF-8かShift_JISで保存したCSVファイルを選んでください"
        "（Excelでは「CSV UTF-8（コンマ区切り）」）。"
    )


def file_too_large_message() -> str:
    return _("ファイルが大きすぎます（上限は%(megabytes)d MBです）。") % {
        "megabytes": MAX_FILE_BYTES // (1024 * 1024)
    }


def decoded_lines(file: IO[bytes], encoding: str) -> Iterator[str]:
    """The file's text line by line, line ends kept, as `csv.reader` wants it (newline="")."""
    decoder = codecs.getincrementaldecoder(encoding)()
    pending = ""
    while True:
        chunk = file.read(READ_CHUNK_BYTES)
        pending += decoder.decode(chunk, final=not chunk)
        end = 0
        for line in LINE.finditer(pending):
            yield line.group()
            end = line.end()
        pending = pending[end:]
        if not chunk:
            if pending:
                yield pending
            return


def csv_records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            # Every csv.Error left is about quotes: NUL bytes and bare CRs never reach the reader.
            raise TableError(
                _(
                    '%(row)d行目: 引用符（"）が閉じられていないか、使い方が正しくありません。'
                    '値の中の " は "" と2つ重ね、値全体を " で囲んでください。'
                )
                % {"row": number + 1}
            ) from None
        number += 1
        yield number, cells


def read_header(records: Iterator[tuple[int, list[str]]]) -> list[str]:
    """Row 1's column names, checked: present, named, unique, not too many."""
    first = next(records, None)
    if first is None:
        raise TableError(_("ファイルが空です。"))
    names = [name.strip().lstrip("\ufeff").strip() for name in first[1]]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise TableError(
            _(
                "1行目に見出し（列名）がありません。1行目に列名を並べてください（空の行は消してください）。"
            )
        )
    if len(names) > MAX_COLUMNS:
        raise TableError(
            _("列が多すぎます（%(count)d列。上限は%(limit)d列です）。")
            % {"count": len(names), "limit": MAX_COLUMNS}
        )
    if "" in names:
        raise TableError(
            _(
                "1行目の見出しの%(column)d列目が空です。1行目には列名を並べてください"
                "（表の題名や空の行は消してください）。"
            )
            % {"column": names.index("") + 1}
        )
    if all(DATA_LIKE.fullmatch(name) for name in names):
        raise TableError(
            _("1行目が列名ではなくデータのようです。1行目に列名（見出し）の行を入れてください。")
        )
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        raise TableError(
            _("同じ名前の列があります：%(names)s。列名はそれぞれ違う名前にしてください。")
            % {"names": "、".join(f"「{name}」" for name in repeated)}
        )
    return names


def data_rows(records: Iterator[tuple[int, list[str]]], *, width: int) -> Iterator[Row]:
    """Rows cut or padded to the header's width; empty rows skipped; extra values refused."""
    for number, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > width:
            used = max(index for index, cell in enumerate(cells) if cell.strip()) + 1
            if used > width and width == 1:
                # One column name and wider rows below it: row 1 is a title (「○○一覧」).
                raise TableError(
                    _(
                        "1行目は表の題名のようです（列名が1つしかありません）。"
                        "1行目に列名を並べてください（題名や空の行は消してください）。"
                    )
                )
            if used > width:
                raise TableError(
                    _(
                        "%(row)d行目には見出しより多くの値があります（見出しは%(columns)d列、"
                        'この行は%(cells)d列）。値の中の「,」は値全体を " で囲んでください。'
                    )
                    % {"row": number, "columns": width, "cells": used}
                )
            del cells[width:]
        yield Row(cells + [""] * (width - len(cells)), number)


def read_xlsx(file: IO[bytes]) -> Table:
    """The first sheet of an XLSX workbook, cell values as their text (see `cell_text`)."""
    file.seek(0, io.SEEK_END)
    if file.tell() > MAX_FILE_BYTES:
        raise TableError(file_too_large_message())
    file.seek(0)
    not_xlsx = _(
        "Excelファイル（.xlsx）として読めません。ファイルが壊れていないか確かめてください。"
    )
    try:
        with zipfile.ZipFile(file) as archive:
            inflated = sum(part.file_size for part in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise TableError(not_xlsx) from None
    if inflated > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise TableError(file_too_large_message())
    file.seek(0)
    try:
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        # The <dimension> some writers store is wrong; without it every row is read.
        sheet.reset_dimensions()
        values = sheet.iter_rows(values_only=True)
    # openpyxl raises whatever its zip and XML layers meet in a damaged file (KeyError,
    # IndexError, TypeError, lxml errors …); all of them mean the same to the staff member.
    except Exception:
        raise TableError(not_xlsx) from None

    def records() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, row in enumerate(values, start=1):
                yield number, [cell_text(value) for value in row]
        except Exception:
            raise TableError(not_xlsx) from None
        finally:
            workbook.close()

    rows = records()
    header = read_header(rows)
    return Table(header=header, rows=data_rows(rows, width=len(header)), encoding="", format="xlsx")


def cell_text(value: Any) -> str:
    """A spreadsheet value as the text an open-data file holds.

    Dates as YYYY-MM-DD, times as hh:mm, whole numbers without ".0", decimals without exponent."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        # repr is the shortest text that reads back as the same float; "f" drops the exponent.
        return format(Decimal(repr(value)), "f")
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time():
            return value.date().isoformat()
        return f"{value.date().isoformat()} {clock_text(value.time())}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return clock_text(value)
    if isinstance(value, datetime.timedelta):
        minutes = round(value.total_seconds() / 60)
        return f"{minutes // 60}:{minutes % 60:02d}"
    return str(value)


def clock_text(value: datetime.time) -> str:
    text = f"{value.hour:02d}:{value.minute:02d}"
    return f"{text}:{value.second:02d}" if value.second else text
