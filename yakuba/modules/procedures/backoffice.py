"""The back office's use cases (申請の処理): assign, change the status, ask for a correction
(補正依頼), internal notes, messages to the applicant, bulk status changes, mark a counter fee paid,
a clerk's correction of an obvious error (職権訂正), filing for a resident at the counter
(窓口受付), and taking in a package of applications from マイナポータル uploaded by staff.

Every operation takes the acting staff member (`by=`), refuses a submission of another department
(a superuser may act on all), locks the submission row, runs in a transaction and leaves an audit
entry. The applicant hears of every status change and message (notify "procedures.updated": mail
and their my page). The same post repeated within a few seconds (a double click, a reloaded POST)
is taken once. Permissions (procedures.change_submission) are checked by the views; the rules here
hold whoever calls them.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from yakuba.modules.procedures import engine, formdef, mynaportal, services
from yakuba.modules.procedures.backoffice_queries import staff_department_id, staff_name
from yakuba.modules.procedures.models import (
    CLOSED_STATUSES,
    Amendment,
    ApplicantKind,
    Attachment,
    Draft,
    Event,
    HouseholdMember,
    Procedure,
    Status,
    Submission,
)
from yakuba.platform import notify
from yakuba.platform.accounts.models import ResidentProfile, StaffMember, User
from yakuba.platform.audit.models import AuditAction
from yakuba.platform.audit.services import record
from yakuba.platform.payments.collectors import PaymentState

# A second identical post by the same person within this many seconds is a double click (or a
# reload of the POST), not a second message to the applicant.
DOUBLE_POST_SECONDS = 10
MAX_TEXT = services.MAX_MESSAGE
MAX_REASON = 500

# Where a status may go next, before the procedure's own list (Procedure.statuses) narrows it.
# 却下 and 完了 are final; 承認 only leads on to 完了. 補正依頼 is reached through
# `request_correction` (it must name the fields), never through a plain status change.
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    Status.RECEIVED: (Status.REVIEWING, Status.APPROVED, Status.REJECTED, Status.COMPLETED),
    Status.REVIEWING: (Status.APPROVED, Status.REJECTED, Status.COMPLETED),
    Status.CORRECTION: (Status.REVIEWING, Status.APPROVED, Status.REJECTED, Status.COMPLETED),
    Status.APPROVED: (Status.COMPLETED,),
    Status.REJECTED: (),
    Status.COMPLETED: (),
}
CORRECTABLE_FROM = (Status.RECEIVED, Status.REVIEWING, Status.CORRECTION)


# --- who and what -----------------------------------------------------------------------------------


def may_handle(user: Any, submission: Submission) -> bool:
    """Whether `user` works on `submission`: staff of its department, or a superuser."""
    if user.is_superuser:
        return True
    return bool(user.is_staff) and staff_department_id(user) == submission.department_id


def _ensure_may_handle(user: Any, submission: Submission) -> None:
    if not may_handle(user, submission):
        raise PermissionDenied(_("この申請は別の課の担当です。"))


def procedure_statuses(procedure: Procedure) -> list[str]:
    """The statuses a procedure uses, in its order (every status when it names none)."""
    used = [s for s in (procedure.statuses or []) if s in Status.values]
    return used or list(Status.values)


def next_statuses(submission: Submission) -> list[str]:
    """The statuses a plain status change may move `submission` to, in the procedure's order."""
    allowed = NEXT_STATUSES.get(submission.status, ())
    return [s for s in procedure_statuses(submission.procedure) if s in allowed]


def may_request_correction(submission: Submission) -> bool:
    return submission.status in CORRECTABLE_FROM and Status.CORRECTION in procedure_statuses(
        submission.procedure
    )


def correctable_fields(submission: Submission, *, files: bool = True) -> list[tuple[str, str]]:
    """(path, label) of the answers a 補正依頼 may name: the form's top-level fields
    ("section.field"; a repeated group as a whole), in form order. A clerk's correction names
    no file field (`files=False`): staff do not replace what the applicant attached."""
    definition = formdef.parse(submission.form_version.definition)
    return [
        (f"{section.key}.{item.key}", f"{section.title}: {item.label}")
        for section, item in definition.fields()
        if files or item.type != "file"
    ]


def _locked(submission: Submission) -> Submission:
    return Submission.objects.select_for_update().select_related("procedure").get(pk=submission.pk)


def _text(value: str, *, if_empty: str = "", limit: int = MAX_TEXT) -> str:
    """The text stripped; refused when too long, or when empty if `if_empty` says why."""
    value = value.strip()
    if not value and if_empty:
        raise ValidationError(if_empty, code="empty")
    if len(value) > limit:
        raise ValidationError(
            _("%(limit)d文字以内にしてください。") % {"limit": limit}, code="too_long"
        )
    return value


