"""The fee engine (使用料): quotes, cancellation fees and the checks of a fee schedule's rules."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from yakuba.modules.reservations.calendar import TOKYO
from yakuba.modules.reservations.fees import (
    FeeLine,
    Quote,
    cancellation_fee,
    check_rules,
    lines_as_json,
    lines_from_json,
    options_of,
    quote,
    reductions_of,
)

UNITS = {"hall", "room"}
SLOTS = {"am", "pm", "night"}
TUESDAY = dt.date(2027, 1, 12)
SATURDAY = dt.date(2027, 1, 9)
COMING_OF_AGE_DAY = dt.date(2027, 1, 11)  # 成人の日, a Monday
SUBSTITUTE_HOLIDAY = dt.date(2026, 5, 6)  # 振替休日 for 憲法記念日 on a Sunday; a Wednesday
CITIZENS_HOLIDAY = dt.date(2026, 9, 22)  # 国民の休日, a Tuesday between two 祝日

RULES: dict[str, Any] = {
    "rates": {
        "hall": {"per": "slot", "prices": {"am": 1200, "pm": 1500, "night": 1001}},
        "room": {"per": "hour", "price": 800},
    },
    "non_resident_factor": 2,
    "holiday_factor": 1.2,
    "surcharges": [
        {
            "code": "aircon",
            "label": "冷暖房",
            "label_en": "Air conditioning",
            "per": "hour",
            "amount": 300,
        },
        {"code": "piano", "label": "ピアノ", "label_en": "Piano", "per": "booking", "amount": 1000},
        {
            "code": "lights",
            "label": "舞台照明",
            "label_en": "Stage lights",
            "per": "slot",
            "prices": {"am": 400, "pm": 500, "night": 400},
        },
    ],
    "multipliers": [
        {
            "code": "commercial",
            "label": "営利目的の利用",
            "label_en": "Commercial use",
            "factor": 3,
        },
        {
            "code": "admission",
            "label": "入場料を取る催し",
            "label_en": "Event charging admission",
            "factor": 1.5,
        },
    ],
    "reductions": [
        {
            "code": "town_event",
            "label": "町・教育委員会の主催・共催",
            "label_en": "Town event",
            "percent": 100,
        },
        {"code": "disability", "label": "障害のある方の団体の活動", "percent": 50},
    ],
    "cancellation": [
        {"days_before": 7, "percent": 0},
        {"days_before": 1, "percent": 50},
        {"days_before": 0, "percent": 100},
    ],
}


def at(day: dt.date, hhmm: str) -> dt.datetime:
    hours, minutes = hhmm.split(":")
    return dt.datetime.combine(day, dt.time(int(hours), int(minutes)), tzinfo=TOKYO)


def price(
    *,
    unit: str = "hall",
    day: dt.date = TUESDAY,
    start: str = "09:00",
    end: str = "12:00",
    slot: str | None = "am",
    resident: bool = True,
    options: tuple[str, ...] = (),
    reduction: str = "",
    rules: dict[str, Any] | None = None,
) -> Quote:
    return quote(
        RULES if rules is None else rules,
        unit_code=unit,
        start=at(day, start),
        end=at(day, end),
        slot_code=slot if unit == "hall" else None,
        resident=resident,
        options=list(options),
        reduction_code=reduction,
    )


def amounts(found: Quote) -> dict[str, int]:
    return {line.code: line.amount for line in found.lines}


def test_the_example_rules_are_valid() -> None:
    assert check_rules(RULES, unit_codes=UNITS, slot_codes=SLOTS) == []


@pytest.mark.parametrize(
    ("booking", "total"),
    [
        pytest.param({"slot": "am"}, 1200, id="morning slot"),
        pytest.param({"slot": "pm", "start": "13:00", "end": "17:00"}, 1500, id="afternoon slot"),
        pytest.param(
            {"unit": "room", "start": "09:00", "end": "10:30"}, 1200, id="90 min at 800/h"
        ),
        pytest.param({"unit": "room", "start": "09:00", "end": "12:00"}, 2400, id="3 h at 800/h"),
        pytest.param(
            {"unit": "room", "start": "09:00", "end": "09:50"}, 666, id="50 min rounded down"
        ),
    ],
)
def test_base_fee(booking: dict[str, Any], total: int) -> None:
    found = price(**booking)
    assert found.total == total
    assert found.reduced_total is None
    assert [line.code for line in found.lines] == ["base"]


@pytest.mark.parametrize(
    ("unit_minutes", "end", "billed", "total"),
    [
        pytest.param(60, "10:30", 120, 1600, id="a started hour is a whole hour"),
        pytest.param(60, "11:00", 120, 1600, id="whole hours stay"),
        pytest.param(30, "09:45", 60, 800, id="45 min in 30-min units is 60"),
        pytest.param(1, "09:45", 45, 600, id="by the minute"),
    ],
)
def test_hourly_charges_round_the_time_up_to_the_time_unit(
    unit_minutes: int, end: str, billed: int, total: int
) -> None:
    rules = {**RULES, "time_unit_minutes": unit_minutes}
    found = price(unit="room", start="09:00", end=end, options=("aircon",), rules=rules)
    base = found.lines[0]
    assert (base.minutes, base.unit_price, base.amount) == (billed, 800, total)
    assert amounts(found)["surcharge:aircon"] == 300 * billed // 60


@pytest.mark.parametrize(
    ("day", "start", "holiday"),
    [
        pytest.param(TUESDAY, "09:00", False, id="plain weekday"),
        pytest.param(SATURDAY, "09:00", True, id="saturday"),
        pytest.param(SATURDAY + dt.timedelta(days=1), "09:00", True, id="sunday"),
        pytest.param(COMING_OF_AGE_DAY, "09:00", True, id="national holiday on a monday"),
        pytest.param(SUBSTITUTE_HOLIDAY, "09:00", True, id="substitute holiday"),
        pytest.param(CITIZENS_HOLIDAY, "09:00", True, id="citizens holiday"),
    ],
)
def test_holiday_factor(day: dt.date, start: str, holiday: bool) -> None:
    found = price(unit="room", day=day, start=start, end="10:00")
    assert found.total == (960 if holiday else 800)
    assert ("holiday" in amounts(found)) is holiday


def test_the_day_of_use_is_the_day_in_japan() -> None:
    # 2027-01-10 16:00 UTC is 01:00 on 成人の日 in Japan.
    start = dt.datetime(2027, 1, 10, 16, 0, tzinfo=dt.UTC)
    found = quote(
        RULES,
        unit_code="room",
        start=start,
        end=start + dt.timedelta(hours=1),
        slot_code=None,
        resident=True,
        options=[],
    )
    assert amounts(found) == {"base": 800, "holiday": 160}


@pytest.mark.parametrize(
    ("booking", "lines"),
    [
        pytest.param({"resident": False}, {"base": 1200, "non_resident": 1200}, id="non-resident"),
        pytest.param(
            {"options": ("commercial",)},
            {"base": 1200, "multiplier:commercial": 2400},
            id="commercial",
        ),
        pytest.param(
            {"options": ("admission",)}, {"base": 1200, "multiplier:admission": 600}, id="admission"
        ),
        pytest.param(
            {"options": ("admission", "commercial")},
            {"base": 1200, "multiplier:commercial": 2400, "multiplier:admission": 1800},
            id="both multipliers, in the rules' order",
        ),
        pytest.param(
            {"resident": False, "day": SATURDAY, "options": ("commercial",)},
            {"base": 1200, "non_resident": 1200, "holiday": 480, "multiplier:commercial": 5760},
            id="every factor",
        ),
        pytest.param(
            {
                "slot": "night",
                "start": "18:00",
                "end": "21:00",
                "day": SATURDAY,
                "options": ("admission",),
            },
            # 1001 × 1.2 = 1201.2 → 1201; × 1.5 = 1801.5 → 1801
            {"base": 1001, "holiday": 200, "multiplier:admission": 600},
            id="rounded down after each multiplication",
        ),
    ],
)
def test_factors_multiply_the_fee_in_order(booking: dict[str, Any], lines: dict[str, int]) -> None:
    found = price(**booking)
    assert amounts(found) == lines
    assert found.total == sum(lines.values())


def test_rounding_after_each_multiplication_differs_from_one_product() -> None:
    rules = {**RULES, "rates": {**RULES["rates"], "room": {"per": "hour", "price": 333}}}
    found = price(
        unit="room",
        end="10:00",
        options=("admission",),
        day=SATURDAY,
        rules={**rules, "holiday_factor": 1.5},
    )
    assert found.total == 748  # 333 × 1.5 → 499, × 1.5 → 748; 333 × 2.25 would be 749


def test_a_decimal_factor_is_exact() -> None:
    rules = {
        **RULES,
        "rates": {**RULES["rates"], "room": {"per": "hour", "price": 100}},
        "holiday_factor": 1.15,
    }
    assert price(unit="room", end="10:00", day=SATURDAY, rules=rules).total == 115


@pytest.mark.parametrize(
    ("booking", "surcharge", "amount"),
    [
        pytest.param({"unit": "room", "end": "10:30"}, "aircon", 450, id="per hour, 90 min"),
        pytest.param({"slot": "am"}, "aircon", 900, id="per hour, a 3-hour slot"),
        pytest.param({"slot": "am"}, "piano", 1000, id="per booking"),
        pytest.param({"slot": "am"}, "lights", 400, id="per slot, morning"),
        pytest.param(
            {"slot": "pm", "start": "13:00", "end": "17:00"},
            "lights",
            500,
            id="per slot, afternoon",
        ),
    ],
)
def test_surcharges(booking: dict[str, Any], surcharge: str, amount: int) -> None:
    plain = price(**booking)
    found = price(**booking, options=(surcharge,))
    assert amounts(found)[f"surcharge:{surcharge}"] == amount
    assert found.total == plain.total + amount


def test_surcharges_are_not_multiplied() -> None:
    found = price(resident=False, day=SATURDAY, options=("commercial", "piano"))
    assert amounts(found)["surcharge:piano"] == 1000
    assert found.total == 8640 + 1000


@pytest.mark.parametrize(
    ("booking", "reduction", "total", "reduced"),
    [
        pytest.param({"slot": "am"}, "disability", 1200, 600, id="half"),
        pytest.param(
            {"slot": "night", "start": "18:00", "end": "21:00"},
            "disability",
            1001,
            500,
            id="half, rounded down",
        ),
        pytest.param(
            {"slot": "am", "options": ("piano",)},
            "disability",
            2200,
            1100,
            id="half of fee and surcharges",
        ),
        pytest.param({"slot": "am", "options": ("commercial",)}, "town_event", 3600, 0, id="whole"),
    ],
)
def test_reductions(booking: dict[str, Any], reduction: str, total: int, reduced: int) -> None:
    found = price(**booking, reduction=reduction)
    assert (found.total, found.reduced_total) == (total, reduced)
    last = found.lines[-1]
    assert (last.code, last.amount) == (f"reduction:{reduction}", reduced - total)
    assert sum(line.amount for line in found.lines) == reduced


@pytest.mark.parametrize(
    ("days_before", "kept"),
    [
        pytest.param(30, 0, id="a month before"),
        pytest.param(7, 0, id="exactly 7 days before"),
        pytest.param(6, 600, id="6 days before"),
        pytest.param(1, 600, id="the day before"),
        pytest.param(0, 1200, id="the same day"),
        pytest.param(-1, 1200, id="after the day of use"),
    ],
)
def test_cancellation_fee(days_before: int, kept: int) -> None:
    cancelled_on = TUESDAY - dt.timedelta(days=days_before)
    assert (
        cancellation_fee(RULES, charged=1200, use_date=TUESDAY, cancelled_on=cancelled_on) == kept
    )


def test_cancellation_fee_is_rounded_down() -> None:
    assert (
        cancellation_fee(
            RULES, charged=1201, use_date=TUESDAY, cancelled_on=TUESDAY - dt.timedelta(days=3)
        )
        == 600
    )


def test_without_a_cancellation_table_the_fee_is_kept() -> None:
    rules = {"rates": RULES["rates"]}
    assert (
        cancellation_fee(
            rules, charged=1200, use_date=TUESDAY, cancelled_on=TUESDAY - dt.timedelta(days=60)
        )
        == 1200
    )


@pytest.mark.parametrize(
    ("booking", "message"),
    [
        pytest.param(
            {"options": ("sauna",)}, "「sauna」という選択肢はありません。", id="unknown option"
        ),
        pytest.param(
            {"reduction": "mayor"},
            "「mayor」という減免の理由はありません。",
            id="unknown reduction",
        ),
        pytest.param(
            {"unit": "stage"}, "区画「stage」の料金が料金表にありません。", id="unit without a rate"
        ),
        pytest.param(
            {"slot": "noon"},
            "時間帯「noon」の料金が料金表にありません。",
            id="slot without a price",
        ),
        pytest.param({"slot": None}, "時間帯を選んでください。", id="slot rate without a slot"),
        pytest.param(
            {"start": "12:00", "end": "09:00"},
            "終了は開始より後にしてください。",
            id="end before start",
        ),
    ],
)
def test_quote_refuses(booking: dict[str, Any], message: str) -> None:
    with translation.override("ja"), pytest.raises(ValueError, match=message):
        quote(
            RULES,
            unit_code=booking.get("unit", "hall"),
            start=at(TUESDAY, booking.get("start", "09:00")),
            end=at(TUESDAY, booking.get("end", "12:00")),
            slot_code=booking.get("slot", "am"),
            resident=True,
            options=list(booking.get("options", ())),
            reduction_code=booking.get("reduction", ""),
        )


def changed(path: str, value: Any) -> dict[str, Any]:
    """RULES with the value at `path` ("surcharges.0.amount") replaced, or removed when None."""
    rules = copy.deepcopy(RULES)
    *parents, last = path.split(".")
    target: Any = rules
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    key: Any = int(last) if isinstance(target, list) else last
    if value is None:
        del target[key]
    else:
        target[key] = value
    return rules


@pytest.mark.parametrize(
    ("rules", "problem"),
    [
        pytest.param([], "料金の決まりはJSONのオブジェクト", id="not an object"),
        pytest.param({}, "「rates」がありません。", id="no rates"),
        pytest.param(changed("discount", 5), "discount: この設定はありません。", id="unknown key"),
        pytest.param(
            changed("rates.stage", {"per": "hour", "price": 1}),
            "rates.stage: この施設に区画「stage」はありません。",
            id="unknown unit",
        ),
        pytest.param(
            changed("rates.room", None),
            "rates: 区画「room」の料金がありません。",
            id="unit without a rate",
        ),
        pytest.param(
            changed("rates.room.per", "day"),
            "rates.room.per: perは slot か hour にしてください。",
            id="unknown per",
        ),
        pytest.param(
            changed("rates.room.price", -1),
            "rates.room.price: 金額は0以上の整数で書いてください。",
            id="negative price",
        ),
        pytest.param(
            changed("rates.room.price", 800.5),
            "rates.room.price: 金額は0以上の整数",
            id="fractional yen",
        ),
        pytest.param(
            changed("rates.room.price", True),
            "rates.room.price: 金額は0以上の整数",
            id="boolean price",
        ),
        pytest.param(
            changed("rates.room.price", None), "rates.room: 「price」がありません。", id="no price"
        ),
        pytest.param(
            changed("rates.room.prices", {}),
            "rates.room.prices: この設定はありません。",
            id="key of another per",
        ),
        pytest.param(
            changed("rates.hall.prices.am", "1200"),
            "rates.hall.prices.am: 金額は0以上の整数で書いてください。",
            id="price as text",
        ),
        pytest.param(
            changed("rates.hall.prices.noon", 100),
            "rates.hall.prices.noon: この施設に時間帯「noon」はありません。",
            id="unknown slot",
        ),
        pytest.param(
            changed("rates.hall.prices.night", None),
            "rates.hall.prices: 時間帯「night」の金額がありません。",
            id="slot without a price",
        ),
        pytest.param(
            changed("time_unit_minutes", 90),
            "time_unit_minutes: 1以上60以下の整数",
            id="time unit too long",
        ),
        pytest.param(
            changed("non_resident_factor", 0.5),
            "non_resident_factor: 倍率は1以上の数",
            id="factor below 1",
        ),
        pytest.param(
            changed("holiday_factor", "1.2"), "holiday_factor: 倍率は1以上の数", id="factor as text"
        ),
        pytest.param(
            changed("surcharges", {}),
            "surcharges: リスト（[…]）にしてください。",
            id="surcharges not a list",
        ),
        pytest.param(
            changed("surcharges.0.code", "Air-Con"),
            "surcharges[0].code: コードは英小文字で始め",
            id="bad code",
        ),
        pytest.param(
            changed("multipliers.0.code", "piano"),
            "multipliers[0].code: コード「piano」がすでにあります。",
            id="option codes shared",
        ),
        pytest.param(
            changed("surcharges.0.label", ""),
            "surcharges[0].label: 名前を日本語で書いてください。",
            id="no label",
        ),
        pytest.param(changed("surcharges.0.label_en", None), None, id="label_en optional"),
        pytest.param(
            changed("surcharges.0.label_en", 5),
            "surcharges[0].label_en: 英語の名前は文字列",
            id="label_en not text",
        ),
        pytest.param(
            changed("surcharges.0.per", "day"),
            "surcharges[0].per: perは hour・booking・slot",
            id="surcharge per",
        ),
        pytest.param(
            changed("surcharges.0.amount", None),
            "surcharges[0]: 「amount」がありません。",
            id="surcharge without amount",
        ),
        pytest.param(
            changed("surcharges.2.prices.am", -5),
            "surcharges[2].prices.am: 金額は0以上の整数",
            id="slot surcharge price",
        ),
        pytest.param(
            changed("multipliers.1.factor", 0),
            "multipliers[1].factor: 倍率は1以上の数",
            id="multiplier factor",
        ),
        pytest.param(
            changed("multipliers.1.extra", 1),
            "multipliers[1].extra: この設定はありません。",
            id="unknown item key",
        ),
        pytest.param(
            changed("reductions.1.percent", 0),
            "reductions[1].percent: 割合は1以上100以下の整数",
            id="reduction of 0",
        ),
        pytest.param(
            changed("reductions.1.percent", 150),
            "reductions[1].percent: 割合は1以上100以下の整数",
            id="reduction over 100",
        ),
        pytest.param(
            changed("reductions.1.code", "town_event"),
            "reductions[1].code: コード「town_event」がすでにあります。",
            id="duplicate reduction",
        ),
        pytest.param(
            changed("cancellation.1.days_before", -1),
            "cancellation[1].days_before: 日数は0以上の整数",
            id="negative days",
        ),
        pytest.param(
            changed("cancellation.1.days_before", 7),
            "cancellation[1].days_before: 同じ日数の行がすでにあります。",
            id="same days twice",
        ),
        pytest.param(
            changed("cancellation.1.percent", 101),
            "cancellation[1].percent: 割合は0以上100以下の整数",
            id="cancellation over 100",
        ),
        pytest.param(
            changed("cancellation.1.percent", None),
            "cancellation[1]: 「percent」がありません。",
            id="cancellation row without percent",
        ),
        pytest.param(
            changed("cancellation.0.percent", 80),
            "cancellation: 利用日に近いほど、残す割合が同じか大きく",
            id="share shrinks nearer the day",
        ),
    ],
)
def test_check_rules_names_each_problem(rules: Any, problem: str | None) -> None:
    with translation.override("ja"):
        problems = check_rules(rules, unit_codes=UNITS, slot_codes=SLOTS)
    if problem is None:
        assert problems == []
    else:
        assert any(found.startswith(problem) for found in problems), problems


def test_check_rules_lists_every_problem() -> None:
    rules = changed("rates.room.price", -1) | {"holiday_factor": 0, "extra": 1}
    assert len(check_rules(rules, unit_codes=UNITS, slot_codes=SLOTS)) == 3


def test_a_facility_without_slots_cannot_price_by_slot() -> None:
    rules = {
        "rates": {"room": {"per": "slot", "prices": {"am": 100}}},
        "surcharges": [{"code": "lights", "label": "照明", "per": "slot", "prices": {"am": 1}}],
    }
    with translation.override("ja"):
        problems = check_rules(rules, unit_codes={"room"}, slot_codes=set())
    assert problems == [
        "rates.room.per: この施設には時間帯がありません。perは hour にしてください。",
        "surcharges[0].per: この施設には時間帯がありません。perは hour か booking にしてください。",
    ]


def test_a_free_facility_may_be_priced_at_zero() -> None:
    rules = {"rates": {"room": {"per": "hour", "price": 0}}, "non_resident_factor": 2}
    assert check_rules(rules, unit_codes={"room"}, slot_codes=set()) == []
    found = price(unit="room", resident=False, rules=rules)
    assert found.total == 0


def test_lines_survive_the_json_the_booking_stores() -> None:
    found = price(
        unit="room", end="10:30", resident=False, options=("aircon",), reduction="disability"
    )
    stored = lines_as_json(found)
    assert stored[0] == {
        "code": "base",
        "label": "使用料",
        "label_en": stored[0]["label_en"],
        "amount": 1200,
        "minutes": 90,
        "unit_price": 800,
    }
    assert lines_from_json(stored) == list(found.lines)


def test_line_texts_in_japanese() -> None:
    found = price(
        unit="room", end="10:30", resident=False, options=("aircon",), reduction="disability"
    )
    with translation.override("ja"):
        texts = [(line.localized_label(), line.text()) for line in found.lines]
    assert texts == [
        ("使用料", "1時間30分 × 1時間800円"),
        ("町外の方の料金", "2倍"),
        ("冷暖房", "1時間30分 × 1時間300円"),
        ("障害のある方の団体の活動", "50%減額"),
    ]
    assert FeeLine("x", "x", "", 0, minutes=30, unit_price=1200).text() == "30分 × 1時間1,200円"


def test_labels_from_the_rules_follow_the_language_and_fall_back_to_japanese() -> None:
    with translation.override("en"):
        options = options_of(RULES)
        reductions = reductions_of(RULES)
        line = price(options=("commercial",)).lines[1]
        assert line.localized_label() == "Commercial use"
    assert [option["label"] for option in options] == [
        "Air conditioning",
        "Piano",
        "Stage lights",
        "Commercial use",
        "Event charging admission",
    ]
    assert [item["label"] for item in reductions] == ["Town event", "障害のある方の団体の活動"]


def test_options_and_reductions_say_what_they_cost() -> None:
    with translation.override("ja"):
        options = {option["code"]: (option["kind"], option["text"]) for option in options_of(RULES)}
        reductions = {
            item["code"]: (item["percent"], item["text"]) for item in reductions_of(RULES)
        }
    assert options == {
        "aircon": ("surcharge", "1時間につき300円"),
        "piano": ("surcharge", "1回1,000円"),
        "lights": ("surcharge", "1回400円〜500円（時間帯による）"),
        "commercial": ("multiplier", "料金が3倍になります"),
        "admission": ("multiplier", "料金が1.5倍になります"),
    }
    assert reductions == {"town_event": (100, "全額免除"), "disability": (50, "50%減額")}


yen = st.integers(min_value=0, max_value=100_000)
factor = st.one_of(st.integers(1, 5), st.decimals(1, 5, places=2).map(float))


@st.composite
def fee_rules(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "rates": {
            "hall": {"per": "slot", "prices": {code: draw(yen) for code in sorted(SLOTS)}},
            "room": {"per": "hour", "price": draw(yen)},
        },
        "time_unit_minutes": draw(st.sampled_from([1, 15, 30, 60])),
        "non_resident_factor": draw(factor),
        "holiday_factor": draw(factor),
        "surcharges": [
            {"code": "aircon", "label": "冷暖房", "per": "hour", "amount": draw(yen)},
            {"code": "piano", "label": "ピアノ", "per": "booking", "amount": draw(yen)},
        ],
        "multipliers": [{"code": "commercial", "label": "営利", "factor": draw(factor)}],
        "reductions": [
            {"code": "cut", "label": "減免", "percent": draw(st.integers(1, 100))},
        ],
    }


@given(
    rules=fee_rules(),
    unit=st.sampled_from(["hall", "room"]),
    day=st.dates(dt.date(2025, 1, 1), dt.date(2030, 12, 31)),
    minutes=st.integers(1, 12 * 60),
    options=st.lists(st.sampled_from(["aircon", "piano", "commercial"]), unique=True),
)
def test_fee_properties(
    rules: dict[str, Any], unit: str, day: dt.date, minutes: int, options: list[str]
) -> None:
    assert check_rules(rules, unit_codes=UNITS, slot_codes=SLOTS) == []
    start = at(day, "09:00")

    def fee(resident: bool) -> Quote:
        return quote(
            rules,
            unit_code=unit,
            start=start,
            end=start + dt.timedelta(minutes=minutes),
            slot_code="am",
            resident=resident,
            options=options,
            reduction_code="cut",
        )

    resident, other = fee(True), fee(False)
    assert resident.reduced_total is not None
    assert 0 <= resident.reduced_total <= resident.total
    assert resident.total <= other.total
    assert sum(line.amount for line in resident.lines[:-1]) == resident.total
