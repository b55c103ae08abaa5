"""Reads for the residents' report pages: categories open today, the public list and map, one's
own reports, and a report's public side (history without internal notes, reviewed photos)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Avg, Count, F, Max, Min, Q, QuerySet
from django.db.models.functions import Floor
from django.urls import reverse

from yakuba.modules.reports.models import (
    OPEN_STATUSES,
    Category,
    Report,
    ReportPhoto,
    ReportUpdate,
    Status,
)
from yakuba.modules.reports.services import public_reports
from yakuba.platform.accounts.models import User

PAGE_SIZE = 20
# The map asks for what is in view; a town has far fewer reports in view than this, and the cap
# keeps one request cheap however far the map is zoomed out.
MAX_MAP_FEATURES = 1000
# Zoomed out further than this, the map shows groups (clusters) counted in the database: a pin per
# report would hide the town under ten thousand dots and the cap would leave some out.
CLUSTER_BELOW_ZOOM = 16
# A group covers a square of about this many screen pixels.
CLUSTER_CELL_PIXELS = 64


@dataclass(frozen=True)
class CategoryChoice:
    """Categories a resident may choose today: campaigns (テーマレポート) first."""

    campaigns: list[Category]
    categories: list[Category]


def categories_open_on(day: date) -> CategoryChoice:
    campaigns: list[Category] = []
    categories: list[Category] = []
    for category in Category.objects.filter(is_active=True):
        if not category.is_open_on(day):
            continue
        (campaigns if category.is_campaign else categories).append(category)
    return CategoryChoice(campaigns=campaigns, categories=categories)


def filter_reports(
    reports: QuerySet[Report], *, category: str = "", status: str = "", district: str = ""
) -> QuerySet[Report]:
    """The list's filters; `status="open"` means 受付 or 対応中."""
    if category:
        reports = reports.filter(category__code=category)
    if status == "open":
        reports = reports.filter(status__in=OPEN_STATUSES)
    elif status:
        reports = reports.filter(status=status)
    if district:
        reports = reports.filter(district__code=district)
    return reports


def public_list(**filters: str) -> QuerySet[Report]:
    """Public reports, newest first, with what a list row shows."""
    return filter_reports(
        public_reports().select_related("category", "district"), **filters
    ).order_by("-created_at", "-pk")


def reports_of(user: User) -> QuerySet[Report]:
    """The resident's own reports (hidden ones are gone for them as for everyone)."""
    return (
        Report.objects.filter(reporter=user, is_hidden=False)
        .select_related("category", "district", "merged_into")
        .order_by("-created_at", "-pk")
    )


def public_updates(report: Report) -> list[ReportUpdate]:
    """The report's history as the public sees it: no internal notes."""
    return list(report.updates.filter(is_internal=False).select_related("photo"))


def visible_photos(report: Report, user: Any) -> list[ReportPhoto]:
    """Photos shown on the report page: reviewed ones, and the reporter's own while under review."""
    condition = Q(is_public=True)
    if user.is_authenticated and report.reporter_id == user.pk:
        condition |= Q(kind=ReportPhoto.Kind.REPORTED)
    return list(report.photos.filter(condition))


def may_see_photo(photo: ReportPhoto, user: Any) -> bool:
    """A photo's file is served to the public only when the photo and its report are public, and
    to the reporter for their own (staff who may see reports are let in by the view)."""
    if not photo.report.is_public:
        return False
    if photo.is_public:
        return True
    return bool(user.is_authenticated and photo.report.reporter_id == user.pk)


def map_features(
    reports: QuerySet[Report],
    *,
    bbox: tuple[float, float, float, float] | None,
    zoom: int | None = None,
) -> dict[str, Any]:
    """Reports with a pin as a GeoJSON FeatureCollection: one feature per report, newest first
    and capped, or — below CLUSTER_BELOW_ZOOM — one per group of nearby reports (see `clusters`).

    Nothing personal: number, category, status, date and the page's address only."""
    reports = reports.filter(latitude__isnull=False, longitude__isnull=False)
    if bbox is not None:
        west, south, east, north = bbox
        reports = reports.filter(latitude__range=(south, north), longitude__range=(west, east))
    if zoom is not None and zoom < CLUSTER_BELOW_ZOOM:
        return clusters(reports, zoom=zoom)
    return _report_features(reports)


def clusters(reports: QuerySet[Report], *, zoom: int) -> dict[str, Any]:
    """Reports grouped on a grid of squares about CLUSTER_CELL_PIXELS wide at `zoom`, counted in
    one GROUP BY (every report counts, however many). A group at its reports' mean position with
    its count, open count and bounds (the map zooms to them); a square holding one report gives
    that report's own feature."""
    features: list[dict[str, Any]] = []
    singles = []
    for group in cluster_groups(reports, zoom=zoom):
        if group["count"] == 1:
            singles.append(group["only"])
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [
                        round(group["longitude_mean"], 6),
                        round(group["latitude_mean"], 6),
                    ],
                },
                "properties": {
                    "cluster": True,
                    "count": group["count"],
                    "open_count": group["open_count"],
                    "bbox": [group["west"], group["south"], group["east"], group["north"]],
                },
            }
        )
    if singles:
        features += _report_features(reports.filter(pk__in=singles))["features"]
    return {"type": "FeatureCollection", "features": features, "truncated": False}


def cluster_groups(reports: QuerySet[Report], *, zoom: int) -> QuerySet[Report, dict[str, Any]]:
    """The GROUP BY behind `clusters` (bench/reports_map.py prints its plan)."""
    cell = 360 / (256 * 2**zoom) * CLUSTER_CELL_PIXELS  # degrees of longitude per square
    return (
        reports.order_by()
        .annotate(row=Floor(F("latitude") / cell), column=Floor(F("longitude") / cell))
        .values("row", "column")
        .annotate(
            count=Count("pk"),
            open_count=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            latitude_mean=Avg("latitude"),
            longitude_mean=Avg("longitude"),
            south=Min("latitude"),
            north=Max("latitude"),
            west=Min("longitude"),
            east=Max("longitude"),
            only=Min("pk"),
        )
    )


def _report_features(reports: QuerySet[Report]) -> dict[str, Any]:
    query = reports.order_by("-created_at", "-pk").values_list(
        "pk",
        "latitude",
        "longitude",
        "status",
        "created_at",
        "category__code",
        "category__name",
        "category__name_en",
        "category__icon",
    )
    rows = list(query[: MAX_MAP_FEATURES + 1])
    # Once per request, not per feature (a thousand reverse() calls cost ~11 ms).
    detail_prefix = reverse("reports:detail", args=[0]).removesuffix("0/")
    status_names = {value: str(label) for value, label in Status.choices}
    features = [
        {
            "type": "Feature",
            "id": pk,
            "geometry": {"type": "Point", "coordinates": [round(lon or 0, 6), round(lat or 0, 6)]},
            "properties": {
                "id": pk,
                "category": code,
                "category_name": name,
                "category_name_en": name_en,
                "icon": icon,
                "status": status,
                "status_name": status_names[status],
                "is_open": status in OPEN_STATUSES,
                "created_at": created.isoformat(),
                "url": f"{detail_prefix}{pk}/",
            },
        }
        for pk, lat, lon, status, created, code, name, name_en, icon in rows[:MAX_MAP_FEATURES]
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "truncated": len(rows) > MAX_MAP_FEATURES,
    }
