"""HTTP API for accounts: the resident's own record, and the audited staff lookup."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.errors import HttpError
from ninja.security import django_auth

from yakuba.core.permissions import passed_second_factor
from yakuba.platform.accounts import services
from yakuba.platform.accounts.models import ResidentProfile, User
from yakuba.platform.accounts.queries import household_of
from yakuba.platform.accounts.schemas import (
    DistrictOut,
    ErrorOut,
    HouseholdMemberOut,
    ProfileOut,
)

router = Router(tags=["accounts"])


def _profile_out(profile: ResidentProfile, members: list[HouseholdMemberOut]) -> ProfileOut:
    district = profile.district
    return ProfileOut(
        id=profile.pk,
        email=profile.user.email,
        family_name=profile.family_name,
        given_name=profile.given_name,
        family_name_kana=profile.family_name_kana,
        given_name_kana=profile.given_name_kana,
        birth_date=profile.birth_date,
        phone=profile.phone,
        postal_code=profile.postal_code,
        address=profile.address,
        district=DistrictOut(code=district.code, name=district.name) if district else None,
        preferred_language=profile.preferred_language,
        text_size=profile.text_size,
        furigana=profile.furigana,
        simple_japanese=profile.simple_japanese,
        notification_channels=list(profile.notification_channels),
        topics=list(profile.topics),
        household=members,
    )


def _members(profile: ResidentProfile) -> list[HouseholdMemberOut]:
    return [HouseholdMemberOut.from_orm(m) for m in household_of(profile)]


@router.get("/me", auth=django_auth, response={200: ProfileOut, 401: ErrorOut})
def me(request: HttpRequest) -> ProfileOut:
    """The signed-in resident's own profile and household."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - django_auth let only signed-in users through
    profile = services.ensure_resident_profile(user)
    return _profile_out(profile, _members(profile))


@router.get(
    "/residents/{profile_id}",
    auth=django_auth,
    response={200: ProfileOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def resident(request: HttpRequest, profile_id: int) -> ProfileOut:
    """One resident's record for staff with `accounts.view_residentprofile`; the read is audited."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - django_auth let only signed-in users through
    if not user.is_staff or not user.has_perm("accounts.view_residentprofile"):
        raise HttpError(403, _("この情報を見る権限がありません。"))
    if settings.STAFF_REQUIRE_MFA and not passed_second_factor(request):
        raise HttpError(403, _("二段階認証でログインしてください。"))
    profile = services.open_resident_record(profile_id, by=user, request=request)
    members = [HouseholdMemberOut.from_orm(m) for m in profile.household_members.all()]
    return _profile_out(profile, members)
