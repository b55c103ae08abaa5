"""Residents' pages: find a facility, see what is free, book, change, cancel, and take one's
bookings to a calendar app.

Searching and the calendars are public; booking and everything about one's bookings need
signing in, and a resident only ever reaches their own bookings: another's answers 404, the same
as one that does not exist. Every page works without JavaScript; htmx only swaps the calendar in
place when the reader moves to another month or week.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from yakuba.modules.reservations import availability, calendar, fees, ical, queries, services
from yakuba.modules.reservations.availability import State
from yakuba.modules.reservations.forms import (
    BookingForm,
    CancelForm,
    PeriodForm,
    SearchForm,
    TimeForm,
    period_query,
)
from yakuba.modules.reservations.models import Booking, BookingMode, CalendarFeed, Facility, Unit
from yakuba.modules.reservations.services import SlotTaken
from yakuba.platform.accounts.models import ResidentProfile
from yakuba.platform.accounts.requests import signed_in_user
from yakuba.platform.places.models import localized

PAGE_SIZE = 20
# The service's error codes that belong to one field of the booking form; the rest go on top.
FIELD_OF_CODE = {
    "purpose": "purpose",
    "attendees": "attendees",
    "group": "group",
    "reduction": "reduction_note",
}


# --- helpers -------------------------------------------------------------------------------------


def _facility(code: str) -> Facility:
    return get_object_or_404(Facility.objects.select_related("place"), code=code, is_public=True)


def _units(facility: Facility) -> list[Unit]:
    return list(facility.units.select_related("parent").order_by("order", "code"))


def _own_booking(request: HttpRequest, pk: int) -> Booking:
    return get_object_or_404(
        Booking.objects.select_related(
            "facility", "facility__place", "unit", "group", "fee_schedule"
        ),
        pk=pk,
        user=signed_in_user(request),
    )


def _crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(_("施設をさがす"), reverse("reservations:search")), *rest]


def _facility_crumbs(
    facility: Facility, *rest: tuple[str, str | None]
) -> list[tuple[str, str | None]]:
    return _crumbs(
        (queries.facility_name(facility), reverse("reservations:facility", args=[facility.code])),
        *rest,
    )


def _mine_crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("マイページ"), reverse("accounts:my_page")),
        (_("あなたの予約"), reverse("reservations:mine")),
        *rest,
    ]


def _booking_crumbs(
    booking: Booking, *rest: tuple[str, str | None]
) -> list[tuple[str, str | None]]:
    return _mine_crumbs(
        (
            _("予約番号 %(number)s") % {"number": booking.number},
            reverse("reservations:booking", args=[booking.pk]),
        ),
        *rest,
    )


def _with_query(url: str, query: dict[str, str]) -> str:
    return f"{url}?{urlencode(query)}"


def _period(request: HttpRequest, facility: Facility) -> tuple[Unit, dt.datetime, dt.datetime]:
    """The unit and period in the address; a broken address is "not found"."""
    form = PeriodForm(request.GET, units=_units(facility))
    if not form.is_valid():
        raise Http404
    return form.chosen()


def _day_url(facility: Facility) -> Callable[[dt.date], str]:
    return lambda day: reverse("reservations:week", args=[facility.code, day.isoformat()])


def _last_day(facility: Facility, today: dt.date) -> dt.date:
    return queries.add_months(queries.last_month(facility, today), 1) - dt.timedelta(days=1)


def _apply_errors(form: BookingForm, error: ValidationError) -> None:
    for item in error.error_list:
        field = FIELD_OF_CODE.get(item.code or "")
        form.add_error(field if field in form.fields else None, item)


def _when(start: dt.datetime, end: dt.datetime) -> str:
    day = timezone.localtime(start, calendar.TOKYO).date()
    return f"{queries.day_label(day)} {queries.time_range(start, end)}"


def _period_context(
    facility: Facility, unit: Unit, start: dt.datetime, end: dt.datetime
) -> dict[str, Any]:
    slot = calendar.fixed_slot(facility, start, end)
    return {
        "facility": facility,
        "facility_name": queries.facility_name(facility),
        "unit": unit,
        "unit_name": queries.unit_name(unit),
        "when": _when(start, end),
        "slot_label": slot.label if slot else "",
        "day": timezone.localtime(start, calendar.TOKYO).date(),
    }


# --- searching ----------------------------------------------------------------------------------


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """施設をさがす: by purpose, date, place, number of people and name; with a date, whether
    that day has free periods."""
    form = SearchForm(request.GET or None)
    filters = form.filters()
    day: dt.date | None = filters.get("date")
    facilities = queries.search(
        q=filters.get("q", ""),
        purposes=filters.get("purpose"),
        place=filters.get("place"),
        people=filters.get("people", 0),
    )
    resident = queries.calendar_resident(request.user)
    results = []
    for facility in facilities:
        mark = None
        if day is not None:
            [found] = availability.days(facility, day, day, resident=resident)
            # Free steps of a free-range facility are not "places" worth counting.
            slots = facility.mode == BookingMode.SLOTS
            mark = queries.day_mark(found), found.free_count if slots else 0
        results.append(
            {
                "facility": facility,
                "name": queries.facility_name(facility),
                "place": facility.place.localized_name,
                "purposes": queries.purpose_labels(facility.purposes),
                "mark": mark,
                "url": reverse("reservations:week", args=[facility.code, day.isoformat()])
                if day
                else reverse("reservations:facility", args=[facility.code]),
            }
        )
    return render(
        request,
        "reservations/search.html",
        {
            "form": form,
            "filters": filters,
            "results": results,
            "day": day,
            "day_label": queries.day_label(day) if day else "",
            "breadcrumbs": [(_("施設をさがす"), None)],
        },
    )


# --- a facility and its calendar -----------------------------------------------------------------


def _month_from(value: str, today: dt.date, last: dt.date) -> dt.date:
    """The month asked for (YYYY-MM), kept between this month and the last bookable one."""
    this_month = queries.first_of_month(today)
    try:
        asked = dt.date.fromisoformat(f"{value}-01")
    except ValueError:
        return this_month
    return min(max(asked, this_month), last)


@require_GET
def facility_page(request: HttpRequest, code: str) -> HttpResponse:
    """A facility: its month calendar first, then what it is, its hours, fees and rules."""
    facility = _facility(code)
    units = _units(facility)
    today = calendar.today()
    last = queries.last_month(facility, today)
    first = _month_from(request.GET.get("month", ""), today, last)
    this_month = queries.first_of_month(today)
    page_url = reverse("reservations:facility", args=[facility.code])
    previous_month = queries.add_months(first, -1)
    next_month = queries.add_months(first, 1)
    month = queries.month(
        facility,
        first,
        resident=queries.calendar_resident(request.user),
        today=today,
        day_url=_day_url(facility),
        units=units,
    )
    return render(
        request,
        "reservations/facility.html",
        {
            "facility": facility,
            "name": queries.facility_name(facility),
            "description": localized(facility.description, facility.description_en),
            "units": [(unit, queries.unit_name(unit)) for unit in units],
            "purposes": queries.purpose_labels(facility.purposes),
            "month": month,
            "previous_url": _with_query(page_url, {"month": f"{previous_month:%Y-%m}"})
            if first > this_month
            else "",
            "previous_label": queries.month_label(previous_month),
            "next_url": _with_query(page_url, {"month": f"{next_month:%Y-%m}"})
            if first < last
            else "",
            "next_label": queries.month_label(next_month),
            "week_url": reverse("reservations:week", args=[facility.code, today.isoformat()]),
            "opening": queries.opening_rows(facility),
            "slots": queries.slot_rows(facility) if facility.mode == BookingMode.SLOTS else [],
            "free_rule": queries.free_rule(facility) if facility.mode == BookingMode.FREE else "",
            "fees": queries.fee_summary(facility, units, today),
            "window_rule": queries.window_rule(facility),
            "cutoff_rule": queries.cutoff_rule(facility),
            "feed_url": reverse("reservations:facility_ics", args=[facility.code]),
            "breadcrumbs": _crumbs((queries.facility_name(facility), None)),
        },
    )


@require_GET
def week(request: HttpRequest, code: str, day: str) -> HttpResponse:
    """Seven days from `day`: every unit × period with its state; free ones link to booking."""
    facility = _facility(code)
    try:
        first = dt.date.fromisoformat(day)
    except ValueError as error:
        raise Http404 from error
    today = calendar.today()
    last = _last_day(facility, today)
    if not today <= first <= last:
        nearest = today if first < today else last
        return redirect("reservations:week", facility.code, nearest.isoformat())
    days = _bookable_week(
        request,
        facility,
        first,
        period_url=reverse("reservations:book", args=[facility.code]),
        time_url=reverse("reservations:choose_time", args=[facility.code]),
    )
    return render(
        request,
        "reservations/week.html",
        {
            "facility": facility,
            "name": queries.facility_name(facility),
            **_week_navigation(
                first,
                today,
                last,
                lambda on: reverse("reservations:week", args=[facility.code, on.isoformat()]),
            ),
            "days": days,
            "month_url": _with_query(
                reverse("reservations:facility", args=[facility.code]), {"month": f"{first:%Y-%m}"}
            ),
            "breadcrumbs": _facility_crumbs(facility, (_("空き状況"), None)),
        },
    )


def _bookable_week(
    request: HttpRequest,
    facility: Facility,
    first: dt.date,
    *,
    period_url: str,
    time_url: str,
    mine: Booking | None = None,
) -> list[queries.WeekDay]:
    """The week from `first`: a free period links to `period_url`, a free-range facility's unit
    to choosing a time at `time_url`."""
    return queries.week(
        facility,
        first,
        resident=queries.calendar_resident(request.user),
        units=_units(facility),
        cell_url=lambda unit, start, end: _with_query(period_url, period_query(unit, start, end)),
        choose_url=lambda unit, on: _with_query(
            time_url, {"unit": unit.code, "date": on.isoformat()}
        ),
        mine=mine,
    )


def _week_navigation(
    first: dt.date, today: dt.date, last: dt.date, url_of: Callable[[dt.date], str]
) -> dict[str, Any]:
    previous = max(first - dt.timedelta(days=7), today)
    following = first + dt.timedelta(days=7)
    return {
        "first": first,
        "range_label": _("%(first)sから%(last)sまで")
        % {
            "first": queries.day_label(first),
            "last": queries.day_label(first + dt.timedelta(days=6)),
        },
        "previous_url": url_of(previous) if first > today else "",
        "next_url": url_of(following) if following <= last else "",
    }


def _unavailable(
    request: HttpRequest, facility: Facility, state: State, start: dt.datetime, back_url: str
) -> HttpResponse:
    reasons = {
        State.TAKEN: _(
            "申し訳ありません。この時間は、すでに予約が入っています。別の時間を選んでください。"
        ),
        State.CLOSED: _("この時間は、休館や点検のため利用できません。"),
        State.PAST: _("この時間の予約の受付は終わりました。施設の窓口か電話でご相談ください。"),
        State.NOT_YET: _("この日の予約は、まだ受け付けていません。"),
        State.LOTTERY: _(
            "この月は抽選で予約を決めています。抽選の申し込みは「施設の抽選」から。"
            "抽選のあと、空いた時間は先着順で予約できます。"
        ),
    }
    return render(
        request,
        "reservations/unavailable.html",
        {
            "facility": facility,
            "reason": reasons[state],
            "rule": queries.window_rule(facility) if state == State.NOT_YET else "",
            "lottery": state == State.LOTTERY,
            "back_url": back_url,
            "breadcrumbs": _facility_crumbs(facility, (_("予約できません"), None)),
        },
        status=409 if state == State.TAKEN else 200,
    )


def _back_to_day(facility: Facility, start: dt.datetime) -> str:
    day = max(timezone.localtime(start, calendar.TOKYO).date(), calendar.today())
    return reverse("reservations:week", args=[facility.code, day.isoformat()])


@require_GET
def choose_time(request: HttpRequest, code: str) -> HttpResponse:
    """A free-range facility: choose a start and an end within the day's free time."""
    facility = _facility(code)
    if facility.mode != BookingMode.FREE:
        raise Http404
    return _time_page(
        request,
        facility,
        mine=None,
        next_url=reverse("reservations:book", args=[facility.code]),
        crumbs=lambda title: _facility_crumbs(facility, (title, None)),
    )


