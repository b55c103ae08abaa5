"""The form builder (様式の作成・編集): procedures' settings, the working copy and every edit on it,
the whole definition edited as JSON, refusals that change nothing, publishing versions that never
change, sharing definitions between towns (export → import), each department editing only its
own procedures, and the staff pages with their permissions."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from yakuba.core.models import Municipality
from yakuba.modules.procedures import builder, builder_urls, formdef
from yakuba.modules.procedures.catalogue import CATALOGUE_DIR, load_catalogue
from yakuba.modules.procedures.models import FormVersion, Procedure, Submission
from yakuba.platform.accounts.models import Department, StaffMember, User
from yakuba.platform.accounts.tests.factories import DepartmentFactory, StaffFactory, UserFactory
from yakuba.platform.audit.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db

CHANGE = "procedures.change_procedure"


@pytest.fixture
def chomin() -> Department:
    return DepartmentFactory.create(code="chomin", name="町民生活課")


@pytest.fixture
def clerk(chomin: Department) -> User:
    user: User = StaffFactory.create(permissions=[CHANGE])
    return user


@pytest.fixture
def fukushi() -> Department:
    return DepartmentFactory.create(code="fukushi", name="福祉課")


def staff_of(department: Department, *permissions: str) -> User:
    user: User = StaffFactory.create(permissions=list(permissions))
    StaffMember.objects.filter(user=user).update(department=department)
    return user


@pytest.fixture
def stranger(chomin: Department, fukushi: Department) -> User:
    """A clerk of 福祉課 who may edit procedures, but not 町民生活課's."""
    return staff_of(fukushi, CHANGE)


@pytest.fixture
def superuser() -> User:
    user: User = UserFactory.create(is_staff=True, is_superuser=True)
    return user


@pytest.fixture
def juminhyo(chomin: Department, tmp_path: Path) -> Procedure:
    """住民票の写し from the shipped catalogue, published as version 1."""
    shutil.copy(CATALOGUE_DIR / "juminhyo.json", tmp_path)
    load_catalogue(directory=tmp_path)
    return Procedure.objects.get(code="juminhyo")


def definition_of(procedure: Procedure) -> dict[str, Any]:
    version = builder.working_copy(procedure)
    assert version is not None
    return version.definition


def settings(department: Department, **values: Any) -> dict[str, Any]:
    return {
        "title": "犬の登録",
        "title_en": "Dog registration",
        "summary": "",
        "summary_en": "",
        "eligibility": "",
        "eligibility_en": "",
        "department": department,
        "category": "other",
        "life_events": [],
        "applicant_kinds": ["self"],
        "required_documents": "",
        "required_documents_en": "",
        "fee_kind": "none",
        "fee_amount": None,
        "identity_check": False,
        "target_days": 5,
        "statuses": ["completed", "received"],
        "keywords": "犬 登録",
        "is_published": False,
        **values,
    }


def text_field(key: str, label: str = "ラベル", **values: Any) -> dict[str, Any]:
    return {"key": key, "type": "text", "label": {"ja": label, "en": "Label"}, **values}


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- settings ----------------------------------------------------------------------------------


def test_a_new_procedure_is_unpublished_with_a_starter_working_copy(
    clerk: User, chomin: Department
) -> None:
    procedure = builder.create_procedure(by=clerk, code="inu", settings=settings(chomin))

    assert procedure.is_published is False
    assert procedure.current_version() is None
    working = builder.working_copy(procedure)
    assert working is not None and working.number == 1
    formdef.parse(working.definition)
    # Statuses in the module's order; kana readings of the kanji words and the title added.
    assert procedure.statuses == ["received", "completed"]
    assert procedure.keywords.split()[:2] == ["犬", "登録"]
    assert "いぬ" in procedure.keywords.split() and "とうろく" in procedure.keywords.split()
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_id=str(procedure.pk))


def test_settings_change_and_refuse_statuses_without_received(
    clerk: User, chomin: Department, juminhyo: Procedure
) -> None:
    builder.update_procedure(
        juminhyo, by=clerk, settings=settings(chomin, title="住民票", target_days=2)
    )
    juminhyo.refresh_from_db()
    assert juminhyo.title == "住民票" and juminhyo.target_days == 2

    with pytest.raises(ValidationError):
        builder.update_procedure(
            juminhyo, by=clerk, settings=settings(chomin, statuses=["completed"])
        )
    juminhyo.refresh_from_db()
    assert juminhyo.statuses == ["received", "completed"]


def test_settings_too_long_are_refused_and_nothing_is_saved(
    clerk: User, chomin: Department, juminhyo: Procedure
) -> None:
    with pytest.raises(ValidationError):
        builder.update_procedure(juminhyo, by=clerk, settings=settings(chomin, title="あ" * 201))
    juminhyo.refresh_from_db()
    assert juminhyo.title == "住民票の写し等の交付請求"


# --- the working copy --------------------------------------------------------------------------


def test_editing_starts_from_the_published_form(clerk: User, juminhyo: Procedure) -> None:
    published = juminhyo.current_version()
    assert published is not None
    working = builder.start_working_copy(juminhyo, by=clerk)

    assert working.number == 2 and working.published_at is None
    assert working.definition == formdef.to_json(formdef.parse(published.definition))
    assert builder.start_working_copy(juminhyo, by=clerk) == working


