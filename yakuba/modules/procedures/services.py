"""The procedures' use cases on the residents' side (オンライン申請): keep a draft, attach files,
file an application (申請), answer a request for correction (補正), and the answers as they stand.

Every operation checks everything first and saves nothing when something is wrong; a filed
application's answers and digest never change — corrections are `Amendment`s on top of them.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yakuba.modules.procedures import engine, fees, formdef
from yakuba.modules.procedures.models import (
    Amendment,
    ApplicantKind,
    Attachment,
    Draft,
    Event,
    FormVersion,
    HouseholdMember,
    Procedure,
    ReceiptCounter,
    Status,
    Submission,
)
from yakuba.platform import notify
from yakuba.platform.accounts.models import ResidentProfile, User
from yakuba.platform.payments.collectors import FeeDue, fee_collector

# Kept in a draft's answers next to the form's sections: who an agent acts for. Section keys
# start with a letter, so this never collides with one; it is removed before the engine sees them.
AGENT_KEY = "_agent"
MAX_AGENT_NAME = 100
MAX_RELATIONSHIP = 50
MAX_MESSAGE = 2000

# What a file's first bytes must be for each kind a file field may accept (magic numbers).
FILE_SIGNATURES: dict[str, tuple[bytes, str]] = {
    "pdf": (b"%PDF-", "application/pdf"),
    "jpeg": (b"\xff\xd8\xff", "image/jpeg"),
    "png": (b"\x89PNG\r\n\x1a\n", "image/png"),
}


class AlreadySubmitted(Exception):
    """The draft is gone: it was filed already (a second click on 「申請する」) or discarded."""


@dataclass(frozen=True)
class Agent:
    """Who an agent (代理人) files for, and how they are related (本人との関係)."""

    principal_name: str
    relationship: str

    def to_json(self) -> dict[str, str]:
        return {"principal_name": self.principal_name, "relationship": self.relationship}

    @classmethod
    def from_json(cls, data: Any) -> Agent | None:
        if not isinstance(data, dict):
            return None
        return cls(str(data.get("principal_name", "")), str(data.get("relationship", "")))


# --- who files ------------------------------------------------------------------------------------


def profile_of(user: User) -> ResidentProfile | None:
    return ResidentProfile.objects.filter(user=user).first()


def household_of(user: User) -> list[HouseholdMember]:
    """The members of the resident's household (世帯員) they may file for."""
    return list(HouseholdMember.objects.filter(profile__user=user))


def _applicant_name(user: User) -> str:
    profile = profile_of(user)
    return (profile.full_name if profile else "") or user.email


def _check_who(
    procedure: Procedure,
    applicant: User,
    applicant_kind: str,
    household_member: HouseholdMember | None,
    agent: Agent | None,
) -> str:
    """Check that the applicant may file as `applicant_kind` and return the name of whom the
    application is for (対象者)."""
    if applicant_kind not in procedure.applicant_kinds or applicant_kind not in ApplicantKind:
        raise ValidationError({"applicant_kind": _("この手続きは、その立場からは申請できません。")})
    if applicant_kind == ApplicantKind.HOUSEHOLD:
        if household_member is None or household_member.profile.user_id != applicant.pk:
            raise ValidationError(
                {"household_member": _("申請する世帯員を、あなたの世帯から選んでください。")}
            )
        return household_member.name
    if applicant_kind == ApplicantKind.AGENT:
        errors: dict[str, str] = {}
        name = agent.principal_name.strip() if agent else ""
        relationship = agent.relationship.strip() if agent else ""
        if not name:
            errors["principal_name"] = _("代わりに申請するご本人の氏名を書いてください。")
        elif len(name) > MAX_AGENT_NAME:
            errors["principal_name"] = _("氏名は%(limit)d文字以内にしてください。") % {
                "limit": MAX_AGENT_NAME
            }
        if not relationship:
            errors["relationship"] = _("ご本人との関係を書いてください。")
        elif len(relationship) > MAX_RELATIONSHIP:
            errors["relationship"] = _("関係は%(limit)d文字以内にしてください。") % {
                "limit": MAX_RELATIONSHIP
            }
        if errors:
            raise ValidationError(errors)
        return name
    return _applicant_name(applicant)


