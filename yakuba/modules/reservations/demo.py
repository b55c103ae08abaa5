"""The demo town's facilities (架空のデモデータ): rooms of 中央公民館, the arena of 佐藤記念体育館
(the 町民体育館: whole floor or either half), the tennis courts and the field of 運動公園, and the
appointment counter for My Number cards (マイナンバーカード交付) at the town hall, with fee tables
in the format of `fees.py` and amounts of the size a small town's 使用料条例 sets.

Then a few bookings — the model resident's (resident@example.jp) and other demo residents' — on the
coming days, one of them cancelled, and a maintenance closure of the arena; two groups, one approved
(the model resident's) and one waiting for staff; the arena's lottery for the month after next, open
for applications with a few entries; and two published events with tickets, among them the model
resident's. Each is made through the module's services, with the demo staff of the department in
charge acting, so that it keeps the rules.

Idempotent: facilities, units and fee tables are looked up by their codes, groups by their names,
events by their department and title; the bookings and the closure are only made when the demo has
none yet, the lottery when the arena has no round (their dates are relative to the day the demo is
first loaded)."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from django.db import transaction

from yakuba.modules.reservations import calendar, events, groups, lottery, services
from yakuba.modules.reservations.models import (
    Booking,
    BookingMode,
    Closure,
    Event,
    Facility,
    FacilityKind,
    FeeSchedule,
    Group,
    LotteryRound,
    Purpose,
    Unit,
)
from yakuba.platform.accounts.models import Department, ResidentProfile, User
from yakuba.platform.places.models import Place

RESIDENT = "resident@example.jp"


def demo_resident(number: int) -> str:
    """The address of the accounts demo's resident number `number` (resident001…)."""
    return f"resident{number:03d}@example.jp"


# Demo residents who book too.
OTHERS = (demo_resident(1), demo_resident(2), demo_resident(3))
FEES_FROM = dt.date(2024, 4, 1)
CLOSURE_REASON = "床面の定期点検（デモ）"
# 中央公民館 and 佐藤記念体育館 belong to the board of education's 生涯学習課, My Number cards to
# 町民生活課; the accounts demo makes both, each with a demo staff member who manages bookings
# and events (role 施設予約担当), who acts for the department here.
LIFELONG_LEARNING = "shogai"
RESIDENTS_AFFAIRS = "chomin"
MANAGERS = {LIFELONG_LEARNING: "shisetsu@example.jp", RESIDENTS_AFFAIRS: "staff@example.jp"}

TUESDAY_TO_SUNDAY = {
    **{key: ["09:00", "21:30"] for key in ("tue", "wed", "thu", "fri", "sat", "sun")},
    calendar.HOLIDAY_KEY: ["09:00", "21:30"],
}
EVERY_DAY = {key: ["09:00", "21:00"] for key in (*calendar.WEEKDAY_KEYS, calendar.HOLIDAY_KEY)}
SLOTS = [
    {"code": "am", "label": "午前", "label_en": "Morning", "start": "09:00", "end": "12:00"},
    {"code": "pm", "label": "午後", "label_en": "Afternoon", "start": "13:00", "end": "17:00"},
    {"code": "night", "label": "夜間", "label_en": "Evening", "start": "18:00", "end": "21:30"},
]
# The share kept when a booking is cancelled: nothing a week or more ahead, half from six days
# before, all of it on the day (「既納の使用料は還付しない」 with its exceptions).
CANCELLATION = [
    {"days_before": 7, "percent": 0},
    {"days_before": 1, "percent": 50},
    {"days_before": 0, "percent": 100},
]
COMMERCIAL = {
    "code": "commercial",
    "label": "営利目的の利用",
    "label_en": "Commercial use",
    "factor": 3,
}
ADMISSION = {
    "code": "admission",
    "label": "入場料を取る催し",
    "label_en": "Event charging admission",
    "factor": 1.5,
}
REDUCTIONS = [
    {
        "code": "social_education",
        "label": "町に登録した社会教育関係団体の活動",
        "label_en": "Activity of a registered social-education group",
        "percent": 50,
    },
    {
        "code": "disability",
        "label": "障害のある方の団体の活動",
        "label_en": "Activity of a group of people with disabilities",
        "percent": 100,
    },
]