def _time_page(
    request: HttpRequest, facility: Facility, *, mine: Booking | None, next_url: str, crumbs: Any
) -> HttpResponse:
    units = {unit.code: unit for unit in _units(facility)}
    unit = units.get(request.GET.get("unit", ""))
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError as error:
        raise Http404 from error
    if unit is None:
        raise Http404
    resident = queries.calendar_resident(request.user)
    starts, ends = queries.free_times(facility, unit, day, resident=resident, mine=mine)
    form = TimeForm(
        request.GET if "start" in request.GET else None, facility=facility, starts=starts, ends=ends
    )
    if form.is_bound and form.is_valid():
        start, end = form.period()
        state = queries.unavailable_state(facility, unit, start, end, resident=resident, mine=mine)
        if state is None:
            return redirect(_with_query(next_url, period_query(unit, start, end)))
        form.add_error(
            None,
            _("選んだ時間の中に、予約できない時間があります。空いている時間の中で選んでください。"),
        )
    days = queries.week(
        facility,
        day,
        count=1,
        resident=resident,
        units=[unit],
        cell_url=lambda *args: "",
        choose_url=lambda *args: "",
        mine=mine,
    )
    title = _("時間を選ぶ")
    return render(
        request,
        "reservations/choose_time.html",
        {
            "facility": facility,
            "name": queries.facility_name(facility),
            "unit": unit,
            "unit_name": queries.unit_name(unit),
            "day": days[0],
            "form": form,
            "free_rule": queries.free_rule(facility),
            "has_free": bool(starts),
            "back_url": _back_to_day(facility, calendar.at(day, dt.time(0)))
            if mine is None
            else reverse("reservations:change", args=[mine.pk]),
            "title": title,
            "breadcrumbs": crumbs(title),
        },
    )


