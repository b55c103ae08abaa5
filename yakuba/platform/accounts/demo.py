"""Demo data for accounts (架空のデモデータ): departments, roles, staff, and 200 residents.

Idempotent: every row is looked up by its natural key first, so running it again changes nothing.
All demo logins use the password "yakuba-demo" and are marked `is_demo`.
"""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from yakuba.platform.accounts.models import (
    Department,
    HouseholdMember,
    Language,
    NotificationChannel,
    Relationship,
    ResidentProfile,
    Sex,
    StaffMember,
    TextSize,
    Topic,
    User,
)
from yakuba.platform.places.models import District

DEMO_PASSWORD = "yakuba-demo"  # noqa: S105 - published demo login, printed by run_demo
RESIDENT_COUNT = 200
# Every so many people leave 性別 blank (回答しない), as some real residents will.
UNRECORDED_SEX_EVERY = 23

DEPARTMENTS = [
    ("soumu", "総務課", "General Affairs Division", "0223-34-1111"),
    ("kikaku", "企画課", "Planning Division", "0223-34-1112"),
    ("chomin", "町民生活課", "Residents' Affairs Division", "0223-34-1113"),
    ("fukushi", "福祉課", "Welfare Division", "0223-34-1114"),
    ("kodomo", "子ども未来課", "Children's Future Division", "0223-34-1115"),
    ("shogai", "生涯学習課", "Lifelong Learning Division", "0223-34-1116"),
]

ROLES: dict[str, list[str]] = {
    "窓口担当": ["accounts.view_residentprofile"],
    "監査担当": ["audit.search_auditentry", "audit.view_auditentry"],
    "場所管理": [
        "places.add_place",
        "places.change_place",
        "places.delete_place",
        "places.view_place",
    ],
    "通知担当": [
        "notify.view_message",
        "notify.add_message",
        "notify.send_emergency",
        "notify.add_segment",
        "notify.view_reply",
        "notify.add_conversationmessage",
    ],
    "通報対応": ["reports.view_report", "reports.change_report", "reports.add_open311client"],
    "オープンデータ担当": ["opendata.change_dataset"],
    "申請処理": [
        "procedures.view_submission",
        "procedures.change_submission",
        "procedures.change_procedure",
    ],
    "施設予約担当": [
        "reservations.change_booking",
        "reservations.change_facility",
        "reservations.change_event",
    ],
}

# (email, department, display name, title, roles, superuser)
NAMED_STAFF = [
    (
        "staff@example.jp",
        "chomin",
        "窓口 一郎",
        "主事",
        [
            "窓口担当",
            "場所管理",
            "通知担当",
            "通報対応",
            "オープンデータ担当",
            "申請処理",
            "施設予約担当",
        ],
        False,
    ),
    ("shisetsu@example.jp", "shogai", "施設 四郎", "主事", ["施設予約担当"], False),
    ("auditor@example.jp", "soumu", "監査 二郎", "主査", ["監査担当"], False),
    ("admin@example.jp", "kikaku", "管理 三子", "係長", [], True),
]

