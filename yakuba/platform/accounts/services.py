"""Operations on accounts: the resident's own profile, household, data export and account deletion,
the staff lookup of a resident's record (町民情報の照会), and the search for the resident a clerk
acts for at a counter (窓口) — both always written to the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from allauth.socialaccount.models import SocialAccount
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakuba.core.registry import registry
from yakuba.platform.accounts.models import (
    HouseholdMember,
    NotificationChannel,
    ResidentProfile,
    User,
)
from yakuba.platform.accounts.queries import counter_residents, household_of, resident_record
from yakuba.platform.audit.services import record_read, record_reads

PROFILE_FIELDS = (
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "birth_date",
    "sex",
    "phone",
    "postal_code",
    "address",
    "district",
    "preferred_language",
    "text_size",
    "furigana",
    "simple_japanese",
    "notification_channels",
    "topics",
)
HOUSEHOLD_FIELDS = ("name", "name_kana", "relationship", "birth_date", "sex")
COUNTER_RESULTS = 20


class AccountDeletionRefused(Exception):
    """Raised when an account may not delete itself (staff accounts: see `can_delete_own_account`)."""


def _refuse_future_birth_date(birth_date: date | None, *, field: str = "birth_date") -> None:
    if birth_date is not None and birth_date > timezone.localdate():
        raise ValidationError({field: _("生年月日に未来の日付は指定できません。")})


def _require_owner(profile: ResidentProfile, by: User) -> None:
    if profile.user_id != by.pk:
        raise PermissionDenied


@transaction.atomic
def ensure_resident_profile(user: User) -> ResidentProfile:
    """Give a resident an empty profile (町民情報) on sign-up or first visit; return the existing one."""
    profile, _created = ResidentProfile.objects.get_or_create(
        user=user, defaults={"notification_channels": [NotificationChannel.IN_APP.value]}
    )
    return profile


@transaction.atomic
def update_profile(
    profile: ResidentProfile, *, by: User, values: Mapping[str, Any]
) -> ResidentProfile:
    """Save the resident's own profile. In-app notices cannot be switched off, so the channel is kept."""
    _require_owner(profile, by)
    for name in PROFILE_FIELDS:
        if name in values:
            setattr(profile, name, values[name])
    channels = [str(c) for c in profile.notification_channels if c != NotificationChannel.IN_APP]
    profile.notification_channels = [NotificationChannel.IN_APP.value, *channels]
    profile.topics = [str(t) for t in profile.topics]
    _refuse_future_birth_date(profile.birth_date)
    profile.full_clean(exclude=["user"])
    profile.save()
    return profile


@transaction.atomic
def add_household_member(
    profile: ResidentProfile, *, by: User, values: Mapping[str, Any]
) -> HouseholdMember:
    """Add a member to the resident's household (世帯員の追加)."""
    _require_owner(profile, by)
    member = HouseholdMember(
        profile=profile, **{k: values[k] for k in HOUSEHOLD_FIELDS if k in values}
    )
    _refuse_future_birth_date(member.birth_date)
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def update_household_member(
    member: HouseholdMember, *, by: User, values: Mapping[str, Any]
) -> HouseholdMember:
    """Correct a household member's details (世帯員の変更)."""
    _require_owner(member.profile, by)
    for name in HOUSEHOLD_FIELDS:
        if name in values:
            setattr(member, name, values[name])
    _refuse_future_birth_date(member.birth_date)
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def remove_household_member(member: HouseholdMember, *, by: User) -> None:
    """Remove a member from the resident's household (世帯員の削除)."""
    _require_owner(member.profile, by)
    member.delete()


def _profile_as_dict(profile: ResidentProfile) -> dict[str, Any]:
    return {
        "family_name": profile.family_name,
        "given_name": profile.given_name,
        "family_name_kana": profile.family_name_kana,
        "given_name_kana": profile.given_name_kana,
        "birth_date": profile.birth_date.isoformat() if profile.birth_date else None,
        "sex": profile.sex,
        "phone": profile.phone,
        "postal_code": profile.postal_code,
        "address": profile.address,
        "district": profile.district.name if profile.district else None,
        "district_code": profile.district.code if profile.district else None,
        "preferred_language": profile.preferred_language,
        "text_size": profile.text_size,
        "furigana": profile.furigana,
        "simple_japanese": profile.simple_japanese,
        "needs_evacuation_assistance": profile.needs_evacuation_assistance,
        "notification_channels": list(profile.notification_channels),
        "topics": list(profile.topics),
        "created_at": profile.created_at.isoformat(),
        "updated_at": profile.updated_at.isoformat(),
    }


