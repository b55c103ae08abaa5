"""Reads shared by the pages, the API, the map layers and the open datasets."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import jaconv
from django.db.models import Q, QuerySet

from yakuba.platform.places.models import District, Place, PlaceKind

PAGE_SIZE = 20


def public_places() -> QuerySet[Place]:
    """Places residents may see (公開), with their district in the same query."""
    return Place.objects.filter(is_public=True).select_related("district")


def all_places() -> QuerySet[Place]:
    """Every place, public or not, for staff."""
    return Place.objects.select_related("district")


def filter_places(
    places: QuerySet[Place],
    *,
    kind: str = "",
    district: str = "",
    q: str = "",
) -> QuerySet[Place]:
    """Narrow by kind, district code and free text (name, reading, English name, address).

    The text is NFKC-normalised (full-width letters and digits become half-width) and a reading in
    hiragana also finds katakana and the other way round, as residents type either.
    """
    if kind:
        places = places.filter(kind=kind)
    if district:
        places = places.filter(district__code=district)
    text = unicodedata.normalize("NFKC", q).strip()
    for word in text.split():
        hiragana = jaconv.kata2hira(word)
        katakana = jaconv.hira2kata(word)
        places = places.filter(
            Q(name__icontains=word)
            | Q(name_kana__icontains=hiragana)
            | Q(name_kana__icontains=katakana)
            | Q(name_en__icontains=word)
            | Q(address__icontains=word)
        )
    return places


def is_kind(value: str) -> bool:
    return value in PlaceKind.values


def districts() -> QuerySet[District]:
    return District.objects.all()


def district_names() -> QuerySet[District]:
    """Districts without their boundaries (which can be large), for menus and lists."""
    return District.objects.defer("boundary")


def place_feature(place: Place) -> dict[str, Any]:
    """A place as a GeoJSON Point Feature (RFC 7946: coordinates are [longitude, latitude])."""
    return {
        "type": "Feature",
        "id": place.code,
        "geometry": {"type": "Point", "coordinates": [place.longitude, place.latitude]},
        "properties": {
            "code": place.code,
            "kind": place.kind,
            "kind_label": str(place.get_kind_display()),
            "name": place.name,
            "name_kana": place.name_kana,
            "name_en": place.name_en,
            "address": place.address,
            "district": place.district.code if place.district else None,
            "opening_hours": place.opening_hours,
            "wheelchair_accessible": place.wheelchair_accessible,
            "accessible_toilet": place.accessible_toilet,
            "phone": place.phone,
            "url": place.url,
        },
    }


def places_feature_collection(places: QuerySet[Place]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [place_feature(p) for p in places]}


def kind_layer(kind: str) -> Callable[[], dict[str, Any]]:
    """The map layer of one kind of place: its public places as GeoJSON."""

    def features() -> dict[str, Any]:
        return places_feature_collection(filter_places(public_places(), kind=kind))

    features.__name__ = f"{kind}_layer"
    return features