def _repeated(
    submission: Submission, *, by: User, kind: str, status: str = "", text: str
) -> Event | None:
    """The same post by the same person a moment ago, if there is one."""
    return (
        Event.objects.filter(
            submission=submission,
            author=by,
            kind=kind,
            status=status,
            text=text,
            created_at__gte=timezone.now() - timedelta(seconds=DOUBLE_POST_SECONDS),
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def _tell_applicant(submission: Submission, message: str) -> None:
    """Mail and my page (notify "procedures.updated"); nobody to tell for a filing without an
    account (マイナポータル, or an account deleted since)."""
    if submission.applicant is None:
        return
    notify.send(
        "procedures.updated",
        to=submission.applicant,
        context={
            "procedure": submission.procedure.title,
            "receipt": submission.receipt_number,
            "status": Status(submission.status).label,
            "message": message,
        },
        link_url=services.submission_url(submission),
    )


def _touch(submission: Submission, *fields: str) -> None:
    submission.updated_at = timezone.now()
    submission.save(update_fields=[*fields, "updated_at"])


# --- one submission ---------------------------------------------------------------------------------


@transaction.atomic
def assign(submission: Submission, *, to: User | None, by: User) -> Submission:
    """Make a staff member of the submission's department responsible (担当者を決める); `to=None`
    leaves it to nobody."""
    _ensure_may_handle(by, submission)
    locked = _locked(submission)
    if to is not None and not (
        to.is_active
        and to.is_staff
        and StaffMember.objects.filter(user=to, department_id=locked.department_id).exists()
    ):
        raise ValidationError(
            _("担当者は、この申請の担当課の職員から選んでください。"), code="other_department"
        )
    before = locked.assignee_id
    if before == (to.pk if to is not None else None):
        return locked
    locked.assignee = to
    _touch(locked, "assignee")
    Event.objects.create(
        submission=locked,
        kind=Event.Kind.ASSIGNED,
        author=by,
        text=_("担当者を%(name)sにしました。") % {"name": staff_name(to)}
        if to is not None
        else _("担当者を外しました。"),
    )
    record(
        AuditAction.UPDATE, by=by, obj=locked, changes={"assignee": [before, locked.assignee_id]}
    )
    return locked


def _check_status_change(submission: Submission, status: str) -> None:
    if status == Status.CORRECTION:
        raise ValidationError(
            _("補正依頼は「補正を依頼する」から、直してほしい項目を選んで送ってください。"),
            code="use_correction",
        )
    if status not in Status.values or status not in procedure_statuses(submission.procedure):
        raise ValidationError(_("この手続きでは使わない状態です。"), code="unused_status")
    if status == submission.status:
        raise ValidationError(
            _("すでに「%(status)s」です。") % {"status": Status(status).label}, code="same"
        )
    if status not in next_statuses(submission):
        raise ValidationError(
            _("「%(current)s」から「%(status)s」には変えられません。")
            % {"current": Status(submission.status).label, "status": Status(status).label},
            code="not_allowed",
        )


@transaction.atomic
def change_status(submission: Submission, *, status: str, by: User, message: str = "") -> Event:
    """Move a submission on (受付 → 審査中 → 承認 / 却下 → 完了, as the procedure uses them) and
    tell the applicant, with the clerk's message. 却下 and 完了 are final; 承認 leads only to 完了.
    A repeat of the same change a moment ago returns that change and sends nothing more."""
    _ensure_may_handle(by, submission)
    message = _text(message)
    locked = _locked(submission)
    recent = _repeated(locked, by=by, kind=Event.Kind.STATUS, status=status, text=message)
    if recent is not None and locked.status == status:
        return recent
    _check_status_change(locked, status)
    before = locked.status
    locked.status = status
    if status in CLOSED_STATUSES:
        locked.closed_at = timezone.now()
    _touch(locked, "status", "closed_at")
    event = Event.objects.create(
        submission=locked, kind=Event.Kind.STATUS, status=status, text=message, author=by
    )
    _tell_applicant(locked, message)
    record(AuditAction.UPDATE, by=by, obj=locked, changes={"status": [before, status]})
    return event


@transaction.atomic
def request_correction(
    submission: Submission, *, by: User, message: str, requested_fields: list[str]
) -> Event:
    """Ask the applicant to correct some answers (補正依頼): the status becomes 補正依頼 and the
    applicant may change only `requested_fields` (see services.answer_correction). The message
    says what is wrong and is required. A new request replaces an open one."""
    _ensure_may_handle(by, submission)
    message = _text(
        message, if_empty=_("何を直してほしいかを、申請者へのお知らせに書いてください。")
    )
    locked = _locked(submission)
    paths = list(dict.fromkeys(requested_fields))
    recent = _repeated(
        locked, by=by, kind=Event.Kind.STATUS, status=Status.CORRECTION, text=message
    )
    if (
        recent is not None
        and locked.status == Status.CORRECTION
        and recent.requested_fields == paths
    ):
        return recent
    if not may_request_correction(locked):
        raise ValidationError(
            _("「%(status)s」の申請には補正を依頼できません。")
            % {"status": Status(locked.status).label},
            code="not_allowed",
        )
    if not paths:
        raise ValidationError(_("直してほしい項目を一つ以上選んでください。"), code="no_fields")
    known = {path for path, _label in correctable_fields(locked)}
    unknown = [path for path in paths if path not in known]
    if unknown:
        raise ValidationError(
            _("この様式にない項目です: %(fields)s") % {"fields": "、".join(unknown)},
            code="unknown_field",
        )
    before = locked.status
    locked.status = Status.CORRECTION
    _touch(locked, "status")
    event = Event.objects.create(
        submission=locked,
        kind=Event.Kind.STATUS,
        status=Status.CORRECTION,
        text=message,
        author=by,
        requested_fields=paths,
    )
    _tell_applicant(locked, message)
    record(
        AuditAction.UPDATE,
        by=by,
        obj=locked,
        changes={"status": [before, Status.CORRECTION], "requested_fields": paths},
    )
    return event


@transaction.atomic
def add_note(submission: Submission, *, by: User, text: str) -> Event:
    """A note staff keep among themselves (内部メモ): the applicant never sees it."""
    _ensure_may_handle(by, submission)
    text = _text(text, if_empty=_("メモの内容を書いてください。"))
    locked = _locked(submission)
    recent = _repeated(locked, by=by, kind=Event.Kind.NOTE, text=text)
    if recent is not None:
        return recent
    event = Event.objects.create(submission=locked, kind=Event.Kind.NOTE, text=text, author=by)
    _touch(locked)
    record(AuditAction.CREATE, by=by, obj=event)
    return event


@transaction.atomic
def send_message(submission: Submission, *, by: User, text: str) -> Event:
    """A message to the applicant (申請者へのお知らせ) without a change of status: on their
    submission page and by mail."""
    _ensure_may_handle(by, submission)
    text = _text(text, if_empty=_("お知らせの内容を書いてください。"))
    locked = _locked(submission)
    recent = _repeated(locked, by=by, kind=Event.Kind.TO_APPLICANT, text=text)
    if recent is not None:
        return recent
    event = Event.objects.create(
        submission=locked, kind=Event.Kind.TO_APPLICANT, text=text, author=by
    )
    _touch(locked)
    _tell_applicant(locked, text)
    record(AuditAction.CREATE, by=by, obj=event)
    return event


@transaction.atomic
def mark_paid(submission: Submission, *, by: User) -> Submission:
    """The fee was paid at the counter (窓口で支払い → 支払い済み)."""
    _ensure_may_handle(by, submission)
    locked = _locked(submission)
    if locked.payment == PaymentState.PAID:
        raise ValidationError(_("手数料はすでに支払い済みです。"), code="already_paid")
    if locked.payment != PaymentState.AT_COUNTER:
        raise ValidationError(_("この申請には窓口で支払う手数料がありません。"), code="no_fee")
    locked.payment = PaymentState.PAID
    _touch(locked, "payment")
    Event.objects.create(
        submission=locked,
        kind=Event.Kind.NOTE,
        author=by,
        text=_("窓口で手数料%(yen)s円を受け取りました。") % {"yen": f"{locked.fee_amount or 0:,}"},
    )
    record(
        AuditAction.UPDATE,
        by=by,
        obj=locked,
        changes={"payment": [PaymentState.AT_COUNTER, PaymentState.PAID]},
    )
    return locked


@transaction.atomic
def correct(submission: Submission, *, by: User, changes: dict[str, Any], reason: str) -> Amendment:
    """A clerk corrects an obvious error in the answers (職権による訂正, e.g. a typo the applicant
    confirmed by phone): `changes` is {"section.field": new value}. The content after it is checked
    like the form; the change is kept as an Amendment by staff with the digest of the whole content
    after it; the applicant is told, with the reason."""
    _ensure_may_handle(by, submission)
    reason = _text(reason, if_empty=_("訂正の理由を書いてください。"), limit=MAX_REASON)
    locked = _locked(submission)
    if locked.status in CLOSED_STATUSES:
        raise ValidationError(
            _("「%(status)s」の申請は訂正できません。") % {"status": Status(locked.status).label},
            code="closed",
        )
    known = {path for path, _label in correctable_fields(locked, files=False)}
    unknown = sorted(path for path in changes if path not in known)
    if unknown or not changes:
        raise ValidationError(
            _("訂正する項目が正しくありません: %(fields)s") % {"fields": "、".join(unknown)},
            code="unknown_field",
        )
    definition = formdef.parse(locked.form_version.definition)
    before = services.current_answers(locked)
    after = copy.deepcopy(before)
    for path, value in changes.items():
        section, key = path.split(".")
        values = after.setdefault(section, {})
        if value in (None, "", [], {}):
            values.pop(key, None)
        else:
            values[key] = copy.deepcopy(value)
    cleaned = services.validated_answers(definition, after)
    changed = {
        path: {"old": services.answer_at(before, path), "new": services.answer_at(cleaned, path)}
        for path in changes
        if services.answer_at(before, path) != services.answer_at(cleaned, path)
    }
    if not changed:
        raise ValidationError(_("内容が前と同じです。直す値を入力してください。"), code="unchanged")
    amendment = Amendment.objects.create(
        submission=locked,
        author=by,
        by_staff=True,
        changes=changed,
        reason=reason,
        digest=engine.digest(cleaned),
    )
    Event.objects.create(
        submission=locked, kind=Event.Kind.AMENDED, text=reason, author=by, amendment=amendment
    )
    _touch(locked)
    _tell_applicant(
        locked, _("町が申請の内容を訂正しました。理由: %(reason)s") % {"reason": reason}
    )
    record(
        AuditAction.UPDATE,
        by=by,
        obj=locked,
        reason=reason,
        changes={"amendment": amendment.pk, "fields": sorted(changed)},
    )
    return amendment


# --- many submissions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    submission: Submission
    reason: str


@dataclass
class BulkOutcome:
    """What a bulk change did: the submissions changed, and those refused with the reason."""

    changed: list[Submission] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


def bulk_change_status(
    submissions: Iterable[Submission], *, status: str, by: User, message: str = ""
) -> BulkOutcome:
    """Change the status of many submissions at once (一括変更). Each is checked and changed in
    its own transaction, exactly as `change_status` does one: those that may not change are left
    as they are and reported with the reason; the others change."""
    outcome = BulkOutcome()
    for submission in submissions:
        try:
            change_status(submission, status=status, by=by, message=message)
        except (ValidationError, PermissionDenied) as error:
            reason = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            outcome.refused.append(Refusal(submission, reason))
        else:
            outcome.changed.append(submission)
    return outcome


# --- at the counter (窓口受付) ------------------------------------------------------------------------

# The reason the audit log gives for what a clerk does in a resident's name at the counter.
COUNTER = "counter"


def may_file_at_counter(user: Any, procedure: Procedure) -> bool:
    """Whether `user` may file `procedure` for a resident at the counter: staff of the
    procedure's department, or a superuser."""
    if user.is_superuser:
        return True
    return bool(user.is_staff) and staff_department_id(user) == procedure.department_id


def _ensure_may_file(user: Any, procedure: Procedure) -> None:
    if not may_file_at_counter(user, procedure):
        raise PermissionDenied(
            _("この手続きは別の課の担当です。窓口では自分の課の手続きだけを受け付けられます。")
        )


def _ensure_resident(person: User) -> None:
    if (
        person.is_staff
        or not person.is_active
        or not ResidentProfile.objects.filter(user=person).exists()
    ):
        raise ValidationError(
            _("町民情報が登録されている方の申請だけを、窓口で受け付けられます。"),
            code="not_a_resident",
        )


@transaction.atomic
def start_counter_draft(
    procedure: Procedure,
    resident: User,
    *,
    by: User,
    applicant_kind: str = ApplicantKind.SELF,
    household_member: HouseholdMember | None = None,
    agent: services.Agent | None = None,
) -> Draft:
    """Start filling a procedure's form for a resident who came to the counter (窓口受付): the
    clerk fills the resident's own draft, pre-filled from their profile exactly as online, and a
    draft the resident began online is continued. Only the clerk's department's procedures; only
    residents with a profile (the form is filled from it, and they follow the application in
    their my page)."""
    _ensure_may_file(by, procedure)
    _ensure_resident(resident)
    existed = Draft.objects.filter(applicant=resident, procedure=procedure).exists()
    draft = services.start_draft(
        resident,
        procedure,
        applicant_kind=applicant_kind,
        household_member=household_member,
        agent=agent,
    )
    record(
        AuditAction.UPDATE if existed else AuditAction.CREATE,
        by=by,
        obj=draft,
        subject_user_id=resident.pk,
        reason=COUNTER,
        changes={"procedure": procedure.code, "applicant_kind": applicant_kind},
    )
    return draft


@transaction.atomic
def save_counter_section(
    draft: Draft, section_key: str, values: dict[str, Any], *, by: User
) -> Draft:
    """Keep one section of a counter filing's answers (as `services.save_section` online)."""
    _ensure_may_file(by, draft.procedure)
    saved = services.save_section(draft, section_key, values)
    record(
        AuditAction.UPDATE,
        by=by,
        obj=saved,
        subject_user_id=saved.applicant_id,
        reason=COUNTER,
        changes={"section": section_key},
    )
    return saved


@transaction.atomic
def attach_counter_file(
    draft: Draft, field_key: str, uploaded_file: UploadedFile, *, by: User
) -> Attachment:
    """Attach a document the resident brought (scanned at the counter) to a counter filing,
    checked as online (`services.attach_file`); the clerk is recorded as the uploader."""
    _ensure_may_file(by, draft.procedure)
    attachment = services.attach_file(draft, field_key, uploaded_file, by=by)
    record(
        AuditAction.CREATE,
        by=by,
        obj=attachment,
        subject_user_id=draft.applicant_id,
        reason=COUNTER,
        changes={"field": field_key},
    )
    return attachment


@transaction.atomic
def discard_counter_draft(draft: Draft, *, by: User) -> None:
    """Throw away a counter filing that will not be filed (the resident changed their mind)."""
    _ensure_may_file(by, draft.procedure)
    record(
        AuditAction.DELETE,
        by=by,
        obj=draft,
        subject_user_id=draft.applicant_id,
        reason=COUNTER,
    )
    services.discard_draft(draft)


@transaction.atomic
def file_at_counter(draft: Draft, *, by: User) -> Submission:
    """File the resident's application at the counter (窓口で受け付ける), exactly as
    `services.submit` files one online — the same checks, receipt number, fee, signed PDF copy
    and notice to the resident, who finds it in their my page — with 窓口 as its source and the
    clerk as the one who took it (the 受付 step's author). `services.AlreadySubmitted` for a
    second click."""
    _ensure_may_file(by, draft.procedure)
    _ensure_resident(draft.applicant)
    submission = services.submit(draft, applicant=draft.applicant, taken_by=by)
    record(
        AuditAction.CREATE,
        by=by,
        obj=submission,
        subject_user_id=submission.applicant_id,
        reason=COUNTER,
        changes={"source": Submission.Source.COUNTER, "receipt_number": submission.receipt_number},
    )
    return submission


# --- マイナポータル packages ---------------------------------------------------------------------------

# A package is a ZIP, or one application's XML (after a byte-order mark and blank space).
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
XML_START = re.compile(rb"^(\xef\xbb\xbf)?\s*<")


def import_mynaportal_package(package: UploadedFile, *, by: User) -> mynaportal.ImportResult:
    """Take in a package of applications downloaded from マイナポータル and uploaded by staff
    (申請データの取込), as `manage.py procedures_import_mynaportal` does: whole or nothing
    (`mynaportal.PackageError` naming every problem), applications imported before skipped. A
    file that is too big, empty, or neither a ZIP nor XML is refused before it is read. Every
    submission created is audited as created by `by`."""
    limit = mynaportal.MAX_PACKAGE_BYTES
    size = package.size or 0
    if size > limit:
        raise mynaportal.PackageError(
            _("ファイルが大きすぎます（%(size)s）。%(limit)dMBまでのファイルにしてください。")
            % {"size": filesizeformat(size), "limit": limit // 2**20}
        )
    if size == 0:
        raise mynaportal.PackageError(_("ファイルが空です。"))
    head = package.read(64)
    package.seek(0)
    if not head.startswith(ZIP_SIGNATURES) and not XML_START.match(head):
        raise mynaportal.PackageError(
            _(
                "ZIPファイルでもXMLファイルでもありません。マイナポータルからダウンロードした"
                "申請データ（ZIP）か、申請データのXMLファイルを選んでください。"
            )
        )
    with transaction.atomic():
        result = mynaportal.import_package(package, by=by)
        for submission in result.created:
            record(
                AuditAction.CREATE,
                by=by,
                obj=submission,
                reason="mynaportal",
                changes={
                    "source": Submission.Source.MYNAPORTAL,
                    "external_reference": submission.external_reference,
                    "package": (package.name or "")[-100:],
                },
            )
    return result
