"""The form builder (様式の作成・編集, after LoGoフォーム): staff create and change procedures and
their forms without code, publish new versions, and share definitions with other towns
(フォームシェア).

Staff never edit a published form. Editing happens on the procedure's working copy (作業中の版):
its latest unpublished `FormVersion`, made from the published definition when editing starts.
Every change to it is checked whole with `formdef.parse` before it is saved, so the working copy
is always a form residents could fill in, and a refused change leaves it as it was. Publishing
makes the working copy the form residents get; applications already made keep their version.

Staff edit only their own department's procedures (担当課), as they process only their own
department's applications; a superuser edits every one. Every change here checks it on the
locked row (`may_edit`), and the pages look procedures up through `editable_by`, so another
department's procedure is as good as absent for them.

A shared definition is one JSON file in the shape of the catalogue's files
(``{"procedure": {...}, "form": {...}}``) with ``"format": "yakuba.procedures.share/1"``, the town
it came from and when. Importing one never publishes anything: it makes a new, unpublished
procedure or a new working copy of the procedure with the same code.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yakuba.core import furigana
from yakuba.core.models import Municipality
from yakuba.modules.procedures import engine, formdef
from yakuba.modules.procedures.backoffice_queries import staff_department_id
from yakuba.modules.procedures.catalogue import (
    ProcedureFileError,
    apply_settings,
    read_procedure_file,
)
from yakuba.modules.procedures.models import FeeKind, FormVersion, Procedure, Status
from yakuba.platform.accounts.models import Department, User
from yakuba.platform.audit.models import AuditAction
from yakuba.platform.audit.services import record

SHARE_FORMAT = "yakuba.procedures.share/1"
SHARE_KEYS = frozenset({"format", "exported_from", "exported_at"})
# A shared definition is a few tens of kilobytes; anything much larger is not one.
MAX_SHARE_BYTES = 1024 * 1024

# The settings staff edit on a procedure (all but its code, which never changes: it is in URLs
# and in other towns' copies).
SETTINGS = (
    "title",
    "title_en",
    "summary",
    "summary_en",
    "eligibility",
    "eligibility_en",
    "department",
    "category",
    "life_events",
    "applicant_kinds",
    "required_documents",
    "required_documents_en",
    "fee_kind",
    "fee_amount",
    "identity_check",
    "target_days",
    "statuses",
    "keywords",
    "is_published",
)

_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々]")


def _starter_form() -> dict[str, Any]:
    """The form a new procedure starts with: who applies and the declaration every town's form
    ends with. Form texts are data (both languages are written here), not interface strings."""
    return {
        "format": formdef.FORMAT,
        "sections": [
            {
                "key": "applicant",
                "title": {"ja": "申請者", "en": "Applicant"},
                "fields": [
                    {
                        "key": "name",
                        "type": "text",
                        "label": {"ja": "氏名", "en": "Name"},
                        "required": True,
                        "max_length": 50,
                        "prefill": "profile.full_name",
                    }
                ],
            },
            {
                "key": "declaration",
                "title": {"ja": "確認と同意", "en": "Confirmation and consent"},
                "fields": [
                    {
                        "key": "agree",
                        "type": "consent",
                        "label": {
                            "ja": "記入した内容に間違いがないことを確認しました。",
                            "en": "I confirm that what I entered is correct.",
                        },
                        "required": True,
                    }
                ],
            },
        ],
    }


# --- who edits what (担当課) ----------------------------------------------------------------------


def may_edit(user: User, procedure: Procedure) -> bool:
    """Whether `user` may change `procedure`: staff of its department, or a superuser."""
    if user.is_superuser:
        return True
    return bool(user.is_staff) and staff_department_id(user) == procedure.department_id


def editable_by(user: User) -> QuerySet[Procedure]:
    """The procedures `user` sees and changes in the builder: their department's; every one for
    a superuser; none for staff without a department."""
    if user.is_superuser:
        return Procedure.objects.all()
    department_id = staff_department_id(user) if user.is_staff else None
    if department_id is None:
        return Procedure.objects.none()
    return Procedure.objects.filter(department_id=department_id)


def own_department(user: User) -> Department | None:
    """The department a staff member belongs to (所属課): where their new procedures go."""
    department_id = staff_department_id(user)
    return Department.objects.filter(pk=department_id).first() if department_id else None


def _ensure_may_edit(user: User, procedure: Procedure) -> None:
    if not may_edit(user, procedure):
        raise PermissionDenied(_("この手続きは別の課の担当です。"))


def _ensure_may_choose(user: User, department: Department | None) -> None:
    """A procedure goes to its author's own department; only a superuser chooses another."""
    if department is None or user.is_superuser:
        return
    if department.pk != staff_department_id(user):
        raise ValidationError(
            {"department": _("担当課は、あなたの所属する課にしてください。")}, code="department"
        )


