"""The PDF copy of a filed application (申請の控え): rendering, the town's signature, its checks."""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pyhanko.pdf_utils.generic import DictionaryObject
from pyhanko.pdf_utils.reader import PdfFileReader
from weasyprint.urls import FatalURLFetchingError

from yakuba.core.models import Municipality
from yakuba.modules.procedures.models import FormVersion, Procedure, Submission
from yakuba.modules.procedures.pdf import STATIC_ROOT, StaticOnlyFetcher, render_pdf
from yakuba.modules.procedures.signing import (
    SigningCertificateMissing,
    create_demo_certificate,
    sign_pdf,
    verify_pdf,
)
from yakuba.platform.accounts.tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")

DEFINITION: dict[str, Any] = {
    "format": "yakuba.procedures.form/1",
    "sections": [
        {
            "key": "applicant",
            "title": {"ja": "申請者の情報", "en": "Applicant"},
            "fields": [
                {"key": "name", "type": "text", "label": {"ja": "氏名", "en": "Name"}},
                {"key": "birth_date", "type": "date", "era": True, "label": {"ja": "生年月日"}},
                {
                    "key": "delivery",
                    "type": "choice",
                    "label": {"ja": "受け取り方法"},
                    "options": [
                        {"value": "pickup", "label": {"ja": "窓口で受け取る"}},
                        {"value": "mail", "label": {"ja": "郵送"}},
                    ],
                },
                {
                    "key": "mail_address",
                    "type": "address",
                    "label": {"ja": "送付先"},
                    "show_if": {"field": "delivery", "equals": "mail"},
                },
                {"key": "account", "type": "bank_account", "label": {"ja": "振込先口座"}},
                {"key": "agree", "type": "consent", "label": {"ja": "記載内容に誤りはありません"}},
            ],
        },
        {
            "key": "family",
            "title": {"ja": "対象となる子ども"},
            "fields": [
                {
                    "key": "children",
                    "type": "group",
                    "label": {"ja": "子ども"},
                    "fields": [
                        {"key": "name", "type": "text", "label": {"ja": "子の氏名"}},
                        {"key": "birth_date", "type": "date", "label": {"ja": "子の生年月日"}},
                    ],
                }
            ],
        },
    ],
}

ANSWERS: dict[str, Any] = {
    "applicant": {
        "name": "亘理 花子",
        "birth_date": "1984-04-12",
        "delivery": "pickup",
        "account": {
            "bank_code": "0001",
            "branch_code": "123",
            "account_type": "futsu",
            "account_number": "7654321",
            "holder_kana": "ワタリ ハナコ",
        },
        "agree": True,
    },
    "family": {"children": [{"name": "亘理 一郎", "birth_date": "2019-05-01"}]},
}


@pytest.fixture
def town() -> Municipality:
    return Municipality.objects.create(
        name="亘理町",
        name_en="Watari",
        code="043231",
        prefecture="宮城県",
        map_center_latitude=38.03,
        map_center_longitude=140.85,
    )


@pytest.fixture
def submission(town: Municipality) -> Submission:
    department = DepartmentFactory.create(code="kodomo", name="子ども未来課")
    procedure = Procedure.objects.create(
        code="jido-teate",
        title="児童手当の認定請求",
        department=department,
        category="childcare",
        applicant_kinds=["self"],
        statuses=["received", "completed"],
    )
    version = FormVersion.objects.create(
        procedure=procedure,
        number=2,
        definition=DEFINITION,
        published_at=datetime.datetime.now(TOKYO),
    )
    return Submission.objects.create(
        receipt_number="2026-000123",
        procedure=procedure,
        form_version=version,
        applicant_kind="self",
        applicant_name="亘理 花子",
        subject_name="亘理 一郎",
        answers=ANSWERS,
        digest=hashlib.sha256(b"answers").hexdigest(),
        department=department,
        source="web",
        submitted_at=datetime.datetime(2026, 4, 1, 10, 0, tzinfo=TOKYO),
    )


