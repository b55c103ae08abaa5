"""Lotteries (抽選): rounds and their published seed, entries and their caps, the draw (fair,
reproducible, ranks first, no double booking), confirming and releasing wins, the payment
deadline, and the pages."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections import Counter
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from yakuba.modules.reservations import availability, calendar, groups, lottery, services
from yakuba.modules.reservations.availability import State
from yakuba.modules.reservations.groups import GroupDetails
from yakuba.modules.reservations.lottery import EntryDetails, RoundDetails, Wish, WishChoice
from yakuba.modules.reservations.models import (
    Booking,
    Facility,
    Group,
    LotteryEntry,
    LotteryRound,
    LotteryWish,
    Occupancy,
)
from yakuba.modules.reservations.tests.factories import gym, request_for, room, unit
from yakuba.platform.accounts.models import StaffMember, User
from yakuba.platform.accounts.tests.factories import (
    DepartmentFactory,
    DistrictFactory,
    ResidentProfileFactory,
    StaffFactory,
    UserFactory,
)
from yakuba.platform.audit.models import AuditAction, AuditEntry
from yakuba.platform.notify.models import Message
from yakuba.platform.payments.collectors import PaymentState

pytestmark = pytest.mark.django_db

CREATED = calendar.at(dt.date(2027, 1, 4), dt.time(9, 0))
NOW = calendar.at(dt.date(2027, 1, 5), dt.time(10, 0))  # applications are open
CLOSE = calendar.at(dt.date(2027, 1, 20), dt.time(17, 0))
DRAW_AT = calendar.at(dt.date(2027, 1, 21), dt.time(6, 0))
CONFIRM_BY = calendar.at(dt.date(2027, 2, 10), dt.time(17, 0))
AFTER = calendar.at(dt.date(2027, 2, 11), dt.time(6, 0))
MARCH = dt.date(2027, 3, 1)
SATURDAY = dt.date(2027, 3, 6)
SUNDAY = dt.date(2027, 3, 7)
TUESDAY = dt.date(2027, 3, 9)  # the room is closed on Mondays


@pytest.fixture
def clerk() -> User:
    """Staff of the department of the factories' facilities."""
    user: User = StaffFactory.create(permissions=["reservations.change_booking"])
    return user


@pytest.fixture
def hall() -> Facility:
    return gym()


def resident() -> User:
    user: User = ResidentProfileFactory.create(district=DistrictFactory.create()).user
    return user


def new_round(
    facilities: list[Facility], clerk: User, *, now: dt.datetime = CREATED, **changes: Any
) -> LotteryRound:
    values: dict[str, Any] = {
        "title": "町民体育館 2027年3月分",
        "facilities": facilities,
        "use_month": MARCH,
        "applications_open": CREATED,
        "applications_close": CLOSE,
        "confirm_by": CONFIRM_BY,
    }
    values.update(changes)
    return lottery.create_round(RoundDetails(**values), by=clerk, now=now)


def at(facility: Facility, code: str, day: dt.date, start: str, end: str) -> WishChoice:
    return WishChoice(
        unit=unit(facility, code),
        start=calendar.at(day, calendar.parse_time(start)),
        end=calendar.at(day, calendar.parse_time(end)),
    )


def enter(
    found: LotteryRound,
    user: User,
    *wishes: WishChoice,
    group: Group | None = None,
    now: dt.datetime = NOW,
    **changes: Any,
) -> LotteryEntry:
    values: dict[str, Any] = {
        "purpose": wishes[0].unit.facility.purposes[0] if wishes else "sports",
        "attendees": 10,
        "contact_name": "亘理 花子",
        "contact_phone": "0223-34-1111",
        "group": group,
        "wishes": list(wishes),
    }
    values.update(changes)
    return lottery.enter(found, EntryDetails(**values), user=user, now=now)


def with_seed(found: LotteryRound, seed: str) -> LotteryRound:
    """A known seed instead of the random one, so that a test's draw is always the same."""
    LotteryRound.objects.filter(pk=found.pk).update(
        seed=seed, seed_sha256=lottery.seed_sha256(seed)
    )
    found.refresh_from_db()
    return found


def approved_group(representative: User, clerk: User, name: str = "亘理やまびこ会") -> Group:
    group = groups.register_group(
        GroupDetails(name, "わたりやまびこかい", "バドミントン", 12, True), by=representative
    )
    return groups.decide(group, status=Group.Status.APPROVED, reason="", by=clerk)


def won(entry: LotteryEntry) -> LotteryWish | None:
    return entry.wishes.filter(result=LotteryWish.Result.WON).first()


# --- rounds and the seed --------------------------------------------------------------------------


