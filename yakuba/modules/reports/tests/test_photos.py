"""Report photos: only real JPEG/PNG/HEIC, size and pixel limits, upright, resized, no metadata.

Every input is a real image built with Pillow / pillow-heif in memory.
"""

from __future__ import annotations

import io
import random

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms, ImageOps, features

from yakuba.modules.reports import photos
from yakuba.modules.reports.photos import ProcessedPhoto, process_photo

RED = (255, 0, 0)
BLUE = (0, 0, 255)
GREEN = (0, 255, 0)
WHITE = (255, 255, 255)

UNSUPPORTED = "「{}」は受け付けられない種類のファイルです。JPEG、PNG、HEICの写真を選んでください。"
UNREADABLE = "「{}」は壊れているため読み込めませんでした。別の写真を選んでください。"
TOO_MANY_PIXELS = "「{}」は画素数が多すぎます。もっと小さな写真を選んでください。"

EXIF_ORIENTATION = 0x0112
EXIF_MAKE = 0x010F
EXIF_MODEL = 0x0110
EXIF_IFD = 0x8769
DATE_TIME_ORIGINAL = 0x9003
GPS_IFD = 0x8825


@pytest.fixture(autouse=True)
def _japanese():
    with translation.override("ja"):
        yield


def red_left_blue_right(size: tuple[int, int]) -> Image.Image:
    """A picture whose left half is red and right half blue, so a rotation shows."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return image


def phone_exif(*, orientation: int = 1) -> Image.Exif:
    """EXIF as a phone writes it: device, time taken, and where (亘理町役場)."""
    exif = Image.Exif()
    exif[EXIF_MAKE] = "Apple"
    exif[EXIF_MODEL] = "iPhone 15 Pro"
    exif[EXIF_ORIENTATION] = orientation
    exif.get_ifd(EXIF_IFD)[DATE_TIME_ORIGINAL] = "2025:06:01 09:30:00"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (38.0, 2.0, 13.5)
    gps[3] = "E"
    gps[4] = (140.0, 51.0, 9.25)
    return exif


def encode(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def open_output(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def assert_no_metadata(content: bytes) -> None:
    image = open_output(content)
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert not image.getexif()
    for key in ("exif", "icc_profile", "xmp", "comment", "photoshop"):
        assert key not in image.info
    for leak in (b"Exif", b"GPS", b"Apple", b"iPhone", b"2025:06:01", b"http://ns.adobe.com/xap"):
        assert leak not in content


def refusal(upload) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        process_photo(upload)
    return caught.value


# --- metadata -----------------------------------------------------------------------------------


def test_jpeg_loses_exif_gps_device_and_comment_and_is_turned_upright():
    source = encode(
        red_left_blue_right((400, 300)),
        "JPEG",
        exif=phone_exif(orientation=6),
        comment=b"iPhone 15 Pro of Taro",
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:xap="http://ns.adobe.com/xap/1.0/"/></x:xmpmeta>',
    )
    # The input really carries what must go.
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(GPS_IFD)[1] == "N"
    assert b"GPS" in source or b"\x88\x25" in source  # GPS IFD pointer (tag 0x8825)
    assert b"iPhone" in source

    photo = process_photo(SimpleUploadedFile("IMG_0001.JPG", source, content_type="image/jpeg"))

    assert_no_metadata(photo.content)
    assert_no_metadata(photo.thumbnail)
    # Orientation 6: the camera was held turned 90° clockwise; shown upright the picture is
    # portrait and what was on the left (red) is now on top.
    assert (photo.width, photo.height) == (300, 400)
    output = open_output(photo.content)
    assert output.size == (300, 400)
    assert_close(output.getpixel((150, 20)), RED)
    assert_close(output.getpixel((150, 380)), BLUE)
    assert photo.content_type == "image/jpeg"
    assert photo.original_type == "image/jpeg"


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_turned_as_pillow_does(orientation):
    quadrants = Image.new("RGB", (80, 40), RED)
    quadrants.paste(BLUE, (40, 0, 80, 20))
    quadrants.paste(GREEN, (0, 20, 40, 40))
    quadrants.paste(WHITE, (40, 20, 80, 40))
    source = encode(quadrants, "JPEG", quality=95, exif=phone_exif(orientation=orientation))
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(source)))

    output = open_output(process_photo(source).content)

    assert output.size == expected.size
    width, height = output.size
    for x, y in [
        (width // 4, height // 4),
        (3 * width // 4, height // 4),
        (width // 4, 3 * height // 4),
        (3 * width // 4, 3 * height // 4),
    ]:
        assert_close(output.getpixel((x, y)), expected.getpixel((x, y)))


def test_heic_loses_exif_gps_and_is_turned_upright():
    source = encode(
        red_left_blue_right((400, 300)), "HEIF", exif=phone_exif(orientation=6).tobytes()
    )
    assert source[4:12] == b"ftypheic"
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(GPS_IFD)[2] == (38.0, 2.0, 13.5)

    photo = process_photo(SimpleUploadedFile("IMG_0002.HEIC", source))

    assert_no_metadata(photo.content)
    assert_no_metadata(photo.thumbnail)
    assert (photo.width, photo.height) == (300, 400)
    output = open_output(photo.content)
    assert_close(output.getpixel((150, 20)), RED)
    assert_close(output.getpixel((150, 380)), BLUE)
    assert photo.original_type == "image/heic"


def test_embedded_colour_profile_is_applied_and_not_kept():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = encode(red_left_blue_right((200, 100)), "JPEG", icc_profile=srgb)
    assert Image.open(io.BytesIO(source)).info["icc_profile"] == srgb

    photo = process_photo(source)

    assert_no_metadata(photo.content)
    assert_close(open_output(photo.content).getpixel((20, 50)), RED)


def test_png_text_chunks_are_not_carried_over():
    from PIL.PngImagePlugin import PngInfo

    text = PngInfo()
    text.add_text("Software", "iPhone 15 Pro screenshot")
    source = encode(red_left_blue_right((200, 100)), "PNG", pnginfo=text)
    assert b"iPhone" in source

    photo = process_photo(source)

    assert_no_metadata(photo.content)
    assert photo.original_type == "image/png"


# --- colour and transparency ------------------------------------------------------------------


def test_png_with_transparency_becomes_rgb_jpeg_on_white():
    image = Image.new("RGBA", (200, 100), (0, 0, 0, 0))  # transparent black
    image.paste((255, 0, 0, 255), (0, 0, 100, 100))  # opaque red left half

    photo = process_photo(SimpleUploadedFile("screenshot.png", encode(image, "PNG")))

    output = open_output(photo.content)
    assert (output.format, output.mode, output.size) == ("JPEG", "RGB", (200, 100))
    assert_close(output.getpixel((50, 50)), RED)
    assert_close(output.getpixel((150, 50)), WHITE)  # not black: the transparent part is paper
    assert photo.original_type == "image/png"


def test_palette_png_with_transparent_colour_becomes_white():
    image = Image.new("P", (100, 100), 0)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(1, (0, 0, 50, 100))
    source = encode(image, "PNG", transparency=0)

    output = open_output(process_photo(source).content)

    assert_close(output.getpixel((25, 50)), RED)
    assert_close(output.getpixel((75, 50)), WHITE)


def test_greyscale_and_cmyk_jpegs_come_out_rgb():
    grey = open_output(process_photo(encode(Image.new("L", (64, 48), 128), "JPEG")).content)
    cmyk = open_output(
        process_photo(encode(Image.new("CMYK", (64, 48), (0, 255, 255, 0)), "JPEG")).content
    )

    assert grey.mode == cmyk.mode == "RGB"
    assert_close(grey.getpixel((10, 10)), (128, 128, 128))
    assert_close(cmyk.getpixel((10, 10)), RED)


def test_jpeg_with_a_second_picture_mpo_is_accepted_as_jpeg():
    source = encode(
        red_left_blue_right((320, 240)),
        "MPO",
        save_all=True,
        append_images=[Image.new("RGB", (320, 240), WHITE)],
    )
    assert Image.open(io.BytesIO(source)).format == "MPO"

    photo = process_photo(SimpleUploadedFile("portrait.jpg", source))

    assert (photo.width, photo.height) == (320, 240)
    assert photo.original_type == "image/jpeg"
    assert_no_metadata(photo.content)


# --- sizes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source_size", "photo_size", "thumbnail_size"),
    [
        ((4000, 3000), (1600, 1200), (400, 300)),  # landscape phone photo
        ((3000, 4000), (1200, 1600), (300, 400)),  # portrait
        ((1600, 1600), (1600, 1600), (400, 400)),  # exactly the limit
        ((640, 480), (640, 480), (400, 300)),  # small: kept, not enlarged
        ((120, 80), (120, 80), (120, 80)),  # tiny: thumbnail not enlarged either
    ],
)
def test_photo_is_shrunk_to_1600_and_thumbnail_to_400_never_enlarged(
    source_size, photo_size, thumbnail_size
):
    photo = process_photo(encode(red_left_blue_right(source_size), "JPEG", quality=90))

    assert (photo.width, photo.height) == photo_size
    assert open_output(photo.content).size == photo_size
    assert open_output(photo.thumbnail).size == thumbnail_size


def test_large_jpeg_keeps_its_picture_when_shrunk():
    # The JPEG is decoded at a reduced scale first (draft); the result must still be right.
    photo = process_photo(encode(red_left_blue_right((4000, 3000)), "JPEG"))

    output = open_output(photo.content)
    assert_close(output.getpixel((100, 600)), RED)
    assert_close(output.getpixel((1500, 600)), BLUE)


def test_output_is_a_progressive_jpeg():
    photo = process_photo(encode(red_left_blue_right((800, 600)), "PNG"))

    assert open_output(photo.content).info.get("progressive")
    assert isinstance(photo, ProcessedPhoto)


def test_an_upload_already_read_by_a_form_is_read_again_from_the_start():
    upload = SimpleUploadedFile("IMG_0003.JPG", encode(red_left_blue_right((64, 48)), "JPEG"))
    upload.read()

    assert process_photo(upload).width == 64


# --- refusals ---------------------------------------------------------------------------------


def gif_bytes() -> bytes:
    return encode(Image.new("P", (10, 10)), "GIF")


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
NOT_ACCEPTED = [
    pytest.param(PDF, id="pdf"),
    pytest.param(gif_bytes(), id="gif"),
    pytest.param(SVG, id="svg"),
    pytest.param(b"", id="empty"),
    pytest.param(random.Random(6).randbytes(4096), id="random-bytes"),
    pytest.param(encode(Image.new("RGB", (10, 10)), "BMP"), id="bmp"),
    pytest.param(encode(Image.new("RGB", (10, 10)), "TIFF"), id="tiff"),
]
if features.check("webp"):
    NOT_ACCEPTED.append(pytest.param(encode(Image.new("RGB", (10, 10)), "WEBP"), id="webp"))


@pytest.mark.parametrize("content", NOT_ACCEPTED)
def test_file_that_is_not_really_jpeg_png_or_heic_is_refused_whatever_its_name(content):
    error = refusal(SimpleUploadedFile("photo.jpg", content, content_type="image/jpeg"))

    assert error.code == "photo_unsupported_type"
    assert error.messages == [UNSUPPORTED.format("photo.jpg")]


def truncated(content: bytes) -> bytes:
    return content[: len(content) // 2]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("cut.jpg", truncated(encode(red_left_blue_right((400, 300)), "JPEG"))),
        ("cut.png", truncated(encode(red_left_blue_right((400, 300)), "PNG"))),
        ("cut.heic", truncated(encode(red_left_blue_right((400, 300)), "HEIF"))),
        ("header-only.jpg", b"\xff\xd8\xff\xe0"),
    ],
)
def test_truncated_photo_is_refused_as_broken(name, content):
    error = refusal(SimpleUploadedFile(name, content))

    assert error.code == "photo_unreadable"
    assert error.messages == [UNREADABLE.format(name)]


def test_photo_at_the_size_limit_is_accepted(monkeypatch):
    content = encode(red_left_blue_right((200, 150)), "JPEG")
    monkeypatch.setattr(photos, "MAX_UPLOAD_BYTES", len(content))

    assert process_photo(SimpleUploadedFile("ok.jpg", content)).width == 200


def test_photo_over_the_size_limit_is_refused(monkeypatch):
    content = encode(red_left_blue_right((200, 150)), "JPEG")
    assert len(content) > 1000
    monkeypatch.setattr(photos, "MAX_UPLOAD_BYTES", 1000)

    error = refusal(SimpleUploadedFile("big.jpg", content))

    assert error.code == "photo_too_large"
    assert error.messages == [
        "「big.jpg」は大きすぎます。1000\xa0バイト以下の写真を選んでください。"
    ]


def test_default_size_limit_is_20_megabytes():
    assert photos.MAX_UPLOAD_BYTES == 20 * 1024 * 1024
    error = refusal(b"\xff\xd8\xff" + bytes(photos.MAX_UPLOAD_BYTES))

    assert error.messages == ["「写真」は大きすぎます。20.0\xa0MB以下の写真を選んでください。"]


@pytest.mark.parametrize(
    "size",
    [
        pytest.param((100, 100), id="over-twice-the-limit"),  # Pillow itself raises
        pytest.param((40, 40), id="just-over-the-limit"),  # Pillow only warns; we refuse
    ],
)
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("format", ["JPEG", "PNG", "HEIF"])
def test_decompression_bomb_is_refused(monkeypatch, size, format):
    content = encode(Image.new("RGB", size), format)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)

    error = refusal(SimpleUploadedFile("bomb.png", content))

    assert error.code == "photo_too_many_pixels"
    assert error.messages == [TOO_MANY_PIXELS.format("bomb.png")]


def test_image_at_the_pixel_limit_is_accepted(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 40 * 25)

    assert process_photo(encode(Image.new("RGB", (40, 25)), "PNG")).width == 40


def test_file_name_in_messages_is_only_the_base_name():
    error = refusal(SimpleUploadedFile("../../etc/photo.jpg", PDF))

    assert error.messages == [UNSUPPORTED.format("photo.jpg")]


# --- whatever bytes arrive, the answer is a photo or a ValidationError, never a crash ----------

SEEDS = {
    "JPEG": encode(red_left_blue_right((48, 32)), "JPEG", exif=phone_exif(orientation=3)),
    "PNG": encode(Image.new("RGBA", (48, 32), (10, 20, 30, 128)), "PNG"),
    "HEIF": encode(red_left_blue_right((48, 32)), "HEIF"),
}


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    format=st.sampled_from(sorted(SEEDS)),
    changes=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8
    ),
    cut=st.floats(0.05, 1),
)
def test_damaged_photos_never_raise_anything_but_validation_error(format, changes, cut):
    content = bytearray(SEEDS[format])
    for position, value in changes:
        content[int(position * len(content))] = value
    content = content[: max(1, int(cut * len(content)))]

    # A damaged header can claim any size; keep a bomb from costing the test suite memory.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Image, "MAX_IMAGE_PIXELS", 200_000)
        try:
            photo = process_photo(bytes(content))
        except ValidationError as error:
            assert error.code in {
                "photo_unsupported_type",
                "photo_unreadable",
                "photo_too_many_pixels",
            }
        else:
            assert_no_metadata(photo.content)


def assert_close(actual, expected, tolerance: int = 12) -> None:
    """JPEG is lossy: colours come back within a few steps of what went in."""
    assert all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True)), (
        actual,
        expected,
    )
