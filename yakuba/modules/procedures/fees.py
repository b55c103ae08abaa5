"""Fees (手数料) worked out from a form's answers by the rule in its definition.

``{"rule": "fixed", "yen": 300}``: the same for every application (e.g. 住民票の写し 1通).
``{"rule": "per_item", "field": "copies", "unit_yen": 300}``: `unit_yen` for each copy asked for
(a number field), each option chosen (multi_choice) or each row (group); nothing asked, nothing due.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yakuba.modules.procedures.formdef import FormDefinition, parse


def fee_for(
    definition: FormDefinition | Mapping[str, Any], answers: Mapping[str, Any]
) -> int | None:
    """The fee in yen for these answers, or None when the form has no fee rule."""
    parsed = parse(definition)
    fee = parsed.fee
    if fee is None:
        return None
    if fee.rule == "fixed":
        return fee.yen
    value = (answers.get(fee.section) or {}).get(fee.key)
    if isinstance(value, bool):
        count = 0
    elif isinstance(value, int):
        count = max(value, 0)
    elif isinstance(value, list):
        count = len(value)
    else:
        count = 0
    return count * (fee.unit_yen or 0)