def _room_fees(am: int, pm: int, night: int, aircon: tuple[int, int, int]) -> dict[str, Any]:
    return {
        "rates": {"room": {"per": "slot", "prices": {"am": am, "pm": pm, "night": night}}},
        "non_resident_factor": 2,
        "surcharges": [
            {
                "code": "aircon",
                "label": "冷暖房",
                "label_en": "Heating / air conditioning",
                "per": "slot",
                "prices": dict(zip(("am", "pm", "night"), aircon, strict=True)),
            }
        ],
        "multipliers": [COMMERCIAL, ADMISSION],
        "reductions": REDUCTIONS,
        "cancellation": CANCELLATION,
    }


def _room(code: str, name: str, kana: str, english: str, **values: Any) -> dict[str, Any]:
    return {
        "code": code,
        "place": "FAC-002",
        "department": LIFELONG_LEARNING,
        "name": name,
        "name_kana": kana,
        "name_en": english,
        "kind": FacilityKind.ROOM,
        "mode": BookingMode.SLOTS,
        "fixed_slots": SLOTS,
        "opening_hours": TUESDAY_TO_SUNDAY,
        "max_bookings_per_month": 8,
        **values,
    }


FACILITIES: list[dict[str, Any]] = [
    _room(
        "kouminkan-kaigi1",
        "中央公民館 会議室1",
        "ちゅうおうこうみんかん かいぎしつ1",
        "Central Community Hall, Meeting Room 1",
        purposes=[Purpose.MEETING, Purpose.CULTURE],
        capacity=30,
        description="2階。長机10台、いす30脚、ホワイトボード。月曜休館（祝日は開館）。",
        description_en="2nd floor. 10 tables, 30 chairs, whiteboard. Closed on Mondays "
        "(open on holidays).",
        units=[("room", "全室", "Whole room", None, None)],
        fees=_room_fees(500, 700, 800, (200, 300, 300)),
        order=10,
    ),
    _room(
        "kouminkan-kaigi2",
        "中央公民館 会議室2",
        "ちゅうおうこうみんかん かいぎしつ2",
        "Central Community Hall, Meeting Room 2",
        purposes=[Purpose.MEETING, Purpose.CULTURE, Purpose.EVENT],
        capacity=60,
        description="2階。講演会・研修にも使える広い会議室。プロジェクターあり。",
        description_en="2nd floor. A large room for meetings, lectures and training; projector.",
        units=[("room", "全室", "Whole room", None, None)],
        fees=_room_fees(700, 1000, 1100, (300, 400, 400)),
        order=11,
    ),
    _room(
        "kouminkan-washitsu",
        "中央公民館 和室",
        "ちゅうおうこうみんかん わしつ",
        "Central Community Hall, Japanese-style Room",
        purposes=[Purpose.CULTURE, Purpose.MEETING],
        capacity=20,
        description="1階。18畳、床の間、炉あり（茶道・華道・着付けなど）。",
        description_en="1st floor. 18 tatami mats, alcove and hearth (tea ceremony, flower "
        "arrangement, kimono).",
        units=[("room", "全室", "Whole room", None, None)],
        fees=_room_fees(400, 600, 700, (200, 200, 200)),
        order=12,
    ),
    {
        "code": "taiikukan-arena",
        "place": "FAC-004",
        "department": LIFELONG_LEARNING,
        "name": "町民体育館（佐藤記念体育館）アリーナ",
        "name_kana": "ちょうみんたいいくかん（さとうきねんたいいくかん）ありーな",
        "name_en": "Town Gymnasium (Sato Memorial Gymnasium), Arena",
        "kind": FacilityKind.GYM,
        "purposes": [Purpose.SPORTS, Purpose.EVENT],
        "capacity": 300,
        "description": "バスケットボール2面、バレーボール2面、バドミントン8面。全面または半面（A・B）で"
        "予約できます。30分単位、1〜4時間。",
        "description_en": "Two basketball, two volleyball or eight badminton courts. Book the "
        "whole floor or one half (A or B), in 30-minute steps, 1 to 4 hours.",
        "mode": BookingMode.FREE,
        "step_minutes": 30,
        "min_minutes": 60,
        "max_minutes": 240,
        "opening_hours": EVERY_DAY,
        "max_bookings_per_month": 8,
        # (code, name, English, capacity, the unit it is part of)
        "units": [
            ("whole", "全面", "Whole floor", 300, None),
            ("half-a", "半面A（ステージ側）", "Half A (stage side)", 150, "whole"),
            ("half-b", "半面B（入口側）", "Half B (entrance side)", 150, "whole"),
        ],
        "fees": {
            "rates": {
                "whole": {"per": "hour", "price": 1000},
                "half-a": {"per": "hour", "price": 500},
                "half-b": {"per": "hour", "price": 500},
            },
            "time_unit_minutes": 30,
            "non_resident_factor": 2,
            "surcharges": [
                {
                    "code": "aircon",
                    "label": "冷暖房",
                    "label_en": "Heating / air conditioning",
                    "per": "hour",
                    "amount": 1000,
                }
            ],
            "multipliers": [COMMERCIAL, ADMISSION],
            "reductions": REDUCTIONS,
            "cancellation": CANCELLATION,
        },
        "order": 20,
    },
    {
        "code": "undokoen-tennis",
        "place": "EVA-002",
        "department": LIFELONG_LEARNING,
        "name": "運動公園 テニスコート",
        "name_kana": "うんどうこうえん てにすこーと",
        "name_en": "Sports Park, Tennis Courts",
        "kind": FacilityKind.COURT,
        "purposes": [Purpose.SPORTS],
        "capacity": 8,
        "description": "砂入り人工芝2面（A・B）。1時間単位、2時間まで。夜間照明は19時から。",
        "description_en": "Two sand-filled artificial grass courts (A and B). By the hour, up to "
        "two hours. Floodlights from 19:00.",
        "mode": BookingMode.FREE,
        "step_minutes": 60,
        "min_minutes": 60,
        "max_minutes": 120,
        "opening_hours": {
            key: ["08:00", "21:00"] for key in (*calendar.WEEKDAY_KEYS, calendar.HOLIDAY_KEY)
        },
        "max_bookings_per_month": 4,
        "units": [
            ("court-a", "Aコート", "Court A", 8, None),
            ("court-b", "Bコート", "Court B", 8, None),
        ],
        "fees": {
            "rates": {
                "court-a": {"per": "hour", "price": 300},
                "court-b": {"per": "hour", "price": 300},
            },
            "time_unit_minutes": 60,
            "non_resident_factor": 2,
            "surcharges": [
                {
                    "code": "lights",
                    "label": "夜間照明",
                    "label_en": "Floodlights",
                    "per": "hour",
                    "amount": 500,
                }
            ],
            "multipliers": [COMMERCIAL],
            "reductions": REDUCTIONS,
            "cancellation": CANCELLATION,
        },
        "order": 30,
    },
    {
        "code": "undokoen-ground",
        "place": "EVA-002",
        "department": LIFELONG_LEARNING,
        "name": "運動公園 多目的グラウンド",
        "name_kana": "うんどうこうえん たもくてきぐらうんど",
        "name_en": "Sports Park, Multi-purpose Field",
        "kind": FacilityKind.FIELD,
        "purposes": [Purpose.SPORTS, Purpose.EVENT],
        "capacity": 200,
        "description": "野球・サッカー・グラウンドゴルフなど。1時間単位、2〜8時間。",
        "description_en": "Baseball, football, ground golf and more. By the hour, 2 to 8 hours.",
        "mode": BookingMode.FREE,
        "step_minutes": 60,
        "min_minutes": 120,
        "max_minutes": 480,
        "opening_hours": {
            key: ["08:00", "18:00"] for key in (*calendar.WEEKDAY_KEYS, calendar.HOLIDAY_KEY)
        },
        "max_bookings_per_month": 4,
        "units": [("field", "全面", "Whole field", 200, None)],
        "fees": {
            "rates": {"field": {"per": "hour", "price": 800}},
            "time_unit_minutes": 60,
            "non_resident_factor": 2,
            "multipliers": [COMMERCIAL, ADMISSION],
            "reductions": REDUCTIONS,
            "cancellation": CANCELLATION,
        },
        "order": 31,
    },
    {
        "code": "mynumber-card",
        "place": "FAC-001",
        "department": RESIDENTS_AFFAIRS,
        "name": "マイナンバーカード交付の予約",
        "name_kana": "まいなんばーかーどこうふのよやく",
        "name_en": "My Number Card: appointment to collect your card",
        "kind": FacilityKind.COUNTER,
        "purposes": [Purpose.CONSULTATION],
        "capacity": 2,
        "description": "役場1階 町民生活課の窓口で、カードをお渡しします（無料・30分）。交付通知書"
        "と本人確認書類をお持ちください。平日のほか、土曜日の午前も休日窓口を開いています。",
        "description_en": "Collect your card at the Residents' Affairs counter, town hall 1st "
        "floor (free, 30 minutes). Bring the notice and an identity document. Open on weekdays "
        "and, as a holiday counter, on Saturday mornings.",
        "mode": BookingMode.FREE,
        "step_minutes": 30,
        "min_minutes": 30,
        "max_minutes": 30,
        "opening_hours": {
            **{key: ["08:30", "17:00"] for key in ("mon", "tue", "wed", "thu", "fri")},
            "sat": ["09:00", "12:00"],
        },
        "resident_months_ahead": 1,
        "others_months_ahead": 1,
        "cutoff_hours": 24,
        "max_bookings_per_month": 1,
        "pay_days_before": 0,
        "units": [("counter", "窓口", "Counter", 2, None)],
        "fees": None,
        "order": 40,
    },
]


