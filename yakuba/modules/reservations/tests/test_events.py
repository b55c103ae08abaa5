"""Events (催し・教室): signing up, the waiting list and its promotion, capacity, check-in, the
staff's actions, and who may see what."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.test import Client
from django.utils import timezone

from yakuba.modules.reservations import events
from yakuba.modules.reservations.models import Event, EventSession, Ticket
from yakuba.modules.reservations.tests.event_factories import resident, smartphone_class
from yakuba.platform.accounts.models import Department, User
from yakuba.platform.accounts.tests.factories import StaffFactory
from yakuba.platform.audit.models import AuditAction, AuditEntry
from yakuba.platform.notify.models import Message

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 3, 8, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
NOW = START - dt.timedelta(days=7)
MANAGE = ["reservations.change_event"]


@pytest.fixture
def session() -> EventSession:
    """3 seats, a waiting list of 2, up to 2 people a sign-up."""
    return smartphone_class(start=START)


@pytest.fixture
def staff() -> User:
    user: User = StaffFactory.create(permissions=MANAGE)
    return user


def sign_up(
    session: EventSession, user: User | None = None, seats: int = 1, **extra: Any
) -> Ticket:
    return events.sign_up(
        session,
        user=user or resident(),
        name=extra.pop("name", "亘理 花子"),
        seats=seats,
        now=extra.pop("now", NOW),
        **extra,
    )


def seats_taken(session: EventSession) -> int:
    session.refresh_from_db()
    return session.seats_taken


def statuses(*tickets: Ticket) -> list[str]:
    return [Ticket.objects.get(pk=t.pk).status for t in tickets]


def error_code(error: pytest.ExceptionInfo[ValidationError]) -> str | None:
    return error.value.error_list[0].code


# --- signing up ---------------------------------------------------------------------------------


def test_a_sign_up_with_free_seats_is_confirmed_and_told(session: EventSession) -> None:
    person = resident()
    ticket = sign_up(session, person, seats=2)
    assert ticket.status == Ticket.Status.CONFIRMED
    assert seats_taken(session) == 2
    message = Message.objects.get(kind="reservations.event_signed_up")
    assert message.context["number"] == events.ticket_number(ticket)
    assert message.context["seats"] == "2"
    assert message.link_url == f"/reservations/events/tickets/{ticket.pk}/"


def test_when_full_the_next_waits_in_order_and_then_is_refused(session: EventSession) -> None:
    sign_up(session, seats=2)
    sign_up(session, seats=1)
    assert seats_taken(session) == 3
    first = sign_up(session, seats=1)
    second = sign_up(session, seats=1)
    assert [first.status, second.status] == [Ticket.Status.WAITING, Ticket.Status.WAITING]
    assert [events.waiting_position(first), events.waiting_position(second)] == [1, 2]
    told = Message.objects.get(kind="reservations.event_waitlisted", recipients__user=second.user)
    assert told.context["position"] == "2"
    with pytest.raises(ValidationError) as error:
        sign_up(session, seats=1)
    assert error_code(error) == "full"
    assert "キャンセル待ちもいっぱい" in error.value.messages[0]
    assert Ticket.objects.count() == 4  # nothing saved for the refused one
    assert seats_taken(session) == 3


def test_the_waiting_list_counts_people_not_sign_ups(session: EventSession) -> None:
    sign_up(session, seats=2)
    sign_up(session, seats=1)
    sign_up(session, seats=2)  # fills the waiting list of 2 people
    with pytest.raises(ValidationError) as error:
        sign_up(session, seats=1)
    assert error_code(error) == "full"


def test_without_a_waiting_list_a_full_session_is_refused() -> None:
    session = smartphone_class(start=START, capacity=1, waitlist_limit=0)
    sign_up(session)
    with pytest.raises(ValidationError) as error:
        sign_up(session)
    assert error.value.messages == ["満席のため、申し込めません。"]


@pytest.mark.parametrize("seats", [0, 3, -1])
def test_the_number_of_people_must_be_within_the_events_limit(
    session: EventSession, seats: int
) -> None:
    with pytest.raises(ValidationError) as error:
        sign_up(session, seats=seats)
    assert error_code(error) == "seats"
    assert "1人から2人まで" in error.value.messages[0]
    assert seats_taken(session) == 0


def test_a_sign_up_for_more_than_the_capacity_is_refused_not_put_on_the_waiting_list() -> None:
    session = smartphone_class(start=START, capacity=2, max_seats=5)
    with pytest.raises(ValidationError) as error:
        sign_up(session, seats=3)
    assert error.value.messages == ["この回の定員は2人です。"]


def test_one_live_sign_up_per_person_per_session(session: EventSession) -> None:
    person = resident()
    ticket = sign_up(session, person)
    with pytest.raises(ValidationError) as error:
        sign_up(session, person)
    assert error_code(error) == "duplicate"
    events.cancel_ticket(ticket, by=person, now=NOW)
    assert sign_up(session, person).status == Ticket.Status.CONFIRMED


@pytest.mark.parametrize(
    ("extra", "now", "code"),
    [
        ({"registration_opens": NOW + dt.timedelta(days=1)}, NOW, "not_yet"),
        ({"registration_closes": NOW - dt.timedelta(minutes=1)}, NOW, "closed"),
        ({}, START - dt.timedelta(minutes=1), None),
        ({}, START, "past"),
        ({"status": Event.Status.DRAFT}, NOW, "not_published"),
        ({"status": Event.Status.CANCELLED}, NOW, "not_published"),
    ],
)
def test_the_registration_window(extra: dict[str, Any], now: dt.datetime, code: str | None) -> None:
    session = smartphone_class(start=START, **extra)
    if code is None:
        assert sign_up(session, now=now).status == Ticket.Status.CONFIRMED
        return
    with pytest.raises(ValidationError) as error:
        sign_up(session, now=now)
    assert error_code(error) == code


def test_a_name_is_needed(session: EventSession) -> None:
    with pytest.raises(ValidationError) as error:
        sign_up(session, name="　 ")
    assert error_code(error) == "name"


def test_the_database_refuses_more_seats_than_the_capacity(session: EventSession) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        EventSession.objects.filter(pk=session.pk).update(seats_taken=F("capacity") + 1)


# --- cancelling and the waiting list -----------------------------------------------------------------


def test_cancelling_promotes_the_first_waiting_and_tells_them(session: EventSession) -> None:
    holder = sign_up(session, seats=2)
    sign_up(session, seats=1)
    first, second = sign_up(session), sign_up(session)
    events.cancel_ticket(holder, by=holder.user, now=NOW)
    assert statuses(holder, first, second) == ["cancelled", "confirmed", "confirmed"]
    assert seats_taken(session) == 3
    promoted = Message.objects.filter(kind="reservations.event_promoted")
    assert {m.recipients.get().user_id for m in promoted} == {first.user_id, second.user_id}


def test_a_waiting_sign_up_too_big_for_the_free_seats_is_passed_over_but_keeps_its_place(
    session: EventSession,
) -> None:
    pair = sign_up(session, seats=2)
    single = sign_up(session, seats=1)
    waiting_pair = sign_up(session, seats=2)
    events.cancel_ticket(single, by=single.user, now=NOW)
    # One seat free: the pair waiting first does not fit; nobody else waits.
    assert statuses(waiting_pair) == ["waiting"]
    late_single = sign_up(session)  # the free seat may be taken: no waiting sign-up fits it
    assert late_single.status == Ticket.Status.CONFIRMED
    events.cancel_ticket(pair, by=pair.user, now=NOW)
    assert statuses(waiting_pair) == ["confirmed"]
    assert seats_taken(session) == 3


def test_promotion_is_in_sign_up_order(session: EventSession) -> None:
    first_holder = sign_up(session, seats=1)
    sign_up(session, seats=2)
    queue = [sign_up(session), sign_up(session)]
    events.cancel_ticket(first_holder, by=first_holder.user, now=NOW)
    assert statuses(*queue) == ["confirmed", "waiting"]
    assert events.waiting_position(queue[1]) == 1


def test_cancelling_a_waiting_sign_up_frees_no_seat_and_moves_the_others_up(
    session: EventSession,
) -> None:
    sign_up(session, seats=2)
    sign_up(session, seats=1)
    first, second = sign_up(session), sign_up(session)
    events.cancel_ticket(first, by=first.user, now=NOW)
    assert seats_taken(session) == 3
    assert statuses(second) == ["waiting"]
    assert events.waiting_position(second) == 1
    assert not Message.objects.filter(kind="reservations.event_promoted").exists()


def test_a_ticket_cannot_be_cancelled_twice_or_once_the_session_started(
    session: EventSession,
) -> None:
    ticket = sign_up(session)
    with pytest.raises(ValidationError) as error:
        events.cancel_ticket(ticket, by=ticket.user, now=START)
    assert error_code(error) == "started"
    events.cancel_ticket(ticket, by=ticket.user, now=NOW)
    with pytest.raises(ValidationError) as error:
        events.cancel_ticket(ticket, by=ticket.user, now=NOW)
    assert error_code(error) == "cancelled"
    assert seats_taken(session) == 0


def test_only_the_holder_cancels_a_ticket(session: EventSession) -> None:
    ticket = sign_up(session)
    with pytest.raises(PermissionDenied):
        events.cancel_ticket(ticket, by=resident(), now=NOW)
    assert statuses(ticket) == ["confirmed"]


def test_a_larger_capacity_goes_to_the_waiting_list(session: EventSession, staff: User) -> None:
    sign_up(session, seats=2)
    sign_up(session, seats=1)
    waiting = sign_up(session, seats=2)
    events.change_session(
        session,
        by=staff,
        start=session.start,
        end=session.end,
        capacity=5,
        waitlist_limit=2,
        now=NOW,
    )
    assert statuses(waiting) == ["confirmed"]
    assert seats_taken(session) == 5


def test_the_capacity_cannot_go_below_the_seats_confirmed(
    session: EventSession, staff: User
) -> None:
    sign_up(session, seats=2)
    with pytest.raises(ValidationError) as error:
        events.change_session(
            session, by=staff, start=session.start, end=session.end, capacity=1, waitlist_limit=0
        )
    assert error_code(error) == "capacity"
    session.refresh_from_db()
    assert session.capacity == 3


# --- checking in ---------------------------------------------------------------------------------


AT_THE_DOOR = START - dt.timedelta(minutes=10)


def test_a_confirmed_ticket_checks_in_once(session: EventSession, staff: User) -> None:
    ticket = sign_up(session, seats=2)
    arrived = events.check_in(ticket.token, by=staff, session=session, now=AT_THE_DOOR)
    assert arrived.checked_in_at == AT_THE_DOOR
    assert arrived.checked_in_by == staff
    assert AuditEntry.objects.filter(
        action=AuditAction.UPDATE, object_id=str(ticket.pk), subject_user_id=ticket.user_id
    ).exists()
    with pytest.raises(events.CheckInRefused) as again:
        events.check_in(ticket.token, by=staff, session=session, now=AT_THE_DOOR)
    assert again.value.messages == ["受付済みです（09:50）"]
    assert again.value.ticket == ticket
    assert events.check_in_counts(session) == events.CheckInCounts(2, 2, 1)


@pytest.mark.parametrize(
    "typed",
    [
        "{number}",
        "{digits}",
        "{wide}",
        "{token}",
        "https://town.example.jp/reservations/staff/events/check-in/{token}/",
    ],
)
def test_a_ticket_is_found_by_its_number_its_token_or_the_qr_codes_address(
    session: EventSession, staff: User, typed: str
) -> None:
    ticket = sign_up(session)
    number = events.ticket_number(ticket)
    digits = number.replace("-", "")
    wide = digits.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    text = typed.format(number=number, digits=digits, wide=wide, token=ticket.token)
    assert events.check_in(text, by=staff, session=session, now=AT_THE_DOOR).pk == ticket.pk


def test_a_mistyped_number_finds_nobody(session: EventSession, staff: User) -> None:
    ticket = sign_up(session)
    digits = events.ticket_number(ticket).replace("-", "")
    wrong = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    for text in (wrong, digits[:-1], "", "////", "nonsense"):
        with pytest.raises(events.CheckInRefused) as error:
            events.check_in(text, by=staff, session=session, now=AT_THE_DOOR)
        assert error.value.code == "not_found"


def test_check_in_refusals_say_why(session: EventSession, staff: User) -> None:
    later = EventSession.objects.create(
        event=session.event,
        start=START + dt.timedelta(days=7),
        end=START + dt.timedelta(days=7, hours=2),
        capacity=3,
    )
    other_event = smartphone_class(start=START, title="健康講座")
    cancelled = sign_up(session)
    events.cancel_ticket(cancelled, by=cancelled.user, now=NOW)
    sign_up(session, seats=2)
    sign_up(session)
    waiting = sign_up(session)
    next_week = sign_up(later)
    elsewhere = sign_up(other_event)
    cases = [
        (cancelled, "cancelled", "この参加券は取り消されています。"),
        (waiting, "waiting", "キャンセル待ちの申し込みです。参加は確定していません。"),
        (
            next_week,
            "other_session",
            "同じ催しの、別の回（3月15日（月） 10:00–12:00）の参加券です。",
        ),
        (elsewhere, "other_event", "別の催し（健康講座）の参加券です。"),
    ]
    for ticket, code, message in cases:
        with pytest.raises(events.CheckInRefused) as error:
            events.check_in(ticket.token, by=staff, session=session, now=AT_THE_DOOR)
        assert (error.value.code, error.value.messages) == (code, [message])


@pytest.mark.parametrize(
    ("now", "code"),
    [
        (START - dt.timedelta(days=1), "too_early"),
        (START - dt.timedelta(hours=3, minutes=1), "too_early"),
        (START - dt.timedelta(hours=3), None),
        (START + dt.timedelta(hours=3), None),  # an hour after the end
        (START + dt.timedelta(hours=3, minutes=1), "over"),
    ],
)
def test_check_in_is_on_the_day_of_the_session(
    session: EventSession, staff: User, now: dt.datetime, code: str | None
) -> None:
    ticket = sign_up(session)
    if code is None:
        assert events.check_in(ticket.token, by=staff, now=now).checked_in_at == now
        return
    with pytest.raises(events.CheckInRefused) as error:
        events.check_in(ticket.token, by=staff, now=now)
    assert error.value.code == code


def test_staff_of_another_department_cannot_check_in(session: EventSession) -> None:
    ticket = sign_up(session)
    outsider = StaffFactory.create(permissions=MANAGE)
    outsider.staff_member.department = Department.objects.create(code="kikaku", name="企画課")
    outsider.staff_member.save()
    with pytest.raises(events.CheckInRefused) as error:
        events.check_in(ticket.token, by=outsider, now=AT_THE_DOOR)
    assert error.value.code == "not_found"
    assert error.value.ticket is None


def test_a_cancelled_event_checks_nobody_in(session: EventSession, staff: User) -> None:
    ticket = sign_up(session)
    events.cancel_event(session.event, by=staff, reason="台風のため", now=NOW)
    with pytest.raises(events.CheckInRefused) as error:
        events.check_in(ticket.token, by=staff, now=AT_THE_DOOR)
    assert error.value.code == "event_cancelled"


# --- what staff do -------------------------------------------------------------------------------


def test_cancelling_an_event_cancels_every_sign_up_and_tells_each(
    session: EventSession, staff: User
) -> None:
    confirmed = [sign_up(session, seats=2), sign_up(session)]
    waiting = sign_up(session)
    Message.objects.all().delete()
    cancelled = events.cancel_event(session.event, by=staff, reason="講師の急病のため", now=NOW)
    assert sorted(t.pk for t in cancelled) == sorted(t.pk for t in [*confirmed, waiting])
    assert set(statuses(*confirmed, waiting)) == {"cancelled"}
    assert seats_taken(session) == 0
    told = Message.objects.filter(kind="reservations.event_cancelled")
    assert told.count() == 3
    assert {m.context["reason"] for m in told} == {"講師の急病のため"}
    with pytest.raises(ValidationError):
        events.cancel_event(session.event, by=staff, reason="もう一度", now=NOW)


def test_an_event_is_not_cancelled_without_a_reason(session: EventSession, staff: User) -> None:
    with pytest.raises(ValidationError) as error:
        events.cancel_event(session.event, by=staff, reason="  ", now=NOW)
    assert error_code(error) == "reason"
    session.event.refresh_from_db()
    assert session.event.status == Event.Status.PUBLISHED


def test_a_draft_is_published_only_with_a_session(staff: User) -> None:
    event = events.create_event(
        by=staff,
        department=staff.staff_member.department,
        fields={"title": "マイナンバーカード申請受付日"},
    )
    assert event.status == Event.Status.DRAFT
    with pytest.raises(ValidationError) as error:
        events.publish_event(event, by=staff)
    assert error_code(error) == "no_sessions"
    events.add_session(
        event,
        by=staff,
        start=START,
        end=START + dt.timedelta(hours=1),
        capacity=10,
        waitlist_limit=0,
    )
    assert events.publish_event(event, by=staff).status == Event.Status.PUBLISHED
    with pytest.raises(ValidationError):
        events.publish_event(event, by=staff)


def test_staff_manage_only_their_departments_events(session: EventSession) -> None:
    outsider = StaffFactory.create(permissions=MANAGE)
    outsider.staff_member.department = Department.objects.create(code="kikaku", name="企画課")
    outsider.staff_member.save()
    with pytest.raises(PermissionDenied):
        events.cancel_event(session.event, by=outsider, reason="間違い")
    with pytest.raises(PermissionDenied):
        events.create_event(by=outsider, department=session.event.department, fields={"title": "x"})
    assert list(events.events_for(outsider)) == []


def test_a_session_with_sign_ups_cannot_be_removed(session: EventSession, staff: User) -> None:
    sign_up(session)
    with pytest.raises(ValidationError) as error:
        events.remove_session(session, by=staff)
    assert error_code(error) == "has_tickets"


# --- pages ---------------------------------------------------------------------------------------


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upcoming_class(**extra: Any) -> EventSession:
    return smartphone_class(start=timezone.now() + dt.timedelta(days=3), **extra)


def test_the_list_shows_published_events_with_free_seats_in_words() -> None:
    full = upcoming_class(capacity=1, waitlist_limit=1)
    events.sign_up(full, user=resident(), name="亘理 一郎")
    smartphone_class(
        start=timezone.now() + dt.timedelta(days=3), title="下書きの催し", status=Event.Status.DRAFT
    )
    page = Client().get("/reservations/events/").content.decode()
    assert "スマホ教室（はじめてのLINE）" in page
    assert "満席・キャンセル待ちを受付中（あと1人）" in page
    assert "下書きの催し" not in page


def test_the_sign_up_form_is_filled_from_the_profile_and_needs_signing_in() -> None:
    session = upcoming_class()
    page = Client().get(f"/reservations/events/{session.event_id}/").content.decode()
    assert "ログインして申し込む" in page
    response = Client().post(f"/reservations/events/{session.event_id}/sign-up/", {})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    person = resident(family_name="亘理", given_name="花子")
    page = client_for(person).get(f"/reservations/events/{session.event_id}/").content.decode()
    assert 'value="亘理 花子"' in page
    assert 'value="0223-34-1111"' in page


def test_a_resident_signs_up_sees_the_ticket_and_nobody_else_can(tmp_path: Any) -> None:
    session = upcoming_class()
    person = resident()
    client = client_for(person)
    response = client.post(
        f"/reservations/events/{session.event_id}/sign-up/",
        {"session": session.pk, "name": "亘理 花子", "phone": "0223-34-1111", "seats": 2},
    )
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/reservations/events/tickets/{ticket.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "<svg" in page and events.ticket_number(ticket) in page
    png = client.get(f"/reservations/events/tickets/{ticket.pk}/qr.png")
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    other = client_for(resident())
    for url in ("", "qr.png", "cancel/"):
        assert other.get(f"/reservations/events/tickets/{ticket.pk}/{url}").status_code == 404
    assert other.post(f"/reservations/events/tickets/{ticket.pk}/cancel/").status_code == 404
    assert Ticket.objects.get().status == Ticket.Status.CONFIRMED


def test_a_refused_sign_up_shows_the_reason_on_the_form() -> None:
    session = upcoming_class()
    response = client_for(resident()).post(
        f"/reservations/events/{session.event_id}/sign-up/",
        {"session": session.pk, "name": "", "seats": 1},
    )
    assert response.status_code == 400
    assert "氏名を書いてください。" in response.content.decode()
    assert not Ticket.objects.exists()


def test_cancelling_from_the_ticket_page_asks_first() -> None:
    session = upcoming_class()
    person = resident()
    ticket = events.sign_up(session, user=person, name="亘理 花子")
    client = client_for(person)
    page = client.get(f"/reservations/events/tickets/{ticket.pk}/cancel/").content.decode()
    assert "申し込みを取り消しますか" in page
    assert Ticket.objects.get().status == Ticket.Status.CONFIRMED
    response = client.post(f"/reservations/events/tickets/{ticket.pk}/cancel/")
    assert response["Location"] == "/reservations/events/tickets/"
    assert Ticket.objects.get().status == Ticket.Status.CANCELLED


def test_staff_pages_need_the_permission_and_the_department(staff: User) -> None:
    session = upcoming_class()
    ticket = events.sign_up(session, user=resident(), name="亘理 花子")
    urls = [
        f"/reservations/staff/events/{session.event_id}/",
        f"/reservations/staff/events/{session.event_id}/edit/",
        f"/reservations/staff/events/sessions/{session.pk}/attendees/",
        f"/reservations/staff/events/sessions/{session.pk}/check-in/",
        f"/reservations/staff/events/check-in/{ticket.token}/",
    ]
    outsider = StaffFactory.create(permissions=MANAGE)
    outsider.staff_member.department = Department.objects.create(code="kikaku", name="企画課")
    outsider.staff_member.save()
    no_permission = StaffFactory.create()
    for url in urls:
        assert client_for(staff).get(url).status_code == 200, url
        assert client_for(outsider).get(url).status_code == 404, url
        assert client_for(no_permission).get(url).status_code == 403, url
    assert client_for(resident()).get(urls[0]).status_code == 403


def test_the_attendee_list_is_audited_as_a_read_of_personal_data(staff: User) -> None:
    session = upcoming_class()
    tickets = [events.sign_up(session, user=resident(), name=n) for n in ("亘理 花子", "荒浜 太郎")]
    page = client_for(staff).get(f"/reservations/staff/events/sessions/{session.pk}/attendees/")
    assert "荒浜 太郎" in page.content.decode()
    reads = AuditEntry.objects.filter(action=AuditAction.READ, object_type="reservations.ticket")
    assert list(reads.values_list("subject_user_id", flat=True).order_by("pk")) == [
        t.user_id for t in tickets
    ]


def test_typing_a_ticket_number_at_the_door(staff: User) -> None:
    session = smartphone_class(start=timezone.now() + dt.timedelta(minutes=30))
    ticket = events.sign_up(session, user=resident(), name="亘理 花子", seats=2)
    url = f"/reservations/staff/events/sessions/{session.pk}/check-in/"
    client = client_for(staff)
    page = client.post(url, {"code": events.ticket_number(ticket)}).content.decode()
    assert "受付しました" in page and "亘理 花子 様" in page and "2人" in page
    assert 'role="status"' in page
    # With htmx, only the result (and the counts, out of band) come back.
    fragment = client.post(url, {"code": events.ticket_number(ticket)}, HTTP_HX_REQUEST="true")
    text = fragment.content.decode()
    assert "<html" not in text
    assert re.search(r"受付済みです（\d\d:\d\d）", text)
    assert 'hx-swap-oob="true"' in text and "受付済み 2人 / 参加確定 2人" in text
    empty = client.post(url, {"code": ""}, HTTP_HX_REQUEST="true").content.decode()
    assert "参加券の番号を入力してください。" in empty


def test_the_qr_codes_page_checks_in_only_when_the_button_is_pressed(staff: User) -> None:
    session = smartphone_class(start=timezone.now() + dt.timedelta(minutes=30))
    ticket = events.sign_up(session, user=resident(), name="亘理 花子")
    url = f"/reservations/staff/events/check-in/{ticket.token}/"
    client = client_for(staff)
    assert "受付する" in client.get(url).content.decode()
    ticket.refresh_from_db()
    assert ticket.checked_in_at is None
    assert "受付しました" in client.post(url).content.decode()
    ticket.refresh_from_db()
    assert ticket.checked_in_by == staff


def test_staff_create_an_event_add_a_session_and_publish_it(staff: User) -> None:
    client = client_for(staff)
    response = client.post(
        "/reservations/staff/events/new/",
        {"title": "スマホ教室（写真の送り方）", "max_seats_per_ticket": 1},
    )
    event = Event.objects.get()
    assert response["Location"] == f"/reservations/staff/events/{event.pk}/sessions/new/"
    day = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    bad = client.post(
        response["Location"],
        {"day": day, "start": "12:00", "end": "10:00", "capacity": 10, "waitlist_limit": 5},
    )
    assert bad.status_code == 400
    client.post(
        response["Location"],
        {"day": day, "start": "10:00", "end": "12:00", "capacity": 10, "waitlist_limit": 5},
    )
    client.post(f"/reservations/staff/events/{event.pk}/publish/")
    event.refresh_from_db()
    assert event.status == Event.Status.PUBLISHED
    assert event.department == staff.staff_member.department
    assert "スマホ教室（写真の送り方）" in Client().get("/reservations/events/").content.decode()
