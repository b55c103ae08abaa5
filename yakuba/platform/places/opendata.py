"""Places as 自治体標準オープンデータセット rows (公共施設一覧, AED設置箇所一覧, 避難所…).

The columns and their order come from yakuba.core.standard_datasets; this module only says which
places go into which dataset and what Yakuba holds for each column. Columns Yakuba does not hold
are present and empty, so a file always has the standard's shape. The opendata module turns these
rows into CSV files, catalogue entries and DCAT.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from yakuba.core.models import Municipality
from yakuba.core.standard_datasets import standard_dataset
from yakuba.platform.places import queries
from yakuba.platform.places.models import Place, PlaceKind

# Which places each standard dataset lists, by standard dataset code.
KINDS: dict[str, tuple[str, ...]] = {
    "public_facilities": (PlaceKind.FACILITY, PlaceKind.SCHOOL, PlaceKind.PARK),
    "aed_locations": (PlaceKind.AED,),
    "evacuation_sites": (PlaceKind.EVACUATION_SITE,),
    "shelters": (PlaceKind.SHELTER,),
    "childcare_facilities": (PlaceKind.NURSERY,),
    "medical_institutions": (PlaceKind.MEDICAL,),
    "public_toilets": (PlaceKind.TOILET,),
}


def _known_values(place: Place, municipality: Municipality | None) -> dict[str, Any]:
    """What Yakuba holds for a place, by standard column name."""
    code = municipality.code if municipality else ""
    accessibility = [place.accessibility_notes] if place.accessibility_notes else []
    if place.wheelchair_accessible:
        accessibility.insert(0, "車いす利用可")
    if place.accessible_toilet:
        accessibility.insert(0, "多機能トイレあり")
    capacity = "" if place.capacity is None else place.capacity
    return {
        "全国地方公共団体コード": code,
        "市区町村コード": code,
        "ID": place.code,
        "地方公共団体名": f"{municipality.prefecture}{municipality.name}" if municipality else "",
        "名称": place.name,
        "名称_カナ": place.name_kana,
        # The sheets spell the English name column both ways.
        "名称_英語": place.name_en,
        "名称_英字": place.name_en,
        "所在地_全国地方公共団体コード": code,
        "所在地_連結表記": place.address,
        "所在地_都道府県": municipality.prefecture if municipality else "",
        "所在地_市区町村": municipality.name if municipality else "",
        "緯度": place.latitude,
        "経度": place.longitude,
        "電話番号": place.phone,
        "郵便番号": place.postal_code,
        "利用可能日時特記事項": place.opening_hours,
        "利用可能時間特記事項": place.opening_hours,
        "診療日時特記事項": place.opening_hours,
        # The standard separates バリアフリー情報 items with a half-width semicolon.
        "バリアフリー情報": ";".join(accessibility),
        # 有 only: an unticked box means "not recorded", not 無.
        "車椅子使用者用トイレ有無": "有" if place.accessible_toilet else "",
        "想定収容人数": capacity,
        "収容定員": capacity,
        "URL": place.url,
        "備考": place.notes,
    }


def rows_for(dataset: str) -> list[dict[str, Any]]:
    """The rows of one dataset, each a dict in the standard's column order."""
    municipality = Municipality.current()
    columns = standard_dataset(dataset).column_names()
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
