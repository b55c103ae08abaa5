"""The catalogue of procedures the town ships (手続きの一覧): one JSON file per procedure in
`catalogue/`, ``{"procedure": {...}, "form": <form definition>}``.

The files hold the 26 procedures the national 自治体DX推進計画 names for online filing (子育て 15,
介護 11), り災証明書 and the certificates residents ask for most; `docs/modules/procedures-catalogue.md`
lists them with the source of each form. Loading is idempotent and never rewrites history: a
procedure is created with its first published form; when a file's form later differs from the
published one, a new version is published and the old one stays, because submissions refer to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from yakuba.modules.procedures import formdef
from yakuba.modules.procedures.models import (
    ApplicantKind,
    FeeKind,
    FormVersion,
    LifeEvent,
    Procedure,
    Status,
)
from yakuba.platform.accounts.models import Department, User

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogue"

# The procedure's own settings a file carries; OPTIONAL_KEYS may be left out.
REQUIRED_KEYS = frozenset(
    {
        "code",
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
        "fee_kind",
        "fee_amount",
        "identity_check",
        "target_days",
        "statuses",
        "keywords",
    }
)
# `required_documents_en` came later: files shared by towns on an older Yakuba lack it.
OPTIONAL_KEYS = frozenset({"order", "required_documents_en"})


class CatalogueError(Exception):
    """A catalogue file that cannot be loaded; the message starts with the file's name."""


