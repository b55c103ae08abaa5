"""Staff build a segment, send a safety question; a resident answers in the inbox; staff see it and
reply — end to end in Chromium, with two browser contexts (a clerk and a resident) against one
live server. Every staff page passes axe; the resident's pages fit a 390 px phone."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.fixtures import run_axe
from yakuba.platform.accounts.models import User
from yakuba.platform.accounts.tests.factories import (
    PASSWORD,
    DistrictFactory,
    ResidentProfileFactory,
    StaffFactory,
)
from yakuba.platform.notify.models import ConversationMessage, Message, Recipient, Reply, Segment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# The permissions of a clerk who sends notices and follows up the answers (通知の送信).
CLERK = [
    "notify.view_message",
    "notify.add_message",
    "notify.send_emergency",
    "notify.add_segment",
    "notify.view_reply",
    "notify.add_conversationmessage",
]


@pytest.fixture
def town(settings: Any, tmp_path: Path) -> dict[str, Any]:
    """Two districts with one resident each, and a clerk; all can sign in with PASSWORD."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STAFF_REQUIRE_MFA = False
    settings.MEDIA_ROOT = tmp_path
    north = DistrictFactory.create(code="north", name="北区", order=1)
    south = DistrictFactory.create(code="south", name="南区", order=2)
    return {
        "north": ResidentProfileFactory.create(district=north, phone="090-1111-2222"),
        "south": ResidentProfileFactory.create(district=south),
        "clerk": StaffFactory.create(permissions=CLERK),
    }


