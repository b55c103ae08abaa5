"""The staff statistics page of reports (通報の統計): tables, SVG bar charts with a sentence
saying what each shows, and the tables as CSV.

Charts are drawn on the server as SVG with attributes only (CSP forbids inline styles); every
chart has the same figures in a table beside it, for screen readers and for copying."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from yakuba.core.csv_export import csv_response
from yakuba.core.permissions import staff_required
from yakuba.modules.reports import stats
from yakuba.modules.reports.models import STAFF_STATUSES
from yakuba.platform.accounts.models import Department
from yakuba.platform.audit import services as audit

VIEW = "reports.view_report"
# One colour per counted status (a merged report counts once, as the report it was merged into);
# ≥ 4.5:1 against white so the bars stand out.
STATUS_COLORS = ("#0050b3", "#d48806", "#389e0d", "#595959", "#722ed1")
DATE_ERROR = gettext_lazy("日付は 2026-04-01 のように年-月-日で入力してください。")
TABLES = ("category", "district", "month", "close-time")


class DateInput(forms.DateInput):
    input_type = "date"


class StatsFilterForm(forms.Form):
    """The period (received from … to …) and the department. Empty means the last 12 months and
    every department."""

    date_from = forms.DateField(
        label=gettext_lazy("受付日（から）"),
        required=False,
        widget=DateInput(format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%Y/%m/%d"],
        error_messages={"invalid": DATE_ERROR},
    )
    date_to = forms.DateField(
        label=gettext_lazy("受付日（まで）"),
        required=False,
        widget=DateInput(format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%Y/%m/%d"],
        error_messages={"invalid": DATE_ERROR},
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("担当課"),
        queryset=Department.objects.filter(report_categories__isnull=False).distinct(),
        required=False,
        empty_label=gettext_lazy("すべての課"),
        to_field_name="code",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = self.period_from(cleaned)
        if start > end:
            self.add_error("date_to", _("終わりの日付は始まりの日付以降にしてください。"))
        elif (end - start).days > stats.MAX_PERIOD_DAYS:
            self.add_error("date_from", _("期間は5年以内にしてください。"))
        return cleaned

    @staticmethod
    def period_from(cleaned: dict[str, Any]) -> tuple[date, date]:
        default = stats.default_period(timezone.localdate())
        return cleaned.get("date_from") or default.start, cleaned.get("date_to") or default.end

    def period(self) -> stats.Period:
        return stats.Period(*self.period_from(self.cleaned_data))

    def for_log(self) -> dict[str, Any]:
        """What an export contained, JSON-ready, for the audit log."""
        period = self.period()
        department = self.cleaned_data.get("department")
        return {
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            **({"department": department.code} if department else {}),
        }


# --- charts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BarPart:
    x: float
    width: float
    color: str
    label: str
    count: int


@dataclass(frozen=True)
class BarRow:
    label: str
    y: float
    parts: list[BarPart]
    total: int


def _stacked_chart(table: stats.CountTable) -> dict[str, Any]:
    """A horizontal bar per row, split by status (the notify answers chart's layout)."""
    left, width, step = 150, 440, 28
    largest = max((row.total for row in table.rows), default=0) or 1
    rows = []
    for index, row in enumerate(table.rows):
        x = float(left)
        parts = []
        for status, color, count in zip(STAFF_STATUSES, STATUS_COLORS, row.cells, strict=True):
            length = width * count / largest
            if count:
                parts.append(
                    BarPart(round(x, 1), round(length, 1), color, str(status.label), count)
                )
            x += length
        rows.append(BarRow(row.label, 10 + index * step, parts, row.total))
    return {
        "rows": rows,
        "height": 20 + len(rows) * step,
        "width": left + width + 60,
        "total_x": left + width + 8,
    }


@dataclass(frozen=True)
class MonthBar:
    x: float
    y: float
    width: float
    height: float
    label: str
    count: int


CHART_WIDTH, CHART_HEIGHT, CHART_LEFT, CHART_BOTTOM = 640, 220, 40, 30


def _month_chart(months: list[stats.MonthCount]) -> dict[str, Any]:
    top = max((month.count for month in months), default=0) or 1
    area_width = CHART_WIDTH - CHART_LEFT - 10
    area_height = CHART_HEIGHT - CHART_BOTTOM - 10
    step = area_width / max(len(months), 1)
    bars = []
    for index, month in enumerate(months):
        height = area_height * month.count / top
        bars.append(
            MonthBar(
                x=round(CHART_LEFT + index * step + step * 0.1, 1),
                y=round(10 + area_height - height, 1),
                width=round(max(step * 0.8, 1), 1),
                height=round(height, 1),
                label=month.month.strftime("%Y-%m"),
                count=month.count,
            )
        )
    return {
        "bars": bars,
        # At most 12 labels under the axis; the table has them all.
        "labels": bars[:: max(len(bars) // 12, 1)],
        "top": top,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "base": CHART_HEIGHT - CHART_BOTTOM,
    }


def days(value: timedelta | None) -> float | None:
    """A duration in days, one decimal, for the page and the CSV."""
    return None if value is None else round(value.total_seconds() / 86400, 1)


# --- page and CSV ---------------------------------------------------------------------------------


def _form(request: HttpRequest) -> StatsFilterForm:
    form = StatsFilterForm(request.GET)
    form.is_valid()
    return form


@staff_required(permission=VIEW)
@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    """Counts by category, district and month, and time to close, for a period and department."""
    form = _form(request)
    context: dict[str, Any] = {
        "form": form,
        "breadcrumbs": [
            (_("職員メニュー"), reverse("core:staff_home")),
            (_("通報の統計"), None),
        ],
    }
    if form.is_valid():
        result = stats.report_statistics(
            form.period(), department=form.cleaned_data.get("department")
        )
        months = [m for m in result.by_month if m.count]
        busiest = max(result.by_month, key=lambda m: m.count, default=None)
        context.update(
            {
                "result": result,
                "category_chart": _stacked_chart(result.by_category),
                "district_chart": _stacked_chart(result.by_district),
                "month_chart": _month_chart(result.by_month),
                "legend": [
                    {"x": index * 120, "color": color, "label": label}
                    for index, (color, (_value, label)) in enumerate(
                        zip(STATUS_COLORS, result.statuses, strict=True)
                    )
                ],
                "open_count": sum(row.open_count for row in result.by_category.rows),
                "top_category": result.by_category.largest(),
                "top_district": result.by_district.largest(),
                "busiest_month": busiest if months else None,
                "monthly_average": round(result.total / len(result.by_month), 1)
                if result.by_month
                else 0,
                "close_times": [
                    (row, days(row.median), days(row.ninetieth)) for row in result.close_times
                ],
                "overall_close": (
                    result.overall_close_time,
                    days(result.overall_close_time.median),
                    days(result.overall_close_time.ninetieth),
                ),
                "query": request.GET.urlencode(),
            }
        )
    return render(
        request, "reports/stats/statistics.html", context, status=200 if form.is_valid() else 400
    )


def _count_rows(table: stats.CountTable, heading: str) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [_("コード"), heading, *(str(status.label) for status in STAFF_STATUSES), _("合計")]
    ]
    rows += [[row.key, row.label, *row.cells, row.total] for row in table.rows]
    rows.append(["", _("合計"), *table.totals, table.total])
    return rows


def _csv_rows(result: stats.ReportStatistics, table: str) -> list[list[Any]]:
    if table == "category":
        return _count_rows(result.by_category, _("種類"))
    if table == "district":
        return _count_rows(result.by_district, _("行政区"))
    if table == "month":
        return [
            [_("月"), _("件数")],
            *([m.month.strftime("%Y-%m"), m.count] for m in result.by_month),
        ]
    rows: list[list[Any]] = [
        [_("コード"), _("種類"), _("完了した件数"), _("中央値（日）"), _("90パーセンタイル（日）")]
    ]
    for row in [*result.close_times, result.overall_close_time]:
        rows.append([row.key, row.label, row.closed, days(row.median), days(row.ninetieth)])
    return rows


@staff_required(permission=VIEW)
@require_GET
def statistics_export(request: HttpRequest, table: str) -> HttpResponse | StreamingHttpResponse:
    """One of the page's tables as CSV (UTF-8 with BOM). The download is audited (出力) like
    every export, with the period and department it covered."""
    if table not in TABLES:
        raise Http404
    form = _form(request)
    if not form.is_valid():
        return statistics(request)
    result = stats.report_statistics(form.period(), department=form.cleaned_data.get("department"))
    rows = _csv_rows(result, table)
    audit.record_export(
        by=request.user,
        object_type="reports.statistics",
        filters={"table": table, **form.for_log()},
        row_count=len(rows) - 1,
        request=request,
    )
    period = result.period
    filename = f"reports-{table}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"
    return csv_response(rows, filename)
