"""Photos attached to citizen reports (通報の写真): check, re-encode, strip metadata.

Residents send photos straight from their phones: JPEG or PNG, and HEIC from iPhones. A phone
photo carries the place it was taken (GPS), the device, the time and sometimes the owner's name in
its EXIF/XMP metadata. The report already has the pin the reporter chose on the map, and that is
the only location we keep (issue 6), so every photo is decoded and written again as a plain JPEG
with no metadata at all.

The real type is taken from the content (Pillow reads the magic bytes, restricted to the formats we
accept), never from the file name or the browser's content type.
"""

from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass, field
from typing import IO

import pillow_heif
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageCms, UnidentifiedImageError

# HEIC/HEIF support comes from a Pillow plugin; registering it twice is harmless but once is enough.
pillow_heif.register_heif_opener()

# Phones write 5-15 MB JPEG/HEIC files; 20 MB leaves room without letting anyone fill the disk.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# The stored photo: enough to see a pothole or a broken light on a large screen.
MAX_SIDE = 1600
# The list and map pop-ups.
THUMBNAIL_SIDE = 400
JPEG_QUALITY = 85

# Pillow format names we open. "MPO" is how Pillow names a JPEG that carries a second picture
# (many Android and iPhone portrait shots); it is a JPEG to the resident and to us.
_ACCEPTED_FORMATS = ("JPEG", "PNG", "HEIF")
_MEDIA_TYPES = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "HEIF": "image/heif"}
# ISO/IEC 23008-12 brands of HEVC-coded HEIF files, i.e. what iPhones call HEIC, and of HEIF in
# general.
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_HEIF_BRANDS = _HEIC_BRANDS | {b"mif1", b"msf1", b"heif"}

# What Pillow's decoders raise on broken or hostile input (its own fuzzing harness expects these);
# each means "we cannot read this photo", which is the resident's problem to fix, never a 500.
_UNREADABLE = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, RuntimeError)

# EXIF Orientation (tag 274) → the turn that shows the picture upright; the table of
# ImageOps.exif_transpose. We do not call that function: besides turning the picture it rewrites
# the EXIF left on it, and that rewrite raises TypeError on malformed EXIF (found by fuzzing this
# module), for metadata we are about to drop anyway.
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_WHITE = (255, 255, 255)
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class ProcessedPhoto:
    """A report photo ready to store: JPEG, upright, sRGB, no metadata."""

    content: bytes = field(repr=False)
    thumbnail: bytes = field(repr=False)
    width: int
    height: int
    original_type: str
    content_type: str = "image/jpeg"


def process_photo(upload: UploadedFile | IO[bytes] | bytes) -> ProcessedPhoto:
    """Check a photo a resident sent and re-encode it for storage.

    Refuses (ValidationError, message for the resident) a file over MAX_UPLOAD_BYTES, one that is
    not really a JPEG, PNG or HEIC/HEIF, one with more pixels than Image.MAX_IMAGE_PIXELS, and one
    that is truncated or corrupt. Otherwise returns the photo turned upright (EXIF orientation),
    flattened onto white if transparent, converted to sRGB, at most MAX_SIDE pixels on its longer
    side, plus a THUMBNAIL_SIDE thumbnail; both JPEG without EXIF, GPS, XMP, ICC or comments.
    """
    name = _display_name(upload)
    data = _read_at_most(upload, MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("「%(name)s」は大きすぎます。%(limit)s以下の写真を選んでください。"),
            code="photo_too_large",
            params={"name": name, "limit": filesizeformat(MAX_UPLOAD_BYTES)},
        )

    image, original_type = _decode(data, name=name)
    image = _to_srgb(image)
    # Nothing read from the file travels further: Pillow copies `info` (EXIF, XMP, ICC, JPEG
    # comment, PNG text) to every derived image, and the JPEG writer reuses the comment.
    image.info.clear()

    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)  # never enlarges
    small = image.copy()
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return ProcessedPhoto(
        content=_encode_jpeg(image),
        thumbnail=_encode_jpeg(small),
        width=image.width,
        height=image.height,
        original_type=original_type,
    )


def _display_name(upload: UploadedFile | IO[bytes] | bytes) -> str:
    name = getattr(upload, "name", None)
    if isinstance(name, str) and name:
        return os.path.basename(name)
    return _("写真")


