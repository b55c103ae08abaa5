"""Replies: answers from any channel, and the thread between the town and a resident."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from yakuba.platform import notify
from yakuba.platform.notify import replies
from yakuba.platform.notify.models import Channel, ConversationMessage, Message, Recipient, Reply
from yakuba.platform.notify.queries import message_list
from yakuba.platform.notify.tests.factories import ResidentFactory, resident_on

pytestmark = pytest.mark.django_db
SAFETY = {
    "kind": "choice",
    "text": {"ja": "ご無事ですか"},
    "choices": [
        {"code": "safe", "label": {"ja": "無事です"}},
        {"code": "help", "label": {"ja": "助けが必要です"}},
    ],
}


def notice_for(user: Any, questions: list[dict[str, Any]] | None = None) -> Recipient:
    message = notify.send(
        "notify.announcement",
        to=user,
        contents={"ja": {"subject": "台風の安否確認", "body": "本文"}},
        questions=questions or [SAFETY],
    )
    return Recipient.objects.get(message=message)


def test_answering_again_replaces_the_answer_and_marks_read() -> None:
    recipient = notice_for(ResidentFactory.create().user)
    question = recipient.message.questions.get()
    replies.record_reply(recipient, question, choice="safe", channel=Channel.IN_APP)
    replies.record_reply(recipient, question, choice="help", channel=Channel.LINE)
    reply = Reply.objects.get()
    assert (reply.choice, reply.channel) == ("help", Channel.LINE)
    recipient.refresh_from_db()
    assert recipient.read_at is not None


@pytest.mark.parametrize("choice", ["", "maybe"])
def test_a_choice_not_offered_is_refused(choice: str) -> None:
    recipient = notice_for(ResidentFactory.create().user)
    with pytest.raises(ValidationError):
        replies.record_reply(
            recipient, recipient.message.questions.get(), choice=choice, channel=Channel.IN_APP
        )
    assert not Reply.objects.exists()


def test_a_question_of_another_notice_is_refused() -> None:
    user = ResidentFactory.create().user
    mine, other = notice_for(user), notice_for(user)
    with pytest.raises(ValidationError):
        replies.record_reply(
            mine, other.message.questions.get(), choice="safe", channel=Channel.IN_APP
        )


def test_an_answer_link_token_names_its_recipient_question_and_choice() -> None:
    recipient = notice_for(ResidentFactory.create().user)
    question = recipient.message.questions.get()
    token = replies.answer_token(recipient, question, "help")
    assert replies.read_answer_token(token) == (recipient, question, "help")
    with pytest.raises(ValidationError):
        replies.read_answer_token(token[:-2] + "xx")


def test_a_resident_cannot_write_in_another_residents_thread() -> None:
    recipient = notice_for(ResidentFactory.create().user)
    stranger = ResidentFactory.create().user
    with pytest.raises(ValidationError):
        replies.add_to_conversation(
            recipient, by=stranger, body="こんにちは", from_staff=False, channel=Channel.IN_APP
        )
    assert not ConversationMessage.objects.exists()


def test_a_staff_reply_reaches_the_resident_on_their_channels(mailbox: Any) -> None:
    profile = resident_on(["email"])
    recipient = notice_for(profile.user)
    staff = ResidentFactory.create(user__is_staff=True).user
    mailbox.wait_for(to=profile.user.email)

    replies.add_to_conversation(
        recipient,
        by=staff,
        body="本日14時に職員が伺います。",
        from_staff=True,
        channel=Channel.IN_APP,
    )

    mail = mailbox.wait_for(to=profile.user.email, count=2)
    body = mailbox.text_body(mail)
    assert "台風の安否確認" in mail["Subject"]
    assert "本日14時に職員が伺います。" in body
    assert f"/notify/{recipient.pk}/" in body
    reply_notice = Message.objects.get(kind="notify.reply")
    assert reply_notice not in message_list()  # staff see it in the thread, not in the list
