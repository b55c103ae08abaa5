"""Facilities for the tests: a community-centre room booked by fixed slots, and a gym whose
whole floor is split into two halves, booked in 30-minute steps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from yakuba.modules.reservations import calendar
from yakuba.modules.reservations.models import (
    BookingMode,
    Facility,
    FacilityKind,
    FeeSchedule,
    Purpose,
    Unit,
)
from yakuba.modules.reservations.services import BookingRequest
from yakuba.platform.accounts.tests.factories import DepartmentFactory
from yakuba.platform.places.tests.factories import PlaceFactory

EVERY_DAY = {key: ["09:00", "21:00"] for key in (*calendar.WEEKDAY_KEYS, calendar.HOLIDAY_KEY)}
SLOTS = [
    {"code": "am", "label": "午前", "label_en": "Morning", "start": "09:00", "end": "12:00"},
    {"code": "pm", "label": "午後", "label_en": "Afternoon", "start": "13:00", "end": "17:00"},
    {"code": "night", "label": "夜間", "label_en": "Evening", "start": "18:00", "end": "21:00"},
]
ROOM_FEES: dict[str, Any] = {
    "rates": {"room": {"per": "slot", "prices": {"am": 600, "pm": 800, "night": 900}}},
    "non_resident_factor": 2,
    "cancellation": [{"days_before": 7, "percent": 0}, {"days_before": 0, "percent": 50}],
}


def room(
    *, code: str = "kouminkan-1", fees: dict[str, Any] | None = ROOM_FEES, **extra: Any
) -> Facility:
    """会議室1 of the community centre: one unit, 午前・午後・夜間, closed on Mondays; `fees=None`
    for a room without fees."""
    hours = {k: v for k, v in EVERY_DAY.items() if k != "mon"}
    facility = Facility.objects.create(
        place=PlaceFactory.create(),
        department=DepartmentFactory.create(),
        code=code,
        name="中央公民館 会議室1",
        kind=FacilityKind.ROOM,
        purposes=[Purpose.MEETING, Purpose.CULTURE],
        capacity=30,
        mode=BookingMode.SLOTS,
        fixed_slots=SLOTS,
        opening_hours=hours,
        **extra,
    )
    Unit.objects.create(facility=facility, code="room", name="全室")
    if fees is not None:
        FeeSchedule.objects.create(
            facility=facility, version=1, valid_from=dt.date(2020, 4, 1), rules=fees
        )
    return facility


def gym(*, code: str = "taiikukan", **extra: Any) -> Facility:
    """The gym: the whole floor (全面) or either half (半面A/B), in 30-minute steps, no fees."""
    facility = Facility.objects.create(
        place=PlaceFactory.create(),
        department=DepartmentFactory.create(),
        code=code,
        name="町民体育館",
        kind=FacilityKind.GYM,
        purposes=[Purpose.SPORTS],
        capacity=200,
        mode=BookingMode.FREE,
        step_minutes=30,
        min_minutes=60,
        max_minutes=240,
        opening_hours=EVERY_DAY,
        **extra,
    )
    whole = Unit.objects.create(facility=facility, code="whole", name="全面", order=0)
    Unit.objects.create(facility=facility, parent=whole, code="half-a", name="半面A", order=1)
    Unit.objects.create(facility=facility, parent=whole, code="half-b", name="半面B", order=2)
    return facility


def unit(facility: Facility, code: str) -> Unit:
    return Unit.objects.select_related("facility", "parent").get(facility=facility, code=code)


def request_for(
    facility: Facility,
    day: dt.date,
    start: str,
    end: str,
    *,
    unit_code: str | None = None,
    **extra: Any,
) -> BookingRequest:
    chosen = unit(facility, unit_code or facility.units.order_by("order").first().code)  # type: ignore[union-attr]
    values: dict[str, Any] = {
        "purpose": facility.purposes[0],
        "attendees": 10,
        "contact_name": "亘理 花子",
    }
    values.update(extra)
    return BookingRequest(
        unit=chosen,
        start=calendar.at(day, calendar.parse_time(start)),
        end=calendar.at(day, calendar.parse_time(end)),
        **values,
    )
