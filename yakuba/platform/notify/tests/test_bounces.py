"""Bounces (RFC 3464) and complaints (RFC 5965) recorded against the delivery they are about."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from yakuba.platform.notify.bounces import process_bounce
from yakuba.platform.notify.models import (
    Delivery,
    DeliveryStatus,
    EmailSuppression,
    Message,
    Recipient,
)
from yakuba.platform.notify.tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered() -> Delivery:
    user = ResidentFactory.create(user__email="Hanako@Example.jp").user
    message = Message.objects.create(
        kind="notify.announcement", contents={"ja": {"subject": "s", "body": "b"}}
    )
    recipient = Recipient.objects.create(message=message, user=user, language="ja")
    return Delivery.objects.create(
        recipient=recipient, channel="email", status=DeliveryStatus.DELIVERED
    )


def dsn(delivery_id: int, *, action: str, status: str, verp: bool = True) -> bytes:
    to = f"bounces+{delivery_id}@yakuba.invalid" if verp else "bounces@yakuba.invalid"
    return f"""From: MAILER-DAEMON@mx.example.jp
To: {to}
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.jp

Final-Recipient: rfc822; hanako@example.jp
Action: {action}
Status: {status}
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--B
Content-Type: text/rfc822-headers

Message-ID: <notify-{delivery_id}@yakuba.invalid>
Subject: [亘理町] test

--B--
""".encode()


def test_a_hard_bounce_fails_the_delivery_and_suppresses_the_address(delivered: Delivery) -> None:
    outcome = process_bounce(dsn(delivered.pk, action="failed", status="5.1.1"))
    assert (outcome.kind, outcome.delivery_id) == ("bounce", delivered.pk)
    delivered.refresh_from_db()
    assert delivered.status == DeliveryStatus.PERMANENT_FAILURE
    assert "5.1.1" in delivered.error
    assert EmailSuppression.objects.get(address="hanako@example.jp").reason == "bounce"


def test_the_delivery_is_found_from_the_returned_message_id_without_verp(
    delivered: Delivery,
) -> None:
    outcome = process_bounce(dsn(delivered.pk, action="failed", status="5.1.1", verp=False))
    assert outcome.delivery_id == delivered.pk


def test_a_delay_report_changes_nothing(delivered: Delivery) -> None:
    assert process_bounce(dsn(delivered.pk, action="delayed", status="4.4.1")).kind == "delay"
    delivered.refresh_from_db()
    assert delivered.status == DeliveryStatus.DELIVERED
    assert not EmailSuppression.objects.exists()


def test_a_complaint_suppresses_the_address(delivered: Delivery) -> None:
    raw = f"""From: fbl@provider.example
To: bounces+{delivered.pk}@yakuba.invalid
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an abuse report.

--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: provider-fbl/1.0
Version: 1

--F
Content-Type: text/rfc822-headers

Message-ID: <notify-{delivered.pk}@yakuba.invalid>

--F--
""".encode()
    assert process_bounce(raw).kind == "complaint"
    assert EmailSuppression.objects.get(address="hanako@example.jp").reason == "complaint"


@pytest.mark.parametrize(
    "raw",
    [
        b"From: someone@example.jp\nSubject: out of office\n\nI am away.",
        b"not a mail at all",
        dsn(999999, action="failed", status="5.1.1"),
    ],
)
def test_unrelated_mail_is_ignored(raw: bytes, delivered: Delivery) -> None:
    assert process_bounce(raw).kind == "ignored"
    assert not EmailSuppression.objects.exists()


def test_the_command_reads_standard_input(delivered: Delivery, monkeypatch: Any) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(dsn(delivered.pk, action="failed", status="5.1.1")))
    monkeypatch.setattr("sys.stdin", stdin)
    out = io.StringIO()
    call_command("notify_bounce", "--to", f"bounces+{delivered.pk}@yakuba.invalid", stdout=out)
    assert out.getvalue().strip() == f"bounce {delivered.pk}"
