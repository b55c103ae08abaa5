"""The statistics of reports (通報の統計): counts by category, district and month, time to close,
the period and department filters, who may see the page, and the audited CSV files.

The same figures must come out of SQLite and PostgreSQL (the suite runs on both): the percentiles
are checked against values worked out by hand with PostgreSQL's percentile_cont definition."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from yakuba.modules.reports import stats
from yakuba.modules.reports.models import Category, Report, Status
from yakuba.modules.reports.tests.factories import CategoryFactory
from yakuba.platform.accounts.models import Department, User
from yakuba.platform.accounts.tests.factories import DepartmentFactory, StaffFactory, UserFactory
from yakuba.platform.audit.models import AuditEntry
from yakuba.platform.places.models import District
from yakuba.platform.places.tests.factories import DistrictFactory

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
APRIL = stats.Period(date(2026, 4, 1), date(2026, 4, 30))


def at(day: str, clock: str = "12:00") -> datetime:
    """A moment in the town's time zone."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=TOKYO)


@pytest.fixture(autouse=True)
def _console(settings: Any) -> None:
    settings.STAFF_REQUIRE_MFA = False


@pytest.fixture
def town() -> dict[str, Any]:
    roads = DepartmentFactory.create(code="toshi", name="都市建設課")
    life = DepartmentFactory.create(code="chomin", name="町民生活課")
    return {
        "roads": roads,
        "life": life,
        "pothole": CategoryFactory.create(
            code="pothole", name="道路の穴", department=roads, order=1
        ),
        "light": CategoryFactory.create(code="light", name="街灯", department=roads, order=2),
        "dumping": CategoryFactory.create(
            code="dumping", name="不法投棄", department=life, order=3
        ),
        "north": DistrictFactory.create(code="01", name="田沢", order=1),
        "south": DistrictFactory.create(code="02", name="逢隈", order=2),
    }


def report(
    category: Category,
    *,
    created: datetime,
    status: str = Status.RECEIVED,
    closed_after: timedelta | None = None,
    district: District | None = None,
    department: Department | None = None,
    **extra: Any,
) -> Report:
    return Report.objects.create(
        category=category,
        description="歩道に穴があります。",
        department=department or category.department,
        district=district,
        status=status,
        created_at=created,
        closed_at=created + closed_after if closed_after is not None else None,
        **extra,
    )


def days(n: float) -> timedelta:
    return timedelta(days=n)


def assert_close(value: timedelta | None, expected: timedelta) -> None:
    assert value is not None
    assert abs(value - expected) < timedelta(seconds=1), (value, expected)


# --- counts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected", "total"),
    [
        # (code, [受付, 対応中, 対応済, 対応不可, 他機関へ], total)
        ("pothole", [2, 1, 1, 0, 0], 4),
        ("light", [0, 0, 1, 1, 0], 2),
        ("dumping", [0, 0, 0, 0, 1], 1),
    ],
)
def test_counts_by_category_and_status(
    town: dict[str, Any], key: str, expected: list[int], total: int
) -> None:
    day = at("2026-04-10")
    for status in (Status.RECEIVED, Status.RECEIVED, Status.IN_PROGRESS, Status.FIXED):
        report(town["pothole"], created=day, status=status)
    report(town["light"], created=day, status=Status.FIXED)
    report(town["light"], created=day, status=Status.NOT_FIXABLE)
    report(town["dumping"], created=day, status=Status.REFERRED)

    table = stats.report_statistics(APRIL).by_category

    row = next(row for row in table.rows if row.key == key)
    assert row.cells == expected
    assert row.total == total
    assert table.totals == [2, 1, 2, 1, 1]
    assert table.total == 7


def test_hidden_and_merged_reports_are_not_counted(town: dict[str, Any]) -> None:
    day = at("2026-04-10")
    kept = report(town["pothole"], created=day)
    report(town["pothole"], created=day, is_hidden=True)
    report(town["pothole"], created=day, merged_into=kept, status=Status.DUPLICATE)

    result = stats.report_statistics(APRIL)

    assert result.total == 1
    # A merged report is counted once, in the report it joined: no 重複 column.
    assert Status.DUPLICATE not in [code for code, _label in result.statuses]
    assert len(result.by_category.totals) == len(result.statuses)