class ProcedureFileError(ValueError):
    """A procedure file (a catalogue file or one shared by another town) with mistakes;
    `messages` has one plain Japanese sentence per mistake."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class ProcedureFile:
    """A checked procedure file: the procedure's settings (`department` as the file wrote it)
    and its form definition."""

    settings: dict[str, Any]
    form: dict[str, Any]


@dataclass(frozen=True)
class _Entry:
    path: Path
    settings: dict[str, Any]
    form: dict[str, Any]


def load_catalogue(*, by: User | None = None, directory: Path = CATALOGUE_DIR) -> list[Procedure]:
    """Create or bring up to date every procedure in `directory`, in one transaction.

    A new procedure is published with version 1 of its form. An existing one takes the file's
    settings, and a new published form version when the file's form differs from the current one
    (`by` is recorded as its author). Loading unchanged files changes nothing. A broken file raises
    `CatalogueError` naming it, and nothing is saved.
    """
    entries = [_read(path) for path in sorted(directory.glob("*.json"))]
    _check_codes_unique(entries)
    departments = _departments(entries)
    procedures = []
    with transaction.atomic():
        for entry in entries:
            procedure = _save_procedure(entry, departments)
            _publish_if_changed(procedure, entry, by=by)
            procedures.append(procedure)
    return procedures


def _read(path: Path) -> _Entry:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _error(path, _("JSONとして読めません（%(error)s）。") % {"error": error}) from error
    try:
        checked = read_procedure_file(data)
        if not isinstance(checked.settings["department"], str):
            raise ProcedureFileError([_("「department」は課のコードにしてください。")])
    except ProcedureFileError as error:
        raise _error(path, "\n".join(error.messages)) from error
    if checked.settings["code"] != path.stem:
        raise _error(
            path, _("ファイル名とcode（「%(code)s」）を同じにしてください。") % checked.settings
        )
    return _Entry(path=path, settings=checked.settings, form=checked.form)


def read_procedure_file(data: Any, *, extra_keys: frozenset[str] = frozenset()) -> ProcedureFile:
    """Check a procedure file read from JSON: ``{"procedure": {...}, "form": {...}}`` (plus
    `extra_keys` at the top, which the caller checks). The settings must have every key the
    catalogue writes, with values the module knows; the form must pass `formdef.parse`.
    Raises `ProcedureFileError`."""
    if not isinstance(data, dict) or set(data) - extra_keys != {"procedure", "form"}:
        raise ProcedureFileError(
            [_("「procedure」と「form」の二つだけを持つオブジェクトにしてください。")]
            if not extra_keys
            else [
                _("「procedure」「form」と %(keys)s だけを持つオブジェクトにしてください。")
                % _keys(sorted(extra_keys))
            ]
        )
    settings, form = data["procedure"], data["form"]
    if not isinstance(settings, dict):
        raise ProcedureFileError([_("「procedure」はオブジェクトにしてください。")])
    missing = sorted(REQUIRED_KEYS - set(settings))
    unknown = sorted(set(settings) - REQUIRED_KEYS - OPTIONAL_KEYS)
    if missing:
        raise ProcedureFileError(
            [_("「procedure」に次の項目がありません: %(keys)s") % _keys(missing)]
        )
    if unknown:
        raise ProcedureFileError(
            [_("「procedure」に知らない項目があります: %(keys)s") % _keys(unknown)]
        )
    _check_choices(settings)
    try:
        formdef.parse(form)
    except formdef.DefinitionError as error:
        raise ProcedureFileError(error.messages) from error
    if settings["fee_kind"] != FeeKind.NONE and "fee" not in form:
        raise ProcedureFileError([_("手数料がある手続きは、様式に「fee」を書いてください。")])
    return ProcedureFile(settings=settings, form=form)


def _check_choices(settings: dict[str, Any]) -> None:
    """The values the model keeps as plain JSON must still be ones the module knows."""
    lists = {
        "life_events": LifeEvent.values,
        "applicant_kinds": ApplicantKind.values,
        "statuses": Status.values,
    }
    for name, allowed in lists.items():
        values = settings[name]
        if not isinstance(values, list) or any(value not in allowed for value in values):
            raise ProcedureFileError(
                [
                    _("「%(name)s」は次の値のリストにしてください: %(allowed)s")
                    % {"name": name, "allowed": ", ".join(allowed)}
                ]
            )
    if not settings["applicant_kinds"]:
        raise ProcedureFileError([_("「applicant_kinds」を一つ以上書いてください。")])
    if settings["statuses"][:1] != [Status.RECEIVED]:
        raise ProcedureFileError([_("「statuses」は受付（received）から始めてください。")])


def apply_settings(
    procedure: Procedure, settings: dict[str, Any], department: Department
) -> list[str]:
    """Give `procedure` a file's settings (all but `code`) and `department`, checked as the
    model checks them (lengths, choices); returns the names of the settings that changed.
    Raises `ProcedureFileError`; nothing is saved here."""
    values = {key: value for key, value in settings.items() if key != "code"}
    values["department"] = department
    changed = [key for key, value in values.items() if getattr(procedure, key, None) != value]
    for key in changed:
        setattr(procedure, key, values[key])
    try:
        procedure.full_clean()
    except ValidationError as error:
        raise ProcedureFileError(
            [f"{field}: {' '.join(texts)}" for field, texts in error.message_dict.items()]
        ) from error
    return changed


def _check_codes_unique(entries: list[_Entry]) -> None:
    seen: dict[str, Path] = {}
    for entry in entries:
        code = entry.settings["code"]
        if code in seen:
            raise _error(
                entry.path,
                _("code「%(code)s」は%(other)sと重なっています。")
                % {"code": code, "other": seen[code].name},
            )
        seen[code] = entry.path


def _departments(entries: list[_Entry]) -> dict[str, Department]:
    codes = {entry.settings["department"] for entry in entries}
    departments = {d.code: d for d in Department.objects.filter(code__in=codes)}
    for entry in entries:
        if entry.settings["department"] not in departments:
            raise _error(
                entry.path,
                _("担当課「%(department)s」がありません。先に課を登録してください。")
                % {"department": entry.settings["department"]},
            )
    return departments


def _save_procedure(entry: _Entry, departments: dict[str, Department]) -> Procedure:
    department = departments[entry.settings["department"]]
    procedure = Procedure.objects.filter(code=entry.settings["code"]).first()
    is_new = procedure is None
    if procedure is None:
        procedure = Procedure(code=entry.settings["code"], is_published=True)
    try:
        changed = apply_settings(procedure, entry.settings, department)
    except ProcedureFileError as error:
        raise _error(entry.path, "\n".join(error.messages)) from error
    if is_new or changed:
        procedure.save()
    return procedure


def _publish_if_changed(procedure: Procedure, entry: _Entry, *, by: User | None) -> None:
    current = procedure.current_version()
    if current is not None and current.definition == entry.form:
        return
    last = procedure.versions.aggregate(last=Max("number"))["last"] or 0
    FormVersion.objects.create(
        procedure=procedure,
        number=last + 1,
        definition=entry.form,
        note=_("手続きの一覧から読み込み")
        if current is None
        else _("手続きの一覧のファイルの変更を反映"),
        created_by=by,
        published_at=timezone.now(),
    )


def _error(path: Path, message: str) -> CatalogueError:
    return CatalogueError(f"{path.name}: {message}")


def _keys(keys: list[str]) -> dict[str, str]:
    return {"keys": ", ".join(keys)}


__all__ = [
    "CATALOGUE_DIR",
    "CatalogueError",
    "ProcedureFile",
    "ProcedureFileError",
    "apply_settings",
    "load_catalogue",
    "read_procedure_file",
]
