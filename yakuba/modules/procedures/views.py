"""The residents' procedure pages (オンライン申請): find a procedure, read what it needs, fill its
form section by section (pre-filled from the profile, saved as a draft at every step), review,
file, the receipt, one's own applications with their status, messages and 補正, and the PDF copy.

Every page works without JavaScript. A resident only ever reaches their own drafts, applications,
files and copies: anything else answers 404, the same as what does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yakuba.core import search
from yakuba.modules.procedures import engine, form_pages, formdef, services, storage
from yakuba.modules.procedures.forms import (
    CatalogueSearchForm,
    CorrectionMessageForm,
    StartForm,
)
from yakuba.modules.procedures.models import (
    ApplicantKind,
    Attachment,
    Category,
    Draft,
    FeeKind,
    LifeEvent,
    Procedure,
    Status,
    Submission,
)
from yakuba.platform.accounts.requests import signed_in_user

PAGE_SIZE = 20


# --- helpers -------------------------------------------------------------------------------------


def in_language(japanese: str, english: str) -> str:
    """The English text for English readers when there is one, else the Japanese."""
    return english if english and (get_language() or "ja").startswith("en") else japanese


@dataclass(frozen=True)
class ProcedureCard:
    """A procedure as the catalogue lists it, in the reader's language."""

    procedure: Procedure
    title: str
    summary: str


def _card(procedure: Procedure) -> ProcedureCard:
    return ProcedureCard(
        procedure=procedure,
        title=in_language(procedure.title, procedure.title_en),
        summary=in_language(procedure.summary, procedure.summary_en),
    )


def _published() -> Any:
    return Procedure.objects.filter(is_published=True, versions__published_at__isnull=False)


def _procedure(code: str) -> Procedure:
    procedure = _published().select_related("department").filter(code=code).distinct().first()
    if procedure is None:
        raise Http404
    return procedure


def _crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(_("手続きをさがす"), reverse("procedures:catalogue")), *rest]


def _mine_crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("マイページ"), reverse("accounts:my_page")),
        (_("あなたの申請"), reverse("procedures:mine")),
        *rest,
    ]


def _own_draft(request: HttpRequest, procedure: Procedure) -> Draft | None:
    return (
        Draft.objects.select_related("form_version", "household_member")
        .filter(applicant=signed_in_user(request), procedure=procedure)
        .first()
    )


def _own_submission(request: HttpRequest, pk: int) -> Submission:
    return get_object_or_404(
        Submission.objects.select_related("procedure", "department", "form_version"),
        pk=pk,
        applicant=signed_in_user(request),
    )


def _fee_text(procedure: Procedure) -> str:
    if procedure.fee_kind == FeeKind.FIXED and procedure.fee_amount:
        return _("%(yen)s円") % {"yen": f"{procedure.fee_amount:,}"}
    if procedure.fee_kind == FeeKind.COMPUTED and procedure.fee_amount:
        # e.g. a certificate: so much a copy, the total from the answers.
        return _("1件%(yen)s円（申請の内容によって合計が変わります）") % {
            "yen": f"{procedure.fee_amount:,}"
        }
    if procedure.fee_kind == FeeKind.COMPUTED:
        return str(FeeKind.COMPUTED.label)
    return str(FeeKind.NONE.label)


# --- the catalogue -------------------------------------------------------------------------------


def search_procedures(q: str = "", category: str = "", event: str = "") -> list[Procedure]:
    """Published procedures matching every word of `q` (in the title, readings, summary, in either
    language), in `category` and for the life `event`. The catalogue is small (tens of
    procedures): the words are matched in Python, where kana folding is exact."""
    procedures = _published().select_related("department").distinct()
    if category:
        procedures = procedures.filter(category=category)
    found = [p for p in procedures if not event or event in (p.life_events or [])]
    return search.matching(
        q, found, lambda p: " ".join((p.title, p.title_en, p.keywords, p.summary, p.summary_en))
    )


