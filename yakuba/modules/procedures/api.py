"""The procedures HTTP API (/api/procedures/…, Django Ninja; OpenAPI at /api/openapi.json).

    GET /api/procedures/                                  the published catalogue (公開中の手続き)
    GET /api/procedures/{code}                            one procedure with its current form
    GET /api/procedures/{code}/versions/{number}          a published version of its form
    GET /api/procedures/submissions/                      the signed-in resident's applications
    GET /api/procedures/submissions/{receipt_number}      one of them: status, history, answers

The catalogue is public: what residents may file and the forms they fill in (様式の定義, the format
in `formdef.py`), so that other towns and outside developers can reuse them. The submissions are
the resident's own, with the session's sign-in as on the web pages (401 without one); another
resident's application answers 404, as an unknown one does, so receipt numbers cannot be probed.
The history leaves out what the web page leaves out: internal notes and assignments.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from django.db.models import Max, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.security import django_auth

from yakuba.modules.procedures.models import (
    Attachment,
    Event,
    FormVersion,
    Procedure,
    Submission,
)
from yakuba.modules.procedures.services import current_answers
from yakuba.platform.accounts.models import User

router = Router(tags=["procedures"])

MAX_PER_PAGE = 100

# What the applicant sees of a submission's history (as `Event.applicant_sees`).
HIDDEN_EVENT_KINDS = (Event.Kind.NOTE, Event.Kind.ASSIGNED)


# --- schemas --------------------------------------------------------------------------------------


class ProcedureErrorOut(Schema):
    detail: str


class ProcedureOut(Schema):
    """A procedure residents can file online (手続き), as the catalogue lists it."""

    code: str
    title: str
    title_en: str
    summary: str
    summary_en: str
    category: str
    category_label: str
    life_events: list[str]
    applicant_kinds: list[str]
    fee_kind: str
    fee_amount: int | None
    target_days: int | None
    # The number of the form version residents fill in now (None: no published form yet).
    form_version: int | None


class ProcedureFormOut(Schema):
    """A published version of a procedure's form (様式の版); `definition` is the form format of
    `yakuba/modules/procedures/formdef.py` ("format": "yakuba.procedures.form/1")."""

    number: int
    published_at: datetime
    note: str
    definition: dict[str, Any]


class ProcedureDetailOut(ProcedureOut):
    """A procedure with who may apply, what to attach and its current form."""

    eligibility: str
    eligibility_en: str
    # One document a line, in Japanese; `required_documents_en` in English ("" if not translated).
    required_documents: str
    required_documents_en: str
    identity_check: bool
    form: ProcedureFormOut | None


class ProcedureSubmissionOut(Schema):
    """One of the resident's applications (申請) as listed."""

    receipt_number: str
    procedure_code: str
    procedure_title: str
    status: str
    status_label: str
    submitted_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class ProcedureSubmissionPage(Schema):
    """One page of the resident's applications, newest first; `count` is over all pages."""

    count: int
    page: int
    per_page: int
    pages: int
    items: list[ProcedureSubmissionOut]


class ProcedureEventOut(Schema):
    """A step of the history the applicant sees (経過): a status change, a message."""

    at: datetime
    kind: str
    kind_label: str
    status: str
    status_label: str
    text: str
    # On a 補正依頼: the answers the town asks to change ("section.field").
    requested_fields: list[str]


class ProcedureAttachmentOut(Schema):
    field: str
    name: str
    size: int
    sha256: str
    url: str


class ProcedureSubmissionDetailOut(ProcedureSubmissionOut):
    """An application with its history, its answers as they stand (with amendments) and the
    SHA-256 digests: `digest` of the answers as filed, `current_digest` after the amendments."""

    form_version: int
    source: str
    applicant_kind: str
    subject_name: str
    fee_amount: int | None
    payment: str
    answers: dict[str, Any]
    digest: str
    current_digest: str
    attachments: list[ProcedureAttachmentOut]
    history: list[ProcedureEventOut]
    # The signed PDF copy (申請の控え) once the background job has made it.
    pdf_url: str | None


ERRORS_404 = {404: ProcedureErrorOut}
ERRORS_AUTH = {401: ProcedureErrorOut, 404: ProcedureErrorOut}


# --- the catalogue --------------------------------------------------------------------------------


def _published() -> QuerySet[Procedure]:
    # Meta.ordering is not applied to a query with an aggregate: the catalogue's order is given.
    return (
        Procedure.objects.filter(is_published=True)
        .annotate(
            current_number=Max("versions__number", filter=Q(versions__published_at__isnull=False))
        )
        .order_by("order", "code")
    )


def _procedure(procedure: Procedure) -> dict[str, Any]:
    return {
        "code": procedure.code,
        "title": procedure.title,
        "title_en": procedure.title_en,
        "summary": procedure.summary,
        "summary_en": procedure.summary_en,
        "category": procedure.category,
        "category_label": str(procedure.get_category_display()),
        "life_events": list(procedure.life_events),
        "applicant_kinds": list(procedure.applicant_kinds),
        "fee_kind": procedure.fee_kind,
        "fee_amount": procedure.fee_amount,
        "target_days": procedure.target_days,
        "form_version": getattr(procedure, "current_number", None),
    }


def _form(version: FormVersion) -> dict[str, Any]:
    return {
        "number": version.number,
        "published_at": version.published_at,
        "note": version.note,
        "definition": version.definition,
    }


