"""Lotteries (抽選) for popular facilities, in the monthly cycle of Japanese municipal systems:
staff create a round for a month of use → residents and groups apply with ranked wishes →
the draw → winners confirm by a deadline → unconfirmed wins are released → first come.

While a round is open, and after its draw until `confirm_by`, its facilities' days in the month
are not booked first come (`availability.lottery_months`, `services._check_not_in_lottery`).

**Commit and reveal.** The seed is 32 random bytes from `secrets`, written as 64 hexadecimal
characters when the round is created; the round's page shows its SHA-256 from that moment on and
the seed itself after the draw. Nobody — staff included — can choose a seed that favours someone
once the entries are in, and anyone can check the seed against the hash published beforehand.

**The draw** (`draw_order`, then `allocate`), the same on every run with the same seed:

1. The entries taking part are those not withdrawn (withdrawing closes with the applications).
   Their numbers (ids), sorted ascending, are shuffled by Fisher–Yates driven by Python's
   `random.Random(seed)` (Mersenne Twister seeded with the seed string):
   for i from n−1 down to 1, j = `randrange(i + 1)`, swap positions i and j.
2. For rank 1, then 2, … up to `max_wishes`, in that order of entries, each entry that has not
   won yet is given its wish of that rank when (a) every smallest unit (leaf) of the wished unit
   is free for the period — neither booked, closed nor given earlier in the draw, so a whole
   floor and its halves are never given twice — and (b) the applicant (the group, else the
   person) holds fewer than `max_wins_per_slot` wins whose periods overlap the wish's.
3. Each entry wins at most once. Every win becomes a tentative booking (当選・確定待ち) priced
   as `services.book` prices it; every other wish is lost (落選).

So every first wish is served before any second wish, and among equal ranks the shuffled order
decides: with N entries wanting one slot as their first wish, each wins with probability 1/N.

Winners confirm (確定) before `confirm_by`: the booking becomes an ordinary one and its fee is
requested like any booking's; or they decline (辞退). After the deadline `finish` releases what
was not confirmed and the round ends. `run_due` does every step that is due and is what the
`reservations_lottery` command runs from cron; every step is idempotent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from yakuba.modules.reservations import availability, calendar, services
from yakuba.modules.reservations.models import (
    Booking,
    Facility,
    Group,
    LotteryEntry,
    LotteryRound,
    LotteryWish,
    Occupancy,
    Unit,
)
from yakuba.platform import notify
from yakuba.platform.audit.models import AuditAction
from yakuba.platform.audit.services import record

# What staff may set a round's limits to (the form and the service agree on them).
MAX_WISHES = 10
MAX_ENTRIES = 10
MAX_WINS_PER_SLOT = 10


# --- the seed: commit, then reveal ----------------------------------------------------------------


def new_seed() -> str:
    """64 hexadecimal characters from the operating system's secure random source."""
    return secrets.token_hex(32)


def seed_sha256(seed: str) -> str:
    """The hash published before the draw: SHA-256 of the seed's ASCII text, in hexadecimal."""
    return hashlib.sha256(seed.encode("ascii")).hexdigest()


# --- the draw itself (pure: no database) ----------------------------------------------------------


def draw_order(entry_ids: Iterable[int], seed: str) -> list[int]:
    """The entries' order for the draw: their numbers sorted ascending, shuffled by Fisher–Yates
    with `random.Random(seed)`."""
    order = sorted(entry_ids)
    # Reproducible from the published seed by design; the secrecy is the seed's (`secrets`).
    rng = random.Random(seed)  # noqa: S311
    for i in range(len(order) - 1, 0, -1):
        j = rng.randrange(i + 1)
        order[i], order[j] = order[j], order[i]
    return order


@dataclass(frozen=True)
class Wish:
    """A wish as the draw sees it: `leaves` are the smallest units the wished unit takes;
    `applicant` is "group:<id>" or "user:<id>"."""

    entry: int
    rank: int
    applicant: str
    leaves: frozenset[int]
    start: dt.datetime
    end: dt.datetime
    id: int = 0


def _overlaps(a_start: dt.datetime, a_end: dt.datetime, b: Wish) -> bool:
    return a_start < b.end and b.start < a_end


