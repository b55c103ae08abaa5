"""No double booking under concurrent requests (issue 4, "Correctness"), against a live server.

Residents sign in through the web sign-in page, each with their own session; then threads of
this process and separate processes all wait at one barrier and POST to the booking API at the
same moment. Exactly one wins; every other attempt is told the slot is taken (409), and the
database holds exactly the winners' rows. Runs on SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import queue
import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connection

from yakuba.modules.reservations import availability, calendar
from yakuba.modules.reservations.models import Booking, Occupancy, Unit
from yakuba.modules.reservations.tests.booking_attempts import attempt, sign_in
from yakuba.modules.reservations.tests.factories import gym, room
from yakuba.platform.accounts.tests.factories import (
    PASSWORD,
    DistrictFactory,
    ResidentProfileFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

THREADS = 20
PROCESSES = 4
TAKEN = "すでに予約が入っています"


@pytest.fixture(autouse=True)
def _a_database_as_in_production() -> None:
    """The live server's threads each open their own connection. To SQLite's in-memory test
    database they share one cache with table locks, which busy_timeout does not wait for: every
    attempt but the first fails with "database table is locked", which no deployment (a file in
    WAL mode) would do. A file test database (DATABASES["default"]["TEST"]["NAME"]) tests what
    runs in production."""
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and (name == ":memory:" or "mode=memory" in name):
        pytest.skip("needs a file SQLite test database (TEST NAME), not an in-memory one")


@pytest.fixture(autouse=True)
def _quick_sign_in(settings: Any) -> None:
    """Hashing 24 passwords the production way takes longer than the test itself; allauth's
    per-address rate limit would stop 24 sign-ins from 127.0.0.1 in a minute."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.ACCOUNT_RATE_LIMITS = False


def use_day() -> dt.date:
    """A day two weeks ahead that is open (the room is closed on Mondays): inside the booking
    window and past the cut-off, whatever today is."""
    day = calendar.today() + dt.timedelta(days=14)
    while day.weekday() == 0:
        day += dt.timedelta(days=1)
    return day


def residents(live_server: Any, count: int) -> list[dict[str, str]]:
    """`count` residents of the town, each signed in with their own session (cookies)."""
    district = DistrictFactory.create()
    people = [ResidentProfileFactory.create(district=district).user for _ in range(count)]
    return [sign_in(live_server.url, person.email, PASSWORD) for person in people]


def fire(
    live_server: Any, sessions: list[dict[str, str]], payloads: list[dict[str, Any]]
) -> list[tuple[int, Any, float]]:
    """POST each payload with its session at the same moment: the first PROCESSES from
    separate processes, the rest from threads of this one."""
    url = f"{live_server.url}/api/reservations/bookings"
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(payloads))
    results = context.Queue()
    processes = [
        context.Process(target=attempt, args=(url, sessions[i], payloads[i], barrier, results))
        for i in range(PROCESSES)
    ]
    threads = [
        threading.Thread(target=attempt, args=(url, sessions[i], payloads[i], barrier, results))
        for i in range(PROCESSES, len(payloads))
    ]
    for process in processes:
        process.start()
    for thread in threads:
        thread.start()
    answers = []
    for _ in payloads:
        try:
            answers.append(results.get(timeout=240))
        except queue.Empty:
            break
    for thread in threads:
        thread.join(timeout=10)
    for process in processes:
        process.join(timeout=10)
        assert process.exitcode == 0
    assert len(answers) == len(payloads), answers
    return answers


def payload(
    facility: str, unit: str, day: dt.date, start: str, end: str, purpose: str
) -> dict[str, Any]:
    return {
        "facility": facility,
        "unit": unit,
        "start": f"{day}T{start}:00+09:00",
        "end": f"{day}T{end}:00+09:00",
        "purpose": purpose,
        "attendees": 10,
    }


def test_many_residents_at_once_for_one_slot_exactly_one_gets_it(live_server: Any) -> None:
    facility = room()
    day = use_day()
    sessions = residents(live_server, THREADS + PROCESSES)
    wanted = payload(facility.code, "room", day, "09:00", "12:00", "meeting")

    answers = fire(live_server, sessions, [wanted] * len(sessions))

    statuses = Counter(status for status, _body, _seconds in answers)
    assert statuses == {201: 1, 409: len(sessions) - 1}, answers
    for status, body, _seconds in answers:
        if status == 409:
            assert body["code"] == "taken"
            assert TAKEN in body["detail"]
    winner = next(body for status, body, _seconds in answers if status == 201)
    booking = Booking.objects.get()
    assert booking.pk == winner["id"]
    assert booking.fee_amount == winner["fee_amount"] == 600
    occupancies = Occupancy.objects.all()
    assert [(o.booking_id, o.unit.code) for o in occupancies] == [(booking.pk, "room")]


def test_the_whole_floor_and_its_halves_at_once_never_overlap(live_server: Any) -> None:
    """A third of the people want the whole floor 10–12, a third half A 10–12, a third half B
    11–13: either the whole floor wins, or each half does (they share no part); never both."""
    facility = gym()
    day = use_day()
    count = THREADS + PROCESSES
    sessions = residents(live_server, count)
    wishes = [
        ("whole", "10:00", "12:00"),
        ("half-a", "10:00", "12:00"),
        ("half-b", "11:00", "13:00"),
    ]
    payloads = [
        payload(facility.code, unit, day, start, end, "sports")
        for unit, start, end in (wishes[i % len(wishes)] for i in range(count))
    ]

    answers = fire(live_server, sessions, payloads)

    assert {status for status, _body, _seconds in answers} <= {201, 409}, answers
    won = sorted(body["unit"] for status, body, _seconds in answers if status == 201)
    assert won in (["whole"], ["half-a", "half-b"])
    bookings = list(Booking.objects.select_related("unit"))
    assert sorted(b.unit.code for b in bookings) == won
    leaves = availability.leaf_ids(list(Unit.objects.filter(facility=facility)))
    for first in bookings:
        for second in bookings:
            if first.pk < second.pk and leaves[first.unit_id] & leaves[second.unit_id]:
                assert first.end <= second.start or second.end <= first.start
    # Each winner holds exactly its leaves, and nobody else's.
    held = Counter((o.booking_id, o.unit_id) for o in Occupancy.objects.all())
    assert set(held) == {(b.pk, leaf) for b in bookings for leaf in leaves[b.unit_id]}
    assert set(held.values()) == {1}
