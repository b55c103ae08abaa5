"""The form builder (様式の作成・編集): procedures' settings, the working copy and every edit on it,
refusals that change nothing, publishing versions that never change, sharing definitions between
towns (export → import), and the staff pages with their permissions."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from yakuba.core.models import Municipality
from yakuba.modules.procedures import builder, formdef
from yakuba.modules.procedures.catalogue import CATALOGUE_DIR, load_catalogue
from yakuba.modules.procedures.models import FormVersion, Procedure, Submission
from yakuba.platform.accounts.models import Department, User
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
    exported = json.loads(builder.export_definition(juminhyo, by=clerk))
    assert exported["format"] == builder.SHARE_FORMAT
    assert exported["exported_from"] == {"name": "亘理町", "code": "043231"}
    assert exported["procedure"]["department"] == {"code": "chomin", "name": "町民生活課"}
    exported["procedure"]["code"] = "juminhyo-copy"
    other = DepartmentFactory.create(code="soumu", name="総務課")

    imported = builder.import_definition(json.dumps(exported).encode(), by=clerk, department=other)

    assert imported.code == "juminhyo-copy" and imported.department == other
    assert imported.is_published is False and imported.current_version() is None
    original = juminhyo.current_version()
    assert original is not None
    assert formdef.to_json(formdef.parse(definition_of(imported))) == formdef.to_json(
        formdef.parse(original.definition)
    )
    assert imported.title == juminhyo.title and imported.statuses == juminhyo.statuses
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


def test_a_new_procedure_from_a_file_needs_a_department(
    clerk: User, juminhyo: Procedure, town: Municipality
) -> None:
    exported = json.loads(builder.export_definition(juminhyo))
    exported["procedure"]["code"] = "fresh"
    with pytest.raises(ValidationError):
        builder.import_definition(json.dumps(exported).encode(), by=clerk, department=None)
    assert not Procedure.objects.filter(code="fresh").exists()


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

    missing = client.post(reverse("procedures:builder_import_confirm"), {"content": content})
    assert missing.status_code == 400
    done = client.post(
        reverse("procedures:builder_import_confirm"),
        {"content": content, "department": juminhyo.department.pk},
    )
    assert done.status_code == 302
    assert builder.working_copy(Procedure.objects.get(code="juminhyo-shared")) is not None

    broken = SimpleUploadedFile("x.json", b"{", "application/json")
    refused = client.post(reverse("procedures:builder_import"), {"file": broken})
    assert refused.status_code == 400 and "JSON" in refused.content.decode()
