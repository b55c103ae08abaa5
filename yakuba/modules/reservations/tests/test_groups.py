"""Group registration (団体登録): the representative registers and edits a group and its
members, staff approve, refuse or suspend it with a reason, and only an approved group books."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from yakuba.modules.reservations import calendar, groups, services
from yakuba.modules.reservations.groups import GroupDetails
from yakuba.modules.reservations.models import Group
from yakuba.modules.reservations.tests.factories import request_for, room
from yakuba.platform.accounts.models import StaffMember, User
from yakuba.platform.accounts.tests.factories import (
    DepartmentFactory,
    DistrictFactory,
    ResidentProfileFactory,
    StaffFactory,
    UserFactory,
)
from yakuba.platform.audit.models import AuditAction, AuditEntry
from yakuba.platform.notify.models import Message

pytestmark = pytest.mark.django_db

NOW = calendar.at(dt.date(2027, 1, 5), dt.time(10, 0))
TUESDAY = dt.date(2027, 2, 2)
DETAILS = GroupDetails(
    name="亘理やまびこ会",
    name_kana="ワタリヤマビコカイ",
    activity="毎週土曜日のバドミントン",
    member_count=12,
    in_town=True,
)


def details(**changes: Any) -> GroupDetails:
    values = {**DETAILS.__dict__, **changes}
    return GroupDetails(**values)


@pytest.fixture
def resident() -> User:
    user: User = ResidentProfileFactory.create(
        district=DistrictFactory.create(), family_name="亘理", given_name="花子"
    ).user
    return user


@pytest.fixture
def clerk() -> User:
    """Staff of the department that runs the community centre (the factories' department)."""
    room()
    user: User = StaffFactory.create(permissions=["reservations.change_booking"])
    return user


def staff_without_facilities() -> User:
    user: User = StaffFactory.create(permissions=["reservations.change_booking"])
    StaffMember.objects.filter(user=user).update(
        department=DepartmentFactory.create(code="zeimu", name="税務課")
    )
    return user


def registered(representative: User, **changes: Any) -> Group:
    return groups.register_group(details(**changes), by=representative)


def approved(representative: User, clerk: User, **changes: Any) -> Group:
    group = registered(representative, **changes)
    return groups.decide(group, status=Group.Status.APPROVED, reason="", by=clerk)


# --- registering and editing ----------------------------------------------------------------------


def test_a_resident_registers_a_group_that_waits_for_review(resident: User) -> None:
    group = registered(resident)
    assert group.status == Group.Status.PENDING
    assert group.representative == resident
    assert group.name_kana == "わたりやまびこかい"  # one script, so the list sorts by reading


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"name": "  "}, "name"),
        ({"name": "あ" * 101}, "name"),
        ({"name_kana": "Watari"}, "name_kana"),
        ({"name_kana": ""}, "name_kana"),
        ({"activity": ""}, "activity"),
        ({"member_count": 0}, "member_count"),
        ({"member_count": 10_001}, "member_count"),
    ],
)
def test_a_group_with_missing_or_wrong_details_is_refused(
    resident: User, changes: dict[str, Any], code: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        registered(resident, **changes)
    assert code in {error.code for error in refused.value.error_list}
    assert not Group.objects.exists()


def test_a_name_already_registered_is_refused_unless_that_group_was_refused(
    resident: User, clerk: User
) -> None:
    first = registered(resident)
    with pytest.raises(ValidationError, match="同じ名前の団体"):
        registered(UserFactory.create())
    groups.decide(first, status=Group.Status.REFUSED, reason="活動の実態が確認できません", by=clerk)
    assert registered(UserFactory.create()).status == Group.Status.PENDING


def test_only_the_representative_edits_the_group(resident: User) -> None:
    group = registered(resident)
    member = UserFactory.create()
    groups.add_member(group, email=member.email, by=resident)
    with pytest.raises(PermissionDenied):
        groups.update_group(group, details(activity="卓球"), by=member)


def test_an_approved_group_stays_approved_when_its_activity_changes(
    resident: User, clerk: User
) -> None:
    group = approved(resident, clerk)
    updated = groups.update_group(group, details(activity="卓球", member_count=20), by=resident)
    assert (updated.status, updated.activity, updated.member_count) == (
        Group.Status.APPROVED,
        "卓球",
        20,
    )


@pytest.mark.parametrize("changes", [{"name": "亘理こだま会"}, {"in_town": False}])
def test_a_new_name_or_rate_sends_an_approved_group_back_to_review(
    resident: User, clerk: User, changes: dict[str, Any]
) -> None:
    group = approved(resident, clerk)
    updated = groups.update_group(group, details(**changes), by=resident)
    assert updated.status == Group.Status.PENDING
    assert updated.decided_by is None


def test_editing_a_refused_group_applies_again_but_a_suspended_one_stays_suspended(
    resident: User, clerk: User
) -> None:
    refused = groups.decide(
        registered(resident), status=Group.Status.REFUSED, reason="理由", by=clerk
    )
    assert groups.update_group(refused, details(), by=resident).status == Group.Status.PENDING
    other = approved(UserFactory.create(), clerk, name="別の会")
    suspended = groups.decide(
        other, status=Group.Status.SUSPENDED, reason="無断キャンセル", by=clerk
    )
    again = groups.update_group(suspended, details(name="別の会"), by=other.representative)
    assert again.status == Group.Status.SUSPENDED


# --- members --------------------------------------------------------------------------------------


def test_a_member_is_added_by_email_and_told(resident: User) -> None:
    group = registered(resident)
    member = UserFactory.create(email="taro@example.jp")
    assert groups.add_member(group, email=" TARO@example.jp ", by=resident) == member
    assert list(group.members.all()) == [member]
    message = Message.objects.get(kind="reservations.group_member_added")
    assert list(message.recipients.values_list("user", flat=True)) == [member.pk]
    assert message.context["group"] == "亘理やまびこ会"


@pytest.mark.parametrize("email", ["nobody@example.jp", ""])
def test_an_address_without_an_account_is_refused(resident: User, email: str) -> None:
    group = registered(resident)
    with pytest.raises(ValidationError, match="見つかりませんでした"):
        groups.add_member(group, email=email, by=resident)


def test_the_representative_or_a_member_twice_is_refused(resident: User) -> None:
    group = registered(resident)
    member = UserFactory.create()
    groups.add_member(group, email=member.email, by=resident)
    for email in (member.email, resident.email):
        with pytest.raises(ValidationError, match="すでに団体の会員"):
            groups.add_member(group, email=email, by=resident)


def test_only_the_representative_adds_members(resident: User) -> None:
    group = registered(resident)
    with pytest.raises(PermissionDenied):
        groups.add_member(group, email=UserFactory.create().email, by=UserFactory.create())


def test_a_member_leaves_or_is_removed_but_nobody_else_removes_them(resident: User) -> None:
    group = registered(resident)
    first, second = UserFactory.create(), UserFactory.create()
    groups.add_member(group, email=first.email, by=resident)
    groups.add_member(group, email=second.email, by=resident)
    with pytest.raises(PermissionDenied):
        groups.remove_member(group, first, by=second)
    groups.remove_member(group, first, by=first)
    groups.remove_member(group, second, by=resident)
    assert not group.members.exists()
    with pytest.raises(ValidationError):
        groups.remove_member(group, second, by=resident)


# --- staff decide ---------------------------------------------------------------------------------


def test_staff_approve_and_the_representative_is_told_and_the_decision_audited(
    resident: User, clerk: User
) -> None:
    group = groups.decide(
        registered(resident), status=Group.Status.APPROVED, reason="ようこそ", by=clerk
    )
    assert (group.status, group.decided_by) == (Group.Status.APPROVED, clerk)
    message = Message.objects.get(kind="reservations.group_approved")
    assert list(message.recipients.values_list("user", flat=True)) == [resident.pk]
    assert message.context == {"group": "亘理やまびこ会", "reason": "ようこそ"}
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_id=str(group.pk))
    assert entry.changes == {"status": ["pending", "approved"]}
    assert entry.subject_user_id == resident.pk


