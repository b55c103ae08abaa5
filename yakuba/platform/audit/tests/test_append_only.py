"""The audit log can be added to, never changed or emptied: by the model, the ORM and the database."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, models, transaction
from django.test import Client

from yakuba.platform.audit.models import AuditEntry, AuditLogIsAppendOnly
from yakuba.platform.audit.tests.factories import AuditEntryFactory

pytestmark = pytest.mark.django_db


def test_saving_an_existing_entry_again_is_refused() -> None:
    entry = AuditEntryFactory.create()
    entry.reason = "書き換え"
    with pytest.raises(AuditLogIsAppendOnly):
        entry.save()


def test_deleting_an_entry_is_refused() -> None:
    entry = AuditEntryFactory.create()
    with pytest.raises(AuditLogIsAppendOnly):
        entry.delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_queryset_update_is_refused() -> None:
    AuditEntryFactory.create()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.all().update(reason="書き換え")


def test_queryset_delete_is_refused() -> None:
    AuditEntryFactory.create()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == 1


def test_bulk_update_is_refused() -> None:
    entry = AuditEntryFactory.create()
    entry.reason = "書き換え"
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.bulk_update([entry], ["reason"])


def test_database_refuses_an_orm_update_that_goes_around_the_model() -> None:
    entry = AuditEntryFactory.create(reason="元の理由")
    plain: models.QuerySet[AuditEntry] = models.QuerySet(model=AuditEntry)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        plain.filter(pk=entry.pk).update(reason="書き換え")
    entry.refresh_from_db()
    assert entry.reason == "元の理由"


def test_database_refuses_an_orm_delete_that_goes_around_the_model() -> None:
    entry = AuditEntryFactory.create()
    plain: models.QuerySet[AuditEntry] = models.QuerySet(model=AuditEntry)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        plain.filter(pk=entry.pk)._raw_delete(connection.alias)
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_database_refuses_a_raw_sql_update() -> None:
    entry = AuditEntryFactory.create(actor_label="original@town.example.jp")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditentry SET actor_label = 'forged@example.jp'")
    entry.refresh_from_db()
    assert entry.actor_label == "original@town.example.jp"


def test_database_refuses_a_raw_sql_delete() -> None:
    AuditEntryFactory.create()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditentry")
    assert AuditEntry.objects.count() == 1


def test_new_entries_can_still_be_added() -> None:
    AuditEntryFactory.create()
    AuditEntryFactory.create()
    assert AuditEntry.objects.count() == 2


@pytest.mark.parametrize("page", ["add/", "{pk}/change/", "{pk}/delete/"])
def test_admin_cannot_add_change_or_delete_entries(client: Client, page: str) -> None:
    from yakuba.platform.audit.tests.factories import UserFactory

    admin = UserFactory.create(is_staff=True, is_superuser=True)
    entry = AuditEntryFactory.create()
    client.force_login(admin)
    url = "/admin/audit/auditentry/" + page.format(pk=entry.pk)
    response = client.post(url, {"reason": "書き換え", "post": "yes"})
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.reason == ""


def test_admin_can_view_an_entry(client: Client) -> None:
    from yakuba.platform.audit.tests.factories import UserFactory

    admin = UserFactory.create(is_staff=True, is_superuser=True)
    entry = AuditEntryFactory.create()
    client.force_login(admin)
    response = client.get(f"/admin/audit/auditentry/{entry.pk}/change/")
    assert response.status_code == 200
    assert b'name="_save"' not in response.content


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_log_and_leaves_it_append_only() -> None:
    AuditEntryFactory.create()
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEntry.objects.count() == 0
    entry = AuditEntryFactory.create()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        models.QuerySet(model=AuditEntry).filter(pk=entry.pk).update(reason="書き換え")
