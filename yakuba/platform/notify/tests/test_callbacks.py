"""Delivery-status callbacks: signed POSTs to the client's URL, retried on 5xx/429, not on 4xx.

A real HTTP server on 127.0.0.1 (http.server in a thread) stands in for the client's endpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from yakuba.core.models import JobRetry
from yakuba.platform.notify import apikeys, callbacks
from yakuba.platform.notify.models import (
    ApiKey,
    Channel,
    Delivery,
    DeliveryStatus,
    Message,
    MessageStatus,
    Recipient,
)
from yakuba.platform.notify.tests.factories import ResidentFactory


class Receiver:
    """What the stand-in endpoint received, and the status codes it answers with, in order."""

    def __init__(self) -> None:
        self.url = ""
        self.answers: list[int] = []
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.lock = threading.Lock()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with found.lock:
                found.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = found.answers.pop(0) if found.answers else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    found.url = f"http://127.0.0.1:{server.server_address[1]}/notify/callback"
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


def api_message(key: ApiKey | None, *, reference: str = "ref-1") -> Recipient:
    """A message as the API creates it (sent with `key`), to one resident."""
    profile: Any = ResidentFactory()
    message = Message.objects.create(
        kind="notify.api",
        contents={"ja": {"subject": "件名", "body": "本文"}},
        status=MessageStatus.SENDING,
        api_key=key,
        reference=reference,
    )
    return Recipient.objects.create(message=message, user=profile.user, language="ja")


def final_delivery(
    recipient: Recipient, channel: str = Channel.EMAIL, status: str = DeliveryStatus.DELIVERED
) -> Delivery:
    now = timezone.now()
    return Delivery.objects.create(
        recipient=recipient,
        channel=channel,
        status=status,
        sent_at=now if status == DeliveryStatus.DELIVERED else None,
        completed_at=now,
    )


def verify(headers: dict[str, str], body: bytes, secret: str) -> dict[str, Any]:
    """What a client's endpoint does: check the bearer secret and the signature, then read."""
    assert headers["authorization"] == f"Bearer {secret}"
    fields = dict(part.split("=", 1) for part in headers["x-yakuba-signature"].split(","))
    timestamp = int(fields["t"])
    assert abs(time.time() - timestamp) < 60
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(fields["v1"], expected)
    payload: dict[str, Any] = json.loads(body)
    return payload


# --- Jobs run at once (the default in tests) ---------------------------------------------------------


@pytest.mark.django_db
def test_a_final_delivery_is_posted_signed_with_the_keys_callback_secret(
    receiver: Receiver,
) -> None:
    key, _ = apikeys.issue_key(by=None, name="A", callback_url=receiver.url)
    recipient = api_message(key, reference="kenshin-0001")
    delivery = final_delivery(recipient)

    assert callbacks.queue_status_callbacks([delivery.pk]) == 1

    [(headers, body)] = receiver.received
    assert headers["content-type"].startswith("application/json")
    payload = verify(headers, body, key.callback_secret)
    profile = recipient.user.resident_profile
    assert payload == {
        "id": str(recipient.message_id),
        "reference": "kenshin-0001",
        "to": str(profile.pk),
        "status": "delivered",
        "created_at": recipient.message.created_at.isoformat(),
        "completed_at": delivery.completed_at.isoformat() if delivery.completed_at else None,
        "sent_at": delivery.sent_at.isoformat() if delivery.sent_at else None,
        "notification_type": "email",
    }


@pytest.mark.django_db
def test_a_tampered_body_or_another_secret_does_not_verify(receiver: Receiver) -> None:
    key, _ = apikeys.issue_key(by=None, name="A", callback_url=receiver.url)
    callbacks.queue_status_callbacks([final_delivery(api_message(key)).pk])
    [(headers, body)] = receiver.received
    with pytest.raises(AssertionError):
        verify(headers, body.replace(b"delivered", b"permanent_failure"), key.callback_secret)
    with pytest.raises(AssertionError):
        verify(headers, body, "another-secret")