@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    """手続きをさがす: search, categories and life events."""
    form = CatalogueSearchForm(request.GET or None)
    filters = form.filters()
    results = [_card(p) for p in search_procedures(**filters)]
    drafts: list[Draft] = []
    if request.user.is_authenticated:
        drafts = list(
            Draft.objects.filter(applicant=signed_in_user(request), procedure__is_published=True)
            .select_related("procedure")
            .order_by("-updated_at")
        )
    return render(
        request,
        "procedures/catalogue.html",
        {
            "form": form,
            "filters": filters,
            "results": results,
            "categories": Category.choices,
            "life_events": LifeEvent.choices,
            "drafts": [_card(d.procedure) for d in drafts],
            "breadcrumbs": [(_("手続きをさがす"), None)],
        },
    )


@require_GET
def procedure_page(request: HttpRequest, code: str) -> HttpResponse:
    """What a procedure is, who may apply, what to prepare, the fee, how long — and 「申請を始める」."""
    procedure = _procedure(code)
    card = _card(procedure)
    draft = _own_draft(request, procedure) if request.user.is_authenticated else None
    return render(
        request,
        "procedures/procedure.html",
        {
            "card": card,
            "procedure": procedure,
            "eligibility": in_language(procedure.eligibility, procedure.eligibility_en),
            "kinds": [k.label for k in ApplicantKind if k.value in procedure.applicant_kinds],
            "documents": [
                line
                for line in in_language(
                    procedure.required_documents, procedure.required_documents_en
                ).splitlines()
                if line.strip()
            ],
            "fee": _fee_text(procedure),
            "department": in_language(procedure.department.name, procedure.department.name_en),
            "draft": draft,
            "login_url": reverse("account_login")
            + "?next="
            + reverse("procedures:start", args=[procedure.code]),
            "breadcrumbs": _crumbs((card.title, None)),
        },
    )