def test_a_round_commits_to_a_random_seed_by_publishing_its_sha256(
    hall: Facility, clerk: User
) -> None:
    found = new_round([hall], clerk)
    assert len(found.seed) == 64
    assert int(found.seed, 16) >= 0  # hexadecimal
    assert found.seed_sha256 == hashlib.sha256(found.seed.encode("ascii")).hexdigest()
    assert lottery.published_seed(found) == ""
    other = new_round([gym(code="taiikukan-2")], clerk)
    assert other.seed != found.seed
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_id=str(found.pk)).exists()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"title": " "}, "title"),
        ({"facilities": []}, "facilities"),
        ({"applications_close": CREATED}, "applications_close"),
        ({"applications_open": CLOSE, "applications_close": NOW}, "applications_close"),
        ({"confirm_by": CLOSE}, "confirm_by"),
        ({"confirm_by": calendar.at(MARCH, dt.time(9, 0))}, "confirm_by"),
        ({"max_wishes": 0}, "max_wishes"),
        ({"max_entries_per_group": 11}, "max_entries_per_group"),
        ({"max_wins_per_slot": 0}, "max_wins_per_slot"),
    ],
)
def test_a_round_with_wrong_dates_or_limits_is_refused(
    hall: Facility, clerk: User, changes: dict[str, Any], code: str
) -> None:
    facilities = changes.pop("facilities", [hall])
    with pytest.raises(ValidationError) as refused:
        new_round(facilities, clerk, **changes)
    assert code in {error.code for error in refused.value.error_list}
    assert not LotteryRound.objects.exists()


def test_a_round_already_closed_is_refused(hall: Facility, clerk: User) -> None:
    with pytest.raises(ValidationError, match="これから先"):
        new_round([hall], clerk, now=CLOSE)


def test_one_round_per_facility_and_month(hall: Facility, clerk: User) -> None:
    new_round([hall], clerk)
    with pytest.raises(ValidationError, match="この月の抽選がすでにあります"):
        new_round([hall], clerk, title="二回目")
    assert new_round([hall], clerk, use_month=dt.date(2027, 4, 1)).use_month == dt.date(2027, 4, 1)


def test_staff_create_rounds_only_for_their_own_facilities(hall: Facility) -> None:
    other = StaffFactory.create(permissions=["reservations.change_booking"])
    StaffMember.objects.filter(user=other).update(
        department=DepartmentFactory.create(code="zeimu", name="税務課")
    )
    with pytest.raises(PermissionDenied):
        new_round([hall], other)


# --- the month is not first come ------------------------------------------------------------------


def test_a_round_holds_its_month_until_the_confirmation_deadline(
    hall: Facility, clerk: User
) -> None:
    person = resident()
    request = request_for(hall, SATURDAY, "10:00", "12:00")
    found = new_round([hall], clerk)
    with pytest.raises(ValidationError) as refused:
        services.book(request, user=person, now=NOW)
    assert refused.value.error_list[0].code == "lottery"
    assert "抽選" in refused.value.messages[0]
    with pytest.raises(ValidationError, match="抽選"):
        services.book(request, user=person, by=clerk, now=NOW)  # not even at the counter
    march = availability.days(hall, SATURDAY, SATURDAY, resident=True, now=NOW)
    assert {cell.state for cell in march[0].cells} == {State.LOTTERY}
    assert march[0].summary == State.LOTTERY
    april = availability.days(
        hall, dt.date(2027, 4, 3), dt.date(2027, 4, 3), resident=True, now=NOW
    )
    assert State.LOTTERY not in {cell.state for cell in april[0].cells}
    # Another facility's March is free.
    services.book(
        request_for(gym(code="taiikukan-2"), SATURDAY, "10:00", "12:00"), user=person, now=NOW
    )

    lottery.draw(found, now=DRAW_AT)
    with pytest.raises(ValidationError, match="抽選"):
        services.book(request, user=person, now=DRAW_AT)
    # After the deadline first come opens, even before the command has ended the round.
    assert services.book(request, user=person, now=AFTER).status == Booking.Status.CONFIRMED


# --- entries --------------------------------------------------------------------------------------


def test_a_resident_enters_with_ranked_wishes(hall: Facility, clerk: User) -> None:
    found = new_round([hall], clerk)
    person = resident()
    entry = enter(
        found,
        person,
        at(hall, "whole", SATURDAY, "18:00", "20:00"),
        at(hall, "half-a", SUNDAY, "10:00", "12:00"),
    )
    assert [(w.rank, w.unit.code) for w in entry.wishes.all()] == [(1, "whole"), (2, "half-a")]
    assert entry.user == person
    assert {w.result for w in entry.wishes.all()} == {LotteryWish.Result.PENDING}


@pytest.mark.parametrize(
    ("wishes", "message"),
    [
        ([], "第1希望を選んでください"),
        ([("whole", dt.date(2027, 4, 3), "10:00", "12:00")], "利用月"),
        ([("whole", SATURDAY, "08:00", "10:00")], "利用できる時間"),
        ([("whole", SATURDAY, "10:00", "10:30")], "60分から"),
        ([("whole", SATURDAY, "10:15", "11:15")], "30分単位"),
        (
            [("whole", SATURDAY, "10:00", "12:00"), ("whole", SATURDAY, "10:00", "12:00")],
            "同じ希望",
        ),
        ([("whole", SATURDAY, "10:00", "12:00")] * 4, "3件まで"),
    ],
)
def test_a_wish_the_facility_does_not_offer_that_month_is_refused(
    hall: Facility, clerk: User, wishes: list[tuple[str, dt.date, str, str]], message: str
) -> None:
    found = new_round([hall], clerk)
    with pytest.raises(ValidationError, match=message):
        enter(found, resident(), *(at(hall, *wish) for wish in wishes))
    assert not LotteryEntry.objects.exists()


