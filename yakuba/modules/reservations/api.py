"""The reservations HTTP API (/api/reservations/…, Django Ninja; OpenAPI at /api/openapi.json).

    GET  /api/reservations/facilities                      facilities (purpose, date, capacity…)
    GET  /api/reservations/facilities/{code}               one facility: units, hours, slots, fees
    GET  /api/reservations/facilities/{code}/availability  what is free, day by day (?from=&to=)
    GET  /api/reservations/bookings                        the signed-in resident's bookings
    POST /api/reservations/bookings                        book (201; 409 when someone has it)
    GET  /api/reservations/bookings/{id}                   one of them
    POST /api/reservations/bookings/{id}/cancel            cancel one of them

Facilities and their availability are public. Bookings are the resident's own, with the session's
sign-in as on the web pages (401 without one; a POST also needs Django's CSRF token in the
X-CSRFToken header, as a form does); another resident's booking answers 404, as an unknown one
does, so booking ids cannot be probed.

Errors: `{"detail": "…", "code": "…"}` for 404 and 409 (401 is Ninja's `{"detail": …}`). 422
lists the fields in Ninja's own shape, `{"detail": [{"loc": ["body", "booking", "start"],
"msg": "…", "type": "period"}]}`, so one parser reads both a malformed request (Ninja's messages,
in English) and a broken booking rule (the town's messages, in the request's language: Japanese,
or English with Accept-Language: en).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.security import django_auth

from yakuba.modules.reservations import availability, calendar, fees, queries, services
from yakuba.modules.reservations.models import (
    Booking,
    Facility,
    Group,
    Purpose,
    Unit,
)
from yakuba.platform.accounts.models import ResidentProfile, User
from yakuba.platform.places.models import Place

router = Router(tags=["reservations"])

MAX_PER_PAGE = 100
# The longest stretch one availability request may ask for: two months, as a resident pages
# through a calendar (and the answer of a 30-minute facility stays a few hundred kilobytes).
MAX_DAYS = 62
# The length limits of the booking's text fields (`Booking`), checked here so that a long value
# gets a message rather than a database error.
TEXT_LIMITS = {
    "contact_name": 100,
    "contact_phone": 20,
    "purpose_detail": 200,
    "reduction_note": 300,
}
# Which field of the request a rule of `services` is about, for the 422 answer.
FIELD_OF_RULE = {
    "period": "start",
    "past": "start",
    "cutoff": "start",
    "not_yet": "start",
    "monthly_limit": "start",
    "purpose": "purpose",
    "attendees": "attendees",
    "group": "group",
    "reduction": "reduction_note",
    "fee": "options",
    "not_public": "facility",
}
BODY = "booking"


# --- schemas --------------------------------------------------------------------------------------


class ReservationErrorOut(Schema):
    detail: str
    code: str


class ReservationSignInOut(Schema):
    """401: Ninja's own answer when the session has no sign-in."""

    detail: str


class ReservationFieldErrorOut(Schema):
    """One thing wrong with the request: where (`loc`, as Ninja gives it), what, and a code."""

    loc: list[str | int]
    msg: str
    type: str


class ReservationInvalidOut(Schema):
    detail: list[ReservationFieldErrorOut]


class ReservationPlaceOut(Schema):
    code: str
    name: str
    name_en: str
    address: str
    latitude: float | None
    longitude: float | None


class ReservationPurposeOut(Schema):
    code: str
    label: str


class ReservationFacilityOut(Schema):
    """A facility residents can book (施設), as the list shows it."""

    code: str
    name: str
    name_kana: str
    name_en: str
    kind: str
    kind_label: str
    purposes: list[ReservationPurposeOut]
    capacity: int | None
    # "slots": booked by fixed slots (午前・午後・夜間); "free": any range in `step_minutes` steps.
    mode: str
    place: ReservationPlaceOut


