"""The demo loader: departments, roles, staff and residents, idempotent."""

from collections import Counter

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from yakuba.platform.accounts.demo import (
    DEMO_PASSWORD,
    GIVEN_NAMES_F,
    GIVEN_NAMES_M,
    load_demo,
)
from yakuba.platform.accounts.models import (
    Department,
    HouseholdMember,
    ResidentProfile,
    Sex,
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
        "shogai",
    }
    staff = User.objects.get(email="staff@example.jp")
    assert staff.has_perm("accounts.view_residentprofile")
    assert staff.has_perm("places.change_place")
    assert staff.staff_member.department.code == "chomin"
    assert User.objects.get(email="auditor@example.jp").has_perm("audit.search_auditentry")
    assert User.objects.get(email="admin@example.jp").is_superuser
    assert StaffMember.objects.count() == 4 + 2 * 6
    assert User.objects.get(email="shisetsu@example.jp").has_perm("reservations.change_booking")
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


def test_demo_people_have_a_sex_that_fits_their_name_and_a_few_did_not_answer() -> None:
    load_demo()

    people = [
        *ResidentProfile.objects.values_list("given_name", "sex"),
        *(
            (name.split()[-1], sex)
            for name, sex in HouseholdMember.objects.values_list("name", "sex")
        ),
    ]
    female_names = {name for name, _kana in GIVEN_NAMES_F}
    male_names = {name for name, _kana in GIVEN_NAMES_M}
    counted = Counter(sex for _name, sex in people)
    assert counted[Sex.MALE] > 100 and counted[Sex.FEMALE] > 100
    assert 0 < counted[""] < len(people) / 10  # a few left it blank (回答しない)
    for name, sex in people:
        assert sex == "" or (name in female_names) == (sex == Sex.FEMALE), (name, sex)
        assert sex == "" or name in female_names | male_names