class DemoBooking(NamedTuple):
    """A demo booking on the first day `days_ahead` or later that the facility is open (and is
    the `weekday`, Monday = 0); the purpose is the facility's first."""

    who: str
    facility: str
    unit: str
    days_ahead: int
    start: str
    end: str
    detail: str
    attendees: int
    weekday: int | None = None
    options: tuple[str, ...] = ()
    reduction: str = ""
    reduction_note: str = ""


WEDNESDAY, THURSDAY, SATURDAY, SUNDAY = 2, 3, 5, 6
BOOKINGS = [
    DemoBooking(
        RESIDENT,
        "kouminkan-kaigi1",
        "room",
        10,
        "13:00",
        "17:00",
        "町内会の役員会",
        12,
        options=("aircon",),
    ),
    DemoBooking(
        RESIDENT, "taiikukan-arena", "half-a", 5, "19:00", "21:00", "バドミントン", 8, WEDNESDAY
    ),
    DemoBooking(RESIDENT, "undokoen-tennis", "court-a", 12, "10:00", "12:00", "テニス", 4, SUNDAY),
    DemoBooking(RESIDENT, "mynumber-card", "counter", 8, "10:00", "10:30", "カードの受け取り", 1),
    DemoBooking(
        OTHERS[0],
        "taiikukan-arena",
        "whole",
        3,
        "09:00",
        "13:00",
        "ミニバスケットボール交流大会",
        80,
        SATURDAY,
        options=("aircon",),
    ),
    DemoBooking(
        OTHERS[0],
        "taiikukan-arena",
        "half-b",
        5,
        "19:00",
        "21:00",
        "ソフトバレーボールの練習",
        12,
        WEDNESDAY,
    ),
    DemoBooking(
        OTHERS[1], "kouminkan-kaigi2", "room", 6, "18:00", "21:30", "子ども会の打ち合わせ", 15
    ),
    DemoBooking(
        OTHERS[1], "undokoen-ground", "field", 3, "09:00", "12:00", "少年野球の練習", 30, SATURDAY
    ),
    DemoBooking(
        OTHERS[2],
        "kouminkan-washitsu",
        "room",
        9,
        "09:00",
        "12:00",
        "茶道教室",
        10,
        reduction="social_education",
        reduction_note="町に登録している茶道サークルの定例の教室です。",
    ),
    # Cancelled by the model resident once it is made (the last one).
    DemoBooking(
        RESIDENT, "kouminkan-kaigi1", "room", 14, "18:00", "21:30", "写真サークルの作品選び", 6
    ),
]


