"""Booking, changing and cancelling (予約・変更・取り消し), and closing facilities.

Every rule a booking must meet is checked here, inside the transaction that writes it; the last
word on "is it free?" belongs to the database (see `models.Occupancy`): two people asking for the
same slot at the same moment both pass the checks, and the database lets exactly one insert its
occupancy. The other gets `SlotTaken`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from yakuba.modules.reservations import availability, calendar, fees
from yakuba.modules.reservations.models import (
    Booking,
    BookingMode,
    Closure,
    Facility,
    FeeSchedule,
    Group,
    Occupancy,
    Unit,
)
from yakuba.platform import notify
from yakuba.platform.accounts.models import ResidentProfile, StaffMember
from yakuba.platform.payments.collectors import FeeDue, PaymentState, fee_collector

User = get_user_model()


class SlotTaken(ValidationError):
    """Someone else has the period (or part of it): 「すでに予約が入っています」."""


def is_town_resident(user: Any) -> bool:
    """Whether the town's rate and booking window apply (町内): the resident's profile places them
    in one of the town's districts. Staff check it at the counter when the key is handed over."""
    return ResidentProfile.objects.filter(user=user, district__isnull=False).exists()


def resident_rate(user: Any, group: Group | None) -> bool:
    """A group books at the rate its registration was approved with; a person by their profile."""
    if group is not None:
        return group.in_town
    return is_town_resident(user)


def _resident(request: BookingRequest, user: Any) -> bool:
    """Whether the town's rate and booking window apply to `request`."""
    if user is None:
        return request.in_town
    return resident_rate(user, request.group)


def may_manage(user: Any, facility: Facility) -> bool:
    """Staff of the facility's department (担当課), or a superuser."""
    if user.is_superuser:
        return True
    return (
        bool(user.is_staff)
        and StaffMember.objects.filter(user=user, department_id=facility.department_id).exists()
    )


def fee_schedule(facility: Facility, day: dt.date) -> FeeSchedule | None:
    """The fee table in force for a use on `day`; None for a facility without fees."""
    return (
        FeeSchedule.objects.filter(facility=facility, valid_from__lte=day)
        .order_by("-valid_from", "-version")
        .first()
    )


@dataclass
class BookingRequest:
    """What a resident (or a clerk for them) asks for."""

    unit: Unit
    start: dt.datetime
    end: dt.datetime
    purpose: str
    attendees: int
    contact_name: str
    contact_phone: str = ""
    purpose_detail: str = ""
    options: list[str] = field(default_factory=list)
    reduction_code: str = ""
    reduction_note: str = ""
    group: Group | None = None
    # At the counter, for someone without an account (user=None): the clerk saw on an identity
    # document that they live in the town (町内料金・町内の予約期間).
    in_town: bool = False

    @property
    def facility(self) -> Facility:
        return self.unit.facility

    @property
    def day(self) -> dt.date:
        return timezone.localtime(self.start, calendar.TOKYO).date()


def _check_period(request: BookingRequest) -> calendar.Period | None:
    """The fixed slot booked (SLOTS), or None for a free range; refuses a period the facility
    does not offer that day."""
    facility, start, end = request.facility, request.start, request.end
    if end <= start:
        raise ValidationError(_("終わりの時刻は、始まりより後にしてください。"), code="period")
    if facility.mode == BookingMode.SLOTS:
        slot = calendar.fixed_slot(facility, start, end)
        if slot is None:
            raise ValidationError(_("この施設の時間帯から選んでください。"), code="period")
        return slot
    hours = calendar.opening(facility, request.day)
    if hours is None or start < hours[0] or end > hours[1]:
        raise ValidationError(_("利用できる時間の中で選んでください。"), code="period")
    step = dt.timedelta(minutes=facility.step_minutes)
    if (start - hours[0]) % step or (end - start) % step:
        raise ValidationError(
            _("%(minutes)s分単位で選んでください。") % {"minutes": facility.step_minutes},
            code="period",
        )
    minutes = (end - start) // dt.timedelta(minutes=1)
    if not facility.min_minutes <= minutes <= facility.max_minutes:
        raise ValidationError(
            _("利用時間は%(min)s分から%(max)s分までです。")
            % {"min": facility.min_minutes, "max": facility.max_minutes},
            code="period",
        )
    return None


