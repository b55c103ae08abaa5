"""Statistics of citizen reports (通報の統計) for the staff page and its CSV files: counts by
category × status and district × status, reports per month, and the time to close (受付から完了
まで) by category as median and 90th percentile.

Counted: reports received in the period (by `created_at`, the town's calendar days) that anyone may
see. Hidden reports (abuse) and duplicates merged into another report are left out, so that one
pothole reported five times counts once.

Everything is computed by the database (GROUP BY, window functions); Python only fills empty rows
and interpolates between the two middle values of a percentile. The same SQL runs on SQLite and
PostgreSQL: PostgreSQL's `percentile_cont` has no SQLite equivalent, so the percentiles use
`ROW_NUMBER()` over the sorted durations, which both have.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Value,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from yakuba.modules.reports.models import OPEN_STATUSES, STAFF_STATUSES, Category, Report
from yakuba.modules.reports.services import public_reports
from yakuba.platform.accounts.models import Department
from yakuba.platform.places.models import District

# The page draws one bar a month; a longer period would make the chart unreadable and the
# queries scan years of rows for a question nobody asks on this page.
MAX_PERIOD_DAYS = 5 * 366
DEFAULT_MONTHS = 12
MEDIAN, NINETIETH = 0.5, 0.9
NO_DISTRICT = ""  # the key of the row for reports without a district (address only, no pin)


class ElapsedSeconds(Func):
    """Seconds from `created_at` to `closed_at`, in the database's own functions. Django's
    portable DurationField subtraction calls a Python function per row on SQLite, which made the
    sort for the percentiles 6 times slower on 60,000 reports (bench/reports_map.py)."""

    output_field = FloatField()
    template = "CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision)"
    arg_joiner = " - "

    def __init__(self, **extra: Any) -> None:
        super().__init__(F("closed_at"), F("created_at"), **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django keeps datetimes in SQLite as ISO text in UTC, which julianday() reads.
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )


@dataclass(frozen=True)
class Period:
    """Days from `start` to `end`, both included, in the town's time zone."""

    start: date
    end: date

    def bounds(self) -> tuple[datetime, datetime]:
        """[first moment, moment after the last day) as aware datetimes."""
        zone = timezone.get_current_timezone()
        first = timezone.make_aware(datetime.combine(self.start, time.min), zone)
        after = timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min), zone)
        return first, after

    def months(self) -> list[date]:
        """The first day of every calendar month the period touches."""
        months = []
        month = self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        return months


def default_period(today: date) -> Period:
    """The last 12 calendar months, this one included (so the monthly chart has 12 whole bars
    but the current one)."""
    month = today.replace(day=1)
    for _step in range(DEFAULT_MONTHS - 1):
        month = (month - timedelta(days=1)).replace(day=1)
    return Period(month, today)


@dataclass(frozen=True)
class CountRow:
    """One line of a count table: a category or district, its count per status, its total."""

    key: str
    label: str
    cells: list[int]
    total: int

    @property
    def open_count(self) -> int:
        return sum(
            n for status, n in zip(STAFF_STATUSES, self.cells, strict=True) if is_open(status)
        )


@dataclass(frozen=True)
class CountTable:
    rows: list[CountRow]
    totals: list[int]
    total: int

    def largest(self) -> CountRow | None:
        return max(self.rows, key=lambda row: row.total, default=None) if self.total else None


@dataclass(frozen=True)
class MonthCount:
    month: date  # the first day of the month
    count: int


@dataclass(frozen=True)
class CloseTime:
    """How long reports of a category took from receipt to 対応済・対応不可・他機関へ."""

    key: str
    label: str
    closed: int
    median: timedelta | None
    ninetieth: timedelta | None


@dataclass(frozen=True)
class ReportStatistics:
    period: Period
    department: Department | None
    by_category: CountTable
    by_district: CountTable
    by_month: list[MonthCount]
    close_times: list[CloseTime]
    overall_close_time: CloseTime
    statuses: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.by_category.total


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


def counted_reports(period: Period, *, department: Department | None = None) -> QuerySet[Report]:
    """The reports the statistics count: public, received in the period, of the department."""
    first, after = period.bounds()
    reports = public_reports().filter(created_at__gte=first, created_at__lt=after)
    if department is not None:
        reports = reports.filter(department=department)
    return reports.order_by()


def _count_table(
    reports: QuerySet[Report], key: str, labels: dict[Any, tuple[str, str]], *, keep_empty: bool
) -> CountTable:
    """Counts by `key` × status in one GROUP BY; `labels` maps key values to (code, name) in the
    order rows are shown. Keys with no report are shown only when `keep_empty`."""
    counts: dict[Any, dict[str, int]] = defaultdict(dict)
    for row in reports.values(key, "status").annotate(n=Count("pk")):
        counts[row[key]][row["status"]] = row["n"]
    rows = []
    for value, (code, name) in labels.items():
        if value not in counts and not keep_empty:
            continue
        cells = [counts.get(value, {}).get(status, 0) for status in STAFF_STATUSES]
        rows.append(CountRow(code, name, cells, sum(cells)))
    totals = [sum(row.cells[i] for row in rows) for i in range(len(STAFF_STATUSES))]
    return CountTable(rows, totals, sum(totals))


def _category_labels() -> dict[Any, tuple[str, str]]:
    return {
        pk: (code, name) for pk, code, name in Category.objects.values_list("pk", "code", "name")
    }


