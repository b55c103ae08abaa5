"""What the resident's form pages (`views.py`) and the same form filled at the counter for a
resident (`counter_views.py`) share: whom the application is for, a section as posted, the
section's page and the review page. The two flows differ only in who saves (the resident, or a
clerk on their behalf, audited) and in their URLs, which the views pass in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest

from yakuba.modules.procedures import engine, fees, formdef, services
from yakuba.modules.procedures.models import Draft


def add_errors(form: Any, error: ValidationError) -> None:
    """A service's refusal on a Django form: each message next to its field, the rest on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def start_initial(draft: Draft | None) -> dict[str, Any]:
    """The start form's values for a draft begun before: whom the application is for."""
    if draft is None:
        return {}
    agent = services.agent_of(draft)
    return {
        "applicant_kind": draft.applicant_kind,
        "household_member": draft.household_member_id,
        "principal_name": agent.principal_name if agent else "",
        "relationship": agent.relationship if agent else "",
    }


def section_keys(definition: formdef.FormDefinition) -> list[str]:
    return [section.key for section in definition.sections]


def _as_typed(
    definition: formdef.FormDefinition, section_key: str, data: Any, kept: dict[str, Any]
) -> dict[str, Any]:
    """A section's answers for a draft: the engine's checked values, and what was typed into
    the fields that did not pass (a draft keeps answers as typed, to correct later)."""
    values = dict(kept.get(section_key, {}))
    for item in definition.section(section_key).fields:
        if item.type in ("group", "file", "consent") or item.key in values:
            continue
        names = {
            part.name: f"{section_key}-{item.key}__{part.name}"
            if part.name
            else f"{section_key}-{item.key}"
            for part in engine.parts_of(item)
        }
        if item.type == "multi_choice":
            continue
        typed = {part: str(data.get(name, "")).strip() for part, name in names.items()}
        if not any(typed.values()):
            continue
        values[item.key] = typed.get("", typed)
    return values


@dataclass(frozen=True)
class PostedSection:
    """A section's page as posted: the bound form, the files refused, and where to go next —
    `next_url`, or `is_saved` (「一時保存」: leave the form), or neither: show the section again
    (a row added or removed, or something to fix)."""

    form: Any
    upload_errors: list[str]
    next_url: str = ""
    is_saved: bool = False


def post_section(
    request: HttpRequest,
    definition: formdef.FormDefinition,
    draft: Draft,
    section: str,
    *,
    attach: Callable[[str, UploadedFile], object],
    save: Callable[[dict[str, Any]], object],
    section_url: Callable[[str], str],
    review_url: str,
) -> PostedSection:
    """Take one section of the form as posted: attach the files sent for it (`attach(path,
    file)`; a refused one's messages are kept, the rest goes on), save the answers with
    `save(values)` — as checked when they pass, else as typed — and tell where to go:
    「次へ」 to the next section or the review when the section passes, 「前へ戻る」 back."""
    upload_errors: list[str] = []
    for name, upload in request.FILES.items():
        path = name.replace("-", ".")
        if not path.startswith(section + ".") or not isinstance(upload, UploadedFile):
            continue
        try:
            attach(path, upload)
        except ValidationError as error:
            upload_errors.extend(error.messages)
    form = engine.build_form(
        definition, data=request.POST, answers=services.form_answers(draft.answers), section=section
    )
    valid = form.is_valid()
    save(
        form.answers[section]
        if valid
        else _as_typed(definition, section, request.POST, form.draft_answers)
    )
    keys = section_keys(definition)
    position = keys.index(section)
    action = request.POST.get("action", "next")
    if form.row_action:
        return PostedSection(form, upload_errors)
    if action == "save":
        return PostedSection(form, upload_errors, is_saved=True)
    if action == "back" and position > 0:
        return PostedSection(form, upload_errors, next_url=section_url(keys[position - 1]))
    if valid and not upload_errors:
        if position + 1 < len(keys):
            return PostedSection(form, upload_errors, next_url=section_url(keys[position + 1]))
        return PostedSection(form, upload_errors, next_url=review_url)
    return PostedSection(form, upload_errors)


def section_context(
    definition: formdef.FormDefinition,
    draft: Draft,
    form: Any,
    section: str,
    *,
    upload_errors: list[str],
) -> dict[str, Any]:
    """What a section's page shows (procedures/form/section_form.html and the step count)."""
    keys = section_keys(definition)
    position = keys.index(section)
    return {
        "draft": draft,
        "form": form,
        "section": form.sections[0],
        "section_title": definition.section(section).title.get(),
        "step": position + 1,
        "steps": len(keys),
        "is_first": position == 0,
        "is_last": position + 1 == len(keys),
        "upload_errors": upload_errors,
    }


def review_context(
    draft: Draft,
    *,
    section_url: Callable[[str], str],
    error: ValidationError | None,
    attachment_url: Callable[[int], str] | None = None,
) -> dict[str, Any]:
    """What the review page (確認) shows: every answer by section with the link to change it,
    what still needs an answer linked to its section, why filing was refused (`error`), and the
    fee once the answers pass."""
    definition = formdef.parse(draft.form_version.definition)
    form = services.check_answers(definition, draft.answers)
    valid = form.is_valid()
    sections = engine.answer_sections(
        definition, form.answers if valid else form.draft_answers, attachment_url=attachment_url
    )
    return {
        "draft": draft,
        "sections": [(section, section_url(section.key)) for section in sections],
        "is_valid": valid and error is None,
        "problems": [
            (section_url(path.split(".")[0]), label, message)
            for path, label, message in form.errors()
        ],
        "submit_errors": error.messages if error else [],
        "agent": services.agent_of(draft),
        "fee": fees.fee_for(definition, form.answers) if valid else None,
    }
