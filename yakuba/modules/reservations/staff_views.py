"""The staff pages of reservations (施設予約の管理): the calendar of all bookings, a booking's
page (payment at the counter, 減免, cancellation), booking at the counter for someone (窓口で代理
予約), closures (休館・点検・町の使用), utilisation by month, and the facilities' settings and fee
tables. Mounted at /reservations/staff/ by `staff_urls.py`.

A staff member reaches only the facilities of their own department (a superuser, all): another
department's facility, booking or closure is "not found". Managing bookings needs
reservations.change_booking; settings and fee tables need reservations.change_facility. Every
page that shows a booker's personal data writes the read to the audit log; every action is
audited by `backoffice.py`. Actions are POSTs that redirect back (Post/Redirect/Get); a refused
one shows the page again with the error summary.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yakuba.core.csv_export import csv_response
from yakuba.core.permissions import staff_required
from yakuba.modules.reservations import (
    availability,
    backoffice,
    calendar,
    fees,
    services,
    staff_queries,
    stats,
)
from yakuba.modules.reservations.availability import State
from yakuba.modules.reservations.forms import details_request
from yakuba.modules.reservations.models import (
    Booking,
    BookingMode,
    Closure,
    Facility,
    FeeSchedule,
    Group,
    Unit,
)
from yakuba.modules.reservations.staff_forms import (
    CalendarFilterForm,
    CancelForm,
    ClosureForm,
    CounterDayForm,
    CounterDetailsForm,
    FacilitySettingsForm,
    FeeScheduleForm,
    ReductionForm,
    ResidentSearchForm,
    StatsForm,
)
from yakuba.platform.accounts.models import User
from yakuba.platform.accounts.queries import counter_resident
from yakuba.platform.accounts.requests import signed_in_user
from yakuba.platform.accounts.services import find_residents_at_counter
from yakuba.platform.audit.services import record_export, record_read, record_reads
from yakuba.platform.payments.collectors import PaymentState

CHANGE = "reservations.change_booking"
CHANGE_FACILITY = "reservations.change_facility"
# The calendar's time columns, and the hours it shows when no facility is open that day.
COLUMN_MINUTES = 30
DEFAULT_HOURS = (dt.time(9), dt.time(21))
CLOSURES_PAGE_SIZE = 30


def _crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("職員メニュー"), reverse("core:staff_home")),
        (_("施設予約の管理"), reverse("reservations:staff_calendar") if rest else None),
        *rest,
    ]


def nav_context(user: User, section: str) -> dict[str, Any]:
    """What the staff menu (`reservations/staff/_nav.html`) needs; the group and lottery staff
    pages show it too."""
    return {
        "section": section,
        "can_change_facility": user.has_perm(CHANGE_FACILITY),
        "has_department": user.is_superuser or staff_queries.department_id(user) is not None,
    }


def _page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    section: str,
    status: int = 200,
) -> HttpResponse:
    context.setdefault("breadcrumbs", _crumbs())
    context.update(nav_context(signed_in_user(request), section))
    return render(request, f"reservations/staff/{template}", context, status=status)


def _messages_of(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment, calendar.TOKYO)


# --- the calendar of all bookings -----------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A booking or a closure as the calendar shows it."""

    start: dt.datetime
    end: dt.datetime
    booking: Booking | None = None
    closure: Closure | None = None

    @property
    def local_start(self) -> dt.datetime:
        return _local(self.start)

    @property
    def local_end(self) -> dt.datetime:
        return _local(self.end)


@dataclass(frozen=True)
class GridCell:
    span: int
    entries: list[Entry]


@dataclass(frozen=True)
class GridRow:
    unit: Unit
    cells: list[GridCell]


@dataclass(frozen=True)
class DayEntries:
    day: dt.date
    is_holiday: bool
    entries: list[tuple[Unit | None, Entry]]


@dataclass(frozen=True)
class WeekCell:
    entries: list[Entry]
    is_closed_day: bool


@dataclass(frozen=True)
class WeekRow:
    unit: Unit
    days: list[WeekCell]


def _entries(row: staff_queries.UnitRow, start: dt.datetime, end: dt.datetime) -> list[Entry]:
    """The bookings of the unit and the facility's closures that overlap [start, end)."""
    found = [
        Entry(booking.start, booking.end, booking=booking)
        for booking in row.bookings
        if booking.start < end and booking.end > start
    ]
    found += [
        Entry(max(closure.start, start), min(closure.end, end), closure=closure)
        for closure in row.closures
        if closure.start < end and closure.end > start
    ]
    return sorted(found, key=lambda entry: entry.start)