def _member_as_dict(member: HouseholdMember) -> dict[str, Any]:
    return {
        "name": member.name,
        "name_kana": member.name_kana,
        "relationship": member.relationship,
        "birth_date": member.birth_date.isoformat(),
        "sex": member.sex,
    }


def export_own_data(user: User) -> dict[str, Any]:
    """The accounts app's share of a resident's data: the account, profile and household.

    Connected sign-in providers (OpenID Connect) are part of the account: what the provider told us
    about the resident (`extra_data`: its claims, e.g. name and email) is data the town holds too.
    """
    profile = ResidentProfile.objects.select_related("district").filter(user=user).first()
    return {
        "user": {
            "email": user.email,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
            "connected_accounts": [
                {
                    "provider": account.provider,
                    "uid": account.uid,
                    "date_joined": account.date_joined.isoformat(),
                    "last_login": account.last_login.isoformat(),
                    "extra_data": account.extra_data,
                }
                for account in SocialAccount.objects.filter(user=user).order_by("pk")
            ],
        },
        "profile": _profile_as_dict(profile) if profile else None,
        "household": [_member_as_dict(m) for m in household_of(profile)] if profile else [],
    }


def erase_own_data(user: User) -> None:
    """Delete the profile and household; the account row itself goes in `delete_account`."""
    ResidentProfile.objects.filter(user=user).delete()


def export_personal_data(user: User, *, by: User) -> dict[str, Any]:
    """Everything the town holds on the resident, for "download my data" (個人データのダウンロード).

    The account, profile and household sit at the top level, and next to them every registry
    entry's `personal_data.export(user)` under its app label (accounts' own included, so that the
    file has one key per module that holds personal data).
    """
    if user.pk != by.pk:
        raise PermissionDenied
    data: dict[str, Any] = {"exported_at": timezone.now().isoformat(), **export_own_data(user)}
    for label, hooks in registry.personal_data():
        data[label] = hooks.export(user)
    return data


def can_delete_own_account(user: User) -> bool:
    """Staff accounts are issued and withdrawn by the town (人事異動・退職), never by themselves."""
    return not (user.is_staff or user.is_superuser or hasattr(user, "staff_member"))


@transaction.atomic
def delete_account(user: User, *, by: User) -> None:
    """Delete the resident's account (退会): every module erases its share, then the user goes.

    One transaction: if any module cannot erase, nothing is deleted. Feature modules erase first
    (reverse registry order) so that they can still read the profile while they do.
    """
    if user.pk != by.pk:
        raise PermissionDenied
    if not can_delete_own_account(user):
        raise AccountDeletionRefused(user.pk)
    for _label, hooks in reversed(registry.personal_data()):
        hooks.erase(user)
    user.delete()


def open_resident_record(
    profile_id: int, *, by: User, request: HttpRequest | None = None
) -> ResidentProfile:
    """A staff member opens one resident's record; the read is written to the audit log (閲覧記録)."""
    profile = resident_record(profile_id)
    record_read(by=by, obj=profile, subject_user_id=profile.user_id, request=request)
    return profile


@dataclass(frozen=True)
class CounterSearch:
    """The residents a search at the counter lists, and whether more matched than are listed."""

    residents: list[ResidentProfile]
    has_more: bool


def find_residents_at_counter(
    text: str, *, by: User, reason: str, request: HttpRequest | None = None
) -> CounterSearch:
    """A clerk looks for the resident who came in or called, to act for them (窓口): by name,
    kana, e-mail or phone number, at most COUNTER_RESULTS listed — the clerk narrows the words
    rather than pages through names. Each name listed is written to the audit log as read
    (閲覧記録) with its resident, for the module's `reason`."""
    found = counter_residents(text, limit=COUNTER_RESULTS + 1)
    listed = found[:COUNTER_RESULTS]
    record_reads(
        by=by,
        opened=((profile, profile.user_id) for profile in listed),
        reason=reason,
        request=request,
    )
    return CounterSearch(listed, has_more=len(found) > COUNTER_RESULTS)
