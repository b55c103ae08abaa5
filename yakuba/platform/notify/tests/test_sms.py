"""The SMS channel's adapter interface, with a recording gateway standing in for a provider."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from yakuba.platform.notify.channels import Outgoing, Result
from yakuba.platform.notify.channels import sms as sms_channel
from yakuba.platform.notify.models import Channel, DeliveryStatus
from yakuba.platform.notify.tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

GATEWAY = "yakuba.platform.notify.tests.test_sms.RecordingGateway"
DEDUPLICATING_GATEWAY = "yakuba.platform.notify.tests.test_sms.DeduplicatingGateway"


class RecordingGateway:
    """Records what it is given; answers with `answer`. `events` shows the order of the engine's
    point of no return and the hand-over."""

    deduplicates = False
    calls: ClassVar[list[tuple[str, str, str]]] = []
    events: ClassVar[list[str]] = []
    answer: ClassVar[Result] = Result(DeliveryStatus.DELIVERED, provider_ref="sms-1")

    def send_sms(self, to_e164: str, text: str, idempotency_key: str) -> Result:
        self.calls.append((to_e164, text, idempotency_key))
        self.events.append("send_sms")
        return self.answer


class DeduplicatingGateway(RecordingGateway):
    deduplicates = True


@pytest.fixture
def gateway(settings: Any) -> type[RecordingGateway]:
    settings.NOTIFY_SMS_GATEWAY = GATEWAY
    RecordingGateway.calls.clear()
    RecordingGateway.events.clear()
    RecordingGateway.answer = Result(DeliveryStatus.DELIVERED, provider_ref="sms-1")
    return RecordingGateway


def resident(phone: str) -> Any:
    return ResidentFactory.create(phone=phone).user


def outgoing(user: Any, **changes: Any) -> Outgoing:
    values: dict[str, Any] = {
        "delivery_id": 3,
        "recipient_id": 30,
        "user": user,
        "language": "ja",
        "subject": "避難指示",
        "body": "荒浜地区に避難指示が出ました。",
        "inbox_url": "https://town.example.jp/notify/30",
        "idempotency_key": "notify-delivery-3",
        "point_of_no_return": lambda: RecordingGateway.events.append("point_of_no_return"),
    }
    values.update(changes)
    return Outgoing(**values)


def send(item: Outgoing) -> Result:
    with sms_channel.build().session() as sender:
        return sender.send(item)


@pytest.mark.parametrize(
    ("phone", "e164"),
    [
        ("090-1234-5678", "+819012345678"),
        ("08012345678", "+818012345678"),
        ("070 1234 5678", "+817012345678"),
        ("０９０－１２３４－５６７８", "+819012345678"),  # full-width, as often typed
        ("(090)1234-5678", "+819012345678"),
        ("+81 90 1234 5678", "+819012345678"),
        ("+819012345678", "+819012345678"),
        ("0223-34-1111", ""),  # a landline (亘理町役場) cannot receive SMS
        ("0120-123-456", ""),
        ("050-1234-5678", ""),  # IP phone
        ("090-1234-567", ""),  # a digit short
        ("090-1234-56789", ""),
        ("", ""),
    ],
)
def test_only_japanese_mobile_numbers_are_used(phone: str, e164: str) -> None:
    assert sms_channel.mobile_number_e164(phone) == e164


def test_channel_is_off_without_a_gateway(settings: Any) -> None:
    settings.NOTIFY_SMS_GATEWAY = ""
    channel = sms_channel.build()

    assert channel.code == Channel.SMS
    assert not channel.can_reach(resident("090-1234-5678"))
    with pytest.raises(RuntimeError), channel.session():
        pass


def test_residents_with_a_mobile_number_can_be_reached(gateway: type[RecordingGateway]) -> None:
    channel = sms_channel.build()

    assert isinstance(channel.gateway, RecordingGateway)
    assert channel.can_reach(resident("090-1234-5678"))
    assert not channel.can_reach(resident("0223-34-1111"))
    assert not channel.can_reach(resident(""))
    assert not channel.can_reach(UserFactory.create())  # no resident profile


def test_send_hands_the_text_to_the_gateway(gateway: type[RecordingGateway]) -> None:
    result = send(outgoing(resident("080-1111-2222")))

    assert result == Result(DeliveryStatus.DELIVERED, provider_ref="sms-1")
    [(to, text, key)] = gateway.calls
    assert to == "+818011112222"
    assert text == ("避難指示\n荒浜地区に避難指示が出ました。\nhttps://town.example.jp/notify/30")
    assert key == "notify-delivery-3"


def test_gateway_failures_are_passed_on(gateway: type[RecordingGateway]) -> None:
    gateway.answer = Result(DeliveryStatus.PERMANENT_FAILURE, error="number not in service")

    result = send(outgoing(resident("090-1234-5678")))

    assert result.status == DeliveryStatus.PERMANENT_FAILURE
    assert result.error == "number not in service"


def test_a_resident_whose_number_is_gone_is_not_sent_to(gateway: type[RecordingGateway]) -> None:
    result = send(outgoing(resident("0223-34-1111")))

    assert result.status == DeliveryStatus.PERMANENT_FAILURE
    assert gateway.calls == []


def test_point_of_no_return_comes_just_before_the_hand_over(
    gateway: type[RecordingGateway],
) -> None:
    send(outgoing(resident("090-1234-5678")))

    assert gateway.events == ["point_of_no_return", "send_sms"]


def test_a_deduplicating_gateway_needs_no_point_of_no_return(
    gateway: type[RecordingGateway], settings: Any
) -> None:
    settings.NOTIFY_SMS_GATEWAY = DEDUPLICATING_GATEWAY

    send(outgoing(resident("090-1234-5678")))

    assert gateway.events == ["send_sms"]


def test_a_long_body_is_shortened_and_keeps_the_inbox_link(
    gateway: type[RecordingGateway],
) -> None:
    send(outgoing(resident("090-1234-5678"), body="川の水位が上がっています。" * 100))

    [(_, text, _)] = gateway.calls
    assert sms_channel.ucs2_length(text) == sms_channel.MAX_LENGTH
    assert text.startswith("避難指示\n川の水位が")
    assert text.endswith("…\nhttps://town.example.jp/notify/30")


def test_characters_outside_the_bmp_count_twice() -> None:
    user = UserFactory.create()
    text = sms_channel.sms_text(outgoing(user, subject="", inbox_url="", body="🌊" * 400))

    assert sms_channel.ucs2_length("🌊") == 2
    assert sms_channel.ucs2_length(text) <= sms_channel.MAX_LENGTH
    assert text == "🌊" * 329 + "…"


def test_an_overlong_subject_still_leaves_room_for_the_link() -> None:
    user = UserFactory.create()
    text = sms_channel.sms_text(outgoing(user, subject="件" * 700))

    assert sms_channel.ucs2_length(text) <= sms_channel.MAX_LENGTH
    assert text.endswith("\nhttps://town.example.jp/notify/30")


@pytest.mark.parametrize(
    ("length", "segments"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (660, 10)]
)
def test_segments_are_counted_as_carriers_bill_them(length: int, segments: int) -> None:
    assert sms_channel.segment_count("あ" * length) == segments