def test_sections_are_added_edited_moved_and_removed(clerk: User, juminhyo: Procedure) -> None:
    builder.add_section(
        juminhyo,
        by=clerk,
        section={"key": "extra", "title": {"ja": "追加"}, "fields": [text_field("memo")]},
        position=0,
    )
    assert [s["key"] for s in definition_of(juminhyo)["sections"]][:2] == ["extra", "applicant"]

    builder.edit_section(
        juminhyo,
        by=clerk,
        key="extra",
        section={"key": "extra2", "title": {"ja": "その他", "en": "Other"}},
    )
    section = definition_of(juminhyo)["sections"][0]
    assert section["key"] == "extra2" and section["title"]["en"] == "Other"
    assert section["fields"][0]["key"] == "memo"

    builder.move_section(juminhyo, by=clerk, key="extra2", offset=1)
    assert [s["key"] for s in definition_of(juminhyo)["sections"]][:2] == ["applicant", "extra2"]

    builder.remove_section(juminhyo, by=clerk, key="extra2")
    assert "extra2" not in [s["key"] for s in definition_of(juminhyo)["sections"]]


def test_fields_are_added_edited_moved_and_removed_with_every_attribute(
    clerk: User, juminhyo: Procedure
) -> None:
    choice = {
        "key": "colour",
        "type": "choice",
        "label": {"ja": "色", "en": "Colour"},
        "help": {"ja": "一つ選びます"},
        "required": True,
        "options": [
            {"value": "red", "label": {"ja": "赤", "en": "Red"}},
            {"value": "blue", "label": {"ja": "青"}},
        ],
    }
    builder.add_field(juminhyo, by=clerk, section="applicant", field=choice)
    builder.add_field(
        juminhyo,
        by=clerk,
        section="applicant",
        field=text_field("shade", max_length=20, show_if={"field": "colour", "equals": "blue"}),
    )
    builder.add_field(
        juminhyo,
        by=clerk,
        section="applicant",
        field={
            "key": "photo",
            "type": "file",
            "label": {"ja": "写真"},
            "accept": ["jpeg", "png"],
            "max_mb": 5,
        },
    )
    fields = definition_of(juminhyo)["sections"][0]["fields"]
    assert [f["key"] for f in fields][-3:] == ["colour", "shade", "photo"]
    assert fields[-3] == choice

    builder.edit_field(
        juminhyo,
        by=clerk,
        section="applicant",
        key="shade",
        field=text_field("tone", "色合い", required=True),
    )
    fields = definition_of(juminhyo)["sections"][0]["fields"]
    assert fields[-2] == text_field("tone", "色合い", required=True)

    builder.move_field(juminhyo, by=clerk, section="applicant", key="photo", offset=-1)
    assert [f["key"] for f in definition_of(juminhyo)["sections"][0]["fields"]][-2:] == [
        "photo",
        "tone",
    ]
    builder.remove_field(juminhyo, by=clerk, section="applicant", key="photo")
    assert "photo" not in [f["key"] for f in definition_of(juminhyo)["sections"][0]["fields"]]


def test_a_groups_fields_are_edited_and_a_group_keeps_them(
    clerk: User, juminhyo: Procedure
) -> None:
    builder.add_field(
        juminhyo,
        by=clerk,
        section="certificate",
        group="persons",
        field={"key": "relation", "type": "text", "label": {"ja": "続柄"}},
    )
    builder.move_field(
        juminhyo, by=clerk, section="certificate", group="persons", key="relation", offset=-1
    )
    persons = builder.find_field(definition_of(juminhyo), "certificate", "persons")
    assert [f["key"] for f in persons["fields"]] == ["name", "relation", "birth_date"]

    edited = {k: v for k, v in persons.items() if k != "fields"} | {"max": 5}
    builder.edit_field(juminhyo, by=clerk, section="certificate", key="persons", field=edited)
    persons = builder.find_field(definition_of(juminhyo), "certificate", "persons")
    assert persons["max"] == 5 and len(persons["fields"]) == 3


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(
            lambda p, by: builder.add_field(
                p,
                by=by,
                section="applicant",
                field=text_field("x", show_if={"field": "nowhere", "equals": "a"}),
            ),
            id="show_if-unknown",
        ),
        pytest.param(
            lambda p, by: builder.add_field(
                p, by=by, section="applicant", field=text_field("name")
            ),
            id="duplicate-key",
        ),
        pytest.param(
            lambda p, by: builder.move_field(
                p, by=by, section="receive", key="purpose_other", offset=-1
            ),
            id="condition-before-its-field",
        ),
        pytest.param(
            lambda p, by: builder.remove_field(p, by=by, section="declaration", key="agree"),
            id="empty-section",
        ),
        pytest.param(
            lambda p, by: builder.remove_field(p, by=by, section="receive", key="copies"),
            id="fee-field",
        ),
        pytest.param(
            lambda p, by: builder.move_section(p, by=by, key="applicant", offset=-1),
            id="first-section-up",
        ),
        pytest.param(
            lambda p, by: builder.edit_field(p, by=by, section="applicant", key="nope", field={}),
            id="unknown-field",
        ),
    ],
)
def test_a_refused_edit_changes_nothing_and_starts_no_working_copy(
    clerk: User, juminhyo: Procedure, edit: Any
) -> None:
    before = list(FormVersion.objects.values_list("number", "definition"))

    with pytest.raises(ValidationError) as refused:
        edit(juminhyo, clerk)

    assert refused.value.messages
    assert list(FormVersion.objects.values_list("number", "definition")) == before


