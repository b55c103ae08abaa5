"""How a fee is collected: the interface the payments module will implement.

A module that charges something builds a `FeeDue` and asks the configured `FeeCollector` to request
it, then stores the `PaymentState` it answers. Until the payments module exists,
`CounterCollector` answers "to be paid at the counter" (窓口で支払い): staff take the money and mark
it paid in the module's back office.

The collector is chosen by the setting `PAYMENTS_FEE_COLLECTOR` (a dotted path to a class that takes
no arguments). A collector for cashless payment will create a payment intent keyed by
`FeeDue.reference` and answer `PENDING`; when the payment network confirms, the payments module
tells the module through a signal keyed by the same reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.db import models
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


class PaymentState(models.TextChoices):
    """Where a fee stands (支払い状況)."""

    NONE = "none", _("手数料なし")
    AT_COUNTER = "at_counter", _("窓口で支払い")
    PAID = "paid", _("支払い済み")


@dataclass(frozen=True)
class FeeDue:
    """A fee a module asks to be paid.

    `reference` is unique across modules ("procedures:2026-000123", "reservations:42"): the key
    the payments module reconciles on. `amount` is in yen and above zero. `due_by` is the last
    moment to pay (a facility booking's 支払期限); `None` for no deadline."""

    reference: str
    amount: int
    description: str
    payer_id: int | None
    due_by: datetime | None = None


class FeeCollector(Protocol):
    """Requests payment of a fee. Called inside the caller's transaction: it must not do slow
    network work there (queue it instead) and may raise to refuse the operation. Returns one of
    `PaymentState`'s values."""

    def request(self, fee: FeeDue) -> str: ...


class CounterCollector:
    """The fee is paid at the counter (窓口で支払い); staff mark it paid later."""

    def request(self, fee: FeeDue) -> str:
        return str(PaymentState.AT_COUNTER)


def fee_collector() -> FeeCollector:
    """The collector the town configured (`PAYMENTS_FEE_COLLECTOR`)."""
    collector: FeeCollector = import_string(settings.PAYMENTS_FEE_COLLECTOR)()
    return collector
