"""Mail goes out through the job queue, so that a mail server that is down loses no message.

A view or service hands a rendered `EmailMessage` to `send_email_later`; the job is enqueued in the
caller's transaction (the database queue), so the mail exists exactly when the change that caused it
is committed. The worker delivers it over SMTP and, if the server refuses or is unreachable, the job
is retried with backoff (yakuba.core.jobs). A retry after a timeout may deliver a mail twice; that is
preferred to losing a verification or a notice.
"""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django_tasks import task


def message_to_json(message: EmailMessage) -> dict[str, Any]:
    alternatives = getattr(message, "alternatives", [])
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [[str(content), mimetype] for content, mimetype in alternatives],
        "content_subtype": message.content_subtype,
    }


def message_from_json(data: dict[str, Any]) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=data["headers"],
    )
    message.content_subtype = data.get("content_subtype", "plain")
    for content, mimetype in data["alternatives"]:
        message.attach_alternative(content, mimetype)
    return message


@task()
def deliver_email(message: dict[str, Any]) -> int:
    """Send one mail over SMTP (the job the worker runs). Raises on failure, so it is retried."""
    return message_from_json(message).send(fail_silently=False)


def send_email_later(message: EmailMessage) -> None:
    """Queue a rendered mail for delivery by the background worker."""
    deliver_email.enqueue(message_to_json(message))