def test_a_slot_facility_takes_its_slots_only(clerk: User) -> None:
    hall = room()
    found = new_round([hall], clerk)
    with pytest.raises(ValidationError, match="時間帯から選んで"):
        enter(found, resident(), at(hall, "room", TUESDAY, "10:00", "12:00"))
    with pytest.raises(ValidationError, match="時間帯から選んで"):
        enter(found, resident(), at(hall, "room", dt.date(2027, 3, 8), "09:00", "12:00"))  # Monday
    assert enter(found, resident(), at(hall, "room", TUESDAY, "09:00", "12:00"), purpose="meeting")


def test_a_wish_for_another_facility_or_too_many_people_is_refused(
    hall: Facility, clerk: User
) -> None:
    found = new_round([hall], clerk)
    elsewhere = gym(code="taiikukan-2")
    with pytest.raises(ValidationError, match="この抽選の施設"):
        enter(found, resident(), at(elsewhere, "whole", SATURDAY, "10:00", "12:00"))
    with pytest.raises(ValidationError, match="定員"):
        enter(found, resident(), at(hall, "whole", SATURDAY, "10:00", "12:00"), attendees=201)
    with pytest.raises(ValidationError, match="利用目的"):
        enter(found, resident(), at(hall, "whole", SATURDAY, "10:00", "12:00"), purpose="music")


def test_entries_are_taken_only_while_applications_are_open(hall: Facility, clerk: User) -> None:
    found = new_round([hall], clerk, applications_open=NOW)
    wish = at(hall, "whole", SATURDAY, "10:00", "12:00")
    for moment in (CREATED, CLOSE):
        with pytest.raises(ValidationError, match="受け付けていません"):
            enter(found, resident(), wish, now=moment)
    assert enter(found, resident(), wish, now=NOW)


def test_each_person_and_each_group_have_their_own_cap(hall: Facility, clerk: User) -> None:
    found = new_round([hall], clerk, max_entries_per_group=2)
    person = resident()
    group = approved_group(person, clerk)
    member = resident()
    groups.add_member(group, email=member.email, by=person)
    wish = at(hall, "whole", SATURDAY, "10:00", "12:00")
    enter(found, person, wish)
    enter(found, person, wish)
    with pytest.raises(ValidationError, match="2件まで") as refused:
        enter(found, person, wish)
    assert refused.value.error_list[0].code == "cap"
    # The group's entries count for the group, whichever member makes them.
    enter(found, person, wish, group=group)
    enter(found, member, wish, group=group)
    with pytest.raises(ValidationError, match="2件まで"):
        enter(found, member, wish, group=group)
    # A withdrawn entry no longer counts.
    lottery.withdraw(found.entries.filter(group=group).first(), by=person, now=NOW)  # type: ignore[arg-type]
    assert enter(found, member, wish, group=group)


def test_only_members_of_an_approved_group_enter_for_it(hall: Facility, clerk: User) -> None:
    found = new_round([hall], clerk)
    person = resident()
    group = groups.register_group(
        GroupDetails("審査中の会", "しんさちゅうのかい", "卓球", 5, True), by=person
    )
    wish = at(hall, "whole", SATURDAY, "10:00", "12:00")
    with pytest.raises(ValidationError, match="登録済みの"):
        enter(found, person, wish, group=group)
    groups.decide(group, status=Group.Status.APPROVED, reason="", by=clerk)
    group.refresh_from_db()
    with pytest.raises(ValidationError, match="登録済みの"):
        enter(found, resident(), wish, group=group)
    assert enter(found, person, wish, group=group).group == group


def test_an_entry_is_withdrawn_by_its_maker_before_the_close_only(
    hall: Facility, clerk: User
) -> None:
    found = new_round([hall], clerk)
    person = resident()
    entry = enter(found, person, at(hall, "whole", SATURDAY, "10:00", "12:00"))
    with pytest.raises(PermissionDenied):
        lottery.withdraw(entry, by=resident(), now=NOW)
    with pytest.raises(ValidationError, match="締め切りを過ぎた"):
        lottery.withdraw(entry, by=person, now=CLOSE)
    assert lottery.withdraw(entry, by=person, now=NOW).withdrawn_at == NOW
    with pytest.raises(ValidationError, match="取り下げ済み"):
        lottery.withdraw(entry, by=person, now=NOW)
    lottery.draw(found, now=DRAW_AT)
    assert lottery.public_order(LotteryRound.objects.get()) == []
    assert not Booking.objects.exists()


# --- the draw -------------------------------------------------------------------------------------


