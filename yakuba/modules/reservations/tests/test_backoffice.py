"""What staff do (backoffice.py): counter bookings, payment at the counter, 減免 decisions,
cancellations, closures, facility settings and fee table versions — each audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from yakuba.modules.reservations import backoffice, calendar, services
from yakuba.modules.reservations.models import Booking, Closure, FeeSchedule
from yakuba.modules.reservations.tests.factories import ROOM_FEES, gym, request_for, room
from yakuba.platform.accounts.models import Department, StaffMember
from yakuba.platform.accounts.tests.factories import (
    DistrictFactory,
    ResidentProfileFactory,
    StaffFactory,
)
from yakuba.platform.audit.models import AuditAction, AuditEntry
from yakuba.platform.notify.models import Message
from yakuba.platform.payments.collectors import PaymentState

pytestmark = pytest.mark.django_db

REDUCTIONS: dict[str, Any] = {
    **ROOM_FEES,
    "reductions": [
        {"code": "disability", "label": "障害のある方の団体の活動", "percent": 50},
        {"code": "town", "label": "町の共催事業", "percent": 100},
    ],
}


def open_day(at_least: int) -> dt.date:
    """The first day at least `at_least` days ahead that the room is open (not a Monday)."""
    day = calendar.today() + dt.timedelta(days=at_least)
    return day + dt.timedelta(days=1) if day.weekday() == 0 else day


@pytest.fixture
def resident():
    return ResidentProfileFactory.create(district=DistrictFactory.create()).user


@pytest.fixture
def clerk():
    """Staff of the department the factories' facilities belong to (町民生活課)."""
    return StaffFactory.create(permissions=["reservations.change_booking"])


@pytest.fixture
def outsider():
    user = StaffFactory.create(permissions=["reservations.change_booking"])
    other, _created = Department.objects.get_or_create(code="kyoiku", defaults={"name": "教育課"})
    StaffMember.objects.filter(user=user).update(department=other)
    return user


def booked(resident, *, fees: dict[str, Any] = ROOM_FEES, days: int = 10, **extra: Any) -> Booking:
    hall = room(fees=fees)
    return services.book(
        request_for(hall, open_day(days), "13:00", "17:00", **extra), user=resident
    )


def audit(booking: Any, action: str) -> AuditEntry:
    return AuditEntry.objects.get(
        object_type=type(booking)._meta.label_lower, object_id=str(booking.pk), action=action
    )


# --- at the counter -------------------------------------------------------------------------------


def test_the_counter_books_inside_the_cut_off_and_the_booking_is_audited(resident, clerk) -> None:
    hall = room()
    soon = calendar.at(calendar.today(), dt.time(0)) + dt.timedelta(days=1)
    day = soon.date() + dt.timedelta(days=1) if soon.date().weekday() == 0 else soon.date()
    request = request_for(hall, day, "18:00", "21:00")
    now = calendar.at(day, dt.time(9))  # nine hours before: online would be refused (24 h)
    with pytest.raises(ValidationError):
        services.book(request, user=resident, now=now)

    booking = backoffice.book_at_counter(request, user=resident, by=clerk, now=now)

    assert booking.booked_by == clerk and booking.user == resident
    entry = audit(booking, AuditAction.CREATE)
    assert entry.reason == backoffice.COUNTER and entry.subject_user_id == resident.pk


def test_someone_without_an_account_is_booked_with_the_rate_the_clerk_confirmed(clerk) -> None:
    hall = room()
    day = open_day(10)
    in_town = backoffice.book_at_counter(
        request_for(hall, day, "09:00", "12:00", contact_phone="0223-34-1111", in_town=True),
        user=None,
        by=clerk,
    )
    outside = backoffice.book_at_counter(
        request_for(hall, day, "13:00", "17:00", contact_phone="0223-34-2222"),
        user=None,
        by=clerk,
    )
    assert in_town.user is None and in_town.resident_rate and in_town.fee_amount == 600
    assert not outside.resident_rate and outside.fee_amount == 800 * 2
    assert not Message.objects.exists()  # nobody to tell: the clerk hands over the number


def test_only_a_clerk_books_without_an_account() -> None:
    hall = room()
    with pytest.raises(ValidationError):
        services.book(request_for(hall, open_day(10), "09:00", "12:00"), user=None)


def test_staff_of_another_department_cannot_act_on_the_facility(resident, outsider) -> None:
    booking = booked(resident)
    with pytest.raises(PermissionDenied):
        backoffice.mark_paid(booking, by=outsider)
    with pytest.raises(PermissionDenied):
        backoffice.cancel_booking(booking, by=outsider, reason="誤り", waive_fee=True)
    with pytest.raises(PermissionDenied):
        backoffice.book_at_counter(
            request_for(booking.facility, open_day(10), "09:00", "12:00"), user=None, by=outsider
        )


