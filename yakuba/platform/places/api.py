"""The public, read-only places API: /api/places/… (Django Ninja; schemas in schemas.py)."""

from __future__ import annotations

import math
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from yakuba.platform.places import queries
from yakuba.platform.places.models import District, Place, PlaceKind
from yakuba.platform.places.schemas import (
    PlaceDetailOut,
    PlaceDistrictOut,
    PlaceErrorOut,
    PlaceFeatureCollection,
    PlacePage,
)
from yakuba.platform.places.services import find_district

router = Router(tags=["places"])

MAX_PER_PAGE = 100


def _district(district: District | None) -> dict[str, Any] | None:
    if district is None:
        return None
    return {
        "code": district.code,
        "name": district.name,
        "name_kana": district.name_kana,
        "name_en": district.name_en,
        "order": district.order,
    }


def _place(place: Place) -> dict[str, Any]:
    return {
        "code": place.code,
        "kind": place.kind,
        "kind_label": str(place.get_kind_display()),
        "name": place.name,
        "name_kana": place.name_kana,
        "name_en": place.name_en,
        "postal_code": place.postal_code,
        "address": place.address,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "district": _district(place.district),
        "wheelchair_accessible": place.wheelchair_accessible,
        "accessible_toilet": place.accessible_toilet,
    }


@router.get("/", response=PlacePage, summary="List public places")
def list_places(
    request: HttpRequest,
    kind: PlaceKind | None = None,
    district: str = "",
    q: str = "",
    page: int = Query(1, ge=1),
    per_page: int = Query(20, ge=1, le=MAX_PER_PAGE),
) -> dict[str, Any]:
    """Public places, filtered by kind, district code and free text (name, reading, address)."""
    places = queries.filter_places(
        queries.public_places(), kind=kind.value if kind else "", district=district, q=q
    )
    count = places.count()
    start = (page - 1) * per_page
    return {
        "count": count,
        "page": page,
        "per_page": per_page,
        "pages": max(1, math.ceil(count / per_page)),
        "items": [_place(p) for p in places[start : start + per_page]],
    }


@router.get("/geojson", response=PlaceFeatureCollection, summary="Public places as GeoJSON")
def places_geojson(request: HttpRequest, kind: PlaceKind | None = None) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of public places, optionally of one kind."""
    places = queries.filter_places(queries.public_places(), kind=kind.value if kind else "")
    return queries.places_feature_collection(places)


@router.get("/districts", response=list[PlaceDistrictOut], summary="List districts")
def list_districts(request: HttpRequest) -> list[dict[str, Any]]:
    """The town's districts (行政区) in display order, without boundaries."""
    return [_district(d) or {} for d in queries.district_names()]


@router.get(
    "/districts/lookup",
    response={200: PlaceDistrictOut, 404: PlaceErrorOut},
    summary="Find the district of a point",
)
def lookup_district(
    request: HttpRequest,
    lat: float = Query(..., ge=-90, le=90, description="latitude (WGS84)"),
    lon: float = Query(..., ge=-180, le=180, description="longitude (WGS84)"),
) -> Status[dict[str, Any]]:
    """The district a point lies in; 404 when it is outside every district of the town."""
    district = find_district(lat, lon)
    if district is None:
        return Status(404, {"detail": _("その地点はどの行政区にも含まれていません。")})
    return Status(200, _district(district) or {})


@router.get(
    "/{code}", response={200: PlaceDetailOut, 404: PlaceErrorOut}, summary="One public place"
)
def get_place(request: HttpRequest, code: str) -> Status[dict[str, Any]]:
    """A public place by its ID; 404 for unknown or non-public places."""
    place = queries.public_places().filter(code=code).first()
    if place is None:
        return Status(404, {"detail": _("その場所は見つかりません。")})
    detail = {
        **_place(place),
        "opening_hours": place.opening_hours,
        "accessibility_notes": place.accessibility_notes,
        "capacity": place.capacity,
        "phone": place.phone,
        "url": place.url,
        "notes": place.notes,
        "updated_at": place.updated_at.isoformat(),
    }
    return Status(200, detail)
