"""What staff do with bookings and facilities (施設予約の管理): book at the counter for someone,
take a payment at the counter, decide a requested reduction (減免), cancel, close a facility for
a period, change a facility's settings and add a fee table version.

Every function checks that the clerk manages the facility (its department's staff, or a
superuser) and writes what it did to the audit log, with the reason given."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from yakuba.modules.reservations import calendar, fees, services
from yakuba.modules.reservations.models import Booking, Closure, Facility, FeeSchedule
from yakuba.platform.audit.models import AuditAction
from yakuba.platform.audit.services import record
from yakuba.platform.payments.collectors import PaymentState

# The audit log's reason for a booking made at the counter (窓口で代理予約).
COUNTER = "counter"
MAX_REASON = 200


def _ensure_may_manage(by: Any, facility: Facility) -> None:
    if not services.may_manage(by, facility):
        raise PermissionDenied


def _reason(text: str, *, if_empty: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise ValidationError(if_empty, code="reason")
    if len(text) > MAX_REASON:
        raise ValidationError(
            _("理由は%(count)s文字以内で書いてください。") % {"count": MAX_REASON},
            code="reason",
        )
    return text


def _locked(booking: Booking) -> Booking:
    return (
        # Only the booking's row: PostgreSQL cannot lock the nullable side of an outer join.
        Booking.objects.select_for_update(of=("self",))
        .select_related("facility", "unit", "fee_schedule", "user")
        .get(pk=booking.pk)
    )


def book_at_counter(
    request: services.BookingRequest, *, user: Any, by: Any, now: dt.datetime | None = None
) -> Booking:
    """Book for someone who came to the counter or called (窓口で代理予約): `user` is their
    account, or None for someone without one (the clerk fills in the contact). The cut-off does
    not apply; every other rule does."""
    _ensure_may_manage(by, request.facility)
    with transaction.atomic():
        booking = services.book(request, user=user, by=by, now=now)
        record(
            AuditAction.CREATE,
            by=by,
            obj=booking,
            subject_user_id=booking.user_id,
            reason=COUNTER,
            changes={"fee_amount": booking.fee_amount, "payment": booking.payment},
        )
    return booking


def mark_paid(booking: Booking, *, by: Any) -> Booking:
    """The fee (or the cancellation fee) was paid at the counter: 窓口で支払い → 支払い済み."""
    _ensure_may_manage(by, booking.facility)
    with transaction.atomic():
        locked = _locked(booking)
        if locked.payment == PaymentState.PAID:
            raise ValidationError(_("この予約の使用料は、すでに支払い済みです。"), code="paid")
        owed = (
            locked.fee_amount
            if locked.status == Booking.Status.CONFIRMED
            else locked.cancellation_fee
        )
        if locked.payment != PaymentState.AT_COUNTER or not owed:
            raise ValidationError(
                _("この予約には、窓口で受け取る使用料がありません。"), code="nothing_due"
            )
        locked.payment = PaymentState.PAID
        locked.updated_at = timezone.now()
        locked.save(update_fields=["payment", "updated_at"])
        record(
            AuditAction.UPDATE,
            by=by,
            obj=locked,
            subject_user_id=locked.user_id,
            changes={"payment": [PaymentState.AT_COUNTER, PaymentState.PAID], "amount": owed},
        )
    return locked


def decide_reduction(booking: Booking, *, approve: bool, reason: str, by: Any) -> Booking:
    """Approve or refuse the reduction (減免) the booker asked for, and tell them why.

    The fee is worked out again with the booking's own fee table (the version it was priced
    with), so the amount is exactly what the booker was shown: approved, the reduced total;
    refused, the full fee. A reduction to nothing leaves nothing to pay. Decided before the fee is
    paid, since a refund is an accounting procedure of its own."""
    _ensure_may_manage(by, booking.facility)
    reason = _reason(
        reason,
        if_empty=_("承認または不承認の理由を書いてください（申請者に伝わります）。"),
    )
    with transaction.atomic():
        locked = _locked(booking)
        if locked.reduction != Booking.Reduction.REQUESTED:
            raise ValidationError(
                _("この予約に、決めていない減免の申請はありません。"), code="decided"
            )
        if locked.status != Booking.Status.CONFIRMED:
            raise ValidationError(_("取り消した予約の減免は決められません。"), code="cancelled")
        if locked.payment == PaymentState.PAID:
            raise ValidationError(
                _("使用料が支払い済みのため、減免は決められません。還付の手続きをしてください。"),
                code="paid",
            )
        if locked.fee_schedule is None:
            raise ValidationError(_("この予約には使用料がありません。"), code="no_fee")
        slot = calendar.fixed_slot(locked.facility, locked.start, locked.end)
        try:
            quote = fees.quote(
                locked.fee_schedule.rules,
                unit_code=locked.unit.code,
                start=locked.start,
                end=locked.end,
                slot_code=slot.code if slot else None,
                resident=locked.resident_rate,
                options=list(locked.options),
                reduction_code=locked.reduction_code if approve else "",
            )
        except ValueError as error:
            raise ValidationError(str(error), code="fee") from error
        before = locked.fee_amount
        amount = quote.reduced_total if approve and quote.reduced_total is not None else quote.total
        locked.reduction = Booking.Reduction.APPROVED if approve else Booking.Reduction.REFUSED
        locked.fee_amount = amount
        locked.fee_lines = fees.lines_as_json(quote)
        if not amount:
            locked.payment = PaymentState.NONE
            locked.pay_by = None
        locked.updated_at = timezone.now()
        locked.save()
        record(
            AuditAction.UPDATE,
            by=by,
            obj=locked,
            subject_user_id=locked.user_id,
            reason=reason,
            changes={
                "reduction": [Booking.Reduction.REQUESTED, locked.reduction],
                "fee_amount": [before, amount],
            },
        )
        services.tell(
            locked,
            "reservations.reduction_approved" if approve else "reservations.reduction_refused",
            reason=reason,
        )
    return locked


def cancel_booking(booking: Booking, *, by: Any, reason: str, waive_fee: bool) -> Booking:
    """Cancel a booking for the booker or because the town needs the facility; the booker is told.
    `waive_fee` keeps no cancellation fee (取消料の免除), e.g. when the town closes the facility."""
    _ensure_may_manage(by, booking.facility)
    reason = _reason(reason, if_empty=_("取り消す理由を書いてください（予約した方に伝わります）。"))
    with transaction.atomic():
        cancelled = services.cancel(booking, by=by, reason=reason, waive_fee=waive_fee)
        record(
            AuditAction.UPDATE,
            by=by,
            obj=cancelled,
            subject_user_id=cancelled.user_id,
            reason=reason,
            changes={
                "status": [Booking.Status.CONFIRMED, Booking.Status.CANCELLED],
                "cancellation_fee": cancelled.cancellation_fee,
                "waive_fee": waive_fee,
            },
        )
    return cancelled


def close_facility(
    facility: Facility, *, kind: str, start: dt.datetime, end: dt.datetime, reason: str, by: Any
) -> Closure:
    """Stop bookings for a period (休館・点検・町の使用); refused over bookings (see
    `services.add_closure`)."""
    _ensure_may_manage(by, facility)
    with transaction.atomic():
        closure = services.add_closure(
            facility, kind=kind, start=start, end=end, reason=reason, by=by
        )
        record(
            AuditAction.CREATE,
            by=by,
            obj=closure,
            changes={"start": start.isoformat(), "end": end.isoformat(), "kind": kind},
        )
    return closure


def reopen(closure: Closure, *, by: Any) -> None:
    """Remove a closure: its period can be booked again."""
    _ensure_may_manage(by, closure.facility)
    with transaction.atomic():
        record(
            AuditAction.DELETE,
            by=by,
            obj=closure,
            changes={"start": closure.start.isoformat(), "end": closure.end.isoformat()},
        )
        services.remove_closure(closure)


def _jsonable(value: Any) -> Any:
    return value if isinstance(value, str | int | bool | list | dict | None) else str(value)


def change_facility(facility: Facility, *, values: dict[str, Any], by: Any) -> list[str]:
    """Change a facility's settings (hours, slots, windows, cut-off, limits). Bookings already
    made keep their period and fee. Returns the problems the fee table in force now has with the
    new units and time slots (a slot renamed or added): staff then add a new fee table version."""
    _ensure_may_manage(by, facility)
    with transaction.atomic():
        locked = Facility.objects.select_for_update().get(pk=facility.pk)
        changed = {
            name: [_jsonable(getattr(locked, name)), _jsonable(value)]
            for name, value in values.items()
            if getattr(locked, name) != value
        }
        for name, value in values.items():
            setattr(locked, name, value)
        locked.full_clean()
        locked.save()
        if changed:
            record(AuditAction.UPDATE, by=by, obj=locked, changes=changed)
    schedule = services.fee_schedule(locked, calendar.today())
    if schedule is None:
        return []
    return fees.check_rules(
        schedule.rules, unit_codes=unit_codes(locked), slot_codes=slot_codes(locked)
    )


def unit_codes(facility: Facility) -> set[str]:
    return set(facility.units.values_list("code", flat=True))


def slot_codes(facility: Facility) -> set[str]:
    return {slot["code"] for slot in facility.fixed_slots} if facility.mode == "slots" else set()


def add_fee_schedule(
    facility: Facility,
    *,
    valid_from: dt.date,
    rules: Any,
    by: Any,
    today: dt.date | None = None,
) -> FeeSchedule:
    """Add the next version of a facility's fee table (料金表), for uses from `valid_from`
    (today or later: a version never reprices what was already booked, and past versions stay as
    they were). The rules are checked against the facility's units and time slots."""
    _ensure_may_manage(by, facility)
    today = today or calendar.today()
    if valid_from < today:
        raise ValidationError(
            {"valid_from": _("適用開始日は今日以降にしてください。")}, code="past"
        )
    problems = fees.check_rules(
        rules, unit_codes=unit_codes(facility), slot_codes=slot_codes(facility)
    )
    if problems:
        raise ValidationError({"rules": problems}, code="rules")
    with transaction.atomic():
        # Locks the facility so two clerks saving at once get versions n and n + 1.
        Facility.objects.select_for_update().get(pk=facility.pk)
        last = FeeSchedule.objects.filter(facility=facility).aggregate(last=Max("version"))["last"]
        schedule = FeeSchedule.objects.create(
            facility=facility,
            version=(last or 0) + 1,
            valid_from=valid_from,
            rules=rules,
            created_by=by,
        )
        record(
            AuditAction.CREATE,
            by=by,
            obj=schedule,
            changes={"version": schedule.version, "valid_from": valid_from.isoformat()},
        )
    return schedule
