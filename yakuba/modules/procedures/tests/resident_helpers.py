"""Helpers for the residents' side tests: a small procedure with a form that has a bit of
everything (a pre-filled name, a number that sets the fee, a file, a condition), residents with
profiles and households, and files by their first bytes."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from yakuba.modules.procedures.models import (
    ApplicantKind,
    Event,
    FormVersion,
    Procedure,
    Status,
    Submission,
)
from yakuba.platform.accounts.models import HouseholdMember, Relationship, User
from yakuba.platform.accounts.tests.factories import (
    DepartmentFactory,
    HouseholdMemberFactory,
    ResidentProfileFactory,
)

DEFINITION: dict[str, Any] = {
    "format": "yakuba.procedures.form/1",
    "sections": [
        {
            "key": "applicant",
            "title": {"ja": "申請者", "en": "Applicant"},
            "fields": [
                {
                    "key": "name",
                    "type": "text",
                    "label": {"ja": "氏名", "en": "Name"},
                    "required": True,
                    "max_length": 50,
                    "prefill": "subject.full_name",
                },
                {
                    "key": "phone",
                    "type": "phone",
                    "label": {"ja": "電話番号", "en": "Phone"},
                    "prefill": "profile.phone",
                },
            ],
        },
        {
            "key": "request",
            "title": {"ja": "請求の内容", "en": "Request"},
            "fields": [
                {
                    "key": "copies",
                    "type": "number",
                    "label": {"ja": "通数", "en": "Copies"},
                    "required": True,
                    "min": 1,
                    "max": 10,
                },
                {
                    "key": "delivery",
                    "type": "choice",
                    "label": {"ja": "受け取り方法", "en": "Delivery"},
                    "required": True,
                    "options": [
                        {"value": "pickup", "label": {"ja": "窓口で受け取る", "en": "Pick up"}},
                        {"value": "mail", "label": {"ja": "郵送", "en": "By post"}},
                    ],
                },
                {
                    "key": "proof",
                    "type": "file",
                    "label": {"ja": "本人確認書類", "en": "Proof of identity"},
                    "accept": ["pdf", "jpeg", "png"],
                    "max_mb": 1,
                },
            ],
        },
    ],
    "fee": {"rule": "per_item", "field": "copies", "unit_yen": 300},
}

VALID_ANSWERS: dict[str, Any] = {
    "applicant": {"name": "亘理 花子", "phone": "0223-34-1111"},
    "request": {"copies": 2, "delivery": "pickup"},
}


def make_procedure(
    *,
    code: str = "juminhyo",
    title: str = "住民票の写しの交付請求",
    kinds: tuple[str, ...] = (ApplicantKind.SELF, ApplicantKind.HOUSEHOLD, ApplicantKind.AGENT),
    definition: dict[str, Any] | None = None,
    **extra: Any,
) -> Procedure:
    department = DepartmentFactory.create(code="chomin", name="町民生活課")
    procedure = Procedure.objects.create(
        code=code,
        title=title,
        title_en=extra.pop("title_en", "Copy of the residence certificate"),
        summary=extra.pop("summary", f"{title}をオンラインで。"),
        department=department,
        category=extra.pop("category", "certificates"),
        life_events=extra.pop("life_events", ["moving"]),
        applicant_kinds=list(kinds),
        statuses=["received", "reviewing", "correction", "completed"],
        is_published=extra.pop("is_published", True),
        **extra,
    )
    FormVersion.objects.create(
        procedure=procedure,
        number=1,
        definition=definition or DEFINITION,
        published_at=timezone.now(),
    )
    return procedure


def make_resident(email: str = "hanako@example.jp", *, with_child: bool = False) -> User:
    profile = ResidentProfileFactory.create(
        user__email=email, family_name="亘理", given_name="花子", phone="0223-34-1111"
    )
    if with_child:
        HouseholdMemberFactory.create(
            profile=profile,
            name="亘理 さくら",
            name_kana="わたり さくら",
            relationship=Relationship.CHILD,
            birth_date=date(2020, 5, 1),
        )
    user: User = profile.user
    return user


def household_member(user: User) -> HouseholdMember:
    member: HouseholdMember = HouseholdMember.objects.get(profile__user=user)
    return member


def png_file(name: str = "card.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 200, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf_file(name: str = "card.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n")


def ask_for_correction(submission: Submission, fields: list[str], text: str = "") -> Event:
    """What the back office will do (補正依頼): move to 補正依頼 naming the fields."""
    submission.status = Status.CORRECTION
    submission.save(update_fields=["status"])
    event: Event = Event.objects.create(
        submission=submission,
        kind=Event.Kind.STATUS,
        status=Status.CORRECTION,
        text=text or "通数を確認してください。",
        requested_fields=fields,
    )
    return event
