"""API keys for apps that post reports through Open311 (Open311のアプリのAPIキー).

Staff register an app and issue its key; the key is shown once: `o311_1a2b3c4_<43 random
characters>`. Its first part (`o311_1a2b3c4`) is kept as `Open311Client.prefix` to find the app, the
whole key only as a SHA-256 hash — the same scheme as the notify API's
keys (a plain hash is enough for 256 random bits: there is no dictionary to guess from).

Open311 GeoReport v2 sends the key as the `api_key` form field of POST requests. Posts are counted
per app and per clock minute in Django's cache: as shared as the cache is (see notify.apikeys).
"""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yakuba.core.keys import RateLimited, hash_secret, new_key
from yakuba.core.keys import check_rate_limit as check_rate_limit_of
from yakuba.modules.reports.models import Open311Client
from yakuba.platform.audit.models import AuditAction
from yakuba.platform.audit.services import record

__all__ = ["KeyRefused", "RateLimited", "authenticate", "check_rate_limit", "issue_key"]

KEY_START = "o311_"
PREFIX_LENGTH = len(KEY_START) + 7  # "o311_" and 7 hex digits: fits Open311Client.prefix (12)
# Posts (requests and updates) one app may make in a minute; enough for a busy app, low enough to
# stop a runaway one. REPORTS_OPEN311_POSTS_PER_MINUTE overrides it.
DEFAULT_POSTS_PER_MINUTE = 60


class KeyRefused(Exception):
    """The request carries no usable key: none, unknown, wrong secret or revoked (HTTP 403)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@transaction.atomic
def issue_key(*, by: Any, name: str, contact: str = "") -> tuple[Open311Client, str]:
    """Register an app and issue its key (APIキーの発行). Returns the app and its key, which is
    not stored and cannot be shown again."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("アプリの名前を入力してください。")})
    prefix, secret = new_key(
        KEY_START,
        hex_digits=7,
        taken=lambda prefix: Open311Client.objects.filter(prefix=prefix).exists(),
    )
    client = Open311Client.objects.create(
        name=name[:100],
        contact=contact.strip()[:200],
        prefix=prefix,
        key_hash=hash_secret(secret),
        created_by=by,
    )
    record(
        AuditAction.CREATE,
        by=by,
        obj=client,
        changes={"name": client.name, "contact": client.contact, "prefix": prefix},
    )
    return client, secret


@transaction.atomic
def revoke_key(client: Open311Client, *, by: Any) -> Open311Client:
    """Revoke an app's key (失効): every later post with it is refused. Revoking twice keeps the
    first date and records nothing new."""
    client = Open311Client.objects.select_for_update().get(pk=client.pk)
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
        record(
            AuditAction.UPDATE,
            by=by,
            obj=client,
            changes={"revoked_at": client.revoked_at.isoformat()},
        )
    return client


def authenticate(api_key: str) -> Open311Client:
    """The app an Open311 `api_key` belongs to; KeyRefused otherwise."""
    api_key = api_key.strip()
    if not api_key:
        raise KeyRefused(_("api_keyがありません。町が発行したAPIキーを送ってください。"))
    client = Open311Client.objects.filter(prefix=api_key[:PREFIX_LENGTH]).first()
    # Compare a hash even when no app has this prefix, so the answer takes the same time.
    expected = client.key_hash if client is not None else hash_secret("")
    if not hmac.compare_digest(expected, hash_secret(api_key)) or client is None:
        raise KeyRefused(_("api_keyが正しくありません。"))
    if client.revoked_at is not None:
        raise KeyRefused(_("このapi_keyは失効しています。"))
    return client


def posts_per_minute() -> int:
    return int(getattr(settings, "REPORTS_OPEN311_POSTS_PER_MINUTE", DEFAULT_POSTS_PER_MINUTE))


def check_rate_limit(client: Open311Client, *, now: float | None = None) -> None:
    """Count one post for the app in this minute; RateLimited once it is over the limit."""
    check_rate_limit_of(
        f"open311:{client.pk}", limit=posts_per_minute(), window_seconds=60, now=now
    )
