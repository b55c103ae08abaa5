"""The staff side of reports (通報の対応): the queue with its map, a report's staff page with the
actions on it, photos waiting for review, blocked senders.

Seeing needs reports.view_report; acting needs reports.change_report. Every action is a POST that
redirects back (Post/Redirect/Get); a refused one shows the page again with the error summary.
The reporter's contact details are shown only on request, and each showing is audited."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from yakuba.core.permissions import staff_required
from yakuba.modules.reports import services, triage, triage_queries
from yakuba.modules.reports.models import BlockedSender, Report, ReportPhoto
from yakuba.modules.reports.triage_forms import (
    AssignForm,
    InternalNoteForm,
    MergeForm,
    QueueFilterForm,
    ReasonForm,
    StatusForm,
)
from yakuba.modules.reports.views import GEOJSON, map_settings, map_view
from yakuba.platform.accounts.requests import signed_in_user
from yakuba.platform.audit.services import record_read

VIEW = "reports.view_report"
CHANGE = "reports.change_report"


def _crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("職員メニュー"), reverse("core:staff_home")),
        (_("通報の対応"), reverse("reports:triage") if rest else None),
        *rest,
    ]


def _filters(request: HttpRequest) -> tuple[QueueFilterForm, triage_queries.QueueFilters]:
    user = signed_in_user(request)
    form = QueueFilterForm(request.GET or None, own_department=triage_queries.department_of(user))
    return form, form.filters(viewer=user)


def _query_without_page(request: HttpRequest) -> str:
    return urlencode([(k, v) for k, v in request.GET.items() if k not in ("page", "bbox")])


# --- the queue ------------------------------------------------------------------------------------


@staff_required(permission=VIEW)
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The reports to deal with (対応の一覧): the own department's open ones by default, oldest
    first; filters, counts per status and a map of the same filter."""
    form, filters = _filters(request)
    page = Paginator(triage_queries.queue(filters), triage_queries.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = _query_without_page(request)
    geojson_url = reverse("reports:triage_geojson") + (f"?{query}" if query else "")
    return render(
        request,
        "reports/triage/queue.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "counts": triage_queries.status_counts(filters),
            "geojson_url": geojson_url,
            "breadcrumbs": _crumbs(),
            **map_settings(),
        },
    )


@staff_required(permission=VIEW)
@require_GET
def geojson(request: HttpRequest) -> JsonResponse:
    """The queue's reports in `?bbox=` as GeoJSON for the staff map (hidden ones included),
    grouped when `?zoom=` is below CLUSTER_BELOW_ZOOM."""
    try:
        bbox, zoom = map_view(request)
    except ValidationError as error:
        return JsonResponse({"error": error.messages[0]}, status=400)
    _form, filters = _filters(request)
    response = JsonResponse(
        triage_queries.staff_map_features(filters, bbox=bbox, zoom=zoom),
        json_dumps_params={"ensure_ascii": False},
    )
    response["Content-Type"] = GEOJSON
    response["Cache-Control"] = "private, no-store"
    return response


# --- a report's staff page ------------------------------------------------------------------------


def _report(pk: int) -> Report:
    try:
        return triage_queries.report_for_staff(pk)
    except Report.DoesNotExist:
        raise Http404 from None


def _has_contact(report: Report) -> bool:
    return bool(
        report.reporter_id or report.reporter_email or report.reporter_name or report.reporter_phone
    )


def _detail_page(
    request: HttpRequest,
    report: Report,
    *,
    failed: BaseForm | None = None,
    status: int = 200,
    **forms: BaseForm,
) -> HttpResponse:
    user = signed_in_user(request)
    show_contact = request.method == "GET" and request.GET.get("contact") == "1"
    if show_contact and _has_contact(report):
        # Personal data opened by staff (個人情報の閲覧): who, which report, whose.
        record_read(by=user, obj=report, subject_user_id=report.reporter_id, request=request)
    nearby: list[services.Nearby] = []
    if report.latitude is not None and report.longitude is not None and report.is_open:
        nearby = [
            n
            for n in services.nearby_open_reports(
                report.category, report.latitude, report.longitude
            )
            if n.report.pk != report.pk
        ]
    context: dict[str, Any] = {
        "report": report,
        "history": triage_queries.history(report),
        "photos": triage_queries.photos(report),
        "duplicates": triage_queries.duplicates(report),
        "nearby": nearby,
        "show_contact": show_contact,
        "has_contact": _has_contact(report),
        "can_change": user.has_perm(CHANGE),
        "assign_form": AssignForm(report=report),
        "status_form": StatusForm(initial={"status": report.status}),
        "note_form": InternalNoteForm(),
        "merge_form": MergeForm(),
        "hide_form": ReasonForm(prefix="hide"),
        "block_form": ReasonForm(prefix="block"),
        "failed_form": failed,
        "breadcrumbs": _crumbs((_("通報 #%(number)s") % {"number": report.pk}, None)),
        **map_settings(),
    }
    context.update(forms)
    return render(request, "reports/triage/detail.html", context, status=status)


@staff_required(permission=VIEW)
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything about a report for staff: history with internal notes, every photo, the
    reporter's contact on request (audited), and the forms to act on it."""
    return _detail_page(request, _report(pk))


def _done(report: Report, anchor: str = "") -> HttpResponse:
    return redirect(reverse("reports:triage_detail", args=[report.pk]) + anchor)


def _refused(
    request: HttpRequest, report: Report, name: str, form: BaseForm, error: ValidationError
) -> HttpResponse:
    form.add_error(None, error.messages)
    return _detail_page(request, report, failed=form, status=400, **{name: form})


def _invalid(request: HttpRequest, report: Report, name: str, form: BaseForm) -> HttpResponse:
    return _detail_page(request, report, failed=form, status=400, **{name: form})


