"""The back office pages (申請の処理): the department's queue with filters, counts and a bulk
status change; a submission's staff page with the answers (amendments marked), attachments, the
signed PDF copy and its check, the history with internal notes and the forms to act on it; a
printable page; the CSV / Excel export for the department's own system; the upload of a package
of applications from マイナポータル. Filing at the counter is in `counter_views.py`.

Seeing needs procedures.view_submission; acting needs procedures.change_submission. A staff member
reaches only their own department's submissions: another's answers 404, like one that does not
exist. Every opening of a submission, an attachment, its copy or an export is written to the audit
log (個人情報の閲覧・出力). Actions are POSTs that redirect back (Post/Redirect/Get); a refused one
shows the page again with the error summary.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import openpyxl
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yakuba.core.csv_export import csv_response, safe_cell
from yakuba.core.permissions import staff_required
from yakuba.modules.procedures import (
    backoffice,
    backoffice_queries,
    engine,
    formdef,
    mynaportal,
    services,
    storage,
)
from yakuba.modules.procedures.models import Attachment, Event, Status, Submission
from yakuba.modules.procedures.signing import SigningCertificateMissing, verify_pdf
from yakuba.modules.procedures.staff_forms import (
    AssignForm,
    BulkStatusForm,
    CorrectFieldChoiceForm,
    CorrectionRequestForm,
    CorrectReasonForm,
    ExportForm,
    MessageForm,
    MynaportalUploadForm,
    NoteForm,
    QueueFilterForm,
    StatusForm,
    procedure_label,
)
from yakuba.platform.accounts.requests import signed_in_user
from yakuba.platform.audit.services import record_export, record_read, record_reads

VIEW = "procedures.view_submission"
CHANGE = "procedures.change_submission"
# The prefix of the engine's form when a clerk corrects one answer on the staff page.
FIX_PREFIX = "fix"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters a spreadsheet file cannot hold (XML 1.0 forbids them); openpyxl refuses them.
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("職員メニュー"), reverse("core:staff_home")),
        (_("申請の処理"), reverse("procedures:staff_queue") if rest else None),
        *rest,
    ]


def _submission(request: HttpRequest, pk: int) -> Submission:
    try:
        return backoffice_queries.submission_for_staff(signed_in_user(request), pk)
    except Submission.DoesNotExist:
        raise Http404 from None


def _audit_read(
    request: HttpRequest, obj: Any, *, applicant_id: int | None, reason: str = ""
) -> None:
    """Personal data opened by staff (個人情報の閲覧): who, what, whose."""
    record_read(
        by=signed_in_user(request),
        obj=obj,
        subject_user_id=applicant_id,
        reason=reason,
        request=request,
    )


# --- the queue --------------------------------------------------------------------------------------


def _queue_page(
    request: HttpRequest,
    query: QueryDict,
    *,
    bulk_form: BulkStatusForm | None = None,
    picked: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = signed_in_user(request)
    form = QueueFilterForm(query or None, user=user)
    filters = form.filters(viewer=user)
    page = backoffice_queries.QueuePaginator(
        backoffice_queries.queue(user, filters), backoffice_queries.PAGE_SIZE
    ).get_page(query.get("page"))
    return render(
        request,
        "procedures/staff/queue.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "counts": backoffice_queries.status_counts(user, filters),
            "bulk_form": bulk_form or BulkStatusForm(user=user),
            "picked": set(picked or []),
            "query": query.urlencode(),
            "can_change": user.has_perm(CHANGE),
            "has_department": user.is_superuser
            or backoffice_queries.staff_department_id(user) is not None,
            "now": timezone.now(),
            "breadcrumbs": _crumbs(),
        },
        status=status,
    )


@staff_required(permission=VIEW)
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The department's submissions to process (申請の一覧): the open ones by default, oldest
    first; filters, counts per status, the bulk status change."""
    return _queue_page(request, request.GET)


