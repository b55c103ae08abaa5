"""Simultaneous sign-ups for the last seats never go over the capacity (issue 4, "Events").

Many residents, one thread each with its own database connection, wait at one barrier and sign
up for the same session at the same moment. The seats confirmed never pass the capacity, the
counter matches the confirmed tickets exactly, the waiting list takes no more than its limit,
and everyone else is told it is full. Runs on SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection
from django.db.models import Sum

from yakuba.modules.reservations import events
from yakuba.modules.reservations.models import EventSession, Ticket
from yakuba.modules.reservations.tests.event_factories import resident, smartphone_class
from yakuba.platform.accounts.models import User

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

PEOPLE = 16


def is_sqlite_busy(error: OperationalError) -> bool:
    """SQLite's shared in-memory test database answers "locked" at once instead of waiting
    (the busy timeout of a file database does not apply to it); the attempt is simply made
    again, as a busy file database would have had it wait."""
    return connection.vendor == "sqlite" and "locked" in str(error)


def sign_up_all_at_once(session: EventSession, people: list[tuple[User, int]]) -> list[str]:
    """Each (person, seats) signs up from its own thread, released together; the outcomes:
    the ticket's status, or the refusal's code."""
    barrier = threading.Barrier(len(people))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(person: User, seats: int) -> None:
        try:
            barrier.wait(timeout=60)
            while True:
                try:
                    ticket = events.sign_up(session, user=person, name="亘理 花子", seats=seats)
                    outcome = str(ticket.status)
                except ValidationError as error:
                    outcome = str(error.error_list[0].code)
                except OperationalError as error:
                    if is_sqlite_busy(error):
                        continue
                    outcome = repr(error)
                break
        except BaseException as error:  # reported by the assertion on the outcomes
            outcome = repr(error)
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=pair) for pair in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert len(outcomes) == len(people), outcomes
    return outcomes


def assert_seats_add_up(session: EventSession) -> None:
    session.refresh_from_db()
    confirmed = Ticket.objects.filter(session=session, status=Ticket.Status.CONFIRMED)
    assert session.seats_taken <= session.capacity
    assert session.seats_taken == (confirmed.aggregate(total=Sum("seats"))["total"] or 0)


def test_many_people_at_once_for_the_last_seats_never_pass_the_capacity() -> None:
    session = smartphone_class(capacity=10, waitlist_limit=4, max_seats=1)
    for _ in range(7):
        events.sign_up(session, user=resident(), name="亘理 一郎")
    people = [(resident(), 1) for _ in range(PEOPLE)]

    outcomes = Counter(sign_up_all_at_once(session, people))

    assert outcomes == {"confirmed": 3, "waiting": 4, "full": PEOPLE - 7}, outcomes
    assert_seats_add_up(session)
    session.refresh_from_db()
    assert session.seats_taken == 10


def test_families_of_different_sizes_at_once_fill_at_most_the_capacity() -> None:
    """Sign-ups for 1, 2 and 3 people: whichever get in, their seats add up to at most the
    capacity, and what is left is smaller than every waiting sign-up (none would have fit)."""
    session = smartphone_class(capacity=7, waitlist_limit=6, max_seats=3)
    people = [(resident(), 1 + i % 3) for i in range(PEOPLE)]

    outcomes = sign_up_all_at_once(session, people)

    assert set(outcomes) <= {"confirmed", "waiting", "full"}, outcomes
    assert_seats_add_up(session)
    session.refresh_from_db()
    free = session.capacity - session.seats_taken
    waiting = Ticket.objects.filter(session=session, status=Ticket.Status.WAITING)
    assert all(ticket.seats > free for ticket in waiting)
    assert (waiting.aggregate(total=Sum("seats"))["total"] or 0) <= session.waitlist_limit


def test_one_person_signing_up_twice_at_once_gets_one_ticket() -> None:
    session = smartphone_class(capacity=10)
    person = resident()

    outcomes = Counter(sign_up_all_at_once(session, [(person, 1)] * 6))

    assert outcomes == {"confirmed": 1, "duplicate": 5}, outcomes
    assert Ticket.objects.filter(user=person).count() == 1
    assert_seats_add_up(session)
