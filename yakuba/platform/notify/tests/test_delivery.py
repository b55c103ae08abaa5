"""The delivery engine: channels, fallback, quiet hours, digests, idempotent reruns, crashes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from yakuba.platform import notify
from yakuba.platform.notify import delivery, tasks
from yakuba.platform.notify.channels import Outgoing, Result, _adapters, register_channel
from yakuba.platform.notify.models import (
    Delivery,
    DeliveryBatch,
    DeliveryStatus,
    Message,
    MessageStatus,
    Preferences,
    Recipient,
)
from yakuba.platform.notify.tests.factories import ResidentFactory, resident_on

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")
TEXT = {"ja": {"subject": "断水のお知らせ", "body": "((氏名))様\n((地区))で断水します。"}}


class FakeChannel:
    """A channel standing in for LINE/SMS in these tests: records sends, answers as told."""

    def __init__(self, code: str, answers: list[DeliveryStatus] | None = None) -> None:
        self.code = code
        self.answers = answers or []
        self.sent: list[Outgoing] = []
        self.reach = True

    def can_reach(self, user: Any) -> bool:
        return self.reach

    @contextmanager
    def session(self) -> Iterator[FakeChannel]:
        yield self

    def send(self, outgoing: Outgoing) -> Result:
        self.sent.append(outgoing)
        status = self.answers.pop(0) if self.answers else DeliveryStatus.DELIVERED
        return Result(status, provider_ref=f"fake-{len(self.sent)}")


@pytest.fixture
def fake_channels() -> Iterator[dict[str, FakeChannel]]:
    saved = dict(_adapters)
    fakes = {"line": FakeChannel("line"), "sms": FakeChannel("sms")}
    for code, fake in fakes.items():
        register_channel(code, lambda fake=fake: fake)  # type: ignore[misc]
    yield fakes
    _adapters.clear()
    _adapters.update(saved)


def announce(to: Any, **kwargs: Any) -> Message:
    return notify.send(
        "notify.announcement", to=to, contents=TEXT, context={"地区": "荒浜"}, **kwargs
    )


def test_email_goes_over_smtp_with_the_rendered_text(mailbox: Any) -> None:
    profile = resident_on(["email"], family_name="亘理", given_name="花子")
    message = announce(profile.user)

    mail = mailbox.wait_for(to=profile.user.email)
    assert mail["Subject"] == "[亘理町] 断水のお知らせ" or "断水のお知らせ" in mail["Subject"]
    body = mailbox.text_body(mail)
    assert "亘理 花子様" in body
    assert "荒浜で断水します。" in body
    delivery_row = Delivery.objects.get(recipient__message=message)
    assert delivery_row.status == DeliveryStatus.DELIVERED
    assert mail["Message-ID"] == f"<notify-{delivery_row.pk}@yakuba.invalid>"
    assert Message.objects.get(pk=message.pk).status == MessageStatus.SENT


def test_every_message_lands_in_the_inbox_even_without_outside_channels() -> None:
    profile = ResidentFactory.create(notification_channels=["in_app"])
    message = announce(profile.user)
    assert Recipient.objects.filter(message=message, user=profile.user).exists()
    assert not Delivery.objects.filter(recipient__message=message).exists()


def test_a_missing_placeholder_value_saves_nothing() -> None:
    profile = ResidentFactory.create()
    with pytest.raises(ValidationError, match="地区"):
        notify.send("notify.announcement", to=profile.user, contents=TEXT, context={})
    assert not Message.objects.exists()


def test_unknown_kind_and_missing_japanese_are_refused() -> None:
    profile = ResidentFactory.create()
    with pytest.raises(ValidationError):
        notify.send("reports.nothing", to=profile.user, contents=TEXT)
    with pytest.raises(ValidationError, match="日本語"):
        notify.send(
            "notify.announcement", to=profile.user, contents={"en": {"subject": "a", "body": "b"}}
        )
    assert not Message.objects.exists()


def test_permanent_failure_falls_back_to_the_next_channel(
    fake_channels: dict[str, FakeChannel],
) -> None:
    fake_channels["line"].answers = [DeliveryStatus.PERMANENT_FAILURE]
    profile = resident_on(["line", "sms"])
    message = announce(profile.user)

    states = dict(
        Delivery.objects.filter(recipient__message=message).values_list("channel", "status")
    )
    assert states == {"line": DeliveryStatus.PERMANENT_FAILURE, "sms": DeliveryStatus.DELIVERED}
    assert len(fake_channels["sms"].sent) == 1


def test_ordinary_message_uses_only_the_first_reachable_channel(
    fake_channels: dict[str, FakeChannel],
) -> None:
    fake_channels["line"].reach = False
    profile = resident_on(["line", "sms"])
    message = announce(profile.user)
    assert list(
        Delivery.objects.filter(recipient__message=message).values_list("channel", flat=True)
    ) == ["sms"]


def test_emergency_goes_on_every_channel_at_once(
    fake_channels: dict[str, FakeChannel], mailbox: Any
) -> None:
    profile = resident_on(["line", "sms", "email"])
    message = notify.send(
        "notify.emergency", to=profile.user, contents=TEXT, context={"地区": "荒浜"}
    )
    assert message.is_emergency
    channels = set(
        Delivery.objects.filter(recipient__message=message).values_list("channel", flat=True)
    )
    assert channels == {"line", "sms", "email"}
    mailbox.wait_for(to=profile.user.email)


def test_temporary_failure_is_retried_later_then_given_up_and_falls_back(
    fake_channels: dict[str, FakeChannel], settings: Any
) -> None:
    settings.NOTIFY_MAX_ATTEMPTS = 2
    fake_channels["line"].answers = [
        DeliveryStatus.TEMPORARY_FAILURE,
        DeliveryStatus.TEMPORARY_FAILURE,
    ]
    profile = resident_on(["line", "sms"])
    message = announce(profile.user)
    line = Delivery.objects.get(recipient__message=message, channel="line")
    assert line.status == DeliveryStatus.TEMPORARY_FAILURE
    assert line.not_before is not None and line.not_before > timezone.now()
    assert not Delivery.objects.filter(channel="sms").exists()

    batch = DeliveryBatch.objects.get(message=message)
    Delivery.objects.filter(pk=line.pk).update(not_before=timezone.now())
    assert delivery.deliver_batch(batch) is None  # second attempt fails too: given up → SMS

    line.refresh_from_db()
    assert (line.status, line.attempts, line.not_before) == (
        DeliveryStatus.TEMPORARY_FAILURE,
        2,
        None,
    )
    assert Delivery.objects.get(channel="sms").status == DeliveryStatus.DELIVERED
    assert Message.objects.get(pk=message.pk).status == MessageStatus.SENT


def test_running_a_batch_again_sends_no_second_copy(fake_channels: dict[str, FakeChannel]) -> None:
    profile = resident_on(["line"])
    message = announce(profile.user)
    batch = DeliveryBatch.objects.get(message=message)
    DeliveryBatch.objects.filter(pk=batch.pk).update(finished_at=None)
    delivery.deliver_batch(batch)
    tasks.deliver_batch.call(batch.pk)
    assert len(fake_channels["line"].sent) == 1


def test_a_delivery_left_sending_by_a_dead_worker_is_sent_after_its_lease(
    fake_channels: dict[str, FakeChannel],
) -> None:
    profile = resident_on(["line"])
    message = announce(profile.user)
    row = Delivery.objects.get(recipient__message=message)
    batch = DeliveryBatch.objects.get(message=message)
    # As a worker killed mid-send leaves it: claimed, never accepted.
    Delivery.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.SENDING, not_before=timezone.now() + timedelta(minutes=5)
    )
    DeliveryBatch.objects.filter(pk=batch.pk).update(finished_at=None)
    assert delivery.deliver_batch(batch) is not None  # still leased: come back later
    assert len(fake_channels["line"].sent) == 1

    Delivery.objects.filter(pk=row.pk).update(not_before=timezone.now() - timedelta(seconds=1))
    assert delivery.deliver_batch(batch) is None
    assert len(fake_channels["line"].sent) == 2
    assert Delivery.objects.get(pk=row.pk).status == DeliveryStatus.DELIVERED


def test_quiet_hours_hold_an_ordinary_message_but_not_an_emergency(
    fake_channels: dict[str, FakeChannel], monkeypatch: Any
) -> None:
    profile = resident_on(["line"])
    Preferences.objects.create(user=profile.user, quiet_from=time(21, 0), quiet_until=time(7, 0))
    night = datetime(2026, 11, 26, 23, 30, tzinfo=TOKYO)
    monkeypatch.setattr(timezone, "now", lambda: night)

    ordinary = announce(profile.user)
    held = Delivery.objects.get(recipient__message=ordinary)
    assert held.status == DeliveryStatus.CREATED
    assert held.not_before == datetime(2026, 11, 27, 7, 0, tzinfo=TOKYO)
    assert Recipient.objects.filter(message=ordinary).exists()  # the inbox has it already

    notify.send("notify.emergency", to=profile.user, contents=TEXT, context={"地区": "荒浜"})
    assert len(fake_channels["line"].sent) == 1  # the emergency only


@pytest.mark.parametrize(
    ("start", "end", "at", "inside"),
    [
        (time(21), time(7), time(23, 30), True),
        (time(21), time(7), time(6, 59), True),
        (time(21), time(7), time(7, 0), False),
        (time(21), time(7), time(20, 59), False),
        (time(12), time(13), time(12, 30), True),
        (time(12), time(13), time(13, 0), False),
        (time(9), time(9), time(9, 0), False),
    ],
)
def test_quiet_hours_boundaries(start: time, end: time, at: time, inside: bool) -> None:
    preferences = Preferences(quiet_from=start, quiet_until=end)
    now = datetime(2026, 11, 26, at.hour, at.minute, tzinfo=TOKYO)
    assert (delivery.quiet_until(preferences, now=now) is not None) is inside


def test_topic_choice_is_respected_by_ordinary_bulletins_only() -> None:
    childcare = ResidentFactory.create(topics=["childcare"])
    everything = ResidentFactory.create(topics=[])
    disaster = ResidentFactory.create(topics=["disaster"])
    everyone = {"age": {"min": 0}}

    def sent_to(message: Message) -> set[int]:
        return set(Recipient.objects.filter(message=message).values_list("user", flat=True))

    bulletin = notify.send(
        "notify.announcement",
        segment=everyone,
        contents=TEXT,
        context={"地区": "全域"},
        topic="disaster",
    )
    assert sent_to(bulletin) == {everything.user_id, disaster.user_id}
    emergency = notify.send(
        "notify.emergency",
        segment=everyone,
        contents=TEXT,
        context={"地区": "全域"},
        topic="disaster",
    )
    assert len(sent_to(emergency)) == 3
    personal = announce(childcare.user, topic="disaster")  # their own business: always delivered
    assert sent_to(personal) == {childcare.user_id}


def test_segment_message_fans_out_in_slices(
    monkeypatch: Any, fake_channels: dict[str, FakeChannel]
) -> None:
    from yakuba.platform.notify import sending

    monkeypatch.setattr(sending, "BATCH_SIZE", 2)
    for _ in range(5):
        resident_on(["line"])
    ResidentFactory.create(user__is_active=False)
    message = notify.send(
        "notify.announcement", segment={"age": {"min": 18}}, contents=TEXT, context={"地区": "全域"}
    )
    message.refresh_from_db()
    assert message.recipient_count == 5
    assert DeliveryBatch.objects.filter(message=message).count() == 3
    assert len(fake_channels["line"].sent) == 5
    assert message.status == MessageStatus.SENT
    # A second fan-out (a retried job) adds nothing.
    tasks.fan_out_message.call(message.pk)
    assert Recipient.objects.filter(message=message).count() == 5
    assert len(fake_channels["line"].sent) == 5


def test_digest_holds_bulletins_and_sends_one_message_a_day(
    fake_channels: dict[str, FakeChannel], monkeypatch: Any
) -> None:
    profile = resident_on(["line"])
    Preferences.objects.create(user=profile.user, daily_digest=True, digest_time=time(18, 0))
    morning = datetime(2026, 11, 26, 9, 0, tzinfo=TOKYO)
    monkeypatch.setattr(timezone, "now", lambda: morning)
    for _ in range(2):
        notify.send(
            "notify.announcement",
            segment={"age": {"min": 18}},
            contents=TEXT,
            context={"地区": "全域"},
        )
    personal = announce(profile.user)  # a message to the resident alone is not held
    assert [o.recipient_id for o in fake_channels["line"].sent] == [
        Recipient.objects.get(message=personal).pk
    ]
    assert delivery.send_digests(now=morning) == 0

    evening = datetime(2026, 11, 26, 18, 0, tzinfo=TOKYO)
    monkeypatch.setattr(timezone, "now", lambda: evening)
    assert delivery.send_digests(now=evening) == 1
    digest = fake_channels["line"].sent[-1]
    assert "2件" in digest.subject
    assert digest.body.count("断水のお知らせ") == 2
    assert delivery.send_digests(now=evening) == 0  # never twice


def test_scheduled_message_can_be_cancelled_and_then_sends_nothing(
    fake_channels: dict[str, FakeChannel],
) -> None:
    resident_on(["line"])
    staff = ResidentFactory.create().user
    later = timezone.now() + timedelta(hours=1)
    message = notify.send(
        "notify.announcement",
        segment={"age": {"min": 18}},
        contents=TEXT,
        context={"地区": "全域"},
        scheduled_at=later,
    )
    # ImmediateBackend runs jobs at once whatever run_after says: cancel first, then run again.
    from yakuba.platform.notify import sending

    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SCHEDULED)
    Recipient.objects.filter(message=message).delete()
    sent_before = len(fake_channels["line"].sent)
    sending.cancel(message, by=staff)
    tasks.fan_out_message.call(message.pk)
    assert len(fake_channels["line"].sent) == sent_before
    assert not Recipient.objects.filter(message=message).exists()
    with pytest.raises(ValidationError):
        sending.cancel(Message.objects.get(pk=message.pk), by=staff)


def test_a_mail_carries_one_answer_link_per_choice(mailbox: Any, client: Any) -> None:
    profile = resident_on(["email"])
    question = {
        "kind": "choice",
        "text": {"ja": "ご無事ですか"},
        "choices": [
            {"code": "safe", "label": {"ja": "無事です"}},
            {"code": "help", "label": {"ja": "助けが必要です"}},
        ],
    }
    announce(profile.user, questions=[question])
    mail = mailbox.wait_for(to=profile.user.email)
    body = mailbox.text_body(mail)
    links = [
        line.split(": ", 1)[1] for line in body.splitlines() if line.startswith("助けが必要です: ")
    ]
    assert len(links) == 1 and "/notify/answer/" in links[0]
    path = links[0].removeprefix("http://127.0.0.1:8000")
    client.post(path)
    from yakuba.platform.notify.models import Reply

    assert Reply.objects.get().choice == "help"