@staff_required(permission=CHANGE)
@require_POST
def bulk_status(request: HttpRequest) -> HttpResponse:
    """Change the status of the ticked submissions; say which could not change, and why."""
    user = signed_in_user(request)
    query = QueryDict(request.POST.get("query", ""))
    form = BulkStatusForm(request.POST, user=user)
    if not form.is_valid():
        return _queue_page(
            request,
            query,
            bulk_form=form,
            picked=request.POST.getlist("submissions"),
            status=400,
        )
    outcome = backoffice.bulk_change_status(
        form.cleaned_data["submissions"].order_by("submitted_at", "pk"),
        status=form.cleaned_data["status"],
        by=user,
        message=form.cleaned_data["message"],
    )
    if outcome.changed:
        messages.success(
            request, _("%(count)d件の状態を変えました。") % {"count": len(outcome.changed)}
        )
    for refusal in outcome.refused:
        messages.error(
            request,
            _("%(receipt)s は変えられませんでした: %(reason)s")
            % {"receipt": refusal.submission.receipt_number, "reason": refusal.reason},
        )
    return redirect(reverse("procedures:staff_queue") + (f"?{query.urlencode()}" if query else ""))


# --- a submission's staff page ----------------------------------------------------------------------


@dataclass(frozen=True)
class StaffAnswer:
    """One answer on the staff page: as it stands now, and — when it was amended — as filed."""

    path: str
    view: engine.AnswerView
    filed: engine.AnswerView | None


@dataclass(frozen=True)
class StaffSection:
    key: str
    title: str
    answers: list[StaffAnswer]


def _attachment_url(identifier: int) -> str:
    return reverse("procedures:staff_attachment", args=[identifier])


def _one_answer(
    definition: formdef.FormDefinition, path: str, answers: dict[str, Any]
) -> engine.AnswerView | None:
    """How the answers show the field at `path` (None when its condition hides it)."""
    cut = services.correction_definition(definition, [path])
    shown = engine.answer_sections(cut, answers, attachment_url=_attachment_url)
    return shown[0].answers[0] if shown and shown[0].answers else None


def answer_sections(submission: Submission) -> list[StaffSection]:
    """The answers as they stand (amendments applied), each amended one with its value as filed,
    so the page can mark what changed since filing."""
    definition = formdef.parse(submission.form_version.definition)
    current = services.current_answers(submission)
    amended = {path for amendment in submission.amendments.all() for path in amendment.changes}
    sections = []
    for section in definition.sections:
        answers = []
        for item in section.fields:
            path = f"{section.key}.{item.key}"
            view = _one_answer(definition, path, current)
            if view is None:
                continue
            filed = None
            if path in amended:
                filed = _one_answer(definition, path, submission.answers) or engine.AnswerView(
                    label=view.label, is_answered=False
                )
            answers.append(StaffAnswer(path, view, filed))
        sections.append(StaffSection(section.key, str(section.title), answers))
    return sections


def _field_labels(submission: Submission) -> dict[str, str]:
    return dict(backoffice.correctable_fields(submission))


@dataclass(frozen=True)
class HistoryItem:
    event: Event
    author: str
    fields: list[str]


def _history(submission: Submission) -> list[HistoryItem]:
    labels = _field_labels(submission)
    items = []
    for event in backoffice_queries.history(submission):
        if event.author_id is not None and event.author_id == submission.applicant_id:
            author = _("申請者")
        else:
            author = backoffice_queries.staff_name(event.author) or _("町")
        paths = event.requested_fields or (list(event.amendment.changes) if event.amendment else [])
        items.append(HistoryItem(event, author, [labels.get(p, p) for p in paths]))
    return items


def _signature(submission: Submission) -> str:
    """The check of the PDF copy's signature, in words (署名の確認)."""
    if not submission.pdf:
        return _("控えのPDFはまだ作られていません。")
    try:
        with submission.pdf.open("rb") as handle:
            verification = verify_pdf(handle.read())
    except FileNotFoundError:
        return _("控えのPDFのファイルが見つかりません。")
    except SigningCertificateMissing:
        return _("町の証明書が設定されていないため、署名を確かめられません。")
    if verification.valid:
        return _("改ざんされていません（町の電子署名を確認しました）。")
    if verification.intact:
        return _("町の証明書による署名ではないか、署名の後に書き加えられています。")
    return _("改ざんされています。または、町の電子署名がありません。")


def _fix_form(submission: Submission, path: str, data: Any = None) -> engine.FilledForm | None:
    """The form for the one answer a clerk corrects (None for a path they may not correct)."""
    if path not in dict(backoffice.correctable_fields(submission, files=False)):
        return None
    definition = services.correction_definition(
        formdef.parse(submission.form_version.definition), [path]
    )
    return engine.build_form(
        definition, data=data, answers=services.current_answers(submission), prefix=FIX_PREFIX
    )