def test_the_draw_waits_for_the_close_and_runs_once(hall: Facility, clerk: User) -> None:
    found = new_round([hall], clerk)
    entries = [
        enter(found, resident(), at(hall, "whole", SATURDAY, "18:00", "20:00")) for _ in range(3)
    ]
    with pytest.raises(ValidationError, match="締め切りの前"):
        lottery.draw(found, now=NOW)
    assert lottery.draw(found, now=DRAW_AT) is True
    bookings = list(Booking.objects.values_list("pk", "status"))
    assert bookings == [(bookings[0][0], Booking.Status.TENTATIVE)]
    assert lottery.draw(found, now=DRAW_AT) is False  # idempotent
    assert lottery.run_due(now=DRAW_AT).drawn == []
    assert list(Booking.objects.values_list("pk", "status")) == bookings
    assert sum(won(entry) is not None for entry in entries) == 1
    assert Message.objects.filter(kind="reservations.lottery_won").count() == 1
    assert Message.objects.filter(kind="reservations.lottery_lost").count() == 2


def test_the_result_is_the_published_algorithm_run_on_the_published_seed(
    hall: Facility, clerk: User
) -> None:
    """Anyone with the seed, the entry numbers and the wishes gets the same result."""
    found = new_round([hall], clerk)
    choices = [
        at(hall, "whole", SATURDAY, "18:00", "20:00"),
        at(hall, "half-a", SATURDAY, "18:00", "20:00"),
        at(hall, "half-b", SATURDAY, "19:00", "21:00"),
        at(hall, "whole", SUNDAY, "10:00", "12:00"),
    ]
    entries = [
        enter(found, resident(), choices[i % 4], choices[(i + 1) % 4], choices[(i + 2) % 4])
        for i in range(8)
    ]
    lottery.draw(found, now=DRAW_AT)
    found.refresh_from_db()
    order = lottery.draw_order([e.pk for e in entries], found.seed)
    assert lottery.public_order(found) == order
    leaves = {u.pk: frozenset({u.pk}) if u.parent_id else frozenset() for u in hall.units.all()}
    whole = unit(hall, "whole")
    leaves[whole.pk] = frozenset(u.pk for u in hall.units.filter(parent=whole))
    wishes = [
        Wish(w.entry_id, w.rank, f"user:{w.entry.user_id}", leaves[w.unit_id], w.start, w.end, w.pk)
        for w in LotteryWish.objects.select_related("entry")
    ]
    expected = lottery.allocate(order, wishes, max_wishes=3, max_wins_per_slot=1)
    assert {w.id for w in expected} == set(
        LotteryWish.objects.filter(result=LotteryWish.Result.WON).values_list("pk", flat=True)
    )
    assert LotteryWish.objects.filter(result=LotteryWish.Result.PENDING).count() == 0


def test_the_same_seed_gives_the_same_order_and_another_seed_another() -> None:
    ids = list(range(101, 131))
    assert lottery.draw_order(ids, "a" * 64) == lottery.draw_order(reversed(ids), "a" * 64)
    assert sorted(lottery.draw_order(ids, "a" * 64)) == ids
    assert lottery.draw_order(ids, "a" * 64) != lottery.draw_order(ids, "b" * 64)
    # The documented algorithm, step by step, for a tiny case anyone can follow.
    assert lottery.draw_order([3, 1, 2], "yakuba") == _by_hand([1, 2, 3], "yakuba")


