"""Bookings as iCalendar (RFC 5545), for the residents' calendar apps.

- A resident's own feed (カレンダー連携) at a secret address: the token in the address is the only
  key, so it is long and random, and the resident can reset it (the old address stops at once).
- One booking as a file to add to a calendar in one tap.
- A facility's busy periods, public: only 「予約あり」 or the kind of closure, never who booked.

Times carry TZID=Asia/Tokyo with its VTIMEZONE; DTSTAMP is in UTC (RFC 5545 3.8.7.2). A UID
is the booking's number at the site's host name, stable across changes, so a calendar app updates
the event instead of adding a second one (3.8.4.7).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from typing import Any

import icalendar
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yakuba.modules.reservations import calendar, queries
from yakuba.modules.reservations.models import Booking, CalendarFeed, Closure, Facility

PRODID = "-//Yakuba//Reservations//JA"
CONTENT_TYPE = "text/calendar; charset=utf-8"


# --- the resident's feed ------------------------------------------------------------------------


def feed_of(user: Any) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


@transaction.atomic
def start_feed(user: Any) -> CalendarFeed:
    """Give the resident a feed address (the one they have, if any)."""
    feed, _created = CalendarFeed.objects.get_or_create(
        user=user, defaults={"token": secrets.token_urlsafe(32)}
    )
    return feed


@transaction.atomic
def reset_feed(user: Any) -> CalendarFeed:
    """A new address; apps subscribed to the old one see nothing more."""
    feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
    if feed is None:
        return start_feed(user)
    feed.token = secrets.token_urlsafe(32)
    feed.created_at = timezone.now()
    feed.save(update_fields=["token", "created_at"])
    return feed


def stop_feed(user: Any) -> None:
    CalendarFeed.objects.filter(user=user).delete()


def feed_bookings(user: Any, now: dt.datetime) -> Iterable[Booking]:
    """What the feed holds: the resident's bookings from 90 days ago on, cancelled ones marked so
    that a subscribed app removes them."""
    return queries.own_bookings(user).filter(end__gte=now - dt.timedelta(days=90)).order_by("start")


# --- calendars ----------------------------------------------------------------------------------


def _calendar(name: str) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    # Not in RFC 5545, but what Apple, Google and Microsoft apps read as the calendar's name.
    cal.add("x-wr-calname", name)
    return cal


def _finish(cal: icalendar.Calendar) -> bytes:
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment, calendar.TOKYO)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


def booking_event(booking: Booking, *, host: str, url: str) -> icalendar.Event:
    """A booking as an event: the facility and unit, where, the number, the fee and the page."""
    place = booking.facility.place
    event = icalendar.Event()
    event.add("uid", f"booking-{booking.pk}@{host}")
    event.add("dtstamp", _utc(booking.updated_at))
    event.add("created", _utc(booking.created_at))
    event.add("last-modified", _utc(booking.updated_at))
    event.add("dtstart", _local(booking.start))
    event.add("dtend", _local(booking.end))
    event.add(
        "summary",
        f"{queries.facility_name(booking.facility)} {queries.unit_name(booking.unit)}",
    )
    event.add("location", " ".join(part for part in (place.localized_name, place.address) if part))
    event.add("geo", (place.latitude, place.longitude))
    lines = [
        _("予約番号: %(number)s") % {"number": booking.number},
        _("利用目的: %(purpose)s") % {"purpose": booking.get_purpose_display()},
    ]
    if booking.fee_amount:
        lines.append(_("使用料: %(fee)s") % {"fee": queries.yen(booking.fee_amount)})
    lines.append(url)
    event.add("description", "\n".join(lines))
    event.add("url", url)
    cancelled = booking.status == Booking.Status.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def bookings_calendar(
    bookings: Iterable[Booking],
    *,
    name: str,
    host: str,
    url_of: Callable[[Booking], str],
    method: str = "",
) -> bytes:
    """Bookings as one calendar. `url_of(booking)` is the absolute address of its page;
    `method` is "PUBLISH" for a file opened once (RFC 5546), "" for a subscribed feed."""
    cal = _calendar(name)
    if method:
        cal.add("method", method)
    for booking in bookings:
        cal.add_component(booking_event(booking, host=host, url=url_of(booking)))
    return _finish(cal)


def busy_calendar(facility: Facility, *, host: str, first: dt.date, last: dt.date) -> bytes:
    """A facility's busy periods from `first` to `last`: each booking as 「予約あり」 with its
    unit, each closure by its kind. Nothing about who booked."""
    start = calendar.at(first, dt.time(0))
    end = calendar.at(last + dt.timedelta(days=1), dt.time(0))
    name = queries.facility_name(facility)
    cal = _calendar(_("%(facility)s の予約状況") % {"facility": name})
    bookings = (
        Booking.objects.filter(
            facility=facility,
            status=Booking.Status.CONFIRMED,
            start__lt=end,
            end__gt=start,
        )
        .select_related("unit")
        .order_by("start")
    )
    for booking in bookings:
        event = icalendar.Event()
        event.add("uid", f"busy-{booking.pk}@{host}")
        event.add("dtstamp", _utc(booking.updated_at))
        event.add("dtstart", _local(booking.start))
        event.add("dtend", _local(booking.end))
        event.add("summary", _("予約あり（%(unit)s）") % {"unit": queries.unit_name(booking.unit)})
        event.add("location", name)
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    closures = Closure.objects.filter(facility=facility, start__lt=end, end__gt=start).order_by(
        "start"
    )
    for closure in closures:
        event = icalendar.Event()
        event.add("uid", f"closure-{closure.pk}@{host}")
        event.add("dtstamp", _utc(closure.created_at))
        event.add("dtstart", _local(closure.start))
        event.add("dtend", _local(closure.end))
        event.add("summary", str(closure.get_kind_display()))
        event.add("location", name)
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    return _finish(cal)