def test_every_district_has_a_row_and_reports_without_one_are_counted_apart(
    town: dict[str, Any],
) -> None:
    day = at("2026-04-10")
    report(town["pothole"], created=day, district=town["north"])
    report(town["pothole"], created=day, district=town["north"], status=Status.FIXED)
    report(town["light"], created=day)  # an address only, no pin

    table = stats.report_statistics(APRIL).by_district

    assert [(row.key, row.label, row.total) for row in table.rows] == [
        ("01", "田沢", 2),
        ("02", "逢隈", 0),
        ("", "行政区なし", 1),
    ]
    assert table.rows[0].cells == [1, 0, 1, 0, 0]


# --- period and department ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "counted"),
    [
        (at("2026-03-31", "23:59"), False),
        (at("2026-04-01", "00:00"), True),
        (at("2026-04-30", "23:59"), True),
        (at("2026-05-01", "00:00"), False),
    ],
)
def test_the_period_is_whole_days_in_the_towns_time_zone(
    town: dict[str, Any], moment: datetime, counted: bool
) -> None:
    report(town["pothole"], created=moment)

    assert stats.report_statistics(APRIL).total == (1 if counted else 0)


def test_months_are_the_towns_calendar_months_and_empty_ones_are_shown(
    town: dict[str, Any],
) -> None:
    # 2026-05-01 00:30 in Tokyo is still 30 April in UTC: it belongs to May.
    for moment in (at("2026-02-27", "23:00"), at("2026-04-30", "23:59"), at("2026-05-01", "00:30")):
        report(town["pothole"], created=moment)
    period = stats.Period(date(2026, 2, 1), date(2026, 5, 31))

    months = stats.report_statistics(period).by_month

    assert [(m.month, m.count) for m in months] == [
        (date(2026, 2, 1), 1),
        (date(2026, 3, 1), 0),
        (date(2026, 4, 1), 1),
        (date(2026, 5, 1), 1),
    ]


@pytest.mark.parametrize(
    ("today", "start"),
    [
        (date(2026, 11, 26), date(2025, 12, 1)),
        (date(2026, 1, 1), date(2025, 2, 1)),
        (date(2024, 2, 29), date(2023, 3, 1)),
    ],
)
def test_the_default_period_is_twelve_calendar_months_up_to_today(today: date, start: date) -> None:
    period = stats.default_period(today)

    assert (period.start, period.end) == (start, today)
    assert len(period.months()) == 12


def test_the_department_filter_counts_only_its_reports(town: dict[str, Any]) -> None:
    day = at("2026-04-10")
    report(town["pothole"], created=day)
    # Routed to another department by hand: the report's department counts, not the category's.
    report(town["pothole"], created=day, department=town["life"])
    report(town["dumping"], created=day)

    result = stats.report_statistics(APRIL, department=town["life"])

    assert [(row.key, row.total) for row in result.by_category.rows] == [
        ("pothole", 1),
        ("dumping", 1),
    ]


# --- time to close --------------------------------------------------------------------------------


