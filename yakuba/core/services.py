"""Core's use cases: the town's own settings (自治体の設定)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Literal, Protocol

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from yakuba.core.models import Municipality

logger = logging.getLogger(__name__)

# What the settings page edits. `is_demo` is left to the demo loader and the admin.
MUNICIPALITY_FIELDS = (
    "name",
    "name_kana",
    "name_en",
    "code",
    "prefecture",
    "prefecture_en",
    "postal_code",
    "address",
    "phone",
    "email",
    "opening_hours",
    "website",
    "map_center_latitude",
    "map_center_longitude",
    "map_zoom",
)

# Raster formats every browser shows. SVG is refused: it is a document that can carry scripts and
# links, and the logo is served from our own origin on every page.
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 4000


class Actor(Protocol):
    def has_perm(self, perm: str, obj: Any = None) -> bool: ...


def validate_logo(logo: UploadedFile) -> str:
    """Check that an uploaded logo is a real PNG, JPEG or WebP image of at most 1 MB.

    Returns the file extension for its real format. The content is read, not the name or the
    browser's content type, which anyone can set.
    """
    if logo.size is None or logo.size > LOGO_MAX_BYTES:
        raise ValidationError(_("ロゴの画像は1MB以下にしてください。"), code="logo_too_large")
    logo.seek(0)
    try:
        with Image.open(logo) as image:
            image_format = image.format or ""
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("ロゴには PNG・JPEG・WebP 形式の画像を選んでください（SVG は使えません）。"),
            code="logo_not_an_image",
        ) from None
    finally:
        logo.seek(0)
    if image_format not in LOGO_FORMATS:
        raise ValidationError(
            _("ロゴには PNG・JPEG・WebP 形式の画像を選んでください（SVG は使えません）。"),
            code="logo_wrong_format",
        )
    if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE:
        raise ValidationError(
            _("ロゴの画像は縦横とも%(side)dピクセル以下にしてください。"),
            code="logo_too_big",
            params={"side": LOGO_MAX_SIDE},
        )
    return LOGO_FORMATS[image_format]


@transaction.atomic
def update_municipality(
    *,
    by: Actor,
    data: Mapping[str, Any],
    logo: UploadedFile | Literal[False] | None = None,
) -> Municipality:
    """Save the town's settings (自治体の設定); the first save creates the municipality.

    `data` holds any of MUNICIPALITY_FIELDS. `logo` is a new logo, False to remove the logo, or
    None to keep it. Everything is validated before anything is written, so bad input saves
    nothing; a replaced logo file is deleted only once the new settings are committed.
    """
    if not by.has_perm("core.change_municipality"):
        raise PermissionDenied
    unknown = set(data) - set(MUNICIPALITY_FIELDS)
    if unknown:
        raise ValueError(f"Not municipality settings: {sorted(unknown)}")
    municipality = Municipality.objects.select_for_update().order_by("pk").first() or Municipality()
    for name, value in data.items():
        setattr(municipality, name, value)
    previous_logo = municipality.logo.name if municipality.logo else ""
    if logo is False:
        municipality.logo = ""
    elif logo is not None:
        extension = validate_logo(logo)
        # The stored name says the real format, whatever the uploaded file was called.
        logo.name = f"logo.{extension}"
        municipality.logo = logo
    municipality.full_clean(exclude=["is_demo"])
    municipality.save()
    if previous_logo and previous_logo != municipality.logo.name:
        storage = municipality.logo.storage
        transaction.on_commit(lambda: storage.delete(previous_logo))
    logger.info("Municipality settings saved by user %s", getattr(by, "pk", None))
    return municipality