FAMILY_NAMES = [
    ("佐藤", "さとう"),
    ("鈴木", "すずき"),
    ("高橋", "たかはし"),
    ("田中", "たなか"),
    ("渡辺", "わたなべ"),
    ("伊藤", "いとう"),
    ("山本", "やまもと"),
    ("中村", "なかむら"),
    ("小林", "こばやし"),
    ("加藤", "かとう"),
    ("吉田", "よしだ"),
    ("山田", "やまだ"),
    ("佐々木", "ささき"),
    ("斎藤", "さいとう"),
    ("菊地", "きくち"),
    ("阿部", "あべ"),
    ("遠藤", "えんどう"),
    ("千葉", "ちば"),
    ("菅原", "すがわら"),
    ("今野", "こんの"),
    ("大友", "おおとも"),
    ("庄司", "しょうじ"),
    ("八巻", "やまき"),
    ("丹野", "たんの"),
    ("熊谷", "くまがい"),
    ("武田", "たけだ"),
    ("相澤", "あいざわ"),
    ("鈴木", "すずき"),
]
GIVEN_NAMES_F = [
    ("花子", "はなこ"),
    ("恵子", "けいこ"),
    ("美咲", "みさき"),
    ("結衣", "ゆい"),
    ("陽菜", "ひな"),
    ("さくら", "さくら"),
    ("由美", "ゆみ"),
    ("直子", "なおこ"),
    ("幸子", "さちこ"),
    ("トメ", "とめ"),
    ("芽依", "めい"),
    ("真由美", "まゆみ"),
    ("葵", "あおい"),
    ("凛", "りん"),
    ("久美子", "くみこ"),
    ("千尋", "ちひろ"),
]
GIVEN_NAMES_M = [
    ("太郎", "たろう"),
    ("一郎", "いちろう"),
    ("健太", "けんた"),
    ("陽翔", "はると"),
    ("蓮", "れん"),
    ("大輔", "だいすけ"),
    ("翔太", "しょうた"),
    ("誠", "まこと"),
    ("浩", "ひろし"),
    ("勇", "いさむ"),
    ("悠真", "ゆうま"),
    ("湊", "みなと"),
    ("和夫", "かずお"),
    ("清", "きよし"),
    ("拓海", "たくみ"),
    ("悟", "さとる"),
]


def _birth_date(today: date, age: int, rng: random.Random) -> date:
    return today - timedelta(days=age * 365 + rng.randint(0, 364))


def _sex(given: tuple[str, str], number: int) -> str:
    """The sex a given name suggests, left blank for every UNRECORDED_SEX_EVERY-th person."""
    if number % UNRECORDED_SEX_EVERY == UNRECORDED_SEX_EVERY - 1:
        return ""
    return Sex.FEMALE if given in GIVEN_NAMES_F else Sex.MALE


def _load_departments() -> dict[str, Department]:
    departments = {}
    for order, (code, name, name_en, phone) in enumerate(DEPARTMENTS, start=1):
        department, _ = Department.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "phone": phone, "order": order}
        )
        departments[code] = department
    return departments


def _load_roles() -> dict[str, Group]:
    groups = {}
    for name, permission_names in ROLES.items():
        group, created = Group.objects.get_or_create(name=name)
        if created:
            for permission_name in permission_names:
                app_label, codename = permission_name.split(".")
                permission = Permission.objects.filter(
                    content_type__app_label=app_label, codename=codename
                ).first()
                if permission is not None:
                    group.permissions.add(permission)
        groups[name] = group
    return groups


def _verify(users: list[User]) -> None:
    """Demo logins need no confirmation mail: their addresses are verified and primary."""
    have = set(EmailAddress.objects.filter(user__in=users).values_list("user_id", flat=True))
    EmailAddress.objects.bulk_create(
        EmailAddress(user=u, email=u.email, verified=True, primary=True)
        for u in users
        if u.pk not in have
    )


def _load_staff(password_hash: str, departments: dict[str, Department], groups: dict[str, Group]):
    existing = set(User.objects.filter(is_staff=True).values_list("email", flat=True))
    created: list[User] = []
    for email, department_code, display_name, title, roles, superuser in NAMED_STAFF:
        if email in existing:
            # A demo loaded before a module added its role gets the role now.
            User.objects.get(email=email).groups.add(*(groups[r] for r in roles))
            continue
        user = User.objects.create(
            email=email,
            password=password_hash,
            is_staff=True,
            is_superuser=superuser,
            is_demo=True,
        )
        user.groups.set([groups[r] for r in roles])
        StaffMember.objects.create(
            user=user,
            department=departments[department_code],
            display_name=display_name,
            title=title,
        )
        created.append(user)
    _verify(created)
    rng = random.Random(7)  # noqa: S311 - demo names, not secrets
    for code, department in departments.items():
        for number in (1, 2):
            email = f"{code}{number}@example.jp"
            family, _kana = rng.choice(FAMILY_NAMES)
            given, _kana = rng.choice(GIVEN_NAMES_F + GIVEN_NAMES_M)
            if email in existing:
                continue
            # Colleagues exist to fill lists; they cannot sign in.
            user = User(email=email, is_staff=True, is_demo=True)
            user.set_unusable_password()
            user.save()
            StaffMember.objects.create(
                user=user, department=department, display_name=f"{family} {given}", title="主事"
            )


