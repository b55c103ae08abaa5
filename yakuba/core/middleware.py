from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from yakuba.core import furigana
from yakuba.core.reader import ReaderPreferences


class ReaderPreferencesMiddleware:
    """Attach `request.reader` and add furigana to Japanese HTML pages when the reader asked for it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.reader = ReaderPreferences.from_request(request)  # type: ignore[attr-defined]
        response = self.get_response(request)
        # The page differs by the reader's cookies (text size, furigana): caches must keep them apart.
        patch_vary_headers(response, ["Cookie"])
        if (
            request.reader.furigana  # type: ignore[attr-defined]
            and translation.get_language() == "ja"
            and response.get("Content-Type", "").startswith("text/html")
            and not response.streaming
            and response.status_code == 200
        ):
            try:
                page = response.content.decode(response.charset)
            except (UnicodeDecodeError, LookupError):
                # Not text in the charset it declares: serve it exactly as the view made it.
                return response
            response.content = furigana.add_to_html(page)
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response


class BusyDatabaseMiddleware:
    """Answer 503 「混み合っています」 when SQLite's single writer stays busy past its
    `busy_timeout` (many people saving at the same instant): the visitor is asked to try again
    instead of seeing a server error, and nothing was saved. PostgreSQL never raises this."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not (isinstance(exception, OperationalError) and "database is locked" in str(exception)):
            return None
        message = _("ただいま混み合っています。少し待ってから、もう一度お試しください。")
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse({"detail": str(message)}, status=503)
        else:
            response = render(request, "core/busy.html", {"message": message}, status=503)
        response["Retry-After"] = "5"
        return response