def _check_window(
    request: BookingRequest, *, resident: bool, at_counter: bool, now: dt.datetime
) -> None:
    facility = request.facility
    if request.start <= now:
        raise ValidationError(_("過ぎた時間は予約できません。"), code="past")
    cutoff = now + dt.timedelta(hours=facility.cutoff_hours)
    if request.start < cutoff and not at_counter:
        raise ValidationError(
            _(
                "利用の%(hours)s時間前を過ぎたため、ネットでは予約できません。"
                "施設の窓口か電話でご相談ください。"
            )
            % {"hours": facility.cutoff_hours},
            code="cutoff",
        )
    opens_on = calendar.booking_opens_on(facility, request.day, resident=resident)
    if timezone.localtime(now, calendar.TOKYO).date() < opens_on:
        raise ValidationError(
            _("この日の予約は%(date)sから受け付けます。")
            % {"date": date_format(opens_on, "DATE_FORMAT")},
            code="not_yet",
        )


def _check_booker(request: BookingRequest, user: Any) -> None:
    facility, group = request.facility, request.group
    capacity = request.unit.capacity or facility.capacity
    if request.attendees < 1:
        raise ValidationError(_("利用人数を1人以上で書いてください。"), code="attendees")
    if capacity and request.attendees > capacity:
        raise ValidationError(
            _("この施設の定員は%(capacity)s人です。") % {"capacity": capacity},
            code="attendees",
        )
    if group is not None and (
        user is None
        or group.status != Group.Status.APPROVED
        or not (group.representative_id == user.pk or group.members.filter(pk=user.pk).exists())
    ):
        raise ValidationError(_("登録済みの、あなたが会員の団体で予約してください。"), code="group")


def _check_monthly_limit(request: BookingRequest, user: Any) -> None:
    """At most N bookings in a month of use per person, or per group when booking as one. The
    booker's row is locked first, so two bookings of the same person at the same moment are
    counted one after the other."""
    facility = request.facility
    if not facility.max_bookings_per_month or (user is None and request.group is None):
        # Someone without an account has nothing to count by: the clerk checks at the counter.
        return
    if request.group is not None:
        Group.objects.select_for_update().get(pk=request.group.pk)
        mine = Booking.objects.filter(group=request.group)
    else:
        User.objects.select_for_update().get(pk=user.pk)
        mine = Booking.objects.filter(user=user, group__isnull=True)
    first = calendar.months_before(request.day, 0)
    after = calendar.months_before(request.day, -1)
    count = mine.filter(
        facility=facility,
        status=Booking.Status.CONFIRMED,
        start__gte=calendar.at(first, dt.time(0)),
        start__lt=calendar.at(after, dt.time(0)),
    ).count()
    if count >= facility.max_bookings_per_month:
        raise ValidationError(
            _("この施設の予約は、一か月に%(count)s件までです。")
            % {"count": facility.max_bookings_per_month},
            code="monthly_limit",
        )


def quote(request: BookingRequest, *, user: Any) -> tuple[FeeSchedule | None, fees.Quote | None]:
    """The fee for `request` exactly as `book` will charge it (None for a facility without fees)."""
    schedule = fee_schedule(request.facility, request.day)
    if schedule is None:
        return None, None
    slot = calendar.fixed_slot(request.facility, request.start, request.end)
    try:
        found = fees.quote(
            schedule.rules,
            unit_code=request.unit.code,
            start=request.start,
            end=request.end,
            slot_code=slot.code if slot else None,
            resident=_resident(request, user),
            options=request.options,
            reduction_code=request.reduction_code,
        )
    except ValueError as error:
        raise ValidationError(str(error), code="fee") from error
    return schedule, found