def allocate(
    order: Sequence[int],
    wishes: Iterable[Wish],
    *,
    max_wishes: int,
    max_wins_per_slot: int,
    taken: Iterable[tuple[int, dt.datetime, dt.datetime]] = (),
) -> list[Wish]:
    """The winning wishes, in the order they were given (see the module's docstring). `taken`
    lists (leaf unit id, start, end) already occupied by bookings and closures."""
    by_entry_rank = {(wish.entry, wish.rank): wish for wish in wishes}
    busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for leaf, start, end in taken:
        busy[leaf].append((start, end))
    won_entries: set[int] = set()
    wins: list[Wish] = []
    wins_of: dict[str, list[Wish]] = defaultdict(list)
    for rank in range(1, max_wishes + 1):
        for entry in order:
            wish = by_entry_rank.get((entry, rank))
            if wish is None or entry in won_entries:
                continue
            is_free = not any(
                _overlaps(start, end, wish) for leaf in wish.leaves for start, end in busy[leaf]
            )
            held = sum(_overlaps(w.start, w.end, wish) for w in wins_of[wish.applicant])
            if not is_free or held >= max_wins_per_slot:
                continue
            wins.append(wish)
            won_entries.add(entry)
            wins_of[wish.applicant].append(wish)
            for leaf in wish.leaves:
                busy[leaf].append((wish.start, wish.end))
    return wins


# --- rounds ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundDetails:
    """What staff set when they create a round."""

    title: str
    facilities: list[Facility]
    use_month: dt.date
    applications_open: dt.datetime
    applications_close: dt.datetime
    confirm_by: dt.datetime
    max_wishes: int = 3
    max_entries_per_group: int = 1
    max_wins_per_slot: int = 1


def round_url(lottery: LotteryRound) -> str:
    return reverse("reservations:lottery_round", args=[lottery.pk])


def mine_url() -> str:
    return reverse("reservations:lottery_mine")


def may_manage_round(user: Any, lottery: LotteryRound) -> bool:
    """Staff who manage every facility of the round (their department's), or a superuser."""
    return all(services.may_manage(user, facility) for facility in lottery.facilities.all())


def month_start(lottery: LotteryRound) -> dt.datetime:
    return calendar.at(lottery.use_month, dt.time(0))


def month_end(lottery: LotteryRound) -> dt.datetime:
    return calendar.at(calendar.months_before(lottery.use_month, -1), dt.time(0))


def _check_round(details: RoundDetails, *, now: dt.datetime) -> list[ValidationError]:
    errors = []
    if not details.title.strip():
        errors.append(ValidationError(_("抽選の名称を書いてください。"), code="title"))
    if not details.facilities:
        errors.append(ValidationError(_("施設を一つ以上選んでください。"), code="facilities"))
    first_use = calendar.at(details.use_month.replace(day=1), dt.time(0))
    if not details.applications_open < details.applications_close:
        errors.append(
            ValidationError(
                _("申し込みの締め切りは、開始より後にしてください。"), code="applications_close"
            )
        )
    elif details.applications_close <= now:
        errors.append(
            ValidationError(
                _("申し込みの締め切りは、これから先の日時にしてください。"),
                code="applications_close",
            )
        )
    if not details.applications_close < details.confirm_by <= first_use:
        errors.append(
            ValidationError(
                _(
                    "当選の確定の期限は、申し込みの締め切りより後で、利用月の初日より前にしてください。"
                ),
                code="confirm_by",
            )
        )
    limits = (
        ("max_wishes", details.max_wishes, MAX_WISHES),
        ("max_entries_per_group", details.max_entries_per_group, MAX_ENTRIES),
        ("max_wins_per_slot", details.max_wins_per_slot, MAX_WINS_PER_SLOT),
    )
    for code, value, largest in limits:
        if not 1 <= value <= largest:
            errors.append(
                ValidationError(
                    _("1から%(max)sまでの数にしてください。") % {"max": largest}, code=code
                )
            )
    return errors


