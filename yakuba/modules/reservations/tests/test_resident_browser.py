"""A resident books a meeting room from a phone (390×844) in Chromium: finds it by purpose and
day, books a free 午後 from the week's list, sees the exact fee before booking, finds the
booking from マイページ, cancels it, and the afternoon is free again. Every page passes axe and
fits the screen."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from tests.browser.fixtures import check_page, sign_in
from yakuba.core.models import Municipality
from yakuba.modules.reservations import calendar
from yakuba.modules.reservations.models import Booking
from yakuba.modules.reservations.tests.factories import gym, room
from yakuba.platform.accounts.models import User
from yakuba.platform.accounts.tests.factories import DistrictFactory, ResidentProfileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def town() -> None:
    Municipality.objects.create(
        name="亘理町",
        code="043231",
        prefecture="宮城県",
        map_center_latitude=38.03,
        map_center_longitude=140.85,
    )


@pytest.fixture
def resident() -> User:
    user: User = ResidentProfileFactory.create(
        user__email="hanako@example.jp",
        family_name="亘理",
        given_name="花子",
        phone="0223-34-1111",
        district=DistrictFactory.create(),
    ).user
    return user


def open_day() -> dt.date:
    day = calendar.today() + dt.timedelta(days=14)
    while calendar.day_key(day) == "mon":
        day += dt.timedelta(days=1)
    return day


def test_a_resident_books_a_meeting_room_and_cancels_it_from_a_phone(
    page: Any, live_server: Any, town: None, resident: User
) -> None:
    facility = room()
    gym()
    day = open_day()
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, resident)

    page.goto("/reservations/")
    check_page(page)
    page.get_by_label("会議・研修").check()
    page.get_by_label("利用したい日").fill(day.isoformat())
    page.get_by_role("button", name="さがす").click()
    assert "町民体育館" not in page.locator(".facility-list").inner_text()
    check_page(page)
    page.get_by_role("link", name="中央公民館 会議室1").click()

    # The week, as a list on a phone: the chosen day first.
    page.get_by_role("heading", name="中央公民館 会議室1の空き状況").wait_for()
    check_page(page)
    afternoon = page.get_by_role("link", name=re.compile(r"^予約する.*午後"))
    afternoon.first.click()

    page.get_by_role("heading", name="予約の内容").wait_for()
    assert page.get_by_label(re.compile("^利用者の氏名")).input_value() == "亘理 花子"
    assert (
        page.get_by_label(re.compile("^当日に連絡がつく電話番号")).input_value() == "0223-34-1111"
    )
    check_page(page)
    page.get_by_label("会議・研修").check()
    page.get_by_label(re.compile("^利用人数")).fill("12")
    page.get_by_role("button", name="確認画面へ進む").click()

    page.get_by_role("heading", name="予約の内容の確認").wait_for()
    assert "800円" in page.locator(".fee-table").inner_text()
    check_page(page)
    page.get_by_role("button", name="予約する").click()

    page.get_by_text("予約しました。").wait_for()
    booking = Booking.objects.get()
    assert booking.start == calendar.at(day, dt.time(13))
    check_page(page)

    # マイページ → あなたの予約 → the booking.
    page.get_by_role("link", name="マイページ").first.click()
    page.get_by_role("link", name="あなたの予約").first.click()
    page.get_by_role("heading", name="あなたの予約", exact=True).wait_for()
    check_page(page)
    page.get_by_role("link", name="中央公民館 会議室1 全室").click()
    assert booking.number in page.locator(".booking-number").inner_text()
    page.get_by_role("link", name="予約を取り消す").click()

    page.get_by_role("heading", name="予約を取り消しますか").wait_for()
    assert "取消料はかかりません" in page.locator(".cancel-fee").inner_text()
    check_page(page)
    page.get_by_role("button", name="予約を取り消す").click()
    page.get_by_text("予約を取り消しました。").wait_for()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED

    # The afternoon is free again.
    page.goto(f"/reservations/facilities/{facility.code}/days/{day.isoformat()}/")
    first_day = page.locator("section.day").first
    assert first_day.get_by_role("link", name=re.compile(r"^予約する.*午後")).count() == 1


def test_the_month_calendar_reads_on_a_phone_and_moves_between_months(
    page: Any, live_server: Any, town: None
) -> None:
    facility = room()
    page.set_viewport_size(PHONE)
    page.goto(f"/reservations/facilities/{facility.code}/")
    check_page(page)
    caption = page.locator("table.month caption").inner_text()
    this_month = calendar.today()
    assert f"{this_month.year}年{this_month.month}月" in caption
    following = calendar.months_before(this_month.replace(day=1), -1)
    page.get_by_role("link", name=f"{following.year}年{following.month}月").click()
    page.locator(
        "table.month caption", has_text=f"{following.year}年{following.month}月"
    ).wait_for()
    # htmx swapped the calendar in place and put the focus on its heading (once the swap settled).
    page.wait_for_function("document.activeElement?.id === 'availability-title'")
    assert f"month={following:%Y-%m}" in page.url
    check_page(page)
