"""A group enters a lottery and confirms its win, in Chromium: the representative of a registered
group enters the gym's lottery from a phone (390×844) with two ranked wishes, a clerk draws it
from the staff pages, the representative finds 当選 among their entries, confirms it and sees
the booking 予約済み; the round's public page then shows the seed that matches the published
hash. Every page passes axe and fits the screen."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

import pytest
from django.utils import timezone

from tests.browser.fixtures import check_page, sign_in
from yakuba.modules.reservations import calendar, groups, lottery, queries
from yakuba.modules.reservations.groups import GroupDetails
from yakuba.modules.reservations.lottery import RoundDetails
from yakuba.modules.reservations.models import Booking, Group, LotteryRound
from yakuba.modules.reservations.tests.factories import gym

# The town and 花子, as the residents' browser test has them.
from yakuba.modules.reservations.tests.test_resident_browser import resident as resident
from yakuba.modules.reservations.tests.test_resident_browser import town as town
from yakuba.platform.accounts.models import User
from yakuba.platform.accounts.tests.factories import StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def clerk() -> User:
    user: User = StaffFactory.create(permissions=["reservations.change_booking"])
    return user


@pytest.fixture
def representative(resident: User) -> User:
    """The residents' browser test's 花子 represents the group."""
    return resident


def test_a_group_enters_a_lottery_and_confirms_its_win(
    page: Any, live_server: Any, town: None, clerk: User, representative: User
) -> None:
    hall = gym()
    group = groups.register_group(
        GroupDetails("亘理やまびこ会", "わたりやまびこかい", "バドミントン", 12, True),
        by=representative,
    )
    groups.decide(group, status=Group.Status.APPROVED, reason="", by=clerk)
    now = timezone.now()
    month = calendar.months_before(calendar.today(), -2)
    found = lottery.create_round(
        RoundDetails(
            title="町民体育館の抽選",
            facilities=[hall],
            use_month=month,
            applications_open=now - dt.timedelta(hours=1),
            applications_close=now + dt.timedelta(days=3),
            confirm_by=now + dt.timedelta(days=10),
        ),
        by=clerk,
    )
    first_day, second_day = month + dt.timedelta(days=4), month + dt.timedelta(days=11)

    # The representative enters, for the group, from a phone.
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, representative)
    page.goto("/reservations/lottery/")
    check_page(page)
    page.get_by_role("link", name="町民体育館の抽選").click()
    assert found.seed_sha256 in page.content()
    check_page(page)
    page.get_by_role("link", name="町民体育館の抽選に申し込む").click()
    check_page(page)
    page.get_by_label("亘理やまびこ会").check()
    first = page.get_by_role("group", name="第1希望")
    first.get_by_label("区画").select_option(label="全面")
    first.get_by_label("日").select_option(label=queries.day_label(first_day))
    first.get_by_label("開始").select_option("18:00")
    first.get_by_label("終了").select_option("20:00")
    second = page.get_by_role("group", name="第2希望")
    second.get_by_label("区画").select_option(label="半面A")
    second.get_by_label("日").select_option(label=queries.day_label(second_day))
    second.get_by_label("開始").select_option("10:00")
    second.get_by_label("終了").select_option("12:00")
    page.get_by_label("利用人数").fill("12")
    assert page.get_by_label("利用者の氏名").input_value() == "亘理 花子"
    page.get_by_role("button", name="抽選に申し込む").click()
    page.get_by_text("抽選に申し込みました").wait_for()
    check_page(page)
    assert "抽選前" in page.content()

    # Applications close; a clerk draws.
    LotteryRound.objects.filter(pk=found.pk).update(applications_close=timezone.now())
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server, clerk)
    page.goto("/reservations/staff/lottery/")
    check_page(page)
    page.get_by_role("link", name="町民体育館の抽選").click()
    check_page(page)
    page.get_by_role("button", name="抽選する").click()
    page.get_by_text("抽選しました").wait_for()
    check_page(page)

    # The representative sees the win and confirms it.
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, representative)
    page.goto("/reservations/lottery/mine/")
    assert page.locator(".lottery-state").inner_text() == "当選（確定待ち）"
    check_page(page)
    page.get_by_role("button", name=re.compile("^当選を確定する")).click()
    page.get_by_text("当選を確定しました").wait_for()
    assert page.locator(".lottery-state").inner_text() == "予約済み"
    check_page(page)
    booking = Booking.objects.get()
    assert (booking.status, booking.group, booking.unit.code) == (
        Booking.Status.CONFIRMED,
        group,
        "whole",
    )

    # The public page now shows the seed, which matches the hash published from the start.
    page.goto(f"/reservations/lottery/{found.pk}/")
    found.refresh_from_db()
    assert found.seed in page.content()
    assert hashlib.sha256(found.seed.encode("ascii")).hexdigest() == found.seed_sha256
    check_page(page)
