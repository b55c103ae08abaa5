"""The demo facilities of 亘理町: at the places demo's places, with fee tables the fee engine
accepts, a few bookings and a closure that keep the rules, groups, a lottery open for
applications and published events with tickets, each managed by its department's demo staff;
and idempotent."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone

from yakuba.core.registry import registry
from yakuba.modules.reservations import calendar, demo, events, fees, groups, lottery, services
from yakuba.modules.reservations.models import (
    Booking,
    BookingMode,
    Closure,
    Event,
    EventSession,
    Facility,
    FacilityKind,
    FeeSchedule,
    Group,
    LotteryEntry,
    LotteryRound,
    LotteryWish,
    Occupancy,
    Ticket,
    Unit,
)
from yakuba.platform.accounts import demo as accounts_demo
from yakuba.platform.accounts.models import Department, User
from yakuba.platform.audit.models import AuditEntry
from yakuba.platform.notify.models import Message
from yakuba.platform.places import demo as places_demo

pytestmark = pytest.mark.django_db

MODELS = (
    Facility,
    Unit,
    FeeSchedule,
    Closure,
    Group,
    Booking,
    Occupancy,
    LotteryRound,
    LotteryEntry,
    LotteryWish,
    Event,
    EventSession,
    Ticket,
    Message,
    AuditEntry,
)
SHISETSU, STAFF = demo.MANAGERS["shogai"], demo.MANAGERS["chomin"]
SMARTPHONE_CLASS = "スマホ教室（はじめてのスマートフォン）"
CARD_HELP = "マイナンバーカード申請サポート会"


@pytest.fixture
def town() -> None:
    places_demo.load_demo()
    accounts_demo.load_demo()
    demo.load_demo()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_the_demo_is_registered() -> None:
    assert registry["reservations"].load_demo is demo.load_demo


def user(email: str) -> User:
    return User.objects.get(email=email)


def test_loading_the_demo_twice_changes_nothing(town: None) -> None:
    first = counts()

    def rows() -> list[list[tuple[object, ...]]]:
        return [
            list(Booking.objects.order_by("pk").values_list("pk", "start", "status", "fee_amount")),
            list(Group.objects.order_by("pk").values_list("pk", "status")),
            list(LotteryRound.objects.order_by("pk").values_list("pk", "seed", "status")),
            list(EventSession.objects.order_by("pk").values_list("pk", "start", "seats_taken")),
            list(Ticket.objects.order_by("pk").values_list("pk", "status", "seats")),
        ]

    before = rows()
    demo.load_demo()
    assert counts() == first
    assert rows() == before


def test_the_departments_and_staff_come_from_the_accounts_demo() -> None:
    places_demo.load_demo()
    accounts_demo.load_demo()
    departments = list(Department.objects.order_by("pk").values_list("pk", "code", "name"))
    demo.load_demo()
    assert list(Department.objects.order_by("pk").values_list("pk", "code", "name")) == departments
    assert Facility.objects.exists()


def test_each_facility_and_event_is_managed_by_its_departments_demo_staff(town: None) -> None:
    managers = {code: user(email) for code, email in demo.MANAGERS.items()}
    for facility in Facility.objects.select_related("department"):
        for code, manager in managers.items():
            assert services.may_manage(manager, facility) == (code == facility.department.code)
    # The rounds' and events' staff pages need the role's permissions too.
    for manager in managers.values():
        assert manager.has_perm("reservations.change_booking")
        assert manager.has_perm("reservations.change_event")
    assert Event.objects.count() == 2
    for event in Event.objects.select_related("department"):
        for code, manager in managers.items():
            assert events.may_manage(manager, event) == (code == event.department.code)
    for lottery_round in LotteryRound.objects.all():
        assert lottery.may_manage_round(managers["shogai"], lottery_round)


def test_the_facilities_stand_at_the_towns_places(town: None) -> None:
    places = dict(Facility.objects.values_list("code", "place__code"))
    assert places == {
        "kouminkan-kaigi1": "FAC-002",
        "kouminkan-kaigi2": "FAC-002",
        "kouminkan-washitsu": "FAC-002",
        "taiikukan-arena": "FAC-004",
        "undokoen-tennis": "EVA-002",
        "undokoen-ground": "EVA-002",
        "mynumber-card": "FAC-001",
    }


def test_every_fee_table_passes_the_fee_engines_checks(town: None) -> None:
    for schedule in FeeSchedule.objects.select_related("facility"):
        facility = schedule.facility
        problems = fees.check_rules(
            schedule.rules,
            unit_codes=set(facility.units.values_list("code", flat=True)),
            slot_codes={slot["code"] for slot in facility.fixed_slots},
        )
        assert problems == [], facility.code
    # Every facility has a fee table but the card counter, which is free of charge.
    without = Facility.objects.annotate(tables=Count("fee_schedules")).filter(tables=0)
    assert [f.code for f in without] == ["mynumber-card"]


def test_the_arenas_halves_are_parts_of_its_whole_floor(town: None) -> None:
    units = {u.code: u for u in Unit.objects.filter(facility__code="taiikukan-arena")}
    assert units["half-a"].parent == units["half-b"].parent == units["whole"]
    assert units["whole"].parent is None


def test_the_card_counter_takes_half_hour_appointments_on_weekdays_and_saturday_mornings(
    town: None,
) -> None:
    counter = Facility.objects.get(code="mynumber-card")
    assert (counter.kind, counter.mode) == (FacilityKind.COUNTER, BookingMode.FREE)
    assert counter.step_minutes == counter.min_minutes == counter.max_minutes == 30
    assert counter.opening_hours["sat"] == ["09:00", "12:00"]
    assert "sun" not in counter.opening_hours
    assert counter.department.code == "chomin"


def test_the_demo_residents_bookings_keep_the_rules(town: None) -> None:
    resident = User.objects.get(email=demo.RESIDENT)
    mine = Booking.objects.filter(user=resident).select_related("facility", "unit")
    assert mine.count() == 5
    assert mine.filter(status=Booking.Status.CANCELLED).count() == 1
    meeting = mine.get(facility__code="kouminkan-kaigi1", status=Booking.Status.CONFIRMED)
    # 午後 in 会議室1: 700 yen, and 300 yen for heating or air conditioning in that slot.
    assert meeting.fee_amount == 1000
    assert meeting.contact_name == "亘理 花子"
    card = mine.get(facility__code="mynumber-card")
    assert card.fee_amount == 0
    assert calendar.opening(card.facility, card.start.astimezone(calendar.TOKYO).date())
    # Each confirmed booking holds its leaves; the cancelled one holds nothing.
    for booking in Booking.objects.all():
        held = Occupancy.objects.filter(booking=booking).count()
        expected = 2 if booking.unit.code == "whole" else 1
        assert held == (expected if booking.status == Booking.Status.CONFIRMED else 0)


def test_the_arenas_halves_are_booked_at_once_by_two_people(town: None) -> None:
    halves = Booking.objects.filter(facility__code="taiikukan-arena", unit__code__startswith="half")
    assert halves.count() == 2
    first, second = halves
    assert (first.start, first.end) == (second.start, second.end)
    assert first.user_id != second.user_id


def test_the_arena_is_closed_for_maintenance_after_the_demo_bookings(town: None) -> None:
    closure = Closure.objects.get(facility__code="taiikukan-arena")
    assert closure.kind == Closure.Kind.MAINTENANCE
    # One row for each half: the whole floor is made of them.
    assert Occupancy.objects.filter(closure=closure).count() == 2
    last_booking = Booking.objects.order_by("-end").first()
    assert last_booking is not None and closure.start > last_booking.end


def test_a_reduction_is_requested_for_the_tea_ceremony_class(town: None) -> None:
    tea = Booking.objects.get(facility__code="kouminkan-washitsu")
    assert tea.reduction == Booking.Reduction.REQUESTED
    assert tea.reduction_code == "social_education"


def test_without_the_places_or_accounts_demo_nothing_is_loaded() -> None:
    demo.load_demo()
    assert not Facility.objects.exists()
    places_demo.load_demo()
    demo.load_demo()
    assert not Facility.objects.exists()


def test_the_model_residents_group_is_approved_with_two_members(town: None) -> None:
    group = Group.objects.get(name="亘理ソフトバレー愛好会")
    assert group.status == Group.Status.APPROVED
    assert group.representative == user(demo.RESIDENT)
    assert group.in_town
    assert group.decided_by == user(SHISETSU)
    assert set(group.members.values_list("email", flat=True)) == set(demo.OTHERS[:2])
    assert list(groups.groups_of(user(demo.OTHERS[0]))) == [group]


def test_a_second_group_waits_for_staff_to_review_it(town: None) -> None:
    group = Group.objects.get(name="悠里太極拳クラブ")
    assert group.status == Group.Status.PENDING
    assert group.decided_by is None
    assert group.representative != user(demo.RESIDENT)
    assert groups.pending_count(user(SHISETSU)) == groups.pending_count(user(STAFF)) == 1


def test_the_arenas_month_after_next_is_open_for_lottery_applications(town: None) -> None:
    now = timezone.now()
    today = calendar.today()
    lottery_round = LotteryRound.objects.get()
    assert [f.code for f in lottery_round.facilities.all()] == ["taiikukan-arena"]
    assert lottery_round.use_month == calendar.months_before(today, -2)
    assert lottery_round.status == LotteryRound.Status.OPEN
    assert lottery.is_accepting(lottery_round, now=now)
    assert lottery_round.applications_close.astimezone(calendar.TOKYO).date() == (
        today + dt.timedelta(days=10)
    )
    assert (
        lottery_round.applications_close
        < lottery_round.confirm_by
        <= lottery.month_start(lottery_round)
    )
    # The hash of the seed is public from the start; the seed itself only after the draw.
    assert lottery_round.seed_sha256 == hashlib.sha256(lottery_round.seed.encode()).hexdigest()
    assert lottery.published_seed(lottery_round) == ""
    assert lottery_round.created_by == user(SHISETSU)
    # The month is not booked first come while the lottery decides it.
    arena = Facility.objects.get(code="taiikukan-arena")
    day = lottery_round.use_month + dt.timedelta(days=14)
    request = services.BookingRequest(
        unit=arena.units.get(code="whole"),
        start=calendar.at(day, dt.time(9)),
        end=calendar.at(day, dt.time(11)),
        purpose=arena.purposes[0],
        attendees=10,
        contact_name="亘理 花子",
    )
    with pytest.raises(ValidationError) as refused:
        services.check(request, user=user(demo.RESIDENT))
    assert refused.value.code == "lottery"


def test_the_lottery_has_entries_of_other_residents_in_its_month(town: None) -> None:
    lottery_round = LotteryRound.objects.get()
    entries = lottery_round.entries.select_related("user")
    assert entries.count() == len(demo.LOTTERY_ENTRIES)
    assert {entry.user.email for entry in entries} == {e.who for e in demo.LOTTERY_ENTRIES}
    assert not entries.filter(group__isnull=False).exists()
    for wish in LotteryWish.objects.filter(entry__round=lottery_round):
        day = wish.start.astimezone(calendar.TOKYO).date()
        assert day.replace(day=1) == lottery_round.use_month
        assert day.day > 7  # not in the New Year holidays
        assert wish.result == LotteryWish.Result.PENDING


def test_the_model_resident_can_still_enter_the_lottery_for_her_group(town: None) -> None:
    lottery_round = LotteryRound.objects.get()
    arena = Facility.objects.get(code="taiikukan-arena")
    resident = user(demo.RESIDENT)
    day = lottery_round.use_month + dt.timedelta(days=20)
    entry = lottery.enter(
        lottery_round,
        lottery.EntryDetails(
            purpose=arena.purposes[0],
            attendees=12,
            contact_name="亘理 花子",
            group=Group.objects.get(name="亘理ソフトバレー愛好会"),
            wishes=[
                lottery.WishChoice(
                    unit=arena.units.get(code="half-b"),
                    start=calendar.at(day, dt.time(19)),
                    end=calendar.at(day, dt.time(21)),
                )
            ],
        ),
        user=resident,
    )
    assert entry in lottery.entries_of(resident)


def test_the_draw_of_the_demo_lottery_gives_each_period_once(town: None) -> None:
    lottery_round = LotteryRound.objects.get()
    assert lottery.draw(lottery_round, now=lottery_round.applications_close)
    won = LotteryWish.objects.filter(entry__round=lottery_round, result=LotteryWish.Result.WON)
    # Two entries want the same whole floor first, a third one of its halves at that time:
    # one of them loses it and the two whole-floor entries have a free second wish.
    assert 3 <= won.count() <= len(demo.LOTTERY_ENTRIES)
    assert len(set(won.values_list("entry", flat=True))) == won.count()
    tentative = Booking.objects.filter(status=Booking.Status.TENTATIVE)
    assert tentative.count() == won.count()
    assert all(booking.fee_amount > 0 for booking in tentative)


def test_the_events_are_published_with_their_sessions(town: None) -> None:
    now = timezone.now()
    assert set(Event.objects.values_list("title", "department__code", "place__code")) == {
        (SMARTPHONE_CLASS, "shogai", "FAC-002"),
        (CARD_HELP, "chomin", "FAC-001"),
    }
    smartphones = Event.objects.get(title=SMARTPHONE_CLASS)
    cards = Event.objects.get(title=CARD_HELP)
    for event in (smartphones, cards):
        assert event.status == Event.Status.PUBLISHED
        assert event.title_en and event.description and event.description_en
    sessions = list(events.with_waiting(smartphones.sessions.order_by("start")))
    assert len(sessions) == 3 and cards.sessions.count() == 1
    kaigi2 = Facility.objects.get(code="kouminkan-kaigi2")
    for session in sessions:
        assert (session.capacity, session.waitlist_limit) == (10, 5)
        assert session.start > now
        assert calendar.opening(kaigi2, session.start.astimezone(calendar.TOKYO).date())
    # The first one is nearly full: one seat left, then the waiting list.
    nearly_full = events.availability(sessions[0], now=now)
    assert (nearly_full.code, nearly_full.free) == ("open", 1)
    for session in EventSession.objects.all():
        confirmed = session.tickets.filter(status=Ticket.Status.CONFIRMED)
        assert session.seats_taken == sum(confirmed.values_list("seats", flat=True))


def test_the_model_resident_has_one_ticket_for_the_smartphone_class(town: None) -> None:
    tickets = Ticket.objects.filter(user=user(demo.RESIDENT)).select_related("session__event")
    assert tickets.count() == 1
    ticket = tickets.get()
    assert ticket.session.event.title == SMARTPHONE_CLASS
    assert (ticket.status, ticket.seats, ticket.name) == (Ticket.Status.CONFIRMED, 2, "亘理 花子")
    assert events.may_cancel(ticket, now=timezone.now())
