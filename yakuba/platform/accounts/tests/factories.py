"""Factories for accounts tests."""

from __future__ import annotations

from datetime import date
from typing import Any

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group, Permission

from yakuba.platform.accounts.models import (
    Department,
    HouseholdMember,
    Relationship,
    ResidentProfile,
    StaffMember,
    User,
)
from yakuba.platform.places.models import District

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory[User]):
    """A resident who can sign in with PASSWORD; the address is verified."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.jp")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class DistrictFactory(factory.django.DjangoModelFactory[District]):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"D{n:03d}")
    name = factory.Sequence(lambda n: f"行政区{n}")


class ResidentProfileFactory(factory.django.DjangoModelFactory[ResidentProfile]):
    class Meta:
        model = ResidentProfile

    user = factory.SubFactory(UserFactory)
    family_name = "亘理"
    given_name = factory.Sequence(lambda n: f"花子{n}")
    family_name_kana = "わたり"
    given_name_kana = "はなこ"
    birth_date = date(1980, 4, 1)
    postal_code = "989-2351"
    address = "宮城県亘理郡亘理町字悠里1"
    notification_channels = factory.LazyFunction(lambda: ["in_app"])


class HouseholdMemberFactory(factory.django.DjangoModelFactory[HouseholdMember]):
    class Meta:
        model = HouseholdMember

    profile = factory.SubFactory(ResidentProfileFactory)
    name = "亘理 太郎"
    name_kana = "わたり たろう"
    relationship = Relationship.SPOUSE
    birth_date = date(1978, 9, 3)


class DepartmentFactory(factory.django.DjangoModelFactory[Department]):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = "chomin"
    name = "町民生活課"


class StaffFactory(UserFactory):
    """A staff member; `permissions=["app.codename", ...]` gives them a role with those."""

    is_staff = True

    @factory.post_generation
    def staff_member(self: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            StaffMember.objects.create(
                user=self, department=DepartmentFactory.create(), display_name="職員 太郎"
            )

    @factory.post_generation
    def permissions(self: User, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
        if not create or not extracted:
            return
        group = Group.objects.create(name=f"role-{self.pk}")
        for name in extracted:
            app_label, codename = name.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        self.groups.add(group)
