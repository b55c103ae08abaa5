"""Reads for the back office (申請の処理): the department's queue with its filters and counts, a
submission with its history for staff, who may be assigned, and the rows of a procedure's export.

A staff member only ever reads their own department's submissions (a superuser reads all): every
read here starts from `visible_to(user)`. Filters are on indexed columns (Submission's indexes:
department + status + submitted_at, procedure + status + submitted_at, assignee + status), and the
number of queries for a page of the queue does not grow with its rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yakuba.modules.procedures import services
from yakuba.modules.procedures.models import (
    CLOSED_STATUSES,
    Event,
    FormVersion,
    Procedure,
    Status,
    Submission,
)
from yakuba.modules.procedures.pdf import answer_text
from yakuba.platform.accounts.models import StaffMember, User

PAGE_SIZE = 20
OPEN = "open"
ASSIGNEE_ME = "me"
ASSIGNEE_NONE = "none"
OPEN_STATUSES = tuple(status for status in Status if status not in CLOSED_STATUSES)
# 受付番号 as `next_receipt_number` gives them ("2026-000123"); a search that looks like one is
# matched on the unique column, anything else on the names.
RECEIPT_NUMBER = re.compile(r"^\d{4}-\d{1,6}$")


def staff_department_id(user: Any) -> int | None:
    """The staff member's department (所属課), or None for staff without one."""
    return (
        StaffMember.objects.filter(user_id=user.pk).values_list("department_id", flat=True).first()
    )


def visible_to(user: Any) -> QuerySet[Submission]:
    """The submissions `user` may see: their department's; every one for a superuser."""
    if user.is_superuser:
        return Submission.objects.all()
    department_id = staff_department_id(user)
    if department_id is None:
        return Submission.objects.none()
    return Submission.objects.filter(department_id=department_id)


def procedures_of(user: Any) -> QuerySet[Procedure]:
    """The procedures whose submissions `user` handles, for the filters and the export."""
    procedures = Procedure.objects.order_by("order", "code")
    if user.is_superuser:
        return procedures
    department_id = staff_department_id(user)
    if department_id is None:
        return procedures.none()
    return procedures.filter(department_id=department_id)


@dataclass(frozen=True)
class QueueFilters:
    """What the queue shows: `status` is "open" (受付・審査中・補正依頼), "" (all) or a status;
    `assignee` is "", "me" or "none"; `search` a receipt number or part of a name."""

    procedure: Procedure | None = None
    status: str = OPEN
    older_than_days: int | None = None
    assignee: str = ""
    search: str = ""
    viewer_id: int | None = None


def _filtered(
    user: Any, filters: QueueFilters, *, now: datetime | None = None
) -> QuerySet[Submission]:
    """Every filter but the status one: the counts per status are taken over this."""
    submissions = visible_to(user)
    if filters.procedure is not None:
        submissions = submissions.filter(procedure_id=filters.procedure.pk)
    if filters.older_than_days is not None:
        now = now or timezone.now()
        submissions = submissions.filter(
            submitted_at__lte=now - timedelta(days=filters.older_than_days)
        )
    if filters.assignee == ASSIGNEE_ME:
        submissions = submissions.filter(assignee_id=filters.viewer_id)
    elif filters.assignee == ASSIGNEE_NONE:
        submissions = submissions.filter(assignee__isnull=True)
    search = filters.search.strip()
    if RECEIPT_NUMBER.match(search):
        year, number = search.split("-")
        submissions = submissions.filter(receipt_number=f"{year}-{int(number):06d}")
    elif search:
        words = search.split()
        for word in words:
            submissions = submissions.filter(
                Q(applicant_name__icontains=word) | Q(subject_name__icontains=word)
            )
    return submissions


def _with_status(submissions: QuerySet[Submission], status: str) -> QuerySet[Submission]:
    if status == OPEN:
        return submissions.filter(status__in=OPEN_STATUSES)
    if status:
        return submissions.filter(status=status)
    return submissions


def queue(user: Any, filters: QueueFilters, *, now: datetime | None = None) -> QuerySet[Submission]:
    """The queue (申請の一覧): oldest first, so what has waited longest is dealt with first.

    By date only, even when every status is shown: an order that put the open ones first could
    not use an index and would sort the department's whole history for each page. The first
    visit shows the open ones (the default filter), served by the (department, status,
    submitted_at) index."""
    return (
        _with_status(_filtered(user, filters, now=now), filters.status)
        .select_related("procedure", "assignee__staff_member")
        .order_by("submitted_at", "pk")
    )


