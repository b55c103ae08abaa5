"""Reads shared by the accounts pages and API."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Replace
from django.shortcuts import get_object_or_404

from yakuba.platform.accounts.models import HouseholdMember, ResidentProfile, User
from yakuba.platform.places.models import District


def household_of(profile: ResidentProfile) -> QuerySet[HouseholdMember]:
    """The members of a resident's household (世帯員), oldest first."""
    return HouseholdMember.objects.filter(profile=profile).order_by("birth_date", "pk")


def own_household_member(user: User, member_id: int) -> HouseholdMember:
    """A household member that belongs to `user`; 404 for anyone else's, so ids reveal nothing."""
    return get_object_or_404(
        HouseholdMember.objects.select_related("profile"), pk=member_id, profile__user=user
    )


def _name_or_email(word: str) -> Q:
    return (
        Q(family_name__icontains=word)
        | Q(given_name__icontains=word)
        | Q(family_name_kana__icontains=word)
        | Q(given_name_kana__icontains=word)
        | Q(user__email__icontains=word)
    )


def search_residents(
    *, text: str = "", district: District | None = None
) -> QuerySet[ResidentProfile]:
    """Residents matching a name, kana, or email fragment and/or a district (町民情報の照会)."""
    profiles = ResidentProfile.objects.select_related("user", "district").filter(
        user__is_staff=False
    )
    for word in text.split():
        profiles = profiles.filter(_name_or_email(word))
    if district is not None:
        profiles = profiles.filter(district=district)
    return profiles.order_by("family_name_kana", "given_name_kana", "pk")


def counter_residents(text: str, *, limit: int) -> list[ResidentProfile]:
    """Residents a clerk may serve at the counter whose name, kana, e-mail or phone number
    matches every word of `text` (a phone number with or without hyphens), at most `limit`:
    active accounts, staff left out. No words, no one."""
    words = text.split()
    if not words:
        return []
    profiles = (
        ResidentProfile.objects.select_related("user", "district")
        .filter(user__is_staff=False, user__is_active=True)
        .annotate(phone_digits=Replace(F("phone"), Value("-"), Value("")))
    )
    for word in words:
        condition = _name_or_email(word)
        digits = word.replace("-", "")
        if digits.isdigit():
            condition |= Q(phone_digits__contains=digits)
        profiles = profiles.filter(condition)
    return list(profiles.order_by("family_name_kana", "given_name_kana", "pk")[:limit])


def counter_resident(user_id: int) -> User:
    """The resident a clerk acts for at the counter: an active, non-staff account with a
    resident profile (User.DoesNotExist otherwise)."""
    return User.objects.select_related("resident_profile").get(
        pk=user_id, is_active=True, is_staff=False, resident_profile__isnull=False
    )


def resident_record(profile_id: int) -> ResidentProfile:
    """One resident's profile with everything the record page shows, in two queries."""
    return get_object_or_404(
        ResidentProfile.objects.select_related("user", "district").prefetch_related(
            "household_members"
        ),
        pk=profile_id,
    )