def _read_at_most(upload: UploadedFile | IO[bytes] | bytes, limit: int) -> bytes:
    """Read up to `limit` bytes, so a huge file is never read whole (nor its size trusted)."""
    if isinstance(upload, bytes | bytearray | memoryview):
        return bytes(upload[:limit])
    if upload.seekable():
        upload.seek(0)  # a form field may already have read it
    return upload.read(limit)


def _decode(data: bytes, *, name: str) -> tuple[Image.Image, str]:
    """Open the photo as one of the accepted formats and return it upright and fully loaded."""
    try:
        with Image.open(io.BytesIO(data), formats=_ACCEPTED_FORMATS) as opened:
            # Image.open refuses over twice MAX_IMAGE_PIXELS and only warns between one and two
            # times; we refuse from one time, before decoding allocates anything.
            limit = Image.MAX_IMAGE_PIXELS
            if limit is not None and opened.width * opened.height > limit:
                raise Image.DecompressionBombError(f"{opened.size} is over {limit} pixels")
            original_type = _MEDIA_TYPES[opened.format or ""]
            if opened.format == "HEIF" and data[8:12] in _HEIC_BRANDS:
                original_type = "image/heic"
            # JPEG only (others ignore it): libjpeg may decode at 1/2, 1/4 or 1/8 scale while the
            # result stays at least as large as the stored photo. Saves memory and time on 48 MP
            # phone photos; the final resize is still done with Lanczos.
            opened.draft("RGB", _fit(opened.size, MAX_SIDE))
            # Turn the picture upright while the EXIF orientation is still there to read; the
            # metadata is dropped afterwards. (pillow-heif applies HEIF rotations itself and
            # resets the EXIF orientation to 1, so nothing is turned twice.)
            turn = _UPRIGHT.get(opened.getexif().get(ExifTags.Base.Orientation, 1))
            upright = opened.transpose(turn) if turn is not None else opened.copy()
    except UnidentifiedImageError:
        if _has_accepted_signature(data):
            # Starts like a photo but Pillow gave up (e.g. a HEIC cut short by a bad connection):
            # tell the resident it is broken, not that iPhone photos are not accepted.
            raise _broken(name) from None
        raise ValidationError(
            _(
                "「%(name)s」は受け付けられない種類のファイルです。JPEG、PNG、HEICの写真を選んでください。"
            ),
            code="photo_unsupported_type",
            params={"name": name},
        ) from None
    except Image.DecompressionBombError:
        raise ValidationError(
            _("「%(name)s」は画素数が多すぎます。もっと小さな写真を選んでください。"),
            code="photo_too_many_pixels",
            params={"name": name},
        ) from None
    except _UNREADABLE:
        raise _broken(name) from None
    return upright, original_type


def _broken(name: str) -> ValidationError:
    return ValidationError(
        _("「%(name)s」は壊れているため読み込めませんでした。別の写真を選んでください。"),
        code="photo_unreadable",
        params={"name": name},
    )


def _has_accepted_signature(data: bytes) -> bool:
    """Whether the first bytes are those of a JPEG, a PNG or a HEIF file (ISO BMFF `ftyp` box)."""
    return (
        data.startswith(b"\xff\xd8\xff")
        or data.startswith(b"\x89PNG\r\n\x1a\n")
        or (data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS)
    )


def _fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """The size with the longer side at most `longest`, same aspect, never larger."""
    width, height = size
    scale = min(1.0, longest / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _to_srgb(image: Image.Image) -> Image.Image:
    """Plain RGB in sRGB, the colour space browsers assume for a JPEG without a profile."""
    icc_profile = image.info.get("icc_profile")
    if image.mode in ("RGBA", "LA", "PA", "La") or (
        image.mode == "P" and "transparency" in image.info
    ):
        # Transparent PNG (a screenshot, a scan): flatten onto white, as it looks on a page.
        background = Image.new("RGBA", image.size, (*_WHITE, 255))
        background.alpha_composite(image.convert("RGBA"))
        image = background.convert("RGB")
    if icc_profile:
        # iPhones shoot in Display P3; dropping the profile without converting would dull them.
        try:
            converted = ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(io.BytesIO(icc_profile)), _SRGB, outputMode="RGB"
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            converted = None  # a profile we cannot use: keep the pixels as they are
        if converted is not None:
            image = converted
    return image.convert("RGB")


def _encode_jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    # No exif=, icc_profile=, xmp= or comment= arguments: the file carries pixels only.
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return buffer.getvalue()