def _columns(facilities: list[Facility], day: dt.date) -> list[dt.datetime]:
    """Every COLUMN_MINUTES from the earliest opening to the latest closing of the day."""
    hours = [calendar.opening(facility, day) for facility in facilities]
    opened = [found for found in hours if found is not None]
    if opened:
        first = min(start for start, _end in opened)
        last = max(end for _start, end in opened)
    else:
        first, last = (calendar.at(day, time) for time in DEFAULT_HOURS)
    step = dt.timedelta(minutes=COLUMN_MINUTES)
    first = first - dt.timedelta(minutes=_local(first).minute % COLUMN_MINUTES)
    columns = []
    moment = first
    while moment < last:
        columns.append(moment)
        moment += step
    return columns


def _hours(columns: list[dt.datetime]) -> list[tuple[dt.datetime, int]]:
    """The timeline's header: one heading per hour over the columns in it."""
    hours: list[tuple[dt.datetime, int]] = []
    for column in columns:
        if hours and hours[-1][0].hour == column.hour:
            hours[-1] = (hours[-1][0], hours[-1][1] + 1)
        else:
            hours.append((column, 1))
    return hours


def _grid_cells(entries: list[Entry], columns: list[dt.datetime]) -> list[GridCell]:
    """The row of a unit in the day's timeline: an entry spans the columns it touches; entries
    that touch the same column (shorter than a column) share one cell."""
    step = dt.timedelta(minutes=COLUMN_MINUTES)
    cells: list[GridCell] = []
    index = 0
    while index < len(columns):
        moment = columns[index]
        here = [e for e in entries if e.start < moment + step and e.end > moment]
        if not here:
            cells.append(GridCell(1, []))
            index += 1
            continue
        until = max(entry.end for entry in here)
        following = index + 1
        while following < len(columns) and columns[following] < until:
            column = columns[following]
            more = [
                e for e in entries if e not in here and e.start < column + step and e.end > column
            ]
            here += more
            until = max([until, *(entry.end for entry in more)])
            following += 1
        cells.append(GridCell(following - index, here))
        index = following
    return cells


def _calendar_context(
    rows: list[staff_queries.FacilityRows], first: dt.date, last: dt.date, span: str
) -> dict[str, Any]:
    days = [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]
    agenda = []
    for item in rows:
        per_day = []
        for day in days:
            start, end = (
                calendar.at(day, dt.time(0)),
                calendar.at(day + dt.timedelta(days=1), dt.time(0)),
            )
            entries: list[tuple[Unit | None, Entry]] = [
                (row.unit, entry)
                for row in item.units
                for entry in _entries(row, start, end)
                if entry.booking is not None
            ]
            entries += [
                (None, Entry(max(c.start, start), min(c.end, end), closure=c))
                for c in item.closures
                if c.start < end and c.end > start
            ]
            entries.sort(key=lambda pair: pair[1].start)
            per_day.append(DayEntries(day, calendar.is_holiday(day), entries))
        agenda.append((item, per_day))
    context: dict[str, Any] = {"days": days, "agenda": agenda}
    if span == "day":
        columns = _columns([item.facility for item in rows], first)
        window_end = columns[-1] + dt.timedelta(minutes=COLUMN_MINUTES) if columns else None
        context["columns"] = [_local(moment) for moment in columns]
        context["hours"] = _hours(context["columns"])
        context["timeline"] = [
            (
                item,
                [
                    GridRow(row.unit, _grid_cells(_entries(row, columns[0], window_end), columns))
                    for row in item.units
                ],
            )
            for item in rows
            if columns and window_end
        ]
    else:
        context["week"] = [
            (
                item,
                [
                    WeekRow(
                        row.unit,
                        [
                            WeekCell(
                                _entries(
                                    row,
                                    calendar.at(day, dt.time(0)),
                                    calendar.at(day + dt.timedelta(days=1), dt.time(0)),
                                ),
                                calendar.opening(item.facility, day) is None,
                            )
                            for day in days
                        ],
                    )
                    for row in item.units
                ],
            )
            for item in rows
        ]
    return context


