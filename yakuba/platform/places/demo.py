"""Demo data (デモデータ) for 亘理町: 12 districts and some forty places.

The districts are a simplified grid of rectangles over the town (about lat 37.98–38.08,
lon 140.80–140.93, the coast to the east), named after real areas of Watari but NOT their real
boundaries. Places are placed inside their district's rectangle; names of public buildings are the
town's, clinics are made up, and every place says "デモデータ" in its notes.
"""

from __future__ import annotations

from typing import Any

from yakuba.platform.places import services
from yakuba.platform.places.models import District, Place, PlaceKind

SOUTH, NORTH = 37.98, 38.08
WEST, EAST = 140.80, 140.93
ROWS, COLUMNS = 3, 4
LAT_STEP = (NORTH - SOUTH) / ROWS
LON_STEP = (EAST - WEST) / COLUMNS
DEMO_NOTE = "デモデータ（架空の情報を含みます）"

# (code, name, kana, romaji) by grid cell, north row first, west to east.
DISTRICTS: tuple[tuple[str, str, str, str], ...] = (
    ("01", "田沢", "たざわ", "Tazawa"),
    ("02", "逢隈", "おおくま", "Okuma"),
    ("03", "下郡", "しもごおり", "Shimogori"),
    ("04", "荒浜", "あらはま", "Arahama"),
    ("05", "神宮寺", "じんぐうじ", "Jinguji"),
    ("06", "悠里", "ゆうり", "Yuri"),
    ("07", "亘理", "わたり", "Watari"),
    ("08", "長瀞", "ながとろ", "Nagatoro"),
    ("09", "上郡", "かみごおり", "Kamigori"),
    ("10", "高屋", "たかや", "Takaya"),
    ("11", "吉田", "よしだ", "Yoshida"),
    ("12", "鹿島", "かしま", "Kashima"),
)


def tile_bounds(index: int) -> tuple[float, float, float, float]:
    """(south, west, north, east) of the index-th district rectangle (0-based, row-major)."""
    row, column = divmod(index, COLUMNS)
    north = NORTH - row * LAT_STEP
    west = WEST + column * LON_STEP
    return north - LAT_STEP, west, north, west + LON_STEP


def tile_polygon(index: int) -> dict[str, Any]:
    south, west, north, east = tile_bounds(index)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def point_in_tile(district_code: str, across: float, up: float) -> tuple[float, float]:
    """(lat, lon) at a fraction `across` (west→east) and `up` (south→north) of a district's tile."""
    index = [d[0] for d in DISTRICTS].index(district_code)
    south, west, north, east = tile_bounds(index)
    return round(south + up * (north - south), 6), round(west + across * (east - west), 6)


