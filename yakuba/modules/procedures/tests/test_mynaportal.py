"""Taking in applications from マイナポータル (ぴったりサービス): packages built here in the shape the
module docstring of `mynaportal.py` describes — imported once, imported twice (nothing new), refused
whole with a clear message (unknown 手続ID, broken XML, answers the form refuses, a missing or
wrong attachment), attachments kept, and the management command."""

from __future__ import annotations

import copy
import io
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from yakuba.modules.procedures import engine
from yakuba.modules.procedures.models import (
    Attachment,
    Event,
    ReceiptCounter,
    Status,
    Submission,
)
from yakuba.modules.procedures.mynaportal import PackageError, import_package
from yakuba.modules.procedures.tests.resident_helpers import DEFINITION, make_procedure
from yakuba.platform.accounts.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

PROCEDURE_ID = "0432310000000001"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"

MAPPING: dict[str, Any] = {
    "procedure_ids": [PROCEDURE_ID],
    "applicant_name": "申請者/氏名",
    "items": {
        "申請者/氏名": "applicant.name",
        "申請者/電話番号": "applicant.phone",
        "請求内容/通数": "request.copies",
        "請求内容/受取方法": "request.delivery",
    },
    "attachments": {"本人確認書類": "request.proof"},
}

CHILDREN_SECTION: dict[str, Any] = {
    "key": "children",
    "title": {"ja": "対象となる子ども", "en": "Children"},
    "fields": [
        {
            "key": "children",
            "type": "group",
            "label": {"ja": "子ども", "en": "Child"},
            "fields": [
                {"key": "name", "type": "text", "label": {"ja": "氏名", "en": "Name"}},
                {
                    "key": "birth_date",
                    "type": "date",
                    "label": {"ja": "生年月日", "en": "Date of birth"},
                    "era": True,
                },
            ],
        }
    ],
}


def definition(**mapping: Any) -> dict[str, Any]:
    result = copy.deepcopy(DEFINITION)
    result["mynaportal"] = {**copy.deepcopy(MAPPING), **mapping}
    return result


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def procedure() -> Any:
    return make_procedure(definition=definition())


def application_xml(
    number: str = "A0001",
    *,
    procedure_id: str = PROCEDURE_ID,
    copies: str = "2",
    delivery: str = "窓口で受け取る",
    files: dict[str, str] | None = None,
    form_extra: str = "",
    encoding: str = "UTF-8",
) -> bytes:
    attachments = "".join(
        f"<添付ファイル><項目名>{item}</項目名><ファイル名>{name}</ファイル名></添付ファイル>"
        for item, name in (files or {}).items()
    )
    text = f"""<?xml version="1.0" encoding="{encoding}"?>
<申請データ>
  <申請情報>
    <申請番号>{number}</申請番号>
    <手続ID>{procedure_id}</手続ID>
    <手続名>住民票の写しの交付請求</手続名>
    <申請日時>2026-04-01T10:15:00+09:00</申請日時>
  </申請情報>
  <DataRoot>
    <様式ID>043231000000000001</様式ID>
    <様式バージョン>0001</様式バージョン>
    <申請者><氏名>亘理 花子</氏名><電話番号>０２２３－３４－１１１１</電話番号></申請者>
    <請求内容><通数>{copies}</通数><受取方法>{delivery}</受取方法></請求内容>
    {form_extra}
  </DataRoot>
  <添付書類>{attachments}</添付書類>
</申請データ>
"""
    # Windows' Shift_JIS is cp932 (with － and other characters plain Shift_JIS lacks).
    return text.encode("cp932" if encoding == "Shift_JIS" else encoding)