# --- payment --------------------------------------------------------------------------------------


def test_a_fee_paid_at_the_counter_is_marked_once(resident, clerk) -> None:
    booking = booked(resident)
    assert booking.payment == PaymentState.AT_COUNTER

    paid = backoffice.mark_paid(booking, by=clerk)

    assert paid.payment == PaymentState.PAID
    assert audit(booking, AuditAction.UPDATE).changes["amount"] == 800
    with pytest.raises(ValidationError, match="すでに支払い済み"):
        backoffice.mark_paid(paid, by=clerk)


def test_nothing_to_pay_cannot_be_marked_paid(resident, clerk) -> None:
    hall = gym()
    booking = services.book(
        request_for(hall, open_day(10), "10:00", "12:00", unit_code="whole"), user=resident
    )
    with pytest.raises(ValidationError, match="受け取る使用料がありません"):
        backoffice.mark_paid(booking, by=clerk)


def test_a_cancellation_fee_is_taken_at_the_counter(resident, clerk) -> None:
    booking = booked(resident, days=2)  # within 7 days: half the fee is kept
    cancelled = backoffice.cancel_booking(booking, by=clerk, reason="本人から電話", waive_fee=False)
    assert cancelled.cancellation_fee == 400
    paid = backoffice.mark_paid(cancelled, by=clerk)
    assert paid.payment == PaymentState.PAID


# --- 減免 -----------------------------------------------------------------------------------------


def test_an_approved_reduction_charges_the_reduced_total_and_tells_the_booker(
    resident, clerk
) -> None:
    booking = booked(
        resident, fees=REDUCTIONS, reduction_code="disability", reduction_note="障害者団体の定例会"
    )
    assert booking.reduction == Booking.Reduction.REQUESTED and booking.fee_amount == 800

    decided = backoffice.decide_reduction(
        booking, approve=True, reason="団体の登録を確認しました。", by=clerk
    )

    assert decided.reduction == Booking.Reduction.APPROVED
    assert decided.fee_amount == 400
    assert [line["code"] for line in decided.fee_lines] == ["base", "reduction:disability"]
    assert decided.payment == PaymentState.AT_COUNTER
    message = Message.objects.get(kind="reservations.reduction_approved")
    assert message.context["reason"] == "団体の登録を確認しました。"
    assert message.context["fee"] == "400"
    entry = audit(booking, AuditAction.UPDATE)
    assert entry.reason == "団体の登録を確認しました。"
    assert entry.changes["fee_amount"] == [800, 400]


def test_a_refused_reduction_keeps_the_full_fee(resident, clerk) -> None:
    booking = booked(
        resident, fees=REDUCTIONS, reduction_code="disability", reduction_note="定例会"
    )
    decided = backoffice.decide_reduction(
        booking, approve=False, reason="減免の対象の団体ではありません。", by=clerk
    )
    assert decided.reduction == Booking.Reduction.REFUSED and decided.fee_amount == 800
    assert [line["code"] for line in decided.fee_lines] == ["base"]
    assert Message.objects.filter(kind="reservations.reduction_refused").count() == 1


def test_a_full_reduction_leaves_nothing_to_pay(resident, clerk) -> None:
    booking = booked(resident, fees=REDUCTIONS, reduction_code="town", reduction_note="共催")
    decided = backoffice.decide_reduction(booking, approve=True, reason="共催事業", by=clerk)
    assert decided.fee_amount == 0
    assert decided.payment == PaymentState.NONE and decided.pay_by is None


@pytest.mark.parametrize(
    ("prepare", "reason", "message"),
    [
        (lambda booking, clerk: None, "  ", "理由を書いてください"),
        (
            lambda booking, clerk: backoffice.decide_reduction(
                booking, approve=True, reason="承認", by=clerk
            ),
            "もう一度",
            "決めていない減免の申請はありません",
        ),
        (lambda booking, clerk: backoffice.mark_paid(booking, by=clerk), "後から", "支払い済み"),
    ],
    ids=["no reason", "decided twice", "already paid"],
)
def test_a_reduction_is_decided_once_with_a_reason_before_payment(
    resident,
    clerk,
    prepare,
    reason,
    message,
) -> None:
    booking = booked(
        resident, fees=REDUCTIONS, reduction_code="disability", reduction_note="定例会"
    )
    prepare(booking, clerk)
    with pytest.raises(ValidationError, match=message):
        backoffice.decide_reduction(booking, approve=True, reason=reason, by=clerk)


