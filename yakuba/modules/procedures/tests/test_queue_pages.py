"""The queue's pages (申請の一覧) read from the nearer end: every page holds the same rows, in the
same order, as reading from the start would give — ties in the filing time and page sizes that do
not divide the count included — and no page is read past the middle. The export's number of
queries does not grow with its rows."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from yakuba.modules.procedures import backoffice_queries, engine
from yakuba.modules.procedures.models import ApplicantKind, Procedure, Status, Submission
from yakuba.modules.procedures.tests.resident_helpers import (
    VALID_ANSWERS,
    make_procedure,
    make_resident,
)
from yakuba.platform.accounts.models import StaffMember, User
from yakuba.platform.accounts.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

QueueFilters = backoffice_queries.QueueFilters
# Minutes before now at which each submission was filed: several filed at the same moment.
FILED = [50, 50, 40, 40, 40, 30, 20, 20, 10, 10, 10]
# 受付・審査中 stay open; 完了 leaves the default (open) view.
STATUSES = [Status.RECEIVED, Status.COMPLETED, Status.REVIEWING]


@pytest.fixture
def procedure() -> Procedure:
    return make_procedure()


@pytest.fixture
def clerk(procedure: Procedure) -> User:
    user = StaffFactory.create(
        permissions=["procedures.view_submission", "procedures.change_submission"]
    )
    StaffMember.objects.filter(user=user).update(department=procedure.department)
    return User.objects.get(pk=user.pk)


def file_submissions(procedure: Procedure, minutes_ago: list[int]) -> list[Submission]:
    """Submissions filed that many minutes ago, statuses in turn from STATUSES."""
    applicant = make_resident(f"resident{User.objects.count()}@example.jp")
    now = timezone.now()
    return Submission.objects.bulk_create(
        Submission(
            receipt_number=f"2026-{index + 1:06d}",
            procedure=procedure,
            form_version=procedure.current_version(),
            applicant=applicant,
            applicant_kind=ApplicantKind.SELF,
            applicant_name="亘理 花子",
            subject_name="亘理 花子",
            answers=VALID_ANSWERS,
            digest=engine.digest(VALID_ANSWERS),
            department=procedure.department,
            status=STATUSES[index % len(STATUSES)],
            source=Submission.Source.WEB,
            submitted_at=now - timedelta(minutes=minutes),
        )
        for index, minutes in enumerate(minutes_ago)
    )


@pytest.mark.parametrize("status", ["", backoffice_queries.OPEN])
def test_every_page_holds_the_rows_read_from_the_start_would_give(
    procedure: Procedure, clerk: User, status: str
) -> None:
    file_submissions(procedure, FILED)
    ordered = backoffice_queries.queue(clerk, QueueFilters(status=status, viewer_id=clerk.pk))
    every_row = sorted(ordered, key=lambda s: (s.submitted_at, s.pk))
    assert every_row == list(ordered)
    for per_page in (1, 2, 3, 4, 5, 7, 10, 11, 12):
        for orphans in (0, 2):
            from_start = Paginator(every_row, per_page, orphans=orphans)
            nearer_end = backoffice_queries.QueuePaginator(ordered, per_page, orphans=orphans)
            assert nearer_end.num_pages == from_start.num_pages
            for number in from_start.page_range:
                assert list(nearer_end.page(number)) == list(from_start.page(number)), (
                    f"page {number} of {per_page} (orphans {orphans})"
                )


def test_no_page_is_read_past_the_middle(procedure: Procedure, clerk: User) -> None:
    file_submissions(procedure, FILED)
    ordered = backoffice_queries.queue(clerk, QueueFilters(status="", viewer_id=clerk.pk))
    paginator = backoffice_queries.QueuePaginator(ordered, 3)
    total = paginator.count
    for number in paginator.page_range:
        with CaptureQueriesContext(connection) as queries:
            list(paginator.page(number))
        (select,) = [query["sql"] for query in queries if "LIMIT" in query["sql"]]
        offset = re.search(r"OFFSET (\d+)", select)
        skipped = int(offset.group(1)) if offset else 0
        assert skipped <= total // 2, f"page {number}: {select}"


def test_the_last_page_is_read_in_reverse_from_the_end(procedure: Procedure, clerk: User) -> None:
    file_submissions(procedure, FILED)
    ordered = backoffice_queries.queue(clerk, QueueFilters(status="", viewer_id=clerk.pk))
    paginator = backoffice_queries.QueuePaginator(ordered, 4)
    with CaptureQueriesContext(connection) as queries:
        rows = list(paginator.page(paginator.num_pages))
    (select,) = [query["sql"] for query in queries if "LIMIT" in query["sql"]]
    assert "DESC" in select and "OFFSET" not in select
    assert rows == list(ordered)[-3:]


def test_an_empty_queue_has_one_empty_page(procedure: Procedure, clerk: User) -> None:
    ordered = backoffice_queries.queue(clerk, QueueFilters(viewer_id=clerk.pk))
    assert list(backoffice_queries.QueuePaginator(ordered, 20).page(1)) == []


@pytest.mark.parametrize("order", [("submitted_at",), ("submitted_at", "receipt_number"), ()])
def test_an_order_without_pk_last_is_refused(
    procedure: Procedure, clerk: User, order: tuple[str, ...]
) -> None:
    """With ties and no unique last key, the two directions could break them differently."""
    file_submissions(procedure, FILED)
    ordered = Submission.objects.order_by(*order)
    with pytest.raises(ValueError):
        backoffice_queries.page_rows(ordered, 9, 11, 11)


def test_the_queue_pages_list_the_newest_submissions_last(
    procedure: Procedure, clerk: User, settings: Any
) -> None:
    settings.STAFF_REQUIRE_MFA = False
    submissions = file_submissions(procedure, list(range(45, 0, -1)))
    client = Client()
    client.force_login(clerk)
    url = reverse("procedures:staff_queue")
    shown = [
        list(client.get(url, {"status": "", "page": str(number)}).context["page"])
        for number in (1, 2, 3)
    ]
    assert shown == [submissions[:20], submissions[20:40], submissions[40:]]


# --- export -----------------------------------------------------------------------------------------


def export_queries(client: Client, procedure: Procedure, kind: str) -> int:
    today = timezone.localdate().isoformat()
    query = {"procedure": procedure.code, "date_from": today, "date_to": today, "format": kind}
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("procedures:staff_export"), query)
        assert response.status_code == 200
        if kind == "csv":
            b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return len(queries)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_export_takes_the_same_number_of_queries_for_more_rows(
    procedure: Procedure, clerk: User, settings: Any, kind: str
) -> None:
    settings.STAFF_REQUIRE_MFA = False
    client = Client()
    client.force_login(clerk)
    file_submissions(procedure, [1] * 5)
    export_queries(client, procedure, kind)  # the session and the first look-ups
    few = export_queries(client, procedure, kind)
    Submission.objects.all().delete()
    file_submissions(procedure, [1] * 50)
    assert export_queries(client, procedure, kind) == few
