"""Email (メール) over SMTP, with the point of no return just before the end of DATA.

One SMTP connection serves a whole slice of deliveries. The engine's "sent" commit happens after the
message content is transmitted and before the final "." that makes the server accept it: if the
worker dies before the ".", the server discards the half-received message (RFC 5321 §4.1.1.4) and
the delivery, still `sending`, is sent again; if it dies after, the delivery is already recorded. A
crash in the microseconds between the commit and the "." loses that one mail instead of duplicating
it. Answers map to GOV.UK Notify's states: 2xx delivered, 4xx temporary failure, 5xx permanent
failure (a refused address is also put on the suppression list so it is not tried again).

Bounces that arrive later (RFC 3464 reports to bounces+<delivery id>@…) and complaints (RFC 5965
feedback reports) are recorded by `notify.bounces`.
"""

from __future__ import annotations

import functools
import re
import smtplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from yakuba.core.models import Municipality
from yakuba.platform.notify import replies
from yakuba.platform.notify.channels import Outgoing, Result
from yakuba.platform.notify.models import (
    Channel,
    DeliveryStatus,
    EmailSuppression,
    Question,
    Recipient,
)

LEADING_DOT = re.compile(rb"(?m)^\.")


@functools.lru_cache(maxsize=16)
def bare_address(value: str) -> str:
    """The address in a setting like "Town <town@example.jp>", parsed once per value (every
    mail needs it; keyed by the value, so changed settings are still honoured)."""
    return parseaddr(value)[1]


def sender_domain() -> str:
    return bare_address(settings.DEFAULT_FROM_EMAIL).rpartition("@")[2] or "localhost"


def message_id_for(delivery_id: int) -> str:
    """Deterministic, so the delivery's Message-ID is known without storing it."""
    return f"<notify-{delivery_id}@{sender_domain()}>"


def bounce_address(delivery_id: int) -> str:
    """VERP envelope sender: a bounce names the delivery it is about."""
    local, _at, domain = bare_address(settings.NOTIFY_BOUNCE_ADDRESS).partition("@")
    return f"{local}+{delivery_id}@{domain}"


def town_name(language: str) -> str:
    town = Municipality.current()
    return town.localized_name(language) if town else "Yakuba"


def build_email(outgoing: Outgoing, *, town: str | None = None) -> EmailMultiAlternatives:
    """The mail a resident receives: the text, links to answer, and a link to their settings."""
    name = town or town_name(outgoing.language)
    answer_links = []
    if outgoing.choices and outgoing.question_id is not None:
        # Only the ids go into the signed token: no query per mail.
        recipient = Recipient(pk=outgoing.recipient_id)
        question = Question(pk=outgoing.question_id)
        answer_links = [
            (
                choice.label,
                _absolute(
                    reverse(
                        "notify:answer",
                        args=[replies.answer_token(recipient, question, choice.code)],
                    )
                ),
            )
            for choice in outgoing.choices
        ]
    settings_url = _absolute(reverse("notify:settings"))
    context = {
        "outgoing": outgoing,
        "town_name": name,
        "answer_links": answer_links,
        "settings_url": settings_url,
    }
    body = render_to_string("notify/email/message.txt", context)
    mail = EmailMultiAlternatives(
        subject=f"[{name}] {outgoing.subject}",
        body=body,
        from_email=formataddr((name, bare_address(settings.DEFAULT_FROM_EMAIL))),
        to=[outgoing.user.email],
        headers={
            "Message-ID": message_id_for(outgoing.delivery_id),
            "List-Unsubscribe": f"<{settings_url}>",
            "Auto-Submitted": "auto-generated",
            **({"Importance": "high", "X-Priority": "1"} if outgoing.is_emergency else {}),
        },
    )
    return mail


def _absolute(path: str) -> str:
    return settings.NOTIFY_PUBLIC_BASE_URL.rstrip("/") + path


