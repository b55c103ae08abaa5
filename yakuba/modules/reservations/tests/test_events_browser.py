"""A smartphone class (スマホ教室) with one seat left, in Chromium on a phone (390×844): one
resident takes the last seat, another goes on the waiting list, the first cancels, the second is
promoted and sees 参加確定 with the QR code; at the door, staff check the ticket in by typing its
number. Every page passes axe and fits the screen."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.browser.fixtures import check_page, sign_in
from yakuba.modules.reservations import events
from yakuba.modules.reservations.models import EventSession, Ticket
from yakuba.modules.reservations.tests.event_factories import resident, smartphone_class

# The town, as the residents' browser test has it.
from yakuba.modules.reservations.tests.test_resident_browser import town as town
from yakuba.platform.accounts.tests.factories import StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
TITLE = "スマホ教室（はじめてのLINE）"


@pytest.fixture
def last_seat() -> EventSession:
    """Five seats, four taken; a waiting list of two. It starts within the hour, so staff can
    check tickets in today."""
    session = smartphone_class(
        capacity=5, waitlist_limit=2, max_seats=1, start=timezone.now() + dt.timedelta(hours=1)
    )
    for _ in range(4):
        events.sign_up(session, user=resident(), name="亘理 一郎")
    return session


def sign_up_from_the_list(page: Any) -> None:
    page.goto("/reservations/events/")
    check_page(page)
    page.get_by_role("link", name=TITLE).click()
    check_page(page)
    page.get_by_role("button", name="申し込む").click()


def test_the_last_seat_the_waiting_list_a_cancellation_and_the_door(
    page: Any, live_server: Any, town: None, last_seat: EventSession
) -> None:
    page.set_viewport_size(PHONE)
    hanako = resident(family_name="亘理", given_name="花子")
    taro = resident(family_name="荒浜", given_name="太郎")

    # 花子 takes the last seat.
    sign_in(page, live_server, hanako)
    sign_up_from_the_list(page)
    page.get_by_role("heading", name="参加券").wait_for()
    assert "参加が確定しました" in page.locator(".notice-list").inner_text()
    assert page.locator(".ticket__qr svg").count() == 1
    check_page(page)

    # 太郎 finds it full and goes on the waiting list.
    sign_in(page, live_server, taro)
    page.goto(f"/reservations/events/{last_seat.event_id}/")
    assert "満席・キャンセル待ちを受付中（あと2人）" in page.locator(".event-sessions").inner_text()
    assert page.get_by_label("氏名").input_value() == "荒浜 太郎"
    page.get_by_role("button", name="申し込む").click()
    page.get_by_role("heading", name="参加券").wait_for()
    assert "キャンセル待ち（1番目）" in page.content()
    assert page.locator(".ticket__qr svg").count() == 0
    check_page(page)

    # 花子 cannot come after all, and cancels.
    sign_in(page, live_server, hanako)
    page.goto("/reservations/events/tickets/")
    check_page(page)
    page.get_by_role("link", name=TITLE).click()
    page.get_by_role("link", name="申し込みを取り消す").click()
    check_page(page)
    page.get_by_role("button", name="取り消す").click()
    page.get_by_role("heading", name="あなたの参加券").wait_for()
    assert "申し込みを取り消しました" in page.locator(".notice-list").inner_text()

    # 太郎 was moved up at once.
    sign_in(page, live_server, taro)
    page.goto("/reservations/events/tickets/")
    assert "参加確定" in page.locator(".card").inner_text()
    page.get_by_role("link", name=TITLE).click()
    assert page.locator(".ticket-status").first.inner_text() == "参加確定"
    assert page.locator(".ticket__qr svg").count() == 1
    number = page.locator(".ticket__number-digits").inner_text()
    ticket = Ticket.objects.get(user=taro)
    assert number == events.ticket_number(ticket)
    check_page(page)

    # At the door: his phone's screen cannot be scanned, so staff type the number.
    staff = StaffFactory.create(permissions=["reservations.change_event"])
    sign_in(page, live_server, staff)
    page.goto("/reservations/staff/events/")
    check_page(page)
    page.get_by_role("link", name=TITLE).click()
    check_page(page)
    page.get_by_role("link", name="受付（QR読み取り）").click()
    check_page(page)
    page.get_by_label("参加券の番号").fill(number)
    page.get_by_role("button", name="受付する").click()
    result = page.locator("#checkin-result")
    result.get_by_text("受付しました").wait_for()
    assert "荒浜 太郎 様" in result.inner_text()
    assert "1人" in result.inner_text()
    assert result.get_attribute("aria-live") == "polite"
    assert "受付済み 1人 / 参加確定 5人" in page.locator("#checkin-counts").inner_text()
    page.wait_for_function("document.getElementById('id_code').value === ''")
    check_page(page)

    # The same number again: the door is told when he came in.
    page.get_by_label("参加券の番号").fill(number)
    page.get_by_role("button", name="受付する").click()
    result.get_by_text("受付済みです").wait_for()
    ticket.refresh_from_db()
    assert ticket.checked_in_by == staff


# The browser's camera and BarcodeDetector, played by the test: a blank video stream, and a
# detector that "sees" whatever the test puts in window.scans.
FAKE_CAMERA = """
window.scans = [];
window.BarcodeDetector = class {
  static getSupportedFormats() { return Promise.resolve(["qr_code"]); }
  detect() {
    const seen = window.scans.shift();
    return Promise.resolve(seen ? [{ rawValue: seen }] : []);
  }
};
navigator.mediaDevices.getUserMedia = () => {
  const canvas = document.createElement("canvas");
  canvas.width = 64;
  canvas.height = 64;
  canvas.getContext("2d").fillRect(0, 0, 64, 64);
  return Promise.resolve(canvas.captureStream(5));
};
"""


def test_staff_scan_a_ticket_with_the_phones_camera(
    page: Any, live_server: Any, town: None, last_seat: EventSession
) -> None:
    page.set_viewport_size(PHONE)
    ticket = Ticket.objects.filter(session=last_seat).first()
    assert ticket is not None
    staff = StaffFactory.create(permissions=["reservations.change_event"])
    sign_in(page, live_server, staff)
    page.add_init_script(FAKE_CAMERA)
    page.goto(f"/reservations/staff/events/sessions/{last_seat.pk}/check-in/")
    assert page.locator("#camera-unsupported").is_hidden()
    page.get_by_role("button", name="カメラを起動").click()
    page.get_by_role("button", name="カメラを止める").wait_for()
    check_page(page)

    # What the ticket's QR code carries: the address of its check-in page.
    scanned = live_server.url + events.check_in_path(ticket)
    page.evaluate("url => window.scans.push(url, url, url)", scanned)
    result = page.locator("#checkin-result")
    result.get_by_text("受付しました").wait_for()
    assert "亘理 一郎 様" in result.inner_text()
    # The same code seen again at once is not sent again: the answer stays 受付しました.
    page.wait_for_timeout(1000)
    assert "受付しました" in result.inner_text()
    ticket.refresh_from_db()
    assert ticket.checked_in_by == staff

    page.get_by_role("button", name="カメラを止める").click()
    assert page.locator("#camera-video").is_hidden()
    assert "カメラを止めました" in page.locator("#camera-message").inner_text()
