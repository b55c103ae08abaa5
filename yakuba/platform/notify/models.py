"""Notify: messages from the town to residents (町からの通知). So far: saved segments."""

from __future__ import annotations

from datetime import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from yakuba.platform.notify.rules import Rule, parse_rule


class Segment(models.Model):
    """A saved segment (配信対象の条件): a named rule tree choosing residents, kept for reuse.

    The rule is checked by `parse_rule` whenever the segment is saved, so a saved segment is always
    well formed (a district it names may have been removed since; it then simply matches nobody there).
    """

    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("説明"), blank=True)
    rule = models.JSONField(_("条件"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("作成者"),
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("配信対象")
        verbose_name_plural = _("配信対象")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Checked here too, not only in clean(): no code path may store a rule that cannot run.
        parse_rule(self.rule)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        try:
            parse_rule(self.rule)
        except ValidationError as error:
            raise ValidationError({"rule": error.error_list}) from error

    def parsed_rule(self) -> Rule:
        return parse_rule(self.rule, check_districts=False)


# --- Messages (通知) and who receives them ------------------------------------------------------


class Priority(models.TextChoices):
    """How urgent a message is. Emergency messages ignore quiet hours, digests and topic choices,
    go out on every channel the resident has, and travel on the priority queue."""

    EMERGENCY = "emergency", _("緊急")
    NORMAL = "normal", _("通常")


class Channel(models.TextChoices):
    """The ways a message reaches a resident. The inbox (マイページ) always receives it."""

    IN_APP = "in_app", _("マイページ（アプリ内）")
    EMAIL = "email", _("メール")
    WEB_PUSH = "web_push", _("ブラウザのプッシュ通知")
    LINE = "line", _("LINE")
    SMS = "sms", _("SMS（ショートメッセージ）")


class MessageStatus(models.TextChoices):
    DRAFT = "draft", _("下書き")
    SCHEDULED = "scheduled", _("予約済み")
    SENDING = "sending", _("送信中")
    SENT = "sent", _("送信済み")
    CANCELLED = "cancelled", _("取消し")


class Template(models.Model):
    """A reusable message text (ひな形) with ((placeholders)), in several language variants.

    `contents` maps a language code ("ja", "ja-easy", "en", "vi" …) to {"subject": …, "body": …};
    "ja" is required.
    """

    name = models.CharField(_("名称"), max_length=100)
    topic = models.CharField(_("分野"), max_length=30, blank=True)
    contents = models.JSONField(_("本文"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("作成者"),
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("ひな形")
        verbose_name_plural = _("ひな形")

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    """One message (通知) from the town: its text in each language, who it goes to, and when.

    The text is kept once, with ((placeholders)); it is rendered per recipient at delivery time.
    `context` holds the placeholder values as strings (resolved when the message was created), so a
    message can always be rendered again exactly as it was sent.
    """

    kind = models.CharField(_("種類"), max_length=60)
    priority = models.CharField(
        _("優先度"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    topic = models.CharField(_("分野"), max_length=30, blank=True)
    contents = models.JSONField(_("本文"), default=dict)
    context = models.JSONField(_("差し込み値"), default=dict, blank=True)
    link_url = models.CharField(_("リンク"), max_length=500, blank=True)
    template = models.ForeignKey(
        Template,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("ひな形"),
    )
    segment = models.ForeignKey(
        Segment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("配信対象"),
    )
    # The rule as it was when the message went out: the segment may be edited later.
    rule = models.JSONField(_("配信対象の条件"), null=True, blank=True)
    status = models.CharField(
        _("状態"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.DRAFT
    )
    scheduled_at = models.DateTimeField(_("送信予定日時"), null=True, blank=True)
    started_at = models.DateTimeField(_("送信開始日時"), null=True, blank=True)
    finished_at = models.DateTimeField(_("送信完了日時"), null=True, blank=True)
    recipient_count = models.PositiveIntegerField(_("受信者数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("作成者"),
    )
    api_key = models.ForeignKey(
        "ApiKey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("APIキー"),
    )
    # The sending system's own reference (GOV.UK Notify's `reference`), for API clients.
    reference = models.CharField(_("参照番号"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "scheduled_at"])]
        permissions = [("send_emergency", _("緊急の通知を送る"))]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")

    def __str__(self) -> str:
        subject = self.contents.get("ja", {}).get("subject", "")
        return subject or f"{self.kind} #{self.pk}"

    @property
    def is_emergency(self) -> bool:
        return self.priority == Priority.EMERGENCY

    @property
    def kind_label(self) -> str:
        """The kind as staff know it (お知らせ, 申請の状況…), from the module that declared it."""
        from yakuba.core.registry import registry

        for kind in registry.notification_kinds():
            if kind.code == self.kind:
                return str(kind.label)
        return self.kind


def attachment_path(instance: MessageAttachment, filename: str) -> str:
    return f"notify/attachments/{instance.message_id}/{filename}"


class MessageAttachment(models.Model):
    """A file sent with a message (添付ファイル): a PDF notice, a map. Residents download it from the
    inbox; mail carries a link to it rather than the file, so that large sends stay small."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("ファイル"), upload_to=attachment_path)
    name = models.CharField(_("ファイル名"), max_length=200)
    content_type = models.CharField(_("種類"), max_length=100)
    size = models.PositiveIntegerField(_("大きさ"))

    class Meta:
        ordering = ["pk"]
        verbose_name = _("添付ファイル")
        verbose_name_plural = _("添付ファイル")

    def __str__(self) -> str:
        return self.name


class QuestionKind(models.TextChoices):
    CHOICE = "choice", _("選択肢から一つ")
    TEXT = "text", _("自由記述")


class Question(models.Model):
    """A question a message asks (返信を求める質問). A survey is a message with several questions.

    `text` maps a language code to the question; `choices` is a list of
    {"code": "safe", "label": {"ja": "無事です", "en": "I am safe"}}.
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(_("順番"), default=1)
    kind = models.CharField(_("回答の形式"), max_length=10, choices=QuestionKind.choices)
    text = models.JSONField(_("質問"), default=dict)
    choices = models.JSONField(_("選択肢"), default=list, blank=True)

    class Meta:
        ordering = ["message", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["message", "order"], name="notify_question_order")
        ]
        verbose_name = _("質問")
        verbose_name_plural = _("質問")

    def __str__(self) -> str:
        return str(self.text.get("ja", ""))


class Recipient(models.Model):
    """One resident's copy of a message: the in-app inbox entry (受信箱). Created once per resident
    and message (unique), whatever the number of channels and retries."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # The language variant this resident receives (chosen from the profile when created).
    language = models.CharField(_("言語"), max_length=10)
    created_at = models.DateTimeField(_("受信日時"), auto_now_add=True)
    read_at = models.DateTimeField(_("既読日時"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="notify_recipient_once")
        ]
        indexes = [models.Index(fields=["user", "-created_at"])]
        verbose_name = _("受信者")
        verbose_name_plural = _("受信者")

    def __str__(self) -> str:
        return f"{self.message_id} → {self.user_id}"


class DeliveryStatus(models.TextChoices):
    """A delivery's state, as GOV.UK Notify names them."""

    CREATED = "created", _("作成")
    SENDING = "sending", _("送信中")
    DELIVERED = "delivered", _("配信済み")
    PERMANENT_FAILURE = "permanent_failure", _("配信不能")
    TEMPORARY_FAILURE = "temporary_failure", _("一時的な失敗")
    TECHNICAL_FAILURE = "technical_failure", _("システムの失敗")
    READ = "read", _("既読")


FINAL_STATUSES = (
    DeliveryStatus.DELIVERED,
    DeliveryStatus.PERMANENT_FAILURE,
    DeliveryStatus.TECHNICAL_FAILURE,
    DeliveryStatus.READ,
)


class Delivery(models.Model):
    """A message to one recipient over one outside channel (email, Web Push, LINE, SMS).

    unique(recipient, channel): however often a job runs, there is one delivery per channel, and a
    delivery that reached a final state is never sent again.
    """

    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("経路"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("状態"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.CREATED
    )
    # Not before this time (quiet hours, or the resident's daily digest).
    not_before = models.DateTimeField(_("送信可能日時"), null=True, blank=True)
    in_digest = models.BooleanField(_("まとめて送る"), default=False)
    attempts = models.PositiveSmallIntegerField(_("試行回数"), default=0)
    # What the channel gave back: a Message-ID, a LINE request id, a push service location.
    provider_ref = models.CharField(_("送信先での番号"), max_length=200, blank=True)
    error = models.TextField(_("エラー"), blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完了日時"), null=True, blank=True)
    read_at = models.DateTimeField(_("既読日時"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "channel"], name="notify_delivery_once")
        ]
        indexes = [models.Index(fields=["status", "not_before"])]
        verbose_name = _("配信")
        verbose_name_plural = _("配信")

    def __str__(self) -> str:
        return f"{self.recipient_id}/{self.channel}: {self.status}"


class DeliveryBatch(models.Model):
    """A slice of a message's recipients (by recipient id) that one job delivers.

    A fan-out creates each batch once (unique message+first id) and enqueues its job only when it
    created the row, so re-running a fan-out after a crash never puts two jobs on the same slice.
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="batches")
    first_recipient_id = models.BigIntegerField()
    last_recipient_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["message", "first_recipient_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "first_recipient_id"], name="notify_batch_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.message_id}[{self.first_recipient_id}..{self.last_recipient_id}]"


class Reply(models.Model):
    """A resident's answer to a question (回答), from whichever channel it came. One per question
    and recipient: answering again replaces the answer."""

    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="replies")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="replies")
    choice = models.CharField(_("選んだ答え"), max_length=50, blank=True)
    text = models.TextField(_("回答"), blank=True)
    channel = models.CharField(_("経路"), max_length=10, choices=Channel.choices)
    answered_at = models.DateTimeField(_("回答日時"), auto_now=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "question"], name="notify_reply_once")
        ]
        verbose_name = _("回答")
        verbose_name_plural = _("回答")

    def __str__(self) -> str:
        return self.choice or self.text[:30]


class ConversationMessage(models.Model):
    """One message in the thread between the town and a resident about a notice (やりとり)."""

    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="conversation")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("書いた人"),
    )
    from_staff = models.BooleanField(_("町から"), default=False)
    body = models.TextField(_("本文"))
    channel = models.CharField(
        _("経路"), max_length=10, choices=Channel.choices, default=Channel.IN_APP
    )
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)
    read_at = models.DateTimeField(_("既読日時"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("やりとり")
        verbose_name_plural = _("やりとり")

    def __str__(self) -> str:
        return self.body[:30]


# --- A resident's choices and addresses on the outside channels ----------------------------------


class Preferences(models.Model):
    """How a resident wants to be notified (通知の設定), beyond the channels and topics kept on the
    resident profile: quiet hours and the daily digest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_preferences"
    )
    quiet_from = models.TimeField(_("通知しない時間（から）"), null=True, blank=True)
    quiet_until = models.TimeField(_("通知しない時間（まで）"), null=True, blank=True)
    daily_digest = models.BooleanField(_("お知らせは1日1回まとめて受け取る"), default=False)
    digest_time = models.TimeField(_("まとめて受け取る時刻"), default=time(18, 0))

    class Meta:
        verbose_name = _("通知の設定")
        verbose_name_plural = _("通知の設定")

    def __str__(self) -> str:
        return str(self.user)


class PushSubscription(models.Model):
    """A browser's Web Push subscription (RFC 8030 endpoint with its RFC 8291 keys)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(_("送信先"), max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=50)
    user_agent = models.CharField(_("ブラウザ"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    # Set when the push service answers 404/410: the subscription is gone and is not used again.
    expired_at = models.DateTimeField(_("失効日時"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("プッシュ通知の登録")
        verbose_name_plural = _("プッシュ通知の登録")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.endpoint[:40]}"


class LineLink(models.Model):
    """A resident's LINE account, linked through the town's official account (LINE account link)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="line_link"
    )
    line_user_id = models.CharField(max_length=50, unique=True)
    linked_at = models.DateTimeField(_("連携日時"), auto_now_add=True)
    # Set on an "unfollow" event (the resident blocked the account); cleared on "follow".
    blocked_at = models.DateTimeField(_("ブロック日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("LINE連携")
        verbose_name_plural = _("LINE連携")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.line_user_id}"


class LineLinkNonce(models.Model):
    """A one-time nonce for LINE's account link flow: issued to a signed-in resident, returned by
    LINE in the webhook's accountLink event."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.nonce


class LineWebhookEvent(models.Model):
    """A LINE webhook event already handled, by its webhookEventId: LINE redelivers events, and a
    replayed request must not count a reply twice."""

    event_id = models.CharField(max_length=100, unique=True)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.event_id


class EmailSuppression(models.Model):
    """An address mail is no longer sent to (配信停止): it bounced for good or its owner complained."""

    class Reason(models.TextChoices):
        BOUNCE = "bounce", _("宛先不明（不達）")
        COMPLAINT = "complaint", _("迷惑メール報告")

    address = models.EmailField(_("メールアドレス"), unique=True)
    reason = models.CharField(_("理由"), max_length=10, choices=Reason.choices)
    detail = models.TextField(_("詳細"), blank=True)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("メール配信停止")
        verbose_name_plural = _("メール配信停止")

    def __str__(self) -> str:
        return self.address


# --- Other systems sending through the HTTP API ---------------------------------------------------


class ApiKey(models.Model):
    """A key another system uses to send through the notify HTTP API (GOV.UK Notify style).

    Only a hash of the secret is kept; the secret is shown once, when the key is created.
    """

    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("キーの先頭"), max_length=12, unique=True)
    secret_hash = models.CharField(max_length=128)
    rate_limit_per_minute = models.PositiveIntegerField(_("1分あたりの上限"), default=600)
    callback_url = models.URLField(_("配信状況の通知先"), blank=True)
    callback_secret = models.CharField(_("通知先の署名鍵"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("作成者"),
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("失効日時"), null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("APIキー")
        verbose_name_plural = _("APIキー")

    def __str__(self) -> str:
        return self.name
