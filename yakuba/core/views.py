from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from yakuba.core import reader
from yakuba.core.permissions import staff_required
from yakuba.core.registry import registry


def home(request: HttpRequest) -> HttpResponse:
    """The resident portal's front page, built from the modules' resident menus."""
    return render(request, "core/home.html")


@staff_required
def staff_home(request: HttpRequest) -> HttpResponse:
    """The staff console's front page, built from the modules' staff menus."""
    return render(request, "core/staff_home.html", {"modules": list(registry)})


def staff_second_factor(request: HttpRequest) -> HttpResponse:
    """Tell a staff member that the console needs a second factor, and how to set one up."""
    return render(request, "core/staff_second_factor.html", status=403)


@require_POST
def set_reader_preferences(request: HttpRequest) -> HttpResponse:
    """Change text size or furigana (works as a plain form post, no JavaScript needed)."""
    from django.shortcuts import redirect

    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    furigana = request.POST.get("furigana")
    return reader.remember(
        redirect(next_url),
        text_size=request.POST.get("text_size"),
        furigana=None if furigana is None else furigana == "on",
    )