def _detail_page(
    request: HttpRequest,
    submission: Submission,
    *,
    failed: BaseForm | None = None,
    fix_form: Any = None,
    fix_path: str = "",
    status: int = 200,
    forms: dict[str, BaseForm] | None = None,
) -> HttpResponse:
    user = signed_in_user(request)
    _audit_read(request, submission, applicant_id=submission.applicant_id)
    if request.method == "GET":
        fix_path = request.GET.get("correct-field", "")
        fix_form = _fix_form(submission, fix_path) if fix_path else None
    context: dict[str, Any] = {
        "submission": submission,
        "procedure_title": procedure_label(submission.procedure),
        "sections": answer_sections(submission),
        "history": _history(submission),
        "attachments": list(submission.attachments.order_by("field_key", "pk")),
        "signature": _signature(submission) if request.GET.get("verify") == "1" else "",
        "statuses": [
            (code, Status(code).label)
            for code in backoffice.procedure_statuses(submission.procedure)
        ],
        "next_statuses": backoffice.next_statuses(submission),
        "may_request_correction": backoffice.may_request_correction(submission),
        "can_change": user.has_perm(CHANGE),
        "assign_form": AssignForm(submission=submission),
        "status_form": StatusForm(submission=submission),
        "correction_form": CorrectionRequestForm(submission=submission),
        "note_form": NoteForm(),
        "message_form": MessageForm(),
        "field_form": CorrectFieldChoiceForm(
            submission=submission, initial={"field": fix_path} if fix_path else None
        ),
        "fix_form": fix_form,
        "fix_path": fix_path if fix_form is not None else "",
        "fix_label": _field_labels(submission).get(fix_path, ""),
        "taken_by": backoffice_queries.counter_clerk_name(submission),
        "reason_form": CorrectReasonForm(),
        "failed_form": failed,
        "breadcrumbs": _crumbs((submission.receipt_number, None)),
    }
    context.update(forms or {})
    return render(request, "procedures/staff/submission.html", context, status=status)