class ReservationUnitOut(Schema):
    """A bookable part (区画); `parent` is the unit it is part of (booking it takes this one)."""

    code: str
    name: str
    name_en: str
    capacity: int | None
    parent: str | None


class ReservationSlotOut(Schema):
    code: str
    label: str
    label_en: str
    start: str
    end: str


class ReservationOptionOut(Schema):
    """A fee option the booker may tick: a surcharge (冷暖房) or a multiplier (営利目的)."""

    code: str
    kind: str
    label: str
    text: str


class ReservationReductionOut(Schema):
    code: str
    label: str
    percent: int
    text: str


class ReservationFeesOut(Schema):
    """The fee table in force today (料金表): its version, and its rules in the format of
    `yakuba/modules/reservations/fees.py`."""

    version: int
    valid_from: dt.date
    rules: dict[str, Any]
    options: list[ReservationOptionOut]
    reductions: list[ReservationReductionOut]


class ReservationFacilityDetailOut(ReservationFacilityOut):
    """A facility with everything a booking must fit: units, hours, slots, window and fees."""

    description: str
    description_en: str
    step_minutes: int
    min_minutes: int
    max_minutes: int
    fixed_slots: list[ReservationSlotOut]
    # "mon" … "sun" and "holiday" (祝日) → ["09:00", "21:00"]; a missing day is closed (休館日).
    opening_hours: dict[str, list[str]]
    resident_months_ahead: int
    others_months_ahead: int
    cutoff_hours: int
    max_bookings_per_month: int
    pay_days_before: int
    units: list[ReservationUnitOut]
    fees: ReservationFeesOut | None


class ReservationCellOut(Schema):
    """One unit in one period: `state` is free, taken, closed, past (受付終了), not_yet (受付前) or
    lottery (抽選で決まる月)."""

    unit: str
    start: dt.datetime
    end: dt.datetime
    slot: str
    label: str
    state: str
    state_label: str


class ReservationDayOut(Schema):
    date: dt.date
    is_holiday: bool
    open: bool
    # The state a month view shows for the whole day, and how many cells are free.
    summary: str
    free: int
    cells: list[ReservationCellOut]


class ReservationAvailabilityOut(Schema):
    """The days from `first` to `last`. `resident_window`: the booking window shown is the town
    residents' (for residents, members of an in-town group, and callers not signed in) rather
    than the shorter one of others."""

    facility: str
    first: dt.date
    last: dt.date
    resident_window: bool
    days: list[ReservationDayOut]


class ReservationFeeLineOut(Schema):
    code: str
    label: str
    amount: int
    # How the amount was worked out ("1時間30分 × 1時間800円"), or "".
    text: str


class ReservationBookingOut(Schema):
    """One of the resident's bookings (予約); `number` is the 予約番号 read out at the counter."""

    id: int
    number: str
    facility: str
    facility_name: str
    unit: str
    unit_name: str
    start: dt.datetime
    end: dt.datetime
    status: str
    status_label: str
    purpose: str
    purpose_label: str
    purpose_detail: str
    attendees: int
    contact_name: str
    contact_phone: str
    group: int | None
    options: list[str]
    resident_rate: bool
    fee_amount: int
    fee_lines: list[ReservationFeeLineOut]
    reduction: str
    reduction_code: str
    payment: str
    pay_by: dt.datetime | None
    # Whether it can still be cancelled, and the fee kept if it were cancelled now (取消料).
    can_cancel: bool
    cancellation_fee_now: int
    cancelled_at: dt.datetime | None
    cancellation_fee: int
    created_at: dt.datetime
    url: str


class ReservationBookingPage(Schema):
    """One page of the resident's bookings, latest use first; `count` is over all pages."""

    count: int
    page: int
    per_page: int
    pages: int
    items: list[ReservationBookingOut]


