"""Lottery pages (抽選).

Public (/reservations/lottery/): the rounds, and each round's page — its facilities, month,
dates and limits, the SHA-256 of its seed from the start, then the seed, the order of the draw
and the results by entry number, so anyone can check the draw. Residents, signed in: the entry
form, and their entries with the results, where a winner confirms or declines. Staff
(/reservations/staff/lottery/): the rounds of their facilities, a new round, a round's entries
(an audited read) and the draw button."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yakuba.core.permissions import staff_required
from yakuba.modules.reservations import calendar, lottery, queries, staff_queries
from yakuba.modules.reservations.lottery_forms import EntryForm, RoundForm
from yakuba.modules.reservations.models import (
    Booking,
    Facility,
    LotteryEntry,
    LotteryRound,
    LotteryWish,
)
from yakuba.modules.reservations.staff_views import nav_context
from yakuba.platform.accounts.requests import signed_in_user
from yakuba.platform.audit.services import record_reads

CHANGE = "reservations.change_booking"
PAGE_SIZE = 20
# The error codes of `lottery.enter` that belong to one field of the entry form.
ENTRY_FIELDS = {"contact_name": "contact_name", "purpose": "purpose", "attendees": "attendees"}
ROUND_FIELDS = {
    "title",
    "facilities",
    "applications_close",
    "confirm_by",
    "max_wishes",
    "max_entries_per_group",
    "max_wins_per_slot",
}


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment, calendar.TOKYO)


@dataclass(frozen=True)
class WishRow:
    rank: int
    place: str
    when: str
    result: str
    is_won: bool


def _wish_row(wish: LotteryWish) -> WishRow:
    day = _local(wish.start).date()
    return WishRow(
        rank=wish.rank,
        place=f"{queries.facility_name(wish.unit.facility)} {queries.unit_name(wish.unit)}",
        when=f"{queries.day_label(day)} {queries.time_range(wish.start, wish.end)}",
        result=wish.get_result_display(),
        is_won=wish.result == LotteryWish.Result.WON,
    )


def _wishes_prefetch() -> Prefetch[Any]:
    return Prefetch(
        "wishes", queryset=LotteryWish.objects.select_related("unit__facility", "booking")
    )


# --- public pages ---------------------------------------------------------------------------------


def _crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("施設をさがす"), reverse("reservations:search")),
        (_("施設の抽選"), reverse("reservations:lottery_rounds") if rest else None),
        *rest,
    ]


@require_GET
def rounds(request: HttpRequest) -> HttpResponse:
    """施設の抽選: rounds taking entries or waiting for confirmations, then past ones."""
    current = list(
        LotteryRound.objects.exclude(status=LotteryRound.Status.FINISHED)
        .prefetch_related("facilities")
        .order_by("applications_close", "pk")
    )
    finished = LotteryRound.objects.filter(status=LotteryRound.Status.FINISHED).prefetch_related(
        "facilities"
    )
    page = Paginator(finished, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    return render(
        request,
        "reservations/lottery/rounds.html",
        {
            "current": [(r, lottery.is_accepting(r, now=now)) for r in current],
            "page": page,
            "breadcrumbs": _crumbs(),
        },
    )


@dataclass(frozen=True)
class ResultRow:
    position: int
    entry: int
    win: WishRow | None


def _results(found: LotteryRound) -> tuple[list[int], list[ResultRow]]:
    """The entry numbers in the draw's order, and each one's result, once the seed is public."""
    order = lottery.public_order(found)
    if not order:
        return [], []
    won = {
        wish.entry_id: _wish_row(wish)
        for wish in LotteryWish.objects.filter(
            entry__round=found, result=LotteryWish.Result.WON
        ).select_related("unit__facility")
    }
    return order, [
        ResultRow(position, entry, won.get(entry)) for position, entry in enumerate(order, 1)
    ]


@require_GET
def round_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One round, with everything needed to check its draw."""
    found = get_object_or_404(LotteryRound, pk=pk)
    order, results = _results(found)
    return render(
        request,
        "reservations/lottery/round.html",
        {
            "round": found,
            "facilities": [
                (facility, queries.facility_name(facility))
                for facility in found.facilities.order_by("order", "code")
            ],
            "month": queries.month_label(found.use_month),
            "is_accepting": lottery.is_accepting(found),
            "seed": lottery.published_seed(found),
            "sorted_entries": sorted(order),
            "order": order,
            "results": results,
            "breadcrumbs": _crumbs((found.title, None)),
        },
    )


# --- residents ------------------------------------------------------------------------------------


