"""Reports' use cases (通報): submit, find duplicates nearby, move through statuses, comment,
reopen. Every change that a reporter should hear of goes through `notify`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from yakuba.modules.reports import photos as photo_processing
from yakuba.modules.reports.models import (
    MAX_DESCRIPTION_LENGTH,
    OPEN_STATUSES,
    AttributeType,
    BlockedSender,
    Category,
    Open311Client,
    Report,
    ReportPhoto,
    ReportUpdate,
    Status,
)
from yakuba.platform import notify
from yakuba.platform.accounts.models import User
from yakuba.platform.places.services import find_district

MAX_PHOTOS = 5
EARTH_RADIUS_M = 6_371_000
# Duplicate suggestions: open reports of the same category this close and this recent.
DUPLICATE_RADIUS_M = 100
DUPLICATE_DAYS = 30


@dataclass(frozen=True)
class Nearby:
    report: Report
    distance_m: float


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine): exact enough at a town's scale."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def nearby_open_reports(
    category: Category,
    latitude: float,
    longitude: float,
    *,
    radius_m: float = DUPLICATE_RADIUS_M,
    days: int = DUPLICATE_DAYS,
    now: datetime | None = None,
) -> list[Nearby]:
    """Open public reports of the same category within `radius_m` of the point and reported in the
    last `days` days, nearest first ("is it one of these?"). A bounding box in SQL (indexed), then
    the exact distance for the few rows inside it."""
    now = now or timezone.now()
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(latitude)), 1e-6)
    candidates = Report.objects.filter(
        category=category,
        status__in=OPEN_STATUSES,
        is_hidden=False,
        merged_into__isnull=True,
        created_at__gte=now - timedelta(days=days),
        latitude__range=(latitude - dlat, latitude + dlat),
        longitude__range=(longitude - dlon, longitude + dlon),
    ).select_related("category")
    found = [
        Nearby(r, distance_m(latitude, longitude, r.latitude, r.longitude))
        for r in candidates
        if r.latitude is not None and r.longitude is not None
    ]
    return sorted((n for n in found if n.distance_m <= radius_m), key=lambda n: n.distance_m)


def check_attributes(
    category: Category, answers: dict[str, Any], *, from_client: bool = False
) -> dict[str, Any]:
    """Check answers to the category's questions (Open311 attributes) and return them cleaned.
    Values a server sets (`automated=server_set`) are never taken from outside."""
    errors: list[str] = []
    cleaned: dict[str, Any] = {}
    known = {a.code: a for a in category.attributes.all()}
    for code in answers:
        if code not in known:
            errors.append(_("「%(code)s」はこの種類の質問ではありません。") % {"code": code})
    for code, attribute in known.items():
        if attribute.automated == "server_set":
            continue
        value = answers.get(code)
        values = value if isinstance(value, list) else ([] if value in (None, "") else [value])
        values = [str(v).strip() for v in values if str(v).strip()]
        if not values:
            if attribute.required and not (from_client and attribute.automated == "hidden_field"):
                errors.append(
                    _("「%(question)s」に答えてください。") % {"question": attribute.description}
                )
            continue
        if attribute.datatype != AttributeType.MULTI and len(values) > 1:
            errors.append(
                _("「%(question)s」の答えは一つにしてください。")
                % {"question": attribute.description}
            )
            continue
        if attribute.is_list:
            unknown = [v for v in values if v not in attribute.value_keys()]
            if unknown:
                errors.append(
                    _("「%(question)s」の答えは選択肢から選んでください。")
                    % {"question": attribute.description}
                )
                continue
            cleaned[code] = values if attribute.datatype == AttributeType.MULTI else values[0]
        elif attribute.datatype == AttributeType.NUMBER:
            try:
                cleaned[code] = float(values[0]) if "." in values[0] else int(values[0])
            except ValueError:
                errors.append(
                    _("「%(question)s」には数を入力してください。")
                    % {"question": attribute.description}
                )
        elif attribute.datatype == AttributeType.DATETIME:
            if parse_datetime(values[0]) is None:
                errors.append(
                    _("「%(question)s」の日時の形が正しくありません。")
                    % {"question": attribute.description}
                )
            else:
                cleaned[code] = values[0]
        else:
            limit = 200 if attribute.datatype == AttributeType.STRING else 2000
            if len(values[0]) > limit:
                errors.append(
                    _("「%(question)s」は%(limit)d文字以内にしてください。")
                    % {"question": attribute.description, "limit": limit}
                )
            else:
                cleaned[code] = values[0]
    if errors:
        raise ValidationError(errors)
    return cleaned


def is_blocked(*, reporter: User | None, email: str) -> bool:
    condition = Q(email__iexact=email) if email else Q(pk__in=[])
    if reporter is not None:
        condition |= Q(user=reporter)
        if reporter.email:
            condition |= Q(email__iexact=reporter.email)
    return BlockedSender.objects.filter(condition).exists()


def submit_report(
    *,
    category: Category,
    description: str,
    latitude: float | None,
    longitude: float | None,
    address_string: str = "",
    attributes: dict[str, Any] | None = None,
    photos: Sequence[UploadedFile] = (),
    reporter: User | None = None,
    reporter_email: str = "",
    reporter_name: str = "",
    reporter_phone: str = "",
    client: Open311Client | None = None,
) -> Report:
    """File a report (通報を受け付ける). Everything is checked first — category open, description,
    location inside the town, answers, photos — and a bad input saves nothing. The report is routed
    to the category's department; the reporter is told it was received."""
    errors: list[str] = []
    today = timezone.localdate()
    if not category.is_open_on(today):
        errors.append(_("この種類の通報は受け付けを終了しました。"))
    description = description.strip()
    if not description:
        errors.append(_("どんな様子か、短く書いてください。"))
    elif len(description) > MAX_DESCRIPTION_LENGTH:
        errors.append(
            _("内容は%(limit)d文字以内にしてください。") % {"limit": MAX_DESCRIPTION_LENGTH}
        )
    district = None
    if latitude is None or longitude is None:
        if latitude is not None or longitude is not None:
            errors.append(_("場所は緯度と経度の両方で指定してください。"))
        elif not address_string.strip():
            errors.append(_("場所を地図で選ぶか、住所や目印を書いてください。"))
    elif not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        errors.append(_("場所（緯度・経度）が正しくありません。"))
    else:
        district = find_district(latitude, longitude)
        if district is None:
            errors.append(_("その場所は町の外です。地図で町内の場所を選んでください。"))
    if len(photos) > MAX_PHOTOS:
        errors.append(_("写真は%(limit)d枚までです。") % {"limit": MAX_PHOTOS})
    email = (reporter_email or (reporter.email if reporter else "")).strip()
    if is_blocked(reporter=reporter, email=email):
        errors.append(_("この送信者からの通報は受け付けていません。役場にお問い合わせください。"))
    try:
        cleaned = check_attributes(category, attributes or {}, from_client=client is not None)
    except ValidationError as error:
        errors.extend(error.messages)
        cleaned = {}
    processed = []
    for upload in photos[:MAX_PHOTOS]:
        try:
            processed.append(photo_processing.process_photo(upload))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        report = Report.objects.create(
            category=category,
            description=description,
            latitude=latitude,
            longitude=longitude,
            address_string=address_string.strip()[:300],
            district=district,
            attributes=cleaned,
            department=category.department,
            reporter=reporter,
            reporter_email=email if reporter is None else "",
            reporter_name=reporter_name.strip()[:100],
            reporter_phone=reporter_phone.strip()[:20],
            client=client,
            source=client.name if client is not None else "web",
        )
        for photo in processed:
            save_photo(report, photo)
        if reporter is not None:
            notify.send(
                "reports.received",
                to=reporter,
                context={"report": report, "category": category.name},
                link_url=report_url(report),
            )
    return report


