"""Places as 自治体標準オープンデータセット rows (公共施設一覧, AED設置箇所一覧, 避難所…).

Column names and order follow the Digital Agency's 自治体標準オープンデータセット (Ver. 2 series,
with the アドレス・ベース・レジストリ style address columns). Columns whose data Yakuba does not
hold yet are present and empty, so a file always has the standard's shape. The opendata module
turns these rows into CSV files, catalogue entries and DCAT; this is only the mapping.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from yakuba.core.models import Municipality
from yakuba.platform.places import queries
from yakuba.platform.places.models import Place, PlaceKind

STANDARD = "自治体標準オープンデータセット"

# Shared head of every dataset: who publishes it and where the place is.
HEAD = ("全国地方公共団体コード", "ID", "地方公共団体名")
NAMES = ("名称", "名称_カナ", "名称_英字")
LOCATION = (
    "所在地_全国地方公共団体コード",
    "町字ID",
    "所在地_連結表記",
    "所在地_都道府県",
    "所在地_市区町村",
    "所在地_町字",
    "所在地_番地以下",
    "建物名",
    "緯度",
    "経度",
)
CONTACT = (
    "電話番号",
    "内線番号",
    "連絡先メールアドレス",
    "連絡先FormURL",
    "連絡先備考（その他、SNSなど）",
)
HOURS = ("利用可能曜日", "開始時間", "終了時間", "利用可能日時特記事項")
IMAGE = ("画像", "画像_ライセンス")
DISASTER_TYPES = (
    "災害種別_洪水",
    "災害種別_崖崩れ、土石流及び地滑り",
    "災害種別_高潮",
    "災害種別_地震",
    "災害種別_津波",
    "災害種別_大規模な火事",
    "災害種別_内水氾濫",
    "災害種別_火山現象",
)

COLUMNS: dict[str, tuple[str, ...]] = {
    "public_facilities": (
        *HEAD,
        *NAMES,
        "名称_通称",
        "POIコード",
        *LOCATION,
        *CONTACT,
        "郵便番号",
        *HOURS,
        "説明",
        "バリアフリー情報",
        *IMAGE,
        "URL",
        "備考",
    ),
    "aed_locations": (
        *HEAD,
        *NAMES,
        *LOCATION,
        "設置位置",
        *CONTACT[:2],
        *HOURS,
        "小児対応設備の有無",
        *IMAGE,
        "備考",
    ),
    "evacuation_sites": (
        *HEAD,
        *NAMES,
        *LOCATION,
        "標高",
        *CONTACT[:4],
        *DISASTER_TYPES,
        "指定避難所との重複",
        "想定収容人数",
        "対象となる町会・自治会",
        "URL",
        *IMAGE,
        "備考",
    ),
    "shelters": (
        *HEAD,
        *NAMES,
        *LOCATION,
        "標高",
        *CONTACT[:4],
        *DISASTER_TYPES,
        "指定緊急避難場所との重複",
        "想定収容人数",
        "対象となる町会・自治会",
        "バリアフリー情報",
        "URL",
        *IMAGE,
        "備考",
    ),
    "childcare_facilities": (
        *HEAD,
        "種別",
        *NAMES,
        *LOCATION,
        *CONTACT,
        "郵便番号",
        *HOURS,
        "定員",
        "対象年齢",
        "バリアフリー情報",
        *IMAGE,
        "URL",
        "備考",
    ),
    "medical_institutions": (
        *HEAD,
        *NAMES,
        "医療機関の種類",
        *LOCATION,
        *CONTACT[:2],
        "郵便番号",
        "診療曜日",
        "診療開始時間",
        "診療終了時間",
        "診療日時特記事項",
        "診療科目",
        "バリアフリー情報",
        *IMAGE,
        "URL",
        "備考",
    ),
}

KINDS: dict[str, tuple[str, ...]] = {
    "public_facilities": (PlaceKind.FACILITY, PlaceKind.SCHOOL, PlaceKind.PARK),
    "aed_locations": (PlaceKind.AED,),
    "evacuation_sites": (PlaceKind.EVACUATION_SITE,),
    "shelters": (PlaceKind.SHELTER,),
    "childcare_facilities": (PlaceKind.NURSERY,),
    "medical_institutions": (PlaceKind.MEDICAL,),
}


def _known_values(place: Place, municipality: Municipality | None) -> dict[str, Any]:
    """What Yakuba holds for a place, by standard column name."""
    code = municipality.code if municipality else ""
    accessibility = [place.accessibility_notes] if place.accessibility_notes else []
    if place.wheelchair_accessible:
        accessibility.insert(0, "車いす利用可")
    if place.accessible_toilet:
        accessibility.insert(0, "多機能トイレあり")
    return {
        "全国地方公共団体コード": code,
        "ID": place.code,
        "地方公共団体名": f"{municipality.prefecture}{municipality.name}" if municipality else "",
        "名称": place.name,
        "名称_カナ": place.name_kana,
        "名称_英字": place.name_en,
        "種別": str(place.get_kind_display()),
        "所在地_全国地方公共団体コード": code,
        "所在地_連結表記": place.address,
        "所在地_都道府県": municipality.prefecture if municipality else "",
        "所在地_市区町村": municipality.name if municipality else "",
        "緯度": place.latitude,
        "経度": place.longitude,
        "電話番号": place.phone,
        "郵便番号": place.postal_code,
        "利用可能日時特記事項": place.opening_hours,
        "診療日時特記事項": place.opening_hours,
        "バリアフリー情報": "、".join(accessibility),
        "想定収容人数": "" if place.capacity is None else place.capacity,
        "定員": "" if place.capacity is None else place.capacity,
        "URL": place.url,
        "備考": place.notes,
    }


def rows_for(dataset: str) -> list[dict[str, Any]]:
    """The rows of one dataset, each a dict in the standard's column order."""
    municipality = Municipality.current()
    columns = COLUMNS[dataset]
    places = queries.public_places().filter(kind__in=KINDS[dataset]).order_by("code")
    rows = []
    for place in places:
        known = _known_values(place, municipality)
        rows.append({column: known.get(column, "") for column in columns})
    return rows


def builder(dataset: str) -> Callable[[], list[dict[str, Any]]]:
    def build_rows() -> list[dict[str, Any]]:
        return rows_for(dataset)

    build_rows.__name__ = f"build_{dataset}_rows"
    return build_rows