def _mine_crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("マイページ"), reverse("accounts:my_page")),
        (_("抽選の申し込み"), reverse("reservations:lottery_mine") if rest else None),
        *rest,
    ]


def _entry_facility(request: HttpRequest, found: LotteryRound) -> Facility | None:
    """The facility the entry is for: the round's only one, or the one in the address."""
    facilities = list(found.facilities.order_by("order", "code"))
    if len(facilities) == 1:
        return facilities[0]
    code = request.GET.get("facility", "")
    for facility in facilities:
        if facility.code == code:
            return facility
    return None


def _profile_initial(user: Any) -> dict[str, str]:
    profile = getattr(user, "resident_profile", None)
    if profile is None:
        return {}
    return {"contact_name": profile.full_name, "contact_phone": profile.phone}


@login_required
@require_http_methods(["GET", "POST"])
def enter(request: HttpRequest, pk: int) -> HttpResponse:
    """抽選に申し込む: as whom, what for, and the ranked wishes for one facility."""
    found = get_object_or_404(LotteryRound, pk=pk)
    user = signed_in_user(request)
    crumbs = _crumbs(
        (found.title, reverse("reservations:lottery_round", args=[found.pk])),
        (_("申し込む"), None),
    )
    if not lottery.is_accepting(found):
        messages.error(request, _("この抽選は、申し込みを受け付けていません。"))
        return redirect("reservations:lottery_round", found.pk)
    facility = _entry_facility(request, found)
    if facility is None:
        return render(
            request,
            "reservations/lottery/choose_facility.html",
            {
                "round": found,
                "facilities": [
                    (f, queries.facility_name(f)) for f in found.facilities.order_by("order")
                ],
                "breadcrumbs": crumbs,
            },
        )
    form = EntryForm(
        request.POST or None,
        lottery=found,
        facility=facility,
        groups=list(queries.groups_of(user)),
        initial=_profile_initial(user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            entry = lottery.enter(found, form.details(), user=user)
        except ValidationError as error:
            for item in error.error_list:
                field = ENTRY_FIELDS.get(item.code or "")
                form.add_error(field, item)
        else:
            messages.success(
                request,
                _(
                    "抽選に申し込みました（申込番号 %(number)s）。結果は%(date)s以降にお知らせします。"
                )
                % {
                    "number": entry.pk,
                    "date": queries.day_label(_local(found.applications_close).date()),
                },
            )
            return redirect("reservations:lottery_mine")
    return render(
        request,
        "reservations/lottery/enter.html",
        {
            "round": found,
            "facility": facility,
            "facility_name": queries.facility_name(facility),
            "month": queries.month_label(found.use_month),
            "form": form,
            "slot_rows": queries.slot_rows(facility),
            "free_rule": queries.free_rule(facility),
            "breadcrumbs": crumbs,
        },
        status=400 if form.errors else 200,
    )


@dataclass(frozen=True)
class EntryItem:
    entry: LotteryEntry
    wishes: list[WishRow]
    state: str
    booking: Booking | None
    may_withdraw: bool
    may_confirm: bool


def _entry_item(entry: LotteryEntry, user: Any, now: dt.datetime) -> EntryItem:
    wishes = list(entry.wishes.all())
    won = next((w for w in wishes if w.result == LotteryWish.Result.WON), None)
    booking = won.booking if won else None
    may_act = lottery.may_act(entry, user)
    if entry.withdrawn_at is not None:
        state = _("取り下げ済み")
    elif entry.round.status == LotteryRound.Status.OPEN:
        state = _("抽選前")
    elif booking is not None:
        state = booking.get_status_display()
    else:
        state = _("落選")
    return EntryItem(
        entry=entry,
        wishes=[_wish_row(w) for w in wishes],
        state=str(state),
        booking=booking,
        may_withdraw=may_act and entry.withdrawn_at is None and lottery.is_accepting(entry.round),
        may_confirm=may_act
        and booking is not None
        and booking.status == Booking.Status.TENTATIVE
        and entry.round.status == LotteryRound.Status.DRAWN
        and now < entry.round.confirm_by,
    )


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """抽選の申し込み: one's entries and one's groups', with results and what can be done."""
    user = signed_in_user(request)
    now = timezone.now()
    entries = lottery.entries_of(user).prefetch_related(_wishes_prefetch())
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reservations/lottery/mine.html",
        {
            "items": [_entry_item(entry, user, now) for entry in page],
            "page": page,
            "breadcrumbs": _mine_crumbs(),
        },
    )


def _own_entry(request: HttpRequest, pk: int) -> LotteryEntry:
    entry = (
        lottery.entries_of(signed_in_user(request)).filter(pk=pk).select_related("round").first()
    )
    if entry is None:
        raise Http404
    return entry


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponseBase:
    entry = _own_entry(request, pk)
    try:
        lottery.withdraw(entry, by=signed_in_user(request))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request, _("申込番号 %(number)s を取り下げました。") % {"number": entry.pk}
        )
    return redirect("reservations:lottery_mine")


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponseBase:
    entry = _own_entry(request, pk)
    try:
        booking = lottery.confirm_win(entry, by=signed_in_user(request))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            _("当選を確定しました。予約番号は %(number)s です。") % {"number": booking.number},
        )
    return redirect("reservations:lottery_mine")


