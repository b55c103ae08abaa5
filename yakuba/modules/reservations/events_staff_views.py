"""The staff's event pages (催し・教室の管理), mounted at /reservations/staff/events/: events and
their sessions, the attendee list (print-friendly), calling an event off, and the check-in page
that reads tickets' QR codes with the phone's camera.

Staff reach only the events of their own department (a superuser, all): another department's
event, session or ticket is "not found". Every page needs reservations.change_event. A page that
shows attendees' names writes the read to the audit log; every action is audited by `events.py`.
The check-in works without JavaScript (a plain form); with it, the camera reads QR codes through
the browser's BarcodeDetector and each result replaces the last without leaving the page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yakuba.core.permissions import staff_required
from yakuba.modules.reservations import events
from yakuba.modules.reservations.events_forms import (
    CancelEventForm,
    CheckInForm,
    EventForm,
    SessionForm,
)
from yakuba.modules.reservations.models import Event, EventSession, Ticket
from yakuba.platform.accounts.models import Department
from yakuba.platform.accounts.requests import signed_in_user
from yakuba.platform.audit.services import record_read, record_reads

MANAGE = "reservations.change_event"
PAGE_SIZE = 30


def _crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("職員メニュー"), reverse("core:staff_home")),
        (_("催し・教室の管理"), reverse("reservations:staff_events") if rest else None),
        *rest,
    ]


def _event_crumbs(event: Event, *rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return _crumbs(
        (event.title, reverse("reservations:staff_event", args=[event.pk]) if rest else None),
        *rest,
    )


def _event(request: HttpRequest, pk: int) -> Event:
    event = events.events_for(signed_in_user(request)).filter(pk=pk).first()
    if event is None:
        raise Http404
    return event


def _session(request: HttpRequest, pk: int) -> EventSession:
    session = (
        EventSession.objects.select_related("event__place", "event__department")
        .filter(pk=pk, event__in=events.events_for(signed_in_user(request)))
        .first()
    )
    if session is None:
        raise Http404
    return session


def _apply(form: BaseForm, error: ValidationError) -> None:
    for message in error.messages:
        form.add_error(None, message)


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> Any:
    return render(request, f"reservations/events/staff/{template}", context, status=status)


# --- events ---------------------------------------------------------------------------------------


def _with_counts(sessions: QuerySet[EventSession]) -> QuerySet[EventSession]:
    return events.with_waiting(sessions).annotate(
        arrived=Coalesce(
            Sum(
                "tickets__seats",
                filter=Q(
                    tickets__status=Ticket.Status.CONFIRMED, tickets__checked_in_at__isnull=False
                ),
            ),
            0,
        )
    )


@staff_required(permission=MANAGE)
@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    """The department's events, newest first, with their sessions and seats taken."""
    user = signed_in_user(request)
    found = events.events_for(user).prefetch_related("sessions").order_by("-created_at", "-pk")
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return _page(
        request,
        "list.html",
        {
            "events": page,
            "page": page,
            "has_department": user.is_superuser or events.staff_department_id(user) is not None,
            "breadcrumbs": _crumbs(),
        },
    )


def _departments(user: Any) -> QuerySet[Department]:
    if user.is_superuser:
        return Department.objects.all()
    return Department.objects.filter(staff__user=user)


