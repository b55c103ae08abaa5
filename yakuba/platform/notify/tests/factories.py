"""Factories for notify tests: residents without password hashing, so populations build fast."""

from __future__ import annotations

from datetime import date

import factory

from yakuba.platform.accounts.models import HouseholdMember, Relationship, ResidentProfile, User
from yakuba.platform.places.models import District


class DistrictFactory(factory.django.DjangoModelFactory[District]):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"N{n:03d}")
    name = factory.Sequence(lambda n: f"行政区{n}")


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"resident{n}@example.jp")
    # An unusable password: these residents never sign in, and hashing would slow the tests down.
    password = "!"


class ResidentFactory(factory.django.DjangoModelFactory[ResidentProfile]):
    """A resident (町民): a user with a resident profile."""

    class Meta:
        model = ResidentProfile

    user = factory.SubFactory(UserFactory)
    family_name = "亘理"
    given_name = factory.Sequence(lambda n: f"花子{n}")
    birth_date = date(1980, 4, 1)


class HouseholdMemberFactory(factory.django.DjangoModelFactory[HouseholdMember]):
    class Meta:
        model = HouseholdMember

    profile = factory.SubFactory(ResidentFactory)
    name = "亘理 太郎"
    relationship = Relationship.CHILD
    birth_date = date(2022, 5, 5)


def verified_email(user: User) -> User:
    """Give the user a verified address, as after allauth's confirmation mail."""
    from allauth.account.models import EmailAddress

    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


def resident_on(channels: list[str], **kwargs: object) -> ResidentProfile:
    """A resident who wants notices on these outside channels, in this order, and a verified mail."""
    profile = ResidentFactory.create(notification_channels=["in_app", *channels], **kwargs)
    verified_email(profile.user)
    return profile
