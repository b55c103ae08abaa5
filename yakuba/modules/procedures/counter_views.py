"""Filing at the counter on a resident's behalf (窓口受付, 書かない窓口): a clerk finds the resident
who came in person, picks a procedure of their own department, fills its form with them — the
same form, pre-fill, checks and draft → review → filing as online — and gives them the receipt
number. Mounted at /procedures/staff/counter/ by `staff_urls.py`.

Only residents with an account and a profile: the form is filled from the profile, and the
resident follows the application in their my page (docs/modules/procedures.md, "At the counter").
The draft is the resident's own (one per resident and procedure, as online): a draft they began
at home is continued, and one the clerk leaves half-filled waits in their my page.

Needs procedures.change_submission. Another department's procedure, an unknown person or a staff
account answers 404. Every page that shows the resident's data is an audited read; every write
is audited by the services in `backoffice.py`, with the reason "counter".
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yakuba.core.permissions import staff_required
from yakuba.modules.procedures import (
    backoffice,
    backoffice_queries,
    engine,
    form_pages,
    formdef,
    services,
)
from yakuba.modules.procedures.forms import StartForm
from yakuba.modules.procedures.models import Draft, Procedure, Submission
from yakuba.modules.procedures.staff_forms import CounterSearchForm, procedure_label
from yakuba.modules.procedures.staff_views import CHANGE
from yakuba.platform.accounts.models import User
from yakuba.platform.accounts.queries import counter_resident
from yakuba.platform.accounts.requests import signed_in_user
from yakuba.platform.accounts.services import find_residents_at_counter
from yakuba.platform.audit.services import record_read


def _crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("職員メニュー"), reverse("core:staff_home")),
        (_("申請の処理"), reverse("procedures:staff_queue")),
        (_("窓口受付"), reverse("procedures:staff_counter") if rest else None),
        *rest,
    ]


def _procedure(request: HttpRequest, code: str) -> Procedure:
    """A procedure the clerk may file at the counter; another department's is 404."""
    procedure = (
        backoffice_queries.counter_procedures(signed_in_user(request))
        .select_related("department")
        .filter(code=code)
        .first()
    )
    if procedure is None:
        raise Http404
    return procedure


class Filing(NamedTuple):
    """A counter filing: the procedure, the resident it is filed for, and their draft of it if
    they have one."""

    procedure: Procedure
    resident: User
    draft: Draft | None


def _filing(request: HttpRequest, code: str, resident_id: int) -> Filing:
    procedure = _procedure(request, code)
    try:
        resident = counter_resident(resident_id)
    except User.DoesNotExist:
        raise Http404 from None
    draft = (
        Draft.objects.select_related("form_version", "household_member")
        .filter(applicant=resident, procedure=procedure)
        .first()
    )
    return Filing(procedure, resident, draft)


def _audit_read(request: HttpRequest, resident: User) -> None:
    """The resident's data shown to the clerk (個人情報の閲覧), for a counter filing."""
    record_read(
        by=signed_in_user(request),
        obj=resident.resident_profile,
        subject_user_id=resident.pk,
        reason=backoffice.COUNTER,
        request=request,
    )


def _args(procedure: Procedure, resident: User) -> list[Any]:
    return [procedure.code, resident.pk]


def _section_url(procedure: Procedure, resident: User, key: str) -> str:
    return reverse("procedures:staff_counter_section", args=[*_args(procedure, resident), key])


def _filing_crumbs(
    procedure: Procedure, resident: User, *rest: tuple[str, str | None]
) -> list[tuple[str, str | None]]:
    return _crumbs(
        (
            _("%(name)sさんの申請") % {"name": resident.resident_profile},
            reverse("procedures:staff_counter_start", args=_args(procedure, resident)),
        ),
        *rest,
    )


# --- finding the resident -------------------------------------------------------------------------