@staff_required(permission=MANAGE)
@require_http_methods(["GET", "POST"])
def create_event(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    departments = _departments(user)
    chosen = request.POST.get("department", "")
    department = (
        departments.filter(pk=int(chosen)).first() if chosen.isdigit() else None
    ) or departments.first()
    if department is None:
        messages.error(request, _("所属課が登録されていないため、催しを作れません。"))
        return redirect("reservations:staff_events")
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            event = events.create_event(by=user, department=department, fields=form.cleaned_data)
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(
                request, _("下書きを作りました。次に、回（日時と定員）を登録してください。")
            )
            return redirect("reservations:staff_session_new", event.pk)
    return _page(
        request,
        "event_form.html",
        {
            "form": form,
            "departments": departments if user.is_superuser else None,
            "department": department,
            "breadcrumbs": _crumbs((_("新しい催し・教室"), None)),
        },
        status=400 if form.errors else 200,
    )


@staff_required(permission=MANAGE)
@require_http_methods(["GET", "POST"])
def edit_event(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    form = EventForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        try:
            events.change_event(
                Event.objects.get(pk=event.pk), by=signed_in_user(request), fields=form.cleaned_data
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, _("催しの内容を保存しました。"))
            return redirect("reservations:staff_event", event.pk)
    return _page(
        request,
        "event_form.html",
        {"form": form, "event": event, "breadcrumbs": _event_crumbs(event, (_("編集"), None))},
        status=400 if form.errors else 200,
    )


@staff_required(permission=MANAGE)
@require_GET
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    sessions = _with_counts(event.sessions.order_by("start"))
    return _page(
        request,
        "event.html",
        {
            "event": event,
            "sessions": [(s, events.when(s)) for s in sessions],
            "public_url": reverse("reservations:event", args=[event.pk]),
            "breadcrumbs": _event_crumbs(event),
        },
    )


@staff_required(permission=MANAGE)
@require_POST
def publish_event(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    try:
        events.publish_event(event, by=signed_in_user(request))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("公開しました。町民の方が申し込めます。"))
    return redirect("reservations:staff_event", event.pk)


@staff_required(permission=MANAGE)
@require_http_methods(["GET", "POST"])
def cancel_event(request: HttpRequest, pk: int) -> HttpResponse:
    """中止: the reason goes to everyone who signed up."""
    event = _event(request, pk)
    if event.status == Event.Status.CANCELLED:
        messages.error(request, _("この催しは、すでに中止しています。"))
        return redirect("reservations:staff_event", event.pk)
    form = CancelEventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancelled = events.cancel_event(
                event, by=signed_in_user(request), reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(
                request,
                _("中止しました。申し込みのあった%(count)s件を取り消し、お知らせしました。")
                % {"count": len(cancelled)},
            )
            return redirect("reservations:staff_event", event.pk)
    live = Ticket.objects.filter(session__event=event, status__in=events.LIVE).count()
    return _page(
        request,
        "cancel.html",
        {
            "event": event,
            "form": form,
            "live": live,
            "breadcrumbs": _event_crumbs(event, (_("中止"), None)),
        },
        status=400 if form.errors else 200,
    )


# --- sessions -------------------------------------------------------------------------------------


def _session_values(form: SessionForm) -> dict[str, Any]:
    start, end = form.period()
    return {
        "start": start,
        "end": end,
        "capacity": form.cleaned_data["capacity"],
        "waitlist_limit": form.cleaned_data["waitlist_limit"],
    }


@staff_required(permission=MANAGE)
@require_http_methods(["GET", "POST"])
def add_session(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            events.add_session(event, by=signed_in_user(request), **_session_values(form))
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, _("回を登録しました。"))
            return redirect("reservations:staff_event", event.pk)
    return _page(
        request,
        "session_form.html",
        {"form": form, "event": event, "breadcrumbs": _event_crumbs(event, (_("回の登録"), None))},
        status=400 if form.errors else 200,
    )


@staff_required(permission=MANAGE)
@require_http_methods(["GET", "POST"])
def edit_session(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    event = session.event
    form = SessionForm(request.POST or None, initial=SessionForm.initial_of(session))
    if request.method == "POST" and form.is_valid():
        try:
            events.change_session(session, by=signed_in_user(request), **_session_values(form))
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, _("回を保存しました。"))
            return redirect("reservations:staff_event", event.pk)
    return _page(
        request,
        "session_form.html",
        {
            "form": form,
            "event": event,
            "session": session,
            "breadcrumbs": _event_crumbs(event, (_("回の編集"), None)),
        },
        status=400 if form.errors else 200,
    )


@staff_required(permission=MANAGE)
@require_POST
def remove_session(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    try:
        events.remove_session(session, by=signed_in_user(request))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("回を削除しました。"))
    return redirect("reservations:staff_event", session.event_id)


@staff_required(permission=MANAGE)
@require_GET
def attendees(request: HttpRequest, pk: int) -> HttpResponse:
    """参加者名簿: confirmed, then the waiting list in its order; printable as it is."""
    session = _session(request, pk)
    tickets = list(
        Ticket.objects.filter(session=session, status__in=events.LIVE).order_by("created_at", "pk")
    )
    record_reads(
        by=signed_in_user(request),
        opened=[(ticket, ticket.user_id) for ticket in tickets],
        request=request,
    )

    def rows(status: str) -> list[tuple[Ticket, str]]:
        return [(t, events.ticket_number(t)) for t in tickets if t.status == status]

    return _page(
        request,
        "attendees.html",
        {
            "session": session,
            "event": session.event,
            "when": events.when(session),
            "confirmed": rows(Ticket.Status.CONFIRMED),
            "waiting": rows(Ticket.Status.WAITING),
            "counts": events.check_in_counts(session),
            "breadcrumbs": _event_crumbs(session.event, (_("参加者名簿"), None)),
        },
    )


# --- checking in ----------------------------------------------------------------------------------


def _result(request: HttpRequest, outcome: Ticket | events.CheckInRefused) -> dict[str, Any]:
    """What the door shows: ✓ or ✗, the words, and whose ticket it is."""
    if isinstance(outcome, Ticket):
        return {"ok": True, "message": _("受付しました"), "ticket": outcome}
    ticket = outcome.ticket
    if ticket is not None:
        record_read(
            by=signed_in_user(request), obj=ticket, subject_user_id=ticket.user_id, request=request
        )
    return {"ok": False, "code": outcome.code, "message": outcome.messages[0], "ticket": ticket}


@staff_required(permission=MANAGE)
@require_http_methods(["GET", "POST"])
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    """受付: scan with the camera (where the browser can), or type the ticket's number."""
    session = _session(request, pk)
    form = CheckInForm(request.POST or None)
    result = None
    if request.method == "POST":
        # One place answers at the door, typed or scanned: the result box, not the field.
        if form.is_valid():
            try:
                outcome: Ticket | events.CheckInRefused = events.check_in(
                    form.cleaned_data["code"], by=signed_in_user(request), session=session
                )
            except events.CheckInRefused as refused:
                outcome = refused
            result = _result(request, outcome)
        else:
            result = {"ok": False, "code": "invalid", "message": form.errors["code"][0]}
        form = CheckInForm()
    context = {
        "session": session,
        "event": session.event,
        "when": events.when(session),
        "form": form,
        "result": result,
        "counts": events.check_in_counts(session),
        "breadcrumbs": _event_crumbs(session.event, (_("受付"), None)),
    }
    if request.htmx and request.method == "POST":  # type: ignore[attr-defined]
        return _page(request, "_checkin_result.html", {**context, "swap_counts": True})
    return _page(request, "checkin.html", context)


@staff_required(permission=MANAGE)
@require_http_methods(["GET", "POST"])
def check_in_ticket(request: HttpRequest, token: str) -> HttpResponse:
    """The page a ticket's QR code opens in a phone's camera app: whose ticket it is, then 受付する.
    Opening it changes nothing (a link may be opened twice); the button checks in."""
    ticket = events.find_ticket(token)
    user = signed_in_user(request)
    if ticket is None or not events.may_manage(user, ticket.session.event):
        raise Http404
    session = ticket.session
    result = None
    if request.method == "POST":
        try:
            outcome: Ticket | events.CheckInRefused = events.check_in(token, by=user)
        except events.CheckInRefused as refused:
            outcome = refused
        result = _result(request, outcome)
        ticket.refresh_from_db()
    else:
        record_read(by=user, obj=ticket, subject_user_id=ticket.user_id, request=request)
    return _page(
        request,
        "checkin_ticket.html",
        {
            "ticket": ticket,
            "number": events.ticket_number(ticket),
            "session": session,
            "event": session.event,
            "when": events.when(session),
            "result": result,
            "counts": events.check_in_counts(session),
            "breadcrumbs": _event_crumbs(session.event, (_("受付"), None)),
        },
    )