@pytest.mark.parametrize("status", [Group.Status.REFUSED, Group.Status.SUSPENDED])
def test_refusing_or_suspending_needs_a_reason(
    resident: User, clerk: User, status: Group.Status
) -> None:
    group = approved(resident, clerk) if status == Group.Status.SUSPENDED else registered(resident)
    with pytest.raises(ValidationError, match="理由を書いてください"):
        groups.decide(group, status=status, reason="  ", by=clerk)
    group.refresh_from_db()
    assert group.status != status


@pytest.mark.parametrize(
    ("start", "decision", "allowed"),
    [
        (Group.Status.PENDING, Group.Status.APPROVED, True),
        (Group.Status.PENDING, Group.Status.REFUSED, True),
        (Group.Status.PENDING, Group.Status.SUSPENDED, False),
        (Group.Status.APPROVED, Group.Status.SUSPENDED, True),
        (Group.Status.APPROVED, Group.Status.REFUSED, False),
        (Group.Status.SUSPENDED, Group.Status.APPROVED, True),
        (Group.Status.REFUSED, Group.Status.APPROVED, False),
        (Group.Status.PENDING, Group.Status.PENDING, False),
    ],
)
def test_each_decision_starts_from_the_statuses_it_may(
    resident: User, clerk: User, start: str, decision: str, allowed: bool
) -> None:
    group = registered(resident)
    Group.objects.filter(pk=group.pk).update(status=start)
    group.refresh_from_db()
    if allowed:
        assert groups.decide(group, status=decision, reason="理由", by=clerk).status == decision
    else:
        with pytest.raises(ValidationError):
            groups.decide(group, status=decision, reason="理由", by=clerk)