# --- booking -------------------------------------------------------------------------------------


def _profile_initial(user: Any) -> dict[str, str]:
    profile = ResidentProfile.objects.filter(user=user).first()
    if profile is None:
        return {}
    return {"contact_name": profile.full_name, "contact_phone": profile.phone}


def _quote_context(
    booking_request: services.BookingRequest, user: Any, now: dt.datetime
) -> dict[str, Any]:
    """The exact fee `services.book` will charge, with the rules that go with it."""
    schedule, quote = services.quote(booking_request, user=user)
    lines = (
        [line for line in quote.lines if not line.code.startswith("reduction:")] if quote else []
    )
    reduction = (
        next((line for line in quote.lines if line.code.startswith("reduction:")), None)
        if quote
        else None
    )
    total = quote.total if quote else 0
    return {
        "quote": quote,
        "fee_lines": lines,
        "reduction_line": reduction,
        "total": total,
        "pay_by": services.pay_by(booking_request.facility, booking_request.day, now)
        if total
        else None,
        "cancellation": queries.cancellation_rows(schedule.rules) if schedule and total else [],
    }


@login_required
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, code: str) -> HttpResponse:
    """The booking form for a chosen period → the confirmation with the exact fee → 予約する.

    Pressing 予約する twice, or sending the form again, finds the resident's own booking just made
    and shows it, instead of an error or a second booking."""
    facility = _facility(code)
    unit, start, end = _period(request, facility)
    user = signed_in_user(request)
    schedule = services.fee_schedule(facility, timezone.localtime(start, calendar.TOKYO).date())
    groups = list(queries.groups_of(user))
    form_kwargs: dict[str, Any] = {
        "facility": facility,
        "rules": schedule.rules if schedule else None,
        "groups": groups,
    }
    context = {
        **_period_context(facility, unit, start, end),
        "action": request.get_full_path(),
        "back_url": _back_to_day(facility, start),
        "breadcrumbs": _facility_crumbs(facility, (_("予約の内容"), None)),
    }
    if request.method == "GET":
        state = queries.unavailable_state(
            facility, unit, start, end, resident=queries.calendar_resident(user)
        )
        if state is not None:
            return _unavailable(request, facility, state, start, _back_to_day(facility, start))
        form = BookingForm(initial=_profile_initial(user), **form_kwargs)
        return render(request, "reservations/book.html", {**context, "form": form})

    form = BookingForm(request.POST, **form_kwargs)
    if "edit" in request.POST or not form.is_valid():
        return render(request, "reservations/book.html", {**context, "form": form})
    booking_request = form.booking_request(unit, start, end)
    now = timezone.now()
    try:
        services.check(booking_request, user=user, now=now)
        shown = _quote_context(booking_request, user, now)
        if "confirm" in request.POST:
            if request.POST.get("shown_total") != str(shown["total"]):
                messages.warning(
                    request, _("料金が変わりました。新しい料金を確認してから予約してください。")
                )
            else:
                booking = services.book(booking_request, user=user, now=now)
                messages.success(
                    request,
                    _("予約しました。予約番号は %(number)s です。") % {"number": booking.number},
                )
                return redirect("reservations:booking", booking.pk)
    except ValidationError as error:
        mine = queries.just_booked(user, unit, start, end)
        if mine is not None:
            messages.info(request, _("この予約は、すでに受け付けています。"))
            return redirect("reservations:booking", mine.pk)
        if isinstance(error, SlotTaken):
            return _taken(request, facility, error, _back_to_day(facility, start))
        _apply_errors(form, error)
        return render(request, "reservations/book.html", {**context, "form": form})
    return render(
        request,
        "reservations/confirm.html",
        {
            **context,
            **shown,
            "form": form,
            "request_data": booking_request,
            "purpose_label": _chosen_labels(form, "purpose")[0],
            "option_labels": _chosen_labels(form, "options"),
            "reduction_label": _chosen_labels(form, "reduction_code"),
            "breadcrumbs": _facility_crumbs(facility, (_("予約の内容の確認"), None)),
        },
    )