def test_the_definition_errors_are_the_ones_staff_see(clerk: User, juminhyo: Procedure) -> None:
    builder.start_working_copy(juminhyo, by=clerk)
    before = definition_of(juminhyo)
    with pytest.raises(ValidationError) as refused:
        builder.add_field(
            juminhyo,
            by=clerk,
            section="applicant",
            field={"key": "age", "type": "number", "label": {"ja": "年齢"}, "min": 9, "max": 1},
        )
    assert any("min" in message and "age" in message for message in refused.value.messages)
    assert definition_of(juminhyo) == before


def test_a_condition_is_typed_as_the_field_it_depends_on(juminhyo: Procedure) -> None:
    definition = juminhyo.versions.get().definition
    assert builder.condition(
        definition, section="declaration", group=None, field="agree", values=["true"]
    ) == {"field": "agree", "equals": True}
    assert builder.condition(
        definition, section="receive", group=None, field="copies", values=["1", "2"]
    ) == {"field": "copies", "in": [1, 2]}
    assert builder.condition(
        definition, section="receive", group=None, field="receive.delivery", values=["mail"]
    ) == {"field": "receive.delivery", "equals": "mail"}


# --- publishing --------------------------------------------------------------------------------


def make_submission(procedure: Procedure, version: FormVersion) -> Submission:
    return Submission.objects.create(
        receipt_number=f"2026-{Submission.objects.count() + 1:06d}",
        procedure=procedure,
        form_version=version,
        applicant_kind="self",
        applicant_name="亘理 花子",
        subject_name="亘理 花子",
        answers={},
        digest="0" * 64,
        department=procedure.department,
        source="web",
    )


def test_publishing_makes_a_new_version_and_old_submissions_keep_theirs(
    clerk: User, juminhyo: Procedure
) -> None:
    first = juminhyo.current_version()
    assert first is not None
    first_definition = copy.deepcopy(first.definition)
    submission = make_submission(juminhyo, first)
    builder.add_field(juminhyo, by=clerk, section="applicant", field=text_field("memo"))

    version = builder.publish_version(juminhyo, by=clerk, note="メモ欄を追加")

    assert version.number == 2 and version.published_at is not None
    assert version.note == "メモ欄を追加" and version.created_by == clerk
    assert juminhyo.current_version() == version
    assert builder.working_copy(juminhyo) is None
    submission.refresh_from_db()
    first.refresh_from_db()
    assert submission.form_version == first and first.definition == first_definition

    # Editing again never touches a published version: it starts version 3.
    builder.remove_field(juminhyo, by=clerk, section="applicant", key="memo")
    version.refresh_from_db()
    assert "memo" in [f["key"] for f in version.definition["sections"][0]["fields"]]
    assert builder.working_copy(juminhyo).number == 3  # type: ignore[union-attr]


@pytest.mark.parametrize("note", ["", "   "])
def test_publishing_needs_a_note(clerk: User, juminhyo: Procedure, note: str) -> None:
    builder.add_field(juminhyo, by=clerk, section="applicant", field=text_field("memo"))
    with pytest.raises(ValidationError):
        builder.publish_version(juminhyo, by=clerk, note=note)
    assert builder.working_copy(juminhyo) is not None


def test_publishing_an_unchanged_copy_or_nothing_is_refused(
    clerk: User, juminhyo: Procedure
) -> None:
    with pytest.raises(ValidationError):
        builder.publish_version(juminhyo, by=clerk, note="なし")
    builder.start_working_copy(juminhyo, by=clerk)
    with pytest.raises(ValidationError):
        builder.publish_version(juminhyo, by=clerk, note="同じ")
    assert juminhyo.versions.filter(published_at__isnull=False).count() == 1


def test_a_procedure_with_a_fee_needs_a_fee_rule_to_publish(
    clerk: User, juminhyo: Procedure
) -> None:
    builder.set_fee(juminhyo, by=clerk, fee=None)
    with pytest.raises(ValidationError, match="手数料"):
        builder.publish_version(juminhyo, by=clerk, note="手数料なし")
    builder.set_fee(juminhyo, by=clerk, fee={"rule": "fixed", "yen": 200})
    version = builder.publish_version(juminhyo, by=clerk, note="定額に")
    assert version.definition["fee"] == {"rule": "fixed", "yen": 200}


def test_discarding_the_working_copy_keeps_the_published_form(
    clerk: User, juminhyo: Procedure
) -> None:
    builder.add_field(juminhyo, by=clerk, section="applicant", field=text_field("memo"))
    builder.discard_working_copy(juminhyo, by=clerk)
    assert builder.working_copy(juminhyo) is None
    assert juminhyo.versions.count() == 1
    with pytest.raises(ValidationError):
        builder.discard_working_copy(juminhyo, by=clerk)


# --- sharing -----------------------------------------------------------------------------------


@pytest.fixture
def town() -> Municipality:
    return Municipality.objects.create(
        name="亘理町",
        code="043231",
        prefecture="宮城県",
        map_center_latitude=38.03,
        map_center_longitude=140.85,
    )