@pytest.mark.django_db
def test_only_final_deliveries_of_live_keys_with_a_callback_url_are_posted(
    receiver: Receiver,
) -> None:
    key, _ = apikeys.issue_key(by=None, name="A", callback_url=receiver.url)
    no_url, _ = apikeys.issue_key(by=None, name="B")
    revoked, _ = apikeys.issue_key(by=None, name="C", callback_url=receiver.url)
    apikeys.revoke_key(revoked, by=None)

    recipient = api_message(key)
    failed = final_delivery(recipient, Channel.EMAIL, DeliveryStatus.PERMANENT_FAILURE)
    still_sending = Delivery.objects.create(
        recipient=recipient, channel=Channel.LINE, status=DeliveryStatus.SENDING
    )
    retrying = Delivery.objects.create(
        recipient=recipient,
        channel=Channel.SMS,
        status=DeliveryStatus.TEMPORARY_FAILURE,
        not_before=timezone.now(),
    )
    others = [
        final_delivery(api_message(None)),  # sent by staff, not through the API
        final_delivery(api_message(no_url)),
        final_delivery(api_message(revoked)),
    ]

    queued = callbacks.queue_status_callbacks(
        [failed.pk, still_sending.pk, retrying.pk, *(d.pk for d in others)]
    )

    assert queued == 1
    [(headers, body)] = receiver.received
    assert verify(headers, body, key.callback_secret)["status"] == "permanent_failure"


@pytest.mark.django_db
def test_a_temporary_failure_the_engine_gave_up_on_is_final(receiver: Receiver) -> None:
    key, _ = apikeys.issue_key(by=None, name="A", callback_url=receiver.url)
    given_up = Delivery.objects.create(
        recipient=api_message(key),
        channel=Channel.SMS,
        status=DeliveryStatus.TEMPORARY_FAILURE,
        completed_at=timezone.now(),
    )
    assert callbacks.queue_status_callbacks([given_up.pk]) == 1
    [(headers, body)] = receiver.received
    assert verify(headers, body, key.callback_secret)["status"] == "temporary_failure"


@pytest.mark.django_db
def test_a_key_revoked_after_queuing_sends_nothing(receiver: Receiver) -> None:
    key, _ = apikeys.issue_key(by=None, name="A", callback_url=receiver.url)
    payload = callbacks.status_payload(final_delivery(api_message(key)))
    apikeys.revoke_key(key, by=None)
    assert callbacks.send_status_callback.call(key.pk, payload) == 0
    assert receiver.received == []


# --- Through the database queue and its worker: retries ----------------------------------------------


@pytest.fixture
def quick_retries(settings: Any) -> Any:
    settings.JOB_RETRY_BASE_SECONDS = 0
    settings.JOB_MAX_ATTEMPTS = 3
    return settings


def callback_jobs() -> list[DBTaskResult]:
    return list(
        DBTaskResult.objects.filter(task_path__endswith="send_status_callback").order_by(
            "enqueued_at"
        )
    )


@pytest.mark.job_queue
@pytest.mark.parametrize("refusal", [500, 503, 429])
def test_a_callback_the_client_cannot_take_now_is_retried(
    transactional_db: None,
    quick_retries: Any,
    run_worker: Callable[[], None],
    receiver: Receiver,
    refusal: int,
) -> None:
    key, _ = apikeys.issue_key(by=None, name="A", callback_url=receiver.url)
    receiver.answers = [refusal, 200]
    callbacks.queue_status_callbacks([final_delivery(api_message(key)).pk])

    run_worker()

    assert len(receiver.received) == 2
    first, second = (verify(h, b, key.callback_secret) for h, b in receiver.received)
    assert first == second
    jobs = callback_jobs()
    assert [job.status for job in jobs] == [TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL]
    assert JobRetry.objects.get().attempt == 2


@pytest.mark.job_queue
@pytest.mark.parametrize("refusal", [400, 401, 404])
def test_a_callback_the_client_refuses_is_not_retried(
    transactional_db: None,
    quick_retries: Any,
    run_worker: Callable[[], None],
    receiver: Receiver,
    refusal: int,
) -> None:
    key, _ = apikeys.issue_key(by=None, name="A", callback_url=receiver.url)
    receiver.answers = [refusal, 200]
    callbacks.queue_status_callbacks([final_delivery(api_message(key)).pk])

    run_worker()

    assert len(receiver.received) == 1
    [job] = callback_jobs()
    assert job.status == TaskResultStatus.FAILED
    assert job.exception_class_path == "yakuba.core.jobs.PermanentJobError"
    assert not JobRetry.objects.exists()


@pytest.mark.job_queue
def test_an_unreachable_endpoint_is_retried_until_the_attempts_run_out(
    transactional_db: None, quick_retries: Any, run_worker: Callable[[], None]
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    key, _ = apikeys.issue_key(by=None, name="A", callback_url=f"http://127.0.0.1:{port}/cb")
    callbacks.queue_status_callbacks([final_delivery(api_message(key)).pk])

    run_worker()

    jobs = callback_jobs()
    assert len(jobs) == 3
    assert {job.status for job in jobs} == {TaskResultStatus.FAILED}