@pytest.fixture
def signing_files(settings: Any, tmp_path: Path) -> tuple[Path, Path]:
    settings.PROCEDURES_SIGNING_CERT = tmp_path / "signing" / "town-certificate.pem"
    settings.PROCEDURES_SIGNING_KEY = tmp_path / "signing" / "town-key.pem"
    return settings.PROCEDURES_SIGNING_CERT, settings.PROCEDURES_SIGNING_KEY


@pytest.fixture
def town_certificate(signing_files: tuple[Path, Path], town: Municipality) -> tuple[Path, Path]:
    create_demo_certificate()
    return signing_files


def _pages(pdf: bytes) -> Iterator[DictionaryObject]:
    def walk(node: DictionaryObject) -> Iterator[DictionaryObject]:
        if node["/Type"] == "/Pages":
            for kid in node["/Kids"]:
                yield from walk(kid.get_object())
        else:
            yield node

    yield from walk(PdfFileReader(BytesIO(pdf)).root["/Pages"])


def _fonts(page: DictionaryObject) -> Iterator[tuple[str, DictionaryObject]]:
    for name, font in page["/Resources"]["/Font"].items():
        yield name[1:], font.get_object()


def pdf_text(pdf: bytes) -> str:
    """The text of every page, read back through each font's ToUnicode map (as a PDF reader or a
    screen reader would), with no spaces added between the pieces."""
    text: list[str] = []
    for page in _pages(pdf):
        to_unicode = {}
        for name, font in _fonts(page):
            cmap = font["/ToUnicode"].data.decode("latin-1")
            to_unicode[name] = {
                code: bytes.fromhex(target).decode("utf-16-be")
                for code, target in re.findall(r"<([0-9a-f]{4})>\s*<([0-9a-f]+)>", cmap)
            }
        contents = page["/Contents"]
        streams = contents if isinstance(contents, list) else [contents]
        content = b"".join(stream.get_object().data for stream in streams).decode("latin-1")
        glyphs: dict[str, str] = {}
        for match in re.finditer(r"/(\S+)\s+[\d.]+\s+Tf|\[([^\]]*)\]\s*TJ", content):
            if match[1]:
                glyphs = to_unicode[match[1]]
                continue
            for hex_string in re.findall(r"<([0-9a-f]*)>", match[2]):
                text.extend(glyphs[hex_string[i : i + 4]] for i in range(0, len(hex_string), 4))
    return "".join(text)


def test_copy_shows_the_receipt_number_and_the_answers_as_text(submission: Submission) -> None:
    text = pdf_text(render_pdf(submission))

    assert "2026-000123" in text
    assert "児童手当の認定請求" in text
    assert "亘理花子" in text.replace(" ", "")
    assert "窓口で受け取る" in text
    assert "ワタリハナコ" in text.replace(" ", "")
    assert "子の氏名" in text
    assert "亘理一郎" in text.replace(" ", "")
    assert "同意する" in text


def test_copy_prints_dates_in_the_japanese_era(submission: Submission) -> None:
    text = pdf_text(render_pdf(submission))

    assert "令和8年（2026年）4月1日" in text  # 申請日
    assert "昭和59年（1984年）4月12日" in text  # 生年月日
    assert "令和元年（2019年）5月1日" in text


def test_copy_names_the_town_the_department_and_the_digest(submission: Submission) -> None:
    text = pdf_text(render_pdf(submission))

    assert "宮城県亘理町" in text
    assert "子ども未来課" in text
    assert submission.digest in text


def test_a_field_hidden_by_show_if_has_no_row(submission: Submission) -> None:
    assert "送付先" not in pdf_text(render_pdf(submission))


def test_copy_embeds_a_japanese_font(submission: Submission) -> None:
    base_fonts = [
        str(font["/BaseFont"])
        for page in _pages(render_pdf(submission))
        for _, font in _fonts(page)
    ]

    assert any("IPAexGothic" in name or "NotoSansCJK" in name for name in base_fonts), base_fonts