def test_export_then_import_into_a_fresh_procedure_round_trips(
    clerk: User, juminhyo: Procedure, town: Municipality
) -> None:
    juminhyo.required_documents_en = "Proof of identity"
    juminhyo.save()
    exported = json.loads(builder.export_definition(juminhyo, by=clerk))
    assert exported["format"] == builder.SHARE_FORMAT
    assert exported["exported_from"] == {"name": "亘理町", "code": "043231"}
    assert exported["procedure"]["department"] == {"code": "chomin", "name": "町民生活課"}
    exported["procedure"]["code"] = "juminhyo-copy"
    exported["procedure"]["department"] = {"code": "soumu", "name": "総務課"}

    imported = builder.import_definition(json.dumps(exported).encode(), by=clerk)

    # Into the importing clerk's department, whatever department the file came from.
    assert imported.code == "juminhyo-copy" and imported.department == juminhyo.department
    assert imported.is_published is False and imported.current_version() is None
    original = juminhyo.current_version()
    assert original is not None
    assert formdef.to_json(formdef.parse(definition_of(imported))) == formdef.to_json(
        formdef.parse(original.definition)
    )
    assert imported.title == juminhyo.title and imported.statuses == juminhyo.statuses
    assert imported.required_documents_en == "Proof of identity"
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, object_id=str(juminhyo.pk))


def test_importing_a_known_code_makes_a_working_copy_and_keeps_the_settings(
    clerk: User, juminhyo: Procedure, town: Municipality
) -> None:
    exported = json.loads(builder.export_definition(juminhyo))
    exported["procedure"]["title"] = "別の町の名前"
    exported["form"]["sections"][0]["title"]["ja"] = "請求者"

    builder.import_definition(json.dumps(exported).encode(), by=clerk, department=None)

    juminhyo.refresh_from_db()
    assert juminhyo.title == "住民票の写し等の交付請求"
    assert definition_of(juminhyo)["sections"][0]["title"]["ja"] == "請求者"
    assert juminhyo.versions.filter(published_at__isnull=False).count() == 1


@pytest.mark.parametrize(
    ("breakage", "named"),
    [
        (lambda d: "{not json", "JSON"),
        (lambda d: d | {"format": "other/1"}, "yakuba.procedures.share/1"),
        (
            lambda d: d | {"procedure": {k: v for k, v in d["procedure"].items() if k != "title"}},
            "title",
        ),
        (lambda d: d | {"procedure": d["procedure"] | {"statuses": ["done"]}}, "statuses"),
        (
            lambda d: d | {"form": d["form"] | {"sections": [{"key": "Bad"}]}},
            "key",
        ),
        (lambda d: d | {"extra": 1}, "procedure"),
    ],
)
def test_a_broken_file_names_its_problem_and_nothing_is_saved(
    clerk: User, juminhyo: Procedure, town: Municipality, breakage: Any, named: str
) -> None:
    exported = json.loads(builder.export_definition(juminhyo))
    exported["procedure"]["code"] = "fresh"
    broken = breakage(exported)
    content = broken if isinstance(broken, str) else json.dumps(broken)
    versions = FormVersion.objects.count()

    with pytest.raises(ValidationError) as refused:
        builder.import_definition(content.encode(), by=clerk, department=juminhyo.department)

    assert named in " ".join(refused.value.messages)
    assert not Procedure.objects.filter(code="fresh").exists()
    assert FormVersion.objects.count() == versions


def test_a_superuser_chooses_the_department_of_an_imported_procedure(
    juminhyo: Procedure, town: Municipality, fukushi: Department, superuser: User
) -> None:
    exported = json.loads(builder.export_definition(juminhyo))
    exported["procedure"]["code"] = "fresh"
    content = json.dumps(exported).encode()
    with pytest.raises(ValidationError):
        builder.import_definition(content, by=superuser)
    assert not Procedure.objects.filter(code="fresh").exists()

    imported = builder.import_definition(content, by=superuser, department=fukushi)
    assert imported.department == fukushi


def test_staff_import_only_into_their_own_department(
    clerk: User, juminhyo: Procedure, town: Municipality, fukushi: Department
) -> None:
    exported = json.loads(builder.export_definition(juminhyo))
    exported["procedure"]["code"] = "fresh"
    with pytest.raises(ValidationError, match="所属する課"):
        builder.import_definition(json.dumps(exported).encode(), by=clerk, department=fukushi)
    assert not Procedure.objects.filter(code="fresh").exists()


def test_a_file_with_another_departments_code_is_refused_and_changes_nothing(
    juminhyo: Procedure, town: Municipality, stranger: User
) -> None:
    exported = json.loads(builder.export_definition(juminhyo))
    exported["form"]["sections"][0]["title"]["ja"] = "請求者"
    before = list(FormVersion.objects.values_list("number", "definition"))

    with pytest.raises(ValidationError) as refused:
        builder.read_shared_definition(json.dumps(exported).encode(), by=stranger)
    with pytest.raises(ValidationError):
        builder.import_definition(json.dumps(exported).encode(), by=stranger)

    # It says the code is taken, without naming the other department's procedure.
    assert "juminhyo" in refused.value.messages[0]
    assert juminhyo.title not in refused.value.messages[0]
    assert list(FormVersion.objects.values_list("number", "definition")) == before


# --- the pages ---------------------------------------------------------------------------------


def test_the_pages_need_staff_with_the_permission(chomin: Department, juminhyo: Procedure) -> None:
    url = reverse("procedures:builder_form", args=["juminhyo"])
    assert Client().get(url).status_code == 302
    assert signed_in(UserFactory.create()).get(url).status_code == 403
    other_staff = StaffFactory.create(permissions=["procedures.view_submission"])
    assert signed_in(other_staff).get(url).status_code == 403
    response = signed_in(other_staff).post(reverse("procedures:builder_start", args=["juminhyo"]))
    assert response.status_code == 403
    assert builder.working_copy(juminhyo) is None


