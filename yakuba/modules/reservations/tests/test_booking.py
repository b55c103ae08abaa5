"""Booking rules and the database's guarantee against double booking."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from yakuba.modules.reservations import availability, calendar, services
from yakuba.modules.reservations.availability import State
from yakuba.modules.reservations.models import Booking, Closure, Group, Occupancy
from yakuba.modules.reservations.services import SlotTaken
from yakuba.modules.reservations.tests.factories import gym, request_for, room, unit
from yakuba.platform.accounts.models import User
from yakuba.platform.accounts.tests.factories import (
    DistrictFactory,
    ResidentProfileFactory,
    StaffFactory,
    UserFactory,
)
from yakuba.platform.notify.models import Message
from yakuba.platform.payments.collectors import FeeDue, PaymentState

pytestmark = pytest.mark.django_db

NOW = calendar.at(dt.date(2027, 1, 5), dt.time(10, 0))  # a Tuesday
TUESDAY = dt.date(2027, 2, 2)


@pytest.fixture
def resident() -> User:
    return ResidentProfileFactory.create(district=DistrictFactory.create()).user


def book(request: services.BookingRequest, user: User | None, **kwargs: Any) -> Booking:
    return services.book(request, user=user, now=NOW, **kwargs)


def test_the_database_refuses_overlaps() -> None:
    """Whatever the code above it does: the exclusion constraint (PostgreSQL) or the trigger
    (SQLite) refuses a second occupancy of the same unit over an overlapping period."""
    hall = gym()
    half = unit(hall, "half-a")
    closure = Closure.objects.create(
        facility=hall, kind=Closure.Kind.MAINTENANCE, start=NOW, end=NOW + dt.timedelta(hours=2)
    )
    Occupancy.objects.create(unit=half, start=NOW, end=NOW + dt.timedelta(hours=2), closure=closure)
    with pytest.raises(IntegrityError), transaction.atomic():
        Occupancy.objects.create(
            unit=half,
            start=NOW + dt.timedelta(hours=1),
            end=NOW + dt.timedelta(hours=3),
            closure=closure,
        )
    # Touching periods do not overlap: [10:00, 12:00) and [12:00, 13:00).
    Occupancy.objects.create(
        unit=half,
        start=NOW + dt.timedelta(hours=2),
        end=NOW + dt.timedelta(hours=3),
        closure=closure,
    )
    moved = Occupancy.objects.get(start=NOW + dt.timedelta(hours=2))
    moved.start = NOW + dt.timedelta(minutes=30)
    with pytest.raises(IntegrityError), transaction.atomic():
        moved.save()


def test_a_booking_takes_the_slot_and_the_second_is_told_it_is_taken(resident: User) -> None:
    hall = gym()
    first = book(request_for(hall, TUESDAY, "10:00", "12:00", unit_code="half-a"), resident)
    assert first.status == Booking.Status.CONFIRMED
    other = ResidentProfileFactory.create(district=DistrictFactory.create()).user
    with pytest.raises(SlotTaken) as refused:
        book(request_for(hall, TUESDAY, "11:00", "13:00", unit_code="half-a"), other)
    assert "すでに予約が入っています" in refused.value.messages[0]
    assert Booking.objects.count() == 1  # nothing half-saved


def test_the_whole_floor_and_its_halves_exclude_each_other(resident: User) -> None:
    hall = gym()
    book(request_for(hall, TUESDAY, "10:00", "12:00", unit_code="half-a"), resident)
    with pytest.raises(SlotTaken):
        book(request_for(hall, TUESDAY, "11:00", "12:00", unit_code="whole"), resident)
    book(request_for(hall, TUESDAY, "10:00", "12:00", unit_code="half-b"), resident)
    book(request_for(hall, TUESDAY, "12:00", "14:00", unit_code="whole"), resident)
    for half in ("half-a", "half-b"):
        with pytest.raises(SlotTaken):
            book(request_for(hall, TUESDAY, "13:00", "14:00", unit_code=half), resident)


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        ("10:15", "11:15", "period"),  # not on a 30-minute step
        ("10:00", "10:30", "period"),  # shorter than the minimum hour
        ("09:00", "13:30", "period"),  # longer than four hours
        ("08:00", "10:00", "period"),  # before opening
        ("20:00", "22:00", "period"),  # after closing
        ("12:00", "11:00", "period"),  # backwards
    ],
)
def test_free_ranges_must_fit_the_steps_and_hours(
    resident: User, start: str, end: str, code: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        book(request_for(gym(), TUESDAY, start, end), resident)
    assert refused.value.code == code
    assert not Booking.objects.exists()


def test_fixed_slots_only_and_not_on_a_closed_day(resident: User) -> None:
    facility = room(fees=None)
    with pytest.raises(ValidationError, match="時間帯から"):
        book(request_for(facility, TUESDAY, "10:00", "12:00"), resident)
    monday = TUESDAY - dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="時間帯から"):
        book(request_for(facility, monday, "09:00", "12:00"), resident)
    assert book(request_for(facility, TUESDAY, "09:00", "12:00"), resident).fee_amount == 0


def test_a_holiday_follows_the_holiday_hours(resident: User) -> None:
    facility = room(fees=None)
    facility.opening_hours["holiday"] = ["13:00", "17:00"]
    facility.save()
    coming_of_age_day = dt.date(2027, 1, 11)  # 成人の日, a Monday: the holiday hours win
    assert calendar.is_holiday(coming_of_age_day)
    assert [p.code for p in calendar.periods(facility, coming_of_age_day)] == ["am", "pm", "night"]
    facility.opening_hours.pop("holiday")
    facility.save()
    assert calendar.periods(facility, coming_of_age_day) == []


def test_booking_opens_three_months_ahead_for_residents_and_two_for_others(resident: User) -> None:
    hall = gym()
    april = dt.date(2027, 4, 6)  # opens 1 January for residents, 1 February for others
    book(request_for(hall, april, "10:00", "12:00"), resident)
    visitor = UserFactory.create()
    with pytest.raises(ValidationError) as refused:
        book(request_for(hall, april, "13:00", "15:00"), visitor)
    assert refused.value.code == "not_yet"
    assert "2月1日" in refused.value.messages[0] or "2027" in refused.value.messages[0]
    assert calendar.booking_opens_on(hall, april, resident=False) == dt.date(2027, 2, 1)
    with pytest.raises(ValidationError) as too_early:
        book(request_for(hall, dt.date(2027, 5, 4), "10:00", "12:00"), resident)
    assert too_early.value.code == "not_yet"


def test_the_cut_off_stops_online_bookings_but_not_the_counter(resident: User) -> None:
    hall = gym(cutoff_hours=24)
    tomorrow_morning = request_for(hall, dt.date(2027, 1, 6), "09:00", "10:00")
    with pytest.raises(ValidationError) as refused:
        book(tomorrow_morning, resident)
    assert refused.value.code == "cutoff"
    clerk = StaffFactory.create()
    booking = book(tomorrow_morning, resident, by=clerk)
    assert booking.booked_by == clerk
    with pytest.raises(ValidationError) as past:
        book(request_for(hall, dt.date(2027, 1, 5), "09:00", "10:00"), resident, by=clerk)
    assert past.value.code == "past"


def test_capacity_purpose_and_group_membership(resident: User) -> None:
    facility = room(fees=None)
    with pytest.raises(ValidationError, match="定員は30人"):
        book(request_for(facility, TUESDAY, "09:00", "12:00", attendees=31), resident)
    with pytest.raises(ValidationError) as purpose:
        book(request_for(facility, TUESDAY, "09:00", "12:00", purpose="sports"), resident)
    assert purpose.value.code == "purpose"
    group = Group.objects.create(
        name="亘理囲碁クラブ",
        name_kana="わたりいごくらぶ",
        representative=UserFactory.create(),
        activity="囲碁",
    )
    with pytest.raises(ValidationError) as pending:
        book(request_for(facility, TUESDAY, "09:00", "12:00", group=group), resident)
    assert pending.value.code == "group"
    group.status = Group.Status.APPROVED
    group.save()
    with pytest.raises(ValidationError):  # approved, but the resident is not a member
        book(request_for(facility, TUESDAY, "09:00", "12:00", group=group), resident)
    group.members.add(resident)
    assert (
        book(request_for(facility, TUESDAY, "09:00", "12:00", group=group), resident).group == group
    )


def test_the_monthly_limit_counts_confirmed_bookings_of_the_month_of_use(resident: User) -> None:
    hall = gym(max_bookings_per_month=2)
    first = book(request_for(hall, TUESDAY, "09:00", "10:00"), resident)
    book(request_for(hall, TUESDAY, "10:00", "11:00"), resident)
    with pytest.raises(ValidationError) as refused:
        book(request_for(hall, TUESDAY, "11:00", "12:00"), resident)
    assert refused.value.code == "monthly_limit"
    book(request_for(hall, dt.date(2027, 3, 2), "11:00", "12:00"), resident)  # another month
    services.cancel(first, by=resident, now=NOW)
    book(request_for(hall, TUESDAY, "11:00", "12:00"), resident)  # a cancelled one no longer counts


def test_cancelling_frees_the_period_and_keeps_the_fee_the_table_says(resident: User) -> None:
    facility = room()
    booking = book(request_for(facility, TUESDAY, "13:00", "17:00"), resident)
    assert booking.fee_amount == 800
    late = calendar.at(TUESDAY - dt.timedelta(days=3), dt.time(9, 0))
    assert services.cancellation_fee(booking, now=late) == 400
    early = calendar.at(TUESDAY - dt.timedelta(days=7), dt.time(9, 0))
    assert services.cancellation_fee(booking, now=early) == 0
    cancelled = services.cancel(booking, by=resident, now=late)
    assert cancelled.status == Booking.Status.CANCELLED
    assert cancelled.cancellation_fee == 400
    assert not Occupancy.objects.filter(booking=booking).exists()
    with pytest.raises(ValidationError):
        services.cancel(booking, by=resident, now=late)
    again = book(request_for(facility, TUESDAY, "13:00", "17:00"), UserFactory.create())
    assert again.fee_amount == 1600  # the non-resident rate


def test_staff_may_waive_the_cancellation_fee(resident: User) -> None:
    booking = book(request_for(room(), TUESDAY, "13:00", "17:00"), resident)
    late = calendar.at(TUESDAY, dt.time(9, 0))
    cancelled = services.cancel(booking, by=StaffFactory.create(), waive_fee=True, now=late)
    assert cancelled.cancellation_fee == 0


def test_a_closure_blocks_bookings_and_is_refused_over_one(resident: User) -> None:
    hall = gym()
    clerk = StaffFactory.create()
    booking = book(request_for(hall, TUESDAY, "10:00", "12:00", unit_code="half-b"), resident)
    with pytest.raises(ValidationError) as refused:
        services.add_closure(
            hall,
            kind=Closure.Kind.MAINTENANCE,
            start=calendar.at(TUESDAY, dt.time(9)),
            end=calendar.at(TUESDAY, dt.time(21)),
            reason="床の塗装",
            by=clerk,
        )
    assert booking.number in refused.value.messages[0]
    assert not Closure.objects.exists()
    wednesday = TUESDAY + dt.timedelta(days=1)
    services.add_closure(
        hall,
        kind=Closure.Kind.MAINTENANCE,
        start=calendar.at(wednesday, dt.time(9)),
        end=calendar.at(wednesday, dt.time(21)),
        reason="床の塗装",
        by=clerk,
    )
    with pytest.raises(SlotTaken):
        book(request_for(hall, wednesday, "10:00", "12:00", unit_code="half-a"), resident)


def test_the_booker_is_told(resident: User) -> None:
    booking = book(request_for(room(), TUESDAY, "13:00", "17:00"), resident)
    message = Message.objects.get(kind="reservations.booked")
    assert message.context["number"] == booking.number
    assert message.context["fee"] == "800"
    assert message.context["when"] == "2027年2月2日 13:00–17:00"
    assert message.link_url.endswith(f"/reservations/bookings/{booking.pk}/")
    services.cancel(booking, by=resident, now=NOW)
    told = Message.objects.get(kind="reservations.cancelled")
    assert (told.context["cancellation_fee"], told.context["reason"]) == ("0", "—")
    booking.refresh_from_db()
    assert booking.payment == PaymentState.NONE  # nothing left to pay at the counter


def test_the_calendar_marks_each_cell(resident: User) -> None:
    hall = gym()
    book(request_for(hall, TUESDAY, "10:00", "11:00", unit_code="half-a"), resident)
    [day] = availability.days(hall, TUESDAY, TUESDAY, resident=True, now=NOW)
    states = {(cell.unit.code, f"{cell.period.start:%H:%M}"): cell.state for cell in day.cells}
    assert states[("half-a", "10:00")] == State.TAKEN
    assert states[("whole", "10:30")] == State.TAKEN
    assert states[("half-b", "10:00")] == State.FREE
    assert day.summary == State.FREE
    # The cut-off is a day: on the 6th, the periods before 10:00 are past.
    tomorrow = dt.date(2027, 1, 6)
    [next_day] = availability.days(hall, tomorrow, tomorrow, resident=True, now=NOW)
    past = {f"{c.period.start:%H:%M}" for c in next_day.cells if c.state == State.PAST}
    assert past == {"09:00", "09:30"}
    assert {c.state for c in next_day.cells} == {State.PAST, State.FREE}
    [later] = availability.days(
        hall, dt.date(2027, 5, 4), dt.date(2027, 5, 4), resident=True, now=NOW
    )
    assert later.summary == State.NOT_YET


class PaidOnline:
    """A collector like the payments module's: records what it was asked and answers paid."""

    asked: list[FeeDue] = []

    def request(self, fee: FeeDue) -> str:
        self.asked.append(fee)
        return str(PaymentState.PAID)


def test_the_fee_goes_through_the_platforms_fee_collector(resident: User, settings: Any) -> None:
    booking = book(request_for(room(pay_days_before=3), TUESDAY, "13:00", "17:00"), resident)
    assert booking.payment == PaymentState.AT_COUNTER  # the default: paid at the counter
    assert booking.pay_by == calendar.at(dt.date(2027, 1, 30), dt.time(17, 0))
    settings.PAYMENTS_FEE_COLLECTOR = f"{__name__}.PaidOnline"
    PaidOnline.asked.clear()
    online = book(request_for(room(code="kouminkan-2"), TUESDAY, "18:00", "21:00"), resident)
    assert online.payment == PaymentState.PAID
    [fee] = PaidOnline.asked
    assert (fee.reference, fee.amount, fee.payer_id) == (
        f"reservations:{online.pk}",
        900,
        resident.pk,
    )
    assert fee.due_by == online.pay_by
    free = book(request_for(gym(), TUESDAY, "10:00", "12:00"), resident)
    assert (free.payment, free.pay_by, len(PaidOnline.asked)) == (PaymentState.NONE, None, 1)