class ReservationBookingIn(Schema):
    """A booking to make. `start`/`end` in ISO 8601; without an offset they are times in Japan.
    `contact_name` defaults to the name in the resident's profile."""

    facility: str
    unit: str
    start: dt.datetime
    end: dt.datetime
    purpose: str
    attendees: int
    contact_name: str = ""
    contact_phone: str = ""
    purpose_detail: str = ""
    # Codes of the fee options (surcharges, multipliers) of the facility's fee table.
    options: list[str] = []
    # A reduction (減免) to ask for, and why; staff decide.
    reduction_code: str = ""
    reduction_note: str = ""
    # A registered group (登録団体) the resident books for.
    group: int | None = None


class ReservationCancelIn(Schema):
    reason: str = ""


class ReservationFacilityFilters(Schema):
    """The search page's filters (施設をさがす)."""

    purpose: str = Field("", description="A purpose code (meeting, sports, music…)")
    day: dt.date | None = Field(
        None, alias="date", description="Only facilities with a free period on this day"
    )
    capacity: int | None = Field(
        None, ge=1, description="For at least this many people (no stated capacity fits any)"
    )
    place: str = Field("", description="The code of a place (places API)")
    q: str = Field("", description="Words of the name, its reading or the place's name")


class ReservationDays(Schema):
    first: dt.date | None = Field(None, alias="from", description="First day (default: today)")
    last: dt.date | None = Field(
        None, alias="to", description="Last day, included (default: the end of the first's month)"
    )


ERRORS_404 = {404: ReservationErrorOut}
ERRORS_AUTH = {401: ReservationSignInOut, 404: ReservationErrorOut}


# --- helpers --------------------------------------------------------------------------------------


def _error(status: int, message: str, code: str) -> Status[dict[str, Any]]:
    return Status(status, {"detail": message, "code": code})


def _invalid(field: str, message: str, code: str, where: str = "body") -> Status[dict[str, Any]]:
    loc: list[str] = [where, BODY, field] if where == "body" else [where, field]
    return Status(422, {"detail": [{"loc": loc, "msg": message, "type": code}]})


def _signed_in(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - django_auth let only signed-in users through
    return user


def _place(place: Place) -> dict[str, Any]:
    return {
        "code": place.code,
        "name": place.name,
        "name_en": place.name_en,
        "address": place.address,
        "latitude": place.latitude,
        "longitude": place.longitude,
    }


def _facility(facility: Facility) -> dict[str, Any]:
    labels = dict(Purpose.choices)
    return {
        "code": facility.code,
        "name": facility.name,
        "name_kana": facility.name_kana,
        "name_en": facility.name_en,
        "kind": facility.kind,
        "kind_label": str(facility.get_kind_display()),
        "purposes": [
            {"code": code, "label": str(labels.get(code, code))} for code in facility.purposes
        ],
        "capacity": facility.capacity,
        "mode": facility.mode,
        "place": _place(facility.place),
    }


def _unit(unit: Unit, codes: dict[int, str]) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "name_en": unit.name_en,
        "capacity": unit.capacity,
        "parent": codes.get(unit.parent_id) if unit.parent_id else None,
    }


def _fees(facility: Facility) -> dict[str, Any] | None:
    schedule = services.fee_schedule(facility, calendar.today())
    if schedule is None:
        return None
    return {
        "version": schedule.version,
        "valid_from": schedule.valid_from,
        "rules": schedule.rules,
        "options": fees.options_of(schedule.rules),
        "reductions": fees.reductions_of(schedule.rules),
    }


def _day(day: availability.Day) -> dict[str, Any]:
    return {
        "date": day.day,
        "is_holiday": day.is_holiday,
        "open": day.open,
        "summary": day.summary.value,
        "free": day.free_count,
        "cells": [
            {
                "unit": cell.unit.code,
                "start": cell.period.start,
                "end": cell.period.end,
                "slot": cell.period.code,
                "label": cell.period.label,
                "state": cell.state.value,
                "state_label": cell.label,
            }
            for cell in day.cells
        ],
    }