def _form_version(procedure: Procedure) -> FormVersion:
    version = procedure.current_version() if procedure.is_published else None
    if version is None:
        raise ValidationError(_("この手続きは今はオンラインで申請できません。"))
    return version


# --- drafts ---------------------------------------------------------------------------------------


def form_answers(answers: dict[str, Any]) -> dict[str, Any]:
    """A draft's answers without what this module keeps next to the form's sections."""
    return {key: value for key, value in answers.items() if not key.startswith("_")}


def agent_of(draft: Draft) -> Agent | None:
    return Agent.from_json(draft.answers.get(AGENT_KEY))


def start_draft(
    applicant: User,
    procedure: Procedure,
    *,
    applicant_kind: str = ApplicantKind.SELF,
    household_member: HouseholdMember | None = None,
    agent: Agent | None = None,
) -> Draft:
    """Start filling a procedure's form (or change whom it is for): the answers are pre-filled
    from the resident's profile and, for a household member, theirs (書かない窓口). A draft
    already started keeps what was typed; pre-filled values only fill what is still empty."""
    version = _form_version(procedure)
    _check_who(procedure, applicant, applicant_kind, household_member, agent)
    existing = Draft.objects.filter(applicant=applicant, procedure=procedure).first()
    definition = formdef.parse(existing.form_version.definition if existing else version.definition)
    profile = profile_of(applicant)
    prefilled: dict[str, Any] = {}
    if profile is not None:
        prefilled = engine.prefill(
            definition,
            profile=profile,
            subject=_subject(applicant_kind, household_member, agent),
            email=applicant.email,
        )
    typed = form_answers(existing.answers) if existing else {}
    answers = _merged(prefilled, typed)
    return save_draft(
        applicant,
        procedure,
        answers,
        applicant_kind=applicant_kind,
        household_member=household_member,
        agent=agent,
    )


def _subject(
    applicant_kind: str, household_member: HouseholdMember | None, agent: Agent | None
) -> Any:
    """The person `subject.*` pre-fills from: the household member, or — for an agent — only
    the name they gave (never the agent's own details); None when filing for oneself."""
    if applicant_kind == ApplicantKind.HOUSEHOLD:
        return household_member
    if applicant_kind == ApplicantKind.AGENT and agent is not None:
        return SimpleNamespace(name=agent.principal_name, name_kana="", birth_date=None, sex="")
    return None


def _merged(prefilled: dict[str, Any], typed: dict[str, Any]) -> dict[str, Any]:
    """Typed answers win over pre-filled ones, field by field."""
    merged = copy.deepcopy(prefilled)
    for section, values in typed.items():
        if isinstance(values, dict) and isinstance(merged.get(section), dict):
            merged[section].update(
                {key: value for key, value in values.items() if value not in (None, "", [], {})}
            )
        else:
            merged[section] = values
    return merged


@transaction.atomic
def save_draft(
    applicant: User,
    procedure: Procedure,
    answers: dict[str, Any],
    *,
    applicant_kind: str = ApplicantKind.SELF,
    household_member: HouseholdMember | None = None,
    agent: Agent | None = None,
) -> Draft:
    """Save the form to finish later (下書き保存): one draft per resident and procedure, the
    answers kept as typed, valid or not. Whom it is for is checked now."""
    _check_who(procedure, applicant, applicant_kind, household_member, agent)
    stored = form_answers(answers)
    if applicant_kind == ApplicantKind.AGENT and agent is not None:
        stored[AGENT_KEY] = agent.to_json()
    draft = Draft.objects.select_for_update().filter(applicant=applicant, procedure=procedure)
    existing = draft.first()
    if existing is None:
        return Draft.objects.create(
            applicant=applicant,
            procedure=procedure,
            form_version=_form_version(procedure),
            applicant_kind=applicant_kind,
            household_member=household_member
            if applicant_kind == ApplicantKind.HOUSEHOLD
            else None,
            answers=stored,
        )
    existing.applicant_kind = applicant_kind
    existing.household_member = (
        household_member if applicant_kind == ApplicantKind.HOUSEHOLD else None
    )
    existing.answers = stored
    existing.save(update_fields=["applicant_kind", "household_member", "answers", "updated_at"])
    return existing