def create_round(details: RoundDetails, *, by: Any, now: dt.datetime | None = None) -> LotteryRound:
    """Create a round (抽選を作る) with a fresh seed, whose SHA-256 is public from now on. One
    round per facility and month: a second one for the same is refused."""
    now = now or timezone.now()
    if not all(services.may_manage(by, facility) for facility in details.facilities):
        raise PermissionDenied
    errors = _check_round(details, now=now)
    use_month = details.use_month.replace(day=1)
    clash = (
        Facility.objects.filter(
            pk__in=[f.pk for f in details.facilities], lottery_rounds__use_month=use_month
        )
        .distinct()
        .first()
    )
    if clash is not None:
        errors.append(
            ValidationError(
                _("%(facility)sには、この月の抽選がすでにあります。") % {"facility": clash.name},
                code="facilities",
            )
        )
    if errors:
        raise ValidationError(errors)
    seed = new_seed()
    with transaction.atomic():
        lottery = LotteryRound.objects.create(
            title=" ".join(details.title.split()),
            use_month=use_month,
            applications_open=details.applications_open,
            applications_close=details.applications_close,
            confirm_by=details.confirm_by,
            max_wishes=details.max_wishes,
            max_entries_per_group=details.max_entries_per_group,
            max_wins_per_slot=details.max_wins_per_slot,
            seed=seed,
            seed_sha256=seed_sha256(seed),
            created_by=by,
            created_at=now,
        )
        lottery.facilities.set(details.facilities)
        record(AuditAction.CREATE, by=by, obj=lottery, changes={"seed_sha256": lottery.seed_sha256})
    return lottery


def is_accepting(lottery: LotteryRound, *, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        lottery.status == LotteryRound.Status.OPEN
        and lottery.applications_open <= now < lottery.applications_close
    )


def published_seed(lottery: LotteryRound) -> str:
    """The seed once it may be shown (after the draw), else ""."""
    return lottery.seed if lottery.status != LotteryRound.Status.OPEN else ""


# --- entries --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WishChoice:
    """One wish as the applicant chose it."""

    unit: Unit
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class EntryDetails:
    purpose: str
    attendees: int
    contact_name: str
    contact_phone: str = ""
    purpose_detail: str = ""
    group: Group | None = None
    wishes: list[WishChoice] = field(default_factory=list)


def applicant_entries(lottery: LotteryRound, *, user: Any, group: Group | None) -> QuerySet[Any]:
    """The entries (not withdrawn) that count against one applicant's cap: the group's, or the
    person's own (without a group)."""
    entries = lottery.entries.filter(withdrawn_at__isnull=True)
    if group is not None:
        return entries.filter(group=group)
    return entries.filter(user=user, group__isnull=True)


def _request(
    entry: EntryDetails | LotteryEntry, wish: WishChoice | LotteryWish
) -> services.BookingRequest:
    return services.BookingRequest(
        unit=wish.unit,
        start=wish.start,
        end=wish.end,
        purpose=entry.purpose,
        attendees=entry.attendees,
        contact_name=entry.contact_name,
        contact_phone=entry.contact_phone,
        purpose_detail=entry.purpose_detail,
        group=entry.group,
    )


def _check_wishes(lottery: LotteryRound, details: EntryDetails, *, user: Any) -> None:
    if not details.wishes:
        raise ValidationError(_("第1希望を選んでください。"), code="wishes")
    if len(details.wishes) > lottery.max_wishes:
        raise ValidationError(
            _("希望は%(count)s件までです。") % {"count": lottery.max_wishes}, code="wishes"
        )
    facility_ids = set(lottery.facilities.values_list("pk", flat=True))
    seen = set()
    for rank, wish in enumerate(details.wishes, start=1):
        key = (wish.unit.pk, wish.start, wish.end)
        day = timezone.localtime(wish.start, calendar.TOKYO).date()
        try:
            if key in seen:
                raise ValidationError(_("同じ希望が二つあります。"), code="duplicate")
            seen.add(key)
            if wish.unit.facility_id not in facility_ids:
                raise ValidationError(_("この抽選の施設から選んでください。"), code="facility")
            if day.replace(day=1) != lottery.use_month:
                raise ValidationError(_("抽選の利用月の日を選んでください。"), code="day")
            request = _request(details, wish)
            services.check_wish(request, user=user)
            services.quote(request, user=user)
        except ValidationError as error:
            raise ValidationError(
                _("第%(rank)s希望: %(message)s")
                % {"rank": rank, "message": " ".join(error.messages)},
                code=f"wish{rank}",
            ) from error