def page_rows(ordered: QuerySet[Submission], start: int, stop: int, total: int) -> list[Submission]:
    """Rows `start` to `stop` (excluded) of `ordered`, a query of `total` rows, read from the
    nearer end. OFFSET makes the database walk every row before the page: the last page of a
    department's three years (OFFSET 48,600) took 150–230 ms on PostgreSQL. A page in the second
    half is found in the reverse order, with the smaller offset from the end, so no page walks
    past the middle; and the walk reads keys only (the page's pks first, then its rows with their
    joins, in order): a third of the cost of walking whole joined rows on PostgreSQL
    (bench/procedures_queue.py). Only a total order (ending in the unique pk) finds the same rows
    both ways: with ties and no tie-breaker, the database may break them differently each way."""
    last_key = ordered.query.order_by[-1] if ordered.query.order_by else ""
    if not isinstance(last_key, str) or last_key.lstrip("-") not in ("pk", "id"):
        raise ValueError("page_rows needs an order that ends in pk")
    keys = ordered.values_list("pk", flat=True)
    from_end = total - stop
    page = keys[start:stop] if start <= from_end else keys.reverse()[from_end : total - start]
    return list(ordered.filter(pk__in=list(page)))


class QueuePaginator(Paginator):
    """Django's paginator for the queue, each page read from the nearer end (`page_rows`)."""

    object_list: QuerySet[Submission]

    def page(self, number: int | str) -> Page:
        number = self.validate_number(number)
        start = (number - 1) * self.per_page
        stop = start + self.per_page
        if stop + self.orphans >= self.count:  # the last page takes the orphans, as in Django
            stop = self.count
        return Page(page_rows(self.object_list, start, stop, self.count), number, self)


@dataclass(frozen=True)
class StatusCount:
    code: str
    label: str
    count: int