def _district_labels(reports: QuerySet[Report]) -> dict[Any, tuple[str, str]]:
    labels: dict[Any, tuple[str, str]] = {
        pk: (code, name)
        for pk, code, name in District.objects.order_by("order", "code").values_list(
            "pk", "code", "name"
        )
    }
    if reports.filter(district__isnull=True).exists():
        labels[None] = (NO_DISTRICT, _("行政区なし"))
    return labels


def _by_month(reports: QuerySet[Report], period: Period) -> list[MonthCount]:
    """Reports per calendar month (the town's time zone), empty months included.

    One pass with a filtered COUNT per month between boundaries worked out here in the town's
    time zone: TruncMonth with a time zone calls a Python function per row on SQLite (0.3 s for
    60,000 reports); plain comparisons are fast on both databases."""
    zone = timezone.get_current_timezone()
    months = period.months()
    starts = [timezone.make_aware(datetime.combine(m, time.min), zone) for m in months]
    after = (months[-1] + timedelta(days=32)).replace(day=1)
    bounds = [*starts, timezone.make_aware(datetime.combine(after, time.min), zone)]
    counts = reports.aggregate(
        **{
            f"m{index}": Count(
                "pk", filter=Q(created_at__gte=bounds[index], created_at__lt=bounds[index + 1])
            )
            for index in range(len(months))
        }
    )
    return [MonthCount(month, counts[f"m{index}"]) for index, month in enumerate(months)]


def _percentile_rows(
    closed: QuerySet[Report], *, partition: str | None
) -> dict[Any, tuple[int, dict[int, timedelta]]]:
    """For each group: (number of closed reports, {position: duration}) for the positions either
    side of the median and the 90th percentile, sorted by duration in SQL. Only those few rows
    (at most six a group) come back, however many reports there are."""
    partition_by = [F(partition)] if partition else []
    ranked = (
        closed.annotate(duration=ElapsedSeconds())
        .annotate(
            position=Window(RowNumber(), partition_by=partition_by, order_by=[F("duration"), "pk"]),
            closed_count=Window(Count("pk"), partition_by=partition_by),
        )
        .annotate(group=F(partition) if partition else Value(0))
    )
    # Position p × (n − 1) + 1 lies between two rows; keep the rows within 1 of it (a margin of
    # floating-point error on either side makes it up to three; _interpolate picks the right two).
    near = Q()
    for fraction in (MEDIAN, NINETIETH):
        target = ExpressionWrapper(
            Value(fraction) * (F("closed_count") - 1) + 1, output_field=FloatField()
        )
        near |= Q(position__gte=target - 1.0001, position__lte=target + 1.0001)
    result: dict[Any, tuple[int, dict[int, timedelta]]] = {}
    for group, position, count, seconds in ranked.filter(near).values_list(
        "group", "position", "closed_count", "duration"
    ):
        # Whole milliseconds: julianday() on SQLite is exact to about 0.1 ms, not to microseconds.
        duration = timedelta(milliseconds=round(seconds * 1000))
        result.setdefault(group, (count, {}))[1][position] = duration
    return result


def _interpolate(count: int, values: dict[int, timedelta], fraction: float) -> timedelta | None:
    """The percentile as PostgreSQL's percentile_cont defines it: linear between the two rows
    around position fraction × (n − 1) + 1."""
    if not count:
        return None
    position = fraction * (count - 1) + 1
    lower, upper = math.floor(position), math.ceil(position)
    low, high = values.get(lower), values.get(upper, values.get(lower))
    if low is None or high is None:
        return None
    return low + (high - low) * (position - lower)


def _close_time(key: str, label: str, found: tuple[int, dict[int, timedelta]] | None) -> CloseTime:
    count, values = found or (0, {})
    return CloseTime(
        key,
        label,
        count,
        _interpolate(count, values, MEDIAN),
        _interpolate(count, values, NINETIETH),
    )


def close_times(reports: QuerySet[Report]) -> tuple[list[CloseTime], CloseTime]:
    """Median and 90th percentile of closed_at − created_at, by category and overall, over the
    reports now closed (対応済・対応不可・他機関へ; a reopened one is open again)."""
    closed = reports.exclude(status__in=OPEN_STATUSES).filter(closed_at__isnull=False)
    by_category = _percentile_rows(closed, partition="category_id")
    labels = _category_labels()
    rows = [
        _close_time(code, name, by_category[pk])
        for pk, (code, name) in labels.items()
        if pk in by_category
    ]
    overall = _percentile_rows(closed, partition=None).get(0)
    return rows, _close_time("", _("すべての種類"), overall)


def report_statistics(period: Period, *, department: Department | None = None) -> ReportStatistics:
    """Everything the statistics page shows, for the period and optionally one department."""
    reports = counted_reports(period, department=department)
    by_category_times, overall = close_times(reports)
    return ReportStatistics(
        period=period,
        department=department,
        by_category=_count_table(reports, "category_id", _category_labels(), keep_empty=False),
        by_district=_count_table(
            reports, "district_id", _district_labels(reports), keep_empty=True
        ),
        by_month=_by_month(reports, period),
        close_times=by_category_times,
        overall_close_time=overall,
        statuses=[(status.value, str(status.label)) for status in STAFF_STATUSES],
    )
