"""Reads for the staff console's notify pages (通知の送信): the message list, the delivery report
(配信状況), the answers by district (回答の集計) and the conversations (やりとり).

Everything here counts in the database: a message may have tens of thousands of recipients, and
none of them is loaded into Python to be counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncDay, TruncHour, TruncMinute
from django.utils import timezone

from yakuba.platform.notify.models import (
    Channel,
    ConversationMessage,
    Delivery,
    DeliveryStatus,
    Message,
    Question,
    QuestionKind,
    Recipient,
    Reply,
)
from yakuba.platform.notify.sending import eligible
from yakuba.platform.notify.services import residents_in

# The states a report shows, in the order a delivery passes through them.
REPORT_STATES = (
    DeliveryStatus.CREATED,
    DeliveryStatus.SENDING,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.READ,
    DeliveryStatus.TEMPORARY_FAILURE,
    DeliveryStatus.PERMANENT_FAILURE,
    DeliveryStatus.TECHNICAL_FAILURE,
)
SUCCESS_STATES = (DeliveryStatus.DELIVERED, DeliveryStatus.READ)
FAILURE_STATES = (
    DeliveryStatus.TEMPORARY_FAILURE,
    DeliveryStatus.PERMANENT_FAILURE,
    DeliveryStatus.TECHNICAL_FAILURE,
)
# The 安否確認 preset's answer that asks the town for help (see staff_forms.SAFETY_CHOICES).
HELP_CHOICE = "help"


# --- Before sending ------------------------------------------------------------------------------


def expected_recipients(rule: dict[str, Any], *, topic: str, priority: str, on: date) -> int:
    """How many residents a segment message would reach on `on`: the segment, less those who chose
    other topics (an emergency ignores topic choices) — the same filter `sending` applies."""
    probe = Message(topic=topic, priority=priority, rule=rule)
    return eligible(probe, residents_in(rule, on=on)).count()


# --- The message list ----------------------------------------------------------------------------


def _deliveries_counted(states: tuple[str, ...]) -> Coalesce:
    counted = (
        Delivery.objects.filter(recipient__message=OuterRef("pk"), status__in=states)
        .order_by()
        .values("recipient__message")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


REPLY_KIND = "notify.reply"


def unread_count(user: Any) -> int:
    """The resident's unread notices (未読), for the badge on the portal's card."""
    return Recipient.objects.filter(user=user, read_at__isnull=True).count()


def message_list() -> QuerySet[Message]:
    """Messages newest first, each with its delivered and failed delivery counts (one query; the
    counts are subqueries so that the rows are not multiplied by a join). The notices that tell a
    resident the town answered in a thread are left out: the thread is where staff see them."""
    return (
        Message.objects.exclude(kind=REPLY_KIND)
        .select_related("created_by", "segment")
        .annotate(
            delivered_count=_deliveries_counted(SUCCESS_STATES),
            failed_count=_deliveries_counted(FAILURE_STATES),
            question_count=Count("questions", distinct=True),
        )
        .order_by("-created_at", "-pk")
    )


# --- The delivery report (配信状況) --------------------------------------------------------------


@dataclass
class ReportRow:
    channel: str
    label: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def cells(self) -> list[int]:
        return [self.counts.get(state, 0) for state in REPORT_STATES]


@dataclass
class DeliveryReport:
    """Counts by channel × state. The inbox (マイページ) is a channel too: every recipient has the
    message there (配信済み), and it is read (既読) once `Recipient.read_at` is set."""

    rows: list[ReportRow] = field(default_factory=list)

    def count(self, channel: str, state: str) -> int:
        for row in self.rows:
            if row.channel == channel:
                return row.counts.get(state, 0)
        return 0

    def totals(self) -> list[int]:
        return [sum(row.counts.get(state, 0) for row in self.rows) for state in REPORT_STATES]


def delivery_report(message: Message) -> DeliveryReport:
    """The report table: one aggregate query over deliveries, one over the inbox entries."""
    by_channel: dict[str, dict[str, int]] = {}
    grouped = (
        Delivery.objects.filter(recipient__message=message)
        .order_by()
        .values("channel", "status")
        .annotate(n=Count("pk"))
    )
    for row in grouped:
        by_channel.setdefault(row["channel"], {})[row["status"]] = row["n"]
    inbox = Recipient.objects.filter(message=message).aggregate(
        total=Count("pk"), read=Count("pk", filter=Q(read_at__isnull=False))
    )
    report = DeliveryReport()
    report.rows.append(
        ReportRow(
            Channel.IN_APP,
            str(Channel.IN_APP.label),
            {
                DeliveryStatus.DELIVERED: inbox["total"] - inbox["read"],
                DeliveryStatus.READ: inbox["read"],
            },
        )
    )
    for channel in Channel:
        if channel != Channel.IN_APP and channel.value in by_channel:
            report.rows.append(
                ReportRow(channel.value, str(channel.label), by_channel[channel.value])
            )
    return report


@dataclass(frozen=True)
class TimelinePoint:
    start: datetime
    count: int


@dataclass
class Timeline:
    """Completed deliveries (配信済み・既読) per minute, hour or day, empty periods included."""

    unit: str  # "minute", "hour" or "day"
    points: list[TimelinePoint]

    @property
    def total(self) -> int:
        return sum(point.count for point in self.points)

    @property
    def peak(self) -> TimelinePoint | None:
        return max(self.points, key=lambda p: p.count) if self.points else None


_STEPS = {
    "minute": (TruncMinute, timedelta(minutes=1)),
    "hour": (TruncHour, timedelta(hours=1)),
    "day": (TruncDay, timedelta(days=1)),
}


def delivery_timeline(message: Message) -> Timeline:
    """When the outside channels' deliveries were completed, for the report's chart. The period is
    chosen from the span: minutes up to three hours, hours up to four days, then days."""
    done = Delivery.objects.filter(
        recipient__message=message, status__in=SUCCESS_STATES, completed_at__isnull=False
    )
    span = done.order_by().aggregate(first=Min("completed_at"), last=Max("completed_at"))
    if span["first"] is None:
        return Timeline("minute", [])
    length = span["last"] - span["first"]
    unit = "minute" if length <= timedelta(hours=3) else "hour"
    if length > timedelta(days=4):
        unit = "day"
    trunc, step = _STEPS[unit]
    tz = timezone.get_current_timezone()
    counts = {
        row["bucket"]: row["n"]
        for row in done.order_by()
        .annotate(bucket=trunc("completed_at", tzinfo=tz))
        .values("bucket")
        .annotate(n=Count("pk"))
    }
    if not counts:
        return Timeline(unit, [])
    start, end = min(counts), max(counts)
    points = []
    moment = start
    while moment <= end:
        points.append(TimelinePoint(moment, counts.get(moment, 0)))
        moment += step
    return Timeline(unit, points)


@dataclass(frozen=True)
class FailureGroup:
    channel: str
    status: str
    error: str
    count: int


def failure_groups(message: Message, *, limit: int = 50) -> list[FailureGroup]:
    """Failed deliveries grouped by channel, state and error text, the commonest first."""
    rows = (
        Delivery.objects.filter(recipient__message=message, status__in=FAILURE_STATES)
        .order_by()
        .values("channel", "status", "error")
        .annotate(n=Count("pk"))
        .order_by("-n", "channel", "error")[:limit]
    )
    return [FailureGroup(r["channel"], r["status"], r["error"], r["n"]) for r in rows]


@dataclass(frozen=True)
class ExportRow:
    recipient_id: int
    district: str
    channel: str
    status: str
    created_at: datetime | None
    sent_at: datetime | None
    completed_at: datetime | None
    read_at: datetime | None
    attempts: int
    error: str


def delivery_rows(message: Message) -> Iterator[ExportRow]:
    """Per recipient: the inbox entry, then each outside delivery (the CSV export). Streams in
    chunks; nothing is held for the whole message."""
    recipients = (
        Recipient.objects.filter(message=message)
        .select_related("user__resident_profile__district")
        .prefetch_related("deliveries")
        .order_by("pk")
    )
    for recipient in recipients.iterator(chunk_size=1000):
        profile = getattr(recipient.user, "resident_profile", None)
        district = profile.district.code if profile is not None and profile.district else ""
        yield ExportRow(
            recipient.pk,
            district,
            Channel.IN_APP,
            DeliveryStatus.READ if recipient.read_at else DeliveryStatus.DELIVERED,
            recipient.created_at,
            recipient.created_at,
            recipient.created_at,
            recipient.read_at,
            0,
            "",
        )
        for delivery in recipient.deliveries.all():
            yield ExportRow(
                recipient.pk,
                district,
                delivery.channel,
                delivery.status,
                delivery.created_at,
                delivery.sent_at,
                delivery.completed_at,
                delivery.read_at,
                delivery.attempts,
                delivery.error,
            )


# --- Answers (回答の集計) ------------------------------------------------------------------------


@dataclass
class DistrictAnswers:
    code: str
    name: str
    recipients: int
    counts: dict[str, int]
    # The counts in the order of the question's choices (for tables).
    cells: list[int] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return sum(self.counts.values())

    @property
    def unanswered(self) -> int:
        return max(self.recipients - self.answered, 0)


@dataclass
class QuestionAnswers:
    """One choice question's answers: overall and per district (行政区), with the recipients of each
    district so that the unanswered can be seen (for 安否確認, those are whom to call)."""

    question: Question
    choices: list[tuple[str, str]]  # (code, Japanese label)
    overall: DistrictAnswers
    districts: list[DistrictAnswers]

    @property
    def overall_pairs(self) -> list[tuple[str, int]]:
        return [
            (label, n) for (_code, label), n in zip(self.choices, self.overall.cells, strict=True)
        ]


def answers_by_district(message: Message) -> list[QuestionAnswers]:
    """Counts per question × choice × district, in one query (plus one for recipients per
    district). Residents without a district are grouped under an empty code."""
    questions = list(message.questions.filter(kind=QuestionKind.CHOICE))
    if not questions:
        return []
    district_code = F("recipient__user__resident_profile__district__code")
    counted = (
        Reply.objects.filter(question__in=questions)
        .order_by()
        .values("question_id", "choice", code=district_code)
        .annotate(n=Count("pk"))
    )
    recipients = (
        Recipient.objects.filter(message=message)
        .order_by()
        .values(
            code=F("user__resident_profile__district__code"),
            name=F("user__resident_profile__district__name"),
            order=F("user__resident_profile__district__order"),
        )
        .annotate(n=Count("pk"))
    )
    names: dict[str, tuple[str, int]] = {}
    per_district: dict[str, int] = {}
    for row in recipients:
        code = row["code"] or ""
        names[code] = (row["name"] or "", row["order"] or 0)
        per_district[code] = row["n"]
    answers: dict[int, dict[str, dict[str, int]]] = {}
    for row in counted:
        code = row["code"] or ""
        answers.setdefault(row["question_id"], {}).setdefault(code, {})[row["choice"]] = row["n"]
        names.setdefault(code, ("", 0))
    ordered_codes = sorted(names, key=lambda c: (c == "", names[c][1], c))
    result = []
    for question in questions:
        given = answers.get(question.pk, {})
        codes = [c["code"] for c in question.choices]
        districts = []
        for code in ordered_codes:
            counts = given.get(code, {})
            districts.append(
                DistrictAnswers(
                    code,
                    names[code][0],
                    per_district.get(code, 0),
                    counts,
                    [counts.get(choice, 0) for choice in codes],
                )
            )
        overall: dict[str, int] = {}
        for district in districts:
            for choice, n in district.counts.items():
                overall[choice] = overall.get(choice, 0) + n
        result.append(
            QuestionAnswers(
                question=question,
                choices=[(c["code"], c["label"].get("ja", c["code"])) for c in question.choices],
                overall=DistrictAnswers(
                    "",
                    "",
                    sum(per_district.values()),
                    overall,
                    [overall.get(choice, 0) for choice in codes],
                ),
                districts=districts,
            )
        )
    return result


def free_text_answers(question: Question) -> QuerySet[Reply]:
    """A free-text question's answers, newest first (the resident's district for context)."""
    return (
        Reply.objects.filter(question=question)
        .exclude(text="")
        .select_related("recipient__user__resident_profile__district")
        .order_by("-answered_at", "-pk")
    )


def residents_asking_for_help(message: Message) -> QuerySet[Reply]:
    """Answers of 「助けが必要です」 to the message's questions, oldest first (who asked first is
    called first), with what staff need to follow up: name, district, phone."""
    return (
        Reply.objects.filter(question__message=message, choice=HELP_CHOICE)
        .select_related("recipient__user__resident_profile__district", "question")
        .order_by("answered_at", "pk")
    )


def answer_rows(message: Message) -> QuerySet[Reply]:
    """Every answer to the message, by recipient and question (the answers CSV)."""
    return (
        Reply.objects.filter(question__message=message)
        .select_related("recipient__user__resident_profile__district", "question")
        .order_by("recipient_id", "question__order", "pk")
    )


# --- Conversations (やりとり) --------------------------------------------------------------------


def conversations(message: Message) -> QuerySet[Recipient]:
    """Recipients of a message who wrote to the town, those waiting for an answer first (the last
    word is the resident's), then by the latest message."""
    latest = ConversationMessage.objects.filter(recipient=OuterRef("pk")).order_by(
        "-created_at", "-pk"
    )
    wrote = ConversationMessage.objects.filter(recipient=OuterRef("pk"), from_staff=False)
    return (
        Recipient.objects.filter(message=message)
        .filter(Exists(wrote))
        .select_related("user__resident_profile__district")
        .annotate(
            last_at=Max("conversation__created_at"),
            last_from_staff=Subquery(latest.values("from_staff")[:1]),
            last_body=Subquery(latest.values("body")[:1]),
            message_count=Count("conversation"),
        )
        .order_by("last_from_staff", "-last_at", "pk")
    )


def thread(recipient: Recipient) -> QuerySet[ConversationMessage]:
    return recipient.conversation.select_related("author").order_by("created_at", "pk")
