"""Delivery-status callbacks (配信状況の通知): tell the system that sent a message through the API
how each delivery ended, as GOV.UK Notify's delivery receipts do.

When a delivery of a message sent with an API key reaches a final state, one job POSTs
{id, reference, to, status, created_at, completed_at, sent_at, notification_type} to the key's
callback URL. The receiver can trust it two ways:

- `Authorization: Bearer <callback secret>`, as GOV.UK Notify sends its bearer token;
- `X-Yakuba-Signature: t=<unix time>,v1=<hex HMAC-SHA256(callback secret, "<t>.<body>")>`, as
  Stripe signs webhooks: it covers the body and the time, so a receiver that checks it (and refuses
  an old `t`) cannot be fed a forged or replayed status, even through a proxy that logs headers.

A refused or failed POST is retried with the job queue's backoff (yakuba.core.jobs); an answer that
another attempt cannot change (4xx other than 429, a redirect) stops at once. Receivers must accept the same
callback twice: a retry after a timeout, or a delivery engine re-run, may send it again. `id` and
`notification_type` (the channel) together name one delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterable
from typing import Any

import requests
from django.db.models import Q
from django_tasks import task

from yakuba.core.jobs import PermanentJobError
from yakuba.platform.notify.models import FINAL_STATUSES, ApiKey, Delivery, DeliveryStatus

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Yakuba-Signature"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def status_payload(delivery: Delivery) -> dict[str, Any]:
    """What the client is told about one delivery. `to` is the resident's id, not their address:
    the client may have sent by resident id and has no business learning the address."""
    recipient = delivery.recipient
    message = recipient.message
    profile = getattr(recipient.user, "resident_profile", None)
    return {
        "id": str(message.pk),
        "reference": message.reference or None,
        "to": str(profile.pk) if profile is not None else "",
        "status": delivery.status,
        "created_at": _iso(message.created_at),
        "completed_at": _iso(delivery.completed_at),
        "sent_at": _iso(delivery.sent_at),
        "notification_type": delivery.channel,
    }


def is_final(delivery: Delivery) -> bool:
    """Final: delivered, failed for good, or a temporary failure the engine gave up on."""
    return delivery.status in FINAL_STATUSES or (
        delivery.status == DeliveryStatus.TEMPORARY_FAILURE and delivery.completed_at is not None
    )


def queue_status_callbacks(delivery_ids: Iterable[int]) -> int:
    """Enqueue one callback job per delivery that reached a final state, of a message sent with a
    live key that has a callback URL. Others are skipped, so the engine may pass every delivery it
    touched. Returns how many jobs were enqueued."""
    ids = list(delivery_ids)
    if not ids:
        return 0
    deliveries = (
        Delivery.objects.filter(pk__in=ids)
        .filter(
            Q(status__in=FINAL_STATUSES)
            | Q(status=DeliveryStatus.TEMPORARY_FAILURE, completed_at__isnull=False)
        )
        .filter(
            recipient__message__api_key__isnull=False,
            recipient__message__api_key__revoked_at__isnull=True,
        )
        .exclude(recipient__message__api_key__callback_url="")
        .select_related("recipient__message", "recipient__user__resident_profile")
        .order_by("pk")
    )
    queued = 0
    for delivery in deliveries:
        api_key_id = delivery.recipient.message.api_key_id
        assert api_key_id is not None  # noqa: S101 - filtered above
        # The status as it is now, not when the job runs: the client hears of each event.
        send_status_callback.enqueue(api_key_id, status_payload(delivery))
        queued += 1
    return queued


def signature(secret: str, timestamp: int, body: str) -> str:
    """The `X-Yakuba-Signature` value for a body sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


@task()
def send_status_callback(api_key_id: int, payload: dict[str, Any]) -> int:
    """POST one delivery status to the key's callback URL (the job). Returns the HTTP status.

    Raises on a network error, a 5xx or a 429, so the job is retried with backoff; raises
    PermanentJobError on any other answer (a 4xx, or a redirect, which is not followed): the
    receiver refuses this request, and would again.
    A key revoked, or its callback URL removed, since the job was queued: nothing is sent.
    """
    key = ApiKey.objects.filter(pk=api_key_id).first()
    if key is None or key.revoked_at is not None or not key.callback_url:
        return 0
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    timestamp = int(time.time())
    response = requests.post(
        key.callback_url,
        data=body.encode(),
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": f"Bearer {key.callback_secret}",
            SIGNATURE_HEADER: signature(key.callback_secret, timestamp, body),
            "User-Agent": "Yakuba-Notify-Callback/1",
        },
        timeout=TIMEOUT_SECONDS,
        # A redirect would resend the secret to wherever it points; the URL must be the endpoint.
        allow_redirects=False,
    )
    status = response.status_code
    if 200 <= status < 300:
        return status
    if status == 429 or status >= 500:
        raise ConnectionError(f"callback {key.callback_url} answered {status}; will retry")
    raise PermanentJobError(f"callback {key.callback_url} answered {status}; not retried")