def test_time_to_close_median_and_ninetieth_percentile(town: dict[str, Any]) -> None:
    day = at("2026-04-02", "09:15")
    # pothole: 1, 2, 3, 4, 10 days → median 3, 90th: position 4.6 → 4 + 0.6 × 6 = 7.6 days.
    for n, status in ((10, Status.FIXED), (1, Status.FIXED), (3, Status.NOT_FIXABLE)):
        report(town["pothole"], created=day, status=status, closed_after=days(n))
    for n in (4, 2):
        report(town["pothole"], created=day, status=Status.REFERRED, closed_after=days(n))
    # light: 1 day and 1 day 12 hours → median 1.25 days, 90th 1 + 0.9 × 0.5 = 1.45 days.
    report(town["light"], created=day, status=Status.FIXED, closed_after=days(1))
    report(town["light"], created=day, status=Status.FIXED, closed_after=timedelta(hours=36))
    # Not closed, or reopened (closed_at cleared): not in the figures.
    report(town["pothole"], created=day, status=Status.IN_PROGRESS)
    report(town["light"], created=day, status=Status.IN_PROGRESS)
    # dumping: one closed report: both figures are its time.
    report(town["dumping"], created=day, status=Status.FIXED, closed_after=timedelta(hours=5))

    result = stats.report_statistics(APRIL)

    times = {row.key: row for row in result.close_times}
    assert [(row.key, row.closed) for row in result.close_times] == [
        ("pothole", 5),
        ("light", 2),
        ("dumping", 1),
    ]
    assert_close(times["pothole"].median, days(3))
    assert_close(times["pothole"].ninetieth, days(7.6))
    assert_close(times["light"].median, days(1.25))
    assert_close(times["light"].ninetieth, days(1.45))
    assert times["dumping"].median == times["dumping"].ninetieth == timedelta(hours=5)
    # All eight: 5h, 1, 1, 1.5, 2, 3, 4, 10 days → median (1.5 + 2) / 2; 90th: position 7.3.
    overall = result.overall_close_time
    assert overall.closed == 8
    assert_close(overall.median, days(1.75))
    assert_close(overall.ninetieth, days(4 + 0.3 * 6))


def test_time_to_close_is_empty_when_nothing_was_closed(town: dict[str, Any]) -> None:
    report(town["pothole"], created=at("2026-04-02"))

    result = stats.report_statistics(APRIL)

    assert result.close_times == []
    assert result.overall_close_time.closed == 0
    assert result.overall_close_time.median is None