def test_only_staff_of_a_department_with_facilities_decide(resident: User) -> None:
    group = registered(resident)
    no_facility = staff_without_facilities()
    for someone in (resident, no_facility, StaffFactory.create()):
        with pytest.raises(PermissionDenied):
            groups.decide(group, status=Group.Status.APPROVED, reason="", by=someone)


# --- booking as a group ---------------------------------------------------------------------------


def test_only_an_approved_group_books_and_only_for_its_members(resident: User, clerk: User) -> None:
    group = registered(resident)
    member = ResidentProfileFactory.create(district=DistrictFactory.create()).user
    groups.add_member(group, email=member.email, by=resident)
    request = request_for(room(code="kouminkan-2"), TUESDAY, "09:00", "12:00", group=group)
    with pytest.raises(ValidationError, match="登録済みの"):
        services.book(request, user=member, now=NOW)
    groups.decide(group, status=Group.Status.APPROVED, reason="", by=clerk)
    group.refresh_from_db()
    outsider = ResidentProfileFactory.create(district=DistrictFactory.create()).user
    with pytest.raises(ValidationError, match="登録済みの"):
        services.book(request, user=outsider, now=NOW)
    booking = services.book(request, user=member, now=NOW)
    assert booking.group == group


# --- pages ----------------------------------------------------------------------------------------


def test_a_resident_registers_a_group_from_the_page(client: Client, resident: User) -> None:
    client.force_login(resident)
    assert client.get(reverse("reservations:groups")).status_code == 200
    response = client.post(
        reverse("reservations:group_register"),
        {
            "name": "亘理やまびこ会",
            "name_kana": "わたりやまびこかい",
            "activity": "バドミントン",
            "member_count": "12",
            "in_town": "on",
        },
    )
    group = Group.objects.get()
    assert response["Location"] == reverse("reservations:group", args=[group.pk])
    page = client.get(response["Location"]).content.decode()
    assert "審査中" in page


def test_bad_details_are_explained_on_the_form_and_nothing_is_saved(
    client: Client, resident: User
) -> None:
    client.force_login(resident)
    response = client.post(
        reverse("reservations:group_register"),
        {"name": "会", "name_kana": "kai", "activity": "", "member_count": "0"},
    )
    assert response.status_code == 400
    assert "入力内容を確認してください" in response.content.decode()
    assert not Group.objects.exists()


def test_a_group_is_not_found_by_someone_outside_it(client: Client, resident: User) -> None:
    group = registered(resident)
    client.force_login(UserFactory.create())
    assert client.get(reverse("reservations:group", args=[group.pk])).status_code == 404
    assert client.get(reverse("reservations:group_edit", args=[group.pk])).status_code == 404


def test_the_representative_adds_a_member_and_a_wrong_address_is_explained(
    client: Client, resident: User
) -> None:
    group = registered(resident)
    member = UserFactory.create(email="taro@example.jp")
    client.force_login(resident)
    url = reverse("reservations:group_add_member", args=[group.pk])
    wrong = client.post(url, {"email": "nobody@example.jp"})
    assert wrong.status_code == 400
    assert "見つかりませんでした" in wrong.content.decode()
    assert client.post(url, {"email": "taro@example.jp"}).status_code == 302
    assert (
        "taro@example.jp"
        in client.get(reverse("reservations:group", args=[group.pk])).content.decode()
    )
    client.force_login(member)
    page = client.get(reverse("reservations:group", args=[group.pk])).content.decode()
    assert "会員をやめる" in page
    assert "taro@example.jp" not in page  # members see no one's address
    client.post(reverse("reservations:group_leave", args=[group.pk]))
    assert not group.members.exists()


def test_staff_decide_from_the_page_and_the_read_is_audited(
    client: Client, resident: User, clerk: User
) -> None:
    group = registered(resident)
    client.force_login(clerk)
    listing = client.get(reverse("reservations:staff_groups")).content.decode()
    assert "亘理やまびこ会" in listing
    page = client.get(reverse("reservations:staff_group", args=[group.pk]))
    assert resident.email in page.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.READ, subject_user_id=resident.pk).exists()
    url = reverse("reservations:staff_group_decide", args=[group.pk])
    refused = client.post(url, {"status": "refused", "reason": ""})
    assert refused.status_code == 400
    assert "理由を書いてください" in refused.content.decode()
    assert client.post(url, {"status": "approved", "reason": ""}).status_code == 302
    group.refresh_from_db()
    assert group.status == Group.Status.APPROVED


def test_staff_pages_refuse_residents_and_staff_without_facilities(
    client: Client, resident: User
) -> None:
    client.force_login(resident)
    assert client.get(reverse("reservations:staff_groups")).status_code == 403
    client.force_login(staff_without_facilities())
    assert client.get(reverse("reservations:staff_groups")).status_code == 403
