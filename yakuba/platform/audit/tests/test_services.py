from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from yakuba.core.models import Municipality
from yakuba.platform.accounts.models import User
from yakuba.platform.audit import services
from yakuba.platform.audit.models import AuditAction, AuditEntry
from yakuba.platform.audit.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_record_read_writes_a_read_entry_about_the_resident(staff: User) -> None:
    resident = UserFactory.create()
    request = RequestFactory().get("/staff/residents/1/", REMOTE_ADDR="192.0.2.7")
    entry = services.record_read(
        by=staff, obj=resident, subject_user_id=resident.pk, reason="転入届の確認", request=request
    )
    assert entry.action == AuditAction.READ
    assert entry.actor_id == staff.pk
    assert entry.object_type == "accounts.user"
    assert entry.object_id == str(resident.pk)
    assert entry.subject_user_id == resident.pk
    assert entry.reason == "転入届の確認"
    assert entry.ip_address == "192.0.2.7"
    assert entry.screen == "/staff/residents/1/"


def test_record_read_takes_screen_and_address_from_the_staff_request(
    staff_request: User, town: Municipality
) -> None:
    entry = services.record_read(by=staff_request, obj=town, subject_user_id=None)
    assert entry.screen == "/staff/test/"
    assert entry.ip_address == "192.0.2.1"


def test_record_reads_writes_one_read_entry_per_record_in_one_insert(staff: User) -> None:
    residents = UserFactory.create_batch(3)
    request = RequestFactory().get("/staff/export/", REMOTE_ADDR="192.0.2.9")
    with CaptureQueriesContext(connection) as queries:
        written = services.record_reads(
            by=staff, opened=[(r, r.pk) for r in residents], reason="export", request=request
        )
    assert written == 3 and len(queries) == 1
    entries = AuditEntry.objects.filter(action=AuditAction.READ).order_by("pk")
    assert [(e.object_id, e.subject_user_id) for e in entries] == [
        (str(r.pk), r.pk) for r in residents
    ]
    assert {(e.actor_id, e.reason, e.ip_address, e.screen) for e in entries} == {
        (staff.pk, "export", "192.0.2.9", "/staff/export/")
    }


def test_an_act_without_a_signed_in_user_is_recorded_as_the_system(town: Municipality) -> None:
    entry = services.record(AuditAction.UPDATE, by=None, obj=town)
    assert entry.actor_id is None
    assert entry.actor_label == "system"


def test_record_export_keeps_the_filters_and_row_count(staff: User) -> None:
    entry = services.record_export(
        by=staff, object_type="audit.auditentry", filters={"action": "read"}, row_count=3
    )
    assert entry.action == AuditAction.EXPORT
    assert entry.changes == {"filters": {"action": "read"}, "row_count": 3}
    assert AuditEntry.objects.count() == 1
