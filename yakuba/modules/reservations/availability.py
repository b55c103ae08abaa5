"""What is free (空き状況): the periods of each unit, marked free, taken, closed or not bookable.

One query reads every occupancy of a facility's units over the shown days, grouped in memory by
unit and day; each cell then compares itself with its own day's few rows only."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakuba.modules.reservations import calendar
from yakuba.modules.reservations.calendar import Period
from yakuba.modules.reservations.models import Facility, LotteryRound, Occupancy, Unit


class State(StrEnum):
    FREE = "free"
    TAKEN = "taken"
    CLOSED = "closed"
    PAST = "past"
    NOT_YET = "not_yet"
    LOTTERY = "lottery"


STATE_LABELS = {
    State.FREE: _("空き"),
    State.TAKEN: _("予約済み"),
    State.CLOSED: _("利用できません"),
    State.PAST: _("受付終了"),
    State.NOT_YET: _("受付前"),
    State.LOTTERY: _("抽選受付中"),
}


@dataclass(frozen=True)
class Cell:
    unit: Unit
    period: Period
    state: State

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.state])


@dataclass(frozen=True)
class Day:
    day: dt.date
    is_holiday: bool
    open: bool
    cells: list[Cell]

    @property
    def free_count(self) -> int:
        return sum(cell.state == State.FREE for cell in self.cells)

    @property
    def summary(self) -> State:
        """The state a month view shows for the whole day."""
        if not self.open or not self.cells:
            return State.CLOSED
        states = {cell.state for cell in self.cells}
        for state in (State.FREE, State.LOTTERY, State.NOT_YET, State.TAKEN, State.PAST):
            if state in states:
                return state
        return State.CLOSED


def leaf_ids(units: list[Unit]) -> dict[int, set[int]]:
    """For each unit, the ids of the smallest units it takes (itself when it has no parts)."""
    children: dict[int | None, list[Unit]] = defaultdict(list)
    for unit in units:
        children[unit.parent_id].append(unit)

    def leaves(unit: Unit) -> set[int]:
        parts = children.get(unit.pk, [])
        if not parts:
            return {unit.pk}
        return set().union(*(leaves(part) for part in parts))

    return {unit.pk: leaves(unit) for unit in units}


Taken = dict[tuple[int, dt.date], list[tuple[dt.datetime, dt.datetime, bool]]]


def _taken(leaf_units: set[int], first: dt.date, last: dt.date) -> Taken:
    """Occupancies of the days `first`…`last` by (leaf unit, day each touches): (start, end,
    is_closure). Keyed by day, a cell looks only at its own day's few rows, so a busy gym's
    month costs the same as a quiet room's."""
    start = calendar.at(first, dt.time(0))
    end = calendar.at(last + dt.timedelta(days=1), dt.time(0))
    rows = Occupancy.objects.filter(
        unit_id__in=leaf_units, start__lt=end, end__gt=start
    ).values_list("unit_id", "start", "end", "closure_id")
    taken: Taken = defaultdict(list)
    for unit_id, taken_start, taken_end, closure_id in rows:
        day = max(timezone.localtime(taken_start, calendar.TOKYO).date(), first)
        until = min(timezone.localtime(taken_end, calendar.TOKYO).date(), last)
        while day <= until:
            taken[unit_id, day].append((taken_start, taken_end, closure_id is not None))
            day += dt.timedelta(days=1)
    return taken


def days(
    facility: Facility,
    first: dt.date,
    last: dt.date,
    *,
    resident: bool,
    now: dt.datetime | None = None,
    units: list[Unit] | None = None,
) -> list[Day]:
    """Every day from `first` to `last` with its cells, for each unit and period.

    A cell is past once its start is within the facility's cut-off, and not yet open before the
    booking window for the resident (or non-resident) opens."""
    now = now or timezone.now()
    units = units if units is not None else list(facility.units.all())
    leaves = leaf_ids(units)
    all_leaves = set().union(*leaves.values()) if leaves else set()
    taken = _taken(all_leaves, first, last)
    cutoff = now + dt.timedelta(hours=facility.cutoff_hours)
    held = lottery_months(facility, first, last, now=now)
    found = []
    day = first
    while day <= last:
        opens_on = calendar.booking_opens_on(facility, day, resident=resident)
        in_lottery = day.replace(day=1) in held
        day_periods = calendar.periods(facility, day)
        cells = [
            Cell(
                unit,
                period,
                _state(period, leaves[unit.pk], taken, cutoff, opens_on, now, in_lottery),
            )
            for period in day_periods
            for unit in units
        ]
        found.append(Day(day, calendar.is_holiday(day), bool(day_periods), cells))
        day += dt.timedelta(days=1)
    return found


def _state(
    period: Period,
    unit_leaves: set[int],
    taken: Taken,
    cutoff: dt.datetime,
    opens_on: dt.date,
    now: dt.datetime,
    in_lottery: bool,
) -> State:
    closed = False
    day = period.day
    for leaf in unit_leaves:
        for start, end, is_closure in taken.get((leaf, day), ()):
            if start < period.end and end > period.start:
                if not is_closure:
                    return State.TAKEN
                closed = True
    if closed:
        return State.CLOSED
    if period.start < cutoff:
        return State.PAST
    if in_lottery:
        return State.LOTTERY
    if timezone.localtime(now, calendar.TOKYO).date() < opens_on:
        return State.NOT_YET
    return State.FREE


# --- lotteries (抽選) -----------------------------------------------------------------------------


def lottery_months(
    facility: Facility, first: dt.date, last: dt.date, *, now: dt.datetime
) -> dict[dt.date, LotteryRound]:
    """The months from `first` to `last` (each keyed by its 1st) whose use of `facility` a lottery
    decides, with the round: from the round's creation until its confirmation deadline
    (`confirm_by`), those days are given by the draw, not first come (先着順). After the deadline
    only the winners' bookings hold their periods; what is left is booked first come."""
    rounds = LotteryRound.objects.filter(
        facilities=facility,
        use_month__gte=first.replace(day=1),
        use_month__lte=last,
    ).filter(
        Q(status=LotteryRound.Status.OPEN) | Q(status=LotteryRound.Status.DRAWN, confirm_by__gt=now)
    )
    return {found.use_month: found for found in rounds}
