"""Outside channels (配信経路): email, Web Push, LINE and SMS, behind one small interface.

The delivery engine (`notify.delivery`) renders a message for one recipient and hands it to a
channel as an `Outgoing`; the channel answers with a `Result` in GOV.UK Notify's terms. Channels
never touch the database: the engine records states, retries and fallbacks.

Exactly one copy per channel, even when a worker dies mid-send: the engine marks a delivery
`sending` before it calls the channel, and a channel calls `Outgoing.point_of_no_return()` at the
last moment before the outside service can have accepted the message (for SMTP: just before the
final "." of DATA). The engine commits the delivery as sent there. A delivery found still `sending`
after a crash was therefore never accepted, and is sent again. Channels whose service removes
duplicates by itself (LINE's X-Line-Retry-Key) need not call it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from yakuba.platform.notify.models import Channel, DeliveryStatus


@dataclass(frozen=True)
class Choice:
    """A button a question offers (選択肢), already in the recipient's language."""

    code: str
    label: str


@dataclass(frozen=True)
class Outgoing:
    """One rendered message for one recipient on one channel."""

    delivery_id: int
    recipient_id: int
    user: Any
    language: str
    subject: str
    body: str
    # Absolute URL of the message in the resident's inbox (where questions are answered too).
    inbox_url: str
    link_url: str = ""
    is_emergency: bool = False
    # The first question's choices, offered as buttons where the channel has them (LINE, push).
    choices: tuple[Choice, ...] = ()
    # The question those choices answer (for answer links).
    question_id: int | None = None
    # A stable key for the delivery (UUID-like), for services that deduplicate retries.
    idempotency_key: str = ""
    point_of_no_return: Callable[[], None] = field(default=lambda: None)


@dataclass(frozen=True)
class Result:
    """What came of handing a message to a channel."""

    status: DeliveryStatus
    provider_ref: str = ""
    error: str = ""

    @property
    def is_final_failure(self) -> bool:
        return self.status in (DeliveryStatus.PERMANENT_FAILURE, DeliveryStatus.TECHNICAL_FAILURE)


class Sender(Protocol):
    def send(self, outgoing: Outgoing) -> Result: ...


class ChannelAdapter(Protocol):
    """A channel. `session()` opens what a batch of sends can share (an SMTP connection)."""

    code: Channel

    def can_reach(self, user: Any) -> bool:
        """Whether the resident has an address on this channel (a verified mail address, a live
        push subscription, a linked LINE account, a phone number)."""
        ...

    def session(self) -> AbstractContextManager[Sender]: ...


_adapters: dict[str, Callable[[], ChannelAdapter]] = {}


def register_channel(code: str, factory: Callable[[], ChannelAdapter]) -> None:
    _adapters[code] = factory


def adapter_for(code: str) -> ChannelAdapter:
    return _adapters[code]()


def registered_channels() -> Iterator[str]:
    return iter(_adapters)