def status_counts(
    user: Any, filters: QueueFilters, *, now: datetime | None = None
) -> list[StatusCount]:
    """How many submissions of each open status match the other filters (one query). Closed
    ones are left out: counting a department's whole history on every queue page cost 36–45 ms
    at 100,000 submissions (bench/procedures_queue.py); a closed status's number shows when it is
    the filter, as the list's own count."""
    rows = dict(
        _filtered(user, filters, now=now)
        .filter(status__in=OPEN_STATUSES)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return [
        StatusCount(status.value, str(status.label), rows.get(status, 0))
        for status in OPEN_STATUSES
    ]


def submission_for_staff(user: Any, pk: int) -> Submission:
    """A submission `user` may see (Submission.DoesNotExist otherwise: another department's is
    answered like one that does not exist)."""
    return (
        visible_to(user)
        .select_related("procedure", "form_version", "department", "assignee__staff_member")
        .prefetch_related("amendments")
        .get(pk=pk)
    )


def history(submission: Submission) -> list[Event]:
    """Every step, internal notes included, oldest first."""
    return list(submission.events.select_related("author__staff_member", "amendment"))


def assignable_staff(submission: Submission) -> QuerySet[User]:
    """Who may be made responsible: active staff of the submission's department."""
    return (
        User.objects.filter(
            is_active=True, is_staff=True, staff_member__department_id=submission.department_id
        )
        .select_related("staff_member")
        .order_by("staff_member__display_name", "pk")
    )


def staff_name(user: User | None) -> str:
    if user is None:
        return ""
    member = getattr(user, "staff_member", None)
    return member.display_name if member is not None else user.email


# --- at the counter (窓口受付) ------------------------------------------------------------------------


def counter_procedures(user: Any) -> QuerySet[Procedure]:
    """The procedures a clerk may file at the counter: their department's, published with a form
    (what residents can file online, so that the form is the same)."""
    return (
        procedures_of(user)
        .filter(is_published=True, versions__published_at__isnull=False)
        .distinct()
    )


def counter_clerk_name(submission: Submission) -> str:
    """Who took a counter filing (受付者): the author of its 受付 step; "" for other sources."""
    if submission.source != Submission.Source.COUNTER:
        return ""
    event = (
        submission.events.filter(kind=Event.Kind.STATUS, status=Status.RECEIVED)
        .select_related("author__staff_member")
        .order_by("created_at", "pk")
        .first()
    )
    return (staff_name(event.author) if event else "") or _("不明")


# --- マイナポータル packages -------------------------------------------------------------------------


def imported_from_mynaportal(user: Any, numbers: list[str]) -> dict[str, Submission]:
    """The submissions imported before under these 申請番号 that `user` may open, by number."""
    submissions = visible_to(user).filter(
        source=Submission.Source.MYNAPORTAL, external_reference__in=numbers
    )
    return {s.external_reference: s for s in submissions.select_related("procedure")}


# --- export ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of the export: a title, and where its value comes from in the answers
    (`section`, `key`, and for a group's field the row and the child key)."""

    title: str
    section: str
    key: str
    spec: dict[str, Any]
    row: int | None = None
    child: str = ""


def _label(spec: dict[str, Any]) -> str:
    labels = spec.get("label") or {}
    return str(labels.get("ja") or spec.get("key", "")) if isinstance(labels, dict) else str(labels)


def _answer_columns(
    definitions: list[dict[str, Any]], rows_per_group: dict[tuple[str, str], int]
) -> list[Column]:
    """One column per field of the forms used (newest version first, then fields only older
    versions had), a group's fields repeated for each row: 「子ども1_氏名」, 「子ども2_氏名」…"""
    columns: list[Column] = []
    seen: set[tuple[str, str]] = set()
    for definition in definitions:
        for section in definition.get("sections", []):
            for spec in section.get("fields", []):
                where = (section["key"], spec["key"])
                if where in seen:
                    continue
                seen.add(where)
                if spec.get("type") != "group":
                    columns.append(Column(_label(spec), section["key"], spec["key"], spec))
                    continue
                for row in range(rows_per_group.get(where, 0)):
                    columns.extend(
                        Column(
                            f"{_label(spec)}{row + 1}_{_label(child)}",
                            section["key"],
                            spec["key"],
                            child,
                            row=row,
                            child=child["key"],
                        )
                        for child in spec.get("fields", [])
                    )
    return columns


def _cell(column: Column, answers: dict[str, Any]) -> str:
    value = (answers.get(column.section) or {}).get(column.key)
    if column.row is not None:
        rows = value if isinstance(value, list) else []
        row = rows[column.row] if column.row < len(rows) else {}
        value = row.get(column.child) if isinstance(row, dict) else None
    return answer_text(column.spec, value, "ja")


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def export_submissions(
    user: Any, procedure: Procedure, date_from: date, date_to: date
) -> list[Submission]:
    """A procedure's submissions filed from `date_from` to `date_to` (both included, in the
    town's time zone) that `user` may see, oldest first."""
    start = timezone.make_aware(datetime.combine(date_from, datetime.min.time()))
    end = timezone.make_aware(datetime.combine(date_to + timedelta(days=1), datetime.min.time()))
    return list(
        visible_to(user)
        .filter(procedure_id=procedure.pk, submitted_at__gte=start, submitted_at__lt=end)
        .select_related("procedure")
        .prefetch_related("amendments")
        .order_by("submitted_at", "pk")
    )


def export_rows(submissions: list[Submission]) -> list[list[Any]]:
    """The export for the department's own system (基幹系システム): a title row, then one row
    per submission — receipt number, dates, status, applicant, subject, fee — and one column per
    form field, with the answers as they stand now (amendments applied), as the paper form writes
    them (和暦 dates, option labels). Always in Japanese: the system it feeds reads fixed titles."""
    with translation.override("ja"):
        return list(_export_rows(submissions))


def _export_rows(submissions: list[Submission]) -> Iterator[list[Any]]:
    answers = {s.pk: services.current_answers(s) for s in submissions}
    version_ids = {s.form_version_id for s in submissions}
    versions = FormVersion.objects.filter(pk__in=version_ids).order_by("-number")
    definitions = [version.definition for version in versions]
    rows_per_group: dict[tuple[str, str], int] = {}
    for definition in definitions:
        for section in definition.get("sections", []):
            for spec in section.get("fields", []):
                if spec.get("type") != "group":
                    continue
                where = (section["key"], spec["key"])
                longest = max(
                    (
                        len(value)
                        for a in answers.values()
                        if isinstance(value := (a.get(where[0]) or {}).get(where[1]), list)
                    ),
                    default=0,
                )
                rows_per_group[where] = max(rows_per_group.get(where, 0), longest)
    columns = _answer_columns(definitions, rows_per_group)
    yield [
        _("受付番号"),
        _("申請日時"),
        _("更新日時"),
        _("完了日時"),
        _("状態"),
        _("申請者の区分"),
        _("申請者の氏名"),
        _("対象者の氏名"),
        _("手数料（円）"),
        _("支払い"),
        _("様式の版"),
        *(column.title for column in columns),
    ]
    numbers = {version.pk: version.number for version in versions}
    for submission in submissions:
        yield [
            submission.receipt_number,
            _local(submission.submitted_at),
            _local(submission.updated_at),
            _local(submission.closed_at),
            submission.get_status_display(),
            submission.get_applicant_kind_display(),
            submission.applicant_name,
            submission.subject_name,
            submission.fee_amount if submission.fee_amount is not None else "",
            submission.get_payment_display(),
            numbers.get(submission.form_version_id, ""),
            *(_cell(column, answers[submission.pk]) for column in columns),
        ]
