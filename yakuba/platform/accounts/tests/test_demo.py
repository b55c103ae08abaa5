"""The demo loader: departments, roles, staff and residents, idempotent."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from yakuba.platform.accounts.demo import DEMO_PASSWORD, load_demo
from yakuba.platform.accounts.models import (
    Department,
    HouseholdMember,
    ResidentProfile,
    StaffMember,
    User,
)
from yakuba.platform.accounts.tests.factories import DistrictFactory

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    models = [User, Department, StaffMember, ResidentProfile, HouseholdMember, Group, EmailAddress]
    return {model.__name__: model.objects.count() for model in models}


def test_loading_the_demo_twice_changes_nothing() -> None:
    DistrictFactory.create_batch(3)
    load_demo()
    first = counts()
    hashes = dict(User.objects.values_list("email", "password"))

    load_demo()

    assert counts() == first
    assert dict(User.objects.values_list("email", "password")) == hashes


def test_demo_has_departments_roles_staff_and_200_residents_with_households() -> None:
    districts = DistrictFactory.create_batch(3)
    load_demo()

    assert set(Department.objects.values_list("code", flat=True)) == {
        "soumu",
        "kikaku",
        "chomin",
        "fukushi",
        "kodomo",
    }
    staff = User.objects.get(email="staff@example.jp")
    assert staff.has_perm("accounts.view_residentprofile")
    assert staff.has_perm("places.change_place")
    assert staff.staff_member.department.code == "chomin"
    assert User.objects.get(email="auditor@example.jp").has_perm("audit.search_auditentry")
    assert User.objects.get(email="admin@example.jp").is_superuser
    assert StaffMember.objects.count() == 3 + 2 * 5
    residents = ResidentProfile.objects.filter(user__email__startswith="resident")
    assert residents.filter(user__email__regex=r"^resident\d{3}@").count() == 200
    assert {p.district_id for p in residents} == {d.pk for d in districts}
    model = ResidentProfile.objects.get(user__email="resident@example.jp")
    assert sorted(model.household_members.values_list("relationship", flat=True)) == [
        "child",
        "child",
        "parent",
        "spouse",
    ]
    assert not User.objects.filter(is_demo=False).exists()


def test_demo_households_have_one_to_six_members_and_every_age_from_0_to_95() -> None:
    load_demo()

    sizes = [
        p.household_members.count() + 1
        for p in ResidentProfile.objects.prefetch_related("household_members")
    ]
    assert min(sizes) == 1
    assert max(sizes) <= 6
    from django.utils import timezone

    today = timezone.localdate()
    holders = [p.age_on(today) or 0 for p in ResidentProfile.objects.all()]
    assert min(holders) >= 18  # account holders are adults; children are household members
    assert max(holders) == 95
    members = [
        today.year
        - m.birth_date.year
        - ((today.month, today.day) < (m.birth_date.month, m.birth_date.day))
        for m in HouseholdMember.objects.all()
    ]
    ages = holders + members
    assert min(ages) == 0
    assert len({age // 10 for age in ages if age < 100}) == 10  # every decade is there
    for profile in ResidentProfile.objects.prefetch_related("household_members"):
        names = [profile.given_name] + [m.name.split()[-1] for m in profile.household_members.all()]
        assert len(names) == len(set(names)), names
    assert ResidentProfile.objects.filter(district__isnull=True).count() == 201  # no districts


def test_demo_logins_work_with_the_demo_password_without_confirmation(client: Client) -> None:
    load_demo()

    response = client.post(
        reverse("account_login"), {"login": "resident@example.jp", "password": DEMO_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:my_page")


def test_colleague_staff_accounts_cannot_sign_in() -> None:
    load_demo()

    assert not User.objects.get(email="fukushi1@example.jp").has_usable_password()
