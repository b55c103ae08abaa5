"""Usage statistics per facility (利用率): how much of the time a facility could be booked was
booked, month by month.

    utilisation = booked unit-minutes ÷ bookable unit-minutes

counted on the smallest units (leaves) of the facility, so that booking one half of the gym for
an hour uses half of that hour of the gym:

- bookable unit-minutes of a month: for each day, the minutes of the periods the facility offers
  that day (its fixed slots, or its opening hours in whole steps; nothing on a closed day), times
  the number of leaf units, less the part of those periods inside a closure (休館・点検・町の使用);
- booked unit-minutes: for each confirmed booking, its minutes times the number of leaf units it
  takes, counted in the month its use starts (in the town's time).

The booked minutes come from one aggregate query over the occupancy rows (one row per leaf unit
taken, so the sum already counts the leaves), a sum per month in the database's own arithmetic.
The bookable minutes are worked out from each facility's settings once per kind of day (weekday
or 祝日) and counted over the days of each month, less its closures: no loop over bookings."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, F, FloatField, Func, Sum, Value, When

from yakuba.modules.reservations import calendar
from yakuba.modules.reservations.models import Closure, Facility, Occupancy, Unit

MINUTE = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Month:
    """One month of one facility: unit-minutes booked and bookable, and the share in percent
    (None when nothing could be booked that month)."""

    month: dt.date
    booked: int
    bookable: int

    @property
    def percent(self) -> float | None:
        if not self.bookable:
            return None
        return round(100 * self.booked / self.bookable, 1)


@dataclass(frozen=True)
class FacilityUsage:
    facility: Facility
    leaves: int
    months: list[Month]

    @property
    def booked(self) -> int:
        return sum(month.booked for month in self.months)

    @property
    def bookable(self) -> int:
        return sum(month.bookable for month in self.months)

    @property
    def percent(self) -> float | None:
        return Month(self.months[0].month, self.booked, self.bookable).percent

    @property
    def busiest(self) -> Month | None:
        counted = [month for month in self.months if month.percent is not None]
        return max(counted, key=lambda month: month.percent or 0) if counted else None


def fiscal_year_start(day: dt.date) -> dt.date:
    """The first day of the town's fiscal year (年度: April to March) that `day` falls in."""
    return dt.date(day.year if day.month >= 4 else day.year - 1, 4, 1)


def month_starts(first: dt.date, count: int) -> list[dt.date]:
    return [calendar.months_before(first, -offset) for offset in range(count)]


def utilisation(
    facilities: list[Facility], first: dt.date, months: int = 12
) -> list[FacilityUsage]:
    """Each facility's utilisation for `months` months from the month of `first`."""
    starts = month_starts(dt.date(first.year, first.month, 1), months)
    window_start = calendar.at(starts[0], dt.time(0))
    window_end = calendar.at(calendar.months_before(starts[-1], -1), dt.time(0))
    ids = [facility.pk for facility in facilities]
    leaves = _leaf_counts(ids)
    booked = _booked(ids, starts, window_start, window_end)
    closed = _closed(facilities, window_start, window_end)
    days = _Calendar.of(starts)
    found = []
    for facility in facilities:
        open_minutes = days.open_minutes(facility)
        count = leaves.get(facility.pk, 0)
        found.append(
            FacilityUsage(
                facility,
                count,
                [
                    Month(
                        month,
                        booked.get((facility.pk, month), 0),
                        max(0, (open_minutes[month] - closed.get((facility.pk, month), 0)) * count),
                    )
                    for month in starts
                ],
            )
        )
    return found


def _leaf_counts(ids: list[int]) -> dict[int, int]:
    """The number of smallest units (leaves: units with no parts) of each facility."""
    units = list(
        Unit.objects.filter(facility_id__in=ids).values_list("pk", "parent_id", "facility_id")
    )
    parents = {parent for _pk, parent, _facility in units if parent is not None}
    counts: dict[int, int] = defaultdict(int)
    for pk, _parent, facility_id in units:
        if pk not in parents:
            counts[facility_id] += 1
    return counts