def enter(
    lottery: LotteryRound, details: EntryDetails, *, user: Any, now: dt.datetime | None = None
) -> LotteryEntry:
    """Apply to a lottery (抽選に申し込む) as oneself or for an approved group one belongs to,
    with up to `max_wishes` ranked wishes, each a unit and a period the facility offers in the
    round's month. The applicant's entries are capped at `max_entries_per_group`. The round's
    row is locked while they are counted, so two entries sent at once are counted in turn and
    none slips in once the draw has begun."""
    now = now or timezone.now()
    closed = ValidationError(_("この抽選は、申し込みを受け付けていません。"), code="closed")
    if not is_accepting(lottery, now=now):
        raise closed
    if not details.contact_name.strip():
        raise ValidationError(_("利用者の氏名を書いてください。"), code="contact_name")
    _check_wishes(lottery, details, user=user)
    with transaction.atomic():
        locked = LotteryRound.objects.select_for_update().get(pk=lottery.pk)
        if not is_accepting(locked, now=now):
            raise closed
        count = applicant_entries(lottery, user=user, group=details.group).count()
        if count >= lottery.max_entries_per_group:
            raise ValidationError(
                _("この抽選への申し込みは、一人・一団体%(count)s件までです。")
                % {"count": lottery.max_entries_per_group},
                code="cap",
            )
        entry = LotteryEntry.objects.create(
            round=locked,
            user=user,
            group=details.group,
            purpose=details.purpose,
            purpose_detail=details.purpose_detail.strip(),
            attendees=details.attendees,
            contact_name=details.contact_name.strip(),
            contact_phone=details.contact_phone.strip(),
            created_at=now,
        )
        LotteryWish.objects.bulk_create(
            LotteryWish(entry=entry, rank=rank, unit=wish.unit, start=wish.start, end=wish.end)
            for rank, wish in enumerate(details.wishes, start=1)
        )
    return entry


def may_act(entry: LotteryEntry, user: Any) -> bool:
    """Who may withdraw an entry or confirm its win: whoever made it, and for a group entry the
    group's representative."""
    return entry.user_id == user.pk or (
        entry.group is not None and entry.group.representative_id == user.pk
    )


def entries_of(user: Any) -> QuerySet[LotteryEntry]:
    """The entries `user` made, and those of the groups they represent or belong to."""
    return (
        LotteryEntry.objects.filter(
            Q(user=user) | Q(group__representative=user) | Q(group__members=user)
        )
        .distinct()
        .select_related("round", "group")
        .order_by("-round__use_month", "-pk")
    )


def withdraw(entry: LotteryEntry, *, by: Any, now: dt.datetime | None = None) -> LotteryEntry:
    """Withdraw an entry (申し込みの取り下げ) while applications are open."""
    now = now or timezone.now()
    if not may_act(entry, by):
        raise PermissionDenied
    with transaction.atomic():
        locked = LotteryEntry.objects.select_for_update().select_related("round").get(pk=entry.pk)
        if locked.withdrawn_at is not None:
            raise ValidationError(_("この申し込みは、取り下げ済みです。"), code="withdrawn")
        if not is_accepting(locked.round, now=now):
            raise ValidationError(
                _("申し込みの締め切りを過ぎたため、取り下げられません。"), code="closed"
            )
        locked.withdrawn_at = now
        locked.save(update_fields=["withdrawn_at"])
    return locked


# --- the draw, in the database --------------------------------------------------------------------


def taking_part(lottery: LotteryRound) -> QuerySet[LotteryEntry]:
    """The entries the draw shuffles: every entry not withdrawn."""
    return lottery.entries.filter(withdrawn_at__isnull=True).order_by("pk")


def public_order(lottery: LotteryRound) -> list[int]:
    """The draw's order of entry numbers, once the seed is public; [] before."""
    seed = published_seed(lottery)
    if not seed:
        return []
    return draw_order(taking_part(lottery).values_list("pk", flat=True), seed)


def _applicant(entry: LotteryEntry) -> str:
    return f"group:{entry.group_id}" if entry.group_id else f"user:{entry.user_id}"