@staff_required(permission=CHANGE)
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(pk)
    form = AssignForm(request.POST, report=report)
    if not form.is_valid():
        return _invalid(request, report, "assign_form", form)
    try:
        triage.assign(report, by=signed_in_user(request), to=form.cleaned_data["assignee"])
    except ValidationError as error:
        return _refused(request, report, "assign_form", form, error)
    messages.success(request, _("担当者を変えました。"))
    return _done(report)


@staff_required(permission=CHANGE)
@require_POST
def change_status(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(pk)
    form = StatusForm(request.POST, request.FILES)
    if not form.is_valid():
        return _invalid(request, report, "status_form", form)
    try:
        triage.set_status(
            report,
            by=signed_in_user(request),
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
            photo=form.cleaned_data["photo"],
        )
    except ValidationError as error:
        return _refused(request, report, "status_form", form, error)
    messages.success(request, _("状態を変えて、通報した人にお知らせしました。"))
    return _done(report, "#history")


@staff_required(permission=CHANGE)
@require_POST
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(pk)
    form = InternalNoteForm(request.POST)
    if not form.is_valid():
        return _invalid(request, report, "note_form", form)
    try:
        triage.add_internal_note(report, by=signed_in_user(request), note=form.cleaned_data["note"])
    except ValidationError as error:
        return _refused(request, report, "note_form", form, error)
    messages.success(request, _("内部メモを残しました。"))
    return _done(report, "#history")


@staff_required(permission=CHANGE)
@require_POST
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(pk)
    form = MergeForm(request.POST)
    if not form.is_valid():
        return _invalid(request, report, "merge_form", form)
    into = Report.objects.filter(pk=form.cleaned_data["into"]).first()
    if into is None:
        form.add_error("into", _("その番号の通報はありません。"))
        return _invalid(request, report, "merge_form", form)
    try:
        triage.merge(report, into=into, by=signed_in_user(request))
    except ValidationError as error:
        return _refused(request, report, "merge_form", form, error)
    messages.success(request, _("#%(number)s に統合しました。") % {"number": into.pk})
    return _done(report)


@staff_required(permission=CHANGE)
@require_POST
def hide(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(pk)
    form = ReasonForm(request.POST, prefix="hide")
    if not form.is_valid():
        return _invalid(request, report, "hide_form", form)
    try:
        triage.hide(report, by=signed_in_user(request), reason=form.cleaned_data["reason"])
    except ValidationError as error:
        return _refused(request, report, "hide_form", form, error)
    messages.success(request, _("通報を非公開にしました。"))
    return _done(report)


@staff_required(permission=CHANGE)
@require_POST
def unhide(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(pk)
    try:
        triage.unhide(report, by=signed_in_user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("通報を公開に戻しました。"))
    return _done(report)


@staff_required(permission=CHANGE)
@require_POST
def block(request: HttpRequest, pk: int) -> HttpResponse:
    """Block whoever sent this report: their account, or the address they gave."""
    report = _report(pk)
    form = ReasonForm(request.POST, prefix="block")
    if not form.is_valid():
        return _invalid(request, report, "block_form", form)
    try:
        triage.block_sender(
            by=signed_in_user(request),
            user=report.reporter,
            email=report.reporter_email if report.reporter is None else "",
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        return _refused(request, report, "block_form", form, error)
    messages.success(request, _("この送信者からの通報を受け付けないようにしました。"))
    return _done(report)


# --- photos ---------------------------------------------------------------------------------------


def _next_url(request: HttpRequest, fallback: str) -> str:
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, {request.get_host()}, request.is_secure()
    ):
        return next_url
    return fallback


@staff_required(permission=CHANGE)
@require_POST
def review_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """「公開する」 / 「非公開にする」 for one photo."""
    photo = get_object_or_404(ReportPhoto, pk=pk)
    public = request.POST.get("public") == "1"
    triage.set_photo_public(photo, by=signed_in_user(request), public=public)
    messages.success(
        request, _("写真を公開しました。") if public else _("写真を非公開にしました（確認済み）。")
    )
    return redirect(
        _next_url(request, reverse("reports:triage_detail", args=[photo.report_id]) + "#photos")
    )


@staff_required(permission=VIEW)
@require_GET
def photo_list(request: HttpRequest) -> HttpResponse:
    """Residents' photos not yet public, newest first (写真の確認)."""
    page = Paginator(triage_queries.photos_to_review(), 24).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/triage/photos.html",
        {
            "page": page,
            "can_change": signed_in_user(request).has_perm(CHANGE),
            "breadcrumbs": _crumbs((_("写真の確認"), None)),
        },
    )


# --- blocked senders ------------------------------------------------------------------------------


@staff_required(permission=VIEW)
@require_GET
def blocked_list(request: HttpRequest) -> HttpResponse:
    """Blocked senders (受付停止), newest first. Addresses and accounts are personal data: the
    list's showing is audited as one read."""
    user = signed_in_user(request)
    page = Paginator(triage_queries.blocked_senders(), triage_queries.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for blocked in page.object_list:
        record_read(by=user, obj=blocked, subject_user_id=blocked.user_id, request=request)
    return render(
        request,
        "reports/triage/blocked.html",
        {
            "page": page,
            "can_change": user.has_perm(CHANGE),
            "breadcrumbs": _crumbs((_("受付停止の一覧"), None)),
        },
    )


@staff_required(permission=CHANGE)
@require_POST
def unblock(request: HttpRequest, pk: int) -> HttpResponse:
    blocked = get_object_or_404(BlockedSender, pk=pk)
    triage.unblock(blocked, by=signed_in_user(request))
    messages.success(request, _("受付停止を解除しました。"))
    return redirect("reports:triage_blocked")