class DemoGroup(NamedTuple):
    """A group of the town registered by `representative`; staff approve it when `approved`."""

    name: str
    name_kana: str
    activity: str
    member_count: int
    representative: str
    members: tuple[str, ...]
    approved: bool


GROUPS = [
    DemoGroup(
        "亘理ソフトバレー愛好会",
        "わたりそふとばれーあいこうかい",
        "毎週水曜日の夜、町民体育館でソフトバレーボールを楽しんでいます。初心者も歓迎です。",
        18,
        RESIDENT,
        OTHERS[:2],
        approved=True,
    ),
    # Waits for staff: the staff menu shows it to review.
    DemoGroup(
        "悠里太極拳クラブ",
        "ゆうりたいきょくけんくらぶ",
        "中央公民館で週に一度、太極拳の練習をしています。",
        12,
        demo_resident(23),
        (),
        approved=False,
    ),
]


class DemoWish(NamedTuple):
    """A wish for the `nth` `weekday` of the lottery's month (from the second: the month may
    begin with the New Year holidays)."""

    unit: str
    nth: int
    weekday: int
    start: str
    end: str


class DemoEntry(NamedTuple):
    """An entry of a demo resident, as themself: the model resident can still enter, for
    themself or for their group."""

    who: str
    detail: str
    attendees: int
    wishes: tuple[DemoWish, ...]