@staff_required(permission=CHANGE)
@require_GET
def staff_calendar(request: HttpRequest) -> HttpResponse:
    """Every booking of the department's facilities for a day or a week (予約の一覧), with the
    closures; filter by facility."""
    user = signed_in_user(request)
    facilities = staff_queries.facilities_for(user)
    form = CalendarFilterForm(
        request.GET or None, facilities=facilities, initial={"day": calendar.today()}
    )
    cleaned = form.cleaned_data if form.is_bound and form.is_valid() else {}
    day = cleaned.get("day") or calendar.today()
    span = cleaned.get("span") or "day"
    chosen = cleaned.get("facility")
    if span == "week":
        first = day - dt.timedelta(days=day.weekday())
        last, step = first + dt.timedelta(days=6), dt.timedelta(days=7)
    else:
        first = last = day
        step = dt.timedelta(days=1)
    shown = facilities.filter(pk=chosen.pk) if chosen else facilities
    rows = staff_queries.bookings_calendar(shown, first, last)
    shown_bookings = [booking for item in rows for row in item.units for booking in row.bookings]
    record_reads(
        by=user,
        opened=((booking, booking.user_id) for booking in shown_bookings),
        reason="calendar",
        request=request,
    )
    query = {"span": span, **({"facility": chosen.pk} if chosen else {})}
    context = {
        "form": form,
        "span": span,
        "first": first,
        "last": last,
        "chosen": chosen,
        "booking_count": len(shown_bookings),
        "previous_url": "?" + urlencode({**query, "day": (day - step).isoformat()}),
        "next_url": "?" + urlencode({**query, "day": (day + step).isoformat()}),
        "today_url": "?" + urlencode(query),
        "has_facilities": bool(rows),
        **_calendar_context(rows, first, last, span),
    }
    return _page(request, "calendar.html", context, section="calendar")


# --- a booking's staff page -----------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryItem:
    when: dt.datetime
    text: str
    who: str
    reason: str


def _history(booking: Booking) -> list[HistoryItem]:
    """How the booking came to be as it is: made, then what staff did (from the audit log)."""
    made = (
        _("窓口で予約（%(clerk)s）") % {"clerk": staff_queries.staff_name(booking.booked_by)}
        if booking.booked_by_id
        else _("ネットで予約")
    )
    items = [HistoryItem(booking.created_at, made, "", "")]
    entries = list(staff_queries.history(booking))
    for entry in entries:
        changes = entry.changes or {}
        if "payment" in changes:
            text = _("窓口で%(yen)s円を受け取りました") % {"yen": f"{changes.get('amount', 0):,}"}
        elif "reduction" in changes:
            decided = changes["reduction"][1]
            text = (
                _("減免を承認しました（使用料 %(before)s円 → %(after)s円）")
                if decided == Booking.Reduction.APPROVED
                else _("減免を承認しませんでした（使用料 %(before)s円 → %(after)s円）")
            ) % {
                "before": f"{changes['fee_amount'][0]:,}",
                "after": f"{changes['fee_amount'][1]:,}",
            }
        elif "status" in changes:
            text = _("取り消しました（取消料 %(yen)s円）") % {
                "yen": f"{changes.get('cancellation_fee', 0):,}"
            }
        else:
            continue
        items.append(HistoryItem(entry.occurred_at, text, entry.actor_label, entry.reason))
    if booking.status == Booking.Status.CANCELLED and not any(
        "status" in (entry.changes or {}) for entry in entries
    ):
        items.append(
            HistoryItem(
                booking.cancelled_at or booking.updated_at,
                _("取り消されました（取消料 %(yen)s円）")
                % {"yen": f"{booking.cancellation_fee:,}"},
                "",
                booking.cancel_reason,
            )
        )
    return items


def _reduction_label(booking: Booking) -> str:
    if not booking.reduction_code or booking.fee_schedule is None:
        return booking.reduction_code
    for item in fees.reductions_of(booking.fee_schedule.rules):
        if item["code"] == booking.reduction_code:
            return f"{item['label']}（{item['text']}）"
    return booking.reduction_code


def _option_labels(booking: Booking) -> list[str]:
    rules = booking.fee_schedule.rules if booking.fee_schedule else {}
    labels = {option["code"]: option["label"] for option in fees.options_of(rules)}
    return [labels.get(code, code) for code in booking.options]