# --- filling the form ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, code: str) -> HttpResponse:
    """Choose whom the application is for, then go to the form, pre-filled (申請を始める)."""
    procedure = _procedure(code)
    user = signed_in_user(request)
    draft = _own_draft(request, procedure)
    form = StartForm(
        request.POST or None,
        procedure=procedure,
        household=services.household_of(user),
        initial=form_pages.start_initial(draft),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.start_draft(
                user,
                procedure,
                applicant_kind=form.cleaned_data["applicant_kind"],
                household_member=form.chosen_member(),
                agent=form.chosen_agent(),
            )
        except ValidationError as error:
            form_pages.add_errors(form, error)
        else:
            return redirect("procedures:form", code=procedure.code)
    card = _card(procedure)
    return render(
        request,
        "procedures/start.html",
        {
            "card": card,
            "procedure": procedure,
            "form": form,
            "draft": draft,
            "breadcrumbs": _crumbs(
                (card.title, reverse("procedures:procedure", args=[procedure.code])),
                (_("申請を始める"), None),
            ),
        },
    )


def _attachment_url(identifier: int) -> str:
    return reverse("procedures:attachment", args=[identifier])


def _section_url(procedure: Procedure, key: str) -> str:
    return reverse("procedures:form_section", args=[procedure.code, key])


@login_required
@require_http_methods(["GET", "POST"])
def fill(request: HttpRequest, code: str, section: str = "") -> HttpResponse:
    """One section of the form. 「次へ」 checks the section and saves; 「一時保存」 saves as typed
    (下書き) and returns to the procedure's page; files are attached as soon as they come, even
    when another answer needs fixing."""
    procedure = _procedure(code)
    draft = _own_draft(request, procedure)
    if draft is None:
        return redirect("procedures:start", code=procedure.code)
    definition = formdef.parse(draft.form_version.definition)
    keys = form_pages.section_keys(definition)
    if not section:
        return redirect("procedures:form_section", code=procedure.code, section=keys[0])
    if section not in keys:
        raise Http404
    if request.method == "GET":
        form = engine.build_form(
            definition, answers=services.form_answers(draft.answers), section=section
        )
        return _section_page(request, procedure, draft, definition, form, section)
    posted = form_pages.post_section(
        request,
        definition,
        draft,
        section,
        attach=lambda path, upload: services.attach_file(draft, path, upload),
        save=lambda values: services.save_section(draft, section, values),
        section_url=partial(_section_url, procedure),
        review_url=reverse("procedures:review", args=[procedure.code]),
    )
    if posted.is_saved:
        messages.success(
            request,
            _(
                "入力した内容を保存しました。手続きのページや「あなたの申請」から続きを入力できます。"
            ),
        )
        return redirect("procedures:procedure", code=procedure.code)
    if posted.next_url:
        return redirect(posted.next_url)
    return _section_page(
        request,
        procedure,
        draft,
        definition,
        posted.form,
        section,
        upload_errors=posted.upload_errors,
    )


def _section_page(
    request: HttpRequest,
    procedure: Procedure,
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
    card = _card(procedure)
    return render(
        request,
        "procedures/fill.html",
        {
            **context,
            "card": card,
            "procedure": procedure,
            "attachment_url": _attachment_url,
            "breadcrumbs": _crumbs(
                (card.title, reverse("procedures:procedure", args=[procedure.code])),
                (context["section_title"], None),
            ),
        },
        status=400 if form.errors() or upload_errors else 200,
    )


@login_required
@require_GET
def review(request: HttpRequest, code: str) -> HttpResponse:
    """確認: every answer, with a link to change each section; what still needs an answer links
    back to its section."""
    procedure = _procedure(code)
    draft = _own_draft(request, procedure)
    if draft is None:
        return redirect("procedures:start", code=procedure.code)
    return _review_page(request, procedure, draft)


def _review_page(
    request: HttpRequest,
    procedure: Procedure,
    draft: Draft,
    *,
    error: ValidationError | None = None,
    status: int = 200,
) -> HttpResponse:
    card = _card(procedure)
    return render(
        request,
        "procedures/review.html",
        {
            **form_pages.review_context(
                draft,
                section_url=partial(_section_url, procedure),
                error=error,
                attachment_url=_attachment_url,
            ),
            "card": card,
            "procedure": procedure,
            "breadcrumbs": _crumbs(
                (card.title, reverse("procedures:procedure", args=[procedure.code])),
                (_("入力内容の確認"), None),
            ),
        },
        status=status,
    )


@login_required
@require_POST
def submit(request: HttpRequest, code: str) -> HttpResponse:
    """申請する. A second click finds the draft filed already and shows the same receipt."""
    procedure = _procedure(code)
    user = signed_in_user(request)
    draft = _own_draft(request, procedure)
    if draft is None:
        return _after_double_submit(request, procedure)
    try:
        submission = services.submit(draft, applicant=user)
    except services.AlreadySubmitted:
        return _after_double_submit(request, procedure)
    except ValidationError as error:
        return _review_page(request, procedure, draft, error=error, status=400)
    return redirect("procedures:received", pk=submission.pk)


def _after_double_submit(request: HttpRequest, procedure: Procedure) -> HttpResponse:
    latest = (
        Submission.objects.filter(applicant=signed_in_user(request), procedure=procedure)
        .order_by("-submitted_at", "-pk")
        .first()
    )
    if latest is None:
        return redirect("procedures:procedure", code=procedure.code)
    return redirect("procedures:received", pk=latest.pk)


@login_required
@require_POST
def discard(request: HttpRequest, code: str) -> HttpResponse:
    """下書きを削除: the resident starts over or gives up."""
    procedure = _procedure(code)
    draft = _own_draft(request, procedure)
    if draft is not None:
        services.discard_draft(draft)
        messages.success(request, _("下書きを削除しました。"))
    return redirect("procedures:procedure", code=procedure.code)


@login_required
@require_GET
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """A file the resident attached, to them only (never by its storage path)."""
    user = signed_in_user(request)
    item = get_object_or_404(
        Attachment,
        Q(draft__applicant=user) | Q(submission__applicant=user),
        pk=pk,
    )
    return storage.serve(item.file, content_type=item.content_type, filename=item.original_name)


# --- after filing --------------------------------------------------------------------------------


@login_required
@require_GET
def received(request: HttpRequest, pk: int) -> HttpResponse:
    """The receipt (受付番号, what happens next, the PDF when it is ready)."""
    submission = _own_submission(request, pk)
    card = _card(submission.procedure)
    return render(
        request,
        "procedures/received.html",
        {
            "submission": submission,
            "card": card,
            "department": in_language(submission.department.name, submission.department.name_en),
            "breadcrumbs": _mine_crumbs((_("受け付けました"), None)),
        },
    )


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """あなたの申請: drafts to finish and filed applications with their status."""
    user = signed_in_user(request)
    submissions = Submission.objects.filter(applicant=user).select_related("procedure")
    page = Paginator(submissions, PAGE_SIZE).get_page(request.GET.get("page"))
    drafts = (
        Draft.objects.filter(applicant=user).select_related("procedure").order_by("-updated_at")
    )
    return render(
        request,
        "procedures/mine.html",
        {
            "page": page,
            "rows": [(s, _card(s.procedure)) for s in page.object_list],
            "drafts": [(d, _card(d.procedure)) for d in drafts],
            "breadcrumbs": [
                (_("マイページ"), reverse("accounts:my_page")),
                (_("あなたの申請"), None),
            ],
        },
    )


def _submission_page(
    request: HttpRequest,
    submission: Submission,
    *,
    correction_form: Any = None,
    message_form: CorrectionMessageForm | None = None,
    status: int = 200,
) -> HttpResponse:
    definition = formdef.parse(submission.form_version.definition)
    request_event = services.correction_request(submission)
    current = services.current_answers(submission)
    if correction_form is None and request_event is not None:
        correction_form = engine.build_form(
            services.correction_definition(definition, request_event.requested_fields),
            answers=current,
        )
    card = _card(submission.procedure)
    return render(
        request,
        "procedures/submission.html",
        {
            "submission": submission,
            "card": card,
            "sections": engine.answer_sections(definition, current, attachment_url=_attachment_url),
            "events": [
                e for e in submission.events.select_related("amendment") if e.applicant_sees
            ],
            "correction": request_event,
            "correction_form": correction_form,
            "message_form": message_form or CorrectionMessageForm(),
            "department": in_language(submission.department.name, submission.department.name_en),
            "statuses": _status_steps(submission),
            "breadcrumbs": _mine_crumbs((submission.receipt_number, None)),
        },
        status=status,
    )


def _status_steps(submission: Submission) -> list[tuple[str, bool]]:
    """The procedure's statuses in order, each marked when the submission is in it."""
    used = submission.procedure.statuses or [s.value for s in Status]
    return [(str(Status(s).label), s == submission.status) for s in used if s in Status.values]


@login_required
@require_GET
def submission_page(request: HttpRequest, pk: int) -> HttpResponse:
    """An application: status, history (without internal notes), messages, the answers, 補正."""
    return _submission_page(request, _own_submission(request, pk))


@login_required
@require_POST
def correction(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer a 補正依頼 by changing only the answers the department named."""
    submission = _own_submission(request, pk)
    request_event = services.correction_request(submission)
    if request_event is None:
        messages.info(request, _("この申請には、いま補正の依頼はありません。"))
        return redirect("procedures:submission", pk=submission.pk)
    definition = services.correction_definition(
        formdef.parse(submission.form_version.definition), request_event.requested_fields
    )
    form = engine.build_form(
        definition,
        data=request.POST,
        files=request.FILES,
        answers=services.current_answers(submission),
    )
    message_form = CorrectionMessageForm(request.POST)
    if form.is_valid() and message_form.is_valid() and not form.row_action:
        # A new file's value waits for its attachment: the service stores `uploads` after.
        changes = {
            path: services.answer_at(form.answers, path) for path in request_event.requested_fields
        }
        try:
            services.answer_correction(
                submission,
                applicant=signed_in_user(request),
                changes=changes,
                message=message_form.cleaned_data["message"],
                uploads=form.uploads,
            )
        except ValidationError as error:
            form_pages.add_errors(message_form, error)
        else:
            messages.success(request, _("補正の内容を送りました。担当課が確認します。"))
            return redirect("procedures:submission", pk=submission.pk)
    return _submission_page(
        request,
        submission,
        correction_form=form,
        message_form=message_form,
        status=200 if form.row_action else 400,
    )


@login_required
@require_GET
def submission_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The signed PDF copy (申請の控え), to the applicant only."""
    submission = _own_submission(request, pk)
    return storage.serve(
        submission.pdf, content_type="application/pdf", filename=f"{submission.receipt_number}.pdf"
    )
