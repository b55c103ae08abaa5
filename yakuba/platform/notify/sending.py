"""Sending (送信): the one function every module and the staff console send through, and the
fan-out that turns a message for a segment into one inbox entry per resident.

    from yakuba.platform import notify
    notify.send("reports.closed", to=report.reporter, context={"report": report})

A message for named residents is small and urgent (a status change): its recipients are created at
once and delivered from the priority queue. A message for a segment is a bulletin: a fan-out job on
the bulk queue creates the recipients in slices, and each slice (`DeliveryBatch`) is delivered by its
own short job, so a priority job never waits behind more than one slice. Emergency messages use the
priority queue whatever their size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yakuba.core.registry import NotificationKind, registry
from yakuba.platform.accounts.models import ResidentProfile, Topic, User
from yakuba.platform.audit import services as audit
from yakuba.platform.audit.models import AuditAction
from yakuba.platform.notify import rendering
from yakuba.platform.notify.models import (
    DeliveryBatch,
    Message,
    MessageAttachment,
    MessageStatus,
    Priority,
    Question,
    QuestionKind,
    Recipient,
    Segment,
    Template,
)
from yakuba.platform.notify.rules import JSONListOverlaps, parse_rule
from yakuba.platform.notify.services import residents_in

BATCH_SIZE = 500
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = {
    "application/pdf": b"%PDF",
    "image/png": b"\x89PNG",
    "image/jpeg": b"\xff\xd8\xff",
}
PRIORITY_QUEUE = "notify-priority"
BULK_QUEUE = "notify-bulk"
MAX_QUESTIONS = 10
MAX_CHOICES = 10


def kind_named(code: str) -> NotificationKind:
    for kind in registry.notification_kinds():
        if kind.code == code:
            return kind
    raise ValidationError(_("登録されていない通知の種類です: %(kind)s") % {"kind": code})


def kind_contents(kind: NotificationKind) -> dict[str, dict[str, str]]:
    """A module's kind carries its text as translatable strings: one variant per site language."""
    from django.utils import translation

    contents = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            contents[language] = {"subject": str(kind.subject), "body": str(kind.body)}
    if kind.easy_body:
        with translation.override("ja"):
            contents["ja-easy"] = {
                "subject": str(kind.easy_subject or kind.subject),
                "body": str(kind.easy_body),
            }
    return contents


def check_questions(questions: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate questions: {"kind": "choice"|"text", "text": {"ja": …}, "choices": [{"code", "label"}]}."""
    if len(questions) > MAX_QUESTIONS:
        raise ValidationError(_("質問は%(limit)d問までです。") % {"limit": MAX_QUESTIONS})
    cleaned = []
    for number, question in enumerate(questions, start=1):
        kind = question.get("kind")
        text = {
            k: str(v).strip() for k, v in (question.get("text") or {}).items() if str(v).strip()
        }
        if kind not in QuestionKind.values:
            raise ValidationError(_("質問%(n)dの回答の形式を選んでください。") % {"n": number})
        if "ja" not in text:
            raise ValidationError(_("質問%(n)dの文を日本語で入力してください。") % {"n": number})
        choices = []
        if kind == QuestionKind.CHOICE:
            seen = set()
            for choice in question.get("choices") or []:
                code = str(choice.get("code", "")).strip()
                label = {
                    k: str(v).strip()
                    for k, v in (choice.get("label") or {}).items()
                    if str(v).strip()
                }
                if not code or "ja" not in label or code in seen:
                    raise ValidationError(
                        _("質問%(n)dの選択肢には、重ならない記号と日本語の文が必要です。")
                        % {"n": number}
                    )
                seen.add(code)
                choices.append({"code": code, "label": label})
            if not 2 <= len(choices) <= MAX_CHOICES:
                raise ValidationError(
                    _("質問%(n)dの選択肢は2つから%(limit)d個までです。")
                    % {"n": number, "limit": MAX_CHOICES}
                )
        cleaned.append({"kind": kind, "text": text, "choices": choices})
    return cleaned


def check_attachment(upload: UploadedFile) -> str:
    """The attachment's real type (by its first bytes, not its name); ValidationError if refused."""
    if upload.size is None or upload.size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            _("添付ファイル「%(name)s」が大きすぎます（10MBまで）。") % {"name": upload.name}
        )
    head = upload.read(8)
    upload.seek(0)
    for content_type, magic in ATTACHMENT_TYPES.items():
        if head.startswith(magic):
            return content_type
    raise ValidationError(
        _("添付ファイル「%(name)s」はPDF、PNG、JPEGのいずれかにしてください。")
        % {"name": upload.name}
    )