def draw(lottery: LotteryRound, *, now: dt.datetime | None = None, by: Any = None) -> bool:
    """Run the draw (抽選を行う) once applications have closed; True if it ran now, False if
    the round was drawn already (a second run changes nothing). Wins become tentative bookings;
    every applicant is told the result."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = LotteryRound.objects.select_for_update().get(pk=lottery.pk)
        if locked.status != LotteryRound.Status.OPEN:
            return False
        if now < locked.applications_close:
            raise ValidationError(
                _("申し込みの締め切りの前は、抽選できません。"), code="not_closed"
            )
        entries = {
            entry.pk: entry
            for entry in taking_part(locked)
            .select_related("user", "group")
            .prefetch_related("wishes__unit__facility")
        }
        leaves: dict[int, set[int]] = {}
        for facility in locked.facilities.all():
            leaves.update(availability.leaf_ids(list(facility.units.all())))
        taken = Occupancy.objects.filter(
            unit_id__in=set().union(*leaves.values()) if leaves else set(),
            start__lt=month_end(locked),
            end__gt=month_start(locked),
        ).values_list("unit_id", "start", "end")
        wish_rows = {wish.pk: wish for entry in entries.values() for wish in entry.wishes.all()}
        wishes = [
            Wish(
                entry=row.entry_id,
                rank=row.rank,
                applicant=_applicant(entries[row.entry_id]),
                leaves=frozenset(leaves[row.unit_id]),
                start=row.start,
                end=row.end,
                id=row.pk,
            )
            for row in wish_rows.values()
        ]
        order = draw_order(entries, locked.seed)
        wins = allocate(
            order,
            wishes,
            max_wishes=locked.max_wishes,
            max_wins_per_slot=locked.max_wins_per_slot,
            taken=taken,
        )
        won = []
        for win in wins:
            row = wish_rows[win.id]
            entry = entries[win.entry]
            row.booking = services.create_booking(
                _request(entry, row),
                user=entry.user,
                by=None,
                status=Booking.Status.TENTATIVE,
                now=now,
            )
            row.result = LotteryWish.Result.WON
            won.append(row)
        LotteryWish.objects.bulk_update(won, ["result", "booking"])
        LotteryWish.objects.filter(entry__round=locked).exclude(
            pk__in=[row.pk for row in won]
        ).update(result=LotteryWish.Result.LOST)
        locked.status = LotteryRound.Status.DRAWN
        locked.drawn_at = now
        locked.save(update_fields=["status", "drawn_at"])
        record(
            AuditAction.UPDATE,
            by=by,
            obj=locked,
            reason="lottery_draw",
            changes={"entries": len(entries), "wins": len(won)},
        )
        winners = {row.entry_id: row for row in won}
        for entry in entries.values():
            _tell_result(locked, entry, winners.get(entry.pk))
    return True


def _when(start: dt.datetime, end: dt.datetime) -> str:
    start = timezone.localtime(start, calendar.TOKYO)
    end = timezone.localtime(end, calendar.TOKYO)
    return f"{date_format(start, 'DATE_FORMAT')} {start:%H:%M}–{end:%H:%M}"


def _deadline(lottery: LotteryRound) -> str:
    moment = timezone.localtime(lottery.confirm_by, calendar.TOKYO)
    return f"{date_format(moment, 'DATE_FORMAT')} {moment:%H:%M}"


def _tell_result(lottery: LotteryRound, entry: LotteryEntry, win: LotteryWish | None) -> None:
    context: dict[str, Any] = {"lottery": lottery.title, "entry": entry.pk}
    if win is None:
        kind = "reservations.lottery_lost"
    else:
        kind = "reservations.lottery_won"
        booking = win.booking
        assert booking is not None  # noqa: S101 - a win always has its booking
        context.update(
            {
                "rank": win.rank,
                "facility": f"{win.unit.facility.name} {win.unit.name}",
                "when": _when(win.start, win.end),
                "fee": f"{booking.fee_amount:,}",
                "confirm_by": _deadline(lottery),
            }
        )
    notify.send(kind, to=entry.user, context=context, link_url=mine_url())


# --- after the draw -------------------------------------------------------------------------------


def _won_booking(entry: LotteryEntry) -> Booking:
    """The entry's tentative booking, locked."""
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("facility", "unit", "user", "group")
        .filter(
            lottery_wish__entry=entry,
            lottery_wish__result=LotteryWish.Result.WON,
            status=Booking.Status.TENTATIVE,
        )
        .first()
    )
    if booking is None:
        raise ValidationError(_("確定を待っている当選はありません。"), code="no_win")
    return booking


