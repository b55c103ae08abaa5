"""Changing a booking (予約の変更): the old period is freed and the new one taken at once, the fee
worked out again for the new day, and a change that cannot be made leaves the booking as it was."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from yakuba.modules.reservations import calendar, services
from yakuba.modules.reservations.models import Booking, FeeSchedule, Occupancy
from yakuba.modules.reservations.services import SlotTaken
from yakuba.modules.reservations.tests.factories import ROOM_FEES, gym, request_for, room, unit
from yakuba.platform.accounts.models import User
from yakuba.platform.accounts.tests.factories import (
    DistrictFactory,
    ResidentProfileFactory,
    UserFactory,
)
from yakuba.platform.notify.models import Message
from yakuba.platform.payments.collectors import PaymentState

pytestmark = pytest.mark.django_db

NOW = calendar.at(dt.date(2027, 1, 5), dt.time(10, 0))  # a Tuesday
TUESDAY = dt.date(2027, 2, 2)
WEDNESDAY = dt.date(2027, 2, 3)


@pytest.fixture
def resident() -> User:
    user: User = ResidentProfileFactory.create(district=DistrictFactory.create()).user
    return user


def at(day: dt.date, time: str) -> dt.datetime:
    return calendar.at(day, calendar.parse_time(time))


def change(
    booking: Booking, day: dt.date, start: str, end: str, *, by: User, code: str = ""
) -> Booking:
    chosen = unit(booking.facility, code or booking.unit.code)
    return services.change_booking(
        booking, unit=chosen, start=at(day, start), end=at(day, end), by=by, now=NOW
    )


def test_a_change_frees_the_old_period_and_takes_the_new_one(resident: User) -> None:
    facility = room()
    booking = services.book(
        request_for(facility, TUESDAY, "13:00", "17:00"), user=resident, now=NOW
    )
    changed = change(booking, WEDNESDAY, "18:00", "21:00", by=resident)
    assert changed.pk == booking.pk
    assert (changed.start, changed.end) == (at(WEDNESDAY, "18:00"), at(WEDNESDAY, "21:00"))
    assert changed.fee_amount == 900  # the evening's price
    assert [line["amount"] for line in changed.fee_lines] == [900]
    assert changed.pay_by == calendar.at(WEDNESDAY - dt.timedelta(days=3), dt.time(17))
    [taken] = Occupancy.objects.filter(booking=booking)
    assert taken.start == at(WEDNESDAY, "18:00")
    # The old afternoon is free for someone else.
    other = services.book(
        request_for(facility, TUESDAY, "13:00", "17:00"), user=UserFactory.create(), now=NOW
    )
    assert other.status == Booking.Status.CONFIRMED


def test_a_change_is_priced_with_the_fee_table_of_the_new_day(resident: User) -> None:
    facility = room()
    booking = services.book(
        request_for(facility, TUESDAY, "13:00", "17:00"), user=resident, now=NOW
    )
    dearer = {
        **ROOM_FEES,
        "rates": {"room": {"per": "slot", "prices": {"am": 700, "pm": 1000, "night": 1100}}},
    }
    schedule = FeeSchedule.objects.create(
        facility=facility, version=2, valid_from=WEDNESDAY, rules=dearer
    )
    same_day = change(booking, TUESDAY, "09:00", "12:00", by=resident)
    assert same_day.fee_amount == 600 and same_day.fee_schedule_id != schedule.pk
    next_day = change(booking, WEDNESDAY, "13:00", "17:00", by=resident)
    assert next_day.fee_amount == 1000
    assert next_day.fee_schedule_id == schedule.pk


def test_a_taken_period_changes_nothing(resident: User) -> None:
    facility = room()
    booking = services.book(
        request_for(facility, TUESDAY, "13:00", "17:00"), user=resident, now=NOW
    )
    services.book(
        request_for(facility, WEDNESDAY, "18:00", "21:00"), user=UserFactory.create(), now=NOW
    )
    with pytest.raises(SlotTaken):
        change(booking, WEDNESDAY, "18:00", "21:00", by=resident)
    kept = Booking.objects.get(pk=booking.pk)
    assert (kept.start, kept.end, kept.fee_amount) == (booking.start, booking.end, 800)
    [occupancy] = Occupancy.objects.filter(booking=booking)
    assert (occupancy.start, occupancy.end) == (booking.start, booking.end)


def test_a_broken_rule_changes_nothing(resident: User) -> None:
    facility = room()
    booking = services.book(
        request_for(facility, TUESDAY, "13:00", "17:00"), user=resident, now=NOW
    )
    with pytest.raises(ValidationError) as not_a_slot:
        change(booking, WEDNESDAY, "13:00", "15:00", by=resident)
    assert not_a_slot.value.code == "period"
    with pytest.raises(ValidationError) as too_far:
        change(booking, dt.date(2027, 6, 1), "13:00", "17:00", by=resident)
    assert too_far.value.code == "not_yet"
    kept = Booking.objects.get(pk=booking.pk)
    assert kept.start == booking.start
    assert Occupancy.objects.filter(booking=booking, start=booking.start).exists()


def test_a_free_range_booking_may_move_over_its_own_time(resident: User) -> None:
    hall = gym()
    booking = services.book(
        request_for(hall, TUESDAY, "10:00", "12:00", unit_code="half-a"), user=resident, now=NOW
    )
    changed = change(booking, TUESDAY, "11:00", "13:00", by=resident)
    assert changed.start == at(TUESDAY, "11:00")
    # And to the whole floor, which takes both halves.
    whole = change(booking, TUESDAY, "11:00", "13:00", by=resident, code="whole")
    assert whole.unit.code == "whole"
    assert Occupancy.objects.filter(booking=booking).count() == 2


def test_only_a_confirmed_booking_yet_to_come_can_change(resident: User) -> None:
    facility = room()
    booking = services.book(
        request_for(facility, TUESDAY, "13:00", "17:00"), user=resident, now=NOW
    )
    services.cancel(booking, by=resident, now=NOW)
    with pytest.raises(ValidationError) as cancelled:
        change(booking, WEDNESDAY, "13:00", "17:00", by=resident)
    assert cancelled.value.code == "not_changeable"


def test_a_unit_of_another_facility_is_refused(resident: User) -> None:
    facility = room()
    other = room(code="kouminkan-2")
    booking = services.book(
        request_for(facility, TUESDAY, "13:00", "17:00"), user=resident, now=NOW
    )
    with pytest.raises(ValidationError) as refused:
        services.change_booking(
            booking,
            unit=unit(other, "room"),
            start=at(WEDNESDAY, "13:00"),
            end=at(WEDNESDAY, "17:00"),
            by=resident,
            now=NOW,
        )
    assert refused.value.code == "facility"


def test_a_paid_booking_changes_online_only_for_the_same_fee(resident: User) -> None:
    facility = room()
    booking = services.book(
        request_for(facility, TUESDAY, "13:00", "17:00"), user=resident, now=NOW
    )
    Booking.objects.filter(pk=booking.pk).update(payment=PaymentState.PAID)
    booking.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        change(booking, WEDNESDAY, "18:00", "21:00", by=resident)  # 900, not 800
    assert refused.value.code == "paid"
    moved = change(booking, WEDNESDAY, "13:00", "17:00", by=resident)
    assert moved.payment == PaymentState.PAID and moved.fee_amount == 800


def test_moving_to_another_month_counts_against_that_months_limit(resident: User) -> None:
    hall = gym(max_bookings_per_month=1)
    booking = services.book(request_for(hall, TUESDAY, "09:00", "10:00"), user=resident, now=NOW)
    # Within its own month the booking is not counted twice.
    change(booking, WEDNESDAY, "10:00", "11:00", by=resident)
    march = dt.date(2027, 3, 2)
    services.book(request_for(hall, march, "09:00", "10:00"), user=resident, now=NOW)
    with pytest.raises(ValidationError) as refused:
        change(booking, march, "13:00", "14:00", by=resident)
    assert refused.value.code == "monthly_limit"


def test_the_booker_is_told_of_the_change(resident: User) -> None:
    booking = services.book(request_for(room(), TUESDAY, "13:00", "17:00"), user=resident, now=NOW)
    change(booking, WEDNESDAY, "13:00", "17:00", by=resident)
    told = Message.objects.get(kind="reservations.changed")
    assert told.context["number"] == booking.number
    assert told.context["when"] == "2027年2月3日 13:00–17:00"