# --- reading ----------------------------------------------------------------------------------


def working_copy(procedure: Procedure) -> FormVersion | None:
    """The version being edited (作業中の版): the latest unpublished one, when it is newer than
    every published version."""
    latest = procedure.versions.order_by("-number").first()
    return latest if latest is not None and latest.published_at is None else None


def published_versions(procedure: Procedure) -> list[FormVersion]:
    """The version history, newest first."""
    return list(
        procedure.versions.filter(published_at__isnull=False)
        .select_related("created_by__staff_member")
        .order_by("-number")
    )


def version_to_edit(procedure: Procedure) -> FormVersion | None:
    """What the editor shows: the working copy, else the published form."""
    return working_copy(procedure) or procedure.current_version()


# --- the procedure's settings -------------------------------------------------------------------


def with_readings(keywords: str, *also: str) -> str:
    """`keywords` with the kana reading (読み) of each word written in kanji, and of `also`
    (the title), added once, so that residents who type ほいく find 保育. Stops at the
    model's 300 characters."""
    words = keywords.split()
    limit = Procedure._meta.get_field("keywords").max_length or 300
    for text in [*words, *also]:
        if not _KANJI.search(text):
            continue
        reading = furigana.readings(text)[0]
        if reading != text and reading not in words and len(" ".join([*words, reading])) <= limit:
            words.append(reading)
    return " ".join(words)


def _in_status_order(statuses: list[str]) -> list[str]:
    return [status for status in Status.values if status in statuses]


def _clean_settings(settings: Mapping[str, Any], by: User) -> dict[str, Any]:
    values = {key: settings[key] for key in SETTINGS if key in settings}
    _ensure_may_choose(by, values.get("department"))
    if "statuses" in values:
        if Status.RECEIVED not in values["statuses"]:
            raise ValidationError({"statuses": _("受付は必ず使います。")}, code="received_required")
        values["statuses"] = _in_status_order(values["statuses"])
    if "keywords" in values:
        values["keywords"] = with_readings(values["keywords"], values.get("title", ""))
    return values


def _checked_save(procedure: Procedure) -> None:
    procedure.full_clean()
    procedure.save()


@transaction.atomic
def create_procedure(*, by: User, code: str, settings: Mapping[str, Any]) -> Procedure:
    """A new procedure (手続きの新規作成), not yet shown to residents, with a working copy of a
    starter form to build on. Staff create them in their own department only."""
    values = _clean_settings(settings, by)
    procedure = Procedure(code=code, **values)
    _checked_save(procedure)
    FormVersion.objects.create(
        procedure=procedure, number=1, definition=_starter_form(), created_by=by
    )
    record(AuditAction.CREATE, by=by, obj=procedure, changes={"code": code})
    return procedure


@transaction.atomic
def update_procedure(procedure: Procedure, *, by: User, settings: Mapping[str, Any]) -> Procedure:
    """Change a procedure's settings (名称・対象・担当課・手数料・状態・公開…). Takes effect at
    once; the form itself changes only by publishing a version. Staff keep the procedure in
    their own department; a superuser may hand it to another."""
    procedure = _locked(procedure, by)
    values = _clean_settings(settings, by)
    changed = {
        key: [_plain(getattr(procedure, key)), _plain(value)]
        for key, value in values.items()
        if getattr(procedure, key) != value
    }
    for key, value in values.items():
        setattr(procedure, key, value)
    _checked_save(procedure)
    if changed:
        record(AuditAction.UPDATE, by=by, obj=procedure, changes=changed)
    return procedure