LOTTERY_OPEN_DAYS = 10
LOTTERY_CONFIRM_DAYS = 7
# Two entries want the same whole floor first, and a third one of its halves at that time, so
# the draw has something to decide.
LOTTERY_ENTRIES = [
    DemoEntry(
        demo_resident(5),
        "ミニバスケットボールの練習会",
        30,
        (
            DemoWish("whole", 2, SATURDAY, "09:00", "13:00"),
            DemoWish("whole", 3, SATURDAY, "09:00", "13:00"),
        ),
    ),
    DemoEntry(
        demo_resident(7),
        "地区対抗バレーボール大会",
        40,
        (
            DemoWish("whole", 2, SATURDAY, "09:00", "13:00"),
            DemoWish("half-a", 2, SUNDAY, "13:00", "17:00"),
        ),
    ),
    DemoEntry(
        demo_resident(9),
        "バドミントン",
        8,
        (DemoWish("half-b", 2, SATURDAY, "10:00", "12:00"),),
    ),
    DemoEntry(
        demo_resident(11),
        "フットサル",
        10,
        (
            DemoWish("half-a", 3, SATURDAY, "18:00", "21:00"),
            DemoWish("half-a", 3, SUNDAY, "18:00", "21:00"),
        ),
    ),
]


class DemoSession(NamedTuple):
    """A session on the first day `days_ahead` or later, on `weekday`, that the event's venue is
    open; `tickets` are (who, seats) in the order they sign up."""

    days_ahead: int
    weekday: int
    start: str
    end: str
    capacity: int
    waitlist_limit: int
    tickets: tuple[tuple[str, int], ...]


