from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

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
