"""Bounces and complaints (不達・迷惑メール報告) that come back after a mail was accepted.

The mail server hands each returned report to `manage.py notify_bounce` (for Postfix: a pipe
transport for the bounce address). Two report kinds are understood:

- delivery status notifications (RFC 3464, multipart/report; report-type=delivery-status):
  `Action: failed` with a 5.x.x status makes the delivery a permanent failure and suppresses the
  address; a 4.x.x `delayed` report changes nothing (the server keeps trying);
- feedback reports (RFC 5965, report-type=feedback-report, e.g. from a provider's feedback loop):
  the resident marked the mail as spam, so the address is suppressed (no more ordinary mail).

The delivery is found from the VERP envelope address (bounces+<id>@…) or from the returned
headers' Message-ID (<notify-<id>@…>).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage, Message

from django.db import transaction
from django.utils import timezone

from yakuba.platform.notify import callbacks
from yakuba.platform.notify.models import Delivery, DeliveryStatus, EmailSuppression

VERP = re.compile(r"\+(\d+)@")
MESSAGE_ID = re.compile(r"<notify-(\d+)@")


@dataclass(frozen=True)
class Outcome:
    kind: str  # "bounce", "delay", "complaint" or "ignored"
    delivery_id: int | None = None


def _parts(report: Message) -> list[Message]:
    return list(report.walk()) if report.is_multipart() else [report]


def _delivery_id(report: Message, envelope_to: str) -> int | None:
    found = VERP.search(envelope_to or "") or VERP.search(str(report.get("To", "")))
    if found:
        return int(found.group(1))
    for part in _parts(report):
        if part.get_content_type() in ("text/rfc822-headers", "message/rfc822"):
            payload = part.get_payload()
            text = (
                "".join(str(p) for p in payload)
                if isinstance(payload, list)
                else (payload if isinstance(payload, str) else "")
            )
            match = MESSAGE_ID.search(text)
            if match:
                return int(match.group(1))
    return None


def _status_fields(report: Message) -> list[Message]:
    """The per-recipient field groups of a message/delivery-status part."""
    for part in _parts(report):
        if part.get_content_type() == "message/delivery-status":
            payload = part.get_payload()
            if isinstance(payload, list):
                groups = [p for p in payload if isinstance(p, Message)]
                return groups[1:] or groups
    return []


def process_bounce(raw: bytes, *, envelope_to: str = "") -> Outcome:
    """Record what a returned report says. Unknown or unrelated mail is ignored, never an error:
    the bounce address receives auto-replies and spam too."""
    report: EmailMessage = message_from_bytes(raw, policy=policy.compat32)  # type: ignore[assignment]
    report_type = (
        report.get_param("report-type") if report.get_content_type() == "multipart/report" else None
    )
    delivery_id = _delivery_id(report, envelope_to)
    delivery = (
        Delivery.objects.select_related("recipient__user").filter(pk=delivery_id).first()
        if delivery_id
        else None
    )
    if delivery is None or report_type not in ("delivery-status", "feedback-report"):
        return Outcome("ignored", delivery_id)
    address = delivery.recipient.user.email.lower()
    if report_type == "feedback-report":
        with transaction.atomic():
            EmailSuppression.objects.update_or_create(
                address=address,
                defaults={
                    "reason": EmailSuppression.Reason.COMPLAINT,
                    "detail": f"delivery {delivery.pk}",
                },
            )
            Delivery.objects.filter(pk=delivery.pk).update(
                error="complaint (RFC 5965 feedback report)"
            )
        return Outcome("complaint", delivery.pk)
    fields = _status_fields(report)
    failed = [f for f in fields if str(f.get("Action", "")).strip().lower() == "failed"]
    if not failed:
        return Outcome("delay", delivery.pk)
    status = str(failed[0].get("Status", "")).strip()
    diagnostic = str(failed[0].get("Diagnostic-Code", "")).strip()
    detail = f"{status} {diagnostic}".strip()
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PERMANENT_FAILURE
            if status.startswith("5")
            else DeliveryStatus.TEMPORARY_FAILURE,
            error=f"bounce: {detail}"[:2000],
            completed_at=timezone.now(),
        )
        if status.startswith("5"):
            EmailSuppression.objects.update_or_create(
                address=address,
                defaults={"reason": EmailSuppression.Reason.BOUNCE, "detail": detail[:1000]},
            )
    callbacks.queue_status_callbacks([delivery.pk])
    return Outcome("bounce", delivery.pk)
