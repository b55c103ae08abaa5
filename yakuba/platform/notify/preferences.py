"""A resident's notification settings (通知の設定): which outside channels, in which order, quiet
hours (通知しない時間), the daily digest (1日1回のまとめ) and topics (関心のある分野).

Channels and topics live on the resident profile (the delivery engine and segments read them
there), so they are saved through `accounts.services.update_profile`; quiet hours and the digest
live on `Preferences`. Both are saved in one transaction: a refused setting leaves nothing changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yakuba.platform.accounts import services as accounts
from yakuba.platform.accounts.models import Topic, User
from yakuba.platform.notify.models import Channel, Preferences

# The channels a resident can rank. The inbox (マイページ) is not among them: it always receives.
OUTSIDE_CHANNELS = (Channel.EMAIL, Channel.WEB_PUSH, Channel.LINE, Channel.SMS)
DEFAULT_DIGEST_TIME = time(18, 0)


@dataclass(frozen=True)
class Settings:
    """Everything the settings page shows and saves, in one value."""

    channels: list[str]
    topics: list[str]
    quiet_from: time | None
    quiet_until: time | None
    daily_digest: bool
    digest_time: time


def settings_of(user: User) -> Settings:
    """The resident's current settings (defaults when nothing was saved yet)."""
    profile = accounts.ensure_resident_profile(user)
    preferences = Preferences.objects.filter(user=user).first()
    return Settings(
        channels=[c for c in profile.notification_channels if c in OUTSIDE_CHANNELS],
        topics=list(profile.topics),
        quiet_from=preferences.quiet_from if preferences else None,
        quiet_until=preferences.quiet_until if preferences else None,
        daily_digest=preferences.daily_digest if preferences else False,
        digest_time=preferences.digest_time if preferences else DEFAULT_DIGEST_TIME,
    )


def check_settings(
    *,
    channels: Sequence[str],
    topics: Sequence[str],
    quiet_from: time | None,
    quiet_until: time | None,
    daily_digest: bool,
    digest_time: time | None,
) -> None:
    """The rules a setting must keep; ValidationError naming the field otherwise."""
    errors: dict[str, list[str]] = {}
    unknown = [c for c in channels if c not in OUTSIDE_CHANNELS]
    if unknown:
        errors.setdefault("channels", []).append(_("選べない受け取り方法が含まれています。"))
    if len(set(channels)) != len(channels):
        errors.setdefault("channels", []).append(_("同じ受け取り方法が二度選ばれています。"))
    if any(t not in Topic.values for t in topics):
        errors.setdefault("topics", []).append(_("選べない分野が含まれています。"))
    # Quiet hours need both ends: a start without an end (or the reverse) means nothing.
    if quiet_from is None and quiet_until is not None:
        errors.setdefault("quiet_from", []).append(_("開始の時刻も入力してください。"))
    if quiet_from is not None and quiet_until is None:
        errors.setdefault("quiet_until", []).append(_("終了の時刻も入力してください。"))
    if quiet_from is not None and quiet_from == quiet_until:
        errors.setdefault("quiet_until", []).append(_("開始と終了に違う時刻を入力してください。"))
    if daily_digest and digest_time is None:
        errors.setdefault("digest_time", []).append(_("まとめて受け取る時刻を入力してください。"))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_settings(
    user: User,
    *,
    by: User,
    channels: Sequence[str],
    topics: Sequence[str],
    quiet_from: time | None,
    quiet_until: time | None,
    daily_digest: bool,
    digest_time: time | None,
) -> Settings:
    """Save the resident's own notification settings. `channels` is in order of preference: the
    first is tried first and the next ones are fallbacks (an emergency goes on all of them)."""
    if by.pk != user.pk:
        raise PermissionDenied
    check_settings(
        channels=channels,
        topics=topics,
        quiet_from=quiet_from,
        quiet_until=quiet_until,
        daily_digest=daily_digest,
        digest_time=digest_time,
    )
    profile = accounts.ensure_resident_profile(user)
    accounts.update_profile(
        profile,
        by=by,
        values={"notification_channels": list(channels), "topics": list(topics)},
    )
    preferences, _created = Preferences.objects.select_for_update().get_or_create(user=user)
    preferences.quiet_from = quiet_from
    preferences.quiet_until = quiet_until
    preferences.daily_digest = daily_digest
    # The time is kept when the digest is switched off, so switching it on again restores it.
    preferences.digest_time = digest_time or preferences.digest_time
    preferences.full_clean(exclude=["user"])
    preferences.save()
    return settings_of(user)