def _booking(booking: Booking, now: dt.datetime) -> dict[str, Any]:
    can_cancel = services.may_cancel(booking, now=now)
    return {
        "id": booking.pk,
        "number": booking.number,
        "facility": booking.facility.code,
        "facility_name": booking.facility.name,
        "unit": booking.unit.code,
        "unit_name": booking.unit.name,
        "start": _japan_time(booking.start),
        "end": _japan_time(booking.end),
        "status": booking.status,
        "status_label": str(booking.get_status_display()),
        "purpose": booking.purpose,
        "purpose_label": str(booking.get_purpose_display()),
        "purpose_detail": booking.purpose_detail,
        "attendees": booking.attendees,
        "contact_name": booking.contact_name,
        "contact_phone": booking.contact_phone,
        "group": booking.group_id,
        "options": list(booking.options),
        "resident_rate": booking.resident_rate,
        "fee_amount": booking.fee_amount,
        "fee_lines": [
            {
                "code": line.code,
                "label": line.localized_label(),
                "amount": line.amount,
                "text": line.text(),
            }
            for line in fees.lines_from_json(booking.fee_lines)
        ],
        "reduction": booking.reduction,
        "reduction_code": booking.reduction_code,
        "payment": booking.payment,
        "pay_by": _japan_time(booking.pay_by),
        "can_cancel": can_cancel,
        "cancellation_fee_now": services.cancellation_fee(booking, now=now) if can_cancel else 0,
        "cancelled_at": _japan_time(booking.cancelled_at),
        "cancellation_fee": booking.cancellation_fee,
        "created_at": _japan_time(booking.created_at),
        "url": services.booking_url(booking),
    }


def _own_bookings(user: User) -> QuerySet[Booking]:
    return Booking.objects.filter(user=user).select_related("facility", "unit", "fee_schedule")


def _in_japan(moment: dt.datetime) -> dt.datetime:
    if timezone.is_naive(moment):
        return moment.replace(tzinfo=calendar.TOKYO)
    return moment


def _japan_time(moment: dt.datetime | None) -> dt.datetime | None:
    """Times are answered in Japan's offset (+09:00), as the town and its residents read them."""
    return timezone.localtime(moment, calendar.TOKYO) if moment is not None else None


# --- facilities -----------------------------------------------------------------------------------


@router.get(
    "/facilities",
    response={200: list[ReservationFacilityOut], 422: ReservationInvalidOut},
    summary="List the facilities residents can book",
)
def list_facilities(request: HttpRequest, filters: Query[ReservationFacilityFilters]) -> Any:
    """The public facilities in the town's order, as the search page finds them. `date` keeps
    those with at least one free period that day in the caller's booking window (it reads each
    candidate's bookings of the day: narrow the search with the other filters too)."""
    if filters.purpose and filters.purpose not in Purpose.values:
        return _invalid("purpose", _("その利用目的はありません。"), "purpose", where="query")
    place = None
    if filters.place:
        place = Place.objects.filter(code=filters.place, is_public=True).first()
        if place is None:
            return _invalid("place", _("その場所は見つかりません。"), "place", where="query")
    facilities = queries.search(
        q=filters.q,
        purposes=[filters.purpose] if filters.purpose else None,
        place=place,
        people=filters.capacity or 0,
    )
    if filters.day is not None:
        resident = queries.calendar_resident(request.user)
        now = timezone.now()
        day = filters.day
        facilities = [
            f
            for f in facilities
            if availability.days(f, day, day, resident=resident, now=now)[0].free_count
        ]
    return [_facility(f) for f in facilities]


