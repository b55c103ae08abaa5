from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yakuba.core import jobs as job_queue
from yakuba.core import reader
from yakuba.core.forms import MunicipalityForm
from yakuba.core.models import Municipality
from yakuba.core.permissions import staff_required
from yakuba.core.registry import registry
from yakuba.core.services import update_municipality


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
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    furigana = request.POST.get("furigana")
    return reader.remember(
        redirect(next_url),
        text_size=request.POST.get("text_size"),
        furigana=None if furigana is None else furigana == "on",
    )


@staff_required(permission="django_tasks_database.view_dbtaskresult")
def jobs(request: HttpRequest) -> HttpResponse:
    """Background jobs (バックグラウンド処理): what ran, what failed and why, what will be retried."""
    form = job_queue.JobFilterForm(request.GET or None)
    page = None
    if not form.is_bound or form.is_valid():
        status = form.cleaned_data["status"] if form.is_bound else ""
        page = Paginator(job_queue.recent_jobs(status=status), 25).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "jobs": job_queue.describe_jobs(list(page.object_list)) if page is not None else [],
        "max_attempts": settings.JOB_MAX_ATTEMPTS,
        "breadcrumbs": [
            (_("職員メニュー"), reverse("core:staff_home")),
            (_("バックグラウンド処理"), None),
        ],
    }
    return render(request, "core/jobs.html", context, status=400 if page is None else 200)


@staff_required(permission="core.change_municipality")
def municipality_settings(request: HttpRequest) -> HttpResponse:
    """The town's own settings (自治体の設定): names, code, contact, logo, map centre."""
    current = Municipality.current()
    posted = request.method == "POST"
    form = MunicipalityForm(
        request.POST if posted else None, request.FILES if posted else None, instance=current
    )
    status = 200
    if posted:
        if form.is_valid():
            try:
                update_municipality(
                    by=request.user, data=form.settings_data(), logo=form.logo_change()
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("自治体の設定を保存しました。"))
                return redirect("core:municipality_settings")
        status = 400
    context = {
        "form": form,
        "is_new": current is None,
        "breadcrumbs": [
            (_("職員メニュー"), reverse("core:staff_home")),
            (_("自治体の設定"), None),
        ],
    }
    return render(request, "core/municipality_settings.html", context, status=status)
