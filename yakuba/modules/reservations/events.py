"""Events (催し・教室): smartphone classes, seminars, card application days. Staff publish an
event with its sessions (回); residents sign up for a session and get a ticket (参加券) with a QR
code; staff check the ticket in at the door.

The rules, all kept here inside the transaction that writes:

- **Seats** are counted in `EventSession.seats_taken`, changed only by one conditional UPDATE
  (`seats_taken + n <= capacity`), never read and then written, and the database's check
  constraint refuses anything over the capacity. Two people asking for the last seat at the same
  moment cannot both get it.
- **Sign-up**: a published event, inside its registration window (from `registration_opens`, or
  at once; until `registration_closes` or the session's start, whichever comes first), for 1 to
  `max_seats_per_ticket` people, one live ticket (confirmed or waiting) per person per session.
  Confirmed when the seats are free; else on the waiting list (キャンセル待ち) while the
  waiting seats stay within `waitlist_limit`; else refused.
- **Waiting list**: when seats are freed (a cancellation, a larger capacity) the waiting tickets
  are promoted in sign-up order, each promoted person told. A waiting ticket for more people
  than the seats free is passed over for now — it keeps its place and is promoted as soon as
  enough seats are free — so no seat stays empty while someone who fits is waiting. After every
  change no waiting ticket fits in the free seats, so a new sign-up may take the free seats.
- **Check-in** (受付): a confirmed ticket of the session being run, on its day: from
  `CHECK_IN_OPENS_BEFORE` before the start until `CHECK_IN_CLOSES_AFTER` after the end. A
  ticket is checked in once; a second scan says when it was.
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from yakuba.modules.reservations import calendar, queries
from yakuba.modules.reservations.models import Event, EventSession, Ticket
from yakuba.platform import notify
from yakuba.platform.accounts.models import StaffMember, User
from yakuba.platform.audit.models import AuditAction
from yakuba.platform.audit.services import record
from yakuba.platform.places.models import localized

CHECK_IN_OPENS_BEFORE = dt.timedelta(hours=3)
CHECK_IN_CLOSES_AFTER = dt.timedelta(hours=1)
LIVE = (Ticket.Status.CONFIRMED, Ticket.Status.WAITING)
MAX_REASON = 200
# The printed ticket number: the ticket's id in 7 digits and a check digit (Luhn), so that a
# mistyped number is refused rather than checking in somebody else.
NUMBER_DIGITS = 7


class CheckInRefused(ValidationError):
    """A ticket that cannot be checked in here and now, with the ticket when one was found (so
    the page can show whose it is)."""

    def __init__(self, message: str, *, code: str, ticket: Ticket | None = None) -> None:
        super().__init__(message, code=code)
        self.ticket = ticket


# --- numbers, names and states ---------------------------------------------------------------------


def _check_digit(digits: str) -> str:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            value = value - 9 if value > 9 else value
        total += value
    return str((10 - total % 10) % 10)


def ticket_number(ticket: Ticket) -> str:
    """参加券番号, read out or typed in when the QR code cannot be scanned: 「0000-0125」."""
    digits = f"{ticket.pk:0{NUMBER_DIGITS}d}"
    digits += _check_digit(digits)
    return f"{digits[:4]}-{digits[4:]}"


def _ticket_by_number(digits: str) -> Ticket | None:
    if len(digits) <= NUMBER_DIGITS or _check_digit(digits[:-1]) != digits[-1]:
        return None
    return Ticket.objects.filter(pk=int(digits[:-1])).first()


def find_ticket(text: str) -> Ticket | None:
    """The ticket that `text` names: its printed number (with or without the hyphen, in
    full-width digits too), its token, or the check-in address the QR code carries."""
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        return None
    digits = "".join(char for char in text if char.isdigit())
    if digits and len(text) <= 12 and all(char.isdigit() or char in "- " for char in text):
        return _ticket_by_number(digits)
    parts = [part for part in text.split("?")[0].split("/") if part]
    return Ticket.objects.filter(token=parts[-1]).first() if parts else None


def check_in_path(ticket: Ticket) -> str:
    """The staff page a scanned QR code opens (with any phone's camera app)."""
    return reverse("reservations:staff_checkin_ticket", args=[ticket.token])


def ticket_path(ticket: Ticket) -> str:
    return reverse("reservations:ticket", args=[ticket.pk])


def event_title(event: Event) -> str:
    """The English title on English pages when there is one."""
    return localized(event.title, event.title_en)


def when(session: EventSession) -> str:
    """「3月5日（水） 10:00–12:00」."""
    day = timezone.localtime(session.start, calendar.TOKYO).date()
    return f"{queries.day_label(day)} {queries.time_range(session.start, session.end)}"


def registration_closes(session: EventSession) -> dt.datetime:
    closes = session.event.registration_closes
    return min(closes, session.start) if closes else session.start


@dataclass(frozen=True)
class Availability:
    """Whether a session takes sign-ups, in words (never only a colour or a mark)."""

    code: str  # not_open, open, waitlist, full, closed, cancelled
    text: str
    free: int

    @property
    def takes_sign_ups(self) -> bool:
        return self.code in ("open", "waitlist")


def with_waiting(sessions: QuerySet[EventSession]) -> QuerySet[EventSession]:
    """Sessions with `waiting_seats` (seats on the waiting list), in one query."""
    return sessions.annotate(
        waiting_seats=Coalesce(
            Sum("tickets__seats", filter=Q(tickets__status=Ticket.Status.WAITING)), 0
        )
    )


def availability(session: EventSession, *, now: dt.datetime) -> Availability:
    """The state of `session` for residents; `session` comes from `with_waiting`."""
    event = session.event
    free = session.capacity - session.seats_taken
    if event.status == Event.Status.CANCELLED:
        return Availability("cancelled", _("中止"), free)
    if event.registration_opens and now < event.registration_opens:
        opens = timezone.localtime(event.registration_opens, calendar.TOKYO)
        return Availability(
            "not_open",
            _("受付前（%(date)s %(time)sから）")
            % {"date": queries.day_label(opens.date()), "time": f"{opens:%H:%M}"},
            free,
        )
    if now >= registration_closes(session):
        return Availability("closed", _("受付終了"), free)
    if free > 0:
        return Availability(
            "open",
            ngettext("空きあり（残り%(count)s人）", "空きあり（残り%(count)s人）", free)
            % {"count": free},
            free,
        )
    room = session.waitlist_limit - session.waiting_seats  # type: ignore[attr-defined]
    if room > 0:
        return Availability(
            "waitlist",
            ngettext(
                "満席・キャンセル待ちを受付中（あと%(count)s人）",
                "満席・キャンセル待ちを受付中（あと%(count)s人）",
                room,
            )
            % {"count": room},
            free,
        )
    return Availability("full", _("満席"), free)


def waiting_position(ticket: Ticket) -> int:
    """The place of a waiting ticket in its session's waiting list (1 = next)."""
    return (
        Ticket.objects.filter(session_id=ticket.session_id, status=Ticket.Status.WAITING)
        .filter(
            Q(created_at__lt=ticket.created_at) | Q(created_at=ticket.created_at, pk__lt=ticket.pk)
        )
        .count()
        + 1
    )


def may_cancel(ticket: Ticket, *, now: dt.datetime) -> bool:
    return ticket.status in LIVE and ticket.session.start > now


# --- who manages an event ----------------------------------------------------------------------------


def staff_department_id(user: Any) -> int | None:
    return StaffMember.objects.filter(user=user).values_list("department_id", flat=True).first()


def may_manage(user: Any, event: Event) -> bool:
    """Staff of the event's department (担当課), or a superuser."""
    if user.is_superuser:
        return True
    return (
        bool(user.is_staff)
        and StaffMember.objects.filter(user=user, department_id=event.department_id).exists()
    )


def events_for(user: Any) -> QuerySet[Event]:
    """The events `user` manages: their department's, or every one for a superuser."""
    events = Event.objects.select_related("department", "place")
    if user.is_superuser:
        return events
    return events.filter(department__staff__user=user)


def _ensure_may_manage(by: Any, event: Event) -> None:
    if not may_manage(by, event):
        raise PermissionDenied


# --- notifications ---------------------------------------------------------------------------------


def _tell(ticket: Ticket, kind: str, **extra: str) -> None:
    if ticket.user is None:
        return
    session = ticket.session
    event = session.event
    notify.send(
        kind,
        to=ticket.user,
        context={
            "event": event.title,
            "when": when(session),
            "place": event.place.name if event.place else "",
            "seats": str(ticket.seats),
            "number": ticket_number(ticket),
            **extra,
        },
        link_url=ticket_path(ticket),
    )


# --- signing up and cancelling ---------------------------------------------------------------------


def _take_seats(session_id: int, seats: int) -> bool:
    """Take `seats` if they are free, in one conditional UPDATE: the database decides, so two
    sign-ups for the last seat cannot both get it."""
    return bool(
        EventSession.objects.filter(pk=session_id, seats_taken__lte=F("capacity") - seats).update(
            seats_taken=F("seats_taken") + seats
        )
    )


def _check_sign_up(session: EventSession, *, name: str, seats: int, now: dt.datetime) -> None:
    event = session.event
    if event.status != Event.Status.PUBLISHED:
        raise ValidationError(_("この催しは、申し込みを受け付けていません。"), code="not_published")
    if session.start <= now:
        raise ValidationError(_("この回は、すでに始まっているか終わっています。"), code="past")
    if event.registration_opens and now < event.registration_opens:
        opens = timezone.localtime(event.registration_opens, calendar.TOKYO)
        raise ValidationError(
            _("申し込みは%(date)s %(time)sから受け付けます。")
            % {"date": date_format(opens.date(), "DATE_FORMAT"), "time": f"{opens:%H:%M}"},
            code="not_yet",
        )
    if now >= registration_closes(session):
        raise ValidationError(_("この回の申し込みの受付は終わりました。"), code="closed")
    if not name:
        raise ValidationError(_("氏名を書いてください。"), code="name")
    if not 1 <= seats <= event.max_seats_per_ticket:
        raise ValidationError(
            ngettext(
                "一回の申し込みは%(count)s人までです。",
                "一回の申し込みは1人から%(count)s人までです。",
                event.max_seats_per_ticket,
            )
            % {"count": event.max_seats_per_ticket},
            code="seats",
        )
    if seats > session.capacity:
        raise ValidationError(
            _("この回の定員は%(count)s人です。") % {"count": session.capacity}, code="seats"
        )


def _waiting_or_refused(session: EventSession, seats: int) -> Ticket.Status:
    """No seats at the first try: with the session locked (nobody frees or takes seats
    meanwhile) try once more, then the waiting list if it has room."""
    locked = EventSession.objects.select_for_update().get(pk=session.pk)
    if _take_seats(session.pk, seats):
        return Ticket.Status.CONFIRMED
    waiting = Ticket.objects.filter(session=locked, status=Ticket.Status.WAITING).aggregate(
        total=Coalesce(Sum("seats"), 0)
    )["total"]
    if waiting + seats <= locked.waitlist_limit:
        return Ticket.Status.WAITING
    if locked.waitlist_limit:
        message = _("満席で、キャンセル待ちもいっぱいのため、申し込めません。")
    else:
        message = _("満席のため、申し込めません。")
    raise ValidationError(message, code="full")


def sign_up(
    session: EventSession,
    *,
    user: User,
    name: str,
    phone: str = "",
    seats: int = 1,
    now: dt.datetime | None = None,
) -> Ticket:
    """Sign `user` up for `session` (参加申し込み): confirmed when the seats are free, else on
    the waiting list if it has room. Raises `ValidationError` (nothing saved) when a rule is
    broken or the session and its waiting list are full."""
    now = now or timezone.now()
    name = " ".join(name.split())
    with transaction.atomic():
        session = EventSession.objects.select_related("event", "event__place").get(pk=session.pk)
        _check_sign_up(session, name=name, seats=seats, now=now)
        # One live ticket per person: the person's row is locked, so two sign-ups of the same
        # person at the same moment are looked at one after the other.
        User.objects.select_for_update().get(pk=user.pk)
        if Ticket.objects.filter(session=session, user=user, status__in=LIVE).exists():
            raise ValidationError(
                _("この回には、すでに申し込んでいます。「あなたの参加券」をご覧ください。"),
                code="duplicate",
            )
        if _take_seats(session.pk, seats):
            status = Ticket.Status.CONFIRMED
        else:
            status = _waiting_or_refused(session, seats)
        ticket = Ticket.objects.create(
            session=session,
            user=user,
            name=name[:100],
            phone=phone.strip()[:20],
            seats=seats,
            status=status,
            token=secrets.token_urlsafe(24),
            created_at=now,
            updated_at=now,
        )
        if status == Ticket.Status.CONFIRMED:
            _tell(ticket, "reservations.event_signed_up")
        else:
            _tell(ticket, "reservations.event_waitlisted", position=str(waiting_position(ticket)))
    return ticket


def _promote(session_id: int, *, now: dt.datetime) -> list[Ticket]:
    """Give free seats to the waiting list in sign-up order, passing over (for now) a ticket
    for more people than are free. Runs with the session locked by the caller."""
    session = EventSession.objects.select_related("event", "event__place").get(pk=session_id)
    free = session.capacity - session.seats_taken
    promoted: list[Ticket] = []
    if session.event.status == Event.Status.CANCELLED:
        return promoted
    waiting = Ticket.objects.select_related("user").filter(
        session_id=session_id, status=Ticket.Status.WAITING
    )
    for ticket in waiting.order_by("created_at", "pk"):
        if free <= 0:
            break
        if ticket.seats > free or not _take_seats(session_id, ticket.seats):
            continue
        free -= ticket.seats
        ticket.status = Ticket.Status.CONFIRMED
        ticket.updated_at = now
        ticket.save(update_fields=["status", "updated_at"])
        ticket.session = session
        _tell(ticket, "reservations.event_promoted")
        promoted.append(ticket)
    return promoted


def cancel_ticket(ticket: Ticket, *, by: Any, now: dt.datetime | None = None) -> Ticket:
    """The holder `by` cancels their sign-up (申し込みの取り消し) before the session starts. A
    confirmed ticket frees its seats, which go to the waiting list at once."""
    now = now or timezone.now()
    with transaction.atomic():
        session = EventSession.objects.select_for_update().get(pk=ticket.session_id)
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if by.pk != locked.user_id:
            raise PermissionDenied
        if locked.status not in LIVE:
            raise ValidationError(_("この申し込みは、すでに取り消されています。"), code="cancelled")
        if session.start <= now:
            raise ValidationError(_("始まった回の申し込みは、取り消せません。"), code="started")
        was_confirmed = locked.status == Ticket.Status.CONFIRMED
        locked.status = Ticket.Status.CANCELLED
        locked.updated_at = now
        locked.save(update_fields=["status", "updated_at"])
        if was_confirmed:
            EventSession.objects.filter(pk=session.pk).update(
                seats_taken=F("seats_taken") - locked.seats
            )
            _promote(session.pk, now=now)
    return locked


# --- checking in ----------------------------------------------------------------------------------


def check_in(
    token: str,
    *,
    by: Any,
    session: EventSession | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Check a ticket in at the door (受付). `token` is what was scanned or typed: the QR code's
    address, the token, or the printed number. `session` is the session staff are running
    (None: the ticket's own, when the QR code was opened with a phone's camera app). Raises
    `CheckInRefused` with a message for the person at the door."""
    now = now or timezone.now()
    ticket = find_ticket(token)
    if ticket is not None:
        ticket = Ticket.objects.select_related("session__event", "checked_in_by").get(pk=ticket.pk)
    if ticket is None or not may_manage(by, ticket.session.event):
        raise CheckInRefused(
            _("この参加券は見つかりません。番号を確かめてください。"), code="not_found"
        )
    event = ticket.session.event
    if session is not None and event.pk != session.event_id:
        raise CheckInRefused(
            _("別の催し（%(event)s）の参加券です。") % {"event": event.title},
            code="other_event",
            ticket=ticket,
        )
    if session is not None and ticket.session_id != session.pk:
        raise CheckInRefused(
            _("同じ催しの、別の回（%(when)s）の参加券です。") % {"when": when(ticket.session)},
            code="other_session",
            ticket=ticket,
        )
    if event.status == Event.Status.CANCELLED:
        raise CheckInRefused(
            _("この催しは中止になりました。"), code="event_cancelled", ticket=ticket
        )
    if ticket.status == Ticket.Status.CANCELLED:
        raise CheckInRefused(_("この参加券は取り消されています。"), code="cancelled", ticket=ticket)
    if ticket.status == Ticket.Status.WAITING:
        raise CheckInRefused(
            _("キャンセル待ちの申し込みです。参加は確定していません。"),
            code="waiting",
            ticket=ticket,
        )
    if ticket.checked_in_at is not None:
        raise _already(ticket)
    if now < ticket.session.start - CHECK_IN_OPENS_BEFORE:
        opens = timezone.localtime(ticket.session.start - CHECK_IN_OPENS_BEFORE, calendar.TOKYO)
        raise CheckInRefused(
            _("%(when)sの回の参加券です。受付は当日の%(time)sからです。")
            % {"when": when(ticket.session), "time": f"{opens:%H:%M}"},
            code="too_early",
            ticket=ticket,
        )
    if now > ticket.session.end + CHECK_IN_CLOSES_AFTER:
        raise CheckInRefused(
            _("%(when)sの回は終わっています。") % {"when": when(ticket.session)},
            code="over",
            ticket=ticket,
        )
    with transaction.atomic():
        # Two phones scanning the same ticket at once: only one UPDATE finds it not checked in.
        updated = Ticket.objects.filter(
            pk=ticket.pk, status=Ticket.Status.CONFIRMED, checked_in_at__isnull=True
        ).update(checked_in_at=now, checked_in_by=by, updated_at=now)
        ticket.refresh_from_db()
        if not updated:
            raise _already(ticket)
        record(
            AuditAction.UPDATE,
            by=by,
            obj=ticket,
            subject_user_id=ticket.user_id,
            changes={"checked_in_at": now.isoformat()},
        )
    return ticket


def _already(ticket: Ticket) -> CheckInRefused:
    at = timezone.localtime(ticket.checked_in_at, calendar.TOKYO)
    return CheckInRefused(
        _("受付済みです（%(time)s）") % {"time": f"{at:%H:%M}"}, code="already", ticket=ticket
    )


@dataclass(frozen=True)
class CheckInCounts:
    confirmed_seats: int
    checked_in_seats: int
    checked_in_tickets: int


def check_in_counts(session: EventSession) -> CheckInCounts:
    counts = Ticket.objects.filter(session=session, status=Ticket.Status.CONFIRMED).aggregate(
        confirmed=Coalesce(Sum("seats"), 0),
        arrived=Coalesce(Sum("seats", filter=Q(checked_in_at__isnull=False)), 0),
        arrived_tickets=Count("pk", filter=Q(checked_in_at__isnull=False)),
    )
    return CheckInCounts(counts["confirmed"], counts["arrived"], counts["arrived_tickets"])


# --- what staff do with events ---------------------------------------------------------------------


EVENT_FIELDS = (
    "title",
    "title_en",
    "description",
    "description_en",
    "place",
    "max_seats_per_ticket",
    "registration_opens",
    "registration_closes",
)


def _check_event_fields(fields: dict[str, Any]) -> None:
    opens, closes = fields.get("registration_opens"), fields.get("registration_closes")
    if opens and closes and closes <= opens:
        raise ValidationError(
            _("申し込みの締め切りは、開始より後にしてください。"), code="registration"
        )
    if fields.get("max_seats_per_ticket", 1) < 1:
        raise ValidationError(_("人数の上限は1人以上にしてください。"), code="seats")


def create_event(*, by: Any, department: Any, fields: dict[str, Any]) -> Event:
    """A new event, as a draft (下書き) of `department`; residents see it once published."""
    if not by.is_superuser and staff_department_id(by) != department.pk:
        raise PermissionDenied
    _check_event_fields(fields)
    with transaction.atomic():
        event = Event.objects.create(
            department=department, **{key: fields[key] for key in EVENT_FIELDS if key in fields}
        )
        record(AuditAction.CREATE, by=by, obj=event)
    return event


def change_event(event: Event, *, by: Any, fields: dict[str, Any]) -> Event:
    _ensure_may_manage(by, event)
    _check_event_fields(fields)
    if event.status == Event.Status.CANCELLED:
        raise ValidationError(_("中止した催しは変更できません。"), code="cancelled")
    with transaction.atomic():
        for key in EVENT_FIELDS:
            if key in fields:
                setattr(event, key, fields[key])
        event.save()
        record(AuditAction.UPDATE, by=by, obj=event, changes={"fields": sorted(fields)})
    return event


def publish_event(event: Event, *, by: Any) -> Event:
    """Open a draft to residents (公開). It needs at least one session."""
    _ensure_may_manage(by, event)
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        if locked.status != Event.Status.DRAFT:
            raise ValidationError(_("下書きの催しだけを公開できます。"), code="not_draft")
        if not locked.sessions.exists():
            raise ValidationError(
                _("回（日時と定員）を一つ以上登録してから公開してください。"), code="no_sessions"
            )
        locked.status = Event.Status.PUBLISHED
        locked.save(update_fields=["status"])
        record(AuditAction.UPDATE, by=by, obj=locked, changes={"status": locked.status})
    return locked


def cancel_event(
    event: Event, *, by: Any, reason: str, now: dt.datetime | None = None
) -> list[Ticket]:
    """Call an event off (中止): every live ticket is cancelled and its holder told, with the
    reason. Returns the tickets cancelled."""
    _ensure_may_manage(by, event)
    now = now or timezone.now()
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError(
            _("中止の理由を書いてください。参加者へのお知らせに載ります。"), code="reason"
        )
    if len(reason) > MAX_REASON:
        raise ValidationError(
            _("理由は%(count)s文字以内で書いてください。") % {"count": MAX_REASON}, code="reason"
        )
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        if locked.status == Event.Status.CANCELLED:
            raise ValidationError(_("この催しは、すでに中止しています。"), code="cancelled")
        sessions = list(
            EventSession.objects.select_for_update().filter(event=locked).order_by("pk")
        )
        locked.status = Event.Status.CANCELLED
        locked.save(update_fields=["status"])
        tickets = list(
            Ticket.objects.select_related("user", "session__event__place")
            .filter(session__in=sessions, status__in=LIVE)
            .order_by("pk")
        )
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(
            status=Ticket.Status.CANCELLED, updated_at=now
        )
        EventSession.objects.filter(event=locked).update(seats_taken=0)
        record(
            AuditAction.UPDATE,
            by=by,
            obj=locked,
            reason=reason,
            changes={"status": locked.status, "tickets_cancelled": len(tickets)},
        )
        for ticket in tickets:
            ticket.status = Ticket.Status.CANCELLED
            if ticket.session.start > now:
                _tell(ticket, "reservations.event_cancelled", reason=reason)
    return tickets


def _check_session(
    start: dt.datetime, end: dt.datetime, capacity: int, waitlist_limit: int
) -> None:
    if end <= start:
        raise ValidationError(_("終わりの時刻は、始まりより後にしてください。"), code="period")
    if capacity < 1:
        raise ValidationError(_("定員は1人以上にしてください。"), code="capacity")
    if waitlist_limit < 0:
        raise ValidationError(_("キャンセル待ちの上限は0以上にしてください。"), code="waitlist")


def add_session(
    event: Event,
    *,
    by: Any,
    start: dt.datetime,
    end: dt.datetime,
    capacity: int,
    waitlist_limit: int,
) -> EventSession:
    _ensure_may_manage(by, event)
    if event.status == Event.Status.CANCELLED:
        raise ValidationError(_("中止した催しは変更できません。"), code="cancelled")
    _check_session(start, end, capacity, waitlist_limit)
    with transaction.atomic():
        session = EventSession.objects.create(
            event=event, start=start, end=end, capacity=capacity, waitlist_limit=waitlist_limit
        )
        record(AuditAction.CREATE, by=by, obj=session)
    return session


def change_session(
    session: EventSession,
    *,
    by: Any,
    start: dt.datetime,
    end: dt.datetime,
    capacity: int,
    waitlist_limit: int,
    now: dt.datetime | None = None,
) -> EventSession:
    """Change a session's time or numbers. The capacity cannot go below the seats confirmed;
    a larger capacity goes to the waiting list at once."""
    _ensure_may_manage(by, session.event)
    now = now or timezone.now()
    if session.event.status == Event.Status.CANCELLED:
        raise ValidationError(_("中止した催しは変更できません。"), code="cancelled")
    _check_session(start, end, capacity, waitlist_limit)
    with transaction.atomic():
        locked = EventSession.objects.select_for_update().get(pk=session.pk)
        if capacity < locked.seats_taken:
            raise ValidationError(
                ngettext(
                    "すでに%(count)s人の参加が確定しています。定員をそれより少なくはできません。",
                    "すでに%(count)s人の参加が確定しています。定員をそれより少なくはできません。",
                    locked.seats_taken,
                )
                % {"count": locked.seats_taken},
                code="capacity",
            )
        locked.start, locked.end = start, end
        locked.capacity, locked.waitlist_limit = capacity, waitlist_limit
        locked.save(update_fields=["start", "end", "capacity", "waitlist_limit"])
        promoted = _promote(locked.pk, now=now)
        record(
            AuditAction.UPDATE,
            by=by,
            obj=locked,
            changes={
                "capacity": capacity,
                "waitlist_limit": waitlist_limit,
                "promoted": len(promoted),
            },
        )
    return locked


def remove_session(session: EventSession, *, by: Any) -> None:
    """Delete a session nobody signed up for (a mistake); one with sign-ups stays on record."""
    _ensure_may_manage(by, session.event)
    with transaction.atomic():
        if Ticket.objects.filter(session=session).exists():
            raise ValidationError(
                _("申し込みのある回は削除できません。催しを中止してください。"), code="has_tickets"
            )
        record(AuditAction.DELETE, by=by, obj=session)
        session.delete()
