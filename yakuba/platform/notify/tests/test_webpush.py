"""Web Push: RFC 8291 encryption, RFC 8292 VAPID, the channel against a real HTTP server standing in
for a push service, and the subscribe/unsubscribe endpoints."""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import include, path, reverse
from django.utils import timezone
from django.utils.crypto import get_random_string

from yakuba.platform.notify.channels import Choice, Outgoing, Result
from yakuba.platform.notify.channels.webpush import (
    WebPushChannel,
    build,
    encrypt_payload,
    load_vapid,
    vapid_public_key,
)
from yakuba.platform.notify.models import Channel, DeliveryStatus, PushSubscription
from yakuba.platform.notify.tests.factories import UserFactory

# The endpoints under their real prefix and namespace, whatever else notify mounts.
urlpatterns = [path("notify/push/", include(("yakuba.platform.notify.push_urls", "notify")))]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

SUBJECT = "mailto:bousai@town.example.jp"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_bytes(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def private_key_from_scalar(text: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(unb64url(text), "big"), ec.SECP256R1())


# --- RFC 8291 §5 "Push Message Encryption Example" (intermediate values in Appendix A) ------------

RFC_PLAINTEXT = b"When I grow up, I want to be a watermelon"
RFC_AUTH_SECRET = "BTBZMqHH6r4Tts7J_aSIgg"
RFC_UA_PRIVATE = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
RFC_UA_PUBLIC = (
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
)
RFC_AS_PRIVATE = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
RFC_AS_PUBLIC = (
    "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
)
RFC_SALT = "DGv6ra1nlYgDCS1FRnbzlw"
RFC_BODY = (
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6Tlz"
    "AC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
)


def test_encryption_with_the_rfc_8291_inputs_gives_the_rfc_body() -> None:
    sender = private_key_from_scalar(RFC_AS_PRIVATE)
    assert b64url(public_bytes(sender)) == RFC_AS_PUBLIC

    body = encrypt_payload(
        RFC_PLAINTEXT,
        p256dh=RFC_UA_PUBLIC,
        auth=RFC_AUTH_SECRET,
        sender_key=sender,
        salt=unb64url(RFC_SALT),
    )

    assert b64url(body) == RFC_BODY


def test_the_rfc_8291_body_decrypts_to_its_plaintext_with_the_user_agent_key() -> None:
    receiver = private_key_from_scalar(RFC_UA_PRIVATE)
    assert b64url(public_bytes(receiver)) == RFC_UA_PUBLIC
    body = unb64url(RFC_BODY)
    # RFC 8188 §2.1 header: salt, record size 4096, then the sender's public key as key id.
    assert body[:16] == unb64url(RFC_SALT)
    assert int.from_bytes(body[16:20], "big") == 4096
    assert body[21 : 21 + body[20]] == unb64url(RFC_AS_PUBLIC)

    plaintext = http_ece.decrypt(
        body, private_key=receiver, auth_secret=unb64url(RFC_AUTH_SECRET), version="aes128gcm"
    )

    assert plaintext == RFC_PLAINTEXT


def test_the_rfc_8291_body_does_not_decrypt_with_another_auth_secret() -> None:
    with pytest.raises(http_ece.ECEException):
        http_ece.decrypt(
            unb64url(RFC_BODY),
            private_key=private_key_from_scalar(RFC_UA_PRIVATE),
            auth_secret=bytes(16),
            version="aes128gcm",
        )


# --- A push service on 127.0.0.1 ------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushService:
    """The stand-in push service. An endpoint's path says how it answers: /push/<status>/<name>;
    /slow/<name> answers 201 after two seconds."""

    origin: str
    received: list[Received] = field(default_factory=list)

    def endpoint(self, status: int | str, name: str = "browser") -> str:
        if status == "slow":
            return f"{self.origin}/slow/{name}"
        return f"{self.origin}/push/{status}/{name}"


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService(origin="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            service.received.append(Received(self.path, dict(self.headers.items()), body))
            parts = self.path.strip("/").split("/")
            if parts[0] == "slow":
                time.sleep(2)
                status = 201
            else:
                status = int(parts[1])
            self.send_response(status)
            if status == 201:
                self.send_header("Location", f"{service.origin}/message/{len(service.received)}")
            if status == 429:
                self.send_header("Retry-After", "60")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    service.origin = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def vapid(settings: Any) -> ec.EllipticCurvePrivateKey:
    """The town's VAPID key, configured as PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    settings.NOTIFY_VAPID_PRIVATE_KEY = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    settings.NOTIFY_VAPID_PUBLIC_KEY = b64url(public_bytes(key))
    settings.NOTIFY_VAPID_SUBJECT = SUBJECT
    return key


@dataclass
class Browser:
    """A browser's side of a subscription: the keys it would decrypt with."""

    subscription: PushSubscription
    key: ec.EllipticCurvePrivateKey
    auth: bytes

    def decrypt(self, body: bytes) -> Any:
        plaintext = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plaintext)


def subscribe_browser(user: Any, endpoint: str) -> Browser:
    key = ec.generate_private_key(ec.SECP256R1())
    auth = os.urandom(16)
    subscription = PushSubscription.objects.create(
        user=user, endpoint=endpoint, p256dh=b64url(public_bytes(key)), auth=b64url(auth)
    )
    return Browser(subscription, key, auth)


@dataclass
class Sent:
    result: Result
    # How many requests the push service had received when the point of no return was called.
    point_of_no_return_after: list[int]


def send(
    user: Any,
    push_service: PushService,
    *,
    emergency: bool = False,
    timeout: float = 5.0,
    **fields: Any,
) -> Sent:
    calls: list[int] = []
    outgoing = Outgoing(
        delivery_id=42,
        recipient_id=7,
        user=user,
        language="ja",
        subject=fields.pop("subject", "断水のお知らせ"),
        body=fields.pop("body", "明日の午前9時から正午まで、荒浜地区で断水します。"),
        inbox_url="https://town.example.jp/notify/7/",
        is_emergency=emergency,
        point_of_no_return=lambda: calls.append(len(push_service.received)),
        **fields,
    )
    with WebPushChannel(timeout=timeout).session() as sender:
        result = sender.send(outgoing)
    return Sent(result, calls)


def refreshed(browser: Browser) -> PushSubscription:
    browser.subscription.refresh_from_db()
    return browser.subscription


# --- What the push service receives ---------------------------------------------------------------


def test_push_request_has_rfc_8030_headers_and_a_body_only_the_browser_can_read(
    vapid: Any, push_service: PushService
) -> None:
    user = UserFactory.create()
    browser = subscribe_browser(user, push_service.endpoint(201))

    sent = send(
        user,
        push_service,
        body="あ" * 300,
        choices=(Choice("safe", "無事です"), Choice("help", "助けが必要です")),
    )

    assert sent.result.status == DeliveryStatus.DELIVERED
    assert sent.result.provider_ref == f"{push_service.origin}/message/1"
    [request] = push_service.received
    assert request.headers["Content-Encoding"] == "aes128gcm"
    assert request.headers["TTL"] == str(24 * 60 * 60)
    assert request.headers["Urgency"] == "normal"
    assert request.headers["Topic"] == "delivery-42"
    assert request.headers["Authorization"].startswith("vapid t=")
    payload = browser.decrypt(request.body)
    assert payload["title"] == "断水のお知らせ"
    assert payload["body"] == "あ" * 199 + "…"
    assert payload["url"] == "https://town.example.jp/notify/7/"
    assert payload["tag"] == "delivery-42"
    assert payload["urgent"] is False
    assert payload["actions"] == [
        {"action": "safe", "title": "無事です"},
        {"action": "help", "title": "助けが必要です"},
    ]
    with pytest.raises(http_ece.ECEException):
        # Another browser's keys cannot read it.
        subscribe_browser(UserFactory.create(), push_service.endpoint(201, "other")).decrypt(
            request.body
        )


def test_emergency_push_is_urgent_and_kept_longer(vapid: Any, push_service: PushService) -> None:
    user = UserFactory.create()
    browser = subscribe_browser(user, push_service.endpoint(201))

    sent = send(user, push_service, emergency=True, subject="避難指示")

    assert sent.result.status == DeliveryStatus.DELIVERED
    [request] = push_service.received
    assert request.headers["Urgency"] == "high"
    assert request.headers["TTL"] == str(3 * 24 * 60 * 60)
    assert browser.decrypt(request.body)["urgent"] is True


def jwt_parts(authorization: str) -> tuple[dict[str, Any], dict[str, Any], str, str]:
    """(header, claims, signing input, k) of an RFC 8292 `vapid t=…, k=…` header."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid"
    values = dict(part.strip().split("=", 1) for part in params.split(","))
    header, claims, signature = values["t"].split(".")
    return (
        json.loads(unb64url(header)),
        json.loads(unb64url(claims)),
        f"{header}.{claims}.{signature}",
        values["k"],
    )


def verify_es256(token: str, public_key: ec.EllipticCurvePublicKey) -> None:
    """RFC 7515 §A.3: the signature is r || s, 32 bytes each; raises InvalidSignature."""
    header, claims, signature = token.split(".")
    raw = unb64url(signature)
    assert len(raw) == 64
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public_key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))


def test_vapid_token_names_the_push_service_and_is_signed_by_the_town(
    vapid: ec.EllipticCurvePrivateKey, push_service: PushService
) -> None:
    user = UserFactory.create()
    subscribe_browser(user, push_service.endpoint(201))

    send(user, push_service)

    [request] = push_service.received
    header, claims, token, k = jwt_parts(request.headers["Authorization"])
    assert header == {"typ": "JWT", "alg": "ES256"}
    assert claims["aud"] == push_service.origin  # the origin of the endpoint, no path
    assert time.time() < claims["exp"] <= time.time() + 24 * 60 * 60
    assert claims["sub"] == SUBJECT
    assert k == b64url(public_bytes(vapid))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(k))
    verify_es256(token, key)
    # The check can fail: another key, or changed claims, do not verify.
    with pytest.raises(InvalidSignature):
        verify_es256(token, ec.generate_private_key(ec.SECP256R1()).public_key())
    forged = dict(claims, aud="https://fcm.googleapis.com")
    head, _, signature = token.split(".")
    with pytest.raises(InvalidSignature):
        verify_es256(f"{head}.{b64url(json.dumps(forged).encode())}.{signature}", key)


def test_vapid_key_may_be_given_as_raw_base64url(settings: Any, push_service: PushService) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    settings.NOTIFY_VAPID_PRIVATE_KEY = b64url(key.private_numbers().private_value.to_bytes(32))
    settings.NOTIFY_VAPID_PUBLIC_KEY = ""
    settings.NOTIFY_VAPID_SUBJECT = SUBJECT
    user = UserFactory.create()
    subscribe_browser(user, push_service.endpoint(201))

    assert send(user, push_service).result.status == DeliveryStatus.DELIVERED
    # The key browsers get is derived from the private key when it is not configured.
    assert vapid_public_key() == b64url(public_bytes(key))
    *_, k = jwt_parts(push_service.received[0].headers["Authorization"])
    assert k == vapid_public_key()


def test_vapid_pem_from_an_environment_variable_with_escaped_newlines(
    settings: Any, vapid: ec.EllipticCurvePrivateKey
) -> None:
    settings.NOTIFY_VAPID_PRIVATE_KEY = settings.NOTIFY_VAPID_PRIVATE_KEY.replace("\n", "\\n")

    assert load_vapid().public_key.public_numbers() == vapid.public_key().public_numbers()


# --- The push service's answers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected", "expires"),
    [
        (201, DeliveryStatus.DELIVERED, False),
        (202, DeliveryStatus.DELIVERED, False),
        (404, DeliveryStatus.PERMANENT_FAILURE, True),
        (410, DeliveryStatus.PERMANENT_FAILURE, True),
        (413, DeliveryStatus.PERMANENT_FAILURE, False),
        (429, DeliveryStatus.TEMPORARY_FAILURE, False),
        (500, DeliveryStatus.TEMPORARY_FAILURE, False),
        (502, DeliveryStatus.TEMPORARY_FAILURE, False),
        (503, DeliveryStatus.TEMPORARY_FAILURE, False),
        (400, DeliveryStatus.TECHNICAL_FAILURE, False),
        (401, DeliveryStatus.TECHNICAL_FAILURE, False),
        (403, DeliveryStatus.TECHNICAL_FAILURE, False),
    ],
)
def test_push_service_answer_gives_the_delivery_status(
    vapid: Any,
    push_service: PushService,
    answer: int,
    expected: DeliveryStatus,
    expires: bool,
) -> None:
    user = UserFactory.create()
    browser = subscribe_browser(user, push_service.endpoint(answer))

    sent = send(user, push_service)

    assert sent.result.status == expected
    assert len(push_service.received) == 1
    assert (refreshed(browser).expired_at is not None) is expires
    if expected != DeliveryStatus.DELIVERED:
        assert str(answer) in sent.result.error
        assert "127.0.0.1" in sent.result.error
        assert "/push/" not in sent.result.error  # the endpoint's path is a secret


def test_push_service_that_refuses_connections_is_a_temporary_failure(vapid: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there
    user = UserFactory.create()
    browser = subscribe_browser(user, f"http://127.0.0.1:{port}/push/1")

    with WebPushChannel(timeout=2).session() as sender:
        result = sender.send(
            Outgoing(1, 1, user, "ja", "件名", "本文", "https://town.example.jp/notify/1/")
        )

    assert result.status == DeliveryStatus.TEMPORARY_FAILURE
    assert "ConnectionError" in result.error
    assert refreshed(browser).expired_at is None


def test_push_service_that_does_not_answer_in_time_is_a_temporary_failure(
    vapid: Any, push_service: PushService
) -> None:
    user = UserFactory.create()
    subscribe_browser(user, push_service.endpoint("slow"))

    started = time.monotonic()
    sent = send(user, push_service, timeout=0.3)

    assert sent.result.status == DeliveryStatus.TEMPORARY_FAILURE
    assert "Timeout" in sent.result.error
    assert time.monotonic() - started < 1.5


# --- Several browsers -----------------------------------------------------------------------------


def test_one_browser_reached_is_a_delivery_and_the_gone_one_expires(
    vapid: Any, push_service: PushService
) -> None:
    user = UserFactory.create()
    gone = subscribe_browser(user, push_service.endpoint(410, "old-phone"))
    live = subscribe_browser(user, push_service.endpoint(201, "pc"))

    sent = send(user, push_service)

    assert sent.result.status == DeliveryStatus.DELIVERED
    assert refreshed(gone).expired_at is not None
    assert refreshed(live).expired_at is None
    assert WebPushChannel().can_reach(user)


def test_when_every_browser_is_gone_the_failure_is_permanent(
    vapid: Any, push_service: PushService
) -> None:
    user = UserFactory.create()
    first = subscribe_browser(user, push_service.endpoint(410, "a"))
    second = subscribe_browser(user, push_service.endpoint(404, "b"))

    sent = send(user, push_service)

    assert sent.result.status == DeliveryStatus.PERMANENT_FAILURE
    assert refreshed(first).expired_at is not None
    assert refreshed(second).expired_at is not None
    assert not WebPushChannel().can_reach(user)
    # Expired subscriptions are not tried again.
    push_service.received.clear()
    again = send(user, push_service)
    assert again.result.status == DeliveryStatus.PERMANENT_FAILURE
    assert push_service.received == []
    assert again.point_of_no_return_after == []


def test_a_gone_browser_and_a_busy_one_is_retried(vapid: Any, push_service: PushService) -> None:
    user = UserFactory.create()
    subscribe_browser(user, push_service.endpoint(410, "a"))
    busy = subscribe_browser(user, push_service.endpoint(503, "b"))

    sent = send(user, push_service)

    assert sent.result.status == DeliveryStatus.TEMPORARY_FAILURE
    assert refreshed(busy).expired_at is None


def test_point_of_no_return_comes_just_before_the_last_browser(
    vapid: Any, push_service: PushService
) -> None:
    user = UserFactory.create()
    for name in ("phone", "tablet", "pc"):
        subscribe_browser(user, push_service.endpoint(201, name))

    sent = send(user, push_service)

    assert sent.result.status == DeliveryStatus.DELIVERED
    assert sent.point_of_no_return_after == [2]
    assert len(push_service.received) == 3
    # Every copy carries the same Topic, so a repeat after a crash replaces the first.
    assert {r.headers["Topic"] for r in push_service.received} == {"delivery-42"}


def test_a_subscription_with_unusable_keys_expires_without_a_request(
    vapid: Any, push_service: PushService
) -> None:
    user = UserFactory.create()
    broken = PushSubscription.objects.create(
        user=user, endpoint=push_service.endpoint(201), p256dh="AAAA", auth="AAAA"
    )

    sent = send(user, push_service)

    assert sent.result.status == DeliveryStatus.PERMANENT_FAILURE
    assert "unusable keys" in sent.result.error
    broken.refresh_from_db()
    assert broken.expired_at is not None
    assert push_service.received == []
    assert sent.point_of_no_return_after == []


# --- Reach and configuration ----------------------------------------------------------------------


def test_channel_reaches_only_residents_with_a_live_subscription(
    vapid: Any, push_service: PushService
) -> None:
    channel = build()
    with_live = UserFactory.create()
    subscribe_browser(with_live, push_service.endpoint(201, "live"))
    with_expired = UserFactory.create()
    expired = subscribe_browser(with_expired, push_service.endpoint(201, "expired"))
    PushSubscription.objects.filter(pk=expired.subscription.pk).update(expired_at=timezone.now())
    without = UserFactory.create()

    assert channel.code == Channel.WEB_PUSH
    assert channel.can_reach(with_live)
    assert not channel.can_reach(with_expired)
    assert not channel.can_reach(without)
    assert channel.reachable([with_live, with_expired, without]) == {with_live.pk}


def test_channel_is_off_without_a_vapid_key(settings: Any, push_service: PushService) -> None:
    settings.NOTIFY_VAPID_PRIVATE_KEY = ""
    user = UserFactory.create()
    subscribe_browser(user, push_service.endpoint(201))

    assert not build().can_reach(user)
    assert build().reachable([user]) == set()
    assert vapid_public_key() == ""
    sent = send(user, push_service)
    assert sent.result.status == DeliveryStatus.TECHNICAL_FAILURE
    assert push_service.received == []


def test_a_public_key_that_does_not_match_the_private_key_is_a_technical_failure(
    settings: Any, vapid: Any, push_service: PushService
) -> None:
    settings.NOTIFY_VAPID_PUBLIC_KEY = b64url(public_bytes(ec.generate_private_key(ec.SECP256R1())))
    user = UserFactory.create()
    subscribe_browser(user, push_service.endpoint(201))

    sent = send(user, push_service)

    assert sent.result.status == DeliveryStatus.TECHNICAL_FAILURE
    assert "NOTIFY_VAPID_PUBLIC_KEY" in sent.result.error
    assert push_service.received == []


def test_a_missing_vapid_subject_is_a_technical_failure(
    settings: Any, vapid: Any, push_service: PushService
) -> None:
    settings.NOTIFY_VAPID_SUBJECT = ""
    user = UserFactory.create()
    subscribe_browser(user, push_service.endpoint(201))

    sent = send(user, push_service)

    assert sent.result.status == DeliveryStatus.TECHNICAL_FAILURE
    assert "NOTIFY_VAPID_SUBJECT" in sent.result.error
    assert push_service.received == []


# --- Subscribing and unsubscribing ----------------------------------------------------------------


def browser_json(endpoint: str = "https://fcm.googleapis.com/fcm/send/abc123") -> dict[str, Any]:
    key = ec.generate_private_key(ec.SECP256R1())
    return {
        "endpoint": endpoint,
        "expirationTime": None,
        "keys": {"p256dh": b64url(public_bytes(key)), "auth": b64url(os.urandom(16))},
    }


def post_json(client: Client, name: str, data: Any, **extra: Any) -> Any:
    return client.post(
        reverse(f"notify:{name}"), json.dumps(data), content_type="application/json", **extra
    )


def test_resident_subscribes_a_browser(client: Client, vapid: Any) -> None:
    user = UserFactory.create()
    client.force_login(user)
    data = browser_json()

    response = post_json(client, "push_subscribe", data, HTTP_USER_AGENT="Firefox/140")

    assert response.status_code == 201
    assert response.json() == {"subscribed": True}
    subscription = PushSubscription.objects.get()
    assert subscription.user == user
    assert subscription.endpoint == data["endpoint"]
    assert subscription.p256dh == data["keys"]["p256dh"]
    assert subscription.auth == data["keys"]["auth"]
    assert subscription.user_agent == "Firefox/140"


def test_subscribing_again_updates_the_browser_and_makes_it_live(
    client: Client, vapid: Any
) -> None:
    first_user, user = UserFactory.create(), UserFactory.create()
    endpoint = "https://updates.push.services.mozilla.com/wpush/v2/gAAAA"
    old = PushSubscription.objects.create(
        user=first_user, endpoint=endpoint, p256dh="x", auth="y", expired_at=timezone.now()
    )
    client.force_login(user)
    data = browser_json(endpoint)

    assert post_json(client, "push_subscribe", data).status_code == 201

    subscription = PushSubscription.objects.get()
    assert subscription.pk == old.pk
    assert subscription.user == user  # the browser belongs to whoever subscribed last
    assert subscription.p256dh == data["keys"]["p256dh"]
    assert subscription.expired_at is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"endpoint": "http://fcm.googleapis.com/fcm/send/abc"}, "https://"),
        ({"endpoint": "https://intranet.town.example/admin"}, "対応していません"),
        ({"endpoint": "https://user:pw@fcm.googleapis.com/fcm/send/a"}, "対応していません"),
        ({"endpoint": "not a url"}, "https://"),
        ({"endpoint": None}, "endpoint"),
        ({"keys": None}, "keys"),
        ({"keys": {"p256dh": b64url(b"\x04" + bytes(63)), "auth": b64url(bytes(16))}}, "p256dh"),
        ({"keys": {"p256dh": b64url(b"\x04" + bytes(64)), "auth": b64url(bytes(16))}}, "p256dh"),
        ({"keys": {"p256dh": "***", "auth": b64url(bytes(16))}}, "p256dh"),
        ({"keys": {"auth": b64url(bytes(16))}}, "p256dh"),
        ({"auth": 15}, "auth"),
        ({"auth": 17}, "auth"),
    ],
)
def test_a_bad_subscription_is_refused_with_a_message(
    client: Client, vapid: Any, change: dict[str, Any], message: str
) -> None:
    client.force_login(UserFactory.create())
    data = browser_json()
    if "auth" in change:
        data["keys"]["auth"] = b64url(os.urandom(change["auth"]))
    else:
        data.update(change)

    response = post_json(client, "push_subscribe", data)

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not PushSubscription.objects.exists()


def test_a_body_that_is_not_json_is_refused(client: Client, vapid: Any) -> None:
    client.force_login(UserFactory.create())

    response = client.post(
        reverse("notify:push_subscribe"), "endpoint=x", content_type="application/json"
    )

    assert response.status_code == 400
    assert "JSON" in response.json()["error"]


def test_an_anonymous_visitor_cannot_subscribe(client: Client, vapid: Any) -> None:
    response = post_json(client, "push_subscribe", browser_json())

    assert response.status_code == 403
    assert "ログイン" in response.json()["error"]
    assert not PushSubscription.objects.exists()


def test_subscribing_needs_the_csrf_token(vapid: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory.create())
    secret = get_random_string(32)
    client.cookies["csrftoken"] = secret

    refused = post_json(client, "push_subscribe", browser_json())
    accepted = post_json(client, "push_subscribe", browser_json(), HTTP_X_CSRFTOKEN=secret)

    assert refused.status_code == 403
    assert accepted.status_code == 201
    assert PushSubscription.objects.count() == 1


def test_subscribing_is_refused_while_web_push_is_off(client: Client, settings: Any) -> None:
    settings.NOTIFY_VAPID_PRIVATE_KEY = ""
    client.force_login(UserFactory.create())

    response = post_json(client, "push_subscribe", browser_json())

    assert response.status_code == 404
    assert not PushSubscription.objects.exists()


def test_resident_unsubscribes_their_own_browser_only(client: Client, vapid: Any) -> None:
    user, neighbour = UserFactory.create(), UserFactory.create()
    mine = PushSubscription.objects.create(
        user=user, endpoint="https://fcm.googleapis.com/fcm/send/mine", p256dh="x", auth="y"
    )
    theirs = PushSubscription.objects.create(
        user=neighbour, endpoint="https://fcm.googleapis.com/fcm/send/theirs", p256dh="x", auth="y"
    )
    client.force_login(user)

    response = post_json(client, "push_unsubscribe", {"endpoint": theirs.endpoint})
    assert response.status_code == 200
    assert PushSubscription.objects.filter(pk=theirs.pk).exists()

    response = post_json(client, "push_unsubscribe", {"endpoint": mine.endpoint})
    assert response.json() == {"subscribed": False}
    assert not PushSubscription.objects.filter(pk=mine.pk).exists()

    assert post_json(client, "push_unsubscribe", {}).status_code == 400


def test_an_anonymous_visitor_cannot_unsubscribe(client: Client) -> None:
    subscription = PushSubscription.objects.create(
        user=UserFactory.create(), endpoint="https://fcm.googleapis.com/a", p256dh="x", auth="y"
    )

    response = post_json(client, "push_unsubscribe", {"endpoint": subscription.endpoint})

    assert response.status_code == 403
    assert PushSubscription.objects.filter(pk=subscription.pk).exists()


# --- The service worker, the public key and the button --------------------------------------------


def test_service_worker_may_control_the_whole_site(client: Client) -> None:
    response = client.get(reverse("notify:push_service_worker"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert b"showNotification" in response.content
    assert b"notificationclick" in response.content


def test_public_key_is_given_only_when_web_push_is_on(
    client: Client, settings: Any, vapid: ec.EllipticCurvePrivateKey
) -> None:
    response = client.get(reverse("notify:push_public_key"))
    assert response.json() == {"publicKey": b64url(public_bytes(vapid))}

    settings.NOTIFY_VAPID_PRIVATE_KEY = ""
    assert client.get(reverse("notify:push_public_key")).status_code == 404


def page_request() -> Any:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    return request


def test_button_renders_nothing_without_a_public_key() -> None:
    request = page_request()

    html = render_to_string("notify/push_button.html", {"vapid_public_key": ""}, request=request)

    assert html.strip() == ""


def test_button_carries_what_its_script_needs_and_no_inline_script() -> None:
    request = page_request()

    html = render_to_string(
        "notify/push_button.html", {"vapid_public_key": "BKEY"}, request=request
    )

    assert 'data-public-key="BKEY"' in html
    assert f'data-subscribe="{reverse("notify:push_subscribe")}"' in html
    assert f'data-service-worker="{reverse("notify:push_service_worker")}"' in html
    assert 'data-csrf-token="' in html and 'data-csrf-token=""' not in html
    assert " hidden" in html  # shown by push.js only where Web Push works
    assert '<script src="/static/notify/push.js" defer></script>' in html
    assert html.count("<script") == 1
