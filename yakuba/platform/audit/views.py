"""The auditor's pages (監査ログの検索と出力). Read-only: nothing here changes an entry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yakuba.core.csv_export import csv_response
from yakuba.core.permissions import staff_required
from yakuba.platform.audit import queries, services
from yakuba.platform.audit.forms import AuditSearchForm
from yakuba.platform.audit.models import AuditEntry

SEARCH_PERMISSION = "audit.search_auditentry"
PAGE_SIZE = 50
CSV_COLUMNS = [
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "subject_user_id",
    "screen",
    "reason",
    "ip_address",
    "changes",
]


def _breadcrumbs() -> list[tuple[str, str | None]]:
    return [(_("職員メニュー"), reverse("core:staff_home")), (_("監査ログ"), None)]


def _render_search(
    request: HttpRequest, form: AuditSearchForm, page: Any = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "audit/search.html",
        {"form": form, "page": page, "breadcrumbs": _breadcrumbs()},
        status=status,
    )


@staff_required(permission=SEARCH_PERMISSION)
def search(request: HttpRequest) -> HttpResponse:
    """Find who did what to which record, newest first."""
    form = AuditSearchForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return _render_search(request, form, status=400)
    filters = form.filters() if form.is_bound else {}
    entries = queries.search_entries(**filters)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return _render_search(request, form, page)


def _csv_row(entry: AuditEntry) -> list[Any]:
    return [
        value
        for value in (
            timezone.localtime(entry.occurred_at).isoformat(),
            entry.actor_id,
            entry.actor_label,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.object_label,
            entry.subject_user_id,
            entry.screen,
            entry.reason,
            entry.ip_address,
            json.dumps(entry.changes, ensure_ascii=False, sort_keys=True),
        )
    ]


def _column_titles() -> list[str]:
    fields = {field.name: field for field in AuditEntry._meta.concrete_fields}
    return [str(fields[name].verbose_name) for name in CSV_COLUMNS]


def _csv_rows(entries: Any) -> Iterator[list[Any]]:
    yield _column_titles()
    for entry in entries.iterator(chunk_size=2000):
        yield _csv_row(entry)


@staff_required(permission=SEARCH_PERMISSION)
def export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Download the filtered entries as CSV; the download is itself audited (出力)."""
    form = AuditSearchForm(request.GET)
    if not form.is_valid():
        return _render_search(request, form, status=400)
    entries = queries.search_entries(**form.filters())
    row_count = entries.count()
    exported = services.record_export(
        by=request.user,
        object_type=AuditEntry._meta.label_lower,
        filters=form.filters_for_log(),
        row_count=row_count,
        request=request,
    )
    # The file holds what existed when the export was asked for, not the export's own entry.
    entries = entries.filter(pk__lt=exported.pk)
    filename = f"audit-log-{timezone.localtime():%Y%m%d-%H%M%S}.csv"
    return csv_response(_csv_rows(entries), filename)
