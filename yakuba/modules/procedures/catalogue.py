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

# The procedure's own settings a file carries; `order` is optional.
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
OPTIONAL_KEYS = frozenset({"order"})


class CatalogueError(Exception):
    """A catalogue file that cannot be loaded; the message starts with the file's name."""


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
    if not isinstance(data, dict) or set(data) != {"procedure", "form"}:
        raise _error(path, _("「procedure」と「form」の二つだけを持つオブジェクトにしてください。"))
    settings, form = data["procedure"], data["form"]
    if not isinstance(settings, dict):
        raise _error(path, _("「procedure」はオブジェクトにしてください。"))
    missing = sorted(REQUIRED_KEYS - set(settings))
    unknown = sorted(set(settings) - REQUIRED_KEYS - OPTIONAL_KEYS)
    if missing:
        raise _error(path, _("「procedure」に次の項目がありません: %(keys)s") % _keys(missing))
    if unknown:
        raise _error(path, _("「procedure」に知らない項目があります: %(keys)s") % _keys(unknown))
    if settings["code"] != path.stem:
        raise _error(path, _("ファイル名とcode（「%(code)s」）を同じにしてください。") % settings)
    _check_choices(path, settings)
    try:
        formdef.parse(form)
    except formdef.DefinitionError as error:
        raise _error(path, "\n".join(error.messages)) from error
    if settings["fee_kind"] != FeeKind.NONE and "fee" not in form:
        raise _error(path, _("手数料がある手続きは、様式に「fee」を書いてください。"))
    return _Entry(path=path, settings=settings, form=form)


def _check_choices(path: Path, settings: dict[str, Any]) -> None:
    """The values the model keeps as plain JSON must still be ones the module knows."""
    lists = {
        "life_events": LifeEvent.values,
        "applicant_kinds": ApplicantKind.values,
        "statuses": Status.values,
    }
    for name, allowed in lists.items():
        values = settings[name]
        if not isinstance(values, list) or any(value not in allowed for value in values):
            raise _error(
                path,
                _("「%(name)s」は次の値のリストにしてください: %(allowed)s")
                % {"name": name, "allowed": ", ".join(allowed)},
            )
    if not settings["applicant_kinds"]:
        raise _error(path, _("「applicant_kinds」を一つ以上書いてください。"))
    if settings["statuses"][:1] != [Status.RECEIVED]:
        raise _error(path, _("「statuses」は受付（received）から始めてください。"))


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
    values = {key: value for key, value in entry.settings.items() if key != "code"}
    values["department"] = departments[values["department"]]
    procedure = Procedure.objects.filter(code=entry.settings["code"]).first()
    if procedure is None:
        procedure = Procedure(code=entry.settings["code"], is_published=True, **values)
    else:
        changed = [key for key, value in values.items() if getattr(procedure, key) != value]
        if not changed:
            return procedure
        for key in changed:
            setattr(procedure, key, values[key])
    try:
        procedure.full_clean()
    except ValidationError as error:
        messages = [f"{field}: {' '.join(texts)}" for field, texts in error.message_dict.items()]
        raise _error(entry.path, "\n".join(messages)) from error
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


__all__ = ["CATALOGUE_DIR", "CatalogueError", "load_catalogue"]