class DemoEvent(NamedTuple):
    """A published event of `department`, held at the facility `venue` (its place and days)."""

    department: str
    venue: str
    title: str
    title_en: str
    description: str
    description_en: str
    max_seats_per_ticket: int
    sessions: tuple[DemoSession, ...]


EVENTS = [
    DemoEvent(
        LIFELONG_LEARNING,
        "kouminkan-kaigi2",
        "スマホ教室（はじめてのスマートフォン）",
        "Smartphone class (your first smartphone)",
        "中央公民館 会議室2で、電源の入れ方、電話のかけ方、写真の撮り方から、町のサービスの"
        "使い方まで、少人数でゆっくり教えます。スマートフォンはお貸しします（お持ちの方はご持参"
        "ください）。全3回、どの回も同じ内容です。付き添いの方と2人まで申し込めます。",
        "In Meeting Room 2 of the Central Community Hall: switching on, calling, taking photos "
        "and using the town's services, slowly and in a small group. Smartphones are lent "
        "(bring yours if you have one). Three sessions with the same content. You may sign up "
        "with a companion (up to 2 people).",
        2,
        (
            # Nearly full: one seat left, then the waiting list.
            DemoSession(
                7,
                THURSDAY,
                "10:00",
                "12:00",
                10,
                5,
                tuple((demo_resident(n), 1) for n in (6, 8, 10, 12, 14, 16, 25, 27, 29)),
            ),
            # The model resident comes with her mother.
            DemoSession(
                14,
                THURSDAY,
                "10:00",
                "12:00",
                10,
                5,
                ((demo_resident(31), 1), (RESIDENT, 2), (demo_resident(33), 1)),
            ),
            DemoSession(21, THURSDAY, "10:00", "12:00", 10, 5, ((demo_resident(44), 1),)),
        ),
    ),
    DemoEvent(
        RESIDENTS_AFFAIRS,
        "mynumber-card",
        "マイナンバーカード申請サポート会",
        "My Number Card application help session",
        "役場1階 町民生活課の窓口で、職員がマイナンバーカードの申請をお手伝いします。顔写真の"
        "撮影（無料）から申請まで、その場でできます。本人確認書類と、お持ちの方は交付申請書を"
        "お持ちください。ご家族と2人まで申し込めます。",
        "At the Residents' Affairs counter, town hall 1st floor, staff help you apply for your "
        "My Number Card, from the photo (free) to the application, on the spot. Bring an "
        "identity document and, if you have it, the application form. You may sign up with a "
        "family member (up to 2 people).",
        2,
        (
            DemoSession(
                10,
                SATURDAY,
                "09:00",
                "12:00",
                20,
                0,
                ((demo_resident(18), 2), (demo_resident(35), 1)),
            ),
        ),
    ),
]

# Everyone the demo acts as: the accounts demo makes them all.
PEOPLE = sorted(
    {plan.who for plan in BOOKINGS}
    | {group.representative for group in GROUPS}
    | {member for group in GROUPS for member in group.members}
    | {entry.who for entry in LOTTERY_ENTRIES}
    | {who for event in EVENTS for session in event.sessions for who, _seats in session.tickets}
    | set(MANAGERS.values())
)


def load_demo() -> None:
    places = {p.code: p for p in Place.objects.filter(code__in={f["place"] for f in FACILITIES})}
    if len(places) < len({f["place"] for f in FACILITIES}):
        return  # the places demo was not loaded
    departments = _departments()
    people = {user.email: user for user in User.objects.filter(email__in=PEOPLE)}
    if departments is None or len(people) < len(PEOPLE):
        return  # the accounts demo was not loaded
    with transaction.atomic():
        facilities = {
            values["code"]: _facility(values, places, departments) for values in FACILITIES
        }
        _closure(facilities["taiikukan-arena"])
        _bookings(facilities, people)
        _groups(people)
        _lottery(facilities["taiikukan-arena"], people)
        for plan in EVENTS:
            _event(plan, facilities[plan.venue], departments[plan.department], people)