def _load_model_resident(password_hash: str, districts: list[District], today: date) -> None:
    if User.objects.filter(email="resident@example.jp").exists():
        return
    user = User.objects.create(email="resident@example.jp", password=password_hash, is_demo=True)
    _verify([user])
    district = districts[0] if districts else None
    profile = ResidentProfile.objects.create(
        user=user,
        family_name="亘理",
        given_name="花子",
        family_name_kana="わたり",
        given_name_kana="はなこ",
        birth_date=date(today.year - 42, 4, 12),
        sex=Sex.FEMALE,
        phone="090-1234-5678",
        postal_code="989-2351",
        address=f"宮城県亘理郡亘理町字{district.name if district else '悠里'}1-2-3",
        district=district,
        preferred_language=Language.JAPANESE,
        text_size=TextSize.STANDARD,
        notification_channels=[NotificationChannel.IN_APP, NotificationChannel.EMAIL],
        topics=[Topic.DISASTER, Topic.CHILDCARE, Topic.EVENTS],
    )
    HouseholdMember.objects.bulk_create(
        [
            HouseholdMember(
                profile=profile,
                name="亘理 太郎",
                name_kana="わたり たろう",
                relationship=Relationship.SPOUSE,
                birth_date=date(today.year - 44, 9, 3),
                sex=Sex.MALE,
            ),
            HouseholdMember(
                profile=profile,
                name="亘理 陽翔",
                name_kana="わたり はると",
                relationship=Relationship.CHILD,
                birth_date=date(today.year - 10, 6, 21),
                sex=Sex.MALE,
            ),
            HouseholdMember(
                profile=profile,
                name="亘理 結衣",
                name_kana="わたり ゆい",
                relationship=Relationship.CHILD,
                birth_date=date(today.year - 6, 1, 15),
                sex=Sex.FEMALE,
            ),
            HouseholdMember(
                profile=profile,
                name="亘理 トメ",
                name_kana="わたり とめ",
                relationship=Relationship.PARENT,
                birth_date=date(today.year - 84, 11, 30),
                sex=Sex.FEMALE,
            ),
        ]
    )


Member = tuple[str, str, str, date, tuple[str, str]]  # name, kana, relationship, born, given


def _household(
    rng: random.Random, family: tuple[str, str], given: str, age: int, today: date
) -> list[Member]:
    """Up to five other members (household of 1-6), shaped by the resident's age."""
    size = rng.choices([1, 2, 3, 4, 5, 6], weights=[30, 30, 17, 13, 7, 3])[0]
    members: list[Member] = []
    names_taken = {given}

    def person(relationship: str, member_age: int) -> None:
        # Nobody in one household shares a given name.
        free = [n for n in GIVEN_NAMES_F + GIVEN_NAMES_M if n[0] not in names_taken]
        given, given_kana = rng.choice(free)
        names_taken.add(given)
        members.append(
            (
                f"{family[0]} {given}",
                f"{family[1]} {given_kana}",
                relationship,
                _birth_date(today, max(0, member_age), rng),
                (given, given_kana),
            )
        )

    if size >= 2:
        person(Relationship.SPOUSE, max(18, age + rng.randint(-5, 5)))
    for _ in range(size - 2):
        if age < 60 and rng.random() < 0.8:
            person(Relationship.CHILD, rng.randint(0, max(0, min(age - 20, 30))))
        elif age >= 60 and rng.random() < 0.5:
            person(Relationship.GRANDCHILD, rng.randint(0, 20))
        else:
            person(Relationship.PARENT, min(age + rng.randint(22, 35), 99))
    return members