def _booking_page(
    request: HttpRequest,
    booking: Booking,
    *,
    reduction_form: ReductionForm | None = None,
    cancel_form: CancelForm | None = None,
    failed: BaseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = signed_in_user(request)
    record_read(by=user, obj=booking, subject_user_id=booking.user_id, request=request)
    profile = getattr(booking.user, "resident_profile", None) if booking.user else None
    owed = (
        booking.fee_amount
        if booking.status == Booking.Status.CONFIRMED
        else booking.cancellation_fee
    )
    context = {
        "booking": booking,
        "profile": profile,
        "start": _local(booking.start),
        "end": _local(booking.end),
        "fee_lines": fees.lines_from_json(booking.fee_lines),
        "options": _option_labels(booking),
        "reduction_label": _reduction_label(booking),
        "history": _history(booking),
        "booked_by": staff_queries.staff_name(booking.booked_by),
        "may_mark_paid": booking.payment == PaymentState.AT_COUNTER and owed > 0,
        "owed": owed,
        "may_decide": booking.reduction == Booking.Reduction.REQUESTED
        and booking.status == Booking.Status.CONFIRMED
        and booking.payment != PaymentState.PAID,
        "may_cancel": services.may_cancel(booking),
        "cancellation_fee_now": services.cancellation_fee(booking)
        if services.may_cancel(booking)
        else 0,
        "reduction_form": reduction_form or ReductionForm(),
        "cancel_form": cancel_form or CancelForm(),
        "failed": failed,
        "breadcrumbs": _crumbs((_("予約番号 %(number)s") % {"number": booking.number}, None)),
    }
    return _page(request, "booking.html", context, section="calendar", status=status)


def _booking(request: HttpRequest, pk: int) -> Booking:
    return staff_queries.booking_for(signed_in_user(request), pk)


@staff_required(permission=CHANGE)
@require_GET
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A booking: when and what, the booker and how to reach them, the fee and its payment, the
    requested reduction, and what staff did; the forms to act on it."""
    return _booking_page(request, _booking(request, pk))


@staff_required(permission=CHANGE)
@require_POST
def mark_paid(request: HttpRequest, pk: int) -> HttpResponseBase:
    booking = _booking(request, pk)
    try:
        paid = backoffice.mark_paid(booking, by=signed_in_user(request))
    except ValidationError as error:
        for message in _messages_of(error):
            messages.error(request, message)
    else:
        owed = paid.fee_amount if paid.status == Booking.Status.CONFIRMED else paid.cancellation_fee
        messages.success(
            request, _("%(yen)s円を受け取り、支払い済みにしました。") % {"yen": f"{owed:,}"}
        )
    return redirect("reservations:staff_booking", pk=booking.pk)


@staff_required(permission=CHANGE)
@require_POST
def decide_reduction(request: HttpRequest, pk: int) -> HttpResponseBase:
    booking = _booking(request, pk)
    form = ReductionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            decided = backoffice.decide_reduction(
                booking,
                approve=approve,
                reason=form.cleaned_data["reason"],
                by=signed_in_user(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                (
                    _("減免を承認しました。使用料は%(yen)s円です。予約した方にお知らせしました。")
                    if approve
                    else _(
                        "減免を承認しませんでした。使用料は%(yen)s円です。予約した方にお知らせしました。"
                    )
                )
                % {"yen": f"{decided.fee_amount:,}"},
            )
            return redirect("reservations:staff_booking", pk=booking.pk)
    return _booking_page(request, booking, reduction_form=form, failed=form, status=400)


@staff_required(permission=CHANGE)
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponseBase:
    booking = _booking(request, pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            cancelled = backoffice.cancel_booking(
                booking,
                by=signed_in_user(request),
                reason=form.cleaned_data["reason"],
                waive_fee=form.cleaned_data["waive_fee"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("予約を取り消しました（取消料 %(yen)s円）。予約した方にお知らせしました。")
                % {"yen": f"{cancelled.cancellation_fee:,}"},
            )
            return redirect("reservations:staff_booking", pk=booking.pk)
    return _booking_page(request, booking, cancel_form=form, failed=form, status=400)


# --- booking at the counter -----------------------------------------------------------------------


@dataclass(frozen=True)
class Booker:
    """Who the clerk books for: a resident's account, or someone without one (guest)."""

    user: User | None

    @property
    def query(self) -> dict[str, Any]:
        return {"resident": self.user.pk} if self.user else {"guest": 1}

    @property
    def name(self) -> str:
        if self.user is None:
            return ""
        return self.user.resident_profile.full_name or self.user.email

    @property
    def is_town_resident(self) -> bool:
        # Someone without an account is shown the residents' window; the booking checks the rate
        # and window again with what the clerk confirmed.
        return self.user is None or services.is_town_resident(self.user)


def _booker(request: HttpRequest, query: QueryDict) -> Booker:
    """The resident in `?resident=`, or a guest with `?guest=1`; 404 for anything else."""
    if query.get("guest") == "1":
        return Booker(None)
    try:
        user_id = int(query.get("resident", ""))
    except ValueError:
        raise Http404 from None
    try:
        resident = counter_resident(user_id)
    except User.DoesNotExist:
        raise Http404 from None
    record_read(
        by=signed_in_user(request),
        obj=resident.resident_profile,
        subject_user_id=resident.pk,
        reason=backoffice.COUNTER,
        request=request,
    )
    return Booker(resident)


def _counter_crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return _crumbs(
        (_("窓口で予約"), reverse("reservations:staff_counter") if rest else None), *rest
    )


@staff_required(permission=CHANGE)
@require_GET
def counter(request: HttpRequest) -> HttpResponse:
    """Find the resident who came or called (氏名・かな・メール・電話番号), or book for someone
    without an account."""
    user = signed_in_user(request)
    form = ResidentSearchForm(request.GET or None)
    found = None
    if form.is_valid():
        found = find_residents_at_counter(
            form.cleaned_data["q"], by=user, reason=backoffice.COUNTER, request=request
        )
    context = {
        "form": form,
        "search": found,
        "breadcrumbs": _counter_crumbs(),
    }
    return _page(request, "counter_search.html", context, section="counter")


@dataclass(frozen=True)
class Choice:
    """A period the clerk may pick for a unit: a fixed slot, or a free range of a free-range
    facility (the start and end are then chosen within it)."""

    unit: Unit
    start: dt.datetime
    end: dt.datetime
    label: str
    bookable: bool
    state_label: str


def _choices(
    facility: Facility, day: dt.date, *, resident: bool, now: dt.datetime
) -> list[tuple[Unit, list[Choice]]]:
    """What each unit offers on `day` at the counter: the cut-off does not apply there, so a
    period that has not started is bookable even inside it."""
    shown = availability.days(facility, day, day, resident=resident, now=now)[0]
    by_unit: dict[int, list[Choice]] = {}
    units: dict[int, Unit] = {}
    for cell in shown.cells:
        bookable = cell.state == State.FREE or (
            cell.state == State.PAST and cell.period.start > now
        )
        label = _("空き") if bookable else cell.label
        units[cell.unit.pk] = cell.unit
        choices = by_unit.setdefault(cell.unit.pk, [])
        start, end = _local(cell.period.start), _local(cell.period.end)
        if facility.mode == BookingMode.FREE:
            last = choices[-1] if choices else None
            if (
                last is not None
                and last.bookable == bookable
                and last.end == start
                and (bookable or last.state_label == label)
            ):
                choices[-1] = Choice(cell.unit, last.start, end, last.label, bookable, label)
                continue
            choices.append(Choice(cell.unit, start, end, "", bookable, label))
        else:
            choices.append(Choice(cell.unit, start, end, cell.period.label, bookable, label))
    return [(units[pk], choices) for pk, choices in by_unit.items()]


@staff_required(permission=CHANGE)
@require_GET
def counter_slots(request: HttpRequest) -> HttpResponse:
    """Choose the facility and the day, then a free period of a unit."""
    user = signed_in_user(request)
    booker = _booker(request, request.GET)
    facilities = staff_queries.facilities_for(user)
    form = CounterDayForm(
        request.GET if "facility" in request.GET else None,
        facilities=facilities,
        initial={"day": calendar.today()},
    )
    context: dict[str, Any] = {
        "form": form,
        "booker": booker,
        "breadcrumbs": _counter_crumbs((_("施設と時間を選ぶ"), None)),
    }
    if form.is_bound and form.is_valid():
        facility, day = form.cleaned_data["facility"], form.cleaned_data["day"]
        units = list(facility.units.select_related("parent").order_by("order", "code"))
        shown = _choices(facility, day, resident=booker.is_town_resident, now=timezone.now())
        context.update(
            {
                "facility": facility,
                "day": day,
                "is_holiday": calendar.is_holiday(day),
                "choices": shown,
                "has_units": bool(units),
                "previous_url": "?"
                + urlencode(
                    {**booker.query, "facility": facility.pk, "day": day - dt.timedelta(days=1)}
                ),
                "next_url": "?"
                + urlencode(
                    {**booker.query, "facility": facility.pk, "day": day + dt.timedelta(days=1)}
                ),
                "details_query": booker.query,
            }
        )
    return _page(request, "counter_slots.html", context, section="counter")


def _moments(
    facility: Facility, start: dt.datetime, end: dt.datetime
) -> tuple[list[dt.datetime], list[dt.datetime]]:
    """The starts and ends the clerk may choose within a free range (the whole slot for a fixed
    one): every step, leaving at least the shortest use."""
    if facility.mode != BookingMode.FREE:
        return [start], [end]
    step = dt.timedelta(minutes=facility.step_minutes)
    shortest = dt.timedelta(minutes=facility.min_minutes)
    starts, ends = [], []
    moment = start
    while moment + shortest <= end:
        starts.append(moment)
        moment += step
    moment = start + shortest
    while moment <= end:
        ends.append(moment)
        moment += step
    return starts, ends


def _parse_moment(text: str | None) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text or "")
    except ValueError:
        raise Http404 from None
    if moment.tzinfo is None:
        raise Http404
    return moment