def test_the_list_shows_versions_and_working_copies(clerk: User, juminhyo: Procedure) -> None:
    builder.start_working_copy(juminhyo, by=clerk)
    page = signed_in(clerk).get(reverse("procedures:builder_list")).content.decode()
    assert "住民票の写し等の交付請求" in page
    assert "第1版" in page and "第2版を編集中" in page


def test_staff_add_a_field_through_the_pages_and_see_it_in_the_preview(
    clerk: User, juminhyo: Procedure
) -> None:
    client = signed_in(clerk)
    client.post(reverse("procedures:builder_start", args=["juminhyo"]))
    url = reverse("procedures:builder_field_new", args=["juminhyo", "receive"]) + "?type=choice"
    page = client.get(url).content.decode()
    assert 'name="options"' in page and 'name="max_length"' not in page

    response = client.post(
        url,
        {
            "key": "wrapping",
            "label_ja": "封筒",
            "label_en": "Envelope",
            "required": "on",
            "options": "yes|要る|Yes\nno|要らない",
            "show_if_field": "delivery",
            "show_if_values": "mail",
        },
    )

    assert response.status_code == 302
    wrapping = builder.find_field(definition_of(juminhyo), "receive", "wrapping")
    assert wrapping == {
        "key": "wrapping",
        "type": "choice",
        "label": {"ja": "封筒", "en": "Envelope"},
        "required": True,
        "options": [
            {"value": "yes", "label": {"ja": "要る", "en": "Yes"}},
            {"value": "no", "label": {"ja": "要らない"}},
        ],
        "show_if": {"field": "delivery", "equals": "mail"},
    }
    preview = client.get(reverse("procedures:builder_preview", args=["juminhyo"]))
    assert "封筒" in preview.content.decode() and "要らない" in preview.content.decode()
    edit = client.get(
        reverse("procedures:builder_field_edit", args=["juminhyo", "receive", "wrapping"])
    ).content.decode()
    assert "no|要らない" in edit


def test_a_refused_field_shows_the_error_summary_and_saves_nothing(
    clerk: User, juminhyo: Procedure
) -> None:
    client = signed_in(clerk)
    url = reverse("procedures:builder_field_new", args=["juminhyo", "applicant"]) + "?type=text"
    response = client.post(
        url, {"key": "memo", "label_ja": "メモ", "show_if_field": "nowhere", "show_if_values": "x"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="error-summary"' in page and "nowhere" in page
    assert builder.working_copy(juminhyo) is None


def test_moving_and_removing_through_the_editor(clerk: User, juminhyo: Procedure) -> None:
    client = signed_in(clerk)
    client.post(
        reverse("procedures:builder_field_move", args=["juminhyo", "applicant", "email"]),
        {"direction": "up"},
    )
    keys = [f["key"] for f in definition_of(juminhyo)["sections"][0]["fields"]]
    assert keys[-2:] == ["email", "phone"]
    response = client.post(
        reverse("procedures:builder_field_remove", args=["juminhyo", "declaration", "agree"])
    )
    assert response.status_code == 400 and 'id="error-summary"' in response.content.decode()
    editor = client.get(reverse("procedures:builder_form", args=["juminhyo"])).content.decode()
    assert "下へ" in editor and "上へ" in editor


def test_publishing_and_the_history_through_the_pages(clerk: User, juminhyo: Procedure) -> None:
    client = signed_in(clerk)
    builder.add_field(juminhyo, by=clerk, section="applicant", field=text_field("memo", "メモ"))
    url = reverse("procedures:builder_publish", args=["juminhyo"])
    assert client.post(url, {"note": ""}).status_code == 400
    assert client.post(url, {"note": "メモ欄を追加"}).status_code == 302

    detail = client.get(reverse("procedures:builder_detail", args=["juminhyo"])).content.decode()
    assert "メモ欄を追加" in detail and "第2版" in detail
    old = client.get(reverse("procedures:builder_version", args=["juminhyo", 1]))
    assert old.status_code == 200 and "メモ" not in old.content.decode().split("<main")[1]


def test_settings_through_the_pages(clerk: User, chomin: Department) -> None:
    client = signed_in(clerk)
    data = {
        "code": "inu",
        "title": "犬の登録",
        "department": chomin.pk,
        "category": "other",
        "applicant_kinds": ["self"],
        "statuses": ["received", "completed"],
        "fee_kind": "none",
        "keywords": "犬",
    }
    response = client.post(reverse("procedures:builder_new"), data)
    assert response.status_code == 302
    procedure = Procedure.objects.get(code="inu")
    assert builder.working_copy(procedure) is not None
    refused = client.post(
        reverse("procedures:builder_settings", args=["inu"]), data | {"statuses": ["completed"]}
    )
    assert refused.status_code == 400 and 'id="error-summary"' in refused.content.decode()


def test_export_and_import_through_the_pages(
    clerk: User, juminhyo: Procedure, town: Municipality
) -> None:
    client = signed_in(clerk)
    response = client.get(reverse("procedures:builder_export", args=["juminhyo"]))
    assert response["Content-Disposition"] == 'attachment; filename="juminhyo.json"'
    exported = json.loads(response.content)
    exported["procedure"]["code"] = "juminhyo-shared"
    upload = SimpleUploadedFile(
        "juminhyo.json", json.dumps(exported, ensure_ascii=False).encode(), "application/json"
    )

    check = client.post(reverse("procedures:builder_import"), {"file": upload})
    assert check.status_code == 200
    assert "亘理町 043231" in check.content.decode()
    content = check.context["form"].initial["content"]
    assert not Procedure.objects.filter(code="juminhyo-shared").exists()

    assert "あなたの課（町民生活課）" in check.content.decode()
    assert 'name="department"' not in check.content.decode()

    # A department slipped into the post is not the clerk's to choose: it goes to theirs.
    other = DepartmentFactory.create(code="soumu", name="総務課")
    done = client.post(
        reverse("procedures:builder_import_confirm"), {"content": content, "department": other.pk}
    )
    assert done.status_code == 302
    imported = Procedure.objects.get(code="juminhyo-shared")
    assert imported.department == juminhyo.department
    assert builder.working_copy(imported) is not None

    broken = SimpleUploadedFile("x.json", b"{", "application/json")
    refused = client.post(reverse("procedures:builder_import"), {"file": broken})
    assert refused.status_code == 400 and "JSON" in refused.content.decode()


# --- each department edits its own procedures ----------------------------------------------------


def test_staff_see_their_own_departments_procedures_and_a_superuser_every_one(
    clerk: User, stranger: User, superuser: User, juminhyo: Procedure, fukushi: Department
) -> None:
    theirs = builder.create_procedure(by=stranger, code="inu", settings=settings(fukushi))
    nobody = StaffFactory.create(permissions=[CHANGE])
    StaffMember.objects.filter(user=nobody).delete()

    assert list(builder.editable_by(clerk)) == [juminhyo]
    assert list(builder.editable_by(stranger)) == [theirs]
    assert set(builder.editable_by(superuser)) == {juminhyo, theirs}
    assert list(builder.editable_by(nobody)) == []
    assert builder.may_edit(clerk, juminhyo) and not builder.may_edit(clerk, theirs)
    assert builder.may_edit(superuser, theirs)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda p, by: builder.update_procedure(
                p, by=by, settings={"title": "よその課が変えた名前"}
            ),
            id="settings",
        ),
        pytest.param(lambda p, by: builder.start_working_copy(p, by=by), id="start"),
        pytest.param(
            lambda p, by: builder.add_field(p, by=by, section="applicant", field=text_field("x")),
            id="add-field",
        ),
        pytest.param(
            lambda p, by: builder.remove_section(p, by=by, key="agent"), id="remove-section"
        ),
        pytest.param(lambda p, by: builder.set_fee(p, by=by, fee=None), id="fee"),
        pytest.param(
            lambda p, by: builder.replace_definition(
                p, by=by, text=json.dumps(p.current_version().definition)
            ),
            id="json",
        ),
        pytest.param(lambda p, by: builder.publish_version(p, by=by, note="x"), id="publish"),
        pytest.param(lambda p, by: builder.discard_working_copy(p, by=by), id="discard"),
        pytest.param(lambda p, by: builder.export_definition(p, by=by), id="export"),
    ],
)
def test_staff_of_another_department_change_nothing(
    clerk: User, stranger: User, juminhyo: Procedure, change: Any
) -> None:
    builder.add_field(juminhyo, by=clerk, section="applicant", field=text_field("memo"))
    before = list(FormVersion.objects.values_list("number", "definition", "published_at"))
    audited = AuditEntry.objects.count()

    with pytest.raises(PermissionDenied):
        change(juminhyo, stranger)

    assert list(FormVersion.objects.values_list("number", "definition", "published_at")) == before
    juminhyo.refresh_from_db()
    assert juminhyo.title == "住民票の写し等の交付請求"
    assert AuditEntry.objects.count() == audited


