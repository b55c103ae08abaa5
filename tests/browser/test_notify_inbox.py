"""A resident reads a notice from the town in the inbox, answers its safety question and writes
to the town, in Chromium; the inbox, notice and settings pages pass axe and fit a 390 px phone."""

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.urls import reverse

from tests.browser.fixtures import run_axe
from yakuba.platform import notify
from yakuba.platform.accounts.models import ResidentProfile
from yakuba.platform.accounts.tests.factories import PASSWORD, ResidentProfileFactory
from yakuba.platform.notify.models import Channel, ConversationMessage, Recipient, Reply
from yakuba.platform.notify.replies import answer_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SAFETY_QUESTION = {
    "kind": "choice",
    "text": {"ja": "ご無事ですか", "en": "Are you safe?"},
    "choices": [
        {"code": "safe", "label": {"ja": "無事です", "en": "I am safe"}},
        {"code": "help", "label": {"ja": "助けが必要です", "en": "I need help"}},
    ],
}
# A long unbroken address and subject: they must wrap on a phone, not widen the page.
LONG_URL = "https://www.town.watari.miyagi.jp/bousai/hinanjo/" + "a" * 80
LONG_SUBJECT = "【避難所開設】荒浜地区・吉田地区・逢隈地区の避難所を開設しました" * 2


@pytest.fixture
def resident(settings: Any) -> ResidentProfile:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    profile: ResidentProfile = ResidentProfileFactory.create()
    notify.send(
        "notify.announcement",
        to=profile.user,
        contents={"ja": {"subject": "ごみ収集日の変更", "body": "来週から変わります。"}},
    )
    notify.send(
        "notify.emergency",
        to=profile.user,
        contents={"ja": {"subject": LONG_SUBJECT, "body": f"避難所の一覧: {LONG_URL}"}},
        questions=[SAFETY_QUESTION],
    )
    return profile


def vapid_private_key() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def sign_in(page: Any, email: str) -> None:
    page.goto("/accounts/login/")
    page.locator("main input[name=login]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/my/")


def sideways_overflow(page: Any) -> int:
    return int(page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth"))


def test_resident_answers_a_safety_question_and_writes_to_the_town(
    page: Any, resident: ResidentProfile
) -> None:
    sign_in(page, resident.user.email)

    page.goto("/notify/")
    assert "未読2件" in page.title()
    assert run_axe(page) == []
    emergency = page.locator(".notice-inbox__item").first
    assert "【緊急】" in emergency.inner_text() and "未読" in emergency.inner_text()
    emergency.get_by_role("link").click()

    page.wait_for_url("**/notify/*/")
    assert run_axe(page) == []
    page.get_by_label("無事です").check()
    page.get_by_role("button", name="回答する").click()
    assert "回答を送りました。" in page.locator("main").inner_text()
    assert "あなたの回答: 無事です" in page.locator("main").inner_text()
    # The answer is kept: the page opened again still shows it chosen.
    page.reload()
    assert page.get_by_label("無事です").is_checked()
    reply = Reply.objects.get()
    assert (reply.choice, reply.channel) == ("safe", Channel.IN_APP)

    # An empty message shows the error summary; then a real one joins the thread.
    page.get_by_role("button", name="町に送る").click()
    summary = page.locator("#error-summary")
    assert summary.is_visible() and "メッセージを入力してください。" in summary.inner_text()
    assert run_axe(page) == []
    page.get_by_label("町へのメッセージ").fill("母も一緒に避難しています。")
    page.get_by_role("button", name="町に送る").click()
    assert "町にメッセージを送りました。" in page.locator("main").inner_text()
    assert "母も一緒に避難しています。" in page.locator("#conversation").inner_text()
    assert ConversationMessage.objects.get().body == "母も一緒に避難しています。"

    page.goto("/notify/")
    assert "未読1件" in page.title()


def test_inbox_pages_fit_a_phone_and_pass_axe(
    page: Any, resident: ResidentProfile, settings: Any
) -> None:
    # Web Push on, so that the settings page carries its button too.
    settings.NOTIFY_VAPID_PRIVATE_KEY = vapid_private_key()
    settings.NOTIFY_VAPID_SUBJECT = "mailto:bousai@town.example.jp"
    sign_in(page, resident.user.email)
    emergency = Recipient.objects.get(user=resident.user, message__priority="emergency")
    page.set_viewport_size(PHONE)
    for text_size in ("standard", "x-large"):
        page.context.add_cookies(
            [{"name": "yakuba_text_size", "value": text_size, "url": page.url}]
        )
        for url in ("/notify/", f"/notify/{emergency.pk}/", "/notify/settings/"):
            page.goto(url)
            assert sideways_overflow(page) <= 1, f"{url} at {text_size} scrolls sideways"
            assert run_axe(page) == [], url
    # The answer buttons are big touch targets (WCAG 2.5.5: 44 px).
    page.goto(f"/notify/{emergency.pk}/")
    box = page.locator("label.answer-choice").first.bounding_box()
    assert box is not None and box["height"] >= 44


def test_settings_refuse_two_channels_at_the_same_rank(
    page: Any, resident: ResidentProfile
) -> None:
    sign_in(page, resident.user.email)
    page.goto("/notify/settings/")
    assert run_axe(page) == []
    page.get_by_label("メール").select_option("1")
    page.get_by_label("LINE", exact=True).select_option("1")
    page.get_by_role("button", name="保存する").click()

    summary = page.locator("#error-summary")
    assert summary.is_visible() and "1番目に選べるのは一つだけです" in summary.inner_text()
    assert run_axe(page) == []
    resident.refresh_from_db()
    assert resident.notification_channels == ["in_app"]

    page.get_by_label("LINE", exact=True).select_option("2")
    page.get_by_role("button", name="保存する").click()
    assert "通知の設定を保存しました。" in page.locator("main").inner_text()
    resident.refresh_from_db()
    assert resident.notification_channels == ["in_app", "email", "line"]


def test_the_answer_link_from_a_mail_answers_only_after_the_button(
    page: Any, resident: ResidentProfile
) -> None:
    recipient = Recipient.objects.get(user=resident.user, message__priority="emergency")
    question = recipient.message.questions.get()

    # Signed out, as when the link is opened from a mail app.
    page.goto(reverse("notify:answer", args=[answer_token(recipient, question, "help")]))
    assert run_axe(page) == []
    assert not Reply.objects.exists()
    page.get_by_role("button", name="「助けが必要です」と回答する").click()

    assert "回答を受け付けました" in page.locator("h1").inner_text()
    assert Reply.objects.get().choice == "help"
