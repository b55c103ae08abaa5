"""The auditor's search page and CSV export."""

from __future__ import annotations

import csv
import datetime
import io
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from yakuba.core.registry import registry
from yakuba.platform.accounts.models import User
from yakuba.platform.audit.models import AuditAction, AuditEntry
from yakuba.platform.audit.tests.factories import (
    AuditEntryFactory,
    AuditorFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SEARCH = reverse("audit:search")
EXPORT = reverse("audit:export")


@pytest.fixture
def auditor_client(client: Client) -> Client:
    client.force_login(AuditorFactory.create())
    return client


def at(day: str, hour: int = 12) -> datetime.datetime:
    date = datetime.date.fromisoformat(day)
    return timezone.make_aware(datetime.datetime.combine(date, datetime.time(hour)))


def entry_on(day: str, hour: int = 12, **fields: object) -> AuditEntry:
    """An entry written at a given time (occurred_at is set by the clock at insert)."""
    with mock.patch("django.utils.timezone.now", return_value=at(day, hour)):
        return AuditEntryFactory.create(**fields)


def listed_ids(response: object) -> list[int]:
    return [entry.pk for entry in response.context["page"].object_list]  # type: ignore[attr-defined]


def test_auditor_sees_entries_newest_first_with_who_what_where(auditor_client: Client) -> None:
    older = AuditEntryFactory.create(actor_label="clerk@town.example.jp", screen="/staff/x/")
    newer = AuditEntryFactory.create(action=AuditAction.READ, object_label="町民 太郎")
    response = auditor_client.get(SEARCH)
    assert response.status_code == 200
    assert listed_ids(response) == [newer.pk, older.pk]
    body = response.content.decode()
    assert "clerk@town.example.jp" in body
    assert "/staff/x/" in body
    assert "192.0.2.10" in body
    assert "町民 太郎" in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "4242"}, ["by_id"]),
        ({"actor": "KANRI"}, ["by_label"]),
        ({"action": "read"}, ["read"]),
        ({"object_type": "places"}, ["place"]),
        ({"subject": "77"}, ["subject"]),
    ],
)
def test_search_filters_entries(
    auditor_client: Client, query: dict[str, str], expected: list[str]
) -> None:
    entries = {
        "by_id": AuditEntryFactory.create(actor_id=4242),
        "by_label": AuditEntryFactory.create(actor_label="kanri@town.example.jp"),
        "read": AuditEntryFactory.create(action=AuditAction.READ),
        "place": AuditEntryFactory.create(object_type="places.place"),
        "subject": AuditEntryFactory.create(subject_user_id=77),
    }
    response = auditor_client.get(SEARCH, query)
    assert listed_ids(response) == [entries[name].pk for name in expected]


def test_date_range_includes_whole_local_days(auditor_client: Client) -> None:
    entry_on("2026-04-01", hour=0)
    first = entry_on("2026-04-02", hour=0)
    last = entry_on("2026-04-03", hour=23)
    entry_on("2026-04-04", hour=0)
    response = auditor_client.get(SEARCH, {"date_from": "2026-04-02", "date_to": "2026-04-03"})
    assert listed_ids(response) == [last.pk, first.pk]


def test_bad_date_shows_a_clear_message_instead_of_failing(auditor_client: Client) -> None:
    response = auditor_client.get(SEARCH, {"date_from": "2026-13-45"})
    assert response.status_code == 400
    assert "日付は 2026-04-01 のように年-月-日で入力してください。" in response.content.decode()
    assert response.context["page"] is None


def test_end_date_before_start_date_shows_a_message(auditor_client: Client) -> None:
    response = auditor_client.get(SEARCH, {"date_from": "2026-04-03", "date_to": "2026-04-01"})
    assert response.status_code == 400
    assert "終わりの日付は始まりの日付以降にしてください。" in response.content.decode()


def test_results_are_paginated(auditor_client: Client) -> None:
    AuditEntryFactory.create_batch(51)
    first = auditor_client.get(SEARCH)
    second = auditor_client.get(SEARCH, {"page": "2"})
    assert len(listed_ids(first)) == 50
    assert len(listed_ids(second)) == 1


def test_csv_export_contains_the_filtered_entries_and_is_itself_audited(client: Client) -> None:
    auditor = AuditorFactory.create()
    client.force_login(auditor)
    AuditEntryFactory.create(action=AuditAction.READ, object_label="町民 花子")
    AuditEntryFactory.create(action=AuditAction.UPDATE, object_label="更新された記録")
    response = client.get(EXPORT, {"action": "read"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "日時"
    assert [row[6] for row in rows[1:]] == ["町民 花子"]
    export = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert export.actor_id == auditor.pk
    assert export.object_type == "audit.auditentry"
    assert export.changes == {"filters": {"action": "read"}, "row_count": 1}


def test_csv_export_neutralises_spreadsheet_formulas(auditor_client: Client) -> None:
    AuditEntryFactory.create(object_label='=HYPERLINK("http://evil.example")')
    response = auditor_client.get(EXPORT)
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][6].startswith("'=")


def test_csv_export_with_a_bad_date_shows_the_message(auditor_client: Client) -> None:
    response = auditor_client.get(EXPORT, {"date_to": "yesterday"})
    assert response.status_code == 400
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


@pytest.mark.parametrize("url", [SEARCH, EXPORT])
def test_staff_without_the_audit_permission_are_refused(client: Client, url: str) -> None:
    client.force_login(StaffFactory.create())
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", [SEARCH, EXPORT])
def test_residents_are_refused(client: Client, url: str) -> None:
    client.force_login(UserFactory.create())
    assert client.get(url).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(SEARCH)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_page_offers_no_way_to_change_or_delete_entries(auditor_client: Client) -> None:
    AuditEntryFactory.create()
    body = auditor_client.get(SEARCH).content.decode()
    assert 'method="post"' not in body.split('<main id="main"')[1]


def test_the_staff_menu_shows_the_audit_log_only_to_auditors() -> None:
    auditor: User = AuditorFactory.create()
    clerk: User = StaffFactory.create()
    auditor = User.objects.get(pk=auditor.pk)
    assert "audit:search" in [m.url_name for m in registry.staff_menu(auditor)]
    assert "audit:search" not in [m.url_name for m in registry.staff_menu(clerk)]


def test_searching_reads_the_log_without_writing_to_it(auditor_client: Client) -> None:
    AuditEntryFactory.create()
    auditor_client.get(SEARCH, {"action": "update"})
    assert AuditEntry.objects.count() == 1


def test_the_page_is_in_english_for_english_readers(auditor_client: Client) -> None:
    response = auditor_client.get(SEARCH, {"date_from": "nope"}, HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert "<h1>Audit log</h1>" in body
    assert "Enter the date as year-month-day, for example 2026-04-01." in body
