"""Reads the residents' pages share: finding facilities, the month and week calendars as the
pages show them, and a facility's rules and fees in plain words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jpholiday
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from yakuba.core.search import matching
from yakuba.modules.reservations import availability, calendar, fees, services
from yakuba.modules.reservations.availability import Cell, Day, State
from yakuba.modules.reservations.models import (
    Booking,
    BookingMode,
    Facility,
    FeeSchedule,
    Group,
    Purpose,
    Unit,
)
from yakuba.platform.places.models import Place, localized

# --- words --------------------------------------------------------------------------------------


def facility_name(facility: Facility) -> str:
    return localized(facility.name, facility.name_en)


def unit_name(unit: Unit) -> str:
    return localized(unit.name, unit.name_en)


def day_label(day: dt.date) -> str:
    """「2月2日（火）」, "Tue 2 February"."""
    # Translators: a Django date format (n: month, j: day, D: weekday) for a day in a calendar.
    return date_format(day, _("n月j日（D）"))


def month_label(first: dt.date) -> str:
    """「2027年2月」, "February 2027"."""
    # Translators: a Django date format (Y: year, n: month number, F: month name).
    return date_format(first, _("Y年n月"))


def time_range(start: dt.datetime, end: dt.datetime) -> str:
    """「13:00–17:00」 in the town's time; the end of a day is 24:00."""
    start_local = timezone.localtime(start, calendar.TOKYO)
    end_local = timezone.localtime(end, calendar.TOKYO)
    end_text = "24:00" if end_local.date() > start_local.date() else f"{end_local:%H:%M}"
    return f"{start_local:%H:%M}–{end_text}"


def holiday_name(day: dt.date) -> str:
    return str(jpholiday.is_holiday_name(day) or "")


def purpose_labels(codes: list[str]) -> list[str]:
    labels = dict(Purpose.choices)
    return [str(labels[code]) for code in codes if code in labels]


# --- who is asking ------------------------------------------------------------------------------


def calendar_resident(user: Any) -> bool:
    """Whose booking window a calendar shows: a signed-in person's own (町内, or a member of an
    in-town group); the residents' one to a visitor who has not signed in, as most readers are."""
    if not user.is_authenticated:
        return True
    return services.is_town_resident(user) or groups_of(user).filter(in_town=True).exists()


def groups_of(user: Any) -> QuerySet[Group]:
    """The approved groups (登録団体) `user` may book as: as their representative or a member."""
    return (
        Group.objects.filter(status=Group.Status.APPROVED)
        .filter(Q(representative=user) | Q(members=user))
        .distinct()
        .order_by("name_kana")
    )


# --- finding a facility -------------------------------------------------------------------------


def public_facilities() -> QuerySet[Facility]:
    return Facility.objects.filter(is_public=True).select_related("place")


def facility_places() -> QuerySet[Place]:
    """The places that have a facility residents can book, for the search's list of places."""
    return Place.objects.filter(
        pk__in=Facility.objects.filter(is_public=True).values("place_id")
    ).order_by("name_kana", "name")


def search(
    *, q: str = "", purposes: list[str] | None = None, place: Place | None = None, people: int = 0
) -> list[Facility]:
    """Public facilities for any of `purposes`, at `place`, for at least `people` people (a
    facility without a stated capacity fits any number), whose name, reading or place matches
    every word of `q`. Facilities are tens, not thousands: the words are matched in Python,
    where kana folding is exact."""
    found = public_facilities()
    if place is not None:
        found = found.filter(place=place)
    if people:
        found = found.filter(Q(capacity__isnull=True) | Q(capacity__gte=people))
    facilities = list(found)
    if purposes:
        facilities = [f for f in facilities if set(purposes) & set(f.purposes)]

    def text_of(facility: Facility) -> str:
        place = facility.place
        names = (facility.name, facility.name_kana, facility.name_en)
        return " ".join((*names, place.name, place.name_kana, place.name_en))

    return matching(q, facilities, text_of)


# --- calendars ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """How a day or a cell is shown: a symbol for the eye (never colour alone) and the words."""

    symbol: str
    text: str
    css: str


