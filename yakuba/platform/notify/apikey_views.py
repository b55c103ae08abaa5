"""Staff pages for API keys (APIキー): list, issue (the secret is shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from yakuba.core.permissions import staff_required
from yakuba.platform.notify import apikeys
from yakuba.platform.notify.apikey_forms import ApiKeyForm
from yakuba.platform.notify.models import ApiKey

PERMISSION = "notify.add_apikey"


def _crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("職員メニュー"), reverse("core:staff_home")),
        (_("APIキー"), reverse("notify:apikey_list") if rest else None),
        *rest,
    ]


@staff_required(permission=PERMISSION)
@require_GET
def apikey_list(request: HttpRequest) -> HttpResponse:
    """Every key, live and revoked, with its limit and callback URL (never its secret)."""
    keys = ApiKey.objects.select_related("created_by").order_by("revoked_at", "name", "pk")
    return render(
        request,
        "notify/staff/apikey_list.html",
        {"keys": keys, "breadcrumbs": _crumbs()},
    )


@staff_required(permission=PERMISSION)
@never_cache
@require_http_methods(["GET", "POST"])
def apikey_new(request: HttpRequest) -> HttpResponse:
    """Issue a key. The answer to the POST is the only page that ever shows the secret: it is not
    stored, and the page is marked no-store so that the browser's history does not keep it."""
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        key, secret = apikeys.issue_key(by=request.user, **form.cleaned_data)
        return render(
            request,
            "notify/staff/apikey_created.html",
            {"key": key, "secret": secret, "breadcrumbs": _crumbs((_("APIキーを発行"), None))},
        )
    return render(
        request,
        "notify/staff/apikey_form.html",
        {"form": form, "breadcrumbs": _crumbs((_("APIキーを発行"), None))},
    )


@staff_required(permission=PERMISSION)
@require_http_methods(["GET", "POST"])
def apikey_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    """Revoke a key, after a confirmation page."""
    key = get_object_or_404(ApiKey, pk=key_id)
    if request.method == "POST":
        apikeys.revoke_key(key, by=request.user)
        messages.success(request, _("「%(name)s」を失効させました。") % {"name": key.name})
        return redirect("notify:apikey_list")
    return render(
        request,
        "notify/staff/apikey_confirm_revoke.html",
        {"key": key, "breadcrumbs": _crumbs((_("APIキーを失効"), None))},
    )
