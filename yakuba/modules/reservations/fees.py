"""Facility fees (使用料): the rules of a fee schedule (`FeeSchedule.rules`), their checks, a
booking's quote and its cancellation fee.

The rules are data a clerk writes from the facility's 使用料 table in the town's ordinance, so
`check_rules` lists every mistake when a schedule is saved, and `quote` then trusts them. The
format (every key but ``rates`` may be left out)::

    {"rates": {"hall": {"per": "slot", "prices": {"am": 1200, "pm": 1500, "night": 1800}},
               "room1": {"per": "hour", "price": 800}},
     "time_unit_minutes": 30,
     "non_resident_factor": 2,
     "holiday_factor": 1.2,
     "surcharges": [{"code": "aircon", "label": "冷暖房", "label_en": "Heating / air conditioning",
                     "per": "hour", "amount": 300},
                    {"code": "piano", "label": "ピアノ", "per": "booking", "amount": 1000},
                    {"code": "stage_light", "label": "舞台照明", "per": "slot",
                     "prices": {"am": 400, "pm": 500, "night": 400}}],
     "multipliers": [{"code": "commercial", "label": "営利目的の利用", "label_en": "Commercial use",
                      "factor": 3}],
     "reductions": [{"code": "disability", "label": "障害のある方の団体の活動", "percent": 50}],
     "cancellation": [{"days_before": 7, "percent": 0}, {"days_before": 1, "percent": 50},
                      {"days_before": 0, "percent": 100}]}

- ``rates``: one rate for every unit (区画) of the facility, by unit code; ``slot`` rates price
  every time slot (時間帯) of the facility, ``hour`` rates are yen per hour (in a slot facility
  too: the slot's length is charged). A part of a unit is
  never charged at its parent's rate: the parent is the whole (全面), and its price would overcharge
  a part (半面), so a schedule without a rate for each unit is refused.
- ``time_unit_minutes`` (1–60, default 1): hourly charges are for the booking's length rounded up
  to a multiple of it, as tables say 「1時間未満の端数は1時間とする」 (60) or 「30分単位」 (30).
  With the default, they are pro rata by the minute (90 minutes at 800 yen an hour: 1,200 yen).
- ``non_resident_factor`` (町外料金) and ``holiday_factor`` (a use whose day, in Japan, is a
  Saturday, a Sunday, a 祝日, a 振替休日 or a 国民の休日; the year-end days are not holidays):
  numbers ≥ 1, default 1. Factors only raise a fee (割増); a discount is a reduction, which staff
  approve.
- ``surcharges`` (付帯設備の使用料) and ``multipliers`` (営利目的・入場料 …: 割増) are the
  options the booker ticks; their codes are unique together. A surcharge is yen per hour, per
  booking, or per slot (a price for each slot: tables price air conditioning by 区分).
- ``reductions`` (減免): the booker asks for one, staff approve it; ``percent`` 1–100 of the total.
- ``cancellation``: the share (``percent``) of the fee kept when a booking is cancelled at least
  ``days_before`` days before the day of use (dates in Japan; 0 is the day itself); the row with
  the largest ``days_before`` that fits applies. Nearer the day the share may only grow. When no
  row fits, or there is no table, the whole fee is kept: 使用料条例 say 「既納の使用料は還付しない」
  and then list when it is returned.
- Labels: ``label`` in Japanese is required; ``label_en`` is shown on English pages (Japanese when
  missing). Option and reduction codes: a lower-case letter, then lower-case letters, digits and
  ``_``. Amounts: whole yen, 0 or more (0 for a facility without a fee).

The quote, in this order:

1. base: the slot's price, or the hourly price × billed minutes / 60, rounded down to the yen;
2. × the non-resident factor, × the holiday factor, × each chosen multiplier (in the rules'
   order), each rounded down to the yen — multipliers apply to the fee, not to surcharges;
3. + each chosen surcharge (hourly ones pro rata like the base, rounded down): ``total``;
4. a requested reduction: ``reduced_total`` = total × (100 − percent) / 100, rounded down, so a
   half-price reduction of 1,201 yen charges 600 (the odd yen is the resident's); 100 % → 0.

Each step is one `FeeLine`; the lines before the reduction line add up to ``total``, and with it
to ``reduced_total``. The day of use is the start's date in Japan (a use past midnight is priced
by the day it starts).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any, TypeGuard

from django.utils.translation import get_language, gettext_noop, override
from django.utils.translation import gettext as _

from yakuba.modules.reservations.calendar import TOKYO, is_holiday

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

_KEYS = {
    "rates",
    "time_unit_minutes",
    "non_resident_factor",
    "holiday_factor",
    "surcharges",
    "multipliers",
    "reductions",
    "cancellation",
}
# The lines the engine itself adds; their labels are msgids, translated when shown.
_LABELS = {
    "base": gettext_noop("使用料"),
    "non_resident": gettext_noop("町外の方の料金"),
    "holiday": gettext_noop("土曜・日曜・祝日の料金"),
}


@dataclass(frozen=True)
class FeeLine:
    """One line of a fee's breakdown, shown to the resident and stored on the booking.

    The numbers behind the line are kept (not a sentence) so `text` can say them in the page's
    language: ``minutes`` and ``unit_price`` (yen per hour) for an hourly charge, ``factor`` for a
    multiplication, ``percent`` for a reduction."""

    code: str
    label: str
    label_en: str
    amount: int
    minutes: int | None = None
    unit_price: int | None = None
    factor: str | None = None
    percent: int | None = None

    def localized_label(self) -> str:
        if self.code in _LABELS:
            return _(self.label)
        return _in_language(self.label, self.label_en)

    def text(self) -> str:
        """How the amount was worked out ("1時間30分 × 1時間800円"), or ""."""
        if self.minutes is not None and self.unit_price is not None:
            return _("%(duration)s × 1時間%(price)s円") % {
                "duration": _duration(self.minutes),
                "price": f"{self.unit_price:,}",
            }
        if self.factor is not None:
            return _("%(factor)s倍") % {"factor": self.factor}
        if self.percent is not None:
            return _percent_text(self.percent)
        return ""


@dataclass(frozen=True)
class Quote:
    lines: tuple[FeeLine, ...]
    total: int
    """What is charged without a reduction (none requested, or refused)."""
    reduced_total: int | None
    """What is charged if the requested reduction is approved; None when none is requested."""


def quote(
    rules: dict[str, Any],
    *,
    unit_code: str,
    start: datetime,
    end: datetime,
    slot_code: str | None,
    resident: bool,
    options: list[str],
    reduction_code: str = "",
) -> Quote:
    """The fee for booking `unit_code` from `start` to `end` (in `slot_code`, for a slot facility),
    with the chosen options and the requested reduction. `rules` must have passed `check_rules`.

    Raises ValueError (a translated message) for a unit or slot the rules do not price, an option
    or reduction they do not have, or an end not after the start. A naive `start` is taken as
    time in Japan."""
    rate = rules["rates"].get(unit_code)
    if rate is None:
        raise ValueError(_("区画「%(code)s」の料金が料金表にありません。") % {"code": unit_code})
    if end <= start:
        raise ValueError(_("終了は開始より後にしてください。"))
    surcharges = rules.get("surcharges", [])
    multipliers = rules.get("multipliers", [])
    chosen = set(options)
    unknown = sorted(chosen - {item["code"] for item in surcharges + multipliers})
    if unknown:
        raise ValueError(_("「%(code)s」という選択肢はありません。") % {"code": unknown[0]})
    reduction = None
    if reduction_code:
        matches = [r for r in rules.get("reductions", []) if r["code"] == reduction_code]
        if not matches:
            raise ValueError(
                _("「%(code)s」という減免の理由はありません。") % {"code": reduction_code}
            )
        reduction = matches[0]

    minutes = _billed_minutes(rules, start, end)
    if rate["per"] == "slot":
        base = FeeLine("base", *_builtin_labels("base"), _slot_price(rate["prices"], slot_code))
    else:
        base = _hourly_line("base", *_builtin_labels("base"), rate["price"], minutes)
    lines = [base]
    amount = base.amount

    factors = []
    if not resident and rules.get("non_resident_factor", 1) != 1:
        factors.append(
            ("non_resident", *_builtin_labels("non_resident"), rules["non_resident_factor"])
        )
    if _is_holiday(start) and rules.get("holiday_factor", 1) != 1:
        factors.append(("holiday", *_builtin_labels("holiday"), rules["holiday_factor"]))
    for item in multipliers:
        if item["code"] in chosen:
            factors.append(
                (
                    f"multiplier:{item['code']}",
                    item["label"],
                    item.get("label_en", ""),
                    item["factor"],
                )
            )
    for code, label, label_en, factor in factors:
        multiplied = _multiply(amount, factor)
        lines.append(FeeLine(code, label, label_en, multiplied - amount, factor=f"{factor:g}"))
        amount = multiplied

    for item in surcharges:
        if item["code"] not in chosen:
            continue
        code, label, label_en = f"surcharge:{item['code']}", item["label"], item.get("label_en", "")
        if item["per"] == "hour":
            line = _hourly_line(code, label, label_en, item["amount"], minutes)
        elif item["per"] == "slot":
            line = FeeLine(code, label, label_en, _slot_price(item["prices"], slot_code))
        else:
            line = FeeLine(code, label, label_en, item["amount"])
        lines.append(line)
        amount += line.amount

    reduced_total = None
    if reduction is not None:
        reduced_total = amount * (100 - reduction["percent"]) // 100
        lines.append(
            FeeLine(
                f"reduction:{reduction['code']}",
                reduction["label"],
                reduction.get("label_en", ""),
                reduced_total - amount,
                percent=reduction["percent"],
            )
        )
    return Quote(lines=tuple(lines), total=amount, reduced_total=reduced_total)


def cancellation_fee(
    rules: dict[str, Any], *, charged: int, use_date: date, cancelled_on: date
) -> int:
    """The part of `charged` kept when a booking for `use_date` is cancelled on `cancelled_on`
    (both dates in Japan), rounded down to the yen."""
    days = (use_date - cancelled_on).days
    percent = 100
    for row in sorted(rules.get("cancellation", []), key=lambda row: row["days_before"]):
        if row["days_before"] <= days:
            percent = row["percent"]
    return charged * percent // 100


def options_of(rules: dict[str, Any]) -> list[dict[str, Any]]:
    """The options the booker may tick: surcharges, then multipliers, each with its label and a
    short text ("1時間につき300円", "料金が3倍になります") in the active language."""
    options: list[dict[str, Any]] = []
    for item in rules.get("surcharges", []):
        if item["per"] == "hour":
            text = _("1時間につき%(amount)s円") % {"amount": f"{item['amount']:,}"}
        elif item["per"] == "booking":
            text = _("1回%(amount)s円") % {"amount": f"{item['amount']:,}"}
        else:
            low, high = min(item["prices"].values()), max(item["prices"].values())
            text = (
                _("1回%(amount)s円") % {"amount": f"{low:,}"}
                if low == high
                else _("1回%(low)s円〜%(high)s円（時間帯による）")
                % {"low": f"{low:,}", "high": f"{high:,}"}
            )
        options.append(_described(item, "surcharge", text))
    for item in rules.get("multipliers", []):
        text = _("料金が%(factor)s倍になります") % {"factor": f"{item['factor']:g}"}
        options.append(_described(item, "multiplier", text))
    return options


def reductions_of(rules: dict[str, Any]) -> list[dict[str, Any]]:
    """The reductions (減免) a booker may ask for, with labels in the active language."""
    return [
        {
            "code": item["code"],
            "label": _in_language(item["label"], item.get("label_en", "")),
            "percent": item["percent"],
            "text": _percent_text(item["percent"]),
        }
        for item in rules.get("reductions", [])
    ]


def lines_as_json(quote: Quote) -> list[dict[str, Any]]:
    """The breakdown as `Booking.fee_lines` stores it (numbers left out when absent)."""
    return [
        {key: value for key, value in asdict(line).items() if value is not None}
        for line in quote.lines
    ]


def lines_from_json(data: list[dict[str, Any]]) -> list[FeeLine]:
    return [FeeLine(**item) for item in data]


def check_rules(rules: Any, *, unit_codes: set[str], slot_codes: set[str]) -> list[str]:
    """Every mistake in `rules`, each a plain Japanese sentence after its place in the JSON
    (「rates.hall.prices.am: 金額は0以上の整数で書いてください。」; lists are counted from 0);
    [] when the rules can be used for a facility with these units and time slots."""
    check = _Check(unit_codes, slot_codes)
    check.rules(rules)
    return check.problems


class _Check:
    def __init__(self, unit_codes: set[str], slot_codes: set[str]) -> None:
        self.unit_codes = unit_codes
        self.slot_codes = slot_codes
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}" if path else message)

    def keys(self, data: dict[str, Any], path: str, allowed: set[str], required: set[str]) -> None:
        for key in sorted(set(data) - allowed):
            self.problem(_join(path, key), _("この設定はありません。"))
        for key in sorted(required - set(data)):
            self.problem(path, _("「%(key)s」がありません。") % {"key": key})

    def is_object(self, data: Any, path: str) -> bool:
        if not isinstance(data, dict):
            self.problem(path, _("JSONのオブジェクト（{…}）にしてください。"))
            return False
        return True

    def yen(self, data: Any, path: str) -> None:
        if not _is_integer(data) or data < 0:
            self.problem(path, _("金額は0以上の整数で書いてください。"))

    def factor(self, data: Any, path: str) -> None:
        # Factors are 割増 only: a discount is a reduction (減免), which staff approve.
        if (
            not isinstance(data, int | float)
            or isinstance(data, bool)
            or not math.isfinite(data)
            or data < 1
        ):
            self.problem(path, _("倍率は1以上の数で書いてください。"))

    def prices(self, data: Any, path: str) -> None:
        if not self.is_object(data, path):
            return
        for code in sorted(data):
            if code not in self.slot_codes:
                self.problem(
                    _join(path, code),
                    _("この施設に時間帯「%(code)s」はありません。") % {"code": code},
                )
            self.yen(data[code], _join(path, code))
        for code in sorted(self.slot_codes - set(data)):
            self.problem(path, _("時間帯「%(code)s」の金額がありません。") % {"code": code})

    def rules(self, rules: Any) -> None:
        if not isinstance(rules, dict):
            self.problem("", _("料金の決まりはJSONのオブジェクト（{…}）にしてください。"))
            return
        self.keys(rules, "", _KEYS, {"rates"})
        if "rates" in rules:
            self.rates(rules["rates"])
        if "time_unit_minutes" in rules:
            minutes = rules["time_unit_minutes"]
            if not _is_integer(minutes) or not 1 <= minutes <= 60:
                self.problem("time_unit_minutes", _("1以上60以下の整数で書いてください。"))
        for key in ("non_resident_factor", "holiday_factor"):
            if key in rules:
                self.factor(rules[key], key)
        option_codes: set[str] = set()
        self.items(rules, "surcharges", option_codes, self.surcharge)
        self.items(rules, "multipliers", option_codes, self.multiplier)
        self.items(rules, "reductions", set(), self.reduction)
        if "cancellation" in rules:
            self.cancellation(rules["cancellation"])

    def rates(self, rates: Any) -> None:
        if not self.is_object(rates, "rates"):
            return
        for code in sorted(self.unit_codes - set(rates)):
            self.problem("rates", _("区画「%(code)s」の料金がありません。") % {"code": code})
        for code, rate in sorted(rates.items()):
            path = _join("rates", code)
            if code not in self.unit_codes:
                self.problem(path, _("この施設に区画「%(code)s」はありません。") % {"code": code})
            if not self.is_object(rate, path):
                continue
            if rate.get("per") == "hour":
                self.keys(rate, path, {"per", "price"}, {"price"})
                if "price" in rate:
                    self.yen(rate["price"], _join(path, "price"))
            elif rate.get("per") == "slot" and self.slot_codes:
                self.keys(rate, path, {"per", "prices"}, {"prices"})
                if "prices" in rate:
                    self.prices(rate["prices"], _join(path, "prices"))
            elif self.slot_codes:
                self.problem(_join(path, "per"), _("perは slot か hour にしてください。"))
            else:
                self.problem(
                    _join(path, "per"),
                    _("この施設には時間帯がありません。perは hour にしてください。"),
                )

    def items(
        self,
        rules: dict[str, Any],
        key: str,
        codes: set[str],
        check_item: Callable[[dict[str, Any], str], None],
    ) -> None:
        """A list of labelled items with codes unique among `codes`."""
        if key not in rules:
            return
        if not isinstance(rules[key], list):
            self.problem(key, _("リスト（[…]）にしてください。"))
            return
        for index, item in enumerate(rules[key]):
            path = f"{key}[{index}]"
            if not self.is_object(item, path):
                continue
            code = item.get("code")
            if not isinstance(code, str) or not CODE_PATTERN.match(code):
                self.problem(
                    _join(path, "code"),
                    _("コードは英小文字で始め、英小文字・数字・_ だけで書いてください。"),
                )
            elif code in codes:
                self.problem(
                    _join(path, "code"), _("コード「%(code)s」がすでにあります。") % {"code": code}
                )
            else:
                codes.add(code)
            label = item.get("label")
            if not isinstance(label, str) or not label.strip():
                self.problem(_join(path, "label"), _("名前を日本語で書いてください。"))
            if not isinstance(item.get("label_en", ""), str):
                self.problem(_join(path, "label_en"), _("英語の名前は文字列にしてください。"))
            check_item(item, path)

    def surcharge(self, item: dict[str, Any], path: str) -> None:
        common = {"code", "label", "label_en", "per"}
        if item.get("per") in ("hour", "booking"):
            self.keys(item, path, common | {"amount"}, {"amount"})
            if "amount" in item:
                self.yen(item["amount"], _join(path, "amount"))
        elif item.get("per") == "slot" and self.slot_codes:
            self.keys(item, path, common | {"prices"}, {"prices"})
            if "prices" in item:
                self.prices(item["prices"], _join(path, "prices"))
        elif self.slot_codes:
            self.problem(
                _join(path, "per"), _("perは hour・booking・slot のどれかにしてください。")
            )
        else:
            self.problem(
                _join(path, "per"),
                _("この施設には時間帯がありません。perは hour か booking にしてください。"),
            )

    def multiplier(self, item: dict[str, Any], path: str) -> None:
        self.keys(item, path, {"code", "label", "label_en", "factor"}, {"factor"})
        if "factor" in item:
            self.factor(item["factor"], _join(path, "factor"))

    def reduction(self, item: dict[str, Any], path: str) -> None:
        self.keys(item, path, {"code", "label", "label_en", "percent"}, {"percent"})
        percent = item.get("percent")
        if "percent" in item and (not _is_integer(percent) or not 1 <= percent <= 100):
            self.problem(_join(path, "percent"), _("割合は1以上100以下の整数で書いてください。"))

    def cancellation(self, rows: Any) -> None:
        if not isinstance(rows, list):
            self.problem("cancellation", _("リスト（[…]）にしてください。"))
            return
        valid: dict[int, int] = {}
        for index, row in enumerate(rows):
            path = f"cancellation[{index}]"
            if not self.is_object(row, path):
                continue
            self.keys(row, path, {"days_before", "percent"}, {"days_before", "percent"})
            days, percent = row.get("days_before"), row.get("percent")
            if "days_before" in row and (not _is_integer(days) or days < 0):
                self.problem(_join(path, "days_before"), _("日数は0以上の整数で書いてください。"))
                days = None
            elif days in valid:
                self.problem(_join(path, "days_before"), _("同じ日数の行がすでにあります。"))
                days = None
            if "percent" in row and (not _is_integer(percent) or not 0 <= percent <= 100):
                self.problem(
                    _join(path, "percent"), _("割合は0以上100以下の整数で書いてください。")
                )
                percent = None
            if days is not None and percent is not None:
                valid[days] = percent
        by_days = [valid[days] for days in sorted(valid, reverse=True)]
        if by_days != sorted(by_days):
            self.problem(
                "cancellation",
                _("利用日に近いほど、残す割合が同じか大きくなるように書いてください。"),
            )


def _builtin_labels(code: str) -> tuple[str, str]:
    # The English is stored with the line, as a data label's is, for exports read later.
    with override("en"):
        return _LABELS[code], _(_LABELS[code])


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _is_integer(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _in_language(label: str, label_en: str) -> str:
    language = (get_language() or "ja").lower()
    return label if language.startswith("ja") else (label_en or label)


def _described(item: dict[str, Any], kind: str, text: str) -> dict[str, Any]:
    return {
        "code": item["code"],
        "kind": kind,
        "label": _in_language(item["label"], item.get("label_en", "")),
        "text": text,
    }


def _billed_minutes(rules: dict[str, Any], start: datetime, end: datetime) -> int:
    minutes = int((end - start).total_seconds()) // 60
    step = rules.get("time_unit_minutes", 1)
    return -(-minutes // step) * step


def _hourly_line(code: str, label: str, label_en: str, price: int, minutes: int) -> FeeLine:
    return FeeLine(code, label, label_en, price * minutes // 60, minutes=minutes, unit_price=price)


def _slot_price(prices: dict[str, int], slot_code: str | None) -> int:
    if slot_code is None:
        raise ValueError(_("時間帯ごとの料金です。時間帯を選んでください。"))
    if slot_code not in prices:
        raise ValueError(_("時間帯「%(code)s」の料金が料金表にありません。") % {"code": slot_code})
    return prices[slot_code]


def _multiply(amount: int, factor: float) -> int:
    # Through the factor's decimal text: 100 × 1.15 is 115, not the float's 114.99….
    exact = Decimal(amount) * Decimal(str(factor))
    return int(exact.to_integral_value(rounding=ROUND_FLOOR))


def _is_holiday(start: datetime) -> bool:
    day = (start if start.tzinfo is None else start.astimezone(TOKYO)).date()
    return day.weekday() >= 5 or is_holiday(day)


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not rest:
        return _("%(hours)s時間") % {"hours": hours}
    if not hours:
        return _("%(minutes)s分") % {"minutes": rest}
    return _("%(hours)s時間%(minutes)s分") % {"hours": hours, "minutes": rest}


def _percent_text(percent: int) -> str:
    if percent == 100:
        return _("全額免除")
    return _("%(percent)s%%減額") % {"percent": percent}