def _check_purpose(request: BookingRequest) -> None:
    if request.purpose not in request.facility.purposes:
        raise ValidationError(_("この施設の利用目的から選んでください。"), code="purpose")


def _check_not_in_lottery(request: BookingRequest, *, now: dt.datetime) -> None:
    """A month a lottery decides (抽選) is not booked first come, not even at the counter, until
    the round's confirmation deadline (`availability.lottery_months`)."""
    held = availability.lottery_months(request.facility, request.day, request.day, now=now)
    lottery = held.get(request.day.replace(day=1))
    if lottery is not None:
        confirm_by = timezone.localtime(lottery.confirm_by, calendar.TOKYO)
        raise ValidationError(
            _(
                "この月の利用は抽選（%(title)s）で決めます。抽選に申し込んでください。"
                "先着順の予約は、抽選のあと%(date)sから受け付けます。"
            )
            % {
                "title": lottery.title,
                "date": f"{date_format(confirm_by, 'DATE_FORMAT')} {confirm_by:%H:%M}",
            },
            code="lottery",
        )


def check_wish(request: BookingRequest, *, user: Any) -> None:
    """The rules a lottery wish (抽選の希望) meets: those of `check` but the booking window and
    the cut-off, which the round's own application period replaces."""
    _check_purpose(request)
    _check_period(request)
    _check_booker(request, user)


def check(
    request: BookingRequest, *, user: Any, at_counter: bool = False, now: dt.datetime | None = None
) -> None:
    """Every rule but "is it free", for the confirmation page; raises `ValidationError`."""
    now = now or timezone.now()
    _check_purpose(request)
    _check_period(request)
    _check_not_in_lottery(request, now=now)
    _check_window(request, resident=_resident(request, user), at_counter=at_counter, now=now)
    _check_booker(request, user)
    if request.reduction_code and not request.reduction_note.strip():
        raise ValidationError(_("減免を申請する理由を書いてください。"), code="reduction")


def _occupy(
    booking: Booking | None,
    closure: Closure | None,
    unit_ids: set[int],
    start: dt.datetime,
    end: dt.datetime,
) -> None:
    try:
        with transaction.atomic():
            Occupancy.objects.bulk_create(
                Occupancy(unit_id=unit_id, start=start, end=end, booking=booking, closure=closure)
                for unit_id in sorted(unit_ids)
            )
    except IntegrityError as error:
        raise SlotTaken(
            _("申し訳ありません。この時間は、すでに予約が入っています。別の時間を選んでください。"),
            code="taken",
        ) from error


def _leaves(unit: Unit) -> set[int]:
    return availability.leaf_ids(list(Unit.objects.filter(facility_id=unit.facility_id)))[unit.pk]


def booking_url(booking: Booking) -> str:
    return reverse("reservations:booking", args=[booking.pk])


def book(
    request: BookingRequest,
    *,
    user: Any,
    by: Any = None,
    now: dt.datetime | None = None,
) -> Booking:
    """Book `request` for `user` (予約する). `by` is the clerk booking at the counter for them:
    the cut-off does not apply to the counter. Raises `ValidationError` for a broken rule and
    `SlotTaken` when someone else has the period; nothing is saved then."""
    now = now or timezone.now()
    facility = request.facility
    at_counter = by is not None
    if user is None and not at_counter:
        raise ValidationError(_("予約する方のアカウントが必要です。"), code="no_user")
    if not facility.is_public and not at_counter:
        raise ValidationError(_("この施設はネットで予約できません。"), code="not_public")
    with transaction.atomic():
        check(request, user=user, at_counter=at_counter, now=now)
        _check_monthly_limit(request, user)
        booking = create_booking(
            request, user=user, by=by, status=Booking.Status.CONFIRMED, now=now
        )
        request_payment(booking)
        tell(booking, "reservations.booked")
    return booking