def _by_hand(order: list[int], seed: str) -> list[int]:
    import random

    rng = random.Random(seed)
    for i in range(len(order) - 1, 0, -1):
        j = rng.randrange(i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def test_every_first_wish_is_served_before_any_second_wish(hall: Facility, clerk: User) -> None:
    """A's second wish is B's first: B gets it whatever the order, since rank 1 comes first."""
    for month in range(3, 9):
        found = new_round([hall], clerk, use_month=dt.date(2027, month, 1))
        x = at(hall, "whole", dt.date(2027, month, 6), "18:00", "20:00")
        y = at(hall, "whole", dt.date(2027, month, 7), "18:00", "20:00")
        a = enter(found, resident(), x, y)
        b = enter(found, resident(), y)
        lottery.draw(found, now=DRAW_AT)
        assert (won(a).rank, won(b).rank) == (1, 1)  # type: ignore[union-attr]


def test_a_whole_floor_and_its_halves_are_never_given_twice(hall: Facility, clerk: User) -> None:
    """Wishes for the whole floor and for halves at overlapping times: whatever the seed, the
    wins never share a half, and the database holds them all."""
    outcomes = set()
    for attempt in range(8):
        month = dt.date(2027, 3, 1) + dt.timedelta(days=31 * attempt)
        month = month.replace(day=1)
        found = with_seed(new_round([hall], clerk, use_month=month), f"halves-{attempt}")
        day = month + dt.timedelta(days=5)
        entries = [
            enter(found, resident(), at(hall, "whole", day, "18:00", "20:00")),
            enter(found, resident(), at(hall, "half-a", day, "19:00", "21:00")),
            enter(found, resident(), at(hall, "half-b", day, "17:00", "19:00")),
            enter(found, resident(), at(hall, "half-a", day, "17:00", "19:00")),
        ]
        lottery.draw(found, now=DRAW_AT)
        wins = [won(entry) for entry in entries]
        taken = [(w.unit.code, w.start, w.end) for w in wins if w is not None]
        outcomes.add(tuple(sorted(code for code, _s, _e in taken)))
        for i, (code, start, end) in enumerate(taken):
            for other_code, other_start, other_end in taken[i + 1 :]:
                shares_half = "whole" in (code, other_code) or code == other_code
                assert not (shares_half and start < other_end and other_start < end)
    tentative = Booking.objects.filter(status=Booking.Status.TENTATIVE).select_related("unit")
    leaves_held = sum(2 if booking.unit.code == "whole" else 1 for booking in tentative)
    assert Occupancy.objects.filter(booking__status=Booking.Status.TENTATIVE).count() == leaves_held
    assert ("whole",) in outcomes
    assert len(outcomes) > 1


def test_an_applicant_wins_at_most_max_wins_per_slot_at_overlapping_times(
    hall: Facility, clerk: User
) -> None:
    person = resident()
    group = approved_group(person, clerk)
    for limit, month in ((1, 3), (2, 4)):
        found = new_round(
            [hall],
            clerk,
            use_month=dt.date(2027, month, 1),
            max_entries_per_group=2,
            max_wins_per_slot=limit,
        )
        day = dt.date(2027, month, 6)
        first = enter(
            found,
            person,
            at(hall, "half-a", day, "18:00", "20:00"),
            at(hall, "half-a", day + dt.timedelta(days=1), "18:00", "20:00"),
            group=group,
        )
        second = enter(
            found,
            person,
            at(hall, "half-b", day, "19:00", "21:00"),
            at(hall, "half-b", day + dt.timedelta(days=1), "19:00", "21:00"),
            group=group,
        )
        lottery.draw(found, now=DRAW_AT)
        wins = [won(first), won(second)]
        assert all(wins)
        overlapping = wins[0].start < wins[1].end and wins[1].start < wins[0].end  # type: ignore[union-attr]
        assert overlapping == (limit == 2)


def test_a_period_already_booked_or_closed_is_not_given(hall: Facility, clerk: User) -> None:
    person = resident()
    booked = services.book(
        request_for(hall, SATURDAY, "18:00", "19:00", unit_code="half-a"), user=person, now=CREATED
    )
    found = new_round([hall], clerk)
    entry = enter(
        found,
        resident(),
        at(hall, "whole", SATURDAY, "18:00", "20:00"),
        at(hall, "half-b", SATURDAY, "18:00", "20:00"),
    )
    lottery.draw(found, now=DRAW_AT)
    assert won(entry).rank == 2  # type: ignore[union-attr]
    assert booked.status == Booking.Status.CONFIRMED


def test_a_win_is_a_tentative_booking_priced_like_any_booking(clerk: User) -> None:
    hall = room()
    found = new_round([hall], clerk)
    outsider = UserFactory.create()  # no district: the non-resident rate
    entry = enter(found, outsider, at(hall, "room", TUESDAY, "13:00", "17:00"), purpose="meeting")
    lottery.draw(found, now=DRAW_AT)
    booking = won(entry).booking  # type: ignore[union-attr]
    assert booking is not None
    assert booking.status == Booking.Status.TENTATIVE
    assert booking.fee_amount == 1600  # 800 × the non-resident factor 2
    assert booking.payment == PaymentState.NONE  # requested when confirmed
    assert booking.occupancies.count() == 1
    message = Message.objects.get(kind="reservations.lottery_won")
    assert message.context["fee"] == "1,600"
    assert message.context["rank"] == "1"
    assert message.link_url == reverse("reservations:lottery_mine")


# --- fairness over many draws (in memory: the same functions the draw uses) -----------------------

SEEDS = [f"fairness-{i}" for i in range(2000)]
# The chi-square critical values at p = 0.001 (a fixed set of seeds: the test is deterministic;
# the bound says a fair draw passes it with 99.9 % odds, so the chosen seeds are not lucky).
CHI2_999 = {3: 16.266, 4: 18.467, 23: 49.728}


def _slot(rank: int, entry: int, key: str) -> Wish:
    day = dt.datetime(2027, 3, 6, 18, tzinfo=calendar.TOKYO)
    leaves = {"x": frozenset({1}), "y": frozenset({2})}[key]
    offset = dt.timedelta(days=0 if key == "x" else 1)
    return Wish(
        entry, rank, f"user:{entry}", leaves, day + offset, day + offset + dt.timedelta(hours=2)
    )


def _chi_square(counts: Counter[Any], expected: dict[Any, float]) -> float:
    return sum((counts[key] - value) ** 2 / value for key, value in expected.items())


def test_each_of_n_applicants_for_one_slot_wins_one_time_in_n() -> None:
    entries = [11, 12, 13, 14, 15]
    wishes = [_slot(1, entry, "x") for entry in entries]
    winners: Counter[int] = Counter()
    for seed in SEEDS:
        wins = lottery.allocate(
            lottery.draw_order(entries, seed), wishes, max_wishes=1, max_wins_per_slot=1
        )
        assert len(wins) == 1
        winners[wins[0].entry] += 1
    expected = len(SEEDS) / len(entries)
    assert _chi_square(winners, dict.fromkeys(entries, expected)) < CHI2_999[4]
    sigma = math.sqrt(len(SEEDS) * 0.2 * 0.8)
    assert all(abs(winners[e] - expected) < 4 * sigma for e in entries)


def test_every_order_of_the_shuffle_is_equally_likely() -> None:
    counts: Counter[tuple[int, ...]] = Counter(
        tuple(lottery.draw_order([1, 2, 3, 4], f"order-{i}")) for i in range(2400)
    )
    assert len(counts) == 24
    assert _chi_square(counts, dict.fromkeys(counts, 100.0)) < CHI2_999[23]


def test_with_different_numbers_of_wishes_the_odds_are_what_the_algorithm_implies() -> None:
    """A and B wish X then Y; C wishes X only. Rank 1: all three want X, each gets it one time
    in three. Rank 2: Y goes to whichever of A and B lost X and comes first (B or A for sure
    when C took X… no: when C took X, A and B both want Y and the order decides). So
    P(A wins) = P(B wins) = 1/3 + 1/3 · 1/2 + 1/3 = 5/6 and P(C wins) = 1/3."""
    a, b, c = 1, 2, 3
    wishes = [
        _slot(1, a, "x"),
        _slot(2, a, "y"),
        _slot(1, b, "x"),
        _slot(2, b, "y"),
        _slot(1, c, "x"),
    ]
    x_winner: Counter[int] = Counter()
    winners: Counter[int] = Counter()
    for seed in SEEDS:
        wins = lottery.allocate(
            lottery.draw_order([a, b, c], seed), wishes, max_wishes=2, max_wins_per_slot=1
        )
        assert len(wins) == 2  # X and Y are always both given
        for wish in wins:
            winners[wish.entry] += 1
            if wish.rank == 1:
                x_winner[wish.entry] += 1
    n = len(SEEDS)
    assert _chi_square(x_winner, {a: n / 3, b: n / 3, c: n / 3}) < CHI2_999[3]
    for entry, odds in ((a, 5 / 6), (b, 5 / 6), (c, 1 / 3)):
        sigma = math.sqrt(n * odds * (1 - odds))
        assert abs(winners[entry] - n * odds) < 4 * sigma, (entry, winners[entry])


# --- confirming, declining, releasing -------------------------------------------------------------


@pytest.fixture
def drawn(clerk: User) -> tuple[LotteryRound, LotteryEntry, Facility]:
    """A room's round, drawn, with one winner."""
    hall = room()
    found = new_round([hall], clerk)
    entry = enter(found, resident(), at(hall, "room", TUESDAY, "13:00", "17:00"), purpose="meeting")
    lottery.draw(found, now=DRAW_AT)
    found.refresh_from_db()
    return found, LotteryEntry.objects.select_related("round", "group").get(pk=entry.pk), hall


def test_a_winner_confirms_and_the_fee_is_requested(drawn: Any) -> None:
    found, entry, _hall = drawn
    booking = lottery.confirm_win(entry, by=entry.user, now=DRAW_AT)
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.payment == PaymentState.AT_COUNTER
    assert booking.pay_by == calendar.at(dt.date(2027, 3, 6), dt.time(17, 0))
    assert Message.objects.filter(kind="reservations.booked").count() == 1
    with pytest.raises(ValidationError, match="確定を待っている当選はありません"):
        lottery.confirm_win(entry, by=entry.user, now=DRAW_AT)
    assert lottery.finish(found, now=AFTER) == 0
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_only_the_maker_or_the_group_representative_confirms_and_before_the_deadline(
    drawn: Any,
) -> None:
    _found, entry, _hall = drawn
    with pytest.raises(PermissionDenied):
        lottery.confirm_win(entry, by=resident(), now=DRAW_AT)
    with pytest.raises(ValidationError, match="確定の期限"):
        lottery.confirm_win(entry, by=entry.user, now=CONFIRM_BY)


def test_a_suspended_group_cannot_confirm_its_win(clerk: User) -> None:
    hall = room()
    found = new_round([hall], clerk)
    person = resident()
    group = approved_group(person, clerk)
    entry = enter(
        found, person, at(hall, "room", TUESDAY, "09:00", "12:00"), group=group, purpose="meeting"
    )
    lottery.draw(found, now=DRAW_AT)
    groups.decide(group, status=Group.Status.SUSPENDED, reason="無断キャンセル", by=clerk)
    entry = LotteryEntry.objects.select_related("round", "group").get(pk=entry.pk)
    with pytest.raises(ValidationError, match="停止中"):
        lottery.confirm_win(entry, by=person, now=DRAW_AT)


def test_declining_frees_the_period_at_once(drawn: Any) -> None:
    _found, entry, _hall = drawn
    booking = lottery.decline_win(entry, by=entry.user, now=DRAW_AT)
    assert booking.status == Booking.Status.CANCELLED
    assert not Occupancy.objects.filter(booking=booking).exists()


def test_after_the_deadline_unconfirmed_wins_are_released_and_the_round_ends(drawn: Any) -> None:
    found, entry, hall = drawn
    assert lottery.finish(found, now=DRAW_AT) == 0  # not due yet
    assert lottery.finish(found, now=AFTER) == 1
    booking = won(entry).booking  # type: ignore[union-attr]
    assert booking.status == Booking.Status.CANCELLED  # type: ignore[union-attr]
    assert not Occupancy.objects.filter(booking=booking).exists()
    found.refresh_from_db()
    assert found.status == LotteryRound.Status.FINISHED
    message = Message.objects.get(kind="reservations.lottery_released")
    assert message.context["lottery"] == found.title
    assert lottery.finish(found, now=AFTER) == 0  # idempotent
    # First come takes the released period.
    again = services.book(request_for(hall, TUESDAY, "13:00", "17:00"), user=resident(), now=AFTER)
    assert again.status == Booking.Status.CONFIRMED


# --- the payment deadline -------------------------------------------------------------------------


def _confirmed(**changes: Any) -> Booking:
    booking = services.book(
        request_for(room(code=f"room-{Booking.objects.count()}"), TUESDAY, "13:00", "17:00"),
        user=resident(),
        now=CREATED,
    )
    Booking.objects.filter(pk=booking.pk).update(**changes)
    booking.refresh_from_db()
    return booking


def test_a_booking_unpaid_after_its_deadline_is_cancelled_and_the_booker_told() -> None:
    booking = _confirmed()
    assert booking.payment == PaymentState.AT_COUNTER
    deadline = calendar.at(dt.date(2027, 3, 6), dt.time(17, 0))  # 3 days before, at 17:00
    assert booking.pay_by == deadline
    assert services.release_unpaid(now=deadline - dt.timedelta(minutes=1)) == []
    released = services.release_unpaid(now=deadline + dt.timedelta(minutes=1))
    assert [b.pk for b in released] == [booking.pk]
    booking.refresh_from_db()
    assert (booking.status, booking.cancellation_fee) == (Booking.Status.CANCELLED, 0)
    assert not booking.occupancies.exists()
    message = Message.objects.get(kind="reservations.unpaid_released")
    assert message.context["number"] == booking.number


@pytest.mark.parametrize(
    "changes",
    [
        {"payment": PaymentState.PAID},
        {"reduction": Booking.Reduction.REQUESTED, "reduction_code": "disability"},
        {"payment": PaymentState.NONE, "fee_amount": 0},
        {"status": Booking.Status.TENTATIVE},
    ],
)
def test_paid_free_reduction_pending_or_tentative_bookings_are_never_released(
    changes: dict[str, Any],
) -> None:
    booking = _confirmed(**changes)
    assert services.release_unpaid(now=calendar.at(TUESDAY, dt.time(9, 0))) == []
    booking.refresh_from_db()
    assert booking.status != Booking.Status.CANCELLED


def test_a_booking_whose_use_has_begun_is_not_released() -> None:
    booking = _confirmed()
    assert services.release_unpaid(now=calendar.at(TUESDAY, dt.time(14, 0))) == []
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_the_command_draws_finishes_and_releases_what_is_due(clerk: User) -> None:
    now = timezone.now()
    hall = gym()
    month = calendar.months_before(now.date(), -3)
    found = new_round(
        [hall],
        clerk,
        now=now - dt.timedelta(days=10),
        applications_open=now - dt.timedelta(days=9),
        applications_close=now - dt.timedelta(days=1),
        confirm_by=now + dt.timedelta(days=5),
        use_month=month,
    )
    LotteryEntry.objects.create(round=found, user=resident(), purpose="sports", attendees=5)
    call_command("reservations_lottery", verbosity=0)
    found.refresh_from_db()
    assert found.status == LotteryRound.Status.DRAWN
    LotteryRound.objects.filter(pk=found.pk).update(confirm_by=now - dt.timedelta(minutes=1))
    call_command("reservations_lottery", verbosity=0)
    found.refresh_from_db()
    assert found.status == LotteryRound.Status.FINISHED


# --- pages ----------------------------------------------------------------------------------------


def test_the_public_page_shows_the_hash_first_then_the_seed_order_and_results(
    client: Client, hall: Facility, clerk: User
) -> None:
    found = new_round([hall], clerk)
    entries = [
        enter(found, resident(), at(hall, "whole", SATURDAY, "18:00", "20:00")) for _ in range(3)
    ]
    url = reverse("reservations:lottery_round", args=[found.pk])
    before = client.get(url).content.decode()
    assert found.seed_sha256 in before
    assert found.seed not in before
    lottery.draw(found, now=DRAW_AT)
    after = client.get(url).content.decode()
    assert found.seed in after
    order = lottery.draw_order([e.pk for e in entries], found.seed)
    assert f"order = sorted([{', '.join(str(pk) for pk in sorted(order))}])" in after
    positions = [after.index(f'<th scope="row">{pk}</th>') for pk in order]
    assert positions == sorted(positions)
    assert "当選（第1希望" in after
    assert "亘理 花子" not in after  # no names on the public page


def test_a_resident_enters_from_the_form_and_sees_the_entry(
    client: Client, hall: Facility, clerk: User, settings: Any
) -> None:
    found = new_round(
        [hall],
        clerk,
        now=timezone.now() - dt.timedelta(days=1),
        applications_open=timezone.now() - dt.timedelta(hours=1),
        applications_close=timezone.now() + dt.timedelta(days=7),
        confirm_by=timezone.now() + dt.timedelta(days=20),
        use_month=calendar.months_before(calendar.today(), -2),
    )
    person = resident()
    client.force_login(person)
    url = reverse("reservations:lottery_enter", args=[found.pk])
    assert client.get(url).status_code == 200
    day = found.use_month + dt.timedelta(days=9)
    data = {
        "purpose": "sports",
        "attendees": "12",
        "contact_name": "亘理 花子",
        "contact_phone": "0223-34-1111",
        "wish1_unit": str(unit(hall, "whole").pk),
        "wish1_day": day.isoformat(),
        "wish1_start": "18:00",
        "wish1_end": "20:00",
        "wish2_unit": str(unit(hall, "half-a").pk),
    }
    missing = client.post(url, data)
    assert missing.status_code == 400
    assert "第2希望の日を選んでください" in missing.content.decode()
    data.update({"wish2_day": day.isoformat(), "wish2_start": "10:00", "wish2_end": "10:30"})
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "第2希望: 利用時間は60分から" in refused.content.decode()
    assert not LotteryEntry.objects.exists()
    data.update({"wish2_start": "10:00", "wish2_end": "12:00"})
    assert client.post(url, data)["Location"] == reverse("reservations:lottery_mine")
    entry = LotteryEntry.objects.get()
    assert [w.rank for w in entry.wishes.all()] == [1, 2]
    mine = client.get(reverse("reservations:lottery_mine")).content.decode()
    assert "抽選前" in mine
    assert "申し込みを取り下げる" in mine


def test_a_winner_confirms_from_my_entries(client: Client, drawn: Any) -> None:
    _found, entry, _hall = drawn
    client.force_login(entry.user)
    mine = client.get(reverse("reservations:lottery_mine")).content.decode()
    assert "当選（確定待ち）" in mine
    assert "当選を確定する" in mine
    client.post(reverse("reservations:lottery_confirm", args=[entry.pk]))
    mine = client.get(reverse("reservations:lottery_mine")).content.decode()
    assert "予約済み" in mine
    assert Booking.objects.get().status == Booking.Status.CONFIRMED


def test_someone_elses_entry_is_not_found(client: Client, drawn: Any) -> None:
    _found, entry, _hall = drawn
    client.force_login(resident())
    response = client.post(reverse("reservations:lottery_confirm", args=[entry.pk]))
    assert response.status_code == 404


def test_staff_create_a_round_list_entries_and_draw_from_the_pages(
    client: Client, hall: Facility, clerk: User
) -> None:
    client.force_login(clerk)
    now = timezone.localtime(timezone.now(), calendar.TOKYO)
    month = calendar.months_before(now.date(), -3)
    data = {
        "title": "体育館の抽選",
        "facilities": [str(hall.pk)],
        "use_month": f"{month:%Y-%m}",
        "applications_open": f"{now - dt.timedelta(hours=1):%Y-%m-%dT%H:%M}",
        "applications_close": f"{now + dt.timedelta(days=3):%Y-%m-%dT%H:%M}",
        "confirm_by": f"{now - dt.timedelta(days=1):%Y-%m-%dT%H:%M}",
        "max_wishes": "3",
        "max_entries_per_group": "1",
        "max_wins_per_slot": "1",
    }
    wrong = client.post(reverse("reservations:staff_lottery_new"), data)
    assert wrong.status_code == 400
    assert "確定の期限" in wrong.content.decode()
    data["confirm_by"] = f"{now + dt.timedelta(days=10):%Y-%m-%dT%H:%M}"
    response = client.post(reverse("reservations:staff_lottery_new"), data)
    found = LotteryRound.objects.get()
    assert response["Location"] == reverse("reservations:staff_lottery_round", args=[found.pk])
    enter(
        found,
        resident(),
        at(hall, "whole", month + dt.timedelta(days=5), "18:00", "20:00"),
        now=timezone.now(),
    )
    page = client.get(response["Location"]).content.decode()
    assert "亘理 花子" in page
    assert AuditEntry.objects.filter(
        action=AuditAction.READ, object_type="reservations.lotteryentry"
    ).exists()
    early = client.post(reverse("reservations:staff_lottery_draw", args=[found.pk]), follow=True)
    assert "締め切りの前" in early.content.decode()
    LotteryRound.objects.filter(pk=found.pk).update(applications_close=timezone.now())
    done = client.post(reverse("reservations:staff_lottery_draw", args=[found.pk]), follow=True)
    assert "抽選しました" in done.content.decode()
    again = client.post(reverse("reservations:staff_lottery_draw", args=[found.pk]), follow=True)
    assert "すでに抽選済み" in again.content.decode()
    assert Booking.objects.filter(status=Booking.Status.TENTATIVE).count() == 1


def test_another_departments_round_is_not_found_by_staff(
    client: Client, hall: Facility, clerk: User
) -> None:
    found = new_round([hall], clerk)
    other = StaffFactory.create(permissions=["reservations.change_booking"])
    StaffMember.objects.filter(user=other).update(
        department=DepartmentFactory.create(code="zeimu", name="税務課")
    )
    client.force_login(other)
    assert (
        client.get(reverse("reservations:staff_lottery_round", args=[found.pk])).status_code == 404
    )
    assert (
        client.post(reverse("reservations:staff_lottery_draw", args=[found.pk])).status_code == 404
    )
