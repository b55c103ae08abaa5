"""How a submission's fee (手数料) is collected: the seam the payments module will implement.

`submit` asks the configured `FeeCollector` to request payment of a filed submission whose fee is
above zero, and stores the payment state it answers (`Submission.Payment`). Until the payments module
exists (plan items 1-2①② セミセルフレジ・キャッシュレス), `CounterCollector` marks the fee as due at
the counter, where staff take it and mark the submission paid.

A collector is chosen by the setting `PROCEDURES_FEE_COLLECTOR` (a dotted path to a class that
takes no arguments; default `CounterCollector`). The payments module will provide one that creates a
payment intent and answers `Submission.Payment.PAID` or a pending state of its own; it must not
import this module's views, only receive the submission.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from yakuba.modules.procedures.models import Submission


class FeeCollector(Protocol):
    """Requests payment of a filed submission's fee (`submission.fee_amount` yen, above zero).

    Called inside the submission's transaction: it must not do slow network work there (queue it
    instead) and may raise to refuse the filing. Returns the payment state to store, one of
    `Submission.Payment`'s values."""

    def request(self, submission: Submission) -> str: ...


class CounterCollector:
    """The fee is paid at the counter (窓口で支払い); staff mark it paid later."""

    def request(self, submission: Submission) -> str:
        from yakuba.modules.procedures.models import Submission

        return str(Submission.Payment.AT_COUNTER)


def fee_collector() -> FeeCollector:
    """The collector the town configured (`PROCEDURES_FEE_COLLECTOR`)."""
    collector: FeeCollector = import_string(settings.PROCEDURES_FEE_COLLECTOR)()
    return collector