def day_mark(day: Day) -> Mark:
    """○ 空きあり, △ 一部空き, × 空きなし, — 休館日・受付前・受付終了."""
    if not day.open:
        return Mark("—", _("休館日"), "closed")
    summary = day.summary
    if summary == State.FREE:
        if any(cell.state in (State.TAKEN, State.CLOSED) for cell in day.cells):
            return Mark("△", _("一部空き"), "some")
        return Mark("○", _("空きあり"), "free")
    if summary == State.TAKEN:
        return Mark("×", _("空きなし"), "full")
    if summary == State.NOT_YET:
        return Mark("—", _("受付前"), "not-yet")
    if summary == State.PAST:
        return Mark("—", _("受付終了"), "past")
    if summary == State.LOTTERY:
        return Mark("—", _("抽選受付中"), "lottery")
    return Mark("—", _("利用できません"), "closed")


def cell_mark(state: State) -> Mark:
    symbols = {
        State.FREE: ("○", "free"),
        State.TAKEN: ("×", "full"),
        State.CLOSED: ("—", "closed"),
        State.PAST: ("—", "past"),
        State.NOT_YET: ("—", "not-yet"),
        State.LOTTERY: ("—", "lottery"),
    }
    symbol, css = symbols[state]
    return Mark(symbol, str(availability.STATE_LABELS[state]), css)


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(first: dt.date, months: int) -> dt.date:
    return calendar.months_before(first, -months)


def last_month(facility: Facility, today: dt.date) -> dt.date:
    """The last month a calendar goes to: the furthest one residents can book in."""
    return add_months(first_of_month(today), facility.resident_months_ahead)


@dataclass(frozen=True)
class MonthDay:
    day: dt.date
    label: str
    holiday: str
    mark: Mark
    url: str


@dataclass(frozen=True)
class Month:
    first: dt.date
    label: str
    weekdays: list[tuple[str, str]]
    """(short, full) weekday names, Sunday first as Japanese calendars are."""
    weeks: list[list[MonthDay | None]]


def month(
    facility: Facility,
    first: dt.date,
    *,
    resident: bool,
    today: dt.date,
    day_url: Callable[[dt.date], str],
    units: list[Unit],
) -> Month:
    """The month view: each day's summary mark, linked to the day from today on."""
    after = add_months(first, 1)
    last = after - dt.timedelta(days=1)
    found = availability.days(facility, first, last, resident=resident, units=units)
    leading = (first.weekday() + 1) % 7  # Sunday first
    cells: list[MonthDay | None] = [None] * leading
    for day in found:
        cells.append(
            MonthDay(
                day=day.day,
                label=day_label(day.day),
                holiday=holiday_name(day.day),
                mark=day_mark(day),
                url=day_url(day.day) if day.day >= today and day.open else "",
            )
        )
    cells += [None] * (-len(cells) % 7)
    sunday = dt.date(2023, 1, 1)
    weekdays = [
        (
            date_format(sunday + dt.timedelta(days=i), "D"),
            date_format(sunday + dt.timedelta(days=i), "l"),
        )
        for i in range(7)
    ]
    return Month(
        first=first,
        label=month_label(first),
        weekdays=weekdays,
        weeks=[cells[i : i + 7] for i in range(0, len(cells), 7)],
    )


@dataclass(frozen=True)
class WeekCell:
    """One unit × period of a fixed-slot facility, or a run of same-state steps of a free one."""

    unit: Unit
    start: dt.datetime
    end: dt.datetime
    period: str
    times: str
    mark: Mark
    url: str


@dataclass
class WeekUnit:
    unit: Unit
    name: str
    cells: list[WeekCell] = field(default_factory=list)
    choose_url: str = ""
    """For a free-range facility: where to choose a start and an end, when something is free."""


@dataclass(frozen=True)
class WeekDay:
    day: dt.date
    label: str
    holiday: str
    open: bool
    periods: list[tuple[str, str]]
    """(label, times) of each column, for a fixed-slot facility."""
    units: list[WeekUnit]


