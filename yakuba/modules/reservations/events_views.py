"""Residents' event pages (催し・教室), mounted at /reservations/events/: the events taking
sign-ups, an event with its sessions and the sign-up form, one's tickets, a ticket with its QR
code, and cancelling.

The list and an event's page are public; signing up and tickets need signing in, and a resident
only ever reaches their own tickets (another's answers 404, like one that does not exist).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Min, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from yakuba.modules.reservations import events
from yakuba.modules.reservations.events_forms import SignUpForm
from yakuba.modules.reservations.models import Event, EventSession, Ticket
from yakuba.platform.accounts.models import ResidentProfile
from yakuba.platform.accounts.requests import signed_in_user
from yakuba.platform.places.models import localized

PAGE_SIZE = 20
# The service's error codes that belong to one field of the sign-up form; the rest go on top.
FIELD_OF_CODE = {"name": "name", "seats": "seats"}


def _crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(_("催し・教室"), reverse("reservations:events") if rest else None), *rest]


def _ticket_crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("マイページ"), reverse("accounts:my_page")),
        (_("あなたの参加券"), reverse("reservations:my_tickets") if rest else None),
        *rest,
    ]


def _upcoming_sessions(now: dt.datetime) -> QuerySet[EventSession]:
    return events.with_waiting(
        EventSession.objects.select_related("event").filter(end__gt=now).order_by("start")
    )


def _session_rows(sessions: list[EventSession], now: dt.datetime) -> list[dict[str, Any]]:
    return [
        {"session": s, "when": events.when(s), "state": events.availability(s, now=now)}
        for s in sessions
    ]


@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    """催し・教室: published events with a session still to come, the soonest first."""
    now = timezone.now()
    found = (
        Event.objects.filter(status=Event.Status.PUBLISHED, sessions__end__gt=now)
        .annotate(next_start=Min("sessions__start"))
        .select_related("place")
        .prefetch_related(
            Prefetch("sessions", queryset=_upcoming_sessions(now), to_attr="upcoming")
        )
        .order_by("next_start", "pk")
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    cards = [
        {
            "event": event,
            "title": events.event_title(event),
            "place": event.place.localized_name if event.place else "",
            "sessions": _session_rows(event.upcoming, now),
        }
        for event in page
    ]
    return render(
        request,
        "reservations/events/list.html",
        {"page": page, "cards": cards, "breadcrumbs": _crumbs()},
    )


def _public_event(pk: int) -> Event:
    return get_object_or_404(
        Event.objects.select_related("place", "department").exclude(status=Event.Status.DRAFT),
        pk=pk,
    )


def _sign_up_form(
    request: HttpRequest, event: Event, rows: list[dict[str, Any]], data: Any = None
) -> SignUpForm | None:
    """The form, for a signed-in resident, when some session takes sign-ups."""
    choices = [
        (row["session"].pk, f"{row['when']}　{row['state'].text}")
        for row in rows
        if row["state"].takes_sign_ups
    ]
    if not choices or not request.user.is_authenticated:
        return None
    profile = ResidentProfile.objects.filter(user=request.user).first()
    initial = {"name": profile.full_name, "phone": profile.phone} if profile else {}
    return SignUpForm(data, initial=initial, sessions=choices, max_seats=event.max_seats_per_ticket)


def _event_page(
    request: HttpRequest, event: Event, *, form: SignUpForm | None = None, status: int = 200
) -> HttpResponse:
    now = timezone.now()
    rows = _session_rows(list(_upcoming_sessions(now).filter(event=event)), now)
    mine: list[Ticket] = []
    if request.user.is_authenticated:
        mine = list(
            Ticket.objects.select_related("session")
            .filter(session__event=event, user=request.user, status__in=events.LIVE)
            .order_by("session__start")
        )
    return render(
        request,
        "reservations/events/event.html",
        {
            "event": event,
            "title": events.event_title(event),
            "description": localized(event.description, event.description_en),
            "place": event.place.localized_name if event.place else "",
            "rows": rows,
            "mine": [(ticket, events.when(ticket.session)) for ticket in mine],
            "form": form or _sign_up_form(request, event, rows),
            "login_url": f"{reverse('account_login')}?next={request.path}",
            "breadcrumbs": _crumbs((events.event_title(event), None)),
        },
        status=status,
    )


@require_GET
def event_page(request: HttpRequest, pk: int) -> HttpResponse:
    """An event: what it is, its sessions with free seats in words, and the sign-up form."""
    return _event_page(request, _public_event(pk))


@login_required
@require_http_methods(["POST"])
def sign_up(request: HttpRequest, pk: int) -> HttpResponse:
    event = _public_event(pk)
    now = timezone.now()
    rows = _session_rows(list(_upcoming_sessions(now).filter(event=event)), now)
    form = _sign_up_form(request, event, rows, request.POST)
    if form is None:
        messages.error(request, _("この催しは、いま申し込みを受け付けていません。"))
        return redirect("reservations:event", event.pk)
    if not form.is_valid():
        return _event_page(request, event, form=form, status=400)
    session = next(
        row["session"] for row in rows if row["session"].pk == form.cleaned_data["session"]
    )
    try:
        ticket = events.sign_up(
            session,
            user=signed_in_user(request),
            name=form.cleaned_data["name"],
            phone=form.cleaned_data["phone"],
            seats=form.cleaned_data["seats"],
            now=now,
        )
    except ValidationError as error:
        for item in error.error_list:
            field = FIELD_OF_CODE.get(item.code or "")
            form.add_error(field if field in form.fields else None, item)
        return _event_page(request, event, form=form, status=400)
    if ticket.status == Ticket.Status.CONFIRMED:
        messages.success(request, _("申し込みました。参加が確定しました。"))
    else:
        messages.success(
            request,
            _(
                "キャンセル待ちで受け付けました（%(position)s番目）。席が空いたら自動で参加確定になり、"
                "お知らせします。"
            )
            % {"position": events.waiting_position(ticket)},
        )
    return redirect("reservations:ticket", ticket.pk)


def _own_ticket(request: HttpRequest, pk: int) -> Ticket:
    return get_object_or_404(
        Ticket.objects.select_related("session__event__place"),
        pk=pk,
        user=signed_in_user(request),
    )


@login_required
@require_GET
def my_tickets(request: HttpRequest) -> HttpResponse:
    """あなたの参加券: sessions still to come first, then the past and the cancelled."""
    now = timezone.now()
    tickets = Ticket.objects.select_related("session__event").filter(user=signed_in_user(request))
    coming = tickets.filter(session__end__gt=now, status__in=events.LIVE).order_by("session__start")
    earlier = tickets.exclude(pk__in=coming.values("pk")).order_by("-session__start", "-pk")
    page = Paginator(earlier, PAGE_SIZE).get_page(request.GET.get("page"))

    def card(ticket: Ticket) -> dict[str, Any]:
        return {
            "ticket": ticket,
            "title": events.event_title(ticket.session.event),
            "when": events.when(ticket.session),
            "number": events.ticket_number(ticket),
        }

    return render(
        request,
        "reservations/events/my_tickets.html",
        {
            "coming": [card(t) for t in coming],
            "earlier": [card(t) for t in page],
            "page": page,
            "breadcrumbs": _ticket_crumbs(),
        },
    )


def _qr(request: HttpRequest, ticket: Ticket) -> segno.QRCode:
    # The staff check-in address, so that any phone camera app opens the right page.
    return segno.make(request.build_absolute_uri(events.check_in_path(ticket)), error="m")


@login_required
@require_GET
def ticket_page(request: HttpRequest, pk: int) -> HttpResponse:
    """参加券: the QR code for the door, the number for those who cannot show it, and details."""
    ticket = _own_ticket(request, pk)
    now = timezone.now()
    event = ticket.session.event
    confirmed = ticket.status == Ticket.Status.CONFIRMED and event.status != Event.Status.CANCELLED
    return render(
        request,
        "reservations/events/ticket.html",
        {
            "ticket": ticket,
            "event": event,
            "title": events.event_title(event),
            "place": event.place.localized_name if event.place else "",
            "when": events.when(ticket.session),
            "number": events.ticket_number(ticket),
            "qr_svg": _qr(request, ticket).svg_inline(
                scale=1, border=4, omitsize=True, svgclass="ticket__qr-code", title=""
            )
            if confirmed
            else "",
            "position": events.waiting_position(ticket)
            if ticket.status == Ticket.Status.WAITING
            else None,
            "may_cancel": events.may_cancel(ticket, now=now),
            "breadcrumbs": _ticket_crumbs((events.event_title(event), None)),
        },
    )


@login_required
@require_GET
def ticket_png(request: HttpRequest, pk: int) -> HttpResponse:
    """The QR code as a PNG, to keep in the phone's photos or print."""
    ticket = _own_ticket(request, pk)
    if ticket.status != Ticket.Status.CONFIRMED:
        return redirect("reservations:ticket", ticket.pk)
    buffer = io.BytesIO()
    _qr(request, ticket).save(buffer, kind="png", scale=10, border=4)
    response = HttpResponse(buffer.getvalue(), content_type="image/png")
    response["Content-Disposition"] = (
        f'attachment; filename="ticket-{events.ticket_number(ticket)}.png"'
    )
    return response


@login_required
@require_http_methods(["GET", "POST"])
def cancel_ticket(request: HttpRequest, pk: int) -> HttpResponse:
    """取り消しの確認, then 取り消す."""
    ticket = _own_ticket(request, pk)
    now = timezone.now()
    if not events.may_cancel(ticket, now=now):
        messages.error(
            request, _("この申し込みは、取り消せません（取り消し済みか、始まった回です）。")
        )
        return redirect("reservations:ticket", ticket.pk)
    if request.method == "POST":
        try:
            events.cancel_ticket(ticket, by=signed_in_user(request), now=now)
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect("reservations:ticket", ticket.pk)
        messages.success(request, _("申し込みを取り消しました。"))
        return redirect("reservations:my_tickets")
    event = ticket.session.event
    return render(
        request,
        "reservations/events/cancel.html",
        {
            "ticket": ticket,
            "title": events.event_title(event),
            "when": events.when(ticket.session),
            "number": events.ticket_number(ticket),
            "breadcrumbs": _ticket_crumbs(
                (events.event_title(event), reverse("reservations:ticket", args=[ticket.pk])),
                (_("申し込みの取り消し"), None),
            ),
        },
    )