def _check_confirm_window(entry: LotteryEntry, *, now: dt.datetime) -> None:
    lottery = entry.round
    if lottery.status != LotteryRound.Status.DRAWN or now >= lottery.confirm_by:
        raise ValidationError(
            _("当選の確定の期限（%(date)s）を過ぎました。") % {"date": _deadline(lottery)},
            code="deadline",
        )


def confirm_win(entry: LotteryEntry, *, by: Any, now: dt.datetime | None = None) -> Booking:
    """Confirm a win (当選を確定する) before the deadline: the tentative booking becomes an
    ordinary one and its fee is requested, as for any booking. A group must still be approved."""
    now = now or timezone.now()
    if not may_act(entry, by):
        raise PermissionDenied
    with transaction.atomic():
        _check_confirm_window(entry, now=now)
        booking = _won_booking(entry)
        if booking.group is not None and booking.group.status != Group.Status.APPROVED:
            raise ValidationError(
                _("団体の登録が「%(status)s」のため、確定できません。")
                % {"status": booking.group.get_status_display()},
                code="group",
            )
        booking.status = Booking.Status.CONFIRMED
        if booking.pay_by is not None:
            booking.pay_by = max(booking.pay_by, now)
        booking.updated_at = now
        booking.save(update_fields=["status", "pay_by", "updated_at"])
        services.request_payment(booking)
        services.tell(booking, "reservations.booked")
    return booking


def _release(booking: Booking, *, reason: str, by: Any, now: dt.datetime) -> None:
    booking.status = Booking.Status.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by = by
    booking.cancel_reason = reason
    booking.updated_at = now
    booking.save(
        update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason", "updated_at"]
    )
    Occupancy.objects.filter(booking=booking).delete()


def decline_win(entry: LotteryEntry, *, by: Any, now: dt.datetime | None = None) -> Booking:
    """Decline a win (当選を辞退する) before the deadline; the period is free at once for the
    rest of the cycle."""
    now = now or timezone.now()
    if not may_act(entry, by):
        raise PermissionDenied
    with transaction.atomic():
        _check_confirm_window(entry, now=now)
        booking = _won_booking(entry)
        _release(booking, reason=_("当選を辞退"), by=by, now=now)
    return booking


def finish(lottery: LotteryRound, *, now: dt.datetime | None = None) -> int:
    """After the confirmation deadline: cancel every win not confirmed, free its period, tell
    its applicant, and end the round (終了); first come then takes what is left. Returns how
    many wins were released; 0 if the round is not due or already finished."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = LotteryRound.objects.select_for_update().get(pk=lottery.pk)
        if locked.status != LotteryRound.Status.DRAWN or now < locked.confirm_by:
            return 0
        unconfirmed = list(
            Booking.objects.select_for_update(of=("self",))
            .select_related("facility", "unit", "user")
            .filter(lottery_wish__entry__round=locked, status=Booking.Status.TENTATIVE)
        )
        for booking in unconfirmed:
            _release(booking, reason=_("確定の期限までに確定されなかったため"), by=None, now=now)
            services.tell(booking, "reservations.lottery_released", lottery=locked.title)
        locked.status = LotteryRound.Status.FINISHED
        locked.save(update_fields=["status"])
    return len(unconfirmed)


@dataclass
class Run:
    """What `run_due` did."""

    drawn: list[LotteryRound] = field(default_factory=list)
    finished: list[LotteryRound] = field(default_factory=list)
    released_wins: int = 0
    released_unpaid: list[Booking] = field(default_factory=list)


def run_due(*, now: dt.datetime | None = None) -> Run:
    """Everything due at `now`: draw the rounds whose applications have closed, finish those
    past their confirmation deadline, and release bookings unpaid after their payment deadline
    (`services.release_unpaid`). Safe to run as often as one likes."""
    now = now or timezone.now()
    run = Run()
    for lottery in LotteryRound.objects.filter(
        status=LotteryRound.Status.OPEN, applications_close__lte=now
    ).order_by("pk"):
        if draw(lottery, now=now):
            run.drawn.append(lottery)
    for lottery in LotteryRound.objects.filter(
        status=LotteryRound.Status.DRAWN, confirm_by__lte=now
    ).order_by("pk"):
        run.released_wins += finish(lottery, now=now)
        run.finished.append(lottery)
    run.released_unpaid = services.release_unpaid(now=now)
    return run
