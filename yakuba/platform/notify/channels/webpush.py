"""Web Push (ブラウザのプッシュ通知): RFC 8030 delivery, RFC 8291 encryption, RFC 8292 VAPID.

A resident allows notifications in a browser; the browser gives us a subscription (an endpoint URL
at its push service, plus the keys `p256dh` and `auth`), which `save_subscription` keeps as a
`PushSubscription`. To notify the resident we encrypt a small JSON payload for each live
subscription (aes128gcm, RFC 8188/8291) and POST it to the endpoint, signed with the town's VAPID
key so that the push service knows who sends.

Settings (read when a batch starts, so tests and the admin can change them):

- ``NOTIFY_VAPID_PRIVATE_KEY``: the VAPID signing key, PEM or base64url (raw 32 bytes or DER).
  Empty: the channel is off (`can_reach` is False for everyone).
- ``NOTIFY_VAPID_PUBLIC_KEY``: the matching public key, base64url of the uncompressed point, given
  to browsers as `applicationServerKey`. May be left empty: it is then derived from the private key.
  When set, it must match the private key, or every send fails as a technical failure (a browser
  subscribed with another key is refused by its push service with 403 anyway).
- ``NOTIFY_VAPID_SUBJECT``: how the push service can reach the town, ``mailto:`` or ``https:``.
- ``NOTIFY_PUSH_SERVICE_HOSTS``: the push services a subscription may point at (host names; a
  subdomain of one counts). We POST to whatever endpoint a browser gave us, so without this list a
  signed-in user could make the server send requests into the town's own network.

Exactly one copy, or at least one? A resident may have several browsers (phone and PC). We call
`Outgoing.point_of_no_return()` just before the POST to the *last* live subscription, so the
delivery is at-least-once per device: if a worker dies after posting to the phone but before the
PC, the delivery is still `sending`, is sent again, and the phone is asked a second time. That
repeat is harmless: it carries the same `Topic` header (RFC 8030 §5.4), so while the first copy is
still waiting at the push service the second replaces it, and the same notification `tag`, so a
copy already shown is replaced on screen rather than stacked. Calling it before the first POST
instead (at-most-once) would, in the same crash, leave the PC without the message for good, which
is the wrong trade for an evacuation order.

Why not pywebpush's `webpush()`: it picks its own ephemeral key and salt, so its encryption cannot
be checked against RFC 8291's published example, and it hides the POST, so the point of no return
could not be placed right before it. We use the libraries underneath it (http_ece, py_vapid) and a
`requests.Session` shared by a batch.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import http_ece
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from py_vapid import Vapid, VapidException

from yakuba.platform.notify.channels import Outgoing, Result
from yakuba.platform.notify.models import Channel, DeliveryStatus, PushSubscription

logger = logging.getLogger(__name__)

# Push services of the browsers residents use: Chrome, Edge, Firefox, Safari (and the browsers
# built on them). Overridden by NOTIFY_PUSH_SERVICE_HOSTS.
DEFAULT_PUSH_SERVICE_HOSTS = (
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "push.apple.com",
    "notify.windows.com",
)

# How long the push service keeps a message for a device that is offline (RFC 8030 §5.2). An
# emergency must still reach a phone that was switched off or without power for a while; an
# ordinary notice is waiting in the inbox anyway.
EMERGENCY_TTL_SECONDS = 3 * 24 * 60 * 60
NORMAL_TTL_SECONDS = 24 * 60 * 60
# The notification shows a short text; the full message is in the inbox.
TITLE_LENGTH = 100
BODY_LENGTH = 200
ACTION_LENGTH = 40
# More choices than this are answered in the inbox (the service worker shows buttons only when
# the browser can show all of them).
MAX_ACTIONS = 10
# A VAPID token may live at most 24 hours (RFC 8292 §2); we sign for 12 and renew before the end.
VAPID_TOKEN_SECONDS = 12 * 60 * 60
# Connect and read timeouts for one POST, so a stuck push service cannot hold a worker.
DEFAULT_TIMEOUT_SECONDS = 10.0

P256DH_LENGTH = 65  # an uncompressed P-256 point: 0x04, x, y
AUTH_LENGTH = 16  # RFC 8291 §3.2


# --- Subscriptions (登録) -------------------------------------------------------------------------


def decode_base64url(text: object) -> bytes:
    """Decode unpadded base64url (RFC 4648 §5), as browsers give the subscription keys.
    ValueError if it is not."""
    if not isinstance(text, str) or not text.isascii():
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as error:
        raise ValueError("not base64url") from error


def encode_base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def is_push_service_host(host: str) -> bool:
    allowed = getattr(settings, "NOTIFY_PUSH_SERVICE_HOSTS", DEFAULT_PUSH_SERVICE_HOSTS)
    host = host.lower()
    return any(host == name or host.endswith("." + name) for name in allowed)


def clean_subscription(data: Any) -> tuple[str, str, str]:
    """Check a browser's `PushSubscription.toJSON()` and return (endpoint, p256dh, auth).

    Raises ValidationError with a message a resident can read.
    """
    if not isinstance(data, dict):
        raise ValidationError(_("登録情報の形式が正しくありません。"))
    endpoint = data.get("endpoint")
    keys = data.get("keys")
    if not isinstance(endpoint, str) or not endpoint:
        raise ValidationError(_("送信先（endpoint）がありません。"))
    parts = urlsplit(endpoint)
    if parts.scheme != "https" or not parts.hostname or len(endpoint) > 1000:
        raise ValidationError(_("送信先は https:// で始まるURLでなければなりません。"))
    if parts.username or parts.password or not is_push_service_host(parts.hostname):
        raise ValidationError(_("このブラウザのプッシュサービスには対応していません。"))
    if not isinstance(keys, dict):
        raise ValidationError(_("暗号鍵（keys）がありません。"))
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    try:
        p256dh_raw = decode_base64url(p256dh)
        if len(p256dh_raw) != P256DH_LENGTH:
            raise ValueError("not an uncompressed point")
        # Also a point on the curve: a browser never sends anything else.
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh_raw)
    except (ValueError, TypeError) as error:
        raise ValidationError(_("暗号鍵 p256dh が正しくありません。")) from error
    try:
        auth_raw = decode_base64url(auth)
    except ValueError as error:
        raise ValidationError(_("認証用の鍵 auth が正しくありません。")) from error
    if len(auth_raw) != AUTH_LENGTH:
        raise ValidationError(_("認証用の鍵 auth が正しくありません。"))
    # Stored in one spelling (unpadded base64url) whatever the browser sent.
    return endpoint, encode_base64url(p256dh_raw), encode_base64url(auth_raw)


@transaction.atomic
def save_subscription(user: Any, *, data: Any, user_agent: str = "") -> PushSubscription:
    """Keep a browser's subscription for `user` (プッシュ通知の登録), checked by
    `clean_subscription`.

    The endpoint identifies the browser, so a known endpoint is updated, not duplicated: it now
    belongs to whoever signed in and subscribed last on that browser, with its new keys, and it is
    live again.
    """
    endpoint, p256dh, auth = clean_subscription(data)
    subscription, _created = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={
            "user": user,
            "p256dh": p256dh,
            "auth": auth,
            "user_agent": user_agent[:300],
            "expired_at": None,
        },
    )
    return subscription


def remove_subscription(user: Any, *, endpoint: str) -> bool:
    """Forget a browser's subscription (プッシュ通知の解除). Only the user's own; False if there was
    none (already removed, or not theirs)."""
    deleted, _counts = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
    return deleted > 0


# --- VAPID keys (RFC 8292) ------------------------------------------------------------------------


class NotConfigured(Exception):
    """The VAPID settings are missing or wrong."""


def is_configured() -> bool:
    return bool(getattr(settings, "NOTIFY_VAPID_PRIVATE_KEY", ""))


def load_vapid() -> Vapid:
    """The town's VAPID key from settings. NotConfigured says what is wrong."""
    private_key = getattr(settings, "NOTIFY_VAPID_PRIVATE_KEY", "").strip()
    if not private_key:
        raise NotConfigured("NOTIFY_VAPID_PRIVATE_KEY is not set")
    try:
        if "-----BEGIN" in private_key:
            # Environment variables often carry a PEM with its line breaks written as "\n".
            pem = private_key.replace("\\n", "\n").encode()
            key = serialization.load_pem_private_key(pem, password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise ValueError("not an EC key")
            vapid = Vapid(key)
        else:
            vapid = Vapid.from_string(private_key)
        if not isinstance(vapid.private_key.curve, ec.SECP256R1):
            raise ValueError("not a P-256 key")
    except (ValueError, TypeError, VapidException, binascii.Error) as error:
        raise NotConfigured(f"NOTIFY_VAPID_PRIVATE_KEY cannot be read: {error}") from error
    configured_public = getattr(settings, "NOTIFY_VAPID_PUBLIC_KEY", "").strip()
    if configured_public and configured_public.rstrip("=") != public_key_of(vapid):
        raise NotConfigured("NOTIFY_VAPID_PUBLIC_KEY does not match NOTIFY_VAPID_PRIVATE_KEY")
    subject = getattr(settings, "NOTIFY_VAPID_SUBJECT", "")
    if not subject.startswith(("mailto:", "https://")):
        raise NotConfigured("NOTIFY_VAPID_SUBJECT must be a mailto: or https:// URL")
    return vapid


def public_key_of(vapid: Vapid) -> str:
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return encode_base64url(raw)


def vapid_public_key() -> str:
    """The key browsers subscribe with (`applicationServerKey`); empty when the channel is off."""
    if not is_configured():
        return ""
    configured: str = getattr(settings, "NOTIFY_VAPID_PUBLIC_KEY", "").strip()
    if configured:
        return configured
    try:
        return public_key_of(load_vapid())
    except NotConfigured:
        return ""


# --- Encryption (RFC 8291) ------------------------------------------------------------------------


def encrypt_payload(
    payload: bytes,
    *,
    p256dh: str,
    auth: str,
    sender_key: ec.EllipticCurvePrivateKey | None = None,
    salt: bytes | None = None,
) -> bytes:
    """Encrypt `payload` for one subscription: aes128gcm with the RFC 8291 key schedule.

    The body carries the salt, the record size (4096) and our ephemeral public key in its header
    (RFC 8188 §2.1). `sender_key` and `salt` are fresh for every message; they are parameters only
    so that RFC 8291's example can be reproduced exactly.
    """
    if sender_key is None:
        sender_key = ec.generate_private_key(ec.SECP256R1())
    body: bytes = http_ece.encrypt(
        payload,
        salt=salt,
        private_key=sender_key,
        dh=decode_base64url(p256dh),
        auth_secret=decode_base64url(auth),
        version="aes128gcm",
        rs=4096,
    )
    return body


# --- The channel ----------------------------------------------------------------------------------


def topic_for(delivery_id: int) -> str:
    """The Topic (RFC 8030 §5.4: at most 32 base64url characters) and notification tag of a
    delivery: a repeated push of the same delivery replaces the first."""
    return f"delivery-{delivery_id}"


def shorten(text: str, length: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


def payload_for(outgoing: Outgoing) -> dict[str, Any]:
    """What the service worker shows (static/notify/service-worker.js reads these names).

    Kept well inside the 4096 bytes every push service must accept (RFC 8030 §7.2; 3993 bytes of
    plaintext after aes128gcm's header, tag and delimiter): the text is shortened, the full message
    waits in the inbox.
    """
    return {
        "title": shorten(outgoing.subject, TITLE_LENGTH),
        "body": shorten(outgoing.body, BODY_LENGTH),
        "url": outgoing.inbox_url,
        "tag": topic_for(outgoing.delivery_id),
        "lang": outgoing.language,
        "urgent": outgoing.is_emergency,
        "actions": [
            {"action": choice.code, "title": shorten(choice.label, ACTION_LENGTH)}
            for choice in outgoing.choices[:MAX_ACTIONS]
        ],
    }


# What one subscription's answer means for the delivery; the worst-for-retrying wins below.
_ACCEPTED, _GONE, _TOO_BIG, _RETRY, _OUR_FAULT = "accepted", "gone", "too_big", "retry", "fault"


def outcome_of(status_code: int) -> str:
    """RFC 8030 §5, §6.2 and §7.2, and what push services answer in practice."""
    if 200 <= status_code < 300:
        return _ACCEPTED
    if status_code in (404, 410):
        return _GONE  # the subscription expired or the resident withdrew it
    if status_code == 413:
        return _TOO_BIG
    if status_code == 429 or status_code >= 500:
        return _RETRY
    # 400 (bad headers), 401/403 (VAPID signature or key refused), redirects, the unexpected:
    # our request or configuration is wrong, and sending again will not help.
    return _OUR_FAULT


@dataclass
class _Prepared:
    subscription: PushSubscription
    body: bytes


class WebPushSender:
    """Sends for one batch: one HTTP connection pool, one VAPID token per push service."""

    def __init__(self, *, vapid: Vapid | None, problem: str, timeout: float) -> None:
        self.vapid = vapid
        self.problem = problem
        self.timeout = timeout
        self.http = requests.Session()
        self._tokens: dict[str, tuple[str, int]] = {}

    def close(self) -> None:
        self.http.close()

    def authorization(self, endpoint: str) -> str:
        """`vapid t=<JWT>, k=<public key>` for the push service behind `endpoint` (RFC 8292 §3)."""
        if self.vapid is None:
            raise VapidException(self.problem)
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        token, expires = self._tokens.get(audience, ("", 0))
        if expires - time.time() < 60 * 60:
            expires = int(time.time()) + VAPID_TOKEN_SECONDS
            claims = {
                "aud": audience,
                "exp": expires,
                "sub": getattr(settings, "NOTIFY_VAPID_SUBJECT", ""),
            }
            token = self.vapid.sign(claims)["Authorization"]
            self._tokens[audience] = (token, expires)
        return token

    def send(self, outgoing: Outgoing) -> Result:
        if self.vapid is None:
            return Result(DeliveryStatus.TECHNICAL_FAILURE, error=self.problem)
        subscriptions = list(
            PushSubscription.objects.filter(user=outgoing.user, expired_at__isnull=True).order_by(
                "pk"
            )
        )
        if not subscriptions:
            return Result(DeliveryStatus.PERMANENT_FAILURE, error="no live push subscription")

        payload = json.dumps(payload_for(outgoing), ensure_ascii=False).encode()
        headers = {
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(EMERGENCY_TTL_SECONDS if outgoing.is_emergency else NORMAL_TTL_SECONDS),
            "Urgency": "high" if outgoing.is_emergency else "normal",
            "Topic": topic_for(outgoing.delivery_id),
        }
        # Everything that can fail on our side happens before the first POST.
        prepared: list[_Prepared] = []
        errors: list[str] = []
        outcomes: list[str] = []
        for subscription in subscriptions:
            try:
                body = encrypt_payload(payload, p256dh=subscription.p256dh, auth=subscription.auth)
            except (ValueError, http_ece.ECEException) as error:
                # Stored keys no browser could have made: this subscription can never work.
                self._expire(subscription)
                outcomes.append(_GONE)
                errors.append(f"{_host(subscription)}: unusable keys ({error})")
                continue
            try:
                self.authorization(subscription.endpoint)
            except VapidException as error:
                return Result(DeliveryStatus.TECHNICAL_FAILURE, error=f"VAPID: {error}")
            prepared.append(_Prepared(subscription, body))

        provider_ref = ""
        for number, item in enumerate(prepared, start=1):
            if number == len(prepared):
                # At-least-once across devices; see the module docstring.
                outgoing.point_of_no_return()
            outcome, detail, location = self._post(item, headers)
            outcomes.append(outcome)
            if outcome == _ACCEPTED:
                provider_ref = provider_ref or location
            else:
                errors.append(f"{_host(item.subscription)}: {detail}")
            if outcome == _GONE:
                self._expire(item.subscription)
        return _result(outcomes, provider_ref=provider_ref[:200], error="; ".join(errors))

    def _post(self, item: _Prepared, headers: dict[str, str]) -> tuple[str, str, str]:
        try:
            response = self.http.post(
                item.subscription.endpoint,
                data=item.body,
                headers={
                    **headers,
                    "Authorization": self.authorization(item.subscription.endpoint),
                },
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            return _RETRY, f"{type(error).__name__}", ""
        detail = f"{response.status_code} {response.reason} {response.text[:200]}".strip()
        return outcome_of(response.status_code), detail, response.headers.get("Location", "")

    @staticmethod
    def _expire(subscription: PushSubscription) -> None:
        # The one write a channel makes: about the subscription, not the delivery.
        subscription.expired_at = timezone.now()
        subscription.save(update_fields=["expired_at"])


def _host(subscription: PushSubscription) -> str:
    # Only the host in errors: the endpoint's path is the subscription's secret.
    return urlsplit(subscription.endpoint).hostname or "?"


def _result(outcomes: list[str], *, provider_ref: str, error: str) -> Result:
    """One result for all the resident's browsers. Reaching one browser is a delivery; otherwise
    the answer that leaves most hope wins: a retry may still succeed, a fault of ours needs a
    person, and only when every subscription is gone (or the message can never fit) is it final."""
    if _ACCEPTED in outcomes:
        return Result(DeliveryStatus.DELIVERED, provider_ref=provider_ref)
    if _RETRY in outcomes:
        return Result(DeliveryStatus.TEMPORARY_FAILURE, error=error)
    if _OUR_FAULT in outcomes:
        return Result(DeliveryStatus.TECHNICAL_FAILURE, error=error)
    return Result(DeliveryStatus.PERMANENT_FAILURE, error=error)


class WebPushChannel:
    """The Web Push channel (ブラウザのプッシュ通知) for the delivery engine."""

    code = Channel.WEB_PUSH

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.timeout = timeout

    def can_reach(self, user: Any) -> bool:
        if not is_configured():
            return False
        return PushSubscription.objects.filter(user=user, expired_at__isnull=True).exists()

    def reachable(self, users: list[Any]) -> set[int]:
        """`can_reach` for a whole batch of residents in one query (the engine uses it)."""
        if not is_configured():
            return set()
        return set(
            PushSubscription.objects.filter(user__in=users, expired_at__isnull=True).values_list(
                "user_id", flat=True
            )
        )

    @contextmanager
    def session(self) -> Iterator[WebPushSender]:
        try:
            vapid, problem = load_vapid(), ""
        except NotConfigured as error:
            logger.error("Web Push is not configured: %s", error)
            vapid, problem = None, str(error)
        sender = WebPushSender(vapid=vapid, problem=problem, timeout=self.timeout)
        try:
            yield sender
        finally:
            sender.close()


def build() -> WebPushChannel:
    return WebPushChannel(
        timeout=float(getattr(settings, "NOTIFY_PUSH_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))
    )