def package(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def one_application(number: str = "A0001", **xml: Any) -> bytes:
    return package(
        {
            f"{number}/{number}.xml": application_xml(
                number, files={"本人確認書類": "免許証.pdf"}, **xml
            ),
            f"{number}/免許証.pdf": PDF,
        }
    )


def assert_nothing_saved() -> None:
    assert not Submission.objects.exists()
    assert not Attachment.objects.exists()
    assert not ReceiptCounter.objects.filter(last__gt=0).exists()


# --- imported once --------------------------------------------------------------------------------


def test_an_application_becomes_a_submission_in_the_back_office(procedure: Any) -> None:
    staff = StaffFactory.create()

    result = import_package(one_application(), by=staff)

    submission = Submission.objects.get()
    assert result.created == [submission]
    assert result.already_imported == []
    assert submission.source == Submission.Source.MYNAPORTAL
    assert submission.external_reference == "A0001"
    assert submission.procedure == procedure
    assert submission.form_version == procedure.current_version()
    assert submission.department == procedure.department
    assert submission.applicant is None
    assert (submission.applicant_name, submission.subject_name) == ("亘理 花子", "亘理 花子")
    assert submission.receipt_number.endswith("-000001")
    assert submission.submitted_at == datetime(2026, 4, 1, 10, 15, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert submission.status == Status.RECEIVED
    assert submission.fee_amount == 600


def test_items_are_mapped_to_the_forms_answers_and_frozen_with_their_digest(
    procedure: Any,
) -> None:
    import_package(one_application(), by=None)

    submission = Submission.objects.get()
    answers = submission.answers
    assert answers["applicant"] == {"name": "亘理 花子", "phone": "0223-34-1111"}
    # The option's label as ぴったりサービス shows it becomes the form's value.
    assert answers["request"]["copies"] == 2
    assert answers["request"]["delivery"] == "pickup"
    assert submission.digest == engine.digest(answers)


def test_the_receipt_is_the_first_step_of_the_history(procedure: Any) -> None:
    staff = StaffFactory.create()

    import_package(one_application(), by=staff)

    event = Event.objects.get()
    assert (event.kind, event.status, event.author) == (
        Event.Kind.STATUS,
        Status.RECEIVED,
        staff,
    )
    assert "A0001" in event.text


def test_attachments_are_kept_with_the_submission(procedure: Any) -> None:
    import_package(one_application(), by=None)

    submission = Submission.objects.get()
    attachment = Attachment.objects.get()
    assert attachment.submission == submission
    assert (attachment.field_key, attachment.original_name) == ("request.proof", "免許証.pdf")
    assert attachment.content_type == "application/pdf"
    with attachment.file.open("rb") as handle:
        assert handle.read() == PDF
    proof = submission.answers["request"]["proof"]
    assert proof["attachment_id"] == attachment.pk
    assert proof["sha256"] == attachment.sha256


def test_a_package_holds_many_applications(procedure: Any) -> None:
    entries = {
        "A0001/申請.xml": application_xml("A0001"),
        "A0002/申請.xml": application_xml("A0002", copies="1"),
        "一覧.xml": "<一覧><件数>2</件数></一覧>".encode(),
    }

    result = import_package(package(entries), by=None)

    assert [s.external_reference for s in result.created] == ["A0001", "A0002"]
    assert [s.fee_amount for s in result.created] == [600, 300]


def test_one_applications_xml_is_a_package_too(procedure: Any) -> None:
    result = import_package(application_xml("A0009"), by=None)

    assert result.created[0].external_reference == "A0009"


class WindowsName(zipfile.ZipInfo):
    """An entry as Windows' Explorer writes it: the name in Shift_JIS, no UTF-8 flag (the
    standard library would write any non-ASCII name as UTF-8 and flag it)."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("cp437"), self.flag_bits


def test_xml_in_shift_jis_and_zip_names_from_windows_are_read(procedure: Any) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        xml = application_xml("A0003", files={"本人確認書類": "免許証.pdf"}, encoding="Shift_JIS")
        for name, content in (("申請/A0003.xml", xml), ("申請/免許証.pdf", PDF)):
            archive.writestr(WindowsName(name.encode("cp932").decode("cp437")), content)

    import_package(buffer.getvalue(), by=None)

    assert Submission.objects.get().applicant_name == "亘理 花子"
    assert Attachment.objects.get().original_name == "免許証.pdf"


def test_repeated_items_fill_a_group_and_e_gov_dates_are_read() -> None:
    form = definition(
        items={
            **MAPPING["items"],
            "対象児童": {
                "to": "children.children",
                "items": {"氏名": "name", "生年月日": "birth_date"},
            },
        }
    )
    form["sections"].append(CHILDREN_SECTION)
    make_procedure(definition=form)
    children = (
        "<対象児童><氏名>亘理 さくら</氏名>"
        "<生年月日><年号>令和</年号><年>2</年><月>5</月><日>1</日></生年月日></対象児童>"
        "<対象児童><氏名>亘理 みなと</氏名><生年月日>2023-01-15</生年月日></対象児童>"
    )

    import_package(application_xml(form_extra=children), by=None)

    assert Submission.objects.get().answers["children"]["children"] == [
        {"name": "亘理 さくら", "birth_date": "2020-05-01"},
        {"name": "亘理 みなと", "birth_date": "2023-01-15"},
    ]


# --- imported twice -------------------------------------------------------------------------------


def test_a_package_imported_twice_creates_nothing_new(procedure: Any) -> None:
    content = one_application()
    import_package(content, by=None)

    again = import_package(content, by=None)

    assert again.created == []
    assert again.already_imported == ["A0001"]
    assert Submission.objects.count() == 1
    assert Attachment.objects.count() == 1
    assert ReceiptCounter.objects.get().last == 1


def test_the_same_application_twice_in_one_package_is_taken_once(procedure: Any) -> None:
    entries = {"a/A0001.xml": application_xml("A0001"), "b/A0001.xml": application_xml("A0001")}

    result = import_package(package(entries), by=None)

    assert (len(result.created), result.already_imported) == (1, ["A0001"])


# --- refused whole --------------------------------------------------------------------------------


def test_an_unknown_procedure_id_is_refused_and_nothing_is_saved(procedure: Any) -> None:
    entries = {
        "A0001.xml": application_xml("A0001"),
        "A0002.xml": application_xml("A0002", procedure_id="9999"),
    }

    with pytest.raises(PackageError) as refused:
        import_package(package(entries), by=None)

    assert "9999" in str(refused.value)
    assert "A0002" in str(refused.value)
    assert_nothing_saved()


@pytest.mark.parametrize(
    "content",
    [
        "<?xml version='1.0'?><申請データ><申請情報>".encode(),
        package({"A0001.xml": "<申請データ><申請情報></DataRoot>".encode()}),
    ],
    ids=["xml", "xml-in-zip"],
)
def test_broken_xml_is_refused_with_a_clear_message(procedure: Any, content: bytes) -> None:
    with pytest.raises(PackageError) as refused:
        import_package(content, by=None)

    assert "XMLとして読めません" in str(refused.value)
    assert_nothing_saved()


def test_xml_entities_are_refused(procedure: Any) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><root>&b;</root>'
    )

    with pytest.raises(PackageError, match="XMLとして読めません"):
        import_package(bomb, by=None)


def test_a_file_that_is_neither_zip_nor_xml_is_refused(procedure: Any) -> None:
    with pytest.raises(PackageError):
        import_package(PDF, by=None)


def test_a_zip_without_applications_is_refused(procedure: Any) -> None:
    with pytest.raises(PackageError) as refused:
        import_package(package({"readme.txt": b"hello"}), by=None)

    assert "申請データ" in str(refused.value)


def test_answers_the_form_refuses_stop_the_whole_package(procedure: Any) -> None:
    entries = {
        "A0001/A0001.xml": application_xml("A0001", files={"本人確認書類": "a.pdf"}),
        "A0001/a.pdf": PDF,
        "A0002/A0002.xml": application_xml("A0002", copies="99"),
    }

    with pytest.raises(PackageError) as refused:
        import_package(package(entries), by=None)

    assert "A0002" in str(refused.value)
    assert "通数" in str(refused.value)
    assert_nothing_saved()


def test_a_missing_attachment_is_refused(procedure: Any) -> None:
    entries = {"A0001.xml": application_xml(files={"本人確認書類": "ない.pdf"})}

    with pytest.raises(PackageError) as refused:
        import_package(package(entries), by=None)

    assert "ない.pdf" in str(refused.value)
    assert_nothing_saved()


def test_an_attachment_of_a_kind_the_field_does_not_take_is_refused(procedure: Any) -> None:
    entries = {
        "A0001.xml": application_xml(files={"本人確認書類": "card.pdf"}),
        "card.pdf": b"MZ\x90\x00 not a pdf",
    }

    with pytest.raises(PackageError) as refused:
        import_package(package(entries), by=None)

    assert "PDF" in str(refused.value)
    assert_nothing_saved()


def test_an_attachment_the_mapping_does_not_name_is_refused(procedure: Any) -> None:
    entries = {"A0001.xml": application_xml(files={"委任状": "inin.pdf"}), "inin.pdf": PDF}

    with pytest.raises(PackageError) as refused:
        import_package(package(entries), by=None)

    assert "委任状" in str(refused.value)


class RefusingCollector:
    def request(self, fee: Any) -> str:
        raise RuntimeError("collector down")


def test_a_failure_after_files_were_stored_leaves_no_file_behind(
    procedure: Any, settings: Any, _private_files: Path
) -> None:
    settings.PAYMENTS_FEE_COLLECTOR = f"{__name__}.RefusingCollector"

    with pytest.raises(RuntimeError):
        import_package(one_application(), by=None)

    assert_nothing_saved()
    assert not any(path.is_file() for path in _private_files.rglob("*"))


# --- the command ----------------------------------------------------------------------------------


def test_the_command_imports_a_package(procedure: Any, tmp_path: Path) -> None:
    path = tmp_path / "pittari.zip"
    path.write_bytes(one_application())
    StaffFactory.create(email="clerk@example.jp")
    out = io.StringIO()

    call_command("procedures_import_mynaportal", str(path), "--by", "clerk@example.jp", stdout=out)

    assert "1 application(s) imported" in out.getvalue()
    author = Submission.objects.get().events.get().author
    assert author is not None
    assert author.email == "clerk@example.jp"


def test_the_command_reports_a_refused_package(procedure: Any, tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    path.write_bytes("<申請データ>".encode())

    with pytest.raises(CommandError, match="XML"):
        call_command("procedures_import_mynaportal", str(path))
