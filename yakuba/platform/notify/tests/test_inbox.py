"""The resident's inbox (受信箱), answers, the conversation, the mail answer link, attachments and
the notification settings (通知の設定), through HTTP; and the settings service."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from yakuba.platform import notify
from yakuba.platform.accounts.models import ResidentProfile, User
from yakuba.platform.notify import preferences
from yakuba.platform.notify.models import (
    Channel,
    ConversationMessage,
    LineLink,
    MessageAttachment,
    Preferences,
    Question,
    Recipient,
    Reply,
)
from yakuba.platform.notify.replies import answer_token
from yakuba.platform.notify.tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

SAFETY_QUESTION = {
    "kind": "choice",
    "text": {"ja": "ご無事ですか", "en": "Are you safe?"},
    "choices": [
        {"code": "safe", "label": {"ja": "無事です", "en": "I am safe"}},
        {"code": "help", "label": {"ja": "助けが必要です", "en": "I need help"}},
    ],
}
TEXT_QUESTION = {"kind": "text", "text": {"ja": "困っていることを教えてください"}}
PDF = b"%PDF-1.4\n% test notice\n"


def send_to(
    user: User,
    subject: str = "件名",
    *,
    body: str = "本文",
    kind: str = "notify.announcement",
    questions: list[dict[str, Any]] | None = None,
    contents: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Recipient:
    message = notify.send(
        kind,
        to=user,
        contents=contents or {"ja": {"subject": subject, "body": body}},
        questions=questions or [],
        **kwargs,
    )
    return Recipient.objects.get(message=message, user=user)


@pytest.fixture
def resident() -> ResidentProfile:
    return ResidentFactory.create(notification_channels=["in_app"])


@pytest.fixture
def me(client: Client, resident: ResidentProfile) -> Client:
    client.force_login(resident.user)
    return client


@pytest.fixture
def neighbour() -> ResidentProfile:
    return ResidentFactory.create()


def detail_url(recipient: Recipient) -> str:
    return reverse("notify:inbox_detail", args=[recipient.pk])


def answer_url(recipient: Recipient, question: Question) -> str:
    return reverse("notify:inbox_answer", args=[recipient.pk, question.pk])


# --- The inbox list -----------------------------------------------------------------------------


def test_inbox_lists_own_notices_newest_first_with_unread_and_emergency_marked(
    me: Client, resident: ResidentProfile, neighbour: ResidentProfile
) -> None:
    older = send_to(resident.user, "古いお知らせ")
    send_to(resident.user, "避難指示", kind="notify.emergency")
    send_to(neighbour.user, "隣の人へのお知らせ")
    Recipient.objects.filter(pk=older.pk).update(read_at=older.created_at)

    response = me.get(reverse("notify:inbox"))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("避難指示") < html.index("古いお知らせ")
    assert "隣の人へのお知らせ" not in html
    assert html.count("【緊急】") == 1
    # Unread is said in words, not by colour alone: one unread notice, one badge.
    assert html.count('class="notice-inbox__badge"') == 1
    assert "町からのお知らせ（未読1件）" in html


def test_inbox_shows_the_subject_in_the_residents_language_with_placeholders_filled(
    me: Client, resident: ResidentProfile
) -> None:
    resident.preferred_language = "en"
    resident.save()
    send_to(
        resident.user,
        contents={
            "ja": {"subject": "((氏名))様へのお知らせ", "body": "本文"},
            "en": {"subject": "A notice for ((氏名))", "body": "Body"},
        },
    )

    html = me.get(reverse("notify:inbox")).content.decode()

    assert f"A notice for {resident.full_name}" in html
    assert "様へのお知らせ" not in html


def test_inbox_is_paginated(me: Client, resident: ResidentProfile) -> None:
    for number in range(23):
        send_to(resident.user, f"お知らせ{number:02d}")

    first = me.get(reverse("notify:inbox")).content.decode()
    second = me.get(reverse("notify:inbox") + "?page=2").content.decode()

    assert "お知らせ22" in first and "お知らせ02" not in first
    assert "お知らせ02" in second and "お知らせ00" in second and "お知らせ22" not in second


def test_inbox_needs_a_signed_in_resident(client: Client) -> None:
    response = client.get(reverse("notify:inbox"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- One notice ---------------------------------------------------------------------------------


def test_opening_a_notice_marks_it_read_and_shows_the_body_safely(
    me: Client, resident: ResidentProfile
) -> None:
    recipient = send_to(
        resident.user,
        body="詳しくは https://www.town.watari.miyagi.jp/ をご覧ください。\n<script>alert(1)</script>",
        link_url="javascript:alert(1)",
    )
    assert recipient.read_at is None

    html = me.get(detail_url(recipient)).content.decode()

    recipient.refresh_from_db()
    assert recipient.read_at is not None
    assert '<a href="https://www.town.watari.miyagi.jp/"' in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert "javascript:alert" not in html


def test_a_resident_never_sees_another_residents_notice(
    me: Client, resident: ResidentProfile, neighbour: ResidentProfile
) -> None:
    theirs = send_to(neighbour.user, "隣の人へ", questions=[SAFETY_QUESTION])
    mine = send_to(resident.user, "わたしへ")
    question = Question.objects.get(message=theirs.message)

    # Guessing ids: every id that is not mine answers 404, like an id that does not exist.
    for pk in range(1, max(theirs.pk, mine.pk) + 3):
        status = me.get(reverse("notify:inbox_detail", args=[pk])).status_code
        assert status == (200 if pk == mine.pk else 404)
    assert (
        me.post(answer_url(theirs, question), {f"q{question.pk}-answer": "safe"}).status_code == 404
    )
    write = me.post(reverse("notify:inbox_write", args=[theirs.pk]), {"body": "のぞき見"})
    assert write.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert not Reply.objects.exists()
    assert not ConversationMessage.objects.exists()


def test_answering_a_choice_question_records_it_and_redirects(
    me: Client, resident: ResidentProfile
) -> None:
    recipient = send_to(resident.user, questions=[SAFETY_QUESTION])
    question = recipient.message.questions.get()

    response = me.post(answer_url(recipient, question), {f"q{question.pk}-answer": "safe"})

    assert response.status_code == 302
    assert response["Location"] == detail_url(recipient) + f"#question-{question.pk}"
    reply = Reply.objects.get()
    assert (reply.recipient, reply.choice, reply.channel) == (recipient, "safe", Channel.IN_APP)
    page = me.get(response["Location"]).content.decode()
    assert "回答を送りました。" in page
    assert "あなたの回答" in page and "<strong>無事です</strong>" in page
    assert "回答を変更する" in page


def test_changing_an_answer_replaces_it(me: Client, resident: ResidentProfile) -> None:
    recipient = send_to(resident.user, questions=[SAFETY_QUESTION])
    question = recipient.message.questions.get()
    me.post(answer_url(recipient, question), {f"q{question.pk}-answer": "safe"})

    me.post(answer_url(recipient, question), {f"q{question.pk}-answer": "help"})

    assert list(Reply.objects.values_list("choice", flat=True)) == ["help"]


def test_an_invalid_choice_is_refused_with_a_message_and_nothing_recorded(
    me: Client, resident: ResidentProfile
) -> None:
    recipient = send_to(resident.user, questions=[SAFETY_QUESTION])
    question = recipient.message.questions.get()

    response = me.post(answer_url(recipient, question), {f"q{question.pk}-answer": "maybe"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="error-summary"' in html
    assert "選択肢から選んでください。" in html
    # The summary's link leads into the radio group.
    assert f'href="#id_q{question.pk}-answer_0"' in html
    assert not Reply.objects.exists()


def test_answering_nothing_asks_for_a_choice(me: Client, resident: ResidentProfile) -> None:
    recipient = send_to(resident.user, questions=[SAFETY_QUESTION])
    question = recipient.message.questions.get()

    response = me.post(answer_url(recipient, question), {})

    assert "回答を選んでください。" in response.content.decode()
    assert not Reply.objects.exists()


def test_a_text_question_is_answered_with_text(me: Client, resident: ResidentProfile) -> None:
    recipient = send_to(resident.user, questions=[SAFETY_QUESTION, TEXT_QUESTION])
    text_question = recipient.message.questions.get(order=2)

    empty = me.post(answer_url(recipient, text_question), {f"q{text_question.pk}-answer": "  "})
    assert "回答を入力してください。" in empty.content.decode()
    assert not Reply.objects.exists()

    me.post(answer_url(recipient, text_question), {f"q{text_question.pk}-answer": "薬が足りません"})

    reply = Reply.objects.get()
    assert (reply.question, reply.text, reply.choice) == (text_question, "薬が足りません", "")


def test_a_question_of_another_message_is_not_found(me: Client, resident: ResidentProfile) -> None:
    recipient = send_to(resident.user, questions=[SAFETY_QUESTION])
    other = send_to(resident.user, "別のお知らせ", questions=[SAFETY_QUESTION])
    foreign = other.message.questions.get()

    response = me.post(answer_url(recipient, foreign), {f"q{foreign.pk}-answer": "safe"})

    assert response.status_code == 404
    assert not Reply.objects.exists()


def checked_values(html: str) -> list[str]:
    """The values of the radio buttons that are checked on a page."""
    tags = re.findall(r"<input[^>]*type=\"radio\"[^>]*>", html)
    return [re.search(r'value="([^"]*)"', tag).group(1) for tag in tags if " checked" in tag]  # type: ignore[union-attr]


def test_a_push_action_pre_selects_the_choice_without_recording_it(
    me: Client, resident: ResidentProfile
) -> None:
    recipient = send_to(resident.user, questions=[SAFETY_QUESTION])

    html = me.get(detail_url(recipient) + "?answer=help").content.decode()

    assert checked_values(html) == ["help"]
    assert not Reply.objects.exists()


def test_an_unknown_push_action_pre_selects_nothing(me: Client, resident: ResidentProfile) -> None:
    recipient = send_to(resident.user, questions=[SAFETY_QUESTION])

    html = me.get(detail_url(recipient) + "?answer=nonsense").content.decode()

    assert checked_values(html) == []


def test_writing_to_the_town_adds_to_the_thread(me: Client, resident: ResidentProfile) -> None:
    recipient = send_to(resident.user)

    response = me.post(
        reverse("notify:inbox_write", args=[recipient.pk]), {"body": "家が浸水しました"}
    )

    assert response.status_code == 302
    assert response["Location"] == detail_url(recipient) + "#conversation"
    entry = ConversationMessage.objects.get()
    assert (entry.recipient, entry.author, entry.from_staff, entry.channel) == (
        recipient,
        resident.user,
        False,
        Channel.IN_APP,
    )
    page = me.get(response["Location"]).content.decode()
    assert "町にメッセージを送りました。" in page
    assert "家が浸水しました" in page


def test_an_empty_message_to_the_town_shows_the_error_summary(
    me: Client, resident: ResidentProfile
) -> None:
    recipient = send_to(resident.user)

    response = me.post(reverse("notify:inbox_write", args=[recipient.pk]), {"body": "   "})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="error-summary"' in html
    assert "メッセージを入力してください。" in html
    assert not ConversationMessage.objects.exists()


# --- The one-click answer link from mails ------------------------------------------------------


def test_the_answer_link_shows_a_confirmation_and_records_only_on_post(
    client: Client, resident: ResidentProfile
) -> None:
    recipient = send_to(resident.user, questions=[SAFETY_QUESTION])
    question = recipient.message.questions.get()
    url = reverse("notify:answer", args=[answer_token(recipient, question, "safe")])

    # Signed out, as from a mail app; a mail scanner's GET must not answer.
    shown = client.get(url)
    assert shown.status_code == 200
    assert "「無事です」と回答する" in shown.content.decode()
    assert not Reply.objects.exists()

    posted = client.post(url)

    assert posted.status_code == 302 and posted["Location"] == url
    reply = Reply.objects.get()
    assert (reply.recipient, reply.choice, reply.channel) == (recipient, "safe", Channel.EMAIL)
    recipient.refresh_from_db()
    assert recipient.read_at is not None
    after = client.get(url).content.decode()
    assert "回答を受け付けました" in after
    assert "と回答する" not in after


def test_the_answer_link_can_change_an_earlier_answer(
    client: Client, resident: ResidentProfile
) -> None:
    recipient = send_to(resident.user, questions=[SAFETY_QUESTION])
    question = recipient.message.questions.get()
    client.post(reverse("notify:answer", args=[answer_token(recipient, question, "safe")]))
    url = reverse("notify:answer", args=[answer_token(recipient, question, "help")])

    assert "今の回答は「無事です」です。" in client.get(url).content.decode()
    client.post(url)

    assert list(Reply.objects.values_list("choice", flat=True)) == ["help"]


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_bad_answer_token_gets_a_friendly_400(
    client: Client, resident: ResidentProfile, method: str
) -> None:
    recipient = send_to(resident.user, questions=[SAFETY_QUESTION])
    question = recipient.message.questions.get()
    token = answer_token(recipient, question, "safe")

    response = getattr(client, method)(reverse("notify:answer", args=[token[:-3] + "xyz"]))

    assert response.status_code == 400
    assert "このリンクは使えません" in response.content.decode()
    assert not Reply.objects.exists()


def test_an_answer_token_for_a_choice_the_question_does_not_offer_is_refused(
    client: Client, resident: ResidentProfile
) -> None:
    recipient = send_to(resident.user, questions=[SAFETY_QUESTION])
    question = recipient.message.questions.get()

    response = client.post(reverse("notify:answer", args=[answer_token(recipient, question, "x")]))

    assert response.status_code == 400
    assert not Reply.objects.exists()


# --- Attachments --------------------------------------------------------------------------------


@pytest.fixture
def with_attachment(settings: Any, tmp_path: Any, resident: ResidentProfile) -> MessageAttachment:
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("避難所の地図.pdf", PDF, content_type="application/pdf")
    send_to(resident.user, attachments=[upload])
    return MessageAttachment.objects.get()


def test_the_recipient_downloads_an_attachment(
    me: Client, with_attachment: MessageAttachment
) -> None:
    recipient = Recipient.objects.get(message=with_attachment.message)
    assert "避難所の地図.pdf" in me.get(detail_url(recipient)).content.decode()

    response = me.get(reverse("notify:attachment", args=[with_attachment.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]


def test_another_resident_cannot_download_an_attachment(
    client: Client, with_attachment: MessageAttachment, neighbour: ResidentProfile
) -> None:
    url = reverse("notify:attachment", args=[with_attachment.pk])
    assert client.get(url).status_code == 302  # signed out: to the login page
    client.force_login(neighbour.user)
    assert client.get(url).status_code == 404


def test_staff_need_the_view_message_permission_for_attachments(
    client: Client, settings: Any, with_attachment: MessageAttachment
) -> None:
    settings.STAFF_REQUIRE_MFA = False
    staff = UserFactory.create(is_staff=True)
    client.force_login(staff)
    url = reverse("notify:attachment", args=[with_attachment.pk])
    assert client.get(url).status_code == 404

    staff.user_permissions.add(Permission.objects.get(codename="view_message"))

    assert client.get(url).status_code == 200


def test_staff_without_a_second_factor_cannot_download_when_it_is_required(
    client: Client, settings: Any, with_attachment: MessageAttachment
) -> None:
    settings.STAFF_REQUIRE_MFA = True
    staff = UserFactory.create(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_message"))
    client.force_login(staff)

    assert client.get(reverse("notify:attachment", args=[with_attachment.pk])).status_code == 404


# --- Settings -----------------------------------------------------------------------------------


def settings_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "rank_email": "2",
        "rank_web_push": "",
        "rank_line": "1",
        "rank_sms": "",
        "quiet_from": "22:00",
        "quiet_until": "07:00",
        "daily_digest": "on",
        "digest_time": "19:30",
        "topics": ["disaster", "childcare"],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_settings_save_the_channel_order_quiet_hours_digest_and_topics(
    me: Client, resident: ResidentProfile
) -> None:
    response = me.post(reverse("notify:settings"), settings_data())

    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.notification_channels == ["in_app", "line", "email"]
    assert resident.topics == ["disaster", "childcare"]
    saved = Preferences.objects.get(user=resident.user)
    assert (saved.quiet_from, saved.quiet_until) == (time(22, 0), time(7, 0))
    assert (saved.daily_digest, saved.digest_time) == (True, time(19, 30))
    page = me.get(response["Location"]).content.decode()
    assert "通知の設定を保存しました。" in page
    assert '<option value="1" selected>1番目</option>' in page


def test_settings_page_explains_and_shows_the_current_choices(
    me: Client, resident: ResidentProfile
) -> None:
    preferences.save_settings(
        resident.user,
        by=resident.user,
        channels=["email"],
        topics=[],
        quiet_from=None,
        quiet_until=None,
        daily_digest=False,
        digest_time=None,
    )

    html = me.get(reverse("notify:settings")).content.decode()

    assert "緊急のお知らせは、選んだすべての方法で届きます。" in html
    assert "一つも選ばなければ、すべての分野のお知らせが届きます。" in html
    assert "LINEとまだ連携していません。" in html
    assert "登録されたブラウザはありません。" in html
    assert "（まだ確認されていません。" in html  # notify's factory users have no verified address


def test_settings_page_offers_the_push_button_only_when_web_push_is_on(
    me: Client, settings: Any
) -> None:
    settings.NOTIFY_VAPID_PRIVATE_KEY = ""
    assert "data-push-button" not in me.get(reverse("notify:settings")).content.decode()

    key = ec.generate_private_key(ec.SECP256R1())
    settings.NOTIFY_VAPID_PRIVATE_KEY = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    settings.NOTIFY_VAPID_SUBJECT = "mailto:bousai@town.example.jp"

    assert "data-push-button" in me.get(reverse("notify:settings")).content.decode()


def test_settings_page_shows_a_verified_address_and_a_linked_line_account(
    me: Client, resident: ResidentProfile
) -> None:
    EmailAddress.objects.create(user=resident.user, email=resident.user.email, verified=True)
    LineLink.objects.create(user=resident.user, line_user_id="U" + "0" * 32)

    html = me.get(reverse("notify:settings")).content.decode()

    assert f"{resident.user.email}（確認済み）" in html
    assert "LINEと連携済みです。" in html


def test_two_channels_with_the_same_rank_are_refused_and_nothing_is_saved(
    me: Client, resident: ResidentProfile
) -> None:
    response = me.post(reverse("notify:settings"), settings_data(rank_email="1"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="error-summary"' in html
    assert html.count("1番目に選べるのは一つだけです。") >= 2
    resident.refresh_from_db()
    assert resident.notification_channels == ["in_app"]
    assert not Preferences.objects.exists()


@pytest.mark.parametrize(
    ("quiet_from", "quiet_until", "message"),
    [
        ("22:00", "", "終了の時刻も入力してください。"),
        ("", "07:00", "開始の時刻も入力してください。"),
        ("22:00", "22:00", "開始と終了に違う時刻を入力してください。"),
    ],
)
def test_half_filled_quiet_hours_are_refused_and_nothing_is_saved(
    me: Client, resident: ResidentProfile, quiet_from: str, quiet_until: str, message: str
) -> None:
    response = me.post(
        reverse("notify:settings"),
        settings_data(quiet_from=quiet_from, quiet_until=quiet_until),
    )

    html = response.content.decode()
    assert 'id="error-summary"' in html and message in html
    resident.refresh_from_db()
    assert resident.notification_channels == ["in_app"]
    assert resident.topics == []
    assert not Preferences.objects.exists()


def test_every_settings_mistake_is_listed_at_once(me: Client) -> None:
    response = me.post(reverse("notify:settings"), settings_data(rank_email="1", quiet_until=""))

    html = response.content.decode()
    assert "1番目に選べるのは一つだけです。" in html
    assert "終了の時刻も入力してください。" in html
    assert not Preferences.objects.exists()


def test_a_time_that_does_not_parse_is_not_blamed_twice(me: Client) -> None:
    response = me.post(reverse("notify:settings"), settings_data(quiet_from="25:99"))

    html = response.content.decode()
    assert "開始の時刻も入力してください。" not in html
    assert 'href="#id_quiet_from"' in html
    assert not Preferences.objects.exists()


def test_a_digest_without_a_time_is_refused(me: Client, resident: ResidentProfile) -> None:
    response = me.post(reverse("notify:settings"), settings_data(digest_time=""))

    assert "まとめて受け取る時刻を入力してください。" in response.content.decode()
    assert not Preferences.objects.exists()


def test_choosing_no_outside_channel_keeps_the_inbox(me: Client, resident: ResidentProfile) -> None:
    me.post(
        reverse("notify:settings"),
        settings_data(
            rank_email="", rank_line="", quiet_from="", quiet_until="", daily_digest=None
        ),
    )

    resident.refresh_from_db()
    assert resident.notification_channels == ["in_app"]
    assert Preferences.objects.get(user=resident.user).quiet_from is None


def save(user: User, *, by: User | None = None, **overrides: Any) -> preferences.Settings:
    values: dict[str, Any] = {
        "channels": ["email"],
        "topics": [],
        "quiet_from": None,
        "quiet_until": None,
        "daily_digest": False,
        "digest_time": None,
    }
    values.update(overrides)
    return preferences.save_settings(user, by=by or user, **values)


def test_only_the_resident_changes_their_own_settings(
    resident: ResidentProfile, neighbour: ResidentProfile
) -> None:
    with pytest.raises(PermissionDenied):
        save(resident.user, by=neighbour.user)
    assert not Preferences.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"channels": ["email", "email"]}, "channels"),
        ({"channels": ["in_app"]}, "channels"),
        ({"channels": ["fax"]}, "channels"),
        ({"topics": ["gossip"]}, "topics"),
        ({"quiet_from": time(22, 0)}, "quiet_until"),
        ({"quiet_until": time(7, 0)}, "quiet_from"),
        ({"daily_digest": True}, "digest_time"),
    ],
)
def test_the_settings_service_refuses_bad_values(
    resident: ResidentProfile, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        save(resident.user, **overrides)
    assert field in refused.value.error_dict
    resident.refresh_from_db()
    assert resident.notification_channels == ["in_app"]
    assert not Preferences.objects.exists()


def test_the_settings_service_keeps_the_digest_time_when_the_digest_is_switched_off(
    resident: ResidentProfile,
) -> None:
    save(resident.user, daily_digest=True, digest_time=time(6, 45))

    current = save(resident.user, daily_digest=False, digest_time=None)

    assert (current.daily_digest, current.digest_time) == (False, time(6, 45))
    assert current.channels == ["email"]


def test_the_portal_card_shows_how_many_notices_are_unread(client: Any) -> None:
    from yakuba.platform import notify
    from yakuba.platform.notify.tests.factories import ResidentFactory

    user = ResidentFactory.create().user
    client.force_login(user)
    assert "未読" not in client.get(reverse("core:home")).content.decode()
    for subject in ("一通目", "二通目"):
        notify.send(
            "notify.announcement", to=user, contents={"ja": {"subject": subject, "body": "本文"}}
        )
    assert "未読 2件" in client.get(reverse("core:home")).content.decode()
    assert "未読 2件" in client.get(reverse("accounts:my_page")).content.decode()


def test_the_line_link_is_offered_only_when_the_town_has_a_line_account(
    client: Any, settings: Any
) -> None:
    from yakuba.platform.notify.tests.factories import ResidentFactory

    client.force_login(ResidentFactory.create().user)
    settings.NOTIFY_LINE_CHANNEL_ACCESS_TOKEN = ""
    assert "LINEと連携する" not in client.get(reverse("notify:settings")).content.decode()
    settings.NOTIFY_LINE_CHANNEL_ACCESS_TOKEN = "token"
    assert "LINEと連携する" in client.get(reverse("notify:settings")).content.decode()
