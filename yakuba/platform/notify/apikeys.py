"""API keys (APIキー) for other systems that send notices through the notify HTTP API.

A key is shown once, when it is issued: `yk_1a2b3c4d_<43 random characters>`. The first part
(`yk_1a2b3c4d`) is stored as `ApiKey.prefix` to find the key; the whole key is kept only as a
SHA-256 hash. A plain hash is enough (no slow password hash) because the secret is 256 random bits,
not something a person chose: there is nothing to guess from a dictionary.

Rate limits are counted per key and per clock minute in Django's cache. The count is only as shared
as the cache: with the default local-memory cache each worker process counts on its own, so a
deployment with several processes lets a key through `processes × limit` times a minute. Production
needs a shared cache (`YAKUBA_CACHE_TABLE`); see yakuba.core.keys. A fixed window also lets a client send up
to twice its limit across a minute boundary; that is accepted for a limit meant to stop runaway
clients, not to meter them.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yakuba.core.keys import RateLimited, hash_secret, new_key
from yakuba.core.keys import check_rate_limit as check_rate_limit_of
from yakuba.platform.notify.models import ApiKey

__all__ = ["ApiKeyRefused", "RateLimited", "authenticate", "hash_secret", "issue_key"]

KEY_START = "yk_"
PREFIX_LENGTH = len(KEY_START) + 8  # "yk_" and 8 hex digits: fits ApiKey.prefix (12)
MAX_RATE_LIMIT = 100_000


class ApiKeyRefused(Exception):
    """The request carries no usable key: none, malformed, unknown, wrong secret or revoked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@transaction.atomic
def issue_key(
    *, by: Any, name: str, rate_limit_per_minute: int = 600, callback_url: str = ""
) -> tuple[ApiKey, str]:
    """Issue a key (APIキーの発行). Returns the key and its secret, which is not stored and cannot
    be shown again. A key with a callback URL also gets a callback signing secret."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("名称を入力してください。")})
    if not 1 <= rate_limit_per_minute <= MAX_RATE_LIMIT:
        raise ValidationError(
            {
                "rate_limit_per_minute": _("1分あたりの上限は1から%(max)dまでにしてください。")
                % {"max": MAX_RATE_LIMIT}
            }
        )
    prefix, secret = new_key(
        KEY_START, hex_digits=8, taken=lambda prefix: ApiKey.objects.filter(prefix=prefix).exists()
    )
    key = ApiKey.objects.create(
        name=name,
        prefix=prefix,
        secret_hash=hash_secret(secret),
        rate_limit_per_minute=rate_limit_per_minute,
        callback_url=callback_url.strip(),
        callback_secret=secrets.token_urlsafe(32) if callback_url.strip() else "",
        created_by=by,
    )
    return key, secret


@transaction.atomic
def revoke_key(key: ApiKey, *, by: Any) -> ApiKey:
    """Revoke a key (失効): every later request with it is refused, and its callbacks stop.
    Revoking twice keeps the first date."""
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def authenticate(header: str) -> ApiKey:
    """The key an `Authorization: Bearer <key>` header names; ApiKeyRefused otherwise."""
    scheme, _space, secret = header.strip().partition(" ")
    secret = secret.strip()
    if not header.strip():
        raise ApiKeyRefused(
            _("Authorizationヘッダーがありません。「Bearer <APIキー>」を送ってください。")
        )
    if scheme.lower() != "bearer" or not secret:
        raise ApiKeyRefused(_("Authorizationヘッダーは「Bearer <APIキー>」の形にしてください。"))
    key = ApiKey.objects.filter(prefix=secret[:PREFIX_LENGTH]).first()
    # Compare a hash even when no key has this prefix, so the answer takes the same time.
    expected = key.secret_hash if key is not None else hash_secret("")
    if not hmac.compare_digest(expected, hash_secret(secret)) or key is None:
        raise ApiKeyRefused(_("APIキーが正しくありません。"))
    if key.revoked_at is not None:
        raise ApiKeyRefused(_("このAPIキーは失効しています。"))
    return key


def check_rate_limit(key: ApiKey, *, now: float | None = None) -> None:
    """Count one request for the key in this minute; RateLimited once it is over its limit."""
    check_rate_limit_of(
        f"notify-api:{key.pk}", limit=key.rate_limit_per_minute, window_seconds=60, now=now
    )
