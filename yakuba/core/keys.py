"""API keys and rate limits shared by every HTTP interface (notify's API, Open311) and by forms
that limit how often people may post (citizen reports).

Keys: "<start><hex>_<secret>"; the hex prefix finds the row, and only a SHA-256 hash of the whole
key is stored (enough for a long random secret: there is no dictionary to try).

Rate limits: a counter per fixed time window in Django's cache, so they count across processes
only when the cache is shared (`YAKUBA_CACHE_TABLE`).
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections.abc import Callable

from django.core.cache import cache


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key(start: str, *, hex_digits: int, taken: Callable[[str], bool]) -> tuple[str, str]:
    """A fresh (prefix, whole key); `taken(prefix)` says whether a row already uses a prefix."""
    while True:
        prefix = start + secrets.token_hex((hex_digits + 1) // 2)[:hex_digits]
        if not taken(prefix):
            return prefix, f"{prefix}_{secrets.token_urlsafe(32)}"


class RateLimited(Exception):
    """Over the limit for this window; `retry_after` seconds until the next one."""

    def __init__(self, *, limit: int, retry_after: int) -> None:
        super().__init__(f"{limit} a window; retry after {retry_after} s")
        self.limit = limit
        self.retry_after = retry_after


def _counter(name: str, window_seconds: int, now: float) -> tuple[str, int]:
    window = int(now // window_seconds)
    return f"rate:{name}:{window}", window


def seconds_left(window_seconds: int, now: float | None = None) -> int:
    now = time.time() if now is None else now
    return max(math.ceil((int(now // window_seconds) + 1) * window_seconds - now), 1)


def count_so_far(name: str, *, window_seconds: int, now: float | None = None) -> int:
    """How many times `name` was counted in the current window."""
    counter, _window = _counter(name, window_seconds, time.time() if now is None else now)
    return int(cache.get(counter) or 0)


def count_one(name: str, *, window_seconds: int, now: float | None = None) -> int:
    """Count one for `name` in the current window; returns the count including it."""
    counter, _window = _counter(name, window_seconds, time.time() if now is None else now)
    # Kept a little past the window, so a slow request near its end still finds its counter.
    cache.add(counter, 0, timeout=window_seconds * 2)
    try:
        return int(cache.incr(counter))
    except ValueError:  # evicted between add and incr
        cache.set(counter, 1, timeout=window_seconds * 2)
        return 1


def check_rate_limit(
    name: str, *, limit: int, window_seconds: int = 60, now: float | None = None
) -> None:
    """Count one for `name`; RateLimited once the window holds more than `limit`."""
    now = time.time() if now is None else now
    if count_one(name, window_seconds=window_seconds, now=now) > limit:
        raise RateLimited(limit=limit, retry_after=seconds_left(window_seconds, now))