def _load_residents(password_hash: str, districts: list[District], today: date) -> None:
    emails = [f"resident{n:03d}@example.jp" for n in range(1, RESIDENT_COUNT + 1)]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    rng = random.Random(2023)  # noqa: S311 - demo names, not secrets
    plans = []
    member_numbers = itertools.count()
    for index, email in enumerate(emails):
        family = rng.choice(FAMILY_NAMES)
        given = rng.choice(GIVEN_NAMES_F if index % 2 else GIVEN_NAMES_M)
        # Account holders are adults, 18 to 95, evenly spread (7919 is prime, so the steps visit
        # every age); children are in their households.
        age = 18 + (index * 7919) % 78
        household = [
            (name, kana, relationship, born, _sex(member_given, next(member_numbers)))
            for name, kana, relationship, born, member_given in _household(
                rng, family, given[0], age, today
            )
        ]
        sex = _sex(given, index)
        plans.append((email, family, given, sex, age, household, rng.randint(1, 40)))
    new = [p for p in plans if p[0] not in existing]
    if not new:
        return
    users = User.objects.bulk_create(
        [User(email=p[0], password=password_hash, is_demo=True) for p in new]
    )
    _verify(users)
    languages = [Language.JAPANESE] * 16 + [
        Language.SIMPLE_JAPANESE,
        Language.ENGLISH,
        Language.VIETNAMESE,
        Language.CHINESE,
    ]
    topics = [t.value for t in Topic]
    profiles = []
    for number, (user, (_email, family, given, sex, age, _members, block)) in enumerate(
        zip(users, new, strict=True)
    ):
        district = districts[number % len(districts)] if districts else None
        place = district.name if district else "悠里"
        language = languages[number % len(languages)]
        profiles.append(
            ResidentProfile(
                user=user,
                family_name=family[0],
                given_name=given[0],
                family_name_kana=family[1],
                given_name_kana=given[1],
                birth_date=_birth_date(today, age, rng),
                sex=sex,
                phone=f"090-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
                postal_code=f"989-23{rng.randint(10, 99)}",
                address=f"宮城県亘理郡亘理町字{place}{block}-{rng.randint(1, 30)}",
                district=district,
                preferred_language=language,
                text_size=TextSize.LARGE if age >= 75 else TextSize.STANDARD,
                # Residents who asked for やさしい日本語 also read kanji with furigana.
                furigana=language == Language.SIMPLE_JAPANESE,
                notification_channels=[NotificationChannel.IN_APP, NotificationChannel.EMAIL],
                topics=rng.sample(topics, k=rng.randint(0, 4)),
            )
        )
    profiles = ResidentProfile.objects.bulk_create(profiles)
    HouseholdMember.objects.bulk_create(
        HouseholdMember(
            profile=profile,
            name=name,
            name_kana=kana,
            relationship=rel,
            birth_date=born,
            sex=sex,
        )
        for profile, plan in zip(profiles, new, strict=True)
        for name, kana, rel, born, sex in plan[5]
    )


@transaction.atomic
def load_demo() -> None:
    """Load the demo departments, roles, staff and residents (accounts' part of the demo town)."""
    password_hash = make_password(DEMO_PASSWORD)  # hashed once: hashing is the slow part
    today = timezone.localdate()
    districts = list(District.objects.order_by("order", "code"))
    departments = _load_departments()
    groups = _load_roles()
    _load_staff(password_hash, departments, groups)
    _load_model_resident(password_hash, districts, today)
    _load_residents(password_hash, districts, today)
