"""Django Ninja schemas of the places API (OpenAPI 3 components)."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Schema


class PlaceDistrictOut(Schema):
    """A district (行政区) without its boundary."""

    code: str
    name: str
    name_kana: str
    name_en: str
    order: int


class PlaceOut(Schema):
    """A public place (場所) as listed."""

    code: str
    kind: str
    kind_label: str
    name: str
    name_kana: str
    name_en: str
    postal_code: str
    address: str
    latitude: float
    longitude: float
    district: PlaceDistrictOut | None
    wheelchair_accessible: bool
    accessible_toilet: bool


class PlaceDetailOut(PlaceOut):
    """A public place with everything residents may see about it."""

    opening_hours: str
    accessibility_notes: str
    capacity: int | None
    phone: str
    url: str
    notes: str
    updated_at: str


class PlacePage(Schema):
    """One page of places; `count` is the number of matches over all pages."""

    count: int
    page: int
    per_page: int
    pages: int
    items: list[PlaceOut]


class PlacePointGeometry(Schema):
    type: Literal["Point"]
    coordinates: list[float]


class PlaceFeature(Schema):
    type: Literal["Feature"]
    id: str
    geometry: PlacePointGeometry
    properties: dict[str, Any]


class PlaceFeatureCollection(Schema):
    """GeoJSON (RFC 7946) FeatureCollection of places; coordinates are [longitude, latitude]."""

    type: Literal["FeatureCollection"]
    features: list[PlaceFeature]


class PlaceErrorOut(Schema):
    """An error the caller can show as is (in the request's language)."""

    detail: str
