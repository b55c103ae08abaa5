"""Reads shared by the accounts pages and API."""

from __future__ import annotations

from django.db.models import Q, QuerySet
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


def search_residents(
    *, text: str = "", district: District | None = None
) -> QuerySet[ResidentProfile]:
    """Residents matching a name, kana, or email fragment and/or a district (町民情報の照会)."""
    profiles = ResidentProfile.objects.select_related("user", "district").filter(
        user__is_staff=False
    )
    for word in text.split():
        profiles = profiles.filter(
            Q(family_name__icontains=word)
            | Q(given_name__icontains=word)
            | Q(family_name_kana__icontains=word)
            | Q(given_name_kana__icontains=word)
            | Q(user__email__icontains=word)
        )
    if district is not None:
        profiles = profiles.filter(district=district)
    return profiles.order_by("family_name_kana", "given_name_kana", "pk")


def resident_record(profile_id: int) -> ResidentProfile:
    """One resident's profile with everything the record page shows, in two queries."""
    return get_object_or_404(
        ResidentProfile.objects.select_related("user", "district").prefetch_related(
            "household_members"
        ),
        pk=profile_id,
    )
