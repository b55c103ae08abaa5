"""Applications' files — residents' attachments and the signed PDF copies — are kept in the
private storage, outside MEDIA_ROOT: no URL reaches them, even where the demo serves MEDIA_ROOT;
only the views that check who asks serve them (the applicant, the department's staff), as
downloads that a browser may not sniff into another type. Files stored under MEDIA_ROOT before
are moved by the migration."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, path, reverse
from django.views.static import serve

from yakuba.config.urls import urlpatterns as site_urlpatterns
from yakuba.modules.procedures import services
from yakuba.modules.procedures.models import Attachment, Procedure, Submission
from yakuba.modules.procedures.tests.resident_helpers import (
    VALID_ANSWERS,
    make_procedure,
    make_resident,
    png_file,
)
from yakuba.modules.procedures.tests.test_backoffice import PERMISSIONS, staff_of
from yakuba.platform.accounts.models import User
from yakuba.platform.accounts.tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
ROOT = Path(__file__).resolve().parents[4]


def _media(request: HttpRequest, path: str) -> HttpResponseBase:
    return serve(request, path, document_root=str(django_settings.MEDIA_ROOT))


# The site as the demo runs it (DEBUG): MEDIA_ROOT served at MEDIA_URL. Tests run without DEBUG,
# where yakuba/config/urls.py leaves that route out, so it is added here.
urlpatterns: list[URLPattern | URLResolver] = [
    path("media/<path:path>", _media),
    *site_urlpatterns,
]


@pytest.fixture(autouse=True)
def _town(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STAFF_REQUIRE_MFA = False


@pytest.fixture
def procedure() -> Procedure:
    return make_procedure()


@pytest.fixture
def resident() -> User:
    return make_resident()


@pytest.fixture
def submission(procedure: Procedure, resident: User) -> Submission:
    draft = services.save_draft(resident, procedure, VALID_ANSWERS)
    services.attach_file(draft, "request.proof", png_file("通帳.png"))
    submission = services.submit(draft, applicant=resident)
    submission.pdf.save("2026-000001.pdf", ContentFile(b"%PDF-1.7 signed"), save=True)
    return submission


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def files_under(folder: Path) -> list[Path]:
    return [item for item in Path(folder).rglob("*") if item.is_file()]


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


# --- where they are kept ---------------------------------------------------------------------------


def test_attachments_and_copies_are_kept_in_the_private_folder_not_under_media_root(
    submission: Submission, settings: Any, _private_files: Path
) -> None:
    attachment = submission.attachments.get()
    for stored in (attachment.file, submission.pdf):
        assert Path(stored.path).is_relative_to(_private_files)
        assert not Path(stored.path).is_relative_to(settings.MEDIA_ROOT)
    assert not files_under(settings.MEDIA_ROOT)
    assert len(files_under(_private_files)) == 2


@pytest.mark.urls(__name__)
def test_no_media_url_reaches_them(submission: Submission, settings: Any) -> None:
    client = signed_in(submission.applicant)  # type: ignore[arg-type]
    attachment = submission.attachments.get()
    for name in (attachment.file.name, submission.pdf.name):
        assert client.get(settings.MEDIA_URL + name).status_code == 404
        assert Client().get(settings.MEDIA_URL + name).status_code == 404
    # The route itself serves what is under MEDIA_ROOT: the 404s above are the files' doing.
    default_storage.save("public/notice.txt", ContentFile(b"public"))
    assert Client().get(settings.MEDIA_URL + "public/notice.txt").status_code == 200


def test_a_private_folder_inside_media_root_is_refused_at_start(tmp_path: Path) -> None:
    environment = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PRIVATE_FILES_ROOT": str(tmp_path / "media" / "private"),
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "manage.py"), "check"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert result.returncode != 0
    assert "PRIVATE_FILES_ROOT must not be inside MEDIA_ROOT" in result.stderr


# --- who gets them -------------------------------------------------------------------------------


def assert_private_download(response: Any, content: bytes, content_type: str) -> None:
    assert response.status_code == 200
    assert body(response) == content
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("inline; filename")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def test_the_applicant_gets_their_attachment_and_copy(submission: Submission) -> None:
    client = signed_in(submission.applicant)  # type: ignore[arg-type]
    attachment = submission.attachments.get()
    response = client.get(reverse("procedures:attachment", args=[attachment.pk]))
    assert_private_download(response, attachment.file.open("rb").read(), "image/png")
    assert "%E9%80%9A%E5%B8%B3.png" in response["Content-Disposition"]  # 通帳.png
    response = client.get(reverse("procedures:pdf", args=[submission.pk]))
    assert_private_download(response, b"%PDF-1.7 signed", "application/pdf")
    assert f'filename="{submission.receipt_number}.pdf"' in response["Content-Disposition"]


def test_another_resident_gets_not_found(submission: Submission) -> None:
    client = signed_in(make_resident("stranger@example.jp"))
    attachment = submission.attachments.get()
    assert client.get(reverse("procedures:attachment", args=[attachment.pk])).status_code == 404
    assert client.get(reverse("procedures:pdf", args=[submission.pk])).status_code == 404


def test_the_departments_staff_get_them_and_another_departments_do_not(
    procedure: Procedure, submission: Submission
) -> None:
    attachment = submission.attachments.get()
    urls = [
        reverse("procedures:staff_attachment", args=[attachment.pk]),
        reverse("procedures:staff_pdf", args=[submission.pk]),
    ]
    clerk = signed_in(staff_of(procedure.department, *PERMISSIONS))
    assert_private_download(clerk.get(urls[0]), attachment.file.open("rb").read(), "image/png")
    assert_private_download(clerk.get(urls[1]), b"%PDF-1.7 signed", "application/pdf")
    other = signed_in(
        staff_of(DepartmentFactory.create(code="fukushi", name="福祉課"), *PERMISSIONS)
    )
    for url in urls:
        assert other.get(url).status_code == 404


# --- files kept under MEDIA_ROOT before ------------------------------------------------------------


def migration() -> Any:
    [module] = [p.stem for p in MIGRATIONS.glob("*_private_files*.py")]
    return importlib.import_module(f"yakuba.modules.procedures.migrations.{module}")


def test_the_migration_moves_files_from_media_root_to_the_private_folder(
    submission: Submission, settings: Any, _private_files: Path
) -> None:
    attachment = submission.attachments.get()
    content = attachment.file.open("rb").read()
    # As an older Yakuba left them: in the default storage, under MEDIA_ROOT.
    for stored in (attachment.file, submission.pdf):
        data = stored.open("rb").read()
        stored.storage.delete(stored.name)
        default_storage.save(stored.name, ContentFile(data))
    untouched = Attachment.objects.create(
        submission=submission,
        field_key="request.proof",
        original_name="lost.png",
        content_type="image/png",
        size=1,
        sha256="0" * 64,
        file="procedures/attachments/00/missing",
    )

    migration().move_files_to_private(apps, None)

    assert not files_under(settings.MEDIA_ROOT)
    assert len(files_under(_private_files)) == 2
    client = signed_in(submission.applicant)  # type: ignore[arg-type]
    response = client.get(reverse("procedures:attachment", args=[attachment.pk]))
    assert body(response) == content
    response = client.get(reverse("procedures:pdf", args=[submission.pk]))
    assert body(response) == b"%PDF-1.7 signed"
    # A row whose file was lost before stays as it was (its download is 404, as before).
    assert client.get(reverse("procedures:attachment", args=[untouched.pk])).status_code == 404


def test_the_migration_runs_again_without_harm_and_goes_back(
    submission: Submission, settings: Any, _private_files: Path
) -> None:
    module = migration()
    module.move_files_to_private(apps, None)
    assert len(files_under(_private_files)) == 2

    module.move_files_to_media_root(apps, None)

    assert not files_under(_private_files)
    assert len(files_under(settings.MEDIA_ROOT)) == 2