def pay_by(facility: Facility, day: dt.date, now: dt.datetime) -> dt.datetime:
    """The payment deadline (支払期限) of a use on `day`: 17:00, `pay_days_before` days before,
    or at once when that has passed."""
    deadline = calendar.at(day - dt.timedelta(days=facility.pay_days_before), dt.time(17, 0))
    return max(deadline, now)


def create_booking(
    request: BookingRequest, *, user: Any, by: Any, status: str, now: dt.datetime
) -> Booking:
    """Write `request` as a booking priced exactly as `quote` says, with its occupancy; raises
    `SlotTaken` when the period is not free. No rule is checked here: `book` checks them first,
    the lottery's draw (`lottery.draw`) checked them when the wish was made. Call it inside a
    transaction."""
    facility = request.facility
    schedule, found = quote(request, user=user)
    total = found.total if found else 0
    booking = Booking.objects.create(
        facility=facility,
        unit=request.unit,
        start=request.start,
        end=request.end,
        user=user,
        group=request.group,
        booked_by=by,
        contact_name=request.contact_name.strip(),
        contact_phone=request.contact_phone.strip(),
        purpose=request.purpose,
        purpose_detail=request.purpose_detail.strip(),
        attendees=request.attendees,
        options=sorted(request.options),
        resident_rate=_resident(request, user),
        fee_schedule=schedule,
        fee_lines=fees.lines_as_json(found) if found else [],
        fee_amount=total,
        reduction=Booking.Reduction.REQUESTED if request.reduction_code else Booking.Reduction.NONE,
        reduction_code=request.reduction_code,
        reduction_note=request.reduction_note.strip(),
        pay_by=pay_by(facility, request.day, now) if total else None,
        status=status,
        created_at=now,
        updated_at=now,
    )
    _occupy(booking, None, _leaves(request.unit), request.start, request.end)
    return booking


def request_payment(booking: Booking) -> None:
    """Ask the town's fee collector for the booking's fee, if it has one (支払いの依頼)."""
    if booking.fee_amount:
        booking.payment = fee_collector().request(_fee_due(booking))
        booking.save(update_fields=["payment"])


def _fee_due(booking: Booking) -> FeeDue:
    return FeeDue(
        reference=f"reservations:{booking.pk}",
        amount=booking.fee_amount,
        description=f"{booking.facility.name} {booking.unit.name} "
        f"{timezone.localtime(booking.start, calendar.TOKYO):%Y-%m-%d %H:%M}",
        payer_id=booking.user_id,
        due_by=booking.pay_by,
    )


def tell(booking: Booking, kind: str, **extra: str) -> None:
    """Notify the booker (`notify` kind `kind`) with the booking's facility, time, number and fee;
    nobody to tell for a booking made at the counter for someone without an account."""
    if booking.user is None:
        return
    start = timezone.localtime(booking.start, calendar.TOKYO)
    notify.send(
        kind,
        to=booking.user,
        context={
            "facility": f"{booking.facility.name} {booking.unit.name}",
            "when": f"{date_format(start, 'DATE_FORMAT')} {start:%H:%M}–"
            f"{timezone.localtime(booking.end, calendar.TOKYO):%H:%M}",
            "number": booking.number,
            "fee": f"{booking.fee_amount:,}",
            **extra,
        },
        link_url=booking_url(booking),
    )


def cancellation_fee(booking: Booking, *, now: dt.datetime | None = None) -> int:
    """What is kept if `booking` is cancelled now (取消料), by the rules it was priced with."""
    if booking.fee_schedule is None or not booking.fee_amount:
        return 0
    now = now or timezone.now()
    return fees.cancellation_fee(
        booking.fee_schedule.rules,
        charged=booking.fee_amount,
        use_date=timezone.localtime(booking.start, calendar.TOKYO).date(),
        cancelled_on=timezone.localtime(now, calendar.TOKYO).date(),
    )