def _departments() -> dict[str, Department] | None:
    departments = {
        department.code: department for department in Department.objects.filter(code__in=MANAGERS)
    }
    return departments if len(departments) == len(MANAGERS) else None


def _facility(
    values: dict[str, Any], places: dict[str, Place], departments: dict[str, Department]
) -> Facility:
    values = dict(values)
    units, rules = values.pop("units"), values.pop("fees")
    values["place"] = places[values["place"]]
    values["department"] = departments[values["department"]]
    facility, _created = Facility.objects.get_or_create(code=values.pop("code"), defaults=values)
    made: dict[str, Unit] = {}
    for order, (code, name, name_en, capacity, parent) in enumerate(units):
        made[code], _created = Unit.objects.get_or_create(
            facility=facility,
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "capacity": capacity,
                "order": order,
                "parent": made[parent] if parent else None,
            },
        )
    if rules is not None:
        FeeSchedule.objects.get_or_create(
            facility=facility, version=1, defaults={"valid_from": FEES_FROM, "rules": rules}
        )
    return facility


def _open_day(facility: Facility, after_days: int, weekday: int | None = None) -> dt.date:
    """The first day at least `after_days` from today the facility is open (on `weekday`)."""
    day = calendar.today() + dt.timedelta(days=after_days)
    while calendar.opening(facility, day) is None or (
        weekday is not None and day.weekday() != weekday
    ):
        day += dt.timedelta(days=1)
    return day


def _closure(arena: Facility) -> None:
    if Closure.objects.filter(facility=arena, reason=CLOSURE_REASON).exists():
        return
    # Three weeks on, after every demo booking: a closure is refused over bookings.
    day = _open_day(arena, 21, weekday=0)
    services.add_closure(
        arena,
        kind=Closure.Kind.MAINTENANCE,
        start=calendar.at(day, dt.time(9, 0)),
        end=calendar.at(day, dt.time(21, 0)),
        reason=CLOSURE_REASON,
        by=None,
    )


def _bookings(facilities: dict[str, Facility], people: dict[str, User]) -> None:
    if Booking.objects.filter(user__in=[people[plan.who] for plan in BOOKINGS]).exists():
        return
    made = [_book(plan, facilities[plan.facility], people[plan.who]) for plan in BOOKINGS]
    # The model resident changed plans once: a cancelled booking shows in their list.
    services.cancel(made[-1], by=made[-1].user, reason="日程を変更したため")


def _book(plan: DemoBooking, facility: Facility, user: User) -> Booking:
    day = _open_day(facility, plan.days_ahead, plan.weekday)
    name, phone = _contact(user)
    return services.book(
        services.BookingRequest(
            unit=Unit.objects.select_related("facility", "parent").get(
                facility=facility, code=plan.unit
            ),
            start=calendar.at(day, calendar.parse_time(plan.start)),
            end=calendar.at(day, calendar.parse_time(plan.end)),
            purpose=facility.purposes[0],
            purpose_detail=plan.detail,
            attendees=plan.attendees,
            contact_name=name,
            contact_phone=phone,
            options=list(plan.options),
            reduction_code=plan.reduction,
            reduction_note=plan.reduction_note,
        ),
        user=user,
    )


def _contact(user: User) -> tuple[str, str]:
    """The name and phone number the resident's profile gives."""
    profile = ResidentProfile.objects.filter(user=user).first()
    if profile is None:
        return user.email, ""
    return profile.full_name, profile.phone