@pytest.fixture
def resident_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A second browser (its own cookies): the resident's phone, beside the clerk's `page`."""
    context = browser.new_context(locale="ja-JP", base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def sign_in(page: Any, user: User) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("メールアドレス").fill(user.email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def sideways_overflow(page: Any) -> int:
    return int(page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth"))


def assert_accessible(page: Any) -> None:
    assert run_axe(page) == [], page.url


def test_staff_send_a_safety_check_a_resident_answers_and_staff_follow_up(
    page: Any, resident_page: Any, town: dict[str, Any]
) -> None:
    north, south, clerk = town["north"], town["south"], town["clerk"]

    # --- The clerk builds a segment: tick 北区, the live count follows, save it. ---
    sign_in(page, clerk)
    page.goto("/notify/staff/")
    assert_accessible(page)
    page.get_by_role("link", name="配信対象", exact=True).click()
    assert_accessible(page)
    page.get_by_role("link", name="配信対象を作る").click()
    assert_accessible(page)
    count = page.get_by_role("status").filter(has_text="今日の対象者")
    page.get_by_role("group", name="行政区", exact=True).get_by_label("北区").check()
    expect(count).to_contain_text("今日の対象者: 1 人")
    page.get_by_role("group", name="行政区", exact=True).get_by_label("南区").check()
    expect(count).to_contain_text("今日の対象者: 2 人")
    page.get_by_role("group", name="行政区", exact=True).get_by_label("南区").uncheck()
    expect(count).to_contain_text("今日の対象者: 1 人")
    page.get_by_label("配信対象の名前").fill("北区の町民")
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "配信対象「北区の町民」を保存しました。"
    )
    assert Segment.objects.get().rule == {"district": ["north"]}
    assert_accessible(page)

    # --- Compose for the saved segment with the 安否確認 preset; an empty subject is refused. ---
    page.get_by_role("link", name="北区の町民").click()
    page.get_by_role("link", name="この配信対象に通知を送る").click()
    assert_accessible(page)
    assert page.get_by_label("保存した配信対象").input_value() == str(Segment.objects.get().pk)
    page.get_by_label("緊急のお知らせ", exact=True).check()
    page.get_by_label("安否確認（無事です／助けが必要です）").check()
    page.get_by_role("button", name="確認する").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    assert "件名（日本語）" in summary.inner_text()
    assert_accessible(page)
    assert not Message.objects.exists()
    page.get_by_label("件名（日本語）").fill("【安否確認】大雨による安否確認")
    page.get_by_label("本文（日本語）").fill("((氏名))様\n((行政区))に避難指示が出ています。")
    page.get_by_role("button", name="確認する").click()

    # --- Preview: one resident, the question and both answers on every channel; send. ---
    page.wait_for_url("**/notify/staff/messages/preview/*/")
    assert_accessible(page)
    assert page.locator("#preview-count").inner_text() == "1 人"
    assert "緊急のお知らせとして送ります。" in page.get_by_role("alert").inner_text()
    inbox_preview = page.locator("#preview-ja-in_app")
    assert "亘理 花子（見本）様" in inbox_preview.inner_text()
    assert "助けが必要です" in inbox_preview.inner_text()
    page.get_by_role("button", name="送信する").click()
    expect(page.get_by_role("status").first).to_contain_text("送信を始めました。")
    message = Message.objects.get()
    assert_accessible(page)
    # The fan-out ran at once: the 北区 resident has the notice, the 南区 resident has not.
    assert list(Recipient.objects.values_list("user", flat=True)) == [north.user_id]

    # --- The resident, on a phone, opens 町からのお知らせ, answers and writes to the town. ---
    sign_in(resident_page, north.user)
    resident_page.goto("/my/")
    resident_page.get_by_role("link", name="町からのお知らせ").first.click()
    resident_page.wait_for_url("**/notify/")
    assert sideways_overflow(resident_page) <= 1
    resident_page.get_by_role("link", name="【安否確認】大雨による安否確認").click()
    resident_page.wait_for_url("**/notify/*/")
    assert "北区に避難指示が出ています。" in resident_page.locator("main").inner_text()
    assert sideways_overflow(resident_page) <= 1
    resident_page.get_by_label("助けが必要です").check()
    resident_page.get_by_role("button", name="回答する").click()
    expect(resident_page.locator("main")).to_contain_text("回答を送りました。")
    resident_page.get_by_label("町へのメッセージ").fill("足が悪く、一人では避難所まで行けません。")
    resident_page.get_by_role("button", name="町に送る").click()
    expect(resident_page.locator("main")).to_contain_text("町にメッセージを送りました。")
    assert sideways_overflow(resident_page) <= 1
    assert Reply.objects.get().choice == "help"

    # --- The clerk sees the answer by district and the resident among 助けが必要な方. ---
    page.goto(f"/notify/staff/messages/{message.pk}/")
    page.get_by_role("link", name="回答の集計").click()
    assert_accessible(page)
    north_row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="北区"))
    # 行政区 | 受信者数 | 無事です | 助けが必要です | 未回答
    expect(north_row.get_by_role("cell")).to_have_text(["1", "0", "1", "0"])
    page.get_by_role("link", name="助けが必要な方（1 人）").click()
    assert_accessible(page)
    helped = page.get_by_role("row").filter(has_text=north.full_name)
    expect(helped).to_contain_text("北区")
    expect(helped).to_contain_text("090-1111-2222")
    assert south.full_name not in page.locator("main").inner_text()

    # --- The clerk opens the conversation and replies; an empty reply is refused first. ---
    helped.get_by_role("link", name="やりとりを開く").click()
    assert_accessible(page)
    expect(page.locator("main")).to_contain_text("足が悪く、一人では避難所まで行けません。")
    page.get_by_role("button", name="返信する").click()
    expect(page.locator("#error-summary")).to_be_focused()
    assert_accessible(page)
    page.get_by_label("返信").fill("本日15時に消防団が迎えに伺います。")
    page.get_by_role("button", name="返信する").click()
    expect(page.get_by_role("status").first).to_contain_text("返信しました。")
    assert_accessible(page)
    page.goto(f"/notify/staff/messages/{message.pk}/conversations/")
    assert_accessible(page)
    expect(page.get_by_role("row").filter(has_text="北区")).to_contain_text("返信済み")

    # --- The resident sees the town's reply under the notice. ---
    resident_page.reload()
    thread = resident_page.locator("#conversation")
    expect(thread).to_contain_text("町から")
    expect(thread).to_contain_text("本日15時に消防団が迎えに伺います。")
    assert sideways_overflow(resident_page) <= 1
    assert ConversationMessage.objects.filter(from_staff=True).count() == 1