def _not_found(message: str) -> Status[dict[str, Any]]:
    return Status(404, {"detail": message})


@router.get("/", response=list[ProcedureOut], summary="List the published procedures")
def list_procedures(request: HttpRequest) -> list[dict[str, Any]]:
    """The procedures residents can file online, in the catalogue's order."""
    return [_procedure(p) for p in _published()]


# The resident's own submissions come before `/{code}` so that no procedure code shadows them.


def _signed_in(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - django_auth let only signed-in users through
    return user


@router.get(
    "/submissions/",
    auth=django_auth,
    response={200: ProcedureSubmissionPage, 401: ProcedureErrorOut},
    summary="List the signed-in resident's applications",
)
def list_submissions(
    request: HttpRequest,
    page: int = Query(1, ge=1),
    per_page: int = Query(20, ge=1, le=MAX_PER_PAGE),
) -> dict[str, Any]:
    """The applications the signed-in resident filed, newest first."""
    submissions = Submission.objects.filter(applicant=_signed_in(request)).select_related(
        "procedure"
    )
    count = submissions.count()
    start = (page - 1) * per_page
    return {
        "count": count,
        "page": page,
        "per_page": per_page,
        "pages": max(1, math.ceil(count / per_page)),
        "items": [_submission(s) for s in submissions[start : start + per_page]],
    }


def _submission(submission: Submission) -> dict[str, Any]:
    return {
        "receipt_number": submission.receipt_number,
        "procedure_code": submission.procedure.code,
        "procedure_title": submission.procedure.title,
        "status": submission.status,
        "status_label": str(submission.get_status_display()),
        "submitted_at": submission.submitted_at,
        "updated_at": submission.updated_at,
        "closed_at": submission.closed_at,
    }


def _event(event: Event) -> dict[str, Any]:
    return {
        "at": event.created_at,
        "kind": event.kind,
        "kind_label": str(event.get_kind_display()),
        "status": event.status,
        "status_label": str(event.get_status_display()) if event.status else "",
        "text": event.text,
        "requested_fields": list(event.requested_fields),
    }


def _attachment(attachment: Attachment) -> dict[str, Any]:
    return {
        "field": attachment.field_key,
        "name": attachment.original_name,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "url": reverse("procedures:attachment", args=[attachment.pk]),
    }


@router.get(
    "/submissions/{receipt_number}",
    auth=django_auth,
    response={200: ProcedureSubmissionDetailOut, **ERRORS_AUTH},
    summary="One of the signed-in resident's applications",
)
def get_submission(request: HttpRequest, receipt_number: str) -> Status[dict[str, Any]]:
    """An application of the signed-in resident by its receipt number (受付番号); 404 for an
    unknown one and for another resident's."""
    submission = (
        Submission.objects.filter(applicant=_signed_in(request), receipt_number=receipt_number)
        .select_related("procedure", "form_version")
        .prefetch_related("amendments")
        .first()
    )
    if submission is None:
        return _not_found(_("その申請は見つかりません。"))
    amendments = list(submission.amendments.all())
    history = submission.events.exclude(kind__in=HIDDEN_EVENT_KINDS).order_by("created_at", "pk")
    return Status(
        200,
        {
            **_submission(submission),
            "form_version": submission.form_version.number,
            "source": submission.source,
            "applicant_kind": submission.applicant_kind,
            "subject_name": submission.subject_name,
            "fee_amount": submission.fee_amount,
            "payment": submission.payment,
            "answers": current_answers(submission),
            "digest": submission.digest,
            "current_digest": amendments[-1].digest if amendments else submission.digest,
            "attachments": [_attachment(a) for a in submission.attachments.order_by("pk")],
            "history": [_event(e) for e in history],
            "pdf_url": reverse("procedures:pdf", args=[submission.pk]) if submission.pdf else None,
        },
    )


# --- one procedure --------------------------------------------------------------------------------


@router.get(
    "/{code}",
    response={200: ProcedureDetailOut, **ERRORS_404},
    summary="One published procedure with its current form",
)
def get_procedure(request: HttpRequest, code: str) -> Status[dict[str, Any]]:
    """A published procedure by its code, with the form residents fill in now; 404 for an
    unknown or unpublished one."""
    procedure = _published().filter(code=code).first()
    if procedure is None:
        return _not_found(_("その手続きは見つかりません。"))
    number = getattr(procedure, "current_number", None)
    version = procedure.versions.filter(number=number).first() if number is not None else None
    return Status(
        200,
        {
            **_procedure(procedure),
            "eligibility": procedure.eligibility,
            "eligibility_en": procedure.eligibility_en,
            "required_documents": procedure.required_documents,
            "required_documents_en": procedure.required_documents_en,
            "identity_check": procedure.identity_check,
            "form": _form(version) if version is not None else None,
        },
    )


@router.get(
    "/{code}/versions/{number}",
    response={200: ProcedureFormOut, **ERRORS_404},
    summary="A published version of a procedure's form",
)
def get_version(request: HttpRequest, code: str, number: int) -> Status[dict[str, Any]]:
    """A published version of a published procedure's form; drafts of a form (versions not
    published) and unknown numbers answer 404."""
    version = FormVersion.objects.filter(
        procedure__code=code,
        procedure__is_published=True,
        number=number,
        published_at__isnull=False,
    ).first()
    if version is None:
        return _not_found(_("その様式の版は見つかりません。"))
    return Status(200, _form(version))
