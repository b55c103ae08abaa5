"""Reads for the staff pages (施設予約の管理): what a staff member may see, the bookings calendar,
a booking's history. The residents a clerk books for are found by the accounts platform
(`accounts.services.find_residents_at_counter`), shared with the other counters.

A staff member sees the facilities of their own department (担当課); a superuser sees all. Anything
else is "not found", like a booking that does not exist, so numbers reveal nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from yakuba.modules.reservations import calendar
from yakuba.modules.reservations.models import Booking, Closure, Facility, Unit
from yakuba.platform.accounts.models import StaffMember
from yakuba.platform.audit.models import AuditAction, AuditEntry


def department_id(user: Any) -> int | None:
    return StaffMember.objects.filter(user=user).values_list("department_id", flat=True).first()


def facilities_for(user: Any) -> QuerySet[Facility]:
    """The facilities `user` manages: their department's, or every one for a superuser."""
    facilities = Facility.objects.select_related("department", "place")
    if user.is_superuser:
        return facilities
    department = department_id(user)
    if department is None:
        return facilities.none()
    return facilities.filter(department_id=department)


def facility_for(user: Any, pk: int) -> Facility:
    facility = facilities_for(user).filter(pk=pk).first()
    if facility is None:
        raise Http404
    return facility


def booking_for(user: Any, pk: int) -> Booking:
    """A booking of one of `user`'s facilities, with what its staff page shows."""
    booking = (
        Booking.objects.select_related(
            "facility__department",
            "unit",
            "user__resident_profile",
            "group__representative",
            "booked_by__staff_member",
            "cancelled_by__staff_member",
            "fee_schedule",
        )
        .filter(pk=pk, facility__in=facilities_for(user))
        .first()
    )
    if booking is None:
        raise Http404
    return booking


def closure_for(user: Any, pk: int) -> Closure:
    closure = (
        Closure.objects.select_related("facility")
        .filter(pk=pk, facility__in=facilities_for(user))
        .first()
    )
    if closure is None:
        raise Http404
    return closure


def staff_name(user: Any) -> str:
    if user is None:
        return ""
    member = getattr(user, "staff_member", None)
    return member.display_name if member else str(user)


# --- the calendar of all bookings -----------------------------------------------------------------


@dataclass
class UnitRow:
    """One unit's bookings and the facility's closures over the shown days."""

    unit: Unit
    bookings: list[Booking] = field(default_factory=list)
    closures: list[Closure] = field(default_factory=list)


@dataclass
class FacilityRows:
    facility: Facility
    units: list[UnitRow]
    closures: list[Closure]


def bookings_calendar(
    facilities: QuerySet[Facility], first: dt.date, last: dt.date
) -> list[FacilityRows]:
    """Every confirmed booking and closure of `facilities` from `first` to `last` (whole days in
    the town), by facility and unit, in three queries."""
    start = calendar.at(first, dt.time(0))
    end = calendar.at(last + dt.timedelta(days=1), dt.time(0))
    chosen = list(
        facilities.prefetch_related(
            Prefetch("units", queryset=Unit.objects.order_by("order", "code"))
        )
    )
    bookings = (
        Booking.objects.filter(
            facility__in=[f.pk for f in chosen],
            status=Booking.Status.CONFIRMED,
            start__lt=end,
            end__gt=start,
        )
        .select_related("group")
        .order_by("start", "pk")
    )
    closures = Closure.objects.filter(
        facility__in=[f.pk for f in chosen], start__lt=end, end__gt=start
    ).order_by("start")
    rows = {
        facility.pk: FacilityRows(facility, [UnitRow(unit) for unit in facility.units.all()], [])
        for facility in chosen
    }
    by_unit = {row.unit.pk: row for item in rows.values() for row in item.units}
    for booking in bookings:
        by_unit[booking.unit_id].bookings.append(booking)
    for closure in closures:
        rows[closure.facility_id].closures.append(closure)
        for row in rows[closure.facility_id].units:
            row.closures.append(closure)
    return list(rows.values())


# --- a booking's history --------------------------------------------------------------------------


def history(booking: Booking) -> QuerySet[AuditEntry]:
    """What staff did to the booking (payment, 減免, cancellation), oldest first: the audit log's
    writes, not its reads."""
    return (
        AuditEntry.objects.filter(object_type=Booking._meta.label_lower, object_id=str(booking.pk))
        .exclude(action=AuditAction.READ)
        .order_by("occurred_at", "pk")
    )
