"""Utilisation by month (利用率): booked ÷ bookable unit-minutes, closures excluded."""

from __future__ import annotations

import datetime as dt

import pytest

from yakuba.modules.reservations import calendar, services, stats
from yakuba.modules.reservations.models import Closure, Facility
from yakuba.modules.reservations.tests.factories import gym, request_for, room
from yakuba.platform.accounts.tests.factories import DistrictFactory, ResidentProfileFactory

pytestmark = pytest.mark.django_db

NOW = calendar.at(dt.date(2027, 1, 5), dt.time(10, 0))
FEBRUARY = dt.date(2027, 2, 1)


@pytest.fixture
def resident():
    return ResidentProfileFactory.create(district=DistrictFactory.create()).user


def february(usage: stats.FacilityUsage) -> stats.Month:
    return next(month for month in usage.months if month.month == FEBRUARY)


def test_a_half_counts_half_and_the_whole_counts_every_leaf(resident) -> None:
    hall = gym()
    day = dt.date(2027, 2, 2)
    services.book(
        request_for(hall, day, "10:00", "12:00", unit_code="half-a"), user=resident, now=NOW
    )
    services.book(
        request_for(hall, day, "14:00", "16:00", unit_code="whole"), user=resident, now=NOW
    )

    (usage,) = stats.utilisation([hall], FEBRUARY, months=1)

    month = february(usage)
    # Open 09:00–21:00 every day: 28 days × 720 minutes × 2 halves.
    assert month.bookable == 28 * 720 * 2
    assert month.booked == 120 + 120 * 2
    assert month.percent == round(100 * 360 / (28 * 720 * 2), 1)
    assert usage.leaves == 2


def test_slots_count_their_own_minutes_and_closed_days_count_nothing() -> None:
    hall = room()  # 午前 3 h, 午後 4 h, 夜間 3 h; closed on Mondays (none of February's is a 祝日).
    (usage,) = stats.utilisation([hall], FEBRUARY, months=1)
    assert february(usage).bookable == 24 * 600


def test_a_closure_is_taken_out_of_the_bookable_time_and_a_cancelled_booking_is_not_counted(
    resident,
) -> None:
    hall = gym()
    Closure.objects.create(
        facility=hall,
        kind=Closure.Kind.MAINTENANCE,
        start=calendar.at(dt.date(2027, 2, 3), dt.time(0)),
        end=calendar.at(dt.date(2027, 2, 4), dt.time(12, 0)),
    )
    booking = services.book(
        request_for(hall, dt.date(2027, 2, 5), "10:00", "12:00", unit_code="half-a"),
        user=resident,
        now=NOW,
    )
    services.cancel(booking, by=resident, now=NOW)

    month = february(stats.utilisation([hall], FEBRUARY, months=1)[0])

    # The whole of the 3rd (720 minutes) and the morning of the 4th (09:00–12:00), on both halves.
    assert month.bookable == (28 * 720 - 720 - 180) * 2
    assert month.booked == 0
    assert month.percent == 0.0


def test_a_closure_across_months_is_split_between_them() -> None:
    hall = gym()
    Closure.objects.create(
        facility=hall,
        kind=Closure.Kind.CLOSED,
        start=calendar.at(dt.date(2027, 1, 31), dt.time(0)),
        end=calendar.at(dt.date(2027, 2, 2), dt.time(0)),
    )
    january, february_ = stats.utilisation([hall], dt.date(2027, 1, 1), months=2)[0].months
    assert january.bookable == (31 - 1) * 720 * 2
    assert february_.bookable == (28 - 1) * 720 * 2


def test_a_facility_without_units_or_open_days_has_no_percentage() -> None:
    hall = gym(code="closed-gym")
    Facility.objects.filter(pk=hall.pk).update(opening_hours={})
    hall.refresh_from_db()
    (usage,) = stats.utilisation([hall], FEBRUARY, months=1)
    assert february(usage).bookable == 0
    assert february(usage).percent is None
    assert usage.percent is None and usage.busiest is None


def test_a_fiscal_year_runs_from_april_to_march() -> None:
    assert stats.fiscal_year_start(dt.date(2027, 3, 31)) == dt.date(2026, 4, 1)
    assert stats.fiscal_year_start(dt.date(2027, 4, 1)) == dt.date(2027, 4, 1)
    months = stats.month_starts(dt.date(2026, 4, 1), 12)
    assert months[0] == dt.date(2026, 4, 1) and months[-1] == dt.date(2027, 3, 1)


def test_the_queries_do_not_grow_with_facilities_or_bookings(
    resident,
    django_assert_max_num_queries,
) -> None:
    halls = [gym(code=f"gym-{n}") for n in range(5)]
    for index, hall in enumerate(halls):
        for day in range(1, 6):
            services.book(
                request_for(
                    hall, dt.date(2027, 2, day + index), "10:00", "11:00", unit_code="whole"
                ),
                user=resident,
                now=NOW,
            )
    with django_assert_max_num_queries(3):
        usages = stats.utilisation(halls, dt.date(2026, 4, 1))
    assert [february(usage).booked for usage in usages] == [5 * 60 * 2] * 5
    assert all(len(usage.months) == 12 for usage in usages)