# --- the page -------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(StaffFactory.create(permissions=["reports.view_report"]))
    return client


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("resident", 403),
        ("staff without the permission", 403),
        ("staff who may see reports", 200),
    ],
)
def test_only_staff_who_may_see_reports_open_the_page(
    client: Client, town: dict[str, Any], who: str, status: int
) -> None:
    user: User
    if who == "resident":
        user = UserFactory.create()
    elif who == "staff without the permission":
        user = StaffFactory.create(permissions=["reports.change_report"])
    else:
        user = StaffFactory.create(permissions=["reports.view_report"])
    client.force_login(user)

    assert client.get(reverse("reports:stats")).status_code == status
    export = client.get(reverse("reports:stats_export", args=["category"]))
    assert export.status_code == status
    assert AuditEntry.objects.count() == (1 if status == 200 else 0)


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client: Client) -> None:
    response = client.get(reverse("reports:stats"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_page_shows_tables_charts_and_summaries(
    staff_client: Client, town: dict[str, Any]
) -> None:
    report(town["pothole"], created=at("2026-04-03"), district=town["north"])
    report(
        town["pothole"],
        created=at("2026-04-04"),
        district=town["north"],
        status=Status.FIXED,
        closed_after=days(2),
    )
    report(town["light"], created=at("2026-04-05"), district=town["south"])

    response = staff_client.get(
        reverse("reports:stats"), {"date_from": "2026-04-01", "date_to": "2026-04-30"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "2026-04-01 から 2026-04-30 までに受け付けた通報は 3 件です。" in page
    assert "そのうち 2 件は受付または対応中です。" in page
    assert "最も多い種類は「道路の穴」の 2 件です。" in page
    assert "最も多い行政区は「田沢」の 2 件です。" in page
    assert "最も多かった月は 2026-04 の 3 件で、1か月の平均は 3.0 件です。" in page
    assert "中央値 2.0 日" in page
    assert page.count('<svg class="chart"') == 3
    assert 'style="' not in page.split("<main", 1)[-1]  # CSP: attributes only
    assert (
        '<tr data-key="pothole"><th scope="row">道路の穴</th><td>1</td><td>0</td><td>1</td>' in page
    )


def test_a_period_that_ends_before_it_starts_is_refused(
    staff_client: Client, town: dict[str, Any]
) -> None:
    response = staff_client.get(
        reverse("reports:stats"), {"date_from": "2026-05-01", "date_to": "2026-04-01"}
    )

    assert response.status_code == 400
    assert "終わりの日付は始まりの日付以降にしてください。" in response.content.decode()


def test_a_period_longer_than_five_years_is_refused(
    staff_client: Client, town: dict[str, Any]
) -> None:
    response = staff_client.get(
        reverse("reports:stats"), {"date_from": "2016-01-01", "date_to": "2026-01-01"}
    )

    assert response.status_code == 400
    assert "期間は5年以内にしてください。" in response.content.decode()


def test_the_department_filter_on_the_page(staff_client: Client, town: dict[str, Any]) -> None:
    report(town["pothole"], created=at("2026-04-03"))
    report(town["dumping"], created=at("2026-04-03"))

    response = staff_client.get(
        reverse("reports:stats"),
        {"date_from": "2026-04-01", "date_to": "2026-04-30", "department": "chomin"},
    )

    page = response.content.decode()
    assert "受け付けた通報は 1 件です。" in page
    assert "担当課: 町民生活課" in page


# --- CSV ------------------------------------------------------------------------------------------


def read_csv(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode()
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_category_csv_has_the_counts_and_its_export_is_audited(
    staff_client: Client, town: dict[str, Any]
) -> None:
    report(town["pothole"], created=at("2026-04-03"))
    report(town["pothole"], created=at("2026-04-04"), status=Status.FIXED, closed_after=days(1))
    report(town["dumping"], created=at("2026-04-05"), status=Status.REFERRED, closed_after=days(3))

    response = staff_client.get(
        reverse("reports:stats_export", args=["category"]),
        {"date_from": "2026-04-01", "date_to": "2026-04-30"},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "reports-category-20260401-20260430.csv" in response["Content-Disposition"]
    assert read_csv(response) == [
        ["コード", "種類", "受付", "対応中", "対応済", "対応不可", "他機関へ", "合計"],
        ["pothole", "道路の穴", "1", "0", "1", "0", "0", "2"],
        ["dumping", "不法投棄", "0", "0", "0", "0", "1", "1"],
        ["", "合計", "1", "0", "1", "0", "1", "3"],
    ]
    entry = AuditEntry.objects.get()
    assert entry.action == "export"
    assert entry.object_type == "reports.statistics"
    assert entry.changes == {
        "filters": {"table": "category", "from": "2026-04-01", "to": "2026-04-30"},
        "row_count": 3,
    }


def test_the_close_time_and_month_csv_files(staff_client: Client, town: dict[str, Any]) -> None:
    report(town["pothole"], created=at("2026-04-03"), status=Status.FIXED, closed_after=days(1))
    report(town["pothole"], created=at("2026-04-03"), status=Status.FIXED, closed_after=days(4))
    query = {"date_from": "2026-03-01", "date_to": "2026-04-30", "department": "toshi"}

    close = read_csv(staff_client.get(reverse("reports:stats_export", args=["close-time"]), query))
    months = read_csv(staff_client.get(reverse("reports:stats_export", args=["month"]), query))

    assert close == [
        ["コード", "種類", "完了した件数", "中央値（日）", "90パーセンタイル（日）"],
        ["pothole", "道路の穴", "2", "2.5", "3.7"],
        ["", "すべての種類", "2", "2.5", "3.7"],
    ]
    assert months == [["月", "件数"], ["2026-03", "0"], ["2026-04", "2"]]
    assert AuditEntry.objects.filter(changes__filters__department="toshi").count() == 2


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_defused(
    staff_client: Client, town: dict[str, Any]
) -> None:
    evil = CategoryFactory.create(
        code="evil", name='=HYPERLINK("http://example.com","x")', department=town["roads"]
    )
    report(evil, created=at("2026-04-03"))

    rows = read_csv(
        staff_client.get(
            reverse("reports:stats_export", args=["category"]),
            {"date_from": "2026-04-01", "date_to": "2026-04-30"},
        )
    )

    assert rows[1][1] == '\'=HYPERLINK("http://example.com","x")'


def test_an_unknown_table_is_not_found_and_not_audited(staff_client: Client) -> None:
    response = staff_client.get(reverse("reports:stats_export", args=["residents"]))

    assert response.status_code == 404
    assert not AuditEntry.objects.exists()
