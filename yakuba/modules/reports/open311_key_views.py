"""Staff pages for the apps that post reports through Open311 (Open311のアプリ): list, register
and issue a key (shown once), revoke."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from yakuba.core.permissions import staff_required
from yakuba.modules.reports import open311_keys
from yakuba.modules.reports.models import Open311Client

PERMISSION = "reports.add_open311client"


class Open311ClientForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("アプリの名前"),
        max_length=100,
        help_text=gettext_lazy("どのアプリが使うキーか分かる名前（例: まちレポアプリ）"),
    )
    contact = forms.CharField(
        label=gettext_lazy("連絡先"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("アプリの運営者の連絡先（メールアドレスや電話番号）"),
    )


def _crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("職員メニュー"), reverse("core:staff_home")),
        (_("Open311のアプリ"), reverse("reports:open311_key_list") if rest else None),
        *rest,
    ]


@staff_required(permission=PERMISSION)
@require_GET
def key_list(request: HttpRequest) -> HttpResponse:
    """Every app, live and revoked, with its key's first characters (never the key)."""
    clients = Open311Client.objects.select_related("created_by").order_by(
        "revoked_at", "name", "pk"
    )
    return render(
        request,
        "reports/staff/open311_list.html",
        {"clients": clients, "breadcrumbs": _crumbs()},
    )


@staff_required(permission=PERMISSION)
@never_cache
@require_http_methods(["GET", "POST"])
def key_new(request: HttpRequest) -> HttpResponse:
    """Register an app and issue its key. The answer to the POST is the only page that ever shows
    the key; it is marked no-store so that the browser's history does not keep it."""
    form = Open311ClientForm(request.POST or None)
    crumbs = _crumbs((_("Open311のアプリを登録"), None))
    if request.method == "POST" and form.is_valid():
        client, secret = open311_keys.issue_key(by=request.user, **form.cleaned_data)
        return render(
            request,
            "reports/staff/open311_created.html",
            {"client": client, "secret": secret, "breadcrumbs": crumbs},
        )
    return render(request, "reports/staff/open311_form.html", {"form": form, "breadcrumbs": crumbs})


@staff_required(permission=PERMISSION)
@require_http_methods(["GET", "POST"])
def key_revoke(request: HttpRequest, client_id: int) -> HttpResponse:
    """Revoke an app's key, after a confirmation page."""
    client = get_object_or_404(Open311Client, pk=client_id)
    if request.method == "POST":
        open311_keys.revoke_key(client, by=request.user)
        messages.success(request, _("「%(name)s」のキーを失効させました。") % {"name": client.name})
        return redirect("reports:open311_key_list")
    return render(
        request,
        "reports/staff/open311_confirm_revoke.html",
        {"client": client, "breadcrumbs": _crumbs((_("キーを失効"), None))},
    )