@transaction.atomic
def save_section(draft: Draft, section_key: str, values: dict[str, Any]) -> Draft:
    """Keep one section's answers in the draft (each step of the form saves as it goes)."""
    locked = Draft.objects.select_for_update().get(pk=draft.pk)
    locked.answers[section_key] = values
    locked.save(update_fields=["answers", "updated_at"])
    draft.answers = locked.answers
    return locked


@transaction.atomic
def discard_draft(draft: Draft) -> None:
    """Throw a draft away with its attached files (下書きを削除)."""
    for attachment in draft.attachments.all():
        _delete_file_after_commit(attachment)
        attachment.delete()
    draft.delete()


def _delete_file_after_commit(attachment: Attachment) -> None:
    file = attachment.file
    transaction.on_commit(lambda: file.delete(save=False))


# --- attachments ----------------------------------------------------------------------------------


def file_field(definition: formdef.FormDefinition, path: str) -> formdef.Field | None:
    """The file field at `path` ("section.field", or "section.group.N.field" in a group's row)."""
    parts = path.split(".")
    try:
        section = definition.section(parts[0])
    except StopIteration:
        return None
    found = next((item for item in section.fields if item.key == parts[1]), None)
    if found is not None and found.type == "group" and len(parts) == 4 and parts[2].isdigit():
        found = next((item for item in found.fields if item.key == parts[3]), None)
    elif len(parts) != 2:
        return None
    return found if found is not None and found.type == "file" else None


def sniff_file_kind(head: bytes) -> str | None:
    """The kind of a file by its first bytes (never by its name or the browser's word)."""
    return next(
        (kind for kind, (magic, _type) in FILE_SIGNATURES.items() if head.startswith(magic)), None
    )


def _set_answer(answers: dict[str, Any], path: str, value: Any) -> None:
    """Put `value` at `path` in the answers; None removes the answer (an empty field is absent)."""
    parts = path.split(".")
    target: Any = answers
    for index, part in enumerate(parts[:-1]):
        following = parts[index + 1]
        if isinstance(target, list):
            position = int(part)
            while len(target) <= position:
                target.append({})
            target = target[position]
            continue
        if not isinstance(target.get(part), dict | list):
            target[part] = [] if following.isdigit() else {}
        target = target[part]
    if isinstance(target, list):
        position = int(parts[-1])
        while len(target) <= position:
            target.append({})
        target[position] = value
    elif value is None:
        target.pop(parts[-1], None)
    else:
        target[parts[-1]] = value


def answer_at(answers: dict[str, Any], path: str) -> Any:
    """The answer at `path` ("section.field", "section.group.0.field"); None when absent."""
    value: Any = answers
    for part in path.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def file_answer(attachment: Attachment) -> dict[str, Any]:
    """What a file field's answer holds: the attachment, not the file."""
    return {
        "attachment_id": attachment.pk,
        "name": attachment.original_name,
        "size": attachment.size,
        "sha256": attachment.sha256,
    }