def week(
    facility: Facility,
    first: dt.date,
    *,
    count: int = 7,
    resident: bool,
    units: list[Unit],
    cell_url: Callable[[Unit, dt.datetime, dt.datetime], str],
    choose_url: Callable[[Unit, dt.date], str],
    mine: Booking | None = None,
) -> list[WeekDay]:
    """The week view: for each day, each unit's periods with their state; a free period of a
    fixed-slot facility links to booking it, a free-range facility's unit to choosing a time.
    `mine` is the booking being changed: its own periods show as such."""
    found = availability.days(
        facility, first, first + dt.timedelta(days=count - 1), resident=resident, units=units
    )
    slots = facility.mode == BookingMode.SLOTS
    days = []
    for day in found:
        rows = [WeekUnit(unit=unit, name=unit_name(unit)) for unit in units]
        by_unit = {row.unit.pk: row for row in rows}
        for cell in day.cells:
            row = by_unit[cell.unit.pk]
            if slots:
                row.cells.append(_slot_cell(cell, cell_url, mine))
            else:
                _extend_run(row, cell, mine)
        if not slots:
            for row in rows:
                if any(c.mark.css in ("free", "current") for c in row.cells):
                    row.choose_url = choose_url(row.unit, day.day)
        periods = []
        if slots and day.cells:
            periods = [
                (cell.period.label, time_range(cell.period.start, cell.period.end))
                for cell in day.cells
                if cell.unit.pk == units[0].pk
            ]
        days.append(
            WeekDay(
                day=day.day,
                label=day_label(day.day),
                holiday=holiday_name(day.day),
                open=day.open,
                periods=periods,
                units=rows,
            )
        )
    return days


def is_mine(cell: Cell, mine: Booking | None) -> bool:
    """Whether `cell` is taken by `mine` itself: the same unit, within its period. (Another
    booking cannot hold part of it: the database refuses overlaps.)"""
    return (
        mine is not None
        and cell.state == State.TAKEN
        and cell.unit.pk == mine.unit_id
        and mine.start <= cell.period.start
        and cell.period.end <= mine.end
    )


def _mark(cell: Cell, mine: Booking | None) -> Mark:
    if is_mine(cell, mine):
        return Mark("●", _("いまの予約"), "current")
    return cell_mark(cell.state)


def _slot_cell(
    cell: Cell, cell_url: Callable[[Unit, dt.datetime, dt.datetime], str], mine: Booking | None
) -> WeekCell:
    period = cell.period
    free = cell.state == State.FREE
    return WeekCell(
        unit=cell.unit,
        start=period.start,
        end=period.end,
        period=period.label,
        times=time_range(period.start, period.end),
        mark=_mark(cell, mine),
        url=cell_url(cell.unit, period.start, period.end) if free else "",
    )


def _extend_run(row: WeekUnit, cell: Cell, mine: Booking | None) -> None:
    """Join a free-range facility's steps into runs of the same state: 09:00–10:30 空き."""
    mark = _mark(cell, mine)
    last = row.cells[-1] if row.cells else None
    if last is not None and last.mark == mark and last.end == cell.period.start:
        row.cells[-1] = WeekCell(
            unit=last.unit,
            start=last.start,
            end=cell.period.end,
            period="",
            times=time_range(last.start, cell.period.end),
            mark=mark,
            url="",
        )
        return
    row.cells.append(
        WeekCell(
            unit=cell.unit,
            start=cell.period.start,
            end=cell.period.end,
            period="",
            times=time_range(cell.period.start, cell.period.end),
            mark=mark,
            url="",
        )
    )


def cells_of(
    facility: Facility, unit: Unit, start: dt.datetime, end: dt.datetime, *, resident: bool
) -> list[Cell]:
    """The calendar's cells of `unit` that [start, end) covers, as the calendar shows them now."""
    day = timezone.localtime(start, calendar.TOKYO).date()
    [found] = availability.days(
        facility, day, day, resident=resident, units=list(facility.units.all())
    )
    return [
        cell
        for cell in found.cells
        if cell.unit.pk == unit.pk and cell.period.start < end and cell.period.end > start
    ]