def save_photo(
    report: Report, photo: photo_processing.ProcessedPhoto, *, kind: str = ReportPhoto.Kind.REPORTED
) -> ReportPhoto:
    item = ReportPhoto(
        report=report,
        width=photo.width,
        height=photo.height,
        kind=kind,
        # The town's own "after" photos are public at once; residents' wait for a look.
        is_public=kind == ReportPhoto.Kind.AFTER,
    )
    item.image.save("photo.jpg", ContentFile(photo.content), save=False)
    item.thumbnail.save("thumb.jpg", ContentFile(photo.thumbnail), save=False)
    item.save()
    return item


def report_url(report: Report) -> str:
    from django.conf import settings
    from django.urls import reverse

    return settings.NOTIFY_PUBLIC_BASE_URL.rstrip("/") + reverse("reports:detail", args=[report.pk])


@transaction.atomic
def change_status(
    report: Report,
    *,
    by: User,
    status: str,
    note: str = "",
    photo: UploadedFile | None = None,
) -> ReportUpdate:
    """Staff move a report to a status (受付, 対応中, 対応済, 対応不可, 他機関へ) with a public note
    and optionally an "after" photo; the reporter is told. 重複 comes only with a merge."""
    if status not in Status.values:
        raise ValidationError(_("状態が正しくありません。"))
    report = Report.objects.select_for_update().get(pk=report.pk)
    if status == Status.DUPLICATE and report.merged_into_id is None:
        raise ValidationError(_("「重複」にするには、同じ内容の通報に統合してください。"))
    if status == report.status and not note.strip():
        raise ValidationError(_("状態が変わらないときは、お知らせする内容を書いてください。"))
    saved_photo = None
    if photo is not None:
        saved_photo = save_photo(
            report, photo_processing.process_photo(photo), kind=ReportPhoto.Kind.AFTER
        )
    changed = status != report.status
    report.status = status
    report.closed_at = None if status in OPEN_STATUSES else (report.closed_at or timezone.now())
    report.save(update_fields=["status", "closed_at", "updated_at"])
    update = ReportUpdate.objects.create(
        report=report,
        author=by,
        by_staff=True,
        status=status if changed else "",
        note=note.strip(),
        photo=saved_photo,
    )
    tell_reporter(report, update)
    return update