def _chosen_labels(form: BookingForm, name: str) -> list[str]:
    if name not in form.fields:
        return []
    chosen = form.cleaned_data.get(name) or []
    if isinstance(chosen, str):
        chosen = [chosen] if chosen else []
    labels = dict(form.fields[name].choices)  # type: ignore[attr-defined]
    return [str(labels[code]) for code in chosen]


def _taken(
    request: HttpRequest, facility: Facility, error: ValidationError, back_url: str
) -> HttpResponse:
    return render(
        request,
        "reservations/unavailable.html",
        {
            "facility": facility,
            "reason": error.messages[0],
            "rule": "",
            "back_url": back_url,
            "breadcrumbs": _facility_crumbs(facility, (_("予約できません"), None)),
        },
        status=409,
    )


# --- one's bookings ------------------------------------------------------------------------------


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """あなたの予約: what is coming, then what was used or cancelled."""
    user = signed_in_user(request)
    now = timezone.now()
    page = Paginator(queries.earlier(user, now), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reservations/mine.html",
        {
            "upcoming": [_summary(b) for b in queries.upcoming(user, now)],
            "earlier": [_summary(b) for b in page],
            "page": page,
            "has_feed": ical.feed_of(user) is not None,
            "breadcrumbs": [
                (_("マイページ"), reverse("accounts:my_page")),
                (_("あなたの予約"), None),
            ],
        },
    )