def unavailable_state(
    facility: Facility,
    unit: Unit,
    start: dt.datetime,
    end: dt.datetime,
    *,
    resident: bool,
    mine: Booking | None = None,
) -> State | None:
    """Why [start, end) of `unit` cannot be booked now (the first state that is not free), or
    None when the calendar shows it all free, counting `mine` (a booking being changed) as
    free. The booking's own rules are checked later."""
    cells = [
        cell
        for cell in cells_of(facility, unit, start, end, resident=resident)
        if not is_mine(cell, mine)
    ]
    for state in (State.TAKEN, State.CLOSED, State.PAST, State.LOTTERY, State.NOT_YET):
        if any(cell.state == state for cell in cells):
            return state
    return None


def free_times(
    facility: Facility, unit: Unit, day: dt.date, *, resident: bool, mine: Booking | None = None
) -> tuple[list[dt.datetime], list[dt.datetime]]:
    """A free-range facility's possible starts and ends on `day` for `unit`: the starts and ends
    of its free steps (with those of `mine`, a booking being changed)."""
    [found] = availability.days(
        facility, day, day, resident=resident, units=list(facility.units.all())
    )
    free = [
        c.period
        for c in found.cells
        if c.unit.pk == unit.pk and (c.state == State.FREE or is_mine(c, mine))
    ]
    return [p.start for p in free], [p.end for p in free]


# --- a facility's rules in words ----------------------------------------------------------------


def window_rule(facility: Facility) -> str:
    """「町内の方は利用日の3か月前の月の1日から、町外の方は2か月前の月の1日から予約できます。」"""
    return _(
        "町内の方は利用日の%(resident)sか月前の月の1日から、町外の方は%(others)sか月前の月の1日から予約できます。"
    ) % {"resident": facility.resident_months_ahead, "others": facility.others_months_ahead}


def cutoff_rule(facility: Facility) -> str:
    return _("ネットでの予約は、利用開始の%(hours)s時間前までです。") % {
        "hours": facility.cutoff_hours
    }


def opening_rows(facility: Facility) -> list[tuple[str, str]]:
    """(曜日, 時間) for each weekday and 祝日, 「休館日」 where closed."""
    names = [
        _("月曜日"),
        _("火曜日"),
        _("水曜日"),
        _("木曜日"),
        _("金曜日"),
        _("土曜日"),
        _("日曜日"),
        _("祝日・振替休日"),
    ]
    rows = []
    for name, key in zip(names, (*calendar.WEEKDAY_KEYS, calendar.HOLIDAY_KEY), strict=True):
        hours = facility.opening_hours.get(key)
        rows.append((name, f"{hours[0]}–{hours[1]}" if hours else _("休館日")))
    return rows


def slot_rows(facility: Facility) -> list[tuple[str, str]]:
    """(時間帯, 時間) of a fixed-slot facility."""
    return [
        (calendar.slot_label(slot), f"{slot['start']}–{slot['end']}")
        for slot in facility.fixed_slots
    ]


def free_rule(facility: Facility) -> str:
    return _("%(step)s分単位で、%(min)s分から%(max)s分まで予約できます。") % {
        "step": facility.step_minutes,
        "min": facility.min_minutes,
        "max": facility.max_minutes,
    }


def percent_kept(percent: int) -> str:
    if percent == 0:
        return _("取消料はかかりません")
    if percent == 100:
        return _("使用料の全額")
    return _("使用料の%(percent)s%%") % {"percent": percent}


def cancellation_rows(rules: dict[str, Any]) -> list[tuple[str, str]]:
    """The cancellation table as (when, what is kept), the furthest first; the days nearer the
    day of use than every row keep the whole fee (`fees.cancellation_fee`)."""
    rows = sorted(rules.get("cancellation", []), key=lambda row: -row["days_before"])
    found = []
    previous: int | None = None
    for row in rows:
        days = row["days_before"]
        if previous is None:
            when = _("利用日の%(days)s日前まで") % {"days": days} if days else _("利用日の当日まで")
        elif previous - 1 == days:
            when = _("利用日の%(days)s日前") % {"days": days} if days else _("利用日の当日")
        elif days:
            when = _("利用日の%(from)s日前から%(to)s日前まで") % {"from": previous - 1, "to": days}
        else:
            when = _("利用日の%(from)s日前から当日まで") % {"from": previous - 1}
        found.append((when, percent_kept(row["percent"])))
        previous = days
    if previous is None:
        found.append((_("いつでも"), percent_kept(100)))
    elif previous > 0:
        if previous == 1:
            found.append((_("利用日の当日"), percent_kept(100)))
        else:
            found.append(
                (_("利用日の%(from)s日前から当日まで") % {"from": previous - 1}, percent_kept(100))
            )
    return found