def test_staff_create_procedures_in_their_own_department_only(
    clerk: User, chomin: Department, fukushi: Department, superuser: User
) -> None:
    with pytest.raises(ValidationError) as refused:
        builder.create_procedure(by=clerk, code="inu", settings=settings(fukushi))
    assert "department" in refused.value.message_dict
    assert not Procedure.objects.filter(code="inu").exists()

    assert builder.create_procedure(by=clerk, code="inu", settings=settings(chomin))
    assert builder.create_procedure(by=superuser, code="neko", settings=settings(fukushi))


def test_staff_cannot_hand_a_procedure_to_another_department_but_a_superuser_can(
    clerk: User, juminhyo: Procedure, fukushi: Department, superuser: User
) -> None:
    with pytest.raises(ValidationError):
        builder.update_procedure(juminhyo, by=clerk, settings={"department": fukushi})
    juminhyo.refresh_from_db()
    assert juminhyo.department.code == "chomin"

    builder.update_procedure(juminhyo, by=superuser, settings={"department": fukushi})
    juminhyo.refresh_from_db()
    assert juminhyo.department == fukushi
    # From then on it is 福祉課's: its former department's clerk no longer edits it.
    with pytest.raises(PermissionDenied):
        builder.start_working_copy(juminhyo, by=clerk)


# Builder pages that are not one procedure's; every other pattern must take `code` and answer
# 404 for another department's procedure (a new page is checked without being listed here).
UNSCOPED_PAGES = {"builder_list", "builder_new", "builder_import", "builder_import_confirm"}
# A value for each other part of a procedure page's URL, naming something that exists.
URL_PARTS = {"key": "applicant", "path": "name", "number": 1}


def procedure_pages(code: str) -> list[tuple[str, str]]:
    """(name, url) of every builder page of the procedure `code`, from the URL conf itself."""
    pages = []
    for pattern in builder_urls.urlpatterns:
        parts = set(pattern.pattern.converters)
        if "code" not in parts:
            assert pattern.name in UNSCOPED_PAGES, f"{pattern.name} has no code in its URL"
            continue
        values = {part: URL_PARTS[part] for part in parts - {"code"}}
        url = reverse(f"procedures:{pattern.name}", kwargs={"code": code, **values})
        pages.append((str(pattern.name), url + "?type=text"))
    return pages