def _groups(people: dict[str, User]) -> None:
    for plan in GROUPS:
        if Group.objects.filter(name=plan.name).exists():
            continue
        representative = people[plan.representative]
        group = groups.register_group(
            groups.GroupDetails(
                name=plan.name,
                name_kana=plan.name_kana,
                activity=plan.activity,
                member_count=plan.member_count,
                in_town=True,
            ),
            by=representative,
        )
        for member in plan.members:
            groups.add_member(group, email=member, by=representative)
        if plan.approved:
            groups.decide(
                group,
                status=Group.Status.APPROVED,
                reason="",
                by=people[MANAGERS[LIFELONG_LEARNING]],
            )


def _nth_weekday(month: dt.date, weekday: int, nth: int) -> dt.date:
    first = month + dt.timedelta(days=(weekday - month.weekday()) % 7)
    return first + dt.timedelta(weeks=nth - 1)


def _wish_choice(wish: DemoWish, units: dict[str, Unit], month: dt.date) -> lottery.WishChoice:
    day = _nth_weekday(month, wish.weekday, wish.nth)
    return lottery.WishChoice(
        unit=units[wish.unit],
        start=calendar.at(day, calendar.parse_time(wish.start)),
        end=calendar.at(day, calendar.parse_time(wish.end)),
    )


def _lottery(arena: Facility, people: dict[str, User]) -> None:
    """The arena's month after next goes by lottery: applications from today for
    `LOTTERY_OPEN_DAYS` days, wins confirmed within `LOTTERY_CONFIRM_DAYS` after that."""
    if LotteryRound.objects.filter(facilities=arena).exists():
        return
    today = calendar.today()
    month = calendar.months_before(today, -2)
    closes = calendar.at(today + dt.timedelta(days=LOTTERY_OPEN_DAYS), dt.time(17, 0))
    lottery_round = lottery.create_round(
        lottery.RoundDetails(
            title=f"町民体育館アリーナ {month.year}年{month.month}月分",
            facilities=[arena],
            use_month=month,
            applications_open=calendar.at(today, dt.time(0)),
            applications_close=closes,
            confirm_by=closes + dt.timedelta(days=LOTTERY_CONFIRM_DAYS),
        ),
        by=people[MANAGERS[arena.department.code]],
    )
    units = {unit.code: unit for unit in arena.units.select_related("facility", "parent")}
    for plan in LOTTERY_ENTRIES:
        user = people[plan.who]
        name, phone = _contact(user)
        lottery.enter(
            lottery_round,
            lottery.EntryDetails(
                purpose=arena.purposes[0],
                attendees=plan.attendees,
                contact_name=name,
                contact_phone=phone,
                purpose_detail=plan.detail,
                wishes=[_wish_choice(wish, units, month) for wish in plan.wishes],
            ),
            user=user,
        )


def _event(
    plan: DemoEvent, venue: Facility, department: Department, people: dict[str, User]
) -> None:
    if Event.objects.filter(department=department, title=plan.title).exists():
        return
    manager = people[MANAGERS[department.code]]
    event = events.create_event(
        by=manager,
        department=department,
        fields={
            "title": plan.title,
            "title_en": plan.title_en,
            "description": plan.description,
            "description_en": plan.description_en,
            "place": venue.place,
            "max_seats_per_ticket": plan.max_seats_per_ticket,
        },
    )
    sessions = []
    for session_plan in plan.sessions:
        day = _open_day(venue, session_plan.days_ahead, session_plan.weekday)
        sessions.append(
            events.add_session(
                event,
                by=manager,
                start=calendar.at(day, calendar.parse_time(session_plan.start)),
                end=calendar.at(day, calendar.parse_time(session_plan.end)),
                capacity=session_plan.capacity,
                waitlist_limit=session_plan.waitlist_limit,
            )
        )
    events.publish_event(event, by=manager)
    for session, session_plan in zip(sessions, plan.sessions, strict=True):
        for who, seats in session_plan.tickets:
            name, phone = _contact(people[who])
            events.sign_up(session, user=people[who], name=name, phone=phone, seats=seats)
