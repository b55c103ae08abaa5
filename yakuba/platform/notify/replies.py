"""Replies (返信): answers to a message's questions and the conversation with the town, from any
channel (inbox, email link, LINE, push action) into one place."""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yakuba.platform.notify.models import (
    ConversationMessage,
    Question,
    QuestionKind,
    Recipient,
    Reply,
)

MAX_ANSWER_LENGTH = 2000
ANSWER_LINK_SALT = "notify.answer"


@transaction.atomic
def record_reply(
    recipient: Recipient, question: Question, *, choice: str = "", text: str = "", channel: str
) -> Reply:
    """Record a resident's answer; answering again replaces the earlier answer (one per question)."""
    if question.message_id != recipient.message_id:
        raise ValidationError(_("この通知の質問ではありません。"))
    text = text.strip()
    if question.kind == QuestionKind.CHOICE:
        offered = {c["code"] for c in question.choices}
        if choice not in offered:
            raise ValidationError(_("選択肢から選んでください。"))
        text = ""
    else:
        choice = ""
        if not text:
            raise ValidationError(_("回答を入力してください。"))
        if len(text) > MAX_ANSWER_LENGTH:
            raise ValidationError(
                _("回答は%(limit)d文字以内で入力してください。") % {"limit": MAX_ANSWER_LENGTH}
            )
    reply, _created = Reply.objects.update_or_create(
        recipient=recipient,
        question=question,
        defaults={"choice": choice, "text": text, "channel": channel},
    )
    mark_read(recipient)
    return reply


@transaction.atomic
def add_to_conversation(
    recipient: Recipient, *, by: Any, body: str, from_staff: bool, channel: str
) -> ConversationMessage:
    """Add a message to the thread between the town and a resident about a notice (やりとり)."""
    body = body.strip()
    if not body:
        raise ValidationError(_("メッセージを入力してください。"))
    if len(body) > MAX_ANSWER_LENGTH:
        raise ValidationError(
            _("メッセージは%(limit)d文字以内で入力してください。") % {"limit": MAX_ANSWER_LENGTH}
        )
    if not from_staff and by is not None and by.pk != recipient.user_id:
        raise ValidationError(_("この通知の受信者ではありません。"))
    message = ConversationMessage.objects.create(
        recipient=recipient, author=by, from_staff=from_staff, body=body, channel=channel
    )
    if from_staff:
        tell_resident_of_reply(recipient, body=body, by=by)
    return message


def tell_resident_of_reply(recipient: Recipient, *, body: str, by: Any) -> None:
    """A staff answer in a thread reaches the resident on their usual channels: a short notice
    (kind notify.reply) carrying the answer and a link back to the thread."""
    from yakuba.platform.notify import delivery, sending

    original = recipient.message
    subject = original.contents.get("ja", {}).get("subject", "")
    sending.send(
        "notify.reply",
        to=recipient.user,
        context={"件名": subject, "返信": body},
        link_url=delivery.absolute_url(reverse("notify:inbox_detail", args=[recipient.pk])),
        by=by,
    )


def mark_read(recipient: Recipient) -> None:
    """The resident has seen the message (inbox opened, answered, or a channel's read receipt)."""
    if recipient.read_at is None:
        recipient.read_at = timezone.now()
        Recipient.objects.filter(pk=recipient.pk, read_at__isnull=True).update(
            read_at=recipient.read_at
        )


def mark_conversation_read(recipient: Recipient) -> None:
    """The resident has seen the town's replies in the thread (やりとり)."""
    ConversationMessage.objects.filter(
        recipient=recipient, from_staff=True, read_at__isnull=True
    ).update(read_at=timezone.now())


def answer_token(recipient: Recipient, question: Question, choice: str) -> str:
    """A signed token for a one-click answer link in a mail (the link opens a page that asks to
    confirm with a button, so that mail scanners following links do not answer)."""
    return signing.dumps([recipient.pk, question.pk, choice], salt=ANSWER_LINK_SALT, compress=True)


def read_answer_token(token: str) -> tuple[Recipient, Question, str]:
    """The recipient, question and choice a token names; ValidationError when it is not ours."""
    try:
        recipient_id, question_id, choice = signing.loads(token, salt=ANSWER_LINK_SALT)
        recipient = Recipient.objects.select_related("message").get(pk=recipient_id)
        question = Question.objects.get(pk=question_id, message_id=recipient.message_id)
    except (
        signing.BadSignature,
        ValueError,
        TypeError,
        Recipient.DoesNotExist,
        Question.DoesNotExist,
    ) as error:
        raise ValidationError(_("このリンクは使えません。")) from error
    return recipient, question, str(choice)