def no_delay(connection: smtplib.SMTP) -> None:
    """Content and the final "." go out in two writes (the point of no return lies between them);
    with Nagle's algorithm the "." waits for the server's delayed ACK (40 ms on Linux): 22 mails a
    second per worker instead of thousands. The option stays set through STARTTLS."""
    if connection.sock is not None:
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class SmtpSender:
    """Sends mails one by one on one connection, reconnecting after a dropped connection."""

    def __init__(self) -> None:
        self.connection: smtplib.SMTP | None = None
        # The town's name per language, read once per session rather than once per mail.
        self.town_names: dict[str, str] = {}

    def connect(self) -> smtplib.SMTP:
        if self.connection is None:
            if getattr(settings, "EMAIL_USE_SSL", False):
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    settings.EMAIL_HOST,
                    settings.EMAIL_PORT,
                    timeout=settings.EMAIL_TIMEOUT,
                    context=ssl.create_default_context(),
                )
                no_delay(connection)
            else:
                connection = smtplib.SMTP(
                    settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=settings.EMAIL_TIMEOUT
                )
                no_delay(connection)
                if settings.EMAIL_USE_TLS:
                    connection.starttls(context=ssl.create_default_context())
            if settings.EMAIL_HOST_USER:
                connection.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
            self.connection = connection
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            with suppress(smtplib.SMTPException, OSError):
                self.connection.quit()
            self.connection = None

    def send(self, outgoing: Outgoing) -> Result:
        # Suppressed and unverified addresses were left out when the channels were planned.
        address = outgoing.user.email
        if outgoing.language not in self.town_names:
            self.town_names[outgoing.language] = town_name(outgoing.language)
        mail = build_email(outgoing, town=self.town_names[outgoing.language])
        content = mail.message().as_bytes(linesep="\r\n")
        try:
            return self.transmit(outgoing, bounce_address(outgoing.delivery_id), address, content)
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self.connection = None
            return Result(DeliveryStatus.TEMPORARY_FAILURE, error=repr(error))

    def transmit(self, outgoing: Outgoing, envelope_from: str, to: str, content: bytes) -> Result:
        smtp = self.connect()
        smtp.ehlo_or_helo_if_needed()
        code, reply = smtp.mail(envelope_from)
        if code != 250:
            smtp.rset()
            return self.refused(code, reply, to=None)
        code, reply = smtp.rcpt(to)
        if code not in (250, 251):
            smtp.rset()
            return self.refused(code, reply, to=to)
        code, reply = smtp.docmd("DATA")
        if code != 354:
            smtp.rset()
            return self.refused(code, reply, to=None)
        if not content.endswith(b"\r\n"):
            content += b"\r\n"
        smtp.send(LEADING_DOT.sub(b"..", content))
        outgoing.point_of_no_return()
        smtp.send(b".\r\n")
        code, reply = smtp.getreply()
        if code == 250:
            return Result(DeliveryStatus.DELIVERED)
        return self.refused(code, reply, to=to)

    def refused(self, code: int, reply: bytes, *, to: str | None) -> Result:
        text = f"{code} {reply.decode(errors='replace')}"
        if 400 <= code < 500:
            return Result(DeliveryStatus.TEMPORARY_FAILURE, error=text)
        if to is not None and code in (550, 551, 553):
            EmailSuppression.objects.get_or_create(
                address=to.lower(),
                defaults={"reason": EmailSuppression.Reason.BOUNCE, "detail": text},
            )
        return Result(DeliveryStatus.PERMANENT_FAILURE, error=text)


class EmailChannel:
    code = Channel.EMAIL

    def can_reach(self, user: Any) -> bool:
        return user.pk in self.reachable([user])

    def reachable(self, users: list[Any]) -> set[int]:
        """Users with a verified address that is not suppressed: two queries for the whole list."""
        from allauth.account.models import EmailAddress

        addresses = {u.pk: u.email.lower() for u in users if u.email}
        verified = set(
            EmailAddress.objects.filter(user_id__in=addresses, verified=True).values_list(
                "user_id", "email"
            )
        )
        suppressed = set(
            EmailSuppression.objects.filter(address__in=list(addresses.values())).values_list(
                "address", flat=True
            )
        )
        return {
            pk
            for pk, address in addresses.items()
            if address not in suppressed
            and any(uid == pk and e.lower() == address for uid, e in verified)
        }

    @contextmanager
    def session(self) -> Iterator[SmtpSender]:
        sender = SmtpSender()
        try:
            yield sender
        finally:
            sender.close()


def build() -> EmailChannel:
    return EmailChannel()


__all__ = ["EmailChannel", "build"]