# --- cancellation ---------------------------------------------------------------------------------


def test_staff_cancel_with_a_reason_and_may_waive_the_fee(resident, clerk) -> None:
    booking = booked(resident, days=2)
    with pytest.raises(ValidationError, match="取り消す理由"):
        backoffice.cancel_booking(booking, by=clerk, reason="", waive_fee=True)

    cancelled = backoffice.cancel_booking(
        booking, by=clerk, reason="台風のため休館します。", waive_fee=True
    )

    assert cancelled.status == Booking.Status.CANCELLED and cancelled.cancellation_fee == 0
    assert cancelled.cancel_reason == "台風のため休館します。"
    assert audit(booking, AuditAction.UPDATE).changes["waive_fee"] is True
    assert Message.objects.filter(kind="reservations.cancelled").exists()


# --- closures -------------------------------------------------------------------------------------


def test_a_closure_over_a_booking_is_refused_and_a_free_one_is_audited(resident, clerk) -> None:
    booking = booked(resident)
    day = timezonedate(booking)
    whole_day = (calendar.at(day, dt.time(0)), calendar.at(day + dt.timedelta(days=1), dt.time(0)))
    with pytest.raises(ValidationError, match=booking.number):
        backoffice.close_facility(
            booking.facility,
            kind=Closure.Kind.MAINTENANCE,
            start=whole_day[0],
            end=whole_day[1],
            reason="",
            by=clerk,
        )
    assert not Closure.objects.exists()
    assert not AuditEntry.objects.filter(
        action=AuditAction.CREATE, object_type="reservations.closure"
    ).exists()

    closure = backoffice.close_facility(
        booking.facility,
        kind=Closure.Kind.TOWN_USE,
        start=whole_day[0] + dt.timedelta(days=1),
        end=whole_day[1] + dt.timedelta(days=1),
        reason="町民まつり",
        by=clerk,
    )
    assert audit(closure, AuditAction.CREATE).changes["kind"] == Closure.Kind.TOWN_USE

    closure_id = closure.pk
    backoffice.reopen(closure, by=clerk)
    assert not Closure.objects.exists()
    assert AuditEntry.objects.filter(
        object_type="reservations.closure", object_id=str(closure_id), action=AuditAction.DELETE
    ).exists()


def timezonedate(booking: Booking) -> dt.date:
    return booking.start.astimezone(calendar.TOKYO).date()


# --- settings and fee tables ----------------------------------------------------------------------


def test_a_new_fee_table_is_the_next_version_from_today_on(clerk) -> None:
    hall = room()
    today = calendar.today()
    with pytest.raises(ValidationError) as past:
        backoffice.add_fee_schedule(
            hall, valid_from=today - dt.timedelta(days=1), rules=ROOM_FEES, by=clerk
        )
    assert "今日以降" in str(past.value.message_dict["valid_from"])

    schedule = backoffice.add_fee_schedule(hall, valid_from=today, rules=ROOM_FEES, by=clerk)

    assert schedule.version == 2 and schedule.created_by == clerk
    assert audit(schedule, AuditAction.CREATE).changes["version"] == 2


def test_fee_rules_that_do_not_fit_the_facility_are_refused_with_every_problem(clerk) -> None:
    hall = room()
    rules = {"rates": {"room": {"per": "slot", "prices": {"am": 600, "pm": -1}}}}
    with pytest.raises(ValidationError) as refused:
        backoffice.add_fee_schedule(hall, valid_from=calendar.today(), rules=rules, by=clerk)
    problems = refused.value.message_dict["rules"]
    assert any("night" in problem for problem in problems)
    assert any("rates.room.prices.pm" in problem for problem in problems)
    assert FeeSchedule.objects.filter(facility=hall).count() == 1


def test_changed_settings_are_audited_and_a_fee_table_that_no_longer_fits_is_reported(
    clerk,
) -> None:
    hall = room()
    slots = [*hall.fixed_slots, {"code": "late", "label": "深夜", "start": "21:00", "end": "22:00"}]

    problems = backoffice.change_facility(
        hall, values={"cutoff_hours": 48, "fixed_slots": slots}, by=clerk
    )

    hall.refresh_from_db()
    assert hall.cutoff_hours == 48 and len(hall.fixed_slots) == 4
    assert any("late" in problem for problem in problems)
    assert audit(hall, AuditAction.UPDATE).changes["cutoff_hours"] == [24, 48]