@staff_required(permission=CHANGE)
@require_http_methods(["GET", "POST"])
def counter_details(request: HttpRequest) -> HttpResponseBase:
    """The booker's details for the chosen period; "料金を確かめる" shows the fee, "予約する"
    books (the booker is told, as online)."""
    user = signed_in_user(request)
    booker = _booker(request, request.GET)
    try:
        unit_id = int(request.GET.get("unit", ""))
    except ValueError:
        raise Http404 from None
    unit = (
        Unit.objects.select_related("facility", "parent")
        .filter(pk=unit_id, facility__in=staff_queries.facilities_for(user))
        .first()
    )
    if unit is None:
        raise Http404
    facility = unit.facility
    range_start, range_end = (
        _parse_moment(request.GET.get("start")),
        _parse_moment(request.GET.get("end")),
    )
    starts, ends = _moments(facility, range_start, range_end)
    day = _local(range_start).date()
    schedule = services.fee_schedule(facility, day)
    groups = (
        Group.objects.filter(status=Group.Status.APPROVED)
        .filter(Q(representative=booker.user) | Q(members=booker.user))
        .distinct()
        if booker.user
        else None
    )
    initial: dict[str, Any] = {
        "start": starts[0].isoformat() if starts else "",
        "end": ends[-1].isoformat() if ends else "",
    }
    if booker.user is not None:
        profile = booker.user.resident_profile
        initial.update({"contact_name": profile.full_name, "contact_phone": profile.phone})
    form = CounterDetailsForm(
        request.POST if request.method == "POST" else None,
        facility=facility,
        starts=starts,
        ends=ends,
        schedule=schedule,
        groups=groups,
        initial=initial,
    )
    quote = None
    if request.method == "POST" and starts and ends and form.is_valid():
        start, end = form.period()
        data = form.cleaned_data
        booking_request = details_request(
            data, unit, start, end, group=data.get("group"), in_town=bool(data.get("in_town"))
        )
        try:
            if "book" in request.POST:
                booking = backoffice.book_at_counter(booking_request, user=booker.user, by=user)
                messages.success(
                    request,
                    _("予約しました。予約番号は %(number)s です。") % {"number": booking.number},
                )
                return redirect("reservations:staff_booking", pk=booking.pk)
            services.check(booking_request, user=booker.user, at_counter=True)
            quote = services.quote(booking_request, user=booker.user)[1]
        except ValidationError as error:
            form.add_error(None, error)
    context = {
        "form": form,
        "booker": booker,
        "facility": facility,
        "unit": unit,
        "day": day,
        "range_start": _local(range_start),
        "range_end": _local(range_end),
        "too_short": not starts or not ends,
        "quote": quote,
        "quoted": request.method == "POST" and not form.errors,
        "quote_lines": quote.lines if quote else (),
        "back_url": reverse("reservations:staff_counter_slots")
        + "?"
        + urlencode({**booker.query, "facility": facility.pk, "day": day.isoformat()}),
        "breadcrumbs": _counter_crumbs((_("予約の内容"), None)),
    }
    status = 400 if request.method == "POST" and form.errors else 200
    return _page(request, "counter_details.html", context, section="counter", status=status)


