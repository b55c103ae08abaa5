"""Dates with Japanese eras (和暦): every era boundary, 元年, English, time zones, the filter."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from yakuba.core.eras import era_year, format_date

UTC = datetime.UTC


@pytest.mark.parametrize(
    ("day", "shown"),
    [
        # Before 明治: Gregorian only.
        (datetime.date(1868, 10, 22), "1868年10月22日"),
        (datetime.date(1868, 10, 23), "明治元年（1868年）10月23日"),
        (datetime.date(1912, 7, 29), "明治45年（1912年）7月29日"),
        (datetime.date(1912, 7, 30), "大正元年（1912年）7月30日"),
        (datetime.date(1926, 12, 24), "大正15年（1926年）12月24日"),
        (datetime.date(1926, 12, 25), "昭和元年（1926年）12月25日"),
        (datetime.date(1989, 1, 7), "昭和64年（1989年）1月7日"),
        (datetime.date(1989, 1, 8), "平成元年（1989年）1月8日"),
        (datetime.date(2019, 4, 30), "平成31年（2019年）4月30日"),
        (datetime.date(2019, 5, 1), "令和元年（2019年）5月1日"),
        (datetime.date(1984, 4, 12), "昭和59年（1984年）4月12日"),
        (datetime.date(2020, 1, 1), "令和2年（2020年）1月1日"),
        (datetime.date(1600, 9, 15), "1600年9月15日"),
    ],
)
def test_a_date_is_shown_with_its_era_in_japanese(day: datetime.date, shown: str) -> None:
    assert format_date(day, language="ja") == shown


@pytest.mark.parametrize(
    ("day", "shown"),
    [
        (datetime.date(1984, 4, 12), "12 April 1984"),
        (datetime.date(2019, 5, 1), "1 May 2019"),
        (datetime.date(1868, 10, 22), "22 October 1868"),
        (datetime.date(2026, 12, 31), "31 December 2026"),
    ],
)
def test_a_date_is_shown_day_month_year_in_english(day: datetime.date, shown: str) -> None:
    assert format_date(day, language="en") == shown


@pytest.mark.parametrize("empty", [None, ""])
def test_no_date_shows_nothing(empty: str | None) -> None:
    assert format_date(empty, language="ja") == ""
    assert format_date(empty, language="en") == ""


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        # 14:59 UTC is 23:59 in Tokyo: still the same day.
        (datetime.datetime(2019, 4, 30, 14, 59, tzinfo=UTC), "平成31年（2019年）4月30日"),
        # 15:00 UTC is midnight in Tokyo: the next day, and here the next era.
        (datetime.datetime(2019, 4, 30, 15, 0, tzinfo=UTC), "令和元年（2019年）5月1日"),
        (datetime.datetime(1989, 1, 7, 15, 0, tzinfo=UTC), "平成元年（1989年）1月8日"),
    ],
)
def test_an_aware_datetime_is_shown_as_its_day_in_japan(
    moment: datetime.datetime, shown: str
) -> None:
    assert format_date(moment, language="ja") == shown


def test_an_aware_datetime_in_english_is_also_its_day_in_japan() -> None:
    moment = datetime.datetime(2024, 12, 31, 15, 30, tzinfo=UTC)
    assert format_date(moment, language="en") == "1 January 2025"


def test_a_date_before_meiji_has_no_era() -> None:
    assert era_year(datetime.date(1868, 10, 22)) is None


def test_the_first_year_of_an_era_is_labelled_gannen() -> None:
    year = era_year(datetime.date(2019, 12, 31))
    assert year is not None
    assert year.label == "令和元年"


@given(st.dates(min_value=datetime.date(1873, 1, 1), max_value=datetime.date(9999, 12, 31)))
def test_era_year_plus_era_start_year_minus_one_is_the_gregorian_year(day: datetime.date) -> None:
    year = era_year(day)
    assert year is not None
    assert year.year >= 1
    assert year.year + year.era.start.year - 1 == day.year


def render(template: str, **context: object) -> str:
    return Template("{% load japanese_dates %}" + template).render(Context(context))


def test_the_filter_shows_the_era_on_japanese_pages() -> None:
    with translation.override("ja"):
        shown = render("{{ day|japanese_date }}", day=datetime.date(1984, 4, 12))
    assert shown == "昭和59年（1984年）4月12日"


def test_the_filter_shows_day_month_year_on_english_pages() -> None:
    with translation.override("en"):
        shown = render("{{ day|japanese_date }}", day=datetime.date(1984, 4, 12))
    assert shown == "12 April 1984"


def test_the_filter_shows_nothing_for_a_missing_date() -> None:
    with translation.override("ja"):
        assert render("{{ day|japanese_date }}", day=None) == ""
        assert render("{{ missing|japanese_date }}") == ""