def may_cancel(booking: Booking, *, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return booking.status == Booking.Status.CONFIRMED and booking.start > now


def cancel(
    booking: Booking,
    *,
    by: Any,
    reason: str = "",
    waive_fee: bool = False,
    now: dt.datetime | None = None,
) -> Booking:
    """Cancel (取り消す) and free the period at once. The cancellation fee follows the booking's
    own fee table; staff may waive it (`waive_fee`), e.g. when the town closes the facility."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("fee_schedule")
            .get(pk=booking.pk)
        )
        if not may_cancel(locked, now=now):
            raise ValidationError(
                _("この予約は、取り消せません（取り消し済みか、利用の時間を過ぎています）。"),
                code="not_cancellable",
            )
        locked.status = Booking.Status.CANCELLED
        locked.cancelled_at = now
        locked.cancelled_by = by
        locked.cancel_reason = reason.strip()[:200]
        locked.cancellation_fee = 0 if waive_fee else cancellation_fee(locked, now=now)
        if locked.payment == PaymentState.AT_COUNTER and not locked.cancellation_fee:
            locked.payment = PaymentState.NONE  # nothing left to pay at the counter
        locked.updated_at = now
        locked.save()
        Occupancy.objects.filter(booking=locked).delete()
        tell(
            locked,
            "reservations.cancelled",
            cancellation_fee=f"{locked.cancellation_fee:,}",
            reason=locked.cancel_reason or "—",
        )
    return locked


def release_unpaid(*, now: dt.datetime | None = None) -> list[Booking]:
    """Cancel the bookings whose fee was still to be paid at the counter when its deadline
    (`pay_by`, 支払期限) passed, and free their periods for others (未納による取り消し). A booking
    paid, free of charge, waiting for a decision on a reduction (減免の申請中) or already begun is
    never touched; no cancellation fee is charged, since nothing was paid. Each booking is locked
    and checked again before it is cancelled, so a payment taken at the counter at the same
    moment wins. Run by the `reservations_lottery` command."""
    now = now or timezone.now()
    due = Q(
        status=Booking.Status.CONFIRMED,
        payment=PaymentState.AT_COUNTER,
        fee_amount__gt=0,
        pay_by__lt=now,
        start__gt=now,
    ) & ~Q(reduction=Booking.Reduction.REQUESTED)
    released = []
    for pk in Booking.objects.filter(due).values_list("pk", flat=True):
        with transaction.atomic():
            locked = (
                Booking.objects.select_for_update(of=("self",))
                .select_related("facility", "unit", "user")
                .filter(due, pk=pk)
                .first()
            )
            if locked is None:
                continue
            locked.status = Booking.Status.CANCELLED
            locked.cancelled_at = now
            locked.cancel_reason = _("支払いの期限を過ぎたため")
            locked.cancellation_fee = 0
            locked.updated_at = now
            locked.save()
            Occupancy.objects.filter(booking=locked).delete()
            tell(locked, "reservations.unpaid_released")
            released.append(locked)
    return released


def add_closure(
    facility: Facility,
    *,
    kind: str,
    start: dt.datetime,
    end: dt.datetime,
    reason: str,
    by: Any,
) -> Closure:
    """Stop bookings of the whole facility for a period (休館・点検・町の使用). Refused while
    bookings hold part of it: staff cancel those first, so that nobody loses a booking unseen."""
    if end <= start:
        raise ValidationError(_("終わりの日時は、始まりより後にしてください。"), code="period")
    with transaction.atomic():
        closure = Closure.objects.create(
            facility=facility, kind=kind, start=start, end=end, reason=reason.strip(), created_by=by
        )
        leaves = availability.leaf_ids(list(facility.units.all()))
        unit_ids = set().union(*leaves.values()) if leaves else set()
        try:
            _occupy(None, closure, unit_ids, start, end)
        except SlotTaken as error:
            numbers = ", ".join(b.number for b in bookings_overlapping(facility, start, end))
            raise ValidationError(
                _("この期間には予約があります（予約番号: %(numbers)s）。先に取り消してください。")
                % {"numbers": numbers or "—"},
                code="booked",
            ) from error
    return closure


def remove_closure(closure: Closure) -> None:
    closure.delete()


def bookings_overlapping(
    facility: Facility, start: dt.datetime, end: dt.datetime
) -> QuerySet[Booking]:
    return Booking.objects.filter(
        facility=facility, status=Booking.Status.CONFIRMED, start__lt=end, end__gt=start
    ).order_by("start")


def moved_request(
    booking: Booking, *, unit: Unit, start: dt.datetime, end: dt.datetime
) -> BookingRequest:
    """The same booking asked for at another unit or period (予約の変更)."""
    return BookingRequest(
        unit=unit,
        start=start,
        end=end,
        purpose=booking.purpose,
        attendees=booking.attendees,
        contact_name=booking.contact_name,
        contact_phone=booking.contact_phone,
        purpose_detail=booking.purpose_detail,
        options=list(booking.options),
        reduction_code=booking.reduction_code,
        reduction_note=booking.reduction_note,
        group=booking.group,
        # Someone without an account keeps the rate the clerk gave them when booking.
        in_town=booking.resident_rate,
    )


def change_booking(
    booking: Booking,
    *,
    unit: Unit,
    start: dt.datetime,
    end: dt.datetime,
    by: Any,
    now: dt.datetime | None = None,
) -> Booking:
    """Move a booking to another unit or period of the same facility (予約の変更).

    The old period is freed and the new one taken in one transaction, so the booker never holds
    neither or both: when the new period is taken (`SlotTaken`) or breaks a rule, nothing
    changes. The fee is worked out again with the fee table in force for the new day; a booking
    already paid may change online only when its fee stays the same (a refund or a further
    payment is settled at the counter). `by` other than the booker is a clerk at the counter."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        at_counter = by is not None and by.pk != locked.user_id
        if not may_cancel(locked, now=now):
            raise ValidationError(
                _("この予約は、変更できません（取り消し済みか、利用の時間を過ぎています）。"),
                code="not_changeable",
            )
        if unit.facility_id != locked.facility_id:
            raise ValidationError(_("同じ施設の中で選んでください。"), code="facility")
        if not locked.facility.is_public and not at_counter:
            raise ValidationError(_("この施設はネットで予約できません。"), code="not_public")
        request = moved_request(locked, unit=unit, start=start, end=end)
        user = locked.user
        check(request, user=user, at_counter=at_counter, now=now)
        old_day = timezone.localtime(locked.start, calendar.TOKYO).date()
        if calendar.months_before(old_day, 0) != calendar.months_before(request.day, 0):
            # Within the same month the booking is already counted; moved to another, it counts there.
            _check_monthly_limit(request, user)
        schedule, found = quote(request, user=user)
        total = 0
        if found is not None:
            approved = locked.reduction == Booking.Reduction.APPROVED
            total = (
                found.reduced_total if approved and found.reduced_total is not None else found.total
            )
        if locked.payment == PaymentState.PAID and total != locked.fee_amount:
            raise ValidationError(
                _("お支払い済みの予約です。料金が変わる変更は、施設の窓口か電話でご相談ください。"),
                code="paid",
            )
        Occupancy.objects.filter(booking=locked).delete()
        _occupy(locked, None, _leaves(unit), start, end)
        locked.unit = unit
        locked.start = start
        locked.end = end
        locked.resident_rate = _resident(request, user)
        locked.fee_schedule = schedule
        locked.fee_lines = fees.lines_as_json(found) if found else []
        locked.fee_amount = total
        locked.pay_by = pay_by(locked.facility, request.day, now) if total else None
        locked.updated_at = now
        if locked.payment != PaymentState.PAID:
            locked.payment = (
                fee_collector().request(_fee_due(locked)) if total else PaymentState.NONE
            )
        locked.save()
        tell(locked, "reservations.changed")
    return locked
