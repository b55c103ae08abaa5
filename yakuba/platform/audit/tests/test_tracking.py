"""Staff writes are logged through model signals; other writes are not."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.forms.models import model_to_dict
from django.test import Client
from django.utils import timezone
from django_tasks import task

from yakuba.core.models import Municipality
from yakuba.platform.accounts.models import User
from yakuba.platform.audit import tracking
from yakuba.platform.audit.models import AuditAction, AuditEntry
from yakuba.platform.audit.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def admin_form_data(instance: Municipality, **changes: Any) -> dict[str, Any]:
    data = {k: ("" if v is None else v) for k, v in model_to_dict(instance).items()}
    data.pop("logo", None)
    data.pop("is_demo", None)
    data.update(changes, _save="保存")
    return data


def test_staff_post_that_changes_a_record_writes_an_update_entry_with_field_names(
    client: Client, staff: User, town: Municipality
) -> None:
    client.force_login(staff)
    response = client.post(
        f"/admin/core/municipality/{town.pk}/change/",
        admin_form_data(town, phone="0223-34-1111"),
        REMOTE_ADDR="192.0.2.44",
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(object_type="core.municipality")
    assert entry.action == AuditAction.UPDATE
    assert entry.changed_fields == ["phone"]
    assert entry.changes["fields"]["phone"] == {"old": "", "new": "0223-34-1111"}
    assert entry.actor_id == staff.pk
    assert entry.actor_label == staff.email
    assert entry.object_id == str(town.pk)
    assert entry.ip_address == "192.0.2.44"
    assert entry.screen == f"/admin/core/municipality/{town.pk}/change/"


def test_staff_deleting_a_record_writes_a_delete_entry_with_its_last_values(
    client: Client, staff: User, town: Municipality
) -> None:
    client.force_login(staff)
    client.post(f"/admin/core/municipality/{town.pk}/delete/", {"post": "yes"})
    entry = AuditEntry.objects.get(action=AuditAction.DELETE)
    assert entry.object_type == "core.municipality"
    assert entry.changes["fields"]["name"] == {"old": "亘理町"}


def test_staff_changing_a_password_logs_that_it_changed_but_never_the_value(
    client: Client, staff: User
) -> None:
    client.force_login(staff)
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "new long pass phrase 42",
            "password2": "new long pass phrase 42",
        },
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(object_type="accounts.user", action=AuditAction.UPDATE)
    assert entry.changes["fields"] == {"password": None}
    assert entry.subject_user_id == staff.pk
    staff.refresh_from_db()
    assert staff.password not in str(entry.changes)


def test_resident_requests_write_nothing_automatically(client: Client) -> None:
    resident = UserFactory.create()
    client.force_login(resident)
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "new long pass phrase 42",
            "password2": "new long pass phrase 42",
        },
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.check_password("new long pass phrase 42")
    assert not AuditEntry.objects.exists()


def test_writes_outside_any_request_are_not_recorded(town: Municipality) -> None:
    town.phone = "0223-34-1111"
    town.save()
    town.delete()
    assert not AuditEntry.objects.exists()


def test_creating_a_record_in_a_staff_request_writes_a_create_entry(staff_request: User) -> None:
    town = Municipality.objects.create(
        name="山元町",
        code="043621",
        prefecture="宮城県",
        map_center_latitude=37.96,
        map_center_longitude=140.87,
    )
    entry = AuditEntry.objects.get()
    assert entry.action == AuditAction.CREATE
    assert entry.object_id == str(town.pk)
    assert entry.changes["fields"]["name"] == {"new": "山元町"}
    assert entry.screen == "/staff/test/"
    assert entry.ip_address == "192.0.2.1"


def test_a_save_that_changes_nothing_writes_nothing(
    town: Municipality, staff_request: User
) -> None:
    town.save()
    assert not AuditEntry.objects.exists()


def test_update_fields_limit_what_is_compared(town: Municipality, staff_request: User) -> None:
    town.name = "亘理町（変更）"
    town.phone = "0223-34-1111"
    town.save(update_fields=["phone"])
    assert AuditEntry.objects.get().changed_fields == ["phone"]


def test_sign_in_time_alone_is_not_recorded(staff_request: User) -> None:
    staff_request.last_login = timezone.now()
    staff_request.save(update_fields=["last_login"])
    assert not AuditEntry.objects.exists()


def test_changing_a_user_records_the_user_as_the_subject(staff_request: User) -> None:
    resident = UserFactory.create()
    AuditEntry.objects.filter(action=AuditAction.CREATE)  # the create is recorded too
    resident.is_active = False
    resident.save()
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE)
    assert entry.subject_user_id == resident.pk
    assert entry.changes["fields"]["is_active"] == {"old": True, "new": False}


def test_a_declared_sensitive_field_keeps_its_value_out_of_the_log(
    town: Municipality, staff_request: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(tracking.SENSITIVE_FIELDS, "core.municipality", set())
    tracking.declare_sensitive_fields("core.Municipality", "phone")
    town.phone = "0223-34-1111"
    town.save()
    assert AuditEntry.objects.get().changes["fields"] == {"phone": None}


@pytest.mark.parametrize(
    ("field_name", "is_sensitive"),
    [
        ("password", True),
        ("client_secret", True),
        ("token", True),
        ("api_key", True),
        ("key", True),
        ("keyword", False),
        ("monkey", False),
        ("name", False),
    ],
)
def test_fields_named_like_secrets_are_sensitive(field_name: str, is_sensitive: bool) -> None:
    assert tracking.is_sensitive(Municipality, field_name) is is_sensitive


def test_giving_a_staff_member_a_group_is_recorded(staff_request: User) -> None:
    clerk = UserFactory.create(is_staff=True)
    group = Group.objects.create(name="町民生活課")
    AuditEntry_count = AuditEntry.objects.count()
    clerk.groups.add(group)
    assert AuditEntry.objects.count() == AuditEntry_count + 1
    entry = AuditEntry.objects.filter(object_type="accounts.user").first()
    assert entry is not None
    assert entry.changes["fields"] == {"groups": {"added": [str(group.pk)]}}
    assert entry.subject_user_id == clerk.pk


def test_clearing_a_staff_members_groups_is_recorded(staff_request: User) -> None:
    group = Group.objects.create(name="町民生活課")
    clerk = UserFactory.create(is_staff=True)
    clerk.groups.add(group)
    clerk.groups.clear()
    entry = AuditEntry.objects.filter(object_type="accounts.user").first()
    assert entry is not None
    assert entry.changes["fields"] == {"groups": {"removed": [str(group.pk)]}}


def test_sessions_and_the_audit_log_itself_are_not_recorded(staff_request: User) -> None:
    Session.objects.create(session_key="k" * 32, session_data="", expire_date=timezone.now())
    assert not AuditEntry.objects.exists()


@task()
def nothing_to_do() -> None:
    """A background job for the test below."""


def test_queueing_a_background_job_in_a_staff_request_is_not_recorded(staff_request: User) -> None:
    nothing_to_do.enqueue()
    assert not AuditEntry.objects.exists()


def test_long_values_are_cut_to_keep_entries_readable(
    town: Municipality, staff_request: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tracking, "MAX_VALUE_LENGTH", 50)
    town.address = "亘" * 120
    town.save()
    new = AuditEntry.objects.get().changes["fields"]["address"]["new"]
    assert new == "亘" * 50 + "…"
