"""Reads for the staff triage pages (通報の対応): the queue with its filters and counts, the staff
map, a report's whole history, photos waiting for review, blocked senders.

Every filter is on an indexed column or a foreign key id (Report's Meta indexes: department +
status + created_at, status + created_at, category + status), and the number of queries does not
grow with the number of rows shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case, Count, IntegerField, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone

from yakuba.modules.reports import queries
from yakuba.modules.reports.models import (
    OPEN_STATUSES,
    BlockedSender,
    Category,
    Report,
    ReportPhoto,
    ReportUpdate,
    Status,
)
from yakuba.platform.accounts.models import Department, StaffMember, User
from yakuba.platform.places.models import District

PAGE_SIZE = 50
OPEN = "open"
ASSIGNEE_ME = "me"
ASSIGNEE_NONE = "none"
HIDDEN_ONLY = "hidden"
VISIBLE_ONLY = "visible"


@dataclass(frozen=True)
class QueueFilters:
    """What the queue shows. `department=None` is every department; `status` is "", "open" or a
    status; `assignee` is "", "me" or "none"; `hidden` is "", "hidden" or "visible"."""

    department: Department | None = None
    category: Category | None = None
    district: District | None = None
    status: str = OPEN
    older_than_days: int | None = None
    assignee: str = ""
    hidden: str = ""
    viewer_id: int | None = field(default=None, compare=False)


def department_of(user: Any) -> Department | None:
    """The staff member's department (所属課), or None for staff without one."""
    member = StaffMember.objects.filter(user_id=user.pk).select_related("department").first()
    return member.department if member is not None else None


def _filtered(filters: QueueFilters, *, now: datetime | None = None) -> QuerySet[Report]:
    """Every filter but the status one: the counts per status are taken over this."""
    reports = Report.objects.all()
    if filters.department is not None:
        reports = reports.filter(department_id=filters.department.pk)
    if filters.category is not None:
        reports = reports.filter(category_id=filters.category.pk)
    if filters.district is not None:
        reports = reports.filter(district_id=filters.district.pk)
    if filters.older_than_days is not None:
        now = now or timezone.now()
        reports = reports.filter(created_at__lte=now - timedelta(days=filters.older_than_days))
    if filters.assignee == ASSIGNEE_ME:
        reports = reports.filter(assignee_id=filters.viewer_id)
    elif filters.assignee == ASSIGNEE_NONE:
        reports = reports.filter(assignee__isnull=True)
    if filters.hidden == HIDDEN_ONLY:
        reports = reports.filter(is_hidden=True)
    elif filters.hidden == VISIBLE_ONLY:
        reports = reports.filter(is_hidden=False)
    return reports


def _with_status(reports: QuerySet[Report], status: str) -> QuerySet[Report]:
    if status == OPEN:
        return reports.filter(status__in=OPEN_STATUSES)
    if status:
        return reports.filter(status=status)
    return reports


def queue(filters: QueueFilters, *, now: datetime | None = None) -> QuerySet[Report]:
    """The triage queue (対応の一覧): oldest open first, then the closed ones, oldest first.

    With a status filter every row has the same openness, so the order is simply by date — what
    the (department, status, created_at) index serves."""
    reports = _with_status(_filtered(filters, now=now), filters.status).select_related(
        "category", "district", "department", "assignee__staff_member"
    )
    if filters.status:
        return reports.order_by("created_at", "pk")
    return reports.annotate(
        closed_first=Case(
            When(status__in=OPEN_STATUSES, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("closed_first", "created_at", "pk")


@dataclass(frozen=True)
class StatusCount:
    code: str
    label: str
    count: int


def status_counts(filters: QueueFilters, *, now: datetime | None = None) -> list[StatusCount]:
    """How many reports of each status match the other filters (one query)."""
    rows = dict(
        _filtered(filters, now=now)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return [StatusCount(code, str(label), rows.get(code, 0)) for code, label in Status.choices]


def staff_map_features(
    filters: QueueFilters,
    *,
    bbox: tuple[float, float, float, float] | None,
    zoom: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The queue's reports with a pin as GeoJSON for the staff map: hidden and merged ones too
    (staff only), each linking to its staff page; grouped when zoomed out (queries.clusters).
    No personal data, as on the public map."""
    reports = _with_status(_filtered(filters, now=now), filters.status)
    collection = queries.map_features(reports, bbox=bbox, zoom=zoom)
    for feature in collection["features"]:
        if "id" in feature:
            feature["properties"]["url"] = reverse("reports:triage_detail", args=[feature["id"]])
    return collection


def report_for_staff(pk: int) -> Report:
    return Report.objects.select_related(
        "category",
        "district",
        "department",
        "assignee__staff_member",
        "reporter",
        "merged_into",
        "client",
    ).get(pk=pk)


def history(report: Report) -> list[ReportUpdate]:
    """Every step, internal notes included, oldest first."""
    return list(report.updates.select_related("author__staff_member", "photo"))


def photos(report: Report) -> list[ReportPhoto]:
    return list(report.photos.all())


def duplicates(report: Report) -> list[Report]:
    return list(report.duplicates.select_related("category").order_by("pk"))


def assignable_staff(report: Report) -> QuerySet[User]:
    """Who may be made responsible: active staff of the report's department."""
    return (
        User.objects.filter(
            is_active=True, is_staff=True, staff_member__department_id=report.department_id
        )
        .select_related("staff_member")
        .order_by("staff_member__display_name", "pk")
    )


def photos_to_review() -> QuerySet[ReportPhoto]:
    """Residents' photos not yet public, newest first (写真の確認待ち)."""
    return (
        ReportPhoto.objects.filter(reviewed_at__isnull=True, kind=ReportPhoto.Kind.REPORTED)
        .select_related("report__category")
        .order_by("-created_at", "-pk")
    )


def blocked_senders() -> QuerySet[BlockedSender]:
    return BlockedSender.objects.select_related("user", "blocked_by__staff_member").order_by(
        "-created_at", "-pk"
    )