def test_english_copy_uses_the_definitions_english_labels(submission: Submission) -> None:
    text = pdf_text(render_pdf(submission, language="en"))

    assert "Applicant" in text
    assert "1 April 2026" in text


def test_signed_copy_is_valid_and_intact(submission: Submission, town_certificate: Any) -> None:
    verification = verify_pdf(sign_pdf(render_pdf(submission)))

    assert verification.valid
    assert verification.intact
    assert verification.signer == "亘理町 (デモ)"
    assert verification.signed_at is not None


def test_changing_one_byte_of_a_signed_copy_is_detected(
    submission: Submission, town_certificate: Any
) -> None:
    signed = bytearray(sign_pdf(render_pdf(submission)))
    # A byte inside the embedded font program: covered by the signature, read by nothing else.
    position = signed.index(b"stream", signed.index(b"/Length1")) + 200
    signed[position] ^= 0xFF

    verification = verify_pdf(bytes(signed))

    assert not verification.intact
    assert not verification.valid


def test_copy_signed_with_another_certificate_is_not_valid(
    submission: Submission, town_certificate: tuple[Path, Path], settings: Any, tmp_path: Path
) -> None:
    signed = sign_pdf(render_pdf(submission))
    settings.PROCEDURES_SIGNING_CERT = tmp_path / "other" / "certificate.pem"
    settings.PROCEDURES_SIGNING_KEY = tmp_path / "other" / "key.pem"
    create_demo_certificate()

    verification = verify_pdf(signed)

    assert verification.intact
    assert not verification.valid


def test_an_unsigned_or_unreadable_file_is_not_valid(
    submission: Submission, town_certificate: Any
) -> None:
    assert not verify_pdf(render_pdf(submission)).valid
    assert not verify_pdf(b"not a pdf").intact


def test_signing_without_a_certificate_says_how_to_get_one(
    submission: Submission, signing_files: Any
) -> None:
    with pytest.raises(SigningCertificateMissing, match="procedures_signing_certificate"):
        sign_pdf(render_pdf(submission))


def test_certificate_command_creates_the_pair_once(
    signing_files: tuple[Path, Path], town: Municipality
) -> None:
    cert_path, key_path = signing_files

    call_command("procedures_signing_certificate", verbosity=0)
    first = cert_path.read_bytes(), key_path.read_bytes()
    call_command("procedures_signing_certificate", verbosity=0)

    assert (cert_path.read_bytes(), key_path.read_bytes()) == first
    assert key_path.stat().st_mode & 0o077 == 0


def test_certificate_command_refuses_to_replace_half_a_pair(
    signing_files: tuple[Path, Path],
) -> None:
    cert_path, _ = signing_files
    cert_path.parent.mkdir(parents=True)
    cert_path.write_text("the town's real certificate")

    with pytest.raises(CommandError, match="Only one"):
        call_command("procedures_signing_certificate", verbosity=0)
    assert cert_path.read_text() == "the town's real certificate"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/logo.png",
        "https://example.com/font.woff2",
        "ftp://example.com/x.css",
        "file:///etc/passwd",
        (STATIC_ROOT / ".." / "pdf.py").as_uri(),
    ],
)
def test_rendering_refuses_anything_but_static_files_and_data_uris(url: str) -> None:
    with pytest.raises(FatalURLFetchingError):
        StaticOnlyFetcher().fetch(url)


def test_rendering_loads_the_stylesheet_and_data_uris() -> None:
    fetcher = StaticOnlyFetcher()

    assert b"@page" in fetcher.fetch((STATIC_ROOT / "procedures" / "pdf.css").as_uri()).read()
    assert fetcher.fetch("data:text/plain,ok").read() == b"ok"


def test_rendering_leaves_pillow_refusing_truncated_images() -> None:
    """WeasyPrint switches Pillow to accept truncated images when imported; residents' photos
    (reports) rely on Pillow refusing them."""
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
