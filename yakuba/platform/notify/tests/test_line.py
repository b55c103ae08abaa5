"""The LINE channel, its webhook and the account-link page, against a local stand-in for
api.line.me that keeps LINE's published contract (Messaging API reference; "Retry failed API
requests"; "User account linking")."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from yakuba.platform.notify.channels import Choice, Outgoing
from yakuba.platform.notify.channels import line as line_channel
from yakuba.platform.notify.models import (
    Channel,
    ConversationMessage,
    DeliveryStatus,
    LineLink,
    LineLinkNonce,
    LineWebhookEvent,
    Message,
    Question,
    Recipient,
    Reply,
)
from yakuba.platform.notify.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "test-channel-access-token"
SECRET = "test-channel-secret"


# --- A stand-in for api.line.me ------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeLine:
    """Answers like the Messaging API: Bearer token required, X-Line-Retry-Key must be a UUID and
    is executed once (a later request with an accepted key gets 409), multicast takes at most 500
    ids. `script` holds answers to give instead, in order: (status, json body) or "drop" (accept
    the request, then close the connection without answering)."""

    requests: list[Seen] = field(default_factory=list)
    script: deque[Any] = field(default_factory=deque)
    accepted: dict[str, str] = field(default_factory=dict)
    counter: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        self.requests.clear()
        self.script.clear()
        self.accepted.clear()
        self.counter = 0

    def answer(self, seen: Seen) -> tuple[int, dict[str, Any], dict[str, str]] | str:
        with self.lock:
            self.requests.append(seen)
            self.counter += 1
            request_id = f"req-{self.counter}"
            if seen.headers.get("authorization") != f"Bearer {TOKEN}":
                return 401, {"message": "Authentication failed due to the expired access token"}, {}
            key = seen.headers.get("x-line-retry-key")
            if key is not None:
                try:
                    uuid.UUID(key)
                except ValueError:
                    return (
                        400,
                        {"message": "The value for the 'X-Line-Retry-Key' header is invalid"},
                        {},
                    )
                if key in self.accepted:
                    return (
                        409,
                        {"message": "The retry key is already accepted", "sentMessages": []},
                        {"x-line-accepted-request-id": self.accepted[key]},
                    )
            if self.script:
                scripted = self.script.popleft()
                if scripted == "drop":
                    if key is not None:
                        self.accepted[key] = request_id
                    return "drop"
                status, body = scripted
                return status, body, {"x-line-request-id": request_id}
            if seen.path == "/v2/bot/message/multicast" and len(seen.body["to"]) > 500:
                return 400, {"message": "The request body has 1 error(s)"}, {}
            if key is not None:
                self.accepted[key] = request_id
            if seen.path.endswith("/linkToken"):
                return (
                    200,
                    {"linkToken": f"LinkToken{self.counter}"},
                    {"x-line-request-id": request_id},
                )
            return (
                200,
                {"sentMessages": [{"id": "1", "quoteToken": "q"}]},
                {"x-line-request-id": request_id},
            )

    def to(self, path: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.path == path]


def _handler(fake: FakeLine) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen = Seen(
                "POST",
                self.path,
                {name.lower(): value for name, value in self.headers.items()},
                json.loads(raw) if raw else None,
            )
            answer = fake.answer(seen)
            if answer == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            assert not isinstance(answer, str)
            status, body, headers = answer
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="module")
def line_server() -> Iterator[tuple[FakeLine, str]]:
    fake = FakeLine()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake_line(line_server: tuple[FakeLine, str], settings: Any) -> FakeLine:
    fake, base = line_server
    fake.reset()
    settings.NOTIFY_LINE_CHANNEL_ACCESS_TOKEN = TOKEN
    settings.NOTIFY_LINE_CHANNEL_SECRET = SECRET
    settings.NOTIFY_LINE_API_BASE = base
    settings.NOTIFY_PUBLIC_BASE_URL = ""
    return fake


# --- Helpers -------------------------------------------------------------------------------------


def linked_user(line_user_id: str = "U" + "a" * 32, *, blocked: bool = False) -> Any:
    user = UserFactory.create()
    LineLink.objects.create(
        user=user, line_user_id=line_user_id, blocked_at=timezone.now() if blocked else None
    )
    return user


def outgoing(user: Any, **changes: Any) -> Outgoing:
    values: dict[str, Any] = {
        "delivery_id": 7,
        "recipient_id": 42,
        "user": user,
        "language": "ja",
        "subject": "断水のお知らせ",
        "body": "明日10時から12時まで断水します。",
        "inbox_url": "https://town.example.jp/notify/42",
        "idempotency_key": "notify-delivery-7",
    }
    values.update(changes)
    return Outgoing(**values)


def send(item: Outgoing) -> Any:
    with line_channel.build().session() as sender:
        return sender.send(item)


def notice_for(user: Any, *, with_question: bool = True) -> tuple[Recipient, Question | None]:
    message = Message.objects.create(
        kind="notify.announcement",
        contents={"ja": {"subject": "件名", "body": "本文"}},
        status="sent",
    )
    recipient = Recipient.objects.create(message=message, user=user, language="ja")
    question = None
    if with_question:
        question = Question.objects.create(
            message=message,
            order=1,
            kind="choice",
            text={"ja": "ご無事ですか"},
            choices=[
                {"code": "safe", "label": {"ja": "無事です", "en": "I am safe"}},
                {"code": "help", "label": {"ja": "助けが必要です", "en": "I need help"}},
            ],
        )
    return recipient, question


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


_event_ids = iter(range(1, 10**6))


def event(kind: str, line_user_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "mode": "active",
        "timestamp": 1_700_000_000_000,
        "source": {"type": "user", "userId": line_user_id},
        "webhookEventId": f"01HEVENT{next(_event_ids):018d}",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": "reply-token-1" if kind != "unfollow" else None,
        **extra,
    }


def post_webhook(client: Client, *events: dict[str, Any], signature: str | None = "") -> Any:
    body = json.dumps({"destination": "Ubot", "events": list(events)}).encode()
    headers = {}
    if signature is not None:
        headers["x-line-signature"] = signature or sign(body)
    return client.post(
        reverse("notify:line_webhook"),
        data=body,
        content_type="application/json",
        headers=headers,
    )


def replied_texts(fake: FakeLine) -> list[str]:
    return [
        message["text"]
        for seen in fake.to("/v2/bot/message/reply")
        for message in seen.body["messages"]
    ]


# --- Sending -------------------------------------------------------------------------------------


def test_push_request_follows_the_messaging_api(fake_line: FakeLine) -> None:
    user = linked_user("U1234")

    result = send(outgoing(user))

    assert result.status == DeliveryStatus.DELIVERED
    [seen] = fake_line.requests
    assert seen.path == "/v2/bot/message/push"
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert seen.headers["content-type"] == "application/json"
    assert uuid.UUID(seen.headers["x-line-retry-key"])
    assert seen.body["to"] == "U1234"
    [text] = seen.body["messages"]
    assert text["type"] == "text"
    assert "断水のお知らせ" in text["text"]
    assert "明日10時から12時まで断水します。" in text["text"]
    assert text["text"].endswith("https://town.example.jp/notify/42")
    assert result.provider_ref == "req-1"


def test_retry_of_a_delivery_reuses_its_retry_key_and_counts_as_delivered(
    fake_line: FakeLine,
) -> None:
    user = linked_user()

    first = send(outgoing(user))
    again = send(outgoing(user))
    other = send(outgoing(user, delivery_id=8, idempotency_key="notify-delivery-8"))

    keys = [seen.headers["x-line-retry-key"] for seen in fake_line.requests]
    assert keys[0] == keys[1] != keys[2]
    assert first.status == DeliveryStatus.DELIVERED
    # LINE refused the repeat with 409: the first attempt got through, and nothing was sent twice.
    assert again.status == DeliveryStatus.DELIVERED
    assert again.provider_ref == first.provider_ref
    assert other.status == DeliveryStatus.DELIVERED


def test_an_engine_key_that_is_a_uuid_is_sent_as_it_is(fake_line: FakeLine) -> None:
    key = str(uuid.uuid4())

    send(outgoing(linked_user(), idempotency_key=key))

    assert fake_line.requests[0].headers["x-line-retry-key"] == key


def test_accepted_request_whose_answer_was_lost_is_not_sent_twice(fake_line: FakeLine) -> None:
    user = linked_user()
    fake_line.script.append("drop")

    lost = send(outgoing(user))
    retried = send(outgoing(user))

    assert lost.status == DeliveryStatus.TEMPORARY_FAILURE
    assert retried.status == DeliveryStatus.DELIVERED
    assert retried.provider_ref == "req-1"  # the request LINE had accepted


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (
            400,
            "The property, 'to', in the request body is invalid",
            DeliveryStatus.PERMANENT_FAILURE,
        ),
        (413, "Request Entity Too Large", DeliveryStatus.PERMANENT_FAILURE),
        (401, "Authentication failed", DeliveryStatus.TECHNICAL_FAILURE),
        (
            403,
            "Access to this API is not available for your account",
            DeliveryStatus.TECHNICAL_FAILURE,
        ),
        (429, "Too many requests", DeliveryStatus.TEMPORARY_FAILURE),
        (429, "You have reached your monthly limit.", DeliveryStatus.TECHNICAL_FAILURE),
        (500, "Internal server error", DeliveryStatus.TEMPORARY_FAILURE),
        (503, "Service unavailable", DeliveryStatus.TEMPORARY_FAILURE),
    ],
)
def test_line_answers_map_to_delivery_states(
    fake_line: FakeLine, status: int, message: str, expected: DeliveryStatus
) -> None:
    fake_line.script.append((status, {"message": message, "details": []}))

    result = send(outgoing(linked_user()))

    assert result.status == expected
    assert f"HTTP {status}" in result.error
    assert message in result.error


def test_validation_details_are_kept_in_the_error(fake_line: FakeLine) -> None:
    fake_line.script.append(
        (
            400,
            {
                "message": "The request body has 1 error(s)",
                "details": [{"message": "May not be empty", "property": "messages[0].text"}],
            },
        )
    )

    result = send(outgoing(linked_user()))

    assert result.status == DeliveryStatus.PERMANENT_FAILURE
    assert "messages[0].text: May not be empty" in result.error


def test_a_failed_attempt_does_not_use_up_the_retry_key(fake_line: FakeLine) -> None:
    user = linked_user()
    fake_line.script.append((500, {"message": "Internal server error"}))

    failed = send(outgoing(user))
    retried = send(outgoing(user))

    assert failed.status == DeliveryStatus.TEMPORARY_FAILURE
    assert retried.status == DeliveryStatus.DELIVERED
    assert retried.provider_ref == "req-2"


def test_unreachable_line_is_a_temporary_failure(settings: Any) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.NOTIFY_LINE_CHANNEL_ACCESS_TOKEN = TOKEN
    settings.NOTIFY_LINE_API_BASE = f"http://127.0.0.1:{port}"

    result = send(outgoing(linked_user()))

    assert result.status == DeliveryStatus.TEMPORARY_FAILURE
    assert "ConnectionError" in result.error


def test_a_blocked_account_is_not_pushed_to(fake_line: FakeLine) -> None:
    result = send(outgoing(linked_user(blocked=True)))

    assert result.status == DeliveryStatus.PERMANENT_FAILURE
    assert fake_line.requests == []


def test_choices_become_postback_buttons_naming_recipient_and_choice(fake_line: FakeLine) -> None:
    choices = (Choice("safe", "無事です"), Choice("help", "助けが必要です（けが人がいます）"))

    send(outgoing(linked_user(), choices=choices))

    _text, buttons = fake_line.requests[0].body["messages"]
    assert buttons["type"] == "template"
    assert buttons["template"]["type"] == "buttons"
    assert len(buttons["altText"]) <= 400
    assert len(buttons["template"]["text"]) <= 160
    actions = buttons["template"]["actions"]
    assert [parse_qs(action["data"]) for action in actions] == [
        {"r": ["42"], "c": ["safe"]},
        {"r": ["42"], "c": ["help"]},
    ]
    assert all(action["type"] == "postback" for action in actions)
    assert all(len(action["label"]) <= 20 for action in actions)
    assert actions[1]["displayText"] == "助けが必要です（けが人がいます）"


def test_more_than_four_choices_become_quick_replies(fake_line: FakeLine) -> None:
    choices = tuple(Choice(f"c{n}", f"選択肢{n}") for n in range(6))

    send(outgoing(linked_user(), choices=choices))

    [text] = fake_line.requests[0].body["messages"]
    items = text["quickReply"]["items"]
    assert [parse_qs(item["action"]["data"])["c"] for item in items] == [
        [f"c{n}"] for n in range(6)
    ]


def test_a_choice_code_too_long_for_postback_data_is_refused_before_sending(
    fake_line: FakeLine,
) -> None:
    result = send(outgoing(linked_user(), choices=(Choice("x" * 400, "はい"),)))

    assert result.status == DeliveryStatus.PERMANENT_FAILURE
    assert fake_line.requests == []


def test_a_long_body_is_cut_to_line_limit_and_keeps_the_inbox_link(fake_line: FakeLine) -> None:
    send(outgoing(linked_user(), body="あ" * 6000))

    text = fake_line.requests[0].body["messages"][0]["text"]
    assert len(text) == 5000
    assert "…" in text
    assert text.endswith("https://town.example.jp/notify/42")


def test_channel_is_off_without_an_access_token(fake_line: FakeLine, settings: Any) -> None:
    user = linked_user()
    assert line_channel.build().can_reach(user)

    settings.NOTIFY_LINE_CHANNEL_ACCESS_TOKEN = ""

    assert not line_channel.build().can_reach(user)


def test_only_residents_with_an_unblocked_link_can_be_reached(fake_line: FakeLine) -> None:
    channel = line_channel.build()

    assert channel.code == Channel.LINE
    assert channel.can_reach(linked_user("Ulinked"))
    assert not channel.can_reach(linked_user("Ublocked", blocked=True))
    assert not channel.can_reach(UserFactory.create())


def test_multicast_is_split_at_500_recipients(fake_line: FakeLine) -> None:
    ids = [f"U{n:032d}" for n in range(1201)]
    messages = [{"type": "text", "text": "避難指示が出ました"}]

    results = line_channel.build().multicast(ids, messages, "emergency-message-9")

    sent = fake_line.to("/v2/bot/message/multicast")
    assert [len(seen.body["to"]) for seen in sent] == [500, 500, 201]
    assert [recipient for seen in sent for recipient in seen.body["to"]] == ids
    assert all(seen.body["messages"] == messages for seen in sent)
    keys = [seen.headers["x-line-retry-key"] for seen in sent]
    assert len(set(keys)) == 3
    assert all(uuid.UUID(key) for key in keys)
    assert [result.status for result in results] == [DeliveryStatus.DELIVERED] * 3

    # Running it again sends nothing twice: each slice keeps its key, and LINE answers 409.
    fake_line.requests.clear()
    again = line_channel.build().multicast(ids, messages, "emergency-message-9")
    assert [seen.headers["x-line-retry-key"] for seen in fake_line.requests] == keys
    assert [result.status for result in again] == [DeliveryStatus.DELIVERED] * 3


# --- Webhook -------------------------------------------------------------------------------------


def test_well_signed_follow_clears_the_block(client: Client, fake_line: FakeLine) -> None:
    user = linked_user("Ufollow", blocked=True)

    response = post_webhook(client, event("follow", "Ufollow"))

    assert response.status_code == 200
    assert LineLink.objects.get(user=user).blocked_at is None


def test_unfollow_blocks_the_link(client: Client, fake_line: FakeLine) -> None:
    user = linked_user("Uunfollow")

    response = post_webhook(client, event("unfollow", "Uunfollow"))

    assert response.status_code == 200
    assert LineLink.objects.get(user=user).blocked_at is not None
    assert not line_channel.build().can_reach(user)


def test_a_wrong_signature_is_refused_and_changes_nothing(
    client: Client, fake_line: FakeLine
) -> None:
    user = linked_user("Uforged")
    body = json.dumps({"events": [event("unfollow", "Uforged")]}).encode()

    response = post_webhook(
        client, event("unfollow", "Uforged"), signature=sign(body, "another-secret")
    )

    assert response.status_code == 401
    assert LineWebhookEvent.objects.count() == 0
    assert LineLink.objects.get(user=user).blocked_at is None


def test_a_request_without_signature_is_refused(client: Client, fake_line: FakeLine) -> None:
    linked_user("Unosig")

    response = post_webhook(client, event("unfollow", "Unosig"), signature=None)

    assert response.status_code == 400
    assert LineWebhookEvent.objects.count() == 0


def test_webhook_is_closed_while_line_is_not_set_up(
    client: Client, fake_line: FakeLine, settings: Any
) -> None:
    settings.NOTIFY_LINE_CHANNEL_SECRET = ""
    body = json.dumps({"events": []}).encode()

    response = client.post(
        reverse("notify:line_webhook"),
        data=body,
        content_type="application/json",
        HTTP_X_LINE_SIGNATURE=sign(body, ""),
    )

    assert response.status_code == 404


def test_lines_verify_request_without_events_is_answered(
    client: Client, fake_line: FakeLine
) -> None:
    assert post_webhook(client).status_code == 200


def test_a_replayed_event_is_handled_once(client: Client, fake_line: FakeLine) -> None:
    user = linked_user("Ureplay")
    recipient, _ = notice_for(user)
    message = event(
        "message", "Ureplay", message={"type": "text", "id": "1", "text": "家は無事です"}
    )

    post_webhook(client, message)
    replayed = post_webhook(client, {**message, "deliveryContext": {"isRedelivery": True}})

    assert replayed.status_code == 200
    assert ConversationMessage.objects.filter(recipient=recipient).count() == 1
    assert LineWebhookEvent.objects.filter(event_id=message["webhookEventId"]).count() == 1


def test_one_bad_event_does_not_stop_the_others(client: Client, fake_line: FakeLine) -> None:
    user = linked_user("Ugood", blocked=True)
    broken = {**event("follow", "Ugood"), "source": "not an object"}

    response = post_webhook(client, broken, event("follow", "Ugood"))

    assert response.status_code == 200
    assert LineLink.objects.get(user=user).blocked_at is None


def test_a_signed_body_that_is_not_a_webhook_is_a_bad_request(
    client: Client, fake_line: FakeLine
) -> None:
    body = b"[1, 2"

    response = client.post(
        reverse("notify:line_webhook"),
        data=body,
        content_type="application/json",
        HTTP_X_LINE_SIGNATURE=sign(body),
    )

    assert response.status_code == 400


# Account link


def test_account_link_with_a_fresh_nonce_links_the_resident(
    client: Client, fake_line: FakeLine
) -> None:
    user = UserFactory.create()
    nonce = LineLinkNonce.objects.create(user=user, nonce="fresh-nonce-0123456789")

    response = post_webhook(
        client, event("accountLink", "Unew", link={"result": "ok", "nonce": nonce.nonce})
    )

    assert response.status_code == 200
    assert LineLink.objects.get(user=user).line_user_id == "Unew"
    nonce.refresh_from_db()
    assert nonce.used_at is not None
    assert "連携が完了しました" in replied_texts(fake_line)[0]
    assert fake_line.to("/v2/bot/message/reply")[0].body["replyToken"] == "reply-token-1"


def test_account_link_with_an_expired_nonce_is_refused(client: Client, fake_line: FakeLine) -> None:
    user = UserFactory.create()
    nonce = LineLinkNonce.objects.create(user=user, nonce="old-nonce-0123456789")
    LineLinkNonce.objects.filter(pk=nonce.pk).update(
        created_at=timezone.now() - timedelta(minutes=11)
    )

    post_webhook(client, event("accountLink", "Ulate", link={"result": "ok", "nonce": nonce.nonce}))

    assert not LineLink.objects.exists()
    assert "連携ができませんでした" in replied_texts(fake_line)[0]


def test_account_link_with_a_used_nonce_is_refused(client: Client, fake_line: FakeLine) -> None:
    user = UserFactory.create()
    nonce = LineLinkNonce.objects.create(
        user=user, nonce="used-nonce-0123456789", used_at=timezone.now()
    )

    post_webhook(client, event("accountLink", "Uused", link={"result": "ok", "nonce": nonce.nonce}))

    assert not LineLink.objects.exists()


def test_account_link_with_an_unknown_nonce_is_refused(client: Client, fake_line: FakeLine) -> None:
    post_webhook(
        client, event("accountLink", "Uguess", link={"result": "ok", "nonce": "made-up-nonce"})
    )

    assert not LineLink.objects.exists()


def test_a_failed_account_link_links_nobody(client: Client, fake_line: FakeLine) -> None:
    user = UserFactory.create()
    nonce = LineLinkNonce.objects.create(user=user, nonce="failed-nonce-0123456789")

    post_webhook(
        client, event("accountLink", "Ufail", link={"result": "failed", "nonce": nonce.nonce})
    )

    assert not LineLink.objects.exists()


def test_linking_again_replaces_the_earlier_link(client: Client, fake_line: FakeLine) -> None:
    old_owner = linked_user("Ushared")
    user = linked_user("Uold")
    nonce = LineLinkNonce.objects.create(user=user, nonce="switch-nonce-0123456789")

    post_webhook(
        client, event("accountLink", "Ushared", link={"result": "ok", "nonce": nonce.nonce})
    )

    assert LineLink.objects.get(user=user).line_user_id == "Ushared"
    assert not LineLink.objects.filter(user=old_owner).exists()


def test_an_unlinked_line_user_is_sent_a_link_url(
    client: Client, fake_line: FakeLine, settings: Any
) -> None:
    settings.NOTIFY_PUBLIC_BASE_URL = "https://town.example.jp"

    post_webhook(
        client, event("message", "Ustranger", message={"type": "text", "text": "こんにちは"})
    )

    [issue] = [seen for seen in fake_line.requests if seen.path.endswith("/linkToken")]
    assert issue.path == "/v2/bot/user/Ustranger/linkToken"
    assert issue.headers["authorization"] == f"Bearer {TOKEN}"
    assert "x-line-retry-key" not in issue.headers  # LINE refuses it outside the send APIs
    [text] = replied_texts(fake_line)
    assert "https://town.example.jp/notify/line/link?linkToken=LinkToken1" in text
    assert not ConversationMessage.objects.exists()


def test_a_new_friend_is_sent_a_link_url_built_from_the_request_host(
    client: Client, fake_line: FakeLine
) -> None:
    post_webhook(client, event("follow", "Unewfriend"))

    [text] = replied_texts(fake_line)
    assert "http://testserver/notify/line/link?linkToken=" in text


def test_a_redelivered_event_is_handled_without_a_reply(
    client: Client, fake_line: FakeLine
) -> None:
    user = linked_user("Uredeliver", blocked=True)

    post_webhook(client, {**event("follow", "Unobody"), "deliveryContext": {"isRedelivery": True}})
    post_webhook(
        client, {**event("follow", "Uredeliver"), "deliveryContext": {"isRedelivery": True}}
    )

    assert fake_line.requests == []
    assert LineLink.objects.get(user=user).blocked_at is None


# Answers and messages


def test_an_answer_button_from_the_linked_resident_records_the_reply(
    client: Client, fake_line: FakeLine
) -> None:
    user = linked_user("Uanswer")
    recipient, question = notice_for(user)
    data = line_channel.answer_postback_data(recipient.pk, "safe")

    response = post_webhook(client, event("postback", "Uanswer", postback={"data": data}))

    assert response.status_code == 200
    reply = Reply.objects.get(recipient=recipient)
    assert (reply.question, reply.choice, reply.channel) == (question, "safe", Channel.LINE)
    assert "回答を受け付けました" in replied_texts(fake_line)[0]


def test_an_answer_button_pressed_by_another_line_user_is_refused(
    client: Client, fake_line: FakeLine
) -> None:
    recipient, _ = notice_for(linked_user("Uowner"))
    linked_user("Uintruder")
    data = line_channel.answer_postback_data(recipient.pk, "help")

    response = post_webhook(client, event("postback", "Uintruder", postback={"data": data}))

    assert response.status_code == 200
    assert not Reply.objects.exists()
    assert replied_texts(fake_line) == []


def test_an_answer_that_was_not_offered_is_not_recorded(
    client: Client, fake_line: FakeLine
) -> None:
    user = linked_user("Uodd")
    recipient, _ = notice_for(user)
    data = line_channel.answer_postback_data(recipient.pk, "maybe")

    response = post_webhook(client, event("postback", "Uodd", postback={"data": data}))

    assert response.status_code == 200
    assert not Reply.objects.exists()


def test_a_text_from_a_linked_resident_joins_their_latest_notice(
    client: Client, fake_line: FakeLine
) -> None:
    user = linked_user("Uwriter")
    notice_for(user, with_question=False)  # an older notice
    latest, _ = notice_for(user, with_question=False)

    post_webhook(
        client,
        event("message", "Uwriter", message={"type": "text", "id": "5", "text": "水は出ますか"}),
    )

    [written] = ConversationMessage.objects.all()
    assert written.recipient == latest
    assert (written.author, written.body, written.from_staff, written.channel) == (
        user,
        "水は出ますか",
        False,
        Channel.LINE,
    )
    assert len(replied_texts(fake_line)) == 1


# --- The account-link page -----------------------------------------------------------------------


def test_link_page_needs_a_signed_in_resident(client: Client, fake_line: FakeLine) -> None:
    response = client.get(reverse("notify:line_link"), {"linkToken": "abc123"})

    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_link_page_explains_linking_and_asks_to_confirm(
    client: Client, fake_line: FakeLine
) -> None:
    user = UserFactory.create()
    client.force_login(user)

    response = client.get(
        reverse("notify:line_link"), {"linkToken": "NMZTNuVrPTqlr2IF8Bnymkb7rXfYv5EY"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "LINEアカウントとの連携" in page
    assert 'name="linkToken" value="NMZTNuVrPTqlr2IF8Bnymkb7rXfYv5EY"' in page
    assert 'method="post"' in page
    assert not LineLinkNonce.objects.exists()  # nothing happens before the resident confirms
    # The form is redirected to LINE, which browsers check against form-action.
    policy = response["Content-Security-Policy"]
    form_action = next(part for part in policy.split(";") if "form-action" in part)
    assert "'self'" in form_action
    assert "https://access.line.me" in form_action


def test_confirming_the_link_hands_over_to_line_with_a_fresh_nonce(
    client: Client, fake_line: FakeLine
) -> None:
    user = UserFactory.create()
    client.force_login(user)

    response = client.post(reverse("notify:line_link"), {"linkToken": "NMZTNuVrPTqlr2IF8"})

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        "https://access.line.me/dialog/bot/accountLink"
    )
    query = parse_qs(location.query)
    nonce = LineLinkNonce.objects.get(user=user)
    assert query == {"linkToken": ["NMZTNuVrPTqlr2IF8"], "nonce": [nonce.nonce]}
    assert 10 <= len(nonce.nonce) <= 255
    assert nonce.used_at is None


@pytest.mark.parametrize("link_token", ["", "bad token&nonce=mine", "x" * 300])
def test_link_page_without_a_link_token_from_line_does_nothing(
    client: Client, fake_line: FakeLine, link_token: str
) -> None:
    client.force_login(UserFactory.create())

    shown = client.get(reverse("notify:line_link"), {"linkToken": link_token})
    posted = client.post(reverse("notify:line_link"), {"linkToken": link_token})

    assert shown.status_code == posted.status_code == 400
    assert not LineLinkNonce.objects.exists()


def test_the_whole_link_flow_links_the_resident_who_confirmed(
    client: Client, fake_line: FakeLine
) -> None:
    user = UserFactory.create()
    client.force_login(user)
    redirect_to = client.post(reverse("notify:line_link"), {"linkToken": "Tok123"})["Location"]
    nonce = parse_qs(urlsplit(redirect_to).query)["nonce"][0]

    post_webhook(client, event("accountLink", "Uflow", link={"result": "ok", "nonce": nonce}))
    post_webhook(client, event("accountLink", "Uother", link={"result": "ok", "nonce": nonce}))

    assert LineLink.objects.get(user=user).line_user_id == "Uflow"
    assert LineLink.objects.count() == 1