def _plain(value: Any) -> Any:
    return value.pk if isinstance(value, Department) else value


# --- the working copy --------------------------------------------------------------------------


def _locked(procedure: Procedure, by: User) -> Procedure:
    """The procedure's row, locked (changes to one procedure go one at a time), once `by` is
    known to work in its department as it is now."""
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    _ensure_may_edit(by, procedure)
    return procedure


def _next_number(procedure: Procedure) -> int:
    return int(procedure.versions.aggregate(last=Max("number"))["last"] or 0) + 1


def _new_working_copy(procedure: Procedure, by: User) -> FormVersion:
    current = procedure.current_version()
    return FormVersion.objects.create(
        procedure=procedure,
        number=_next_number(procedure),
        definition=copy.deepcopy(current.definition) if current else _starter_form(),
        created_by=by,
    )


@transaction.atomic
def start_working_copy(procedure: Procedure, *, by: User) -> FormVersion:
    """Start editing the form (編集を始める): the working copy, made from the published form
    when there is none yet."""
    procedure = _locked(procedure, by)
    version = working_copy(procedure)
    if version is None:
        version = _new_working_copy(procedure, by)
        record(AuditAction.CREATE, by=by, obj=version, changes={"working_copy": version.number})
    return version


def check_definition(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The definition as `formdef.to_json` writes it, or `ValidationError` with each of
    `formdef.parse`'s messages."""
    try:
        return formdef.to_json(formdef.parse(definition))
    except formdef.DefinitionError as error:
        raise ValidationError(error.messages, code="definition") from error


def _edit(
    procedure: Procedure,
    by: User,
    change: Callable[[dict[str, Any]], None],
    operation: dict[str, Any],
) -> FormVersion:
    """Apply `change` to a copy of the working copy's definition and save it if the whole form
    still parses; otherwise nothing (not even a working copy started for it) is saved."""
    with transaction.atomic():
        procedure = _locked(procedure, by)
        version = working_copy(procedure) or _new_working_copy(procedure, by)
        definition = copy.deepcopy(version.definition)
        change(definition)
        version.definition = check_definition(definition)
        version.save(update_fields=["definition"])
        record(AuditAction.UPDATE, by=by, obj=version, changes=operation)
    return version


def _not_found(what: str, key: str) -> ValidationError:
    return ValidationError(
        _("%(what)s「%(key)s」が見つかりません。") % {"what": what, "key": key}, code="not_found"
    )


def _section_index(definition: dict[str, Any], key: str) -> int:
    for index, section in enumerate(definition["sections"]):
        if section["key"] == key:
            return index
    raise _not_found(_("セクション"), key)


def _field_list(definition: dict[str, Any], section: str, group: str | None) -> list[Any]:
    """The list a field lives in: its section's fields, or its group's."""
    fields: list[Any] = definition["sections"][_section_index(definition, section)]["fields"]
    if group is None:
        return fields
    return fields[_field_index(fields, group, group=True)]["fields"]


def _field_index(fields: list[Any], key: str, *, group: bool = False) -> int:
    for index, item in enumerate(fields):
        if item["key"] == key and (not group or item["type"] == "group"):
            return index
    raise _not_found(_("グループ") if group else _("項目"), key)


def _move(items: list[Any], index: int, offset: int) -> None:
    target = index + offset
    if not 0 <= target < len(items):
        raise ValidationError(_("これ以上は動かせません。"), code="edge")
    items.insert(target, items.pop(index))


def _insert(items: list[Any], item: Any, position: int | None) -> None:
    items.insert(len(items) if position is None else position, item)


def add_section(
    procedure: Procedure, *, by: User, section: Mapping[str, Any], position: int | None = None
) -> FormVersion:
    """Add a section (セクション) with its first field; at the end unless `position` is given."""
    return _edit(
        procedure,
        by,
        lambda definition: _insert(definition["sections"], dict(section), position),
        {"operation": "add_section", "section": section.get("key")},
    )


def edit_section(
    procedure: Procedure, *, by: User, key: str, section: Mapping[str, Any]
) -> FormVersion:
    """Change a section's key, title or description; its fields stay."""

    def change(definition: dict[str, Any]) -> None:
        index = _section_index(definition, key)
        fields = definition["sections"][index]["fields"]
        definition["sections"][index] = {**section, "fields": fields}

    return _edit(
        procedure, by, change, {"operation": "edit_section", "section": key, "to": dict(section)}
    )


def remove_section(procedure: Procedure, *, by: User, key: str) -> FormVersion:
    """Remove a section and its fields."""
    return _edit(
        procedure,
        by,
        lambda definition: definition["sections"].pop(_section_index(definition, key)),
        {"operation": "remove_section", "section": key},
    )


def move_section(procedure: Procedure, *, by: User, key: str, offset: int) -> FormVersion:
    """Move a section up (`offset` -1) or down (+1)."""
    return _edit(
        procedure,
        by,
        lambda definition: _move(definition["sections"], _section_index(definition, key), offset),
        {"operation": "move_section", "section": key, "offset": offset},
    )


def add_field(
    procedure: Procedure,
    *,
    by: User,
    section: str,
    field: Mapping[str, Any],
    group: str | None = None,
    position: int | None = None,
) -> FormVersion:
    """Add a field (項目) to a section, or to a group when `group` names one."""
    return _edit(
        procedure,
        by,
        lambda definition: _insert(_field_list(definition, section, group), dict(field), position),
        {"operation": "add_field", "section": section, "group": group, "field": field.get("key")},
    )


def edit_field(
    procedure: Procedure,
    *,
    by: User,
    section: str,
    key: str,
    field: Mapping[str, Any],
    group: str | None = None,
) -> FormVersion:
    """Replace a field's attributes with `field` (every attribute of the format: what `field`
    leaves out is removed). A group keeps its own fields."""

    def change(definition: dict[str, Any]) -> None:
        fields = _field_list(definition, section, group)
        index = _field_index(fields, key)
        replacement = dict(field)
        if fields[index]["type"] == "group" and replacement.get("type") == "group":
            replacement.setdefault("fields", fields[index]["fields"])
        fields[index] = replacement

    return _edit(
        procedure,
        by,
        change,
        {"operation": "edit_field", "section": section, "group": group, "field": key},
    )


def remove_field(
    procedure: Procedure, *, by: User, section: str, key: str, group: str | None = None
) -> FormVersion:
    """Remove a field (a group with its fields)."""

    def change(definition: dict[str, Any]) -> None:
        fields = _field_list(definition, section, group)
        fields.pop(_field_index(fields, key))

    return _edit(
        procedure,
        by,
        change,
        {"operation": "remove_field", "section": section, "group": group, "field": key},
    )


def move_field(
    procedure: Procedure,
    *,
    by: User,
    section: str,
    key: str,
    offset: int,
    group: str | None = None,
) -> FormVersion:
    """Move a field up (`offset` -1) or down (+1) within its section or group."""

    def change(definition: dict[str, Any]) -> None:
        fields = _field_list(definition, section, group)
        _move(fields, _field_index(fields, key), offset)

    return _edit(
        procedure,
        by,
        change,
        {
            "operation": "move_field",
            "section": section,
            "group": group,
            "field": key,
            "offset": offset,
        },
    )


def set_fee(procedure: Procedure, *, by: User, fee: Mapping[str, Any] | None) -> FormVersion:
    """Set how the fee is worked out from the answers (手数料の計算): ``{"rule": "fixed", "yen":
    …}``, ``{"rule": "per_item", "field": …, "unit_yen": …}``, or None for no fee."""

    def change(definition: dict[str, Any]) -> None:
        definition.pop("fee", None)
        if fee is not None:
            definition["fee"] = dict(fee)

    return _edit(procedure, by, change, {"operation": "set_fee", "fee": dict(fee or {})})


# --- the whole definition as JSON (上級者向け) ----------------------------------------------------


def definition_to_edit(procedure: Procedure) -> dict[str, Any]:
    """The definition the JSON editor shows: the working copy's, else the published form's, else
    the starter form a first edit would start from."""
    version = version_to_edit(procedure)
    return version.definition if version is not None else _starter_form()


def definition_digest(definition: Mapping[str, Any]) -> str:
    """A fingerprint of a definition, to tell whether it changed while someone edited it."""
    return engine.digest(definition)


def _refuse_constant(name: str) -> Any:
    raise ValidationError(
        _("「%(name)s」はJSONでは使えません。数は数字で書いてください。") % {"name": name},
        code="json",
    )


def _read_json(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise ValidationError(
            _(
                "%(line)s行目の%(column)s文字目から、JSONとして読めません。"
                'カンマ（,）・かっこ・引用符（"）の抜けや余りがないか確かめてください。'
            )
            % {"line": error.lineno, "column": error.colno},
            code="json",
        ) from error


def replace_definition(
    procedure: Procedure, *, by: User, text: str, based_on: str = ""
) -> FormVersion:
    """Replace the working copy's whole definition with `text`, a definition written as JSON
    (様式をJSONで編集する, for staff who know the format, like LoGoフォーム's advanced mode).
    It is checked whole like every other edit: on any mistake nothing is saved. `based_on` is
    the `definition_digest` of what the editor showed: when the form changed since (another
    page or a colleague saved), nothing is saved either, rather than overwrite that change."""
    definition = _read_json(text)
    check_definition(definition)

    def change(current: dict[str, Any]) -> None:
        if based_on and definition_digest(current) != based_on:
            raise ValidationError(
                _(
                    "この画面を開いたあとで、様式がほかで変更されました。"
                    "開き直して今の内容を確かめてから、もう一度保存してください。"
                ),
                code="stale",
            )
        current.clear()
        current.update(definition)

    return _edit(procedure, by, change, {"operation": "replace_definition"})


def find_field(
    definition: Mapping[str, Any], section: str, key: str, group: str | None = None
) -> dict[str, Any]:
    """A field's JSON in a definition (`ValidationError` when there is none)."""
    fields = _field_list(dict(definition), section, group)
    return fields[_field_index(fields, key)]


def find_section(definition: Mapping[str, Any], key: str) -> dict[str, Any]:
    return definition["sections"][_section_index(dict(definition), key)]


def condition(
    definition: Mapping[str, Any],
    *,
    section: str,
    group: str | None,
    field: str,
    values: list[str],
) -> dict[str, Any]:
    """A ``show_if`` from what staff typed: the field it depends on and the values (one per
    line) that show it, typed as that field's answers are (true/false for a consent, whole
    numbers for a number). One value gives ``equals``, several ``in``."""
    target_section, _dot, key = field.rpartition(".")
    try:
        if group is not None and not target_section:
            target = find_field(definition, section, key, group)
        else:
            target = find_field(definition, target_section or section, key)
    except ValidationError:
        target = {}
    typed: list[Any] = list(values)
    if target.get("type") == "consent":
        words = {"true": True, "はい": True, "false": False, "いいえ": False}
        if any(value.lower() not in words for value in values):
            raise ValidationError(
                _("同意の項目を条件にするときは true か false を書いてください。"), code="consent"
            )
        typed = [words[value.lower()] for value in values]
    elif target.get("type") == "number":
        if not all(re.fullmatch(r"-?\d+", value) for value in values):
            raise ValidationError(
                _("数の項目を条件にするときは整数を書いてください。"), code="number"
            )
        typed = [int(value) for value in values]
    if len(typed) == 1:
        return {"field": field, "equals": typed[0]}
    return {"field": field, "in": typed}


# --- publishing --------------------------------------------------------------------------------


@transaction.atomic
def publish_version(procedure: Procedure, *, by: User, note: str) -> FormVersion:
    """Publish the working copy (様式の公開): from now on residents fill in this version. The
    version is never changed again; drafts and applications keep the version they were made
    with."""
    procedure = _locked(procedure, by)
    version = working_copy(procedure)
    note = note.strip()
    if version is None:
        raise ValidationError(_("公開する編集中の様式がありません。"), code="no_working_copy")
    if not note:
        raise ValidationError(_("変更の内容を書いてください。"), code="note_required")
    current = procedure.current_version()
    version.definition = check_definition(version.definition)
    if procedure.fee_kind != FeeKind.NONE and "fee" not in version.definition:
        raise ValidationError(
            _("手数料がある手続きです。公開する前に、様式で手数料の計算を決めてください。"),
            code="fee_required",
        )
    if current is not None and current.definition == version.definition:
        raise ValidationError(
            _("公開中の様式と同じ内容です。変えてから公開してください。"), code="unchanged"
        )
    version.note = note[: FormVersion._meta.get_field("note").max_length]
    version.published_at = timezone.now()
    version.created_by = by
    version.save(update_fields=["definition", "note", "published_at", "created_by"])
    record(
        AuditAction.UPDATE,
        by=by,
        obj=version,
        changes={"published": version.number, "note": version.note},
    )
    return version


@transaction.atomic
def discard_working_copy(procedure: Procedure, *, by: User) -> None:
    """Throw the working copy away (編集を取りやめる); the published form stays as it is."""
    procedure = _locked(procedure, by)
    version = working_copy(procedure)
    if version is None:
        raise ValidationError(_("取りやめる編集中の様式がありません。"), code="no_working_copy")
    record(AuditAction.DELETE, by=by, obj=version, changes={"working_copy": version.number})
    version.delete()


# --- sharing (フォームシェア) --------------------------------------------------------------------


def _shared_settings(procedure: Procedure) -> dict[str, Any]:
    return {
        "code": procedure.code,
        "title": procedure.title,
        "title_en": procedure.title_en,
        "summary": procedure.summary,
        "summary_en": procedure.summary_en,
        "eligibility": procedure.eligibility,
        "eligibility_en": procedure.eligibility_en,
        "department": {"code": procedure.department.code, "name": procedure.department.name},
        "category": procedure.category,
        "life_events": list(procedure.life_events),
        "applicant_kinds": list(procedure.applicant_kinds),
        "required_documents": procedure.required_documents,
        "required_documents_en": procedure.required_documents_en,
        "fee_kind": procedure.fee_kind,
        "fee_amount": procedure.fee_amount,
        "identity_check": procedure.identity_check,
        "target_days": procedure.target_days,
        "statuses": list(procedure.statuses),
        "keywords": procedure.keywords,
    }


def export_definition(procedure: Procedure, *, by: User | None = None) -> bytes:
    """The procedure as one JSON file another town can import (フォームシェア): its settings and
    its published form (the working copy when nothing is published yet)."""
    if by is not None:
        _ensure_may_edit(by, procedure)
    version = procedure.current_version() or working_copy(procedure)
    if version is None:
        raise ValidationError(_("この手続きには様式がありません。"), code="no_form")
    town = Municipality.current()
    data = {
        "format": SHARE_FORMAT,
        "exported_from": {"name": town.name if town else "", "code": town.code if town else ""},
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "procedure": _shared_settings(procedure),
        "form": version.definition,
    }
    if by is not None:
        record(
            AuditAction.EXPORT,
            by=by,
            obj=procedure,
            changes={"format": SHARE_FORMAT, "version": version.number},
        )
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


@dataclass(frozen=True)
class SharedDefinition:
    """A checked shared file: what importing it will do."""

    settings: dict[str, Any]
    form: dict[str, Any]
    exported_from: str
    exported_at: str
    # The procedure with the same code here, which gets a new working copy; None: a new one.
    existing: Procedure | None

    @property
    def code(self) -> str:
        return str(self.settings["code"])

    @property
    def title(self) -> str:
        return str(self.settings["title"])


def _content(file: IO[bytes] | bytes) -> bytes:
    if isinstance(file, bytes):
        return file
    content = file.read(MAX_SHARE_BYTES + 1)
    return content if isinstance(content, bytes) else str(content).encode("utf-8")


def read_shared_definition(file: IO[bytes] | bytes, *, by: User) -> SharedDefinition:
    """Check a shared file completely before anything is saved; `ValidationError` lists what
    is wrong in plain words. A file whose code is another department's procedure is refused:
    its working copy is not `by`'s to replace."""
    content = _content(file)
    if len(content) > MAX_SHARE_BYTES:
        raise ValidationError(_("ファイルが大きすぎます（1MBまで）。"), code="too_large")
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValidationError(
            _("JSONのファイルとして読めません（%(error)s）。") % {"error": error}, code="json"
        ) from error
    if not isinstance(data, dict) or data.get("format") != SHARE_FORMAT:
        raise ValidationError(
            _("共有用の様式ファイル（format が「%(format)s」）ではありません。")
            % {"format": SHARE_FORMAT},
            code="format",
        )
    try:
        checked = read_procedure_file(data, extra_keys=SHARE_KEYS)
    except ProcedureFileError as error:
        raise ValidationError(error.messages, code="file") from error
    department = checked.settings["department"]
    if not isinstance(department, dict) or not isinstance(department.get("code"), str):
        raise ValidationError(
            _('「department」は {"code": …, "name": …} の形にしてください。'),
            code="department",
        )
    existing = Procedure.objects.filter(code=checked.settings["code"]).first()
    if existing is not None and not may_edit(by, existing):
        # The code is taken (codes are unique across the town), but not what it names.
        raise ValidationError(
            _(
                "コード「%(code)s」は、この町のほかの課の手続きが使っています。"
                "ファイルの「code」を変えてから読み込んでください。"
            )
            % {"code": existing.code},
            code="code_taken",
        )
    source = data.get("exported_from")
    source_name = ""
    if isinstance(source, dict):
        source_name = " ".join(str(source.get(key) or "") for key in ("name", "code")).strip()
    return SharedDefinition(
        settings=checked.settings,
        form=checked.form,
        exported_from=source_name,
        exported_at=str(data.get("exported_at") or ""),
        existing=existing,
    )


@transaction.atomic
def import_definition(
    file: IO[bytes] | bytes, *, by: User, department: Department | None = None
) -> Procedure:
    """Import a shared file. A new code makes a new procedure, not shown to residents, in the
    importing staff member's own department (a superuser chooses `department`) with the file's
    form as its working copy; a code already here, in `by`'s department, gets the file's form
    as its working copy (replacing one being edited) and keeps its own settings. Nothing is
    published."""
    shared = read_shared_definition(file, by=by)
    form = check_definition(shared.form)
    existing = shared.existing
    if existing is None:
        department = department or own_department(by)
        _ensure_may_choose(by, department)
        if department is None:
            raise ValidationError(
                {"department": _("担当課を選んでください。")}, code="department_required"
            )
        procedure = Procedure(code=shared.code, is_published=False)
        settings = {key: value for key, value in shared.settings.items() if key != "order"}
        try:
            apply_settings(procedure, settings, department)
        except ProcedureFileError as error:
            raise ValidationError(error.messages, code="settings") from error
        procedure.save()
        FormVersion.objects.create(procedure=procedure, number=1, definition=form, created_by=by)
        record(
            AuditAction.CREATE,
            by=by,
            obj=procedure,
            changes={"imported_from": shared.exported_from, "code": shared.code},
        )
        return procedure
    procedure = _locked(existing, by)
    version = working_copy(procedure)
    if version is None:
        version = FormVersion.objects.create(
            procedure=procedure, number=_next_number(procedure), definition=form, created_by=by
        )
    else:
        version.definition = form
        version.save(update_fields=["definition"])
    record(
        AuditAction.UPDATE,
        by=by,
        obj=version,
        changes={"imported_from": shared.exported_from, "working_copy": version.number},
    )
    return procedure


__all__ = [
    "SHARE_FORMAT",
    "SharedDefinition",
    "add_field",
    "add_section",
    "check_definition",
    "condition",
    "create_procedure",
    "definition_digest",
    "definition_to_edit",
    "discard_working_copy",
    "edit_field",
    "edit_section",
    "editable_by",
    "export_definition",
    "find_field",
    "find_section",
    "import_definition",
    "may_edit",
    "move_field",
    "move_section",
    "own_department",
    "publish_version",
    "published_versions",
    "read_shared_definition",
    "remove_field",
    "remove_section",
    "replace_definition",
    "set_fee",
    "start_working_copy",
    "update_procedure",
    "version_to_edit",
    "with_readings",
    "working_copy",
]