K = PlaceKind
# (code, kind, name, kana, english, district, across, up, extra fields)
PLACES: tuple[tuple[str, str, str, str, str, str, float, float, dict[str, Any]], ...] = (
    (
        "FAC-001",
        K.FACILITY,
        "亘理町役場",
        "わたりちょうやくば",
        "Watari Town Hall",
        "06",
        0.62,
        0.71,
        {
            "postal_code": "989-2393",
            "address": "宮城県亘理郡亘理町字悠里1番地",
            "opening_hours": "平日 8:30〜17:15",
            "phone": "0223-34-1111",
            "wheelchair_accessible": True,
            "accessible_toilet": True,
            "accessibility_notes": "正面玄関にスロープ、1階に多機能トイレ",
        },
    ),
    (
        "FAC-002",
        K.FACILITY,
        "亘理町中央公民館",
        "わたりちょうちゅうおうこうみんかん",
        "Watari Central Community Hall",
        "06",
        0.55,
        0.62,
        {
            "address": "亘理町字悠里（デモ）",
            "opening_hours": "9:00〜21:30（月曜休館）",
            "wheelchair_accessible": True,
            "accessible_toilet": True,
            "capacity": 400,
        },
    ),
    (
        "FAC-003",
        K.FACILITY,
        "悠里館",
        "ゆうりかん",
        "Yurikan (Local History Museum and Library)",
        "06",
        0.68,
        0.64,
        {
            "address": "亘理町字悠里（デモ）",
            "opening_hours": "9:00〜17:00（月曜休館）",
            "wheelchair_accessible": True,
            "accessible_toilet": True,
            "accessibility_notes": "エレベーターあり",
        },
    ),
    (
        "FAC-004",
        K.FACILITY,
        "亘理町佐藤記念体育館",
        "わたりちょうさとうきねんたいいくかん",
        "Watari Sato Memorial Gymnasium",
        "07",
        0.30,
        0.55,
        {
            "address": "亘理町字西郷（デモ）",
            "opening_hours": "9:00〜21:00",
            "wheelchair_accessible": True,
        },
    ),
    (
        "FAC-005",
        K.FACILITY,
        "亘理町保健福祉センター",
        "わたりちょうほけんふくしせんたー",
        "Watari Health and Welfare Center",
        "07",
        0.45,
        0.70,
        {
            "address": "亘理町字下小路（デモ）",
            "opening_hours": "平日 8:30〜17:15",
            "wheelchair_accessible": True,
            "accessible_toilet": True,
        },
    ),
    (
        "FAC-006",
        K.FACILITY,
        "荒浜支所",
        "あらはましょ",
        "Arahama Branch Office",
        "04",
        0.40,
        0.35,
        {
            "address": "亘理町荒浜（デモ）",
            "opening_hours": "平日 8:30〜17:15",
            "wheelchair_accessible": True,
        },
    ),
    (
        "FAC-007",
        K.FACILITY,
        "逢隈公民館",
        "おおくまこうみんかん",
        "Okuma Community Hall",
        "02",
        0.50,
        0.50,
        {"address": "亘理町逢隈（デモ）", "opening_hours": "9:00〜21:00"},
    ),
    (
        "FAC-008",
        K.FACILITY,
        "吉田公民館",
        "よしだこうみんかん",
        "Yoshida Community Hall",
        "11",
        0.40,
        0.50,
        {"address": "亘理町吉田（デモ）", "opening_hours": "9:00〜21:00"},
    ),
    (
        "FAC-009",
        K.FACILITY,
        "亘理町防災備蓄倉庫",
        "わたりちょうぼうさいびちくそうこ",
        "Watari Disaster Supply Warehouse",
        "07",
        0.70,
        0.30,
        {"address": "亘理町（デモ）", "is_public": False},
    ),
    (
        "SCH-001",
        K.SCHOOL,
        "亘理小学校",
        "わたりしょうがっこう",
        "Watari Elementary School",
        "07",
        0.35,
        0.75,
        {"address": "亘理町（デモ）"},
    ),
    (
        "SCH-002",
        K.SCHOOL,
        "亘理中学校",
        "わたりちゅうがっこう",
        "Watari Junior High School",
        "06",
        0.30,
        0.40,
        {"address": "亘理町（デモ）"},
    ),
    (
        "SCH-003",
        K.SCHOOL,
        "逢隈小学校",
        "おおくましょうがっこう",
        "Okuma Elementary School",
        "02",
        0.30,
        0.35,
        {"address": "亘理町逢隈（デモ）"},
    ),
    (
        "SCH-004",
        K.SCHOOL,
        "逢隈中学校",
        "おおくまちゅうがっこう",
        "Okuma Junior High School",
        "03",
        0.40,
        0.45,
        {"address": "亘理町逢隈下郡（デモ）"},
    ),
    (
        "SCH-005",
        K.SCHOOL,
        "荒浜小学校",
        "あらはましょうがっこう",
        "Arahama Elementary School",
        "04",
        0.25,
        0.55,
        {"address": "亘理町荒浜（デモ）"},
    ),
    (
        "SCH-006",
        K.SCHOOL,
        "吉田小学校",
        "よしだしょうがっこう",
        "Yoshida Elementary School",
        "11",
        0.60,
        0.40,
        {"address": "亘理町吉田（デモ）"},
    ),
    (
        "SCH-007",
        K.SCHOOL,
        "長瀞小学校",
        "ながとろしょうがっこう",
        "Nagatoro Elementary School",
        "08",
        0.35,
        0.50,
        {"address": "亘理町長瀞（デモ）"},
    ),
    (
        "NUR-001",
        K.NURSERY,
        "亘理保育所",
        "わたりほいくしょ",
        "Watari Nursery",
        "05",
        0.60,
        0.50,
        {"address": "亘理町（デモ）", "opening_hours": "7:00〜19:00（日祝休み）", "capacity": 120},
    ),
    (
        "NUR-002",
        K.NURSERY,
        "逢隈保育所",
        "おおくまほいくしょ",
        "Okuma Nursery",
        "02",
        0.70,
        0.60,
        {
            "address": "亘理町逢隈（デモ）",
            "opening_hours": "7:00〜19:00（日祝休み）",
            "capacity": 90,
        },
    ),
    (
        "NUR-003",
        K.NURSERY,
        "吉田保育所",
        "よしだほいくしょ",
        "Yoshida Nursery",
        "11",
        0.25,
        0.70,
        {
            "address": "亘理町吉田（デモ）",
            "opening_hours": "7:30〜18:30（日祝休み）",
            "capacity": 60,
        },
    ),
    (
        "NUR-004",
        K.NURSERY,
        "亘理町子育て支援センター",
        "わたりちょうこそだてしえんせんたー",
        "Watari Child-Rearing Support Center",
        "06",
        0.45,
        0.75,
        {
            "address": "亘理町字悠里（デモ）",
            "opening_hours": "平日 9:00〜16:00",
            "wheelchair_accessible": True,
            "accessible_toilet": True,
        },
    ),
    (
        "SHL-001",
        K.SHELTER,
        "亘理小学校 体育館",
        "わたりしょうがっこう たいいくかん",
        "Watari Elementary School Gymnasium",
        "07",
        0.38,
        0.80,
        {"address": "亘理町（デモ）", "capacity": 500, "wheelchair_accessible": True},
    ),
    (
        "SHL-002",
        K.SHELTER,
        "逢隈小学校 体育館",
        "おおくましょうがっこう たいいくかん",
        "Okuma Elementary School Gymnasium",
        "02",
        0.34,
        0.30,
        {"address": "亘理町逢隈（デモ）", "capacity": 450},
    ),
    (
        "SHL-003",
        K.SHELTER,
        "亘理町中央公民館（避難所）",
        "わたりちょうちゅうおうこうみんかん",
        "Watari Central Community Hall (Shelter)",
        "06",
        0.52,
        0.58,
        {
            "address": "亘理町字悠里（デモ）",
            "capacity": 300,
            "wheelchair_accessible": True,
            "accessible_toilet": True,
        },
    ),
    (
        "SHL-004",
        K.SHELTER,
        "吉田小学校 体育館",
        "よしだしょうがっこう たいいくかん",
        "Yoshida Elementary School Gymnasium",
        "11",
        0.64,
        0.36,
        {"address": "亘理町吉田（デモ）", "capacity": 400},
    ),
    (
        "SHL-005",
        K.SHELTER,
        "高屋地区集会所",
        "たかやちくしゅうかいじょ",
        "Takaya Assembly Hall",
        "10",
        0.50,
        0.50,
        {"address": "亘理町高屋（デモ）", "capacity": 80},
    ),
    (
        "EVA-001",
        K.EVACUATION_SITE,
        "鳥の海公園",
        "とりのうみこうえん",
        "Torinoumi Park",
        "04",
        0.70,
        0.30,
        {"address": "亘理町荒浜（デモ）", "capacity": 2000},
    ),
    (
        "EVA-002",
        K.EVACUATION_SITE,
        "亘理町運動公園",
        "わたりちょううんどうこうえん",
        "Watari Sports Park",
        "09",
        0.50,
        0.60,
        {"address": "亘理町（デモ）", "capacity": 3000},
    ),
    (
        "EVA-003",
        K.EVACUATION_SITE,
        "長瀞 避難の丘",
        "ながとろ ひなんのおか",
        "Nagatoro Evacuation Hill",
        "08",
        0.70,
        0.40,
        {"address": "亘理町長瀞（デモ）", "capacity": 600},
    ),
    (
        "EVA-004",
        K.EVACUATION_SITE,
        "鹿島 避難広場",
        "かしま ひなんひろば",
        "Kashima Evacuation Square",
        "12",
        0.40,
        0.50,
        {"address": "亘理町鹿島（デモ）", "capacity": 500},
    ),
    (
        "AED-001",
        K.AED,
        "亘理町役場 1階ロビー",
        "わたりちょうやくば",
        "Watari Town Hall, 1F lobby",
        "06",
        0.63,
        0.70,
        {"address": "宮城県亘理郡亘理町字悠里1番地", "opening_hours": "平日 8:30〜17:15"},
    ),
    (
        "AED-002",
        K.AED,
        "悠里館 受付",
        "ゆうりかん",
        "Yurikan, reception",
        "06",
        0.69,
        0.65,
        {"address": "亘理町字悠里（デモ）", "opening_hours": "9:00〜17:00（月曜休館）"},
    ),
    (
        "AED-003",
        K.AED,
        "亘理町佐藤記念体育館 事務室前",
        "わたりちょうさとうきねんたいいくかん",
        "Watari Sato Memorial Gymnasium, office",
        "07",
        0.31,
        0.56,
        {"address": "亘理町字西郷（デモ）", "opening_hours": "9:00〜21:00"},
    ),
    (
        "AED-004",
        K.AED,
        "荒浜支所 玄関",
        "あらはましょ",
        "Arahama Branch Office, entrance",
        "04",
        0.41,
        0.36,
        {"address": "亘理町荒浜（デモ）", "opening_hours": "平日 8:30〜17:15"},
    ),
    (
        "AED-005",
        K.AED,
        "亘理駅 改札口",
        "わたりえき",
        "Watari Station, ticket gate",
        "07",
        0.20,
        0.60,
        {"address": "亘理町（デモ）", "opening_hours": "始発〜終電"},
    ),
    (
        "MED-001",
        K.MEDICAL,
        "わたり内科クリニック（架空）",
        "わたりないかくりにっく",
        "Watari Internal Medicine Clinic (fictional)",
        "07",
        0.55,
        0.45,
        {
            "address": "亘理町（デモ）",
            "opening_hours": "平日 9:00〜12:00、14:00〜18:00",
            "phone": "0223-00-0001",
            "wheelchair_accessible": True,
        },
    ),
    (
        "MED-002",
        K.MEDICAL,
        "おおくまこどもクリニック（架空）",
        "おおくまこどもくりにっく",
        "Okuma Children's Clinic (fictional)",
        "02",
        0.60,
        0.25,
        {
            "address": "亘理町逢隈（デモ）",
            "opening_hours": "平日 9:00〜17:00、土 9:00〜12:00",
            "phone": "0223-00-0002",
        },
    ),
    (
        "BUS-001",
        K.BUS_STOP,
        "亘理駅前（町民バス）",
        "わたりえきまえ",
        "Watari Station (town bus)",
        "07",
        0.22,
        0.62,
        {"address": "亘理町（デモ）", "opening_hours": "平日 7:00〜19:00 運行"},
    ),
    (
        "BUS-002",
        K.BUS_STOP,
        "役場前（町民バス）",
        "やくばまえ",
        "Town Hall (town bus)",
        "06",
        0.60,
        0.68,
        {"address": "亘理町字悠里（デモ）", "opening_hours": "平日 7:00〜19:00 運行"},
    ),
    (
        "BUS-003",
        K.BUS_STOP,
        "荒浜（町民バス）",
        "あらはま",
        "Arahama (town bus)",
        "04",
        0.45,
        0.40,
        {"address": "亘理町荒浜（デモ）"},
    ),
    (
        "BUS-004",
        K.BUS_STOP,
        "逢隈駅前（町民バス）",
        "おおくまえきまえ",
        "Okuma Station (town bus)",
        "02",
        0.45,
        0.70,
        {"address": "亘理町逢隈（デモ）"},
    ),
    (
        "BUS-005",
        K.BUS_STOP,
        "吉田（町民バス）",
        "よしだ",
        "Yoshida (town bus)",
        "11",
        0.45,
        0.55,
        {"address": "亘理町吉田（デモ）"},
    ),
    (
        "PRK-001",
        K.PARK,
        "田沢ふれあい広場（架空）",
        "たざわふれあいひろば",
        "Tazawa Community Square (fictional)",
        "01",
        0.50,
        0.50,
        {"address": "亘理町（デモ）"},
    ),
    (
        "TOI-001",
        K.TOILET,
        "荒浜海岸 公衆トイレ",
        "あらはまかいがん こうしゅうといれ",
        "Arahama Beach Public Toilet",
        "04",
        0.85,
        0.50,
        {"address": "亘理町荒浜（デモ）", "accessible_toilet": True, "wheelchair_accessible": True},
    ),
)