@staff_required(permission=VIEW)
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything about a submission for staff, and the forms to act on it (opening is audited)."""
    return _detail_page(request, _submission(request, pk))


def _done(submission: Submission, anchor: str = "") -> HttpResponse:
    return redirect(reverse("procedures:staff_submission", args=[submission.pk]) + anchor)


def _refused(
    request: HttpRequest,
    submission: Submission,
    name: str,
    form: BaseForm,
    error: ValidationError | PermissionDenied,
) -> HttpResponse:
    form.add_error(None, error.messages if isinstance(error, ValidationError) else [str(error)])
    return _detail_page(request, submission, failed=form, status=400, forms={name: form})


def _invalid(
    request: HttpRequest, submission: Submission, name: str, form: BaseForm
) -> HttpResponse:
    return _detail_page(request, submission, failed=form, status=400, forms={name: form})


@staff_required(permission=CHANGE)
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission(request, pk)
    form = AssignForm(request.POST, submission=submission)
    if not form.is_valid():
        return _invalid(request, submission, "assign_form", form)
    try:
        backoffice.assign(submission, to=form.cleaned_data["assignee"], by=signed_in_user(request))
    except (ValidationError, PermissionDenied) as error:
        return _refused(request, submission, "assign_form", form, error)
    messages.success(request, _("担当者を変えました。"))
    return _done(submission)


@staff_required(permission=CHANGE)
@require_POST
def change_status(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission(request, pk)
    form = StatusForm(request.POST, submission=submission)
    if not form.is_valid():
        return _invalid(request, submission, "status_form", form)
    try:
        backoffice.change_status(
            submission,
            status=form.cleaned_data["status"],
            by=signed_in_user(request),
            message=form.cleaned_data["message"],
        )
    except (ValidationError, PermissionDenied) as error:
        return _refused(request, submission, "status_form", form, error)
    messages.success(request, _("状態を変えて、申請者にお知らせしました。"))
    return _done(submission, "#history")


@staff_required(permission=CHANGE)
@require_POST
def request_correction(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission(request, pk)
    form = CorrectionRequestForm(request.POST, submission=submission)
    if not form.is_valid():
        return _invalid(request, submission, "correction_form", form)
    try:
        backoffice.request_correction(
            submission,
            by=signed_in_user(request),
            message=form.cleaned_data["message"],
            requested_fields=form.cleaned_data["fields_to_correct"],
        )
    except (ValidationError, PermissionDenied) as error:
        return _refused(request, submission, "correction_form", form, error)
    messages.success(request, _("補正を依頼し、申請者にお知らせしました。"))
    return _done(submission, "#history")


@staff_required(permission=CHANGE)
@require_POST
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission(request, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _invalid(request, submission, "note_form", form)
    try:
        backoffice.add_note(submission, by=signed_in_user(request), text=form.cleaned_data["text"])
    except (ValidationError, PermissionDenied) as error:
        return _refused(request, submission, "note_form", form, error)
    messages.success(request, _("内部メモを残しました。"))
    return _done(submission, "#history")


@staff_required(permission=CHANGE)
@require_POST
def send_message(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission(request, pk)
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _invalid(request, submission, "message_form", form)
    try:
        backoffice.send_message(
            submission, by=signed_in_user(request), text=form.cleaned_data["text"]
        )
    except (ValidationError, PermissionDenied) as error:
        return _refused(request, submission, "message_form", form, error)
    messages.success(request, _("申請者にお知らせを送りました。"))
    return _done(submission, "#history")


@staff_required(permission=CHANGE)
@require_POST
def mark_paid(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _submission(request, pk)
    try:
        backoffice.mark_paid(submission, by=signed_in_user(request))
    except (ValidationError, PermissionDenied) as error:
        messages.error(
            request,
            " ".join(error.messages) if isinstance(error, ValidationError) else str(error),
        )
    else:
        messages.success(request, _("手数料を支払い済みにしました。"))
    return _done(submission)


@staff_required(permission=CHANGE)
@require_POST
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    """A clerk's correction of one answer: the field as the form has it, and the reason."""
    submission = _submission(request, pk)
    path = request.POST.get("correct-field", "")
    fix_form = _fix_form(submission, path, data=request.POST)
    if fix_form is None:
        raise Http404
    reason_form = CorrectReasonForm(request.POST)
    reason_valid = reason_form.is_valid()
    if fix_form.row_action:
        return _detail_page(
            request,
            submission,
            fix_form=fix_form,
            fix_path=path,
            forms={"reason_form": reason_form},
        )
    if fix_form.is_valid() and reason_valid:
        try:
            backoffice.correct(
                submission,
                by=signed_in_user(request),
                changes={path: services.answer_at(fix_form.answers, path)},
                reason=reason_form.cleaned_data["reason"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for messages_of_field in error.message_dict.values():
                    reason_form.add_error(None, messages_of_field)
            else:
                reason_form.add_error(None, error.messages)
        except PermissionDenied as error:
            reason_form.add_error(None, str(error))
        else:
            messages.success(request, _("申請の内容を訂正し、申請者にお知らせしました。"))
            return _done(submission, "#answers")
    return _detail_page(
        request,
        submission,
        failed=reason_form if reason_form.errors else None,
        fix_form=fix_form,
        fix_path=path,
        forms={"reason_form": reason_form},
        status=400,
    )


@staff_required(permission=VIEW)
@require_GET
def print_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A clean printable page of the application as it stands (印刷用)."""
    submission = _submission(request, pk)
    _audit_read(request, submission, applicant_id=submission.applicant_id, reason="print")
    return render(
        request,
        "procedures/staff/print.html",
        {
            "submission": submission,
            "procedure_title": procedure_label(submission.procedure),
            "sections": answer_sections(submission),
            "printed_at": timezone.now(),
        },
    )


@staff_required(permission=VIEW)
@require_GET
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """A file the applicant attached, to their department's staff (opening is audited)."""
    item = (
        Attachment.objects.filter(
            pk=pk, submission__in=backoffice_queries.visible_to(signed_in_user(request))
        )
        .select_related("submission")
        .first()
    )
    if item is None or item.submission is None:
        raise Http404
    response = storage.serve(item.file, content_type=item.content_type, filename=item.original_name)
    _audit_read(request, item, applicant_id=item.submission.applicant_id)
    return response


@staff_required(permission=VIEW)
@require_GET
def submission_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The signed PDF copy (申請の控え) as the applicant got it (opening is audited)."""
    submission = _submission(request, pk)
    response = storage.serve(
        submission.pdf, content_type="application/pdf", filename=f"{submission.receipt_number}.pdf"
    )
    _audit_read(request, submission, applicant_id=submission.applicant_id, reason="pdf")
    return response


# --- export -----------------------------------------------------------------------------------------


def xlsx_response(rows: list[list[Any]], filename: str, *, title: str) -> HttpResponse:
    """An Excel workbook of `rows`, every text cell made safe from formula injection."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append(
            [
                safe_cell(XLSX_ILLEGAL.sub("", value) if isinstance(value, str) else value)
                for value in row
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_required(permission=VIEW)
@require_GET
def export(request: HttpRequest) -> HttpResponseBase:
    """A procedure's submissions in a date range, as CSV or Excel, for the department's own
    system. The download is audited as an export of personal data, and as a read of each
    applicant's application."""
    user = signed_in_user(request)
    form = ExportForm(request.GET or None, user=user)
    if not form.is_bound or not form.is_valid():
        return render(
            request,
            "procedures/staff/export.html",
            {"form": form, "breadcrumbs": _crumbs((_("CSV・Excelで出力"), None))},
            status=400 if form.is_bound else 200,
        )
    procedure = form.cleaned_data["procedure"]
    start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    kind = form.cleaned_data["format"]
    submissions = backoffice_queries.export_submissions(user, procedure, start, end)
    rows = backoffice_queries.export_rows(submissions)
    record_export(
        by=user,
        object_type="procedures.submission",
        filters={
            "procedure": procedure.code,
            "date_from": start.isoformat(),
            "date_to": end.isoformat(),
            "format": kind,
        },
        row_count=len(submissions),
        request=request,
    )
    record_reads(
        by=user,
        opened=((submission, submission.applicant_id) for submission in submissions),
        reason="export",
        request=request,
    )
    filename = f"{procedure.code}_{start:%Y%m%d}-{end:%Y%m%d}.{kind}"
    if kind == "xlsx":
        return xlsx_response(rows, filename, title=procedure.code)
    return csv_response(rows, filename)


# --- マイナポータル packages -----------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedRow:
    """A submission an upload created; `is_visible` when the uploader's department handles it
    (a package holds every department's applications)."""

    submission: Submission
    procedure_title: str
    is_visible: bool


@staff_required(permission=CHANGE)
@require_http_methods(["GET", "POST"])
def mynaportal_upload(request: HttpRequest) -> HttpResponse:
    """Upload a package downloaded from マイナポータル (申請データの取込) and see what it did: the
    submissions made (linked when they are the uploader's department's), the applications
    imported before and skipped, or every problem — and then nothing was taken in."""
    user = signed_in_user(request)
    form = (
        MynaportalUploadForm(request.POST, request.FILES)
        if request.method == "POST"
        else MynaportalUploadForm()
    )
    context: dict[str, Any] = {
        "form": form,
        "breadcrumbs": _crumbs((_("マイナポータルの申請データを取り込む"), None)),
    }
    if request.method == "GET":
        return render(request, "procedures/staff/mynaportal_upload.html", context)
    if not form.is_valid():
        return render(request, "procedures/staff/mynaportal_upload.html", context, status=400)
    package = form.cleaned_data["package"]
    try:
        result = backoffice.import_mynaportal_package(package, by=user)
    except mynaportal.PackageError as error:
        context.update(problems=error.problems, file_name=package.name)
        return render(request, "procedures/staff/mynaportal_upload.html", context, status=400)
    visible = set(
        backoffice_queries.visible_to(user)
        .filter(pk__in=[s.pk for s in result.created])
        .values_list("pk", flat=True)
    )
    # The submissions imported before, for a link when the uploader's department handles them.
    earlier = backoffice_queries.imported_from_mynaportal(user, result.already_imported)
    context.update(
        has_result=True,
        file_name=package.name,
        imported=[
            ImportedRow(s, procedure_label(s.procedure), s.pk in visible) for s in result.created
        ],
        skipped=[(number, earlier.get(number)) for number in result.already_imported],
        form=MynaportalUploadForm(),
    )
    return render(request, "procedures/staff/mynaportal_upload.html", context)