@router.get(
    "/facilities/{code}",
    response={200: ReservationFacilityDetailOut, **ERRORS_404},
    summary="One facility: its units, hours, slots, booking window and fees",
)
def get_facility(request: HttpRequest, code: str) -> Status[dict[str, Any]]:
    """A public facility by its code; 404 for an unknown or non-public one."""
    facility = queries.public_facilities().filter(code=code).first()
    if facility is None:
        return _error(404, _("その施設は見つかりません。"), "not_found")
    units = list(facility.units.all())
    codes = {unit.pk: unit.code for unit in units}
    return Status(
        200,
        {
            **_facility(facility),
            "description": facility.description,
            "description_en": facility.description_en,
            "step_minutes": facility.step_minutes,
            "min_minutes": facility.min_minutes,
            "max_minutes": facility.max_minutes,
            "fixed_slots": [
                {
                    "code": slot["code"],
                    "label": slot["label"],
                    "label_en": slot.get("label_en", ""),
                    "start": slot["start"],
                    "end": slot["end"],
                }
                for slot in facility.fixed_slots
            ],
            "opening_hours": facility.opening_hours,
            "resident_months_ahead": facility.resident_months_ahead,
            "others_months_ahead": facility.others_months_ahead,
            "cutoff_hours": facility.cutoff_hours,
            "max_bookings_per_month": facility.max_bookings_per_month,
            "pay_days_before": facility.pay_days_before,
            "units": [_unit(unit, codes) for unit in units],
            "fees": _fees(facility),
        },
    )


@router.get(
    "/facilities/{code}/availability",
    response={200: ReservationAvailabilityOut, **ERRORS_404, 422: ReservationInvalidOut},
    summary="What is free at a facility, day by day",
)
def get_availability(
    request: HttpRequest, code: str, days: Query[ReservationDays]
) -> Status[dict[str, Any]]:
    """Every day from `from` to `to` (at most 62 days) with a cell for each unit and period
    (each fixed slot, or each step of a free-range facility) and its state."""
    facility = queries.public_facilities().filter(code=code).first()
    if facility is None:
        return _error(404, _("その施設は見つかりません。"), "not_found")
    first = days.first or calendar.today()
    last = days.last or calendar.months_before(first, -1) - dt.timedelta(days=1)
    if last < first:
        return _invalid("to", _("終わりの日は、始まりの日より後にしてください。"), "range", "query")
    if (last - first).days + 1 > MAX_DAYS:
        return _invalid(
            "to",
            _("一度に見られるのは%(days)s日分までです。") % {"days": MAX_DAYS},
            "range",
            "query",
        )
    resident = queries.calendar_resident(request.user)
    shown = availability.days(facility, first, last, resident=resident)
    return Status(
        200,
        {
            "facility": facility.code,
            "first": first,
            "last": last,
            "resident_window": resident,
            "days": [_day(day) for day in shown],
        },
    )


# --- the resident's bookings ----------------------------------------------------------------------


@router.get(
    "/bookings",
    auth=django_auth,
    response={200: ReservationBookingPage, 401: ReservationSignInOut},
    summary="List the signed-in resident's bookings",
)
def list_bookings(
    request: HttpRequest,
    page: int = Query(1, ge=1),
    per_page: int = Query(20, ge=1, le=MAX_PER_PAGE),
) -> dict[str, Any]:
    """The bookings the signed-in resident made (or a clerk made for them), latest use first,
    cancelled ones included."""
    bookings = _own_bookings(_signed_in(request)).order_by("-start", "-pk")
    count = bookings.count()
    offset = (page - 1) * per_page
    now = timezone.now()
    return {
        "count": count,
        "page": page,
        "per_page": per_page,
        "pages": max(1, math.ceil(count / per_page)),
        "items": [_booking(b, now) for b in bookings[offset : offset + per_page]],
    }


