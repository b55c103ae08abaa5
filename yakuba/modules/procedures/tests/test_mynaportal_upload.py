"""The staff page that takes in a package downloaded from マイナポータル: who may upload, what the
result shows (the new submissions linked, those imported before skipped, another department's
named without a link), every problem of a refused package in plain Japanese with nothing saved,
files that are not packages, the size limit, and the audit of what was created."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from yakuba.modules.procedures import mynaportal
from yakuba.modules.procedures.models import Attachment, Procedure, Submission
from yakuba.modules.procedures.tests.resident_helpers import make_procedure, make_resident
from yakuba.modules.procedures.tests.test_backoffice import staff_of
from yakuba.modules.procedures.tests.test_mynaportal import (
    PDF,
    application_xml,
    definition,
    one_application,
    package,
)
from yakuba.platform.accounts.models import User
from yakuba.platform.accounts.tests.factories import DepartmentFactory
from yakuba.platform.audit.models import AuditAction, AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("staff_settings")]


@pytest.fixture
def procedure() -> Procedure:
    """The procedure of the packages' test form (test_mynaportal.definition)."""
    return make_procedure(definition=definition())


def upload_url() -> str:
    return reverse("procedures:staff_mynaportal")


def upload(user: User, content: bytes, name: str = "shinsei.zip") -> Any:
    client = Client()
    client.force_login(user)
    return client.post(upload_url(), {"package": SimpleUploadedFile(name, content)})


def assert_nothing_saved() -> None:
    assert not Submission.objects.exists()
    assert not Attachment.objects.exists()


def test_uploading_needs_the_permission_to_process_applications(procedure: Procedure) -> None:
    response = Client().get(upload_url())
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for user in (make_resident(), staff_of(procedure.department, "procedures.view_submission")):
        client = Client()
        client.force_login(user)
        assert client.get(upload_url()).status_code == 403
        assert upload(user, one_application()).status_code == 403
    assert_nothing_saved()


def test_the_page_says_what_to_upload_and_the_limit(clerk: User) -> None:
    client = Client()
    client.force_login(clerk)
    page = client.get(upload_url()).content.decode()
    assert "申請データのファイル（ZIPまたはXML）" in page
    assert "200MBまで" in page


def test_a_package_becomes_submissions_linked_from_the_result(clerk: User) -> None:
    response = upload(clerk, one_application("A0001"))

    submission = Submission.objects.get()
    page = response.content.decode()
    assert response.status_code == 200
    assert "「shinsei.zip」を取り込みました" in page
    assert "新しい申請 1件" in page and "取り込み済みで飛ばしたもの 0件" in page
    assert reverse("procedures:staff_submission", args=[submission.pk]) in page
    assert submission.receipt_number in page and "A0001" in page
    assert submission.source == Submission.Source.MYNAPORTAL


def test_each_new_submission_is_audited_as_created_by_the_uploader(clerk: User) -> None:
    upload(clerk, one_application("A0001"))

    submission = Submission.objects.get()
    entry = AuditEntry.objects.get(
        action=AuditAction.CREATE,
        object_type="procedures.submission",
        object_id=str(submission.pk),
        reason="mynaportal",
    )
    assert entry.actor_id == clerk.pk
    assert entry.changes["external_reference"] == "A0001"
    assert entry.changes["package"] == "shinsei.zip"


def test_a_package_uploaded_again_adds_nothing_and_links_what_was_there(clerk: User) -> None:
    upload(clerk, one_application("A0001"))
    first = Submission.objects.get()

    page = upload(clerk, one_application("A0001")).content.decode()

    assert Submission.objects.count() == 1
    assert "新しい申請 0件" in page and "取り込み済みで飛ばしたもの 1件" in page
    assert "申請番号 A0001" in page
    assert reverse("procedures:staff_submission", args=[first.pk]) in page


def test_one_applications_xml_can_be_uploaded_alone(clerk: User) -> None:
    response = upload(clerk, application_xml("X0001"), name="X0001.xml")
    assert response.status_code == 200
    assert Submission.objects.get().external_reference == "X0001"


def test_another_departments_application_is_taken_in_without_a_link(
    procedure: Procedure, clerk: User
) -> None:
    other = DepartmentFactory.create(code="fukushi", name="福祉課")
    Procedure.objects.filter(pk=procedure.pk).update(department=other)

    page = upload(clerk, one_application("A0001")).content.decode()

    submission = Submission.objects.get()
    assert submission.receipt_number in page
    assert reverse("procedures:staff_submission", args=[submission.pk]) not in page
    assert "福祉課の担当" in page


def test_every_refused_application_is_named_and_nothing_is_taken_in(clerk: User) -> None:
    content = package(
        {
            "A0001/A0001.xml": application_xml("A0001"),
            "A0002/A0002.xml": application_xml("A0002", copies="99"),
            "A0003/A0003.xml": application_xml("A0003", procedure_id="9999"),
        }
    )

    response = upload(clerk, content)

    page = response.content.decode()
    assert response.status_code == 400
    assert "「shinsei.zip」は取り込めませんでした。何も取り込んでいません。" in page
    assert "「A0002/A0002.xml」（申請番号 A0002）を取り込めません" in page
    assert "手続ID「9999」に対応する手続きがありません。" in page
    assert_nothing_saved()


def test_the_import_names_every_application_it_refuses(procedure: Procedure) -> None:
    content = package(
        {
            "A0001/A0001.xml": application_xml("A0001", copies="99"),
            "A0002/A0002.xml": application_xml("A0002", procedure_id="9999"),
        }
    )
    with pytest.raises(mynaportal.PackageError) as refused:
        mynaportal.import_package(content, by=None)
    assert len(refused.value.problems) == 2
    assert "A0001" in refused.value.problems[0] and "A0002" in refused.value.problems[1]
    assert str(refused.value) == "\n".join(refused.value.problems)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (PDF, "ZIPファイルでもXMLファイルでもありません。"),
        (b"PK\x03\x04 not really a zip", "ZIPファイルとして読めません。"),
        (b"<?xml version='1.0'?><other/>", "申請データ（ルート要素が「申請データ」のXML）"),
        (package({"readme.txt": b"hello"}), "ZIPファイルの中に申請データ"),
    ],
)
def test_a_file_that_is_not_a_package_gets_a_clear_message(
    clerk: User, content: bytes, message: str
) -> None:
    response = upload(clerk, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert_nothing_saved()


def test_a_file_over_the_limit_is_refused_before_it_is_read(
    clerk: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mynaportal, "MAX_PACKAGE_BYTES", 1024 * 1024)
    content = package({"A0001/A0001.xml": application_xml("A0001"), "big.bin": b"x" * 2**21})

    response = upload(clerk, content)

    page = response.content.decode()
    assert response.status_code == 400
    assert "ファイルが大きすぎます" in page and "1MBまでのファイルにしてください。" in page
    assert_nothing_saved()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "取り込むファイルを選んでください。"),
        ({"package": SimpleUploadedFile("empty.zip", b"")}, "ファイルが空です。"),
    ],
)
def test_the_form_asks_for_a_file(clerk: User, data: dict[str, Any], message: str) -> None:
    client = Client()
    client.force_login(clerk)
    response = client.post(upload_url(), data)
    assert response.status_code == 400
    assert message in response.content.decode()