def test_every_page_of_another_departments_procedure_is_not_found(
    clerk: User, stranger: User, superuser: User, juminhyo: Procedure
) -> None:
    pages = procedure_pages("juminhyo")
    assert len(pages) == len(builder_urls.urlpatterns) - len(UNSCOPED_PAGES)
    before = list(FormVersion.objects.values_list("number", "definition"))
    audited = AuditEntry.objects.count()
    client = signed_in(stranger)

    found = [
        (name, method)
        for name, url in pages
        for method in ("get", "post")
        if getattr(client, method)(url, {"note": "x", "direction": "up"}).status_code != 404
    ]

    assert found == []
    assert list(FormVersion.objects.values_list("number", "definition")) == before
    assert AuditEntry.objects.count() == audited
    # The same pages exist for the procedure's own department and for a superuser.
    for user in (clerk, superuser):
        client = signed_in(user)
        assert [name for name, url in pages if client.get(url).status_code == 404] == []


def test_an_unknown_procedure_and_another_departments_look_the_same(
    stranger: User, juminhyo: Procedure
) -> None:
    client = signed_in(stranger)
    theirs = client.get(reverse("procedures:builder_detail", args=["juminhyo"]))
    unknown = client.get(reverse("procedures:builder_detail", args=["no-such-procedure"]))
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.content == unknown.content


def test_the_list_shows_the_departments_procedures_and_a_superuser_all_by_department(
    stranger: User, superuser: User, juminhyo: Procedure, fukushi: Department
) -> None:
    builder.create_procedure(by=stranger, code="inu", settings=settings(fukushi, title="犬の登録"))

    page = signed_in(stranger).get(reverse("procedures:builder_list")).content.decode()
    assert "犬の登録" in page and "住民票" not in page

    page = signed_in(superuser).get(reverse("procedures:builder_list")).content.decode()
    main = page.split("<main")[1]
    assert '<h2 id="department-chomin">町民生活課</h2>' in main
    assert '<h2 id="department-fukushi">福祉課</h2>' in main
    assert main.index("町民生活課</h2>") < main.index("住民票") < main.index("福祉課</h2>")
    assert main.index("福祉課</h2>") < main.index("犬の登録")


def test_a_new_procedure_through_the_page_goes_to_the_clerks_department(
    stranger: User, chomin: Department, fukushi: Department
) -> None:
    client = signed_in(stranger)
    page = client.get(reverse("procedures:builder_new")).content.decode()
    assert "福祉課" in page and "町民生活課" not in page
    data = {
        "code": "inu",
        "title": "犬の登録",
        "department": chomin.pk,  # not theirs to choose: the field is fixed
        "category": "other",
        "applicant_kinds": ["self"],
        "statuses": ["received"],
        "fee_kind": "none",
    }
    assert client.post(reverse("procedures:builder_new"), data).status_code == 302
    assert Procedure.objects.get(code="inu").department == fukushi

    settings_page = client.post(reverse("procedures:builder_settings", args=["inu"]), data)
    assert settings_page.status_code == 302
    assert Procedure.objects.get(code="inu").department == fukushi


def test_staff_without_a_department_have_nothing_to_edit_or_create(
    juminhyo: Procedure,
) -> None:
    nobody = StaffFactory.create(permissions=[CHANGE])
    StaffMember.objects.filter(user=nobody).delete()
    client = signed_in(nobody)

    listing = client.get(reverse("procedures:builder_list"))
    assert listing.status_code == 200 and "住民票" not in listing.content.decode()
    assert client.get(reverse("procedures:builder_new")).status_code == 403
    assert client.get(reverse("procedures:builder_form", args=["juminhyo"])).status_code == 404


def test_a_superuser_chooses_the_department_of_a_new_procedure(
    superuser: User, chomin: Department, fukushi: Department
) -> None:
    client = signed_in(superuser)
    page = client.get(reverse("procedures:builder_new")).content.decode()
    assert "福祉課" in page and "町民生活課" in page
    data = {
        "code": "inu",
        "title": "犬の登録",
        "department": fukushi.pk,
        "category": "other",
        "applicant_kinds": ["self"],
        "statuses": ["received"],
        "fee_kind": "none",
    }
    assert client.post(reverse("procedures:builder_new"), data).status_code == 302
    assert Procedure.objects.get(code="inu").department == fukushi


def test_importing_another_departments_code_through_the_pages_is_refused(
    stranger: User, juminhyo: Procedure, town: Municipality
) -> None:
    content = builder.export_definition(juminhyo)
    client = signed_in(stranger)
    upload = SimpleUploadedFile("juminhyo.json", content, "application/json")

    check = client.post(reverse("procedures:builder_import"), {"file": upload})
    confirm = client.post(
        reverse("procedures:builder_import_confirm"), {"content": content.decode()}
    )

    for response in (check, confirm):
        assert response.status_code == 400
        page = response.content.decode()
        assert 'id="error-summary"' in page and "ほかの課" in page
        assert juminhyo.title not in page
    assert juminhyo.versions.count() == 1


# --- the whole definition as JSON ---------------------------------------------------------------


def json_text(definition: dict[str, Any]) -> str:
    return json.dumps(definition, ensure_ascii=False, indent=2)


