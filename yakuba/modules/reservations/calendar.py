"""When a facility can be used: opening hours by weekday and 祝日, fixed slots, booking windows.

Pure functions of a facility's settings and a date; what is already taken is in
`availability.py`. Dates are the town's (Asia/Tokyo)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import jpholiday
from django.utils import timezone
from django.utils.translation import get_language

from yakuba.modules.reservations.models import BookingMode, Facility

TOKYO = ZoneInfo("Asia/Tokyo")
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOLIDAY_KEY = "holiday"


def is_holiday(day: dt.date) -> bool:
    """A national holiday or substitute holiday (祝日・振替休日)."""
    return bool(jpholiday.is_holiday(day))


def day_key(day: dt.date) -> str:
    """The opening-hours key that applies to `day`: "holiday" wins over the weekday."""
    return HOLIDAY_KEY if is_holiday(day) else WEEKDAY_KEYS[day.weekday()]


def parse_time(text: str) -> dt.time:
    hours, minutes = text.split(":")
    if hours == "24" and minutes == "00":
        return dt.time.max
    return dt.time(int(hours), int(minutes))


def at(day: dt.date, time: dt.time) -> dt.datetime:
    """The aware moment `time` on `day` in the town; 24:00 is the next midnight."""
    if time == dt.time.max:
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=TOKYO)
    return dt.datetime.combine(day, time, tzinfo=TOKYO)


def opening(facility: Facility, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
    """When the facility is open on `day`, or None on a closed day (休館日)."""
    hours = facility.opening_hours.get(day_key(day))
    if not hours:
        return None
    return at(day, parse_time(hours[0])), at(day, parse_time(hours[1]))


@dataclass(frozen=True)
class Period:
    """A bookable period on one day: a fixed slot (午前), or one step of a free-range facility."""

    start: dt.datetime
    end: dt.datetime
    code: str = ""
    label: str = ""

    @property
    def day(self) -> dt.date:
        return self.start.astimezone(TOKYO).date()


def slot_label(slot: dict[str, str]) -> str:
    if get_language() != "ja" and slot.get("label_en"):
        return slot["label_en"]
    return slot["label"]


def periods(facility: Facility, day: dt.date) -> list[Period]:
    """The periods of `day` a calendar shows: the fixed slots, or every step of the opening
    hours. Empty on a closed day."""
    hours = opening(facility, day)
    if hours is None:
        return []
    if facility.mode == BookingMode.SLOTS:
        return [
            Period(
                at(day, parse_time(slot["start"])),
                at(day, parse_time(slot["end"])),
                slot["code"],
                slot_label(slot),
            )
            for slot in facility.fixed_slots
        ]
    opens, closes = hours
    step = dt.timedelta(minutes=facility.step_minutes)
    found = []
    moment = opens
    while moment + step <= closes:
        found.append(Period(moment, moment + step, label=f"{moment:%H:%M}"))
        moment += step
    return found


def fixed_slot(facility: Facility, start: dt.datetime, end: dt.datetime) -> Period | None:
    """The fixed slot that is exactly [start, end), if any."""
    day = start.astimezone(TOKYO).date()
    for period in periods(facility, day):
        if period.start == start and period.end == end:
            return period
    return None


def months_before(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def booking_opens_on(facility: Facility, day: dt.date, *, resident: bool) -> dt.date:
    """The day booking for a use on `day` opens: the 1st of the month N months before the month
    of use (N = 3 for the town's residents and groups, 2 for others by default), the rule most
    Japanese municipal systems publish as 「利用月の3か月前の初日から」."""
    months = facility.resident_months_ahead if resident else facility.others_months_ahead
    return months_before(day, months)


def today() -> dt.date:
    return timezone.localtime(timezone.now(), TOKYO).date()