@dataclass(frozen=True)
class FeeRow:
    unit: str
    prices: list[tuple[str, str]]
    """(時間帯 or 「1時間」, 「600円」)."""


@dataclass(frozen=True)
class FeeSummary:
    schedule: FeeSchedule
    rows: list[FeeRow]
    notes: list[str]
    options: list[dict[str, Any]]
    reductions: list[dict[str, Any]]
    cancellation: list[tuple[str, str]]


def yen(amount: int) -> str:
    return _("%(yen)s円") % {"yen": f"{amount:,}"}


def fee_summary(facility: Facility, units: list[Unit], today: dt.date) -> FeeSummary | None:
    """The fee table in force today, in words: each unit's prices, the factors, the options,
    the reductions and the cancellation rule. None for a facility without fees."""
    schedule = services.fee_schedule(facility, today)
    if schedule is None:
        return None
    rules = schedule.rules
    slots = {slot["code"]: calendar.slot_label(slot) for slot in facility.fixed_slots}
    rows = []
    for unit in units:
        rate = rules.get("rates", {}).get(unit.code)
        if rate is None:
            continue
        if rate["per"] == "slot":
            prices = [
                (label, yen(rate["prices"][code]))
                for code, label in slots.items()
                if code in rate["prices"]
            ]
        else:
            prices = [(_("1時間"), yen(rate["price"]))]
        rows.append(FeeRow(unit=unit_name(unit), prices=prices))
    notes = []
    if rules.get("non_resident_factor", 1) != 1:
        notes.append(
            _("町外の方は%(factor)s倍です。") % {"factor": f"{rules['non_resident_factor']:g}"}
        )
    if rules.get("holiday_factor", 1) != 1:
        notes.append(
            _("土曜・日曜・祝日は%(factor)s倍です。") % {"factor": f"{rules['holiday_factor']:g}"}
        )
    return FeeSummary(
        schedule=schedule,
        rows=rows,
        notes=notes,
        options=fees.options_of(rules),
        reductions=fees.reductions_of(rules),
        cancellation=cancellation_rows(rules),
    )


# --- one's own bookings -------------------------------------------------------------------------


def own_bookings(user: Any) -> QuerySet[Booking]:
    return Booking.objects.filter(user=user).select_related("facility", "facility__place", "unit")


def upcoming(user: Any, now: dt.datetime) -> QuerySet[Booking]:
    return own_bookings(user).filter(status=Booking.Status.CONFIRMED, end__gt=now).order_by("start")


def earlier(user: Any, now: dt.datetime) -> QuerySet[Booking]:
    """Used or cancelled, the latest first."""
    return (
        own_bookings(user)
        .filter(Q(status=Booking.Status.CANCELLED) | Q(end__lte=now))
        .order_by("-start", "-pk")
    )


def just_booked(user: Any, unit: Unit, start: dt.datetime, end: dt.datetime) -> Booking | None:
    """The resident's own confirmed booking of exactly this unit and period, made in the last
    half hour: what a double click or a resubmitted form finds instead of a new booking."""
    return (
        Booking.objects.filter(
            user=user,
            unit=unit,
            start=start,
            end=end,
            status=Booking.Status.CONFIRMED,
            created_at__gte=timezone.now() - dt.timedelta(minutes=30),
        )
        .order_by("-pk")
        .first()
    )


def option_labels(booking: Booking) -> list[str]:
    if booking.fee_schedule is None:
        return list(booking.options)
    labels = {o["code"]: o["label"] for o in fees.options_of(booking.fee_schedule.rules)}
    return [labels.get(code, code) for code in booking.options]


def reduction_label(booking: Booking) -> str:
    if not booking.reduction_code or booking.fee_schedule is None:
        return booking.reduction_code
    labels = {r["code"]: r["label"] for r in fees.reductions_of(booking.fee_schedule.rules)}
    return str(labels.get(booking.reduction_code, booking.reduction_code))