def send(
    kind: str,
    *,
    to: User | Iterable[User] | None = None,
    segment: Segment | dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    contents: dict[str, Any] | None = None,
    priority: str | None = None,
    topic: str = "",
    link_url: str = "",
    questions: Sequence[dict[str, Any]] = (),
    attachments: Sequence[UploadedFile] = (),
    scheduled_at: datetime | None = None,
    template: Template | None = None,
    by: Any = None,
    api_key: Any = None,
    reference: str = "",
) -> Message:
    """Send a message of a declared kind to named residents (`to`) or to a segment.

    The text is the kind's own (modules) or `contents` ({"ja": {"subject", "body"}, "en": …};
    the staff console and the API). Everything is checked before anything is saved: a bad input
    raises ValidationError and leaves nothing behind. Sending happens after the caller's transaction
    commits (the job queue is in the same database), on the priority queue (named residents, emergencies) or the bulk queue (segments).
    """
    declared = kind_named(kind)
    if (to is None) == (segment is None):
        raise ValidationError(_("宛先（町民または配信対象）を一つ指定してください。"))
    priority = priority or (Priority.EMERGENCY if declared.is_emergency else Priority.NORMAL)
    if priority not in Priority.values:
        raise ValidationError(_("優先度が正しくありません。"))
    if topic and topic not in Topic.values:
        raise ValidationError(_("分野が正しくありません。"))
    text = rendering.check_contents(contents if contents is not None else kind_contents(declared))
    resolved = rendering.resolve_context(text, context or {})
    cleaned_questions = check_questions(questions)
    attachment_types = [check_attachment(upload) for upload in attachments]
    if scheduled_at is not None and scheduled_at <= timezone.now():
        raise ValidationError(_("送信予定日時は今より後にしてください。"))
    rule = None
    if segment is not None:
        rule = segment.rule if isinstance(segment, Segment) else segment
        parse_rule(rule)
    users = [to] if isinstance(to, User) else list(to or [])
    if segment is None and not users:
        raise ValidationError(_("宛先の町民がいません。"))

    with transaction.atomic():
        message = Message.objects.create(
            kind=kind,
            priority=priority,
            topic=topic or declared.topic,
            contents=text,
            context=resolved,
            link_url=link_url,
            template=template,
            segment=segment if isinstance(segment, Segment) else None,
            rule=rule,
            status=MessageStatus.SCHEDULED if scheduled_at else MessageStatus.SENDING,
            scheduled_at=scheduled_at,
            created_by=by,
            api_key=api_key,
            reference=reference,
        )
        for order, question in enumerate(cleaned_questions, start=1):
            Question.objects.create(message=message, order=order, **question)
        for upload, content_type in zip(attachments, attachment_types, strict=True):
            MessageAttachment.objects.create(
                message=message,
                file=upload,
                name=upload.name or "",
                content_type=content_type,
                size=upload.size or 0,
            )
        if by is not None:
            audit.record(
                AuditAction.CREATE,
                by=by,
                obj=message,
                changes={"kind": kind, "priority": priority, "rule": rule},
            )
        if segment is None:
            # Named residents: recipients now, in this transaction, so the caller's change and the
            # notice are committed together.
            add_recipients(message, User.objects.filter(pk__in=[u.pk for u in users]))
        from yakuba.platform.notify import tasks

        # The queue lives in the same database: the jobs exist exactly when the message does.
        tasks.start(message, run_after=scheduled_at)
    return message


@transaction.atomic
def cancel(message: Message, *, by: Any) -> Message:
    """Cancel a scheduled message before it goes out (送信の取消し)."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status != MessageStatus.SCHEDULED:
        raise ValidationError(_("送信予定の通知だけを取り消せます。"))
    message.status = MessageStatus.CANCELLED
    message.save(update_fields=["status"])
    audit.record(AuditAction.UPDATE, by=by, obj=message, changes={"status": "cancelled"})
    return message


def eligible(message: Message, users: QuerySet[User]) -> QuerySet[User]:
    """Drop residents who chose topics that do not include the message's: an ordinary bulletin
    respects that choice; an emergency, or a message to named residents (their own procedure,
    booking or report), does not. A resident who chose no topic receives all."""
    if message.is_emergency or not message.topic or message.rule is None:
        return users
    opted_out = ResidentProfile.objects.exclude(topics=[]).exclude(
        JSONListOverlaps(F("topics"), [message.topic])
    )
    return users.exclude(resident_profile__in=opted_out.values("pk"))


def pages(rows: QuerySet[Any, Any], *, size: int) -> Iterator[list[Any]]:
    """Rows in pk order, a page at a time, with no cursor held open between pages: on SQLite,
    writing while a read cursor is open fails at once ("database is locked") when another worker
    wrote in between. `rows` is a values_list whose first value (or only value) is the pk."""
    last: int | None = None
    while True:
        page = list((rows if last is None else rows.filter(pk__gt=last))[:size])
        if not page:
            return
        yield page
        last = page[-1][0] if isinstance(page[-1], tuple) else page[-1]


def add_recipients(message: Message, users: QuerySet[User]) -> int:
    """Create the inbox entries and delivery slices for these users; safe to run again (existing
    recipients and slices are kept). Returns how many recipients the message has."""
    users = eligible(message, users)
    rows = users.order_by("pk").values_list(
        "pk", "resident_profile__preferred_language", "resident_profile__simple_japanese"
    )
    for page in pages(rows, size=2000):
        Recipient.objects.bulk_create(
            [
                Recipient(
                    message=message,
                    user_id=pk,
                    language=rendering.choose_language(
                        message.contents,
                        preferred=language or rendering.JAPANESE,
                        simple_japanese=bool(simple),
                    ),
                )
                for pk, language, simple in page
            ],
            ignore_conflicts=True,
        )
    count = 0
    recipient_ids = (
        Recipient.objects.filter(message=message).order_by("pk").values_list("pk", flat=True)
    )
    for chunk in pages(recipient_ids, size=BATCH_SIZE):
        count += len(chunk)
        DeliveryBatch.objects.get_or_create(
            message=message, first_recipient_id=chunk[0], defaults={"last_recipient_id": chunk[-1]}
        )
    Message.objects.filter(pk=message.pk).update(recipient_count=count)
    message.recipient_count = count
    return count


def fan_out(message: Message) -> int:
    """Create the recipients of a segment message on its send date (run by a job)."""
    rule = parse_rule(message.rule, check_districts=False)
    on: date = timezone.localdate()
    profiles = ResidentProfile.objects.filter(rule.to_q(on)).values("pk")
    users = User.objects.filter(Q(is_active=True), resident_profile__in=profiles)
    return add_recipients(message, users)


__all__ = ["cancel", "residents_in", "send"]