@router.post(
    "/bookings",
    auth=django_auth,
    response={
        201: ReservationBookingOut,
        401: ReservationSignInOut,
        409: ReservationErrorOut,
        422: ReservationInvalidOut,
    },
    summary="Book a unit of a facility for a period",
)
def create_booking(request: HttpRequest, booking: ReservationBookingIn) -> Status[dict[str, Any]]:
    """Book for the signed-in resident, by the same rules as the web page. 201 with the booking;
    409 (`code` "taken") when someone else has the period or part of it; 422 naming the field
    when a rule is broken (outside the hours, booking not open yet, over capacity…). Nothing is
    saved unless the answer is 201."""
    user = _signed_in(request)
    for field, limit in TEXT_LIMITS.items():
        if len(getattr(booking, field)) > limit:
            return _invalid(
                field, _("%(limit)s文字以内で書いてください。") % {"limit": limit}, "too_long"
            )
    facility = Facility.objects.filter(code=booking.facility).first()
    if facility is None:
        return _invalid("facility", _("その施設は見つかりません。"), "not_found")
    unit = (
        Unit.objects.filter(facility=facility, code=booking.unit)
        .select_related("facility", "parent")
        .first()
    )
    if unit is None:
        return _invalid("unit", _("この施設に、その区画はありません。"), "not_found")
    group = None
    if booking.group is not None:
        group = Group.objects.filter(pk=booking.group).first()
        if group is None:
            return _invalid("group", _("その団体は見つかりません。"), "not_found")
    contact_name = booking.contact_name.strip() or _profile_name(user)
    if not contact_name:
        return _invalid("contact_name", _("利用者の氏名を書いてください。"), "required")
    request_ = services.BookingRequest(
        unit=unit,
        start=_in_japan(booking.start),
        end=_in_japan(booking.end),
        purpose=booking.purpose,
        attendees=booking.attendees,
        contact_name=contact_name,
        contact_phone=booking.contact_phone,
        purpose_detail=booking.purpose_detail,
        options=booking.options,
        reduction_code=booking.reduction_code,
        reduction_note=booking.reduction_note,
        group=group,
    )
    try:
        made = services.book(request_, user=user)
    except services.SlotTaken as taken:
        return _error(409, taken.messages[0], "taken")
    except ValidationError as broken:
        code = broken.code or "invalid"
        return _invalid(FIELD_OF_RULE.get(code, "start"), broken.messages[0], code)
    return Status(201, _booking(made, timezone.now()))


def _profile_name(user: User) -> str:
    profile = ResidentProfile.objects.filter(user=user).first()
    return profile.full_name if profile is not None else ""


@router.get(
    "/bookings/{booking_id}",
    auth=django_auth,
    response={200: ReservationBookingOut, **ERRORS_AUTH},
    summary="One of the signed-in resident's bookings",
)
def get_booking(request: HttpRequest, booking_id: int) -> Status[dict[str, Any]]:
    """A booking of the signed-in resident; 404 for an unknown one and for another's."""
    found = _own_bookings(_signed_in(request)).filter(pk=booking_id).first()
    if found is None:
        return _error(404, _("その予約は見つかりません。"), "not_found")
    return Status(200, _booking(found, timezone.now()))


@router.post(
    "/bookings/{booking_id}/cancel",
    auth=django_auth,
    response={200: ReservationBookingOut, 409: ReservationErrorOut, **ERRORS_AUTH},
    summary="Cancel one of the signed-in resident's bookings",
)
def cancel_booking(
    request: HttpRequest, booking_id: int, cancel: ReservationCancelIn | None = None
) -> Status[dict[str, Any]]:
    """Cancel and free the period at once; the answer gives the cancellation fee kept (取消料,
    by the booking's fee table). 409 (`code` "not_cancellable") once cancelled or begun; 404 for
    an unknown booking and for another's."""
    user = _signed_in(request)
    found = _own_bookings(user).filter(pk=booking_id).first()
    if found is None:
        return _error(404, _("その予約は見つかりません。"), "not_found")
    try:
        cancelled = services.cancel(found, by=user, reason=cancel.reason if cancel else "")
    except ValidationError as refused:
        return _error(409, refused.messages[0], refused.code or "not_cancellable")
    return Status(200, _booking(cancelled, timezone.now()))