def test_a_json_save_replaces_the_working_copy_and_not_the_published_form(
    clerk: User, juminhyo: Procedure
) -> None:
    published = juminhyo.current_version()
    assert published is not None
    published_definition = copy.deepcopy(published.definition)
    definition = builder.definition_to_edit(juminhyo)
    changed = copy.deepcopy(definition)
    changed["sections"][0]["title"] = {"ja": "請求する人", "en": "Requester"}

    version = builder.replace_definition(
        juminhyo,
        by=clerk,
        text=json_text(changed),
        based_on=builder.definition_digest(definition),
    )

    assert version.number == 2 and version.published_at is None
    assert definition_of(juminhyo)["sections"][0]["title"] == {
        "ja": "請求する人",
        "en": "Requester",
    }
    published.refresh_from_db()
    assert published.definition == published_definition
    assert juminhyo.current_version() == published
    # Publishing still makes the new version.
    assert builder.publish_version(juminhyo, by=clerk, note="見出しを変更").number == 2
    assert AuditEntry.objects.filter(
        object_id=str(version.pk), changes__operation="replace_definition"
    ).exists()


@pytest.mark.parametrize(
    ("text", "named"),
    [
        pytest.param(
            '{"format": "yakuba.procedures.form/1",\n  "sections": [}', "2行目", id="syntax"
        ),
        pytest.param("", "1行目", id="empty"),
        pytest.param('{"format": "yakuba.procedures.form/1", "sections": NaN}', "NaN", id="nan"),
        pytest.param("[]", "オブジェクト", id="not-an-object"),
        pytest.param('{"format": "other/1", "sections": []}', "format", id="format"),
    ],
)
def test_a_json_that_is_not_a_definition_is_refused_and_nothing_is_saved(
    clerk: User, juminhyo: Procedure, text: str, named: str
) -> None:
    before = list(FormVersion.objects.values_list("number", "definition"))
    with pytest.raises(ValidationError) as refused:
        builder.replace_definition(juminhyo, by=clerk, text=text)
    assert named in " ".join(refused.value.messages)
    assert list(FormVersion.objects.values_list("number", "definition")) == before


def test_every_mistake_of_a_json_definition_is_named_with_its_place(
    clerk: User, juminhyo: Procedure
) -> None:
    builder.start_working_copy(juminhyo, by=clerk)
    before = definition_of(juminhyo)
    broken = copy.deepcopy(before)
    broken["sections"][0]["fields"][0]["type"] = "colour"
    broken["sections"][1]["title"] = {"en": "Certificate"}
    broken["sections"][3]["fields"][2]["min"] = "one"
    broken["surprise"] = True

    with pytest.raises(ValidationError) as refused:
        builder.replace_definition(juminhyo, by=clerk, text=json_text(broken))

    messages = refused.value.messages
    assert len(messages) == 4
    assert any(m.startswith("セクション「applicant」の項目「name」: type") for m in messages)
    assert any(m.startswith("セクション「certificate」: 見出し") for m in messages)
    assert any(m.startswith("セクション「receive」の項目「copies」: min") for m in messages)
    assert any("surprise" in m for m in messages)
    assert definition_of(juminhyo) == before


def test_a_json_save_over_a_change_made_meanwhile_is_refused(
    clerk: User, juminhyo: Procedure
) -> None:
    shown = builder.definition_to_edit(juminhyo)
    builder.add_field(juminhyo, by=clerk, section="applicant", field=text_field("memo"))
    meanwhile = definition_of(juminhyo)

    with pytest.raises(ValidationError, match="ほかで変更"):
        builder.replace_definition(
            juminhyo, by=clerk, text=json_text(shown), based_on=builder.definition_digest(shown)
        )
    assert definition_of(juminhyo) == meanwhile


def test_staff_edit_the_json_through_the_page(clerk: User, juminhyo: Procedure) -> None:
    client = signed_in(clerk)
    url = reverse("procedures:builder_definition", args=["juminhyo"])
    editor = client.get(reverse("procedures:builder_form", args=["juminhyo"])).content.decode()
    assert url in editor

    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    shown = json.loads(form.initial["definition"])
    assert shown == juminhyo.current_version().definition  # type: ignore[union-attr]
    assert "yakuba.procedures.form/1" in page.content.decode()

    shown["sections"][0]["fields"].append(text_field("memo", "メモ"))
    saved = client.post(url, {"definition": json_text(shown), "based_on": form.initial["based_on"]})
    assert saved.status_code == 302 and saved["Location"].endswith("/juminhyo/form/")
    assert definition_of(juminhyo)["sections"][0]["fields"][-1]["key"] == "memo"


def test_a_refused_json_shows_every_mistake_and_keeps_what_was_typed(
    clerk: User, juminhyo: Procedure
) -> None:
    client = signed_in(clerk)
    url = reverse("procedures:builder_definition", args=["juminhyo"])
    broken = copy.deepcopy(builder.definition_to_edit(juminhyo))
    broken["sections"][0]["fields"][0]["label"] = {"en": "Name"}
    broken["sections"][4]["fields"] = []
    text = json_text(broken)

    response = client.post(url, {"definition": text, "based_on": ""})

    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="error-summary"' in page
    assert "セクション「applicant」の項目「name」: ラベル（label）は" in page
    assert "セクション「declaration」: 項目（fields）が一つもありません。" in page
    assert response.context["form"]["definition"].value() == text
    assert builder.working_copy(juminhyo) is None
