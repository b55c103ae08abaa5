"""The 自治体標準オープンデータセット: the Digital Agency's standard column sets, as data.

The Digital Agency (デジタル庁) publishes, as 自治体標準オープンデータセット (formerly the 内閣官房IT室
推奨データセット), one sheet per dataset in its データ項目定義書: 項目名, 区分 (◎ 必須 / ○ 推奨 / blank
任意), 形式 and 記入例. A file in the standard keeps the columns in the sheet's order, in UTF-8, with
全国地方公共団体コード as 6 digits including the check digit (JIS X 0402), 緯度・経度 in decimal
degrees (WGS84 / JGD2011), dates as YYYY-MM-DD and times as hh:mm.

`required` is 区分 ◎ only; ○ (推奨) columns are optional here, as a file without them is still valid.
Where we could not read the official sheet itself, the dataset's `note` says what its columns are
based on; docs/modules/core-standard-datasets.md lists the sources.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from enum import StrEnum

from yakuba.core.models import local_government_code_check_digit


class ColumnType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"  # YYYY-MM-DD
    TIME = "time"  # hh:mm
    LATITUDE = "latitude"
    LONGITUDE = "longitude"
    MUNICIPALITY_CODE = "municipality_code"  # 全国地方公共団体コード, 6 digits with check digit
    POSTAL_CODE = "postal_code"
    PHONE = "phone"
    URL = "url"
    EMAIL = "email"


@dataclass(frozen=True)
class StandardColumn:
    """One 項目 of a standard dataset."""

    name: str
    type: ColumnType
    required: bool
    description: str = ""
    example: str = ""
    # 秘匿できる: a count of people that may be shown as "X" (秘匿) or "-" (皆無, none), as the
    # statistics tables of e-Stat and the prefectures write them, instead of a number.
    suppressible: bool = False


@dataclass(frozen=True)
class StandardDataset:
    """One standard dataset: its columns in the order a file must have them."""

    code: str
    title: str
    title_en: str
    columns: tuple[StandardColumn, ...]
    # URL of the official definition.
    source: str
    # What the column list rests on when it is not read from the official sheet itself.
    note: str = ""

    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


def standard_dataset(code: str) -> StandardDataset:
    """The standard dataset with this code; KeyError when there is none."""
    return STANDARD_DATASETS[code]


@functools.lru_cache(maxsize=4096)
def is_municipality_code(value: str) -> bool:
    """Whether `value` is a 全国地方公共団体コード: 5 digits and the check digit. Cached: a file
    repeats a handful of codes on every row (bench/opendata_stream.py)."""
    return (
        len(value) == 6
        and value.isascii()
        and value.isdigit()
        and local_government_code_check_digit(value[:5]) == int(value[5])
    )


def _column(
    name: str,
    type: ColumnType = ColumnType.TEXT,
    *,
    required: bool = False,
    example: str = "",
    description: str = "",
    suppressible: bool = False,
) -> StandardColumn:
    return StandardColumn(name, type, required, description, example, suppressible)


# The official page with the データ項目定義書 (自治体標準オープンデータセット（正式版）).
DIGITAL_AGENCY = "https://www.digital.go.jp/resources/open_data/municipal-standard-data-set-test"

# The Ver.1 推奨データセット item lists, as machine-readable models of the IT室 definitions.
RECOMMENDED_V1 = "https://github.com/NEC-FIWARE/smart-data-models/tree/master/cio"

BEST_READING = (
    "Our best reading of the 正式版 sheet, which we could not read: the identity and address "
    "columns every 正式版 sheet we could read shares (全国地方公共団体コード, ID, 地方公共団体名, "
    "名称_英語, the 所在地_* address split with 町字ID and 建物名等(方書)), followed by this "
    "dataset's own columns as the Ver.1 推奨データセット defines them (" + RECOMMENDED_V1 + ")."
)

# -- Column groups shared by the sheets ------------------------------------------------------------

HEAD = (
    _column(
        "全国地方公共団体コード",
        ColumnType.MUNICIPALITY_CODE,
        example="011002",
        description="情報の管理主体である団体の全国地方公共団体コード（6桁）",
    ),
    _column("ID", description="管理主体の団体内でデータが一意に決まるID"),
    _column("地方公共団体名", example="北海道札幌市"),
)


def _names(english: str = "名称_英語") -> tuple[StandardColumn, ...]:
    return (
        _column("名称", required=True),
        _column("名称_カナ", description="全角カナ"),
        _column(english),
    )


ADDRESS = (
    _column("所在地_全国地方公共団体コード", ColumnType.MUNICIPALITY_CODE, example="011088"),
    _column("町字ID", description="アドレス・ベース・レジストリの町字ID"),
    _column(
        "所在地_連結表記",
        required=True,
        description="都道府県から建物名等までを連結した住所",
    ),
    _column("所在地_都道府県", example="北海道"),
    _column("所在地_市区町村"),
    _column("所在地_町字"),
    _column("所在地_番地以下"),
    _column("建物名等(方書)", example="○○ビル1階"),
)
COORDINATES = (
    _column("緯度", ColumnType.LATITUDE, example="43.064310"),
    _column("経度", ColumnType.LONGITUDE, example="141.346814"),
)
LOCATION = (*ADDRESS, *COORDINATES)
# For things that often have a position and no address (hydrants, cultural properties in the field).
LOCATION_ADDRESS_OPTIONAL = tuple(replace(column, required=False) for column in LOCATION)
PHONE = (_column("電話番号", ColumnType.PHONE), _column("内線番号"))
CORPORATION = (_column("法人番号"), _column("団体名"))
HOURS = (
    _column("利用可能曜日"),
    _column("開始時間", ColumnType.TIME, example="09:00"),
    _column("終了時間", ColumnType.TIME, example="17:00"),
    _column("利用可能日時特記事項"),
)
IMAGE = (
    _column("画像", ColumnType.URL, example="http://www.city.ooo.lg.jp/image/file0101.jpg"),
    _column("画像_ライセンス"),
)
URL = (_column("URL", ColumnType.URL),)
NOTES = (_column("備考"),)
ACCESS = (_column("アクセス方法"), _column("駐車場情報"))
CONTACT = (
    _column("連絡先名称"),
    _column("連絡先電話番号", ColumnType.PHONE),
    _column("連絡先内線番号"),
)
DISASTER_TYPES = tuple(
    _column(f"災害種別_{kind}", required=True, description="対応あり: 1、対応なし: 空文字")
    for kind in (
        "洪水",
        "崖崩れ、土石流及び地滑り",
        "高潮",
        "地震",
        "津波",
        "大規模な火事",
        "内水氾濫",
        "火山現象",
    )
)
AGE_BANDS = tuple(
    _column(f"{band}の{sex}", ColumnType.INTEGER, required=True, suppressible=True)
    for band in (*(f"{low}-{low + 4}歳" for low in range(0, 85, 5)), "85歳以上")
    for sex in ("男性", "女性")
)


# -- The datasets ----------------------------------------------------------------------------------

_DATASETS = (
    StandardDataset(
        code="public_facilities",
        title="公共施設一覧",
        title_en="Public facilities",
        columns=(
            *HEAD,
            *_names(),
            _column("名称_通称"),
            _column("POIコード"),
            *LOCATION,
            *PHONE,
            *CORPORATION,
            *HOURS,
            _column("説明"),
            _column("バリアフリー情報", description="「;」（半角セミコロン）区切り"),
            *URL,
            *NOTES,
        ),
        source=DIGITAL_AGENCY,
        note=BEST_READING,
    ),
    StandardDataset(
        code="aed_locations",
        title="AED設置箇所一覧",
        title_en="AED locations",
        columns=(
            *HEAD,
            *_names(),
            *LOCATION,
            _column("設置位置", required=True, description="設置場所における詳細位置"),
            *PHONE,
            *CORPORATION,
            *HOURS,
            _column("小児対応設備の有無", description="有 / 無"),
            *URL,
            *NOTES,
        ),
        source=DIGITAL_AGENCY,
        note=BEST_READING,
    ),
    StandardDataset(
        code="evacuation_sites",
        title="指定緊急避難場所一覧",
        title_en="Designated emergency evacuation sites",
        columns=(
            _column("全国地方公共団体コード", ColumnType.MUNICIPALITY_CODE, example="011002"),
            _column("ID", example="CC0100022200"),
            *(
                _column(name, required=name == "名称", example=example)
                for name, example in (
                    ("名称", "○○小学校"),
                    ("名称_カナ", "○○ショウガッコウ"),
                    ("名称_英字", "○○elementary school"),
                )
            ),
            ADDRESS[0],
            _column("町字ID", example="0001000"),
            _column("所在地_連結表記", required=True, example="北海道札幌市厚別区2○-○○○ビル1階"),
            ADDRESS[3],
            _column("所在地_市区町村", example="札幌市"),
            _column("所在地_町字", example="厚別区2"),
            _column("所在地_番地以下", example="○-○"),
            ADDRESS[7],
            *COORDINATES,
            _column("標高", ColumnType.DECIMAL, example="30.5", description="メートル"),
            _column("電話番号", ColumnType.PHONE, required=True, example="(00)0000-0000"),
            _column("内線番号", example="00000"),
            _column("連絡先メールアドレス", ColumnType.EMAIL, example="XXXX@ooo.lg.jp"),
            _column("連絡先FormURL", ColumnType.URL, example="http://www.ooo.lg.jp/abc.html"),
            _column("連絡先備考（その他、SNSなど）"),
            _column("郵便番号", ColumnType.POSTAL_CODE, example="1234567"),
            _column(
                "市区町村コード",
                ColumnType.MUNICIPALITY_CODE,
                required=True,
                example="011002",
                description="設置主体である市区町村のコード",
            ),
            _column("地方公共団体名", example="北海道札幌市"),
            *DISASTER_TYPES,
            _column(
                "指定避難所との重複", required=True, description="重複あり: 1、重複なし: 空文字"
            ),
            _column("想定収容人数", example="810"),
            _column(
                "対象となる町会・自治会",
                example="○○町;△△町",
                description="「;」（半角セミコロン）区切り",
            ),
            _column("URL", ColumnType.URL, example="http://www.ooo.lg.jp/abc.html"),
            *IMAGE,
            *NOTES,
        ),
        source=DIGITAL_AGENCY,
        note=(
            "Column list and 掲載区分 as two independent implementations of the Digital Agency "
            "definition have it (dx-junkyard/opendata-bridge-transform-api "
            "EmergencyEvacuationSiteRequestBody.java and a つくば市 converter's ODF_HEADERS), "
            "which agree column for column; it keeps the Ver.1 市区町村コード column after the "
            "contact block. We could not read the 正式版 sheet itself."
        ),
    ),
    StandardDataset(
        code="shelters",
        title="指定避難所一覧",
        title_en="Designated shelters",
        columns=(
            *HEAD,
            *_names(),
            *LOCATION,
            _column("標高", ColumnType.DECIMAL, description="メートル"),
            *PHONE,
            _column("指定緊急避難場所との重複", description="重複あり: 1、重複なし: 空文字"),
            _column("想定収容人数"),
            _column("対象となる町会・自治会", description="「;」（半角セミコロン）区切り"),
            _column("バリアフリー情報", description="「;」（半角セミコロン）区切り"),
            *URL,
            *IMAGE,
            *NOTES,
        ),
        source=DIGITAL_AGENCY,
        note=(
            "Our best reading of 指定避難所一覧, for which we found no official column list (it "
            "is not among the Ver.1 推奨データセット): the 指定緊急避難場所一覧 shape without the "
            "災害種別 columns, with 指定緊急避難場所との重複 as in the 内閣府 指定避難所 forms, "
            "and バリアフリー情報 as the other facility sheets write it."
        ),
    ),
    StandardDataset(
        code="childcare_facilities",
        title="子育て施設一覧",
        title_en="Childcare facilities",
        columns=(
            *HEAD,
            *_names(),
            _column(
                "種別",
                description="公立幼稚園 / 私立幼稚園 / 認可公立保育所 / 認可私立保育所 / "
                "認可外保育所 / 認定こども園（幼保連携型・幼稚園型・保育所型・地方裁量型）",
            ),
            *LOCATION,
            *ACCESS,
            *PHONE,
            _column("FAX番号", ColumnType.PHONE),
            *CORPORATION,
            _column("認可等年月日", ColumnType.DATE),
            _column("収容定員", ColumnType.INTEGER),
            _column("受入年齢"),
            *HOURS,
            _column("一時預かりの有無", description="有 / 無"),
            *URL,
            *NOTES,
        ),
        source=DIGITAL_AGENCY,
        note=BEST_READING,
    ),
    StandardDataset(
        code="medical_institutions",
        title="医療機関一覧",
        title_en="Medical institutions",
        columns=(
            *HEAD,
            *_names(),
            _column("医療機関の種類", required=True, description="病院 / 有床診療所 / 無床診療所"),
            *LOCATION,
            *PHONE,
            _column("FAX番号", ColumnType.PHONE),
            _column("法人番号"),
            _column("法人の名称"),
            _column("医療機関コード"),
            _column("診療曜日", required=True),
            _column("診療開始時間", ColumnType.TIME, required=True),
            _column("診療終了時間", ColumnType.TIME, required=True),
            _column("診療日時特記事項"),
            _column("時間外における対応"),
            _column("診療科目", required=True, description="「;」（半角セミコロン）区切り"),
            _column("病床数", ColumnType.INTEGER, required=True),
            _column("URL", ColumnType.URL, required=True),
            *NOTES,
        ),
        source=DIGITAL_AGENCY,
        note=BEST_READING,
    ),
    StandardDataset(
        code="events",
        title="イベント一覧",
        title_en="Events",
        columns=(
            *HEAD,
            _column("イベント名", required=True),
            _column("イベント名_カナ"),
            _column("イベント名_英語"),
            _column("開始日", ColumnType.DATE, required=True),
            _column("終了日", ColumnType.DATE, required=True),
            _column("開始時間", ColumnType.TIME, required=True),
            _column("終了時間", ColumnType.TIME, required=True),
            _column("開始日時特記事項"),
            _column("説明", required=True),
            _column("料金(基本)", ColumnType.INTEGER, description="日本円（1円単位）"),
            _column("料金(詳細)"),
            *CONTACT,
            _column("主催者"),
            _column("場所名称", required=True),
            *LOCATION,
            *ACCESS,
            _column("定員", ColumnType.INTEGER),
            _column("参加申込終了日", ColumnType.DATE),
            _column("参加申込終了時間", ColumnType.TIME),
            _column("参加申込方法"),
            *URL,
            *NOTES,
        ),
        source=DIGITAL_AGENCY,
        note=BEST_READING,
    ),
    StandardDataset(
        code="population_by_area_age",
        title="地域・年齢別人口",
        title_en="Population by area and age",
        columns=(
            HEAD[0],
            _column("地域コード", description="地方公共団体が管理する地域のコード"),
            HEAD[2],
            _column("調査年月日", ColumnType.DATE, required=True),
            _column("地域名", required=True),
            _column("総人口", ColumnType.INTEGER, required=True, suppressible=True),
            _column("男性", ColumnType.INTEGER, required=True, suppressible=True),
            _column("女性", ColumnType.INTEGER, required=True, suppressible=True),
            *AGE_BANDS,
            _column("世帯数", ColumnType.INTEGER, suppressible=True),
            *NOTES,
        ),
        source=DIGITAL_AGENCY,
        note=(
            "Our best reading: the Ver.1 推奨データセット columns (" + RECOMMENDED_V1 + ") with "
            "the 正式版 全国地方公共団体コード and 地方公共団体名 in place of the Ver.1 code and "
            "都道府県名 / 市区町村名 columns (the order a published dbt model of 正式版 files "
            "reads them in); we could not read the 正式版 sheet itself."
        ),
    ),
    StandardDataset(
        code="public_toilets",
        title="公衆トイレ一覧",
        title_en="Public toilets",
        columns=(
            _column("全国地方公共団体コード", ColumnType.MUNICIPALITY_CODE, example="011002"),
            _column("ID", example="LL0100022200"),
            _column("地方公共団体名", example="北海道札幌市"),
            _column("名称", required=True, example="○○駅"),
            _column("名称_カナ", example="○○エキ"),
            _column("名称_英語", example="○○station"),
            ADDRESS[0],
            _column("町字ID", example="0008-001"),
            _column(
                "所在地_連結表記",
                required=True,
                example="北海道札幌市厚別区青葉町一丁目○-○　○○ビル1階",
            ),
            ADDRESS[3],
            _column("所在地_市区町村", example="札幌市厚別区"),
            _column("所在地_町字", example="青葉町一丁目"),
            _column("所在地_番地以下", example="○-○"),
            ADDRESS[7],
            _column("設置位置", required=True, example="改札階の駅員室となり"),
            *COORDINATES,
            _column("高度の種別", example="階数", description="階数 / 標高 / 地表高"),
            _column("高度の値", ColumnType.DECIMAL, example="3"),
            *(
                _column(name, ColumnType.INTEGER, example=example, description="便座単位")
                for name, example in (
                    ("男性トイレ総数", "6"),
                    ("男性トイレ数（小便器）", "2"),
                    ("男性トイレ数（和式）", "2"),
                    ("男性トイレ数（洋式）", "2"),
                    ("女性トイレ総数", "4"),
                    ("女性トイレ数（和式）", "2"),
                    ("女性トイレ数（洋式）", "2"),
                    ("男女共用トイレ総数", "4"),
                    ("男女共用トイレ数（和式）", "2"),
                    ("男女共用トイレ数（洋式）", "2"),
                    ("バリアフリートイレ数", "2"),
                )
            ),
            _column("車椅子使用者用トイレ有無", example="有", description="有 / 無"),
            _column("乳幼児用設備設置トイレ有無", example="無", description="有 / 無"),
            _column("オストメイト設置トイレ有無", example="有", description="有 / 無"),
            _column("利用開始時間", ColumnType.TIME, example="09:00"),
            _column("利用終了時間", ColumnType.TIME, example="18:00"),
            _column(
                "利用可能時間特記事項",
                example="月曜日については、15時まで使用可。また、12/31、1/1は終日利用不可。",
            ),
            _column("画像", ColumnType.URL, example="http://www.city.ooo.lg.jp/image/file0101.jpg"),
            _column("画像_ライセンス", example="PDL1.0"),
            *NOTES,
        ),
        source=DIGITAL_AGENCY,
        note=(
            "Read from データ項目定義書A, sheet 13.公衆トイレ一覧, as extracted column for column "
            "by tsunagu-bosai/open-infra-japan (schema/standard/public-toilet/schema.csv)."
        ),
    ),
    StandardDataset(
        code="public_wifi",
        title="公衆無線LANアクセスポイント一覧",
        title_en="Public Wi-Fi access points",
        columns=(
            *HEAD,
            *_names(),
            *LOCATION,
            _column("設置者"),
            *PHONE,
            _column("SSID"),
            _column("提供エリア"),
            *URL,
            *NOTES,
        ),
        source=DIGITAL_AGENCY,
        note=BEST_READING,
    ),
    StandardDataset(
        code="cultural_properties",
        title="文化財一覧",
        title_en="Cultural properties",
        columns=(
            *HEAD,
            _column("名称", required=True),
            _column("名称_カナ"),
            _column("名称_通称"),
            _column("名称_英語"),
            _column("文化財分類", required=True, description="「;」（半角セミコロン）区切り"),
            _column("種類", description="建造物 / 美術工芸品 / 芸能 / 工芸技術 / その他"),
            _column("場所名称"),
            *LOCATION_ADDRESS_OPTIONAL,
            *PHONE,
            _column("員数（数）", ColumnType.INTEGER),
            _column("員数（単位）"),
            _column("法人番号"),
            _column("所有者等"),
            _column("文化財指定日", ColumnType.DATE),
            *HOURS,
            *IMAGE,
            _column("概要"),
            _column("概要_英語"),
            _column("説明"),
            _column("説明_英語"),
            *URL,
            *NOTES,
        ),
        source=DIGITAL_AGENCY,
        note=BEST_READING,
    ),
    StandardDataset(
        code="tourist_facilities",
        title="観光施設一覧",
        title_en="Tourist facilities",
        columns=(
            HEAD[0],
            _column("法人番号", description="管理主体が地方公共団体以外の場合"),
            *HEAD[1:],
            *_names(),
            _column("POIコード"),
            *LOCATION,
            *HOURS,
            _column("料金(基本)", ColumnType.INTEGER, description="日本円（1円単位）"),
            _column("料金(詳細)"),
            _column("説明", required=True),
            _column("説明_英語"),
            *ACCESS,
            _column("バリアフリー情報", description="「;」（半角セミコロン）区切り"),
            *CONTACT,
            *IMAGE,
            *URL,
            *NOTES,
        ),
        source=DIGITAL_AGENCY,
        note=(
            "The first seven columns (to 名称_英語, with 法人番号 second) as the 正式版 sheet "
            "11_観光施設一覧.xlsx shows them (rendered at https://opendata.pref.tokushima.lg.jp/"
            "dataset/4991/resource/16326/content.html?page=3); the rest is " + BEST_READING
        ),
    ),
    StandardDataset(
        code="care_service_offices",
        title="介護サービス事業所一覧",
        title_en="Long-term care service offices",
        columns=(
            *HEAD,
            _column("介護サービス事業所名称", required=True),
            _column("介護サービス事業所名称_カナ"),
            _column("実施サービス", required=True),
            *LOCATION,
            _column("電話番号", ColumnType.PHONE, required=True),
            _column("内線番号"),
            _column("FAX番号", ColumnType.PHONE),
            _column("法人番号"),
            _column("法人の名称"),
            _column("事業所番号"),
            _column("利用可能曜日"),
            _column("利用可能曜日特記事項"),
            _column("定員", ColumnType.INTEGER),
            *URL,
            *NOTES,
        ),
        source=DIGITAL_AGENCY,
        note=BEST_READING,
    ),
    StandardDataset(
        code="fire_water_facilities",
        title="消防水利施設一覧",
        title_en="Fire-fighting water supplies",
        columns=(
            *HEAD,
            _column(
                "種別",
                required=True,
                description="消火栓 / 私設消火栓 / 防火水そう / プール / 河川・溝等 / 濠・池等 / "
                "海・湖 / 井戸 / 下水道 / その他",
            ),
            *LOCATION_ADDRESS_OPTIONAL,
            _column("口径", ColumnType.INTEGER, description="ミリメートル"),
            *NOTES,
        ),
        source=DIGITAL_AGENCY,
        note=(
            "Column list as 南さつま市 publishes the 正式版 file (a header quoted in a public "
            "test suite), agreeing with the Ver.1 推奨データセット columns ("
            + RECOMMENDED_V1
            + "); "
            "we could not read the 正式版 sheet itself. Some towns head the last column "
            "口径(管径ｍｍ)."
        ),
    ),
    StandardDataset(
        code="open_data_catalogue",
        title="オープンデータ一覧",
        title_en="Open data catalogue",
        columns=(
            *HEAD,
            _column("データ名称", required=True),
            _column("データ概要"),
            _column("データ形式", required=True),
            _column("分類", required=True, description="国土・気象 / 人口・世帯 / … / その他"),
            _column("更新頻度"),
            *URL,
            _column("API対応有無", description="有 / 無"),
            _column("ライセンス"),
            _column("登録日", ColumnType.DATE),
            _column("最終更新日", ColumnType.DATE, required=True),
            *NOTES,
        ),
        source=DIGITAL_AGENCY,
        note=BEST_READING,
    ),
)

STANDARD_DATASETS: dict[str, StandardDataset] = {dataset.code: dataset for dataset in _DATASETS}
