"""District boundaries (行政区の区域) as GeoJSON, read into shapely geometries.

A boundary is stored as plain GeoJSON (RFC 7946) in a JSON column so the data works on SQLite and
PostgreSQL alike without a spatial extension; shapely (GEOS) does the geometry in Python.
"""

from __future__ import annotations

from typing import Any

import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

BOUNDARY_TYPES = ("Polygon", "MultiPolygon")


def boundary_geometry(value: Any) -> BaseGeometry:
    """The shapely geometry of a GeoJSON Polygon/MultiPolygon; ValidationError when it is not one.

    The messages are meant for the staff member who uploaded the file, so they say what is wrong
    in words, not in GEOS jargon (except the GEOS reason for an invalid shape, given in brackets).
    """
    if not isinstance(value, dict) or value.get("type") not in BOUNDARY_TYPES:
        raise ValidationError(
            _("区域はGeoJSONのPolygonまたはMultiPolygonで指定してください。"), code="type"
        )
    if not isinstance(value.get("coordinates"), list):
        raise ValidationError(_("区域の座標（coordinates）がありません。"), code="coordinates")
    try:
        geometry = shape(value)
    except Exception as error:  # GEOS and shapely raise many types for malformed coordinates.
        raise ValidationError(
            _("区域の座標の形式が正しくありません。"), code="coordinates"
        ) from error
    if geometry.is_empty:
        raise ValidationError(_("区域が空です。"), code="empty")
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ValidationError(
            _("区域の座標は経度・緯度の順に、経度-180〜180、緯度-90〜90で指定してください。"),
            code="range",
        )
    if not geometry.is_valid:
        raise ValidationError(
            _("区域の形が正しくありません（%(reason)s）。"),
            code="invalid",
            params={"reason": shapely.is_valid_reason(geometry)},
        )
    return geometry


def validate_boundary(value: Any) -> None:
    """Model-field validator: an empty boundary is allowed, anything else must be a valid polygon."""
    if value in (None, {}, ""):
        return
    boundary_geometry(value)