class _Minutes(Func):
    """A moment as minutes since an epoch, in the database's own arithmetic. The ORM's date
    arithmetic would call a Python function for every row on SQLite: over a year of bookings of 50
    facilities, seconds instead of a fraction of one."""

    arity = 1
    output_field = FloatField()
    template = "(EXTRACT(EPOCH FROM %(expressions)s) / 60.0)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="(julianday(%(expressions)s) * 1440.0)", **extra
        )


def _booked(
    ids: list[int], starts: list[dt.date], start: dt.datetime, end: dt.datetime
) -> dict[tuple[int, dt.date], int]:
    """Booked unit-minutes by (facility, month of use): one aggregate query, a sum per month."""
    minutes = _Minutes(F("end")) - _Minutes(F("start"))
    bounds = [calendar.at(month, dt.time(0)) for month in starts] + [end]
    sums = {
        f"month_{index}": Sum(
            Case(
                When(start__gte=bounds[index], start__lt=bounds[index + 1], then=minutes),
                default=Value(0.0),
                output_field=FloatField(),
            )
        )
        for index in range(len(starts))
    }
    rows = (
        Occupancy.objects.filter(
            booking__isnull=False, unit__facility_id__in=ids, start__gte=start, start__lt=end
        )
        .values("unit__facility_id")
        .annotate(**sums)
    )
    return {
        (row["unit__facility_id"], month): round(row[f"month_{index}"] or 0)
        for row in rows
        for index, month in enumerate(starts)
    }


def _day_minutes(facility: Facility, day: dt.date) -> int:
    return sum((period.end - period.start) // MINUTE for period in calendar.periods(facility, day))


@dataclass(frozen=True)
class _Calendar:
    """The days of the shown months by kind (weekday or 祝日), the same for every facility: for
    each month, how many days of each kind, and one day of each kind to work its periods out."""

    counts: dict[dt.date, Counter[str]]
    sample: dict[str, dt.date]

    @classmethod
    def of(cls, starts: list[dt.date]) -> _Calendar:
        counts: dict[dt.date, Counter[str]] = {}
        sample: dict[str, dt.date] = {}
        for month in starts:
            counts[month] = Counter()
            day, after = month, calendar.months_before(month, -1)
            while day < after:
                key = calendar.day_key(day)
                counts[month][key] += 1
                sample.setdefault(key, day)
                day += dt.timedelta(days=1)
        return cls(counts, sample)

    def open_minutes(self, facility: Facility) -> dict[dt.date, int]:
        """Minutes of the periods the facility offers, by month."""
        per_key = {key: _day_minutes(facility, day) for key, day in self.sample.items()}
        return {
            month: sum(per_key[key] * days for key, days in counts.items())
            for month, counts in self.counts.items()
        }


def _closed(
    facilities: list[Facility], start: dt.datetime, end: dt.datetime
) -> dict[tuple[int, dt.date], int]:
    """Minutes of the offered periods inside a closure, by (facility, month): a loop over the
    closures' days, which are few."""
    by_pk = {facility.pk: facility for facility in facilities}
    found: dict[tuple[int, dt.date], int] = defaultdict(int)
    closures = Closure.objects.filter(facility__in=list(by_pk), start__lt=end, end__gt=start)
    for closure in closures.only("facility_id", "start", "end"):
        facility = by_pk[closure.facility_id]
        first = max(closure.start, start).astimezone(calendar.TOKYO).date()
        last = (min(closure.end, end) - MINUTE).astimezone(calendar.TOKYO).date()
        day = first
        while day <= last:
            for period in calendar.periods(facility, day):
                overlap = min(period.end, closure.end) - max(period.start, closure.start)
                if overlap > dt.timedelta(0):
                    found[(facility.pk, day.replace(day=1))] += overlap // MINUTE
            day += dt.timedelta(days=1)
    return found
