"""Events for the tests: a smartphone class (スマホ教室) with one session."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from yakuba.modules.reservations.models import Event, EventSession
from yakuba.platform.accounts.models import Department, User
from yakuba.platform.accounts.tests.factories import DepartmentFactory, ResidentProfileFactory
from yakuba.platform.places.tests.factories import PlaceFactory


def smartphone_class(
    *,
    capacity: int = 3,
    waitlist_limit: int = 2,
    max_seats: int = 2,
    start: dt.datetime | None = None,
    status: str = Event.Status.PUBLISHED,
    department: Department | None = None,
    title: str = "スマホ教室（はじめてのLINE）",
    **extra: Any,
) -> EventSession:
    """「スマホ教室（はじめてのLINE）」 of 町民生活課 (the staff factory's department), one
    two-hour session a week from now unless `start` says otherwise."""
    start = start or timezone.now() + dt.timedelta(days=7)
    event = Event.objects.create(
        department=department or DepartmentFactory.create(),
        place=PlaceFactory.create(name="中央公民館"),
        title=title,
        description="スマートフォンの使い方を、ゆっくり教えます。",
        max_seats_per_ticket=max_seats,
        status=status,
        **extra,
    )
    return EventSession.objects.create(
        event=event,
        start=start,
        end=start + dt.timedelta(hours=2),
        capacity=capacity,
        waitlist_limit=waitlist_limit,
    )


def resident(**extra: Any) -> User:
    user: User = ResidentProfileFactory.create(phone="0223-34-1111", **extra).user
    return user