def load_demo() -> None:
    """Create or update the demo districts and places; running it again changes nothing."""
    districts: dict[str, District] = {}
    for index, (code, name, kana, romaji) in enumerate(DISTRICTS):
        districts[code], _changed = services.upsert_district(
            code,
            by=None,
            name=name,
            name_kana=kana,
            name_en=romaji,
            boundary=tile_polygon(index),
            order=index + 1,
        )
    existing = {p.code: p for p in Place.objects.filter(code__in=[p[0] for p in PLACES])}
    for code, kind, name, kana, english, district, across, up, extra in PLACES:
        latitude, longitude = point_in_tile(district, across, up)
        values: dict[str, Any] = {
            "kind": str(kind),
            "name": name,
            "name_kana": kana,
            "name_en": english,
            "latitude": latitude,
            "longitude": longitude,
            "district": districts[district],
            "notes": DEMO_NOTE,
            "is_public": True,
            **extra,
        }
        place = existing.get(code)
        if place is None:
            services.create_place(by=None, code=code, **values)
        elif any(_differs(place, name, value) for name, value in values.items()):
            services.update_place(place, by=None, **values)


def _differs(place: Place, name: str, value: Any) -> bool:
    if name == "district":
        return place.district_id != value.pk
    return bool(getattr(place, name) != value)