@transaction.atomic
def add_comment(
    report: Report,
    *,
    by: User | None,
    note: str,
    photo: UploadedFile | None = None,
    via: AppReference | None = None,
) -> ReportUpdate:
    """A comment (and a photo) from the reporter or anyone signed in, shown on the report; `via`
    names the Open311 app and its own id for the update when it came from one."""
    note = note.strip()
    if not note and photo is None:
        raise ValidationError(_("コメントか写真を送ってください。"))
    if len(note) > MAX_DESCRIPTION_LENGTH:
        raise ValidationError(
            _("コメントは%(limit)d文字以内にしてください。") % {"limit": MAX_DESCRIPTION_LENGTH}
        )
    if is_blocked(reporter=by, email=""):
        raise ValidationError(
            _("この送信者からの通報は受け付けていません。役場にお問い合わせください。")
        )
    saved_photo = save_photo(report, photo_processing.process_photo(photo)) if photo else None
    Report.objects.filter(pk=report.pk).update(updated_at=timezone.now())
    return ReportUpdate.objects.create(
        report=report, author=by, by_staff=False, note=note, photo=saved_photo, **_app_fields(via)
    )


@transaction.atomic
def reopen(
    report: Report, *, by: User | None, note: str, via: AppReference | None = None
) -> ReportUpdate:
    """Anyone may reopen a report marked fixed when it is not (まだ直っていません): back to 対応中,
    with their note, and the department sees it again."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.status != Status.FIXED:
        raise ValidationError(_("対応済の通報だけを「まだ直っていない」として戻せます。"))
    note = note.strip()
    if not note:
        raise ValidationError(_("まだ直っていない様子を書いてください。"))
    report.status = Status.IN_PROGRESS
    report.closed_at = None
    report.save(update_fields=["status", "closed_at", "updated_at"])
    update = ReportUpdate.objects.create(
        report=report,
        author=by,
        by_staff=False,
        status=Status.IN_PROGRESS,
        note=note,
        **_app_fields(via),
    )
    tell_reporter(report, update)
    return update


@dataclass(frozen=True)
class AppReference:
    """An Open311 app and the id it gave an update (update_id), so a resend is recognised."""

    client: Open311Client
    reference: str


def _app_fields(via: AppReference | None) -> dict[str, Any]:
    return {"client": via.client, "client_reference": via.reference} if via else {}


def tell_reporter(report: Report, update: ReportUpdate) -> None:
    """The reporter hears of every public change: through notify when signed in (their channels),
    by one mail when they gave only an address."""
    if update.is_internal or (
        update.author_id is not None and update.author_id == report.reporter_id
    ):
        return
    status = report.get_status_display()
    if report.reporter_id is not None:
        notify.send(
            "reports.updated",
            to=report.reporter,
            context={"report": report, "status": str(status), "note": update.note or "-"},
            link_url=report_url(report),
        )
    elif report.reporter_email:
        from yakuba.modules.reports.mail import mail_update_to_anonymous

        mail_update_to_anonymous(report, update)


def public_reports() -> QuerySet[Report]:
    """Reports anyone may see (the public map and list, Open311): not hidden, not merged."""
    return Report.objects.filter(is_hidden=False, merged_into__isnull=True)
