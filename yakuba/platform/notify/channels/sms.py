"""SMS (ショートメッセージ): the adapter interface for an SMS gateway, for residents with a mobile
phone and no smartphone app or mail.

No gateway ships with Yakuba: the town picks an SMS provider (a 国内 SMS 配信サービス with direct
carrier connections) and writes a small class that follows `SmsGateway`, named by the setting
NOTIFY_SMS_GATEWAY ("package.module.ClassName"). Without it the channel is off.

Japanese SMS is sent in UCS-2: 70 characters fit one message, and the carriers join longer texts
up to 670 characters. We stay within 660 and shorten the body so that the link to the inbox,
where the whole message is, always fits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.utils.module_loading import import_string

from yakuba.platform.notify.channels import Outgoing, Result
from yakuba.platform.notify.models import Channel, DeliveryStatus

SEGMENT_LENGTH = 70  # UCS-2 characters in a single SMS
MAX_LENGTH = 660  # UCS-2 characters in a concatenated SMS (carriers: 670)
ELLIPSIS = "…"

# Japanese mobile numbers: 070, 080 or 090 and eight digits (電気通信番号規則).
_MOBILE = re.compile(r"0([789]0\d{8})")
_MOBILE_E164 = re.compile(r"\+81([789]0\d{8})")


class SmsGateway(Protocol):
    """An SMS provider. `send_sms` hands one text to the provider and says what came of it, in
    GOV.UK Notify's terms (`Result`): DELIVERED once the provider accepted it, TEMPORARY_FAILURE
    when trying again later may work, PERMANENT_FAILURE for a number that cannot receive SMS.

    `deduplicates` says whether the provider removes repeats of the same `idempotency_key`. If it
    does not, the channel calls `Outgoing.point_of_no_return()` just before handing the text over,
    so that a worker dying mid-send leaves at most one SMS, never two.
    """

    deduplicates: bool

    def send_sms(self, to_e164: str, text: str, idempotency_key: str) -> Result: ...


def mobile_number_e164(phone: str) -> str:
    """A Japanese mobile number in E.164 ("090-1234-5678" → "+819012345678"), or "" when the
    number is not a mobile one (landlines cannot receive SMS)."""
    # NFKC turns full-width digits and "＋" into ASCII; separators are dropped.
    digits = re.sub(r"[\s\-‐－ー()（）]", "", unicodedata.normalize("NFKC", phone or ""))
    if match := _MOBILE.fullmatch(digits):
        return f"+81{match.group(1)}"
    if match := _MOBILE_E164.fullmatch(digits):
        return f"+81{match.group(1)}"
    return ""


def ucs2_length(text: str) -> int:
    """Length in UCS-2 code units: a character outside the BMP (most emoji) takes two."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, units: int) -> str:
    """The longest start of `text` that fits in `units` UCS-2 code units."""
    kept = []
    for character in text:
        size = ucs2_length(character)
        if units < size:
            break
        kept.append(character)
        units -= size
    return "".join(kept)


def sms_text(outgoing: Outgoing) -> str:
    """Subject, body and the inbox link, within MAX_LENGTH; the body is shortened when needed."""
    head = f"{outgoing.subject}\n" if outgoing.subject else ""
    tail = f"\n{outgoing.inbox_url}" if outgoing.inbox_url else ""
    text = f"{head}{outgoing.body}{tail}"
    if ucs2_length(text) <= MAX_LENGTH:
        return text
    room = MAX_LENGTH - ucs2_length(head) - ucs2_length(tail) - ucs2_length(ELLIPSIS)
    if room <= 0:
        # A subject too long to leave room for the body: the link matters more than the rest.
        head = _cut(head, MAX_LENGTH - ucs2_length(tail) - ucs2_length(ELLIPSIS)) + ELLIPSIS
        return head + tail
    return f"{head}{_cut(outgoing.body, room)}{ELLIPSIS}{tail}"


def segment_count(text: str) -> int:
    """How many SMS a text costs: 70 UCS-2 characters alone, 67 a part when concatenated (the
    6-byte concatenation header takes three characters of each part)."""
    length = ucs2_length(text)
    return 1 if length <= SEGMENT_LENGTH else -(-length // 67)


def phone_of(user: Any) -> str:
    try:
        return str(user.resident_profile.phone)
    except (AttributeError, ObjectDoesNotExist):
        return ""


class _SmsSender:
    def __init__(self, gateway: SmsGateway):
        self.gateway = gateway

    def send(self, outgoing: Outgoing) -> Result:
        to = mobile_number_e164(phone_of(outgoing.user))
        if not to:
            return Result(DeliveryStatus.PERMANENT_FAILURE, error="no mobile phone number")
        text = sms_text(outgoing)
        if not getattr(self.gateway, "deduplicates", False):
            outgoing.point_of_no_return()
        return self.gateway.send_sms(to, text, outgoing.idempotency_key)


class SmsChannel:
    """The SMS channel. Off while no gateway is configured."""

    code = Channel.SMS

    def __init__(self, gateway: SmsGateway | None):
        self.gateway = gateway

    def can_reach(self, user: Any) -> bool:
        return self.gateway is not None and bool(mobile_number_e164(phone_of(user)))

    @contextmanager
    def session(self) -> Iterator[_SmsSender]:
        if self.gateway is None:
            raise RuntimeError("SMS channel used without NOTIFY_SMS_GATEWAY")
        yield _SmsSender(self.gateway)


def build() -> SmsChannel:
    path = getattr(settings, "NOTIFY_SMS_GATEWAY", "")
    return SmsChannel(import_string(path)() if path else None)
