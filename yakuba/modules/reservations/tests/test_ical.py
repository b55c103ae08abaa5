"""Bookings as iCalendar: one booking to add in one tap, the resident's own feed at a secret
address they can reset, and a facility's busy periods without personal data. Each file is read
back with the icalendar library and checked against RFC 5545's required properties."""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
import pytest
from django.test import Client
from django.urls import reverse

from yakuba.modules.reservations import calendar, services
from yakuba.modules.reservations.models import CalendarFeed, Closure
from yakuba.modules.reservations.tests.factories import request_for, room
from yakuba.platform.accounts.models import User
from yakuba.platform.accounts.tests.factories import (
    DistrictFactory,
    ResidentProfileFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db


def open_day(days_ahead: int = 14) -> dt.date:
    day = calendar.today() + dt.timedelta(days=days_ahead)
    while calendar.day_key(day) == "mon":
        day += dt.timedelta(days=1)
    return day


@pytest.fixture
def resident() -> User:
    user: User = ResidentProfileFactory.create(district=DistrictFactory.create()).user
    return user


def parse(response: Any) -> icalendar.Calendar:
    """The response as a calendar, after checking what RFC 5545 requires of it."""
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    cal = icalendar.Calendar.from_ical(response.content)
    assert cal.get("version") == "2.0"
    assert cal.get("prodid")
    timezones = {str(tz.get("tzid")) for tz in cal.walk("VTIMEZONE")}
    for event in cal.walk("VEVENT"):
        assert event.get("uid")
        stamp = event.decoded("dtstamp")
        assert stamp.utcoffset() == dt.timedelta(0)  # DTSTAMP is UTC (3.8.7.2)
        for name in ("dtstart", "dtend"):
            param = event.get(name).params.get("TZID")
            assert param in timezones  # every TZID has its VTIMEZONE (3.2.19)
        assert event.decoded("dtend") > event.decoded("dtstart")
    return cal


def test_one_booking_as_a_file_to_add_to_a_calendar(client: Client, resident: User) -> None:
    facility = room()
    day = open_day()
    booking = services.book(request_for(facility, day, "13:00", "17:00"), user=resident)
    client.force_login(resident)
    response = client.get(reverse("reservations:booking_ics", args=[booking.pk]))
    assert "attachment" in response["Content-Disposition"]
    cal = parse(response)
    assert cal.get("method") == "PUBLISH"
    [event] = cal.walk("VEVENT")
    assert event.decoded("dtstart") == calendar.at(day, dt.time(13))
    assert event.decoded("dtend") == calendar.at(day, dt.time(17))
    assert str(event.get("dtstart").params["TZID"]) == "Asia/Tokyo"
    assert "中央公民館 会議室1" in str(event.get("summary"))
    assert booking.number in str(event.get("description"))
    assert str(event.get("status")) == "CONFIRMED"
    assert str(event.get("uid")) == f"booking-{booking.pk}@testserver"
    assert str(event.get("url")).endswith(reverse("reservations:booking", args=[booking.pk]))


def test_another_residents_booking_file_is_not_found(client: Client, resident: User) -> None:
    booking = services.book(request_for(room(), open_day(), "13:00", "17:00"), user=resident)
    client.force_login(ResidentProfileFactory.create().user)
    assert client.get(reverse("reservations:booking_ics", args=[booking.pk])).status_code == 404


def test_the_residents_feed_lives_at_a_secret_address_they_can_reset(
    client: Client, resident: User
) -> None:
    facility = room()
    day = open_day()
    kept = services.book(request_for(facility, day, "13:00", "17:00"), user=resident)
    dropped = services.book(request_for(facility, day, "09:00", "12:00"), user=resident)
    services.cancel(dropped, by=resident)
    client.force_login(resident)
    settings_url = reverse("reservations:feed_settings")
    assert "カレンダー連携を始める" in client.get(settings_url).content.decode()
    client.post(settings_url, {"action": "start"})
    feed = CalendarFeed.objects.get(user=resident)
    assert len(feed.token) >= 40
    page = client.get(settings_url).content.decode()
    address = reverse("reservations:feed", args=[feed.token])
    assert address in page and "webcal://" in page

    client.logout()  # a calendar app does not sign in
    cal = parse(client.get(address))
    events = {str(e.get("uid")): e for e in cal.walk("VEVENT")}
    assert str(events[f"booking-{kept.pk}@testserver"].get("status")) == "CONFIRMED"
    # A cancelled booking stays in the feed as cancelled, so a subscribed app removes it.
    assert str(events[f"booking-{dropped.pk}@testserver"].get("status")) == "CANCELLED"
    assert cal.get("method") is None

    client.force_login(resident)
    client.post(settings_url, {"action": "reset"})
    client.logout()
    assert client.get(address).status_code == 404
    fresh = CalendarFeed.objects.get(user=resident)
    assert fresh.token != feed.token
    assert client.get(reverse("reservations:feed", args=[fresh.token])).status_code == 200

    client.force_login(resident)
    client.post(settings_url, {"action": "stop"})
    assert not CalendarFeed.objects.exists()


def test_the_feed_has_only_its_owners_bookings(client: Client, resident: User) -> None:
    facility = room()
    day = open_day()
    mine = services.book(request_for(facility, day, "13:00", "17:00"), user=resident)
    someone = ResidentProfileFactory.create(district=DistrictFactory.create()).user
    theirs = services.book(request_for(facility, day, "18:00", "21:00"), user=someone)
    client.force_login(resident)
    client.post(reverse("reservations:feed_settings"), {"action": "start"})
    token = CalendarFeed.objects.get(user=resident).token
    uids = {
        str(e.get("uid"))
        for e in parse(client.get(reverse("reservations:feed", args=[token]))).walk("VEVENT")
    }
    assert uids == {f"booking-{mine.pk}@testserver"}
    assert theirs.pk != mine.pk
    assert client.get(reverse("reservations:feed", args=["not-a-token"])).status_code == 404


def test_a_facilitys_busy_periods_carry_no_personal_data(client: Client, resident: User) -> None:
    facility = room()
    day = open_day()
    booking = services.book(
        request_for(
            facility, day, "13:00", "17:00", contact_name="亘理 花子", purpose_detail="秘密の会合"
        ),
        user=resident,
    )
    closed_day = day + dt.timedelta(days=1)
    while calendar.day_key(closed_day) == "mon":
        closed_day += dt.timedelta(days=1)
    services.add_closure(
        facility,
        kind=Closure.Kind.CLOSED,
        start=calendar.at(closed_day, dt.time(9)),
        end=calendar.at(closed_day, dt.time(21)),
        reason="館内整理",
        by=StaffFactory.create(),
    )
    response = client.get(reverse("reservations:facility_ics", args=[facility.code]))
    cal = parse(response)
    text = response.content.decode()
    for private in ("亘理", "花子", "秘密", booking.number, resident.email):
        assert private not in text
    summaries = sorted(str(e.get("summary")) for e in cal.walk("VEVENT"))
    assert summaries == ["予約あり（全室）", "休館"]
    assert {str(e.get("uid")).split("-")[0] for e in cal.walk("VEVENT")} == {"busy", "closure"}