def _summary(booking: Booking) -> dict[str, Any]:
    return {
        "booking": booking,
        "facility_name": queries.facility_name(booking.facility),
        "unit_name": queries.unit_name(booking.unit),
        "when": _when(booking.start, booking.end),
    }


@login_required
@require_GET
def booking(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the resident's bookings: details, fee lines, payment, and what can be done."""
    found = _own_booking(request, pk)
    now = timezone.now()
    lines = fees.lines_from_json(found.fee_lines)
    return render(
        request,
        "reservations/booking.html",
        {
            **_summary(found),
            # An approved reduction is part of what is charged; a requested one not yet.
            "fee_lines": lines
            if found.reduction == Booking.Reduction.APPROVED
            else [line for line in lines if not line.code.startswith("reduction:")],
            "reduction_line": next(
                (line for line in lines if line.code.startswith("reduction:")), None
            ),
            "option_labels": queries.option_labels(found),
            "reduction_label": queries.reduction_label(found),
            "may_change": services.may_cancel(found, now=now),
            "cancellation": queries.cancellation_rows(found.fee_schedule.rules)
            if found.fee_schedule and found.fee_amount
            else [],
            "breadcrumbs": _mine_crumbs(
                (_("予約番号 %(number)s") % {"number": found.number}, None)
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """取り消しの確認: the cancellation fee if cancelled now, then 取り消す."""
    found = _own_booking(request, pk)
    now = timezone.now()
    if not services.may_cancel(found, now=now):
        messages.error(
            request, _("この予約は、取り消せません（取り消し済みか、利用の時間を過ぎています）。")
        )
        return redirect("reservations:booking", found.pk)
    fee = services.cancellation_fee(found, now=now)
    form = CancelForm(request.POST or None, initial={"shown_fee": fee})
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["shown_fee"] != fee:
            messages.warning(request, _("取消料が変わりました。もう一度確認してください。"))
            form = CancelForm(initial={"shown_fee": fee, "reason": form.cleaned_data["reason"]})
        else:
            try:
                services.cancel(
                    found, by=signed_in_user(request), reason=form.cleaned_data["reason"], now=now
                )
            except ValidationError as error:
                messages.error(request, error.messages[0])
            else:
                messages.success(request, _("予約を取り消しました。"))
            return redirect("reservations:booking", found.pk)
    return render(
        request,
        "reservations/cancel.html",
        {
            **_summary(found),
            "form": form,
            "fee": fee,
            "cancellation": queries.cancellation_rows(found.fee_schedule.rules)
            if found.fee_schedule and found.fee_amount
            else [],
            "breadcrumbs": _booking_crumbs(found, (_("予約の取り消し"), None)),
        },
    )


# --- changing a booking --------------------------------------------------------------------------


def _changeable(request: HttpRequest, pk: int) -> Booking:
    found = _own_booking(request, pk)
    if not services.may_cancel(found):
        raise Http404
    return found


@login_required
@require_GET
def change(request: HttpRequest, pk: int) -> HttpResponse:
    """予約の変更: the same facility's week, from which to choose the new period."""
    found = _changeable(request, pk)
    facility = found.facility
    today = calendar.today()
    last = _last_day(facility, today)
    booked_day = timezone.localtime(found.start, calendar.TOKYO).date()
    try:
        first = dt.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        first = booked_day
    first = min(max(first, today), last)
    page_url = reverse("reservations:change", args=[found.pk])
    days = _bookable_week(
        request,
        facility,
        first,
        period_url=reverse("reservations:change_confirm", args=[found.pk]),
        time_url=reverse("reservations:change_time", args=[found.pk]),
        mine=found,
    )
    return render(
        request,
        "reservations/change.html",
        {
            **_summary(found),
            "facility": facility,
            **_week_navigation(
                first, today, last, lambda on: _with_query(page_url, {"from": on.isoformat()})
            ),
            "days": days,
            "breadcrumbs": _booking_crumbs(found, (_("予約の変更"), None)),
        },
    )


@login_required
@require_GET
def change_time(request: HttpRequest, pk: int) -> HttpResponse:
    found = _changeable(request, pk)
    if found.facility.mode != BookingMode.FREE:
        raise Http404
    return _time_page(
        request,
        found.facility,
        mine=found,
        next_url=reverse("reservations:change_confirm", args=[found.pk]),
        crumbs=lambda title: _booking_crumbs(
            found, (_("予約の変更"), reverse("reservations:change", args=[found.pk])), (title, None)
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def change_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """The new period and its fee beside the old → 変更する."""
    found = _changeable(request, pk)
    facility = found.facility
    unit, start, end = _period(request, facility)
    user = signed_in_user(request)
    change_url = reverse("reservations:change", args=[found.pk])
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.change_booking(found, unit=unit, start=start, end=end, by=user)
        except SlotTaken as error:
            return _taken(request, facility, error, change_url)
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, _("予約を変更しました。"))
            return redirect("reservations:booking", found.pk)
    elif (
        state := queries.unavailable_state(
            facility, unit, start, end, resident=queries.calendar_resident(user), mine=found
        )
    ) is not None:
        return _unavailable(request, facility, state, start, change_url)
    booking_request = services.moved_request(found, unit=unit, start=start, end=end)
    try:
        shown = _quote_context(booking_request, user, timezone.now())
    except ValidationError as error:
        errors = errors or error.messages
        shown = {}
    return render(
        request,
        "reservations/change_confirm.html",
        {
            "booking": found,
            "old_unit_name": queries.unit_name(found.unit),
            "old_when": _when(found.start, found.end),
            "new_unit_name": queries.unit_name(unit),
            "new_when": _when(start, end),
            **shown,
            "errors": errors,
            "change_url": change_url,
            "breadcrumbs": _booking_crumbs(
                found, (_("予約の変更"), change_url), (_("変更の確認"), None)
            ),
        },
    )


# --- calendars for apps --------------------------------------------------------------------------


def _host(request: HttpRequest) -> str:
    return request.get_host().split(":")[0]


def _ics(content: bytes, filename: str, *, private: bool) -> HttpResponse:
    response = HttpResponse(content, content_type=ical.CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store" if private else "public, max-age=300"
    return response


@login_required
@require_GET
def booking_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """One booking as a file a phone adds to its calendar in one tap."""
    found = _own_booking(request, pk)
    content = ical.bookings_calendar(
        [found],
        name=queries.facility_name(found.facility),
        host=_host(request),
        url_of=lambda b: request.build_absolute_uri(reverse("reservations:booking", args=[b.pk])),
        method="PUBLISH",
    )
    return _ics(content, f"booking-{found.number}.ics", private=True)


@require_GET
def facility_ics(request: HttpRequest, code: str) -> HttpResponse:
    """A facility's busy periods, for anyone's calendar: no personal data."""
    facility = _facility(code)
    today = calendar.today()
    content = ical.busy_calendar(
        facility,
        host=_host(request),
        first=today - dt.timedelta(days=30),
        last=_last_day(facility, today),
    )
    return _ics(content, f"{facility.code}.ics", private=False)


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The resident's own feed; the token is the key, so no sign-in (apps cannot sign in)."""
    found = get_object_or_404(CalendarFeed.objects.select_related("user"), token=token)
    content = ical.bookings_calendar(
        ical.feed_bookings(found.user, timezone.now()),
        name=_("施設の予約"),
        host=_host(request),
        url_of=lambda b: request.build_absolute_uri(reverse("reservations:booking", args=[b.pk])),
    )
    return _ics(content, "bookings.ics", private=True)


@login_required
@require_http_methods(["GET", "POST"])
def feed_settings(request: HttpRequest) -> HttpResponse:
    """カレンダー連携: start the feed, show its address, reset it or stop it."""
    user = signed_in_user(request)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "start":
            ical.start_feed(user)
            messages.success(request, _("カレンダー連携の住所を作りました。"))
        elif action == "reset":
            ical.reset_feed(user)
            messages.success(
                request,
                _("新しい住所にしました。前の住所を登録したアプリには、もう表示されません。"),
            )
        elif action == "stop":
            ical.stop_feed(user)
            messages.success(request, _("カレンダー連携をやめました。"))
        return redirect("reservations:feed_settings")
    current = ical.feed_of(user)
    url = (
        request.build_absolute_uri(reverse("reservations:feed", args=[current.token]))
        if current
        else ""
    )
    return render(
        request,
        "reservations/feed_settings.html",
        {
            "feed_url": url,
            "webcal_url": "webcal://" + url.split("://", 1)[1] if url else "",
            "breadcrumbs": _mine_crumbs((_("カレンダー連携"), None)),
        },
    )
