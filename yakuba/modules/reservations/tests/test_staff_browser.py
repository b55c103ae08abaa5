"""The counter in Chromium: a clerk finds a resident who came in person, books a room for them,
takes the fee, and closes the room for a day of inspection — refused first over the booking.
Every staff page passes axe and fits the screen, on a desktop and on a phone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.browser.fixtures import check_page, sign_in
from yakuba.modules.reservations import calendar
from yakuba.modules.reservations.models import Booking, Closure, Facility
from yakuba.modules.reservations.tests.factories import room
from yakuba.platform.accounts.models import User
from yakuba.platform.accounts.tests.factories import (
    DistrictFactory,
    ResidentProfileFactory,
    StaffFactory,
)
from yakuba.platform.payments.collectors import PaymentState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


def open_day(at_least: int) -> dt.date:
    day = calendar.today() + dt.timedelta(days=at_least)
    return day + dt.timedelta(days=1) if day.weekday() == 0 else day


@pytest.fixture
def hall() -> Facility:
    return room()


@pytest.fixture
def clerk(settings: Any, hall: Facility) -> User:
    settings.STAFF_REQUIRE_MFA = False
    return StaffFactory.create(
        permissions=["reservations.change_booking", "reservations.change_facility"]
    )


def test_a_clerk_books_for_a_resident_takes_the_fee_and_closes_a_day(
    page: Any, live_server: Any, hall: Facility, clerk: User
) -> None:
    resident = ResidentProfileFactory.create(
        district=DistrictFactory.create(),
        family_name="亘理",
        given_name="ハル",
        family_name_kana="わたり",
        given_name_kana="はる",
        phone="0223-34-5678",
    ).user
    day = open_day(10)
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, clerk)

    page.goto("/reservations/staff/")
    page.get_by_role("heading", name="施設予約の管理").wait_for()
    check_page(page)

    # Find the resident, choose the room and the afternoon, fill in the details.
    page.get_by_role("link", name="窓口で予約").click()
    page.get_by_label("氏名・ふりがな・メールアドレス・電話番号").fill("わたり はる")
    page.get_by_role("button", name="探す").click()
    check_page(page)
    page.get_by_role("link", name="亘理 ハルさんの予約をする").click()
    page.get_by_role("combobox", name="施設").select_option(str(hall.pk))
    page.get_by_label("利用日").fill(day.isoformat())
    page.get_by_role("button", name="空きを見る").click()
    check_page(page)
    page.get_by_role("link", name="午後 13:00–17:00 全室 空き").click()
    page.get_by_label("利用目的").select_option("meeting")
    page.get_by_label("利用人数").fill("15")
    page.get_by_label("利用の内容（催しの名前など）").fill("町内会の役員会")
    page.get_by_role("button", name="使用料を確かめる").click()
    assert "800円" in page.locator("#quote").inner_text()
    check_page(page)
    page.get_by_role("button", name="この内容で予約する").click()

    # The booking: take the fee at the counter.
    page.get_by_text("予約しました。予約番号は").wait_for()
    booking = Booking.objects.get()
    assert booking.user == resident and booking.booked_by == clerk
    check_page(page)
    page.get_by_role("button", name="窓口で800円を受け取った（支払い済みにする）").click()
    page.get_by_text("800円を受け取り、支払い済みにしました。").wait_for()
    check_page(page)
    booking.refresh_from_db()
    assert booking.payment == PaymentState.PAID

    # The day's calendar shows it; on a phone, as a list.
    page.goto(f"/reservations/staff/?day={day.isoformat()}")
    assert booking.number in page.locator(".resv-wide").inner_text()
    check_page(page)
    page.set_viewport_size(PHONE)
    assert "亘理 ハル" in page.locator(".resv-narrow").inner_text()
    check_page(page)
    page.set_viewport_size(DESKTOP)

    # A closure over the booking is refused with the booking to cancel; the next day is closed.
    page.get_by_role("link", name="利用停止の期間").click()
    page.get_by_role("combobox", name="施設").select_option(str(hall.pk))
    page.get_by_label("種類").select_option("maintenance")
    page.get_by_label("開始日").fill(day.isoformat())
    page.get_by_label("終了日").fill(day.isoformat())
    page.get_by_label("理由（予約のページに表示します）").fill("消防設備の点検")
    page.get_by_role("button", name="登録する").click()
    assert booking.number in page.locator("#error-summary").inner_text()
    page.get_by_role("link", name=f"予約番号 {booking.number}").wait_for()
    check_page(page)
    next_day = day + dt.timedelta(days=1)
    page.get_by_label("開始日").fill(next_day.isoformat())
    page.get_by_label("終了日").fill(next_day.isoformat())
    page.get_by_role("button", name="登録する").click()
    page.get_by_text("利用停止の期間を登録しました。").wait_for()
    check_page(page)
    closure = Closure.objects.get()
    assert closure.start == calendar.at(next_day, dt.time(0))

    # The other staff pages pass too.
    for path in (
        "/reservations/staff/?span=week",
        "/reservations/staff/stats/",
        "/reservations/staff/facilities/",
        f"/reservations/staff/facilities/{hall.pk}/",
        f"/reservations/staff/facilities/{hall.pk}/fees/",
    ):
        page.goto(path)
        check_page(page)
    page.goto(f"/reservations/staff/facilities/{hall.pk}/")
    page.get_by_label("火曜日 開始").fill("9時")
    page.get_by_role("button", name="設定を保存する").click()
    assert "火曜日の開始時刻" in page.locator("#error-summary").inner_text()
    check_page(page)
