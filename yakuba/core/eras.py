"""Dates as residents read them: the Japanese era (元号・和暦) with the Gregorian year beside it.

Format shown in Japanese: ``昭和59年（1984年）4月12日`` — the era year first, as on the forms and
certificates a town issues (住民票, 申請書), with the Gregorian year in brackets right after it, as
municipalities write years in their bulletins and web pages (「令和6年（2024年）」). Residents who
think in either calendar find their year without arithmetic. The first year of an era is 元年:
``令和元年（2019年）5月1日``.

Format shown in English (and any other language): ``12 April 1984`` — no era, which readers of
English do not use.

Eras start on the day the new era name took effect (改元の日): the day of the emperor's death for
大正 and 昭和, the day set by cabinet order (政令) for 平成 and 令和. Dates before 明治 (1868-10-23) are shown in the Gregorian calendar
only. Japan kept the lunisolar calendar until 明治5年12月2日; dates from 1868-10-23 to 1872-12-31
are treated here as Gregorian dates and given their 明治 year, which is how a modern record (a birth
date typed into a form) holds them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")

ENGLISH_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class Era:
    """A Japanese era (元号) and the day it took effect."""

    name: str
    romaji: str
    start: datetime.date


# Newest first, so the first era whose start is on or before a date is that date's era.
ERAS: tuple[Era, ...] = (
    Era("令和", "Reiwa", datetime.date(2019, 5, 1)),
    Era("平成", "Heisei", datetime.date(1989, 1, 8)),
    Era("昭和", "Showa", datetime.date(1926, 12, 25)),
    Era("大正", "Taisho", datetime.date(1912, 7, 30)),
    Era("明治", "Meiji", datetime.date(1868, 10, 23)),
)


@dataclass(frozen=True)
class EraYear:
    """A year counted in an era: 昭和59年 is EraYear(era=昭和, year=59)."""

    era: Era
    year: int

    @property
    def label(self) -> str:
        """「昭和59年」, or 「令和元年」 for the first year (元年)."""
        return f"{self.era.name}{'元' if self.year == 1 else self.year}年"


def as_local_date(value: datetime.date) -> datetime.date:
    """The calendar day in Japan: an aware datetime is converted to Asia/Tokyo first."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            value = value.astimezone(TOKYO)
        return value.date()
    return value


def era_year(value: datetime.date) -> EraYear | None:
    """The era and era year of a day, or None before 明治 (1868-10-23)."""
    day = as_local_date(value)
    for era in ERAS:
        if day >= era.start:
            return EraYear(era=era, year=day.year - era.start.year + 1)
    return None


def format_date(value: datetime.date | str | None, *, language: str = "ja") -> str:
    """A date as residents read it in `language` (see the module docstring); None or "" → ""."""
    if value is None or value == "":
        return ""
    if not isinstance(value, datetime.date):
        return str(value)
    day = as_local_date(value)
    if not language.lower().startswith("ja"):
        return f"{day.day} {ENGLISH_MONTHS[day.month - 1]} {day.year}"
    year = era_year(day)
    if year is None:
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{year.label}（{day.year}年）{day.month}月{day.day}日"