@staff_required(permission=CHANGE)
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Pick the procedure and find the resident by name, kana, e-mail or phone number. The
    names listed are audited as read, each with its resident."""
    user = signed_in_user(request)
    form = CounterSearchForm(request.GET or None, user=user)
    found = None
    if form.is_valid():
        found = find_residents_at_counter(
            form.cleaned_data["q"], by=user, reason=backoffice.COUNTER, request=request
        )
    return render(
        request,
        "procedures/staff/counter_search.html",
        {
            "form": form,
            "procedure": form.cleaned_data.get("procedure") if form.is_bound else None,
            "search": found,
            "has_procedures": backoffice_queries.counter_procedures(user).exists(),
            "breadcrumbs": _crumbs(),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


# --- whom it is for -------------------------------------------------------------------------------


@staff_required(permission=CHANGE)
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, code: str, resident_id: int) -> HttpResponse:
    """The resident's details to check against their identity document, and whom the
    application is for (the resident, a household member, or as an agent); then the form."""
    procedure, resident, draft = _filing(request, code, resident_id)
    form = StartForm(
        request.POST if request.method == "POST" else None,
        procedure=procedure,
        household=services.household_of(resident),
        initial=form_pages.start_initial(draft),
    )
    if request.method == "POST" and form.is_valid():
        try:
            backoffice.start_counter_draft(
                procedure,
                resident,
                by=signed_in_user(request),
                applicant_kind=form.cleaned_data["applicant_kind"],
                household_member=form.chosen_member(),
                agent=form.chosen_agent(),
            )
        except ValidationError as error:
            form_pages.add_errors(form, error)
        else:
            return redirect("procedures:staff_counter_form", *_args(procedure, resident))
    _audit_read(request, resident)
    return render(
        request,
        "procedures/staff/counter_start.html",
        {
            "procedure": procedure,
            "procedure_title": procedure_label(procedure),
            "resident": resident,
            "profile": resident.resident_profile,
            "form": form,
            "draft": draft,
            "breadcrumbs": _crumbs(
                (_("%(name)sさんの申請") % {"name": resident.resident_profile}, None)
            ),
        },
        status=400 if form.errors else 200,
    )


# --- the form -------------------------------------------------------------------------------------


@staff_required(permission=CHANGE)
@require_http_methods(["GET", "POST"])
def fill(request: HttpRequest, code: str, resident_id: int, section: str = "") -> HttpResponse:
    """One section of the form, as online (`views.fill`): 「次へ」 checks the section and saves;
    「中断する」 saves as typed; documents are attached as soon as they come."""
    procedure, resident, draft = _filing(request, code, resident_id)
    if draft is None:
        return redirect("procedures:staff_counter_start", *_args(procedure, resident))
    definition = formdef.parse(draft.form_version.definition)
    keys = form_pages.section_keys(definition)
    if not section:
        return redirect("procedures:staff_counter_section", *_args(procedure, resident), keys[0])
    if section not in keys:
        raise Http404
    if request.method == "GET":
        _audit_read(request, resident)
        form = engine.build_form(
            definition, answers=services.form_answers(draft.answers), section=section
        )
        return _section_page(request, procedure, resident, draft, definition, form, section)
    user = signed_in_user(request)
    posted = form_pages.post_section(
        request,
        definition,
        draft,
        section,
        attach=lambda path, upload: backoffice.attach_counter_file(draft, path, upload, by=user),
        save=lambda values: backoffice.save_counter_section(draft, section, values, by=user),
        section_url=partial(_section_url, procedure, resident),
        review_url=reverse("procedures:staff_counter_review", args=_args(procedure, resident)),
    )
    if posted.is_saved:
        messages.success(
            request,
            _(
                "入力した内容を%(name)sさんの下書きとして保存しました。窓口でも、ご本人の"
                "マイページからも続きを入力できます。"
            )
            % {"name": resident.resident_profile},
        )
        return redirect("procedures:staff_counter")
    if posted.next_url:
        return redirect(posted.next_url)
    return _section_page(
        request,
        procedure,
        resident,
        draft,
        definition,
        posted.form,
        section,
        upload_errors=posted.upload_errors,
    )


def _section_page(
    request: HttpRequest,
    procedure: Procedure,
    resident: User,
    draft: Draft,
    definition: formdef.FormDefinition,
    form: Any,
    section: str,
    *,
    upload_errors: list[str] | None = None,
) -> HttpResponse:
    context = form_pages.section_context(
        definition, draft, form, section, upload_errors=upload_errors or []
    )
    return render(
        request,
        "procedures/staff/counter_fill.html",
        {
            **context,
            "procedure": procedure,
            "procedure_title": procedure_label(procedure),
            "resident": resident,
            "profile": resident.resident_profile,
            "breadcrumbs": _filing_crumbs(procedure, resident, (context["section_title"], None)),
        },
        status=400 if form.errors() or upload_errors else 200,
    )


# --- review and filing ----------------------------------------------------------------------------


@staff_required(permission=CHANGE)
@require_GET
def review(request: HttpRequest, code: str, resident_id: int) -> HttpResponse:
    """確認: every answer with the resident, a link to change each section, then 受け付ける."""
    procedure, resident, draft = _filing(request, code, resident_id)
    if draft is None:
        return redirect("procedures:staff_counter_start", *_args(procedure, resident))
    _audit_read(request, resident)
    return _review_page(request, procedure, resident, draft)


def _review_page(
    request: HttpRequest,
    procedure: Procedure,
    resident: User,
    draft: Draft,
    *,
    error: ValidationError | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "procedures/staff/counter_review.html",
        {
            **form_pages.review_context(
                draft, section_url=partial(_section_url, procedure, resident), error=error
            ),
            "procedure": procedure,
            "procedure_title": procedure_label(procedure),
            "resident": resident,
            "profile": resident.resident_profile,
            "breadcrumbs": _filing_crumbs(procedure, resident, (_("入力内容の確認"), None)),
        },
        status=status,
    )


@staff_required(permission=CHANGE)
@require_POST
def submit(request: HttpRequest, code: str, resident_id: int) -> HttpResponse:
    """受け付ける: file the application; a second click shows the same receipt."""
    procedure, resident, draft = _filing(request, code, resident_id)
    if draft is None:
        return _after_double_submit(request, procedure, resident)
    try:
        submission = backoffice.file_at_counter(draft, by=signed_in_user(request))
    except services.AlreadySubmitted:
        return _after_double_submit(request, procedure, resident)
    except ValidationError as error:
        return _review_page(request, procedure, resident, draft, error=error, status=400)
    return redirect("procedures:staff_counter_received", submission.pk)


def _after_double_submit(
    request: HttpRequest, procedure: Procedure, resident: User
) -> HttpResponse:
    latest = (
        backoffice_queries.visible_to(signed_in_user(request))
        .filter(applicant=resident, procedure=procedure, source=Submission.Source.COUNTER)
        .order_by("-submitted_at", "-pk")
        .first()
    )
    if latest is None:
        return redirect("procedures:staff_counter_start", *_args(procedure, resident))
    return redirect("procedures:staff_counter_received", latest.pk)


@staff_required(permission=CHANGE)
@require_POST
def discard(request: HttpRequest, code: str, resident_id: int) -> HttpResponse:
    """下書きを削除: the resident does not file after all."""
    draft = _filing(request, code, resident_id).draft
    if draft is not None:
        backoffice.discard_counter_draft(draft, by=signed_in_user(request))
        messages.success(request, _("入力した内容を削除しました。"))
    return redirect("procedures:staff_counter")


@staff_required(permission=CHANGE)
@require_GET
def received(request: HttpRequest, pk: int) -> HttpResponse:
    """The receipt to tell the resident (受付番号), the fee to take, the PDF copy to print."""
    try:
        submission = backoffice_queries.submission_for_staff(signed_in_user(request), pk)
    except Submission.DoesNotExist:
        raise Http404 from None
    if submission.source != Submission.Source.COUNTER:
        return redirect("procedures:staff_submission", submission.pk)
    record_read(
        by=signed_in_user(request),
        obj=submission,
        subject_user_id=submission.applicant_id,
        reason=backoffice.COUNTER,
        request=request,
    )
    return render(
        request,
        "procedures/staff/counter_received.html",
        {
            "submission": submission,
            "procedure_title": procedure_label(submission.procedure),
            "breadcrumbs": _crumbs((submission.receipt_number, None)),
        },
    )
