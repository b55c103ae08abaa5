"""Reader preferences (文字の大きさ, ふりがな, やさしい日本語): how a person wants pages shown.

They live in cookies so that they work for everyone, signed in or not, and without JavaScript. A
signed-in resident's saved profile choices are used when the browser has no cookie yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse

TEXT_SIZES = ("standard", "large", "x-large")
TEXT_SIZE_COOKIE = "yakuba_text_size"
FURIGANA_COOKIE = "yakuba_furigana"
COOKIE_MAX_AGE = 365 * 24 * 3600


@dataclass(frozen=True)
class ReaderPreferences:
    text_size: str = "standard"
    furigana: bool = False

    @classmethod
    def from_request(cls, request: HttpRequest) -> ReaderPreferences:
        saved: dict[str, Any] = {}
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            saved = getattr(user, "reader_preferences", None) or {}
        text_size = request.COOKIES.get(TEXT_SIZE_COOKIE) or saved.get("text_size", "standard")
        furigana_cookie = request.COOKIES.get(FURIGANA_COOKIE)
        furigana = (
            furigana_cookie == "on" if furigana_cookie is not None else saved.get("furigana", False)
        )
        return cls(text_size if text_size in TEXT_SIZES else "standard", bool(furigana))


def remember(response: HttpResponse, *, text_size: str | None = None, furigana: bool | None = None):
    """Store the choices in long-lived cookies on `response`."""
    if text_size in TEXT_SIZES:
        response.set_cookie(TEXT_SIZE_COOKIE, text_size, max_age=COOKIE_MAX_AGE, samesite="Lax")
    if furigana is not None:
        response.set_cookie(
            FURIGANA_COOKIE, "on" if furigana else "off", max_age=COOKIE_MAX_AGE, samesite="Lax"
        )
    return response
