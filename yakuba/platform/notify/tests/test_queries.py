"""Reads behind the staff console's notify pages: counts in the database, right and in few queries."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yakuba.platform import notify
from yakuba.platform.notify import queries, replies
from yakuba.platform.notify.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Message,
    Priority,
    Recipient,
)
from yakuba.platform.notify.staff_forms import SAFETY_QUESTION
from yakuba.platform.notify.tests.factories import DistrictFactory, ResidentFactory

pytestmark = pytest.mark.django_db

CONTENTS = {"ja": {"subject": "お知らせ", "body": "本文"}}


@pytest.fixture
def people() -> list[Any]:
    north = DistrictFactory.create(code="north", name="北区", order=1)
    south = DistrictFactory.create(code="south", name="南区", order=2)
    return [
        ResidentFactory.create(district=north),
        ResidentFactory.create(district=north, topics=["events"]),
        ResidentFactory.create(district=south, topics=["disaster"]),
        ResidentFactory.create(district=None),
    ]


def send(people: list[Any], **kwargs: Any) -> Message:
    return notify.send(
        "notify.announcement", to=[p.user for p in people], contents=CONTENTS, **kwargs
    )


def deliver(
    recipient: Recipient, channel: str, status: str, *, at: datetime | None = None, error: str = ""
) -> Delivery:
    return Delivery.objects.create(
        recipient=recipient, channel=channel, status=status, completed_at=at, error=error
    )


@pytest.mark.parametrize(
    ("topic", "priority", "expected"),
    [
        ("", Priority.NORMAL, 3),  # everyone in the segment
        ("disaster", Priority.NORMAL, 2),  # the "events only" resident opted out
        ("disaster", Priority.EMERGENCY, 3),  # an emergency ignores topic choices
    ],
)
def test_expected_recipients_applies_the_topic_choice_like_sending(
    people: list[Any], topic: str, priority: str, expected: int
) -> None:
    rule = {"district": ["north", "south"]}
    assert (
        queries.expected_recipients(rule, topic=topic, priority=priority, on=date.today())
        == expected
    )


def test_delivery_report_counts_channel_by_state_in_two_queries(people: list[Any]) -> None:
    message = send(people)
    r = list(message.recipients.order_by("pk"))
    deliver(r[0], Channel.EMAIL, DeliveryStatus.DELIVERED)
    deliver(r[1], Channel.EMAIL, DeliveryStatus.DELIVERED)
    deliver(r[2], Channel.EMAIL, DeliveryStatus.PERMANENT_FAILURE)
    deliver(r[2], Channel.SMS, DeliveryStatus.READ)
    replies.mark_read(r[3])
    with CaptureQueriesContext(connection) as captured:
        report = queries.delivery_report(message)
    assert len(captured.captured_queries) == 2
    assert report.count(Channel.EMAIL, DeliveryStatus.DELIVERED) == 2
    assert report.count(Channel.EMAIL, DeliveryStatus.PERMANENT_FAILURE) == 1
    assert report.count(Channel.SMS, DeliveryStatus.READ) == 1
    assert report.count(Channel.IN_APP, DeliveryStatus.DELIVERED) == 3
    assert report.count(Channel.IN_APP, DeliveryStatus.READ) == 1
    assert [row.channel for row in report.rows] == [Channel.IN_APP, Channel.EMAIL, Channel.SMS]
    assert sum(report.totals()) == 4 + 4


def test_timeline_counts_completed_deliveries_per_minute_with_gaps(people: list[Any]) -> None:
    message = send(people)
    r = list(message.recipients.order_by("pk"))
    start = timezone.now().replace(second=5, microsecond=0) - timedelta(minutes=10)
    deliver(r[0], Channel.EMAIL, DeliveryStatus.DELIVERED, at=start)
    deliver(r[1], Channel.EMAIL, DeliveryStatus.DELIVERED, at=start + timedelta(seconds=30))
    deliver(r[2], Channel.EMAIL, DeliveryStatus.READ, at=start + timedelta(minutes=3))
    deliver(r[3], Channel.EMAIL, DeliveryStatus.PERMANENT_FAILURE, at=start + timedelta(minutes=4))
    timeline = queries.delivery_timeline(message)
    assert timeline.unit == "minute"
    assert [p.count for p in timeline.points] == [2, 0, 0, 1]
    assert timeline.total == 3
    assert timeline.peak is not None and timeline.peak.count == 2


def test_timeline_switches_to_hours_for_a_long_span(people: list[Any]) -> None:
    message = send(people)
    r = list(message.recipients.order_by("pk"))
    start = timezone.now() - timedelta(hours=10)
    deliver(r[0], Channel.EMAIL, DeliveryStatus.DELIVERED, at=start)
    deliver(r[1], Channel.EMAIL, DeliveryStatus.DELIVERED, at=start + timedelta(hours=5))
    timeline = queries.delivery_timeline(message)
    assert timeline.unit == "hour"
    assert timeline.total == 2
    assert len(timeline.points) in (6, 7)


def test_timeline_of_a_message_without_deliveries_is_empty(people: list[Any]) -> None:
    assert queries.delivery_timeline(send(people)).points == []


def test_failures_are_grouped_by_error(people: list[Any]) -> None:
    message = send(people)
    r = list(message.recipients.order_by("pk"))
    for recipient in r[:3]:
        deliver(recipient, Channel.EMAIL, DeliveryStatus.PERMANENT_FAILURE, error="550 no user")
    deliver(r[3], Channel.LINE, DeliveryStatus.TECHNICAL_FAILURE, error="bad token")
    groups = queries.failure_groups(message)
    assert [(g.channel, g.error, g.count) for g in groups] == [
        ("email", "550 no user", 3),
        ("line", "bad token", 1),
    ]


def test_message_list_counts_each_message_without_multiplying_rows(people: list[Any]) -> None:
    first = send(people[:2])
    second = send(people, questions=[SAFETY_QUESTION])
    for recipient in second.recipients.all():
        deliver(recipient, Channel.EMAIL, DeliveryStatus.DELIVERED)
        deliver(recipient, Channel.SMS, DeliveryStatus.TEMPORARY_FAILURE)
    with CaptureQueriesContext(connection) as captured:
        rows = list(queries.message_list())
    assert len(captured.captured_queries) == 1
    assert [m.pk for m in rows] == [second.pk, first.pk]
    names = ("delivered_count", "failed_count", "question_count")
    assert [tuple(getattr(row, name) for name in names) for row in rows] == [(4, 4, 1), (0, 0, 0)]


def test_answers_are_counted_per_choice_and_district(people: list[Any]) -> None:
    message = send(people, questions=[SAFETY_QUESTION])
    question = message.questions.get()
    by_user = {r.user_id: r for r in message.recipients.all()}
    replies.record_reply(by_user[people[0].user_id], question, choice="help", channel="line")
    replies.record_reply(by_user[people[1].user_id], question, choice="help", channel="in_app")
    replies.record_reply(by_user[people[2].user_id], question, choice="safe", channel="email")
    replies.record_reply(by_user[people[3].user_id], question, choice="safe", channel="email")
    (result,) = queries.answers_by_district(message)
    assert result.choices == [("safe", "無事です"), ("help", "助けが必要です")]
    table = {(d.code, d.name): (d.recipients, d.cells, d.unanswered) for d in result.districts}
    assert table == {
        ("north", "北区"): (2, [0, 2], 0),
        ("south", "南区"): (1, [1, 0], 0),
        ("", ""): (1, [1, 0], 0),  # no district: listed last
    }
    assert [d.code for d in result.districts] == ["north", "south", ""]
    assert result.overall.cells == [2, 2]
    assert result.overall_pairs == [("無事です", 2), ("助けが必要です", 2)]
    assert [r.recipient.user_id for r in queries.residents_asking_for_help(message)] == [
        people[0].user_id,
        people[1].user_id,
    ]


def test_conversations_list_waiting_residents_first(people: list[Any]) -> None:
    message = send(people)
    by_user = {r.user_id: r for r in message.recipients.all()}
    answered, waiting, silent = (by_user[p.user_id] for p in people[:3])
    replies.add_to_conversation(answered, by=None, body="質問", from_staff=False, channel="in_app")
    replies.add_to_conversation(waiting, by=None, body="質問2", from_staff=False, channel="in_app")
    replies.add_to_conversation(answered, by=None, body="回答", from_staff=True, channel="in_app")
    rows = list(queries.conversations(message))
    assert [r.pk for r in rows] == [waiting.pk, answered.pk]
    assert silent.pk not in [r.pk for r in rows]
    names = ("last_body", "last_from_staff", "message_count")
    assert tuple(getattr(rows[1], name) for name in names) == ("回答", True, 2)


def test_delivery_rows_list_the_inbox_and_each_channel(people: list[Any]) -> None:
    message = send(people[:2])
    first, second = message.recipients.order_by("pk")
    deliver(first, Channel.EMAIL, DeliveryStatus.DELIVERED)
    replies.mark_read(second)
    rows = [
        (r.recipient_id, r.district, r.channel, r.status) for r in queries.delivery_rows(message)
    ]
    assert rows == [
        (first.pk, "north", "in_app", "delivered"),
        (first.pk, "north", "email", "delivered"),
        (second.pk, "north", "in_app", "read"),
    ]