@login_required
@require_POST
def decline(request: HttpRequest, pk: int) -> HttpResponseBase:
    entry = _own_entry(request, pk)
    try:
        lottery.decline_win(entry, by=signed_in_user(request))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("当選を辞退しました。"))
    return redirect("reservations:lottery_mine")


# --- staff ----------------------------------------------------------------------------------------


def _staff_crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("職員メニュー"), reverse("core:staff_home")),
        (_("抽選の管理"), reverse("reservations:staff_lottery") if rest else None),
        *rest,
    ]


def _staff_page(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    context.update(nav_context(signed_in_user(request), "lottery"))
    return render(request, f"reservations/lottery/{template}", context, status=status)


@staff_required(permission=CHANGE)
@require_GET
def staff_rounds(request: HttpRequest) -> HttpResponse:
    """抽選の管理: the rounds of one's facilities, newest month first."""
    user = signed_in_user(request)
    found = (
        LotteryRound.objects.filter(facilities__in=staff_queries.facilities_for(user))
        .distinct()
        .prefetch_related("facilities")
        .order_by("-use_month", "-pk")
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return _staff_page(
        request,
        "staff_rounds.html",
        {"page": page, "breadcrumbs": _staff_crumbs()},
    )


@staff_required(permission=CHANGE)
@require_http_methods(["GET", "POST"])
def staff_new(request: HttpRequest) -> HttpResponse:
    """抽選を作る."""
    user = signed_in_user(request)
    form = RoundForm(request.POST or None, facilities=staff_queries.facilities_for(user))
    if request.method == "POST" and form.is_valid():
        try:
            created = lottery.create_round(form.details(), by=user)
        except ValidationError as error:
            for item in error.error_list:
                form.add_error(item.code if item.code in ROUND_FIELDS else None, item)
        else:
            messages.success(
                request,
                _("抽選を作りました。シードのSHA-256を公開しました。"),
            )
            return redirect("reservations:staff_lottery_round", created.pk)
    return _staff_page(
        request,
        "staff_new.html",
        {"form": form, "breadcrumbs": _staff_crumbs((_("抽選を作る"), None))},
        status=400 if form.errors else 200,
    )


def _managed_round(request: HttpRequest, pk: int) -> LotteryRound:
    found = get_object_or_404(LotteryRound, pk=pk)
    if not lottery.may_manage_round(signed_in_user(request), found):
        raise Http404
    return found


@staff_required(permission=CHANGE)
@require_GET
def staff_round(request: HttpRequest, pk: int) -> HttpResponse:
    """One round: its settings, every entry with its wishes and result, and the draw."""
    found = _managed_round(request, pk)
    entries = list(
        found.entries.select_related("group", "user")
        .prefetch_related(_wishes_prefetch())
        .order_by("pk")
    )
    record_reads(
        by=signed_in_user(request),
        opened=[(entry, entry.user_id) for entry in entries],
        request=request,
    )
    return _staff_page(
        request,
        "staff_round.html",
        {
            "round": found,
            "facilities": [queries.facility_name(f) for f in found.facilities.order_by("order")],
            "month": queries.month_label(found.use_month),
            "entries": [(entry, [_wish_row(w) for w in entry.wishes.all()]) for entry in entries],
            "may_draw": found.status == LotteryRound.Status.OPEN
            and timezone.now() >= found.applications_close,
            "breadcrumbs": _staff_crumbs((found.title, None)),
        },
    )


@staff_required(permission=CHANGE)
@require_POST
def staff_draw(request: HttpRequest, pk: int) -> HttpResponseBase:
    """抽選する: the same draw the cron command runs; a second press changes nothing."""
    found = _managed_round(request, pk)
    try:
        ran = lottery.draw(found, by=signed_in_user(request))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        if ran:
            messages.success(request, _("抽選しました。結果を申込者にお知らせしました。"))
        else:
            messages.info(request, _("この抽選は、すでに抽選済みです。"))
    return redirect("reservations:staff_lottery_round", found.pk)