# --- closures -------------------------------------------------------------------------------------


def _closures_page(
    request: HttpRequest,
    form: ClosureForm,
    *,
    blocking: list[Booking] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = signed_in_user(request)
    facilities = staff_queries.facilities_for(user)
    upcoming = (
        Closure.objects.filter(facility__in=facilities, end__gt=timezone.now())
        .select_related("facility")
        .order_by("start", "pk")
    )
    page = Paginator(upcoming, CLOSURES_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "blocking": blocking or [],
        "breadcrumbs": _crumbs((_("利用停止の期間"), None)),
    }
    return _page(request, "closures.html", context, section="closures", status=status)


@staff_required(permission=CHANGE)
@require_http_methods(["GET", "POST"])
def closures(request: HttpRequest) -> HttpResponseBase:
    """The periods the department's facilities cannot be booked (休館・点検・町の使用), and a
    form to add one. One over bookings is refused, with the bookings to cancel first."""
    user = signed_in_user(request)
    facilities = staff_queries.facilities_for(user)
    if request.method == "GET":
        initial = {"facility": request.GET.get("facility")} if request.GET.get("facility") else None
        return _closures_page(request, ClosureForm(facilities=facilities, initial=initial))
    form = ClosureForm(request.POST, facilities=facilities)
    if not form.is_valid():
        return _closures_page(request, form, status=400)
    data = form.cleaned_data
    try:
        backoffice.close_facility(
            data["facility"],
            kind=data["kind"],
            start=data["start"],
            end=data["end"],
            reason=data["reason"],
            by=user,
        )
    except ValidationError as error:
        form.add_error(None, error)
        blocking = list(
            services.bookings_overlapping(
                data["facility"], data["start"], data["end"]
            ).select_related("unit")
        )
        record_reads(
            by=user,
            opened=((booking, booking.user_id) for booking in blocking),
            reason="closure",
            request=request,
        )
        return _closures_page(request, form, blocking=blocking, status=400)
    messages.success(
        request,
        _("%(facility)sの利用停止の期間を登録しました。") % {"facility": data["facility"].name},
    )
    return redirect("reservations:staff_closures")


@staff_required(permission=CHANGE)
@require_POST
def remove_closure(request: HttpRequest, pk: int) -> HttpResponseBase:
    closure = staff_queries.closure_for(signed_in_user(request), pk)
    backoffice.reopen(closure, by=signed_in_user(request))
    messages.success(
        request,
        _("%(facility)sの利用停止の期間を取り消しました。その時間は予約できるようになりました。")
        % {"facility": closure.facility.name},
    )
    return redirect("reservations:staff_closures")


# --- statistics -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    height: int
    label: str
    value: str
    text_y: int


CHART = {"width": 640, "height": 220, "left": 8, "top": 24, "base": 180, "bar": 36, "gap": 16}


def _chart(usage: stats.FacilityUsage) -> list[Bar]:
    """Twelve vertical bars, 0–100 %, each with its value written above it."""
    full = CHART["base"] - CHART["top"]
    bars = []
    for index, month in enumerate(usage.months):
        percent = month.percent or 0.0
        height = round(full * min(percent, 100.0) / 100)
        y = CHART["base"] - height
        bars.append(
            Bar(
                x=CHART["left"] + index * (CHART["bar"] + CHART["gap"]),
                y=y,
                height=height,
                label=_("%(month)s月") % {"month": month.month.month},
                value="—" if month.percent is None else f"{month.percent:g}%",
                text_y=y - 6,
            )
        )
    return bars


def _stats_form(request: HttpRequest) -> tuple[StatsForm, list[Facility], dt.date]:
    facilities = staff_queries.facilities_for(signed_in_user(request))
    today = calendar.today()
    form = StatsForm(request.GET or None, facilities=facilities, today=today)
    cleaned = form.cleaned_data if form.is_bound and form.is_valid() else {}
    year = cleaned.get("year") or stats.fiscal_year_start(today).year
    chosen = cleaned.get("facility")
    shown = list(facilities.filter(pk=chosen.pk) if chosen else facilities)
    return form, shown, dt.date(year, 4, 1)


@staff_required(permission=CHANGE)
@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    """Utilisation by month of the department's facilities for a fiscal year (年度)."""
    form, facilities, first = _stats_form(request)
    usages = stats.utilisation(facilities, first)
    context = {
        "form": form,
        "first": first,
        "months": stats.month_starts(first, 12),
        "usages": [(usage, _chart(usage)) for usage in usages],
        "chart": CHART,
        "query": request.GET.urlencode(),
        "breadcrumbs": _crumbs((_("利用率"), None)),
    }
    return _page(request, "stats.html", context, section="stats")


@staff_required(permission=CHANGE)
@require_GET
def statistics_csv(request: HttpRequest) -> HttpResponseBase:
    """The utilisation as CSV: one row per facility and month, minutes and percent."""
    _form, facilities, first = _stats_form(request)
    usages = stats.utilisation(facilities, first)
    rows: list[list[Any]] = [
        [
            _("施設コード"),
            _("施設"),
            _("月"),
            _("予約された時間（区画・分）"),
            _("予約できた時間（区画・分）"),
            _("利用率（%）"),
        ]
    ]
    for usage in usages:
        for month in usage.months:
            rows.append(
                [
                    usage.facility.code,
                    usage.facility.name,
                    f"{month.month:%Y-%m}",
                    month.booked,
                    month.bookable,
                    "" if month.percent is None else month.percent,
                ]
            )
    record_export(
        by=signed_in_user(request),
        object_type="reservations.utilisation",
        filters={"fiscal_year": first.year, "facilities": [f.code for f in facilities]},
        row_count=len(rows) - 1,
        request=request,
    )
    return csv_response(rows, f"reservations-utilisation-{first.year}.csv")


# --- facilities and fee tables --------------------------------------------------------------------


@staff_required(permission=CHANGE_FACILITY)
@require_GET
def facilities(request: HttpRequest) -> HttpResponse:
    """The department's facilities with their units, settings and the fee table in force."""
    found = list(
        staff_queries.facilities_for(signed_in_user(request)).prefetch_related(
            "units", "fee_schedules"
        )
    )
    today = calendar.today()
    rows = []
    for facility in found:
        units = sorted(facility.units.all(), key=lambda unit: (unit.order, unit.code))
        schedules = [s for s in facility.fee_schedules.all() if s.valid_from <= today]
        rows.append((facility, units, schedules[0] if schedules else None))
    context = {"rows": rows, "breadcrumbs": _crumbs((_("施設と料金表"), None))}
    return _page(request, "facilities.html", context, section="facilities")


def _facility_crumbs(facility: Facility, label: str) -> list[tuple[str, str | None]]:
    return _crumbs(
        (_("施設と料金表"), reverse("reservations:staff_facilities")),
        (f"{facility.name} {label}", None),
    )


@staff_required(permission=CHANGE_FACILITY)
@require_http_methods(["GET", "POST"])
def facility_settings(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Change a facility's settings: hours, slots, booking windows, cut-off, limits."""
    user = signed_in_user(request)
    facility = staff_queries.facility_for(user, pk)
    form = FacilitySettingsForm(
        request.POST if request.method == "POST" else None, facility=facility
    )
    if request.method == "POST" and form.is_valid():
        try:
            problems = backoffice.change_facility(facility, values=form.values(), by=user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("%(facility)sの設定を保存しました。") % {"facility": facility.name}
            )
            for problem in problems:
                messages.warning(
                    request,
                    _("今の料金表が新しい設定に合いません。新しい版を追加してください: %(problem)s")
                    % {"problem": problem},
                )
            if problems:
                return redirect("reservations:staff_fee_schedules", pk=facility.pk)
            return redirect("reservations:staff_facilities")
    context = {
        "form": form,
        "facility": facility,
        "breadcrumbs": _facility_crumbs(facility, _("設定")),
    }
    status = 400 if form.errors else 200
    return _page(request, "facility_settings.html", context, section="facilities", status=status)


@staff_required(permission=CHANGE_FACILITY)
@require_http_methods(["GET", "POST"])
def fee_schedules(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A facility's fee tables (料金表): every version, read-only, and a form for the next one."""
    user = signed_in_user(request)
    facility = staff_queries.facility_for(user, pk)
    versions = list(FeeSchedule.objects.filter(facility=facility).order_by("-version"))
    today = calendar.today()
    in_force = next(
        (
            s
            for s in sorted(versions, key=lambda s: (s.valid_from, s.version), reverse=True)
            if s.valid_from <= today
        ),
        None,
    )
    latest = versions[0] if versions else None
    initial = {
        "valid_from": today + dt.timedelta(days=1),
        "rules": json.dumps(
            latest.rules if latest else {"rates": {}}, ensure_ascii=False, indent=2
        ),
    }
    form = FeeScheduleForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            schedule = backoffice.add_fee_schedule(
                facility,
                valid_from=form.cleaned_data["valid_from"],
                rules=form.cleaned_data["rules"],
                by=user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("料金表の第%(version)s版を追加しました（%(date)sからの利用に使います）。")
                % {"version": schedule.version, "date": schedule.valid_from.isoformat()},
            )
            return redirect("reservations:staff_fee_schedules", pk=facility.pk)
    context = {
        "form": form,
        "facility": facility,
        "versions": [
            (version, json.dumps(version.rules, ensure_ascii=False, indent=2))
            for version in versions
        ],
        "in_force": in_force,
        "unit_codes": sorted(backoffice.unit_codes(facility)),
        "slot_codes": sorted(backoffice.slot_codes(facility)),
        "breadcrumbs": _facility_crumbs(facility, _("料金表")),
    }
    status = 400 if form.errors else 200
    return _page(request, "fee_schedules.html", context, section="facilities", status=status)
