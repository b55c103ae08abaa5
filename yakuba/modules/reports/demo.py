"""Demo categories (with the departments that handle them), one campaign, and a few reports in
different states. Idempotent: categories by code, reports only when there are none."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from yakuba.modules.reports.models import (
    AttributeType,
    Category,
    CategoryAttribute,
    Report,
    ReportUpdate,
    Status,
)
from yakuba.platform.accounts.models import Department, User
from yakuba.platform.places.demo import point_in_tile
from yakuba.platform.places.services import find_district

DEPARTMENTS = {
    "toshi": ("都市建設課", "Urban Development Division", "0223-34-1116"),
    "chomin": ("町民生活課", "Residents' Affairs Division", "0223-34-1113"),
}

# (code, name, English, group, icon, department, description)
CATEGORIES = [
    (
        "pothole",
        "道路の穴・段差",
        "Pothole or broken road",
        "道路",
        "pothole",
        "toshi",
        "車道や歩道の穴、段差、陥没。",
    ),
    (
        "streetlight",
        "街灯が点かない",
        "Street light out",
        "道路",
        "streetlight",
        "toshi",
        "夜に点かない、昼も点いたまま、点滅している街灯。",
    ),
    (
        "dumping",
        "ごみの不法投棄",
        "Illegal dumping",
        "環境",
        "dumping",
        "chomin",
        "道ばたや空き地に捨てられたごみ、家電、タイヤなど。",
    ),
    (
        "fallen-tree",
        "倒木・枝の張り出し",
        "Fallen tree or overhanging branch",
        "道路",
        "tree",
        "toshi",
        "道をふさぐ木や、通行のじゃまになる枝。",
    ),
    (
        "dead-animal",
        "動物の死がい",
        "Dead animal",
        "環境",
        "animal",
        "chomin",
        "道路や公園にある動物の死がい。触らずにお知らせください。",
    ),
    (
        "other",
        "その他の困りごと",
        "Something else",
        "その他",
        "other",
        "chomin",
        "上にないもの。内容に合わせて担当の課に回します。",
    ),
]


@transaction.atomic
def load_demo() -> None:
    departments = {}
    for code, (name, english, phone) in DEPARTMENTS.items():
        departments[code], _created = Department.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": english, "phone": phone, "order": 10}
        )
    categories = {}
    for order, (code, name, english, group, icon, department, description) in enumerate(CATEGORIES):
        categories[code], _created = Category.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": english,
                "group": group,
                "icon": icon,
                "department": departments[department],
                "description": description,
                "order": order,
            },
        )
    CategoryAttribute.objects.update_or_create(
        category=categories["streetlight"],
        code="pole-number",
        defaults={
            "datatype": AttributeType.STRING,
            "description": "街灯の柱の番号（わかれば）",
            "description_en": "Number on the pole (if you can see it)",
            "order": 1,
        },
    )
    CategoryAttribute.objects.update_or_create(
        category=categories["streetlight"],
        code="state",
        defaults={
            "datatype": AttributeType.SINGLE,
            "description": "どんな様子ですか",
            "description_en": "What is it doing?",
            "required": True,
            "values": [
                {"key": "off", "name": "夜に点かない", "name_en": "Not lit at night"},
                {"key": "blinking", "name": "点滅している", "name_en": "Blinking"},
                {"key": "on-by-day", "name": "昼も点いている", "name_en": "On during the day"},
            ],
            "order": 2,
        },
    )
    Category.objects.update_or_create(
        code="school-route",
        defaults={
            "name": "通学路の危険箇所",
            "name_en": "Danger spots on school routes",
            "group": "テーマレポート",
            "icon": "school",
            "department": departments["toshi"],
            "description": "子どもの通学路で危ないと感じる場所。",
            "campaign_intro": "通学路の危険箇所を教えてください。見通しの悪い交差点、歩道のない道、暗い場所など。",
            "campaign_ends_on": date.today() + timedelta(days=60),
            "order": 90,
        },
    )
    if Report.objects.exists():
        return
    resident = User.objects.filter(email="resident@example.jp").first()
    now = timezone.now()
    samples = [
        (
            "pothole",
            "04",
            0.4,
            0.6,
            "県道の歩道側に深さ10cmほどの穴があります。自転車が危ないです。",
            Status.IN_PROGRESS,
            6,
        ),
        ("streetlight", "07", 0.5, 0.5, "公民館前の街灯が夜に点きません。", Status.RECEIVED, 1),
        (
            "dumping",
            "11",
            0.3,
            0.7,
            "農道脇に古いテレビとタイヤが捨てられています。",
            Status.FIXED,
            14,
        ),
        (
            "fallen-tree",
            "02",
            0.6,
            0.4,
            "強風で倒れた木が町道を半分ふさいでいます。",
            Status.FIXED,
            3,
        ),
        (
            "dead-animal",
            "05",
            0.5,
            0.3,
            "交差点の近くにタヌキの死がいがあります。",
            Status.RECEIVED,
            0,
        ),
        (
            "dumping",
            "08",
            0.7,
            0.6,
            "公園の入口に粗大ごみ（ソファ）が置かれたままです。",
            Status.IN_PROGRESS,
            2,
        ),
    ]
    for code, district, across, up, text, status, days_ago in samples:
        latitude, longitude = point_in_tile(district, across, up)
        category = categories[code]
        report = Report.objects.create(
            category=category,
            description=text,
            latitude=latitude,
            longitude=longitude,
            district=find_district(latitude, longitude),
            attributes={"state": "off"} if code == "streetlight" else {},
            department=category.department,
            reporter=resident if code in ("pothole", "dumping") else None,
            status=status,
            created_at=now - timedelta(days=days_ago),
            closed_at=now - timedelta(days=1) if status == Status.FIXED else None,
        )
        if status != Status.RECEIVED:
            ReportUpdate.objects.create(
                report=report,
                by_staff=True,
                status=status,
                note="現地を確認しました。"
                if status == Status.IN_PROGRESS
                else "撤去・補修しました。ご連絡ありがとうございました。",
                created_at=now - timedelta(days=max(days_ago - 1, 0)),
            )