def _store_attachment(
    definition: formdef.FormDefinition,
    field_key: str,
    uploaded_file: UploadedFile,
    *,
    owner: User,
    draft: Draft | None,
    submission: Submission | None,
) -> Attachment:
    """Check an upload for a file field and keep it privately, named by its SHA-256."""
    field = file_field(definition, field_key)
    if field is None:
        raise ValidationError(_("添付する項目が見つかりません。"))
    label = field.label.get()
    size = uploaded_file.size or 0
    if size > field.max_bytes:
        raise ValidationError(
            {
                field_key: _("「%(field)s」のファイルは%(mb)dMB以下にしてください。")
                % {"field": label, "mb": field.max_bytes // (1024 * 1024)}
            }
        )
    if size == 0:
        raise ValidationError(
            {field_key: _("「%(field)s」のファイルが空です。") % {"field": label}}
        )
    content = b"".join(uploaded_file.chunks())
    kind = sniff_file_kind(content[:16])
    accepted = [k for k in field.accepted_kinds if k in FILE_SIGNATURES]
    if kind is None or kind not in accepted:
        raise ValidationError(
            {
                field_key: _("「%(field)s」には %(kinds)s のファイルを添付してください。")
                % {"field": label, "kinds": "・".join(k.upper() for k in accepted)}
            }
        )
    digest = hashlib.sha256(content).hexdigest()
    attachment = Attachment(
        draft=draft,
        submission=submission,
        uploaded_by=owner,
        field_key=field_key,
        original_name=(uploaded_file.name or "file").rsplit("/", 1)[-1][-255:],
        content_type=FILE_SIGNATURES[kind][1],
        size=len(content),
        sha256=digest,
    )
    attachment.file.save(digest, ContentFile(content), save=False)
    attachment.save()
    return attachment


@transaction.atomic
def attach_file(
    draft: Draft, field_key: str, uploaded_file: UploadedFile, *, by: User | None = None
) -> Attachment:
    """Attach a file to a draft's file field (添付書類). The type is read from the content (PDF,
    JPEG, PNG, as the field accepts) and the size is checked against the field's limit; the file is
    stored privately, named by its SHA-256, and replaces the one the field had. `by`: who uploads
    it when it is not the applicant (a clerk at the counter)."""
    locked = Draft.objects.select_for_update().get(pk=draft.pk)
    definition = formdef.parse(locked.form_version.definition)
    attachment = _store_attachment(
        definition,
        field_key,
        uploaded_file,
        owner=by or locked.applicant,
        draft=locked,
        submission=None,
    )
    for previous in Attachment.objects.filter(draft=locked, field_key=field_key).exclude(
        pk=attachment.pk
    ):
        _delete_file_after_commit(previous)
        previous.delete()
    _set_answer(locked.answers, field_key, file_answer(attachment))
    locked.save(update_fields=["answers", "updated_at"])
    draft.answers = locked.answers
    return attachment


# --- filing ---------------------------------------------------------------------------------------


def engine_errors(form: Any) -> ValidationError:
    """The engine's errors as a ValidationError keyed by field path, each naming its field."""
    errors: dict[str, list[str]] = {}
    for path, label, message in form.errors():
        errors.setdefault(path, []).append(f"{label}: {message}" if label else message)
    return ValidationError(errors)


def check_answers(definition: formdef.FormDefinition, answers: dict[str, Any]) -> Any:
    """The engine's form for saved answers, posted again as a browser would send them (files
    stay as attached): what the review page shows and `validated_answers` checks."""
    answers = form_answers(answers)
    return engine.build_form(
        definition, data=engine.form_data(definition, answers), answers=answers
    )


def validated_answers(definition: formdef.FormDefinition, answers: dict[str, Any]) -> Any:
    """The answers cleaned by the form engine (canonical); ValidationError naming the fields."""
    form = check_answers(definition, answers)
    if not form.is_valid():
        raise engine_errors(form)
    return form.answers


def next_receipt_number(year: int) -> str:
    """The next 受付番号 of the year ("2026-000123"), under a row lock: two filings at the same
    moment never share one, and a filing that rolls back gives its number back."""
    ReceiptCounter.objects.get_or_create(year=year)
    counter = ReceiptCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{year}-{counter.last:06d}"


def request_fee(submission: Submission) -> None:
    """Ask the town's fee collector (`PAYMENTS_FEE_COLLECTOR`) for the submission's 手数料 and
    keep the payment state it answers."""
    submission.payment = fee_collector().request(
        FeeDue(
            reference=f"procedures:{submission.receipt_number}",
            amount=submission.fee_amount or 0,
            description=submission.procedure.title,
            payer_id=submission.applicant_id,
        )
    )
    submission.save(update_fields=["payment"])


def submission_url(submission: Submission) -> str:
    return settings.NOTIFY_PUBLIC_BASE_URL.rstrip("/") + reverse(
        "procedures:submission", args=[submission.pk]
    )


def _file_attachment_ids(definition: formdef.FormDefinition, answers: dict[str, Any]) -> set[int]:
    """The attachments the answers refer to (a file of a field hidden since is not filed)."""
    ids: set[int] = set()

    def collect(value: Any) -> None:
        if isinstance(value, dict) and isinstance(value.get("attachment_id"), int):
            ids.add(value["attachment_id"])
        elif isinstance(value, list):
            for item in value:
                collect(item)

    for section, item in definition.fields():
        value = (answers.get(section.key) or {}).get(item.key)
        if item.type == "file":
            collect(value)
        elif item.type == "group" and isinstance(value, list):
            for row in value:
                for child in item.fields:
                    if child.type == "file" and isinstance(row, dict):
                        collect(row.get(child.key))
    return ids


@transaction.atomic
def submit(draft: Draft, *, applicant: User, taken_by: User | None = None) -> Submission:
    """File a draft as an application (申請する).

    The draft row is locked and deleted in the same transaction, so a double-clicked 「申請する」
    files once: the second request finds no draft (`AlreadySubmitted`). The answers are checked
    by the form engine (ValidationError naming the fields; nothing saved), frozen in canonical
    form with their SHA-256, and given the year's next receipt number; the fee is requested from
    the configured collector; the attachments move to the submission; the applicant is told; the
    signed PDF copy is made by a background job.

    `taken_by`: the clerk who files it for the applicant at the counter (窓口受付, see
    `backoffice.file_at_counter`): the source is then 窓口 and the 受付 step in the history is
    the clerk's, which is how the back office shows who took it."""
    locked = Draft.objects.select_for_update().filter(pk=draft.pk, applicant=applicant).first()
    if locked is None:
        raise AlreadySubmitted
    procedure = Procedure.objects.select_related("department").get(pk=locked.procedure_id)
    version = locked.form_version
    agent = agent_of(locked)
    subject_name = _check_who(
        procedure, applicant, locked.applicant_kind, locked.household_member, agent
    )
    if not procedure.is_published:
        raise ValidationError(_("この手続きは今はオンラインで申請できません。"))
    definition = formdef.parse(version.definition)
    frozen = validated_answers(definition, locked.answers)
    now = timezone.now()
    fee = fees.fee_for(definition, frozen) or 0
    submission = Submission.objects.create(
        receipt_number=next_receipt_number(timezone.localtime(now).year),
        procedure=procedure,
        form_version=version,
        applicant=applicant,
        applicant_kind=locked.applicant_kind,
        applicant_name=_applicant_name(applicant)[:100],
        subject_name=subject_name[:100],
        household_member=locked.household_member,
        agent_relationship=agent.relationship.strip() if agent else "",
        answers=frozen,
        digest=engine.digest(frozen),
        department=procedure.department,
        fee_amount=fee or None,
        source=Submission.Source.COUNTER if taken_by else Submission.Source.WEB,
        submitted_at=now,
        updated_at=now,
    )
    if fee > 0:
        request_fee(submission)
    filed = _file_attachment_ids(definition, frozen)
    for attachment in locked.attachments.all():
        if attachment.pk in filed:
            attachment.draft = None
            attachment.submission = submission
            attachment.save(update_fields=["draft", "submission"])
        else:
            _delete_file_after_commit(attachment)
            attachment.delete()
    Event.objects.create(
        submission=submission,
        kind=Event.Kind.STATUS,
        status=Status.RECEIVED,
        text=_("窓口で受け付けました。") if taken_by else "",
        author=taken_by or applicant,
        created_at=now,
    )
    locked.delete()
    notify.send(
        "procedures.received",
        to=applicant,
        context={
            "procedure": procedure.title,
            "receipt": submission.receipt_number,
            "status": Status.RECEIVED.label,
            "message": "",
        },
        link_url=submission_url(submission),
    )
    from yakuba.modules.procedures.tasks import make_submission_pdf

    submission_id = submission.pk
    transaction.on_commit(lambda: make_submission_pdf.enqueue(submission_id))
    return submission


def store_pdf(submission: Submission) -> bool:
    """Make and keep the signed PDF copy (申請の控え) of a submission, once. Returns False when it
    was there already (the job may run twice)."""
    from yakuba.modules.procedures.pdf import render_pdf
    from yakuba.modules.procedures.signing import sign_pdf

    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.pdf:
            return False
    signed = sign_pdf(render_pdf(locked))
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.pdf:
            return False
        locked.pdf.save(f"{locked.receipt_number}.pdf", ContentFile(signed), save=False)
        locked.save(update_fields=["pdf"])
    return True


# --- after filing ---------------------------------------------------------------------------------


def current_answers(submission: Submission) -> dict[str, Any]:
    """The answers as they stand: as filed, with every amendment applied in order."""
    answers = copy.deepcopy(submission.answers)
    for amendment in submission.amendments.all():
        for path, change in amendment.changes.items():
            _set_answer(answers, path, copy.deepcopy(change.get("new")))
    return answers


def correction_request(submission: Submission) -> Event | None:
    """The open 補正依頼: the latest move to that status, while the submission is in it."""
    if submission.status != Status.CORRECTION:
        return None
    return (
        submission.events.filter(kind=Event.Kind.STATUS, status=Status.CORRECTION)
        .order_by("-created_at", "-pk")
        .first()
    )


def correction_definition(
    definition: formdef.FormDefinition, paths: list[str]
) -> formdef.FormDefinition:
    """The form cut down to the fields a 補正依頼 names ("section.field"; a group whole), in form
    order: what the applicant may change."""
    wanted = set(paths)
    sections = []
    for section in definition.sections:
        fields = tuple(f for f in section.fields if f"{section.key}.{f.key}" in wanted)
        if fields:
            sections.append(replace(section, fields=fields))
    return replace(definition, sections=tuple(sections), fee=None)


@transaction.atomic
def answer_correction(
    submission: Submission,
    *,
    applicant: User,
    changes: dict[str, Any],
    message: str = "",
    uploads: dict[str, UploadedFile] | None = None,
) -> Event:
    """Answer a request for correction (補正依頼に回答する) by changing only the answers the clerk
    named (`changes`: {path: new value}; `uploads`: new files by path, for file fields whose value
    in `changes` waits for its attachment). The changed content is checked like the form; the
    change is kept as an Amendment with the digest of the whole content after it; the status goes
    back to 審査中 (reviewing)."""
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    if locked.applicant_id != applicant.pk:
        raise ValidationError(_("この申請には回答できません。"))
    request = correction_request(locked)
    if request is None:
        raise ValidationError(_("この申請には、いま補正の依頼はありません。"))
    message = message.strip()
    if len(message) > MAX_MESSAGE:
        raise ValidationError(
            {"message": _("連絡は%(limit)d文字以内にしてください。") % {"limit": MAX_MESSAGE}}
        )
    not_asked = sorted(
        path
        for path in set(changes) | set(uploads or {})
        if not any(path == f or path.startswith(f + ".") for f in request.requested_fields)
    )
    if not_asked:
        raise ValidationError(
            _("補正を求められていない項目は変えられません: %(fields)s")
            % {"fields": "、".join(not_asked)}
        )
    definition = formdef.parse(locked.form_version.definition)
    before = current_answers(locked)
    after = copy.deepcopy(before)
    for path, value in changes.items():
        _set_answer(after, path, copy.deepcopy(value))
    for path, upload in (uploads or {}).items():
        stored = _store_attachment(
            definition, path, upload, owner=applicant, submission=locked, draft=None
        )
        _set_answer(after, path, file_answer(stored))
    cleaned = validated_answers(definition, after)
    changed = {
        path: {"old": answer_at(before, path), "new": answer_at(cleaned, path)}
        for path in request.requested_fields
        if answer_at(before, path) != answer_at(cleaned, path)
    }
    if not changed and not message:
        raise ValidationError(_("直した内容か、担当課への連絡を書いてください。"))
    now = timezone.now()
    amendment = None
    if changed:
        amendment = Amendment.objects.create(
            submission=locked,
            author=applicant,
            by_staff=False,
            changes=changed,
            reason=message,
            digest=engine.digest(cleaned),
            created_at=now,
        )
    event = Event.objects.create(
        submission=locked,
        kind=Event.Kind.FROM_APPLICANT,
        text=message,
        author=applicant,
        amendment=amendment,
        created_at=now,
    )
    Event.objects.create(
        submission=locked,
        kind=Event.Kind.STATUS,
        status=Status.REVIEWING,
        author=applicant,
        created_at=now,
    )
    locked.status = Status.REVIEWING
    locked.updated_at = now
    locked.save(update_fields=["status", "updated_at"])
    return event
