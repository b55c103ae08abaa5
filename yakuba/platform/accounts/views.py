"""Resident pages (マイページ) and the staff lookup of residents (町民情報の照会)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yakuba.core import reader
from yakuba.core.permissions import staff_required
from yakuba.platform.accounts import services
from yakuba.platform.accounts.forms import (
    DeleteAccountForm,
    HouseholdMemberForm,
    ProfileForm,
    ResidentSearchForm,
)
from yakuba.platform.accounts.models import NotificationChannel, Topic
from yakuba.platform.accounts.queries import household_of, own_household_member, search_residents
from yakuba.platform.accounts.requests import signed_in_user

RESIDENTS_PER_PAGE = 20


def _my_page_crumb() -> tuple[str, str]:
    return (_("マイページ"), reverse("accounts:my_page"))


def _apply_errors(form: BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, next to the field it names."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
def my_page(request: HttpRequest) -> HttpResponse:
    """The resident's own page (マイページ): profile summary, household, and what to do next."""
    user = signed_in_user(request)
    profile = services.ensure_resident_profile(user)
    channels = dict(NotificationChannel.choices)
    topics = dict(Topic.choices)
    return render(
        request,
        "accounts/my_page.html",
        {
            "profile": profile,
            "household": household_of(profile),
            "channel_labels": [channels.get(c, c) for c in profile.notification_channels],
            "topic_labels": [topics.get(t, t) for t in profile.topics],
            "can_delete": services.can_delete_own_account(user),
            "breadcrumbs": [(_("マイページ"), None)],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    """Change the resident's own profile (登録情報の変更)."""
    user = signed_in_user(request)
    profile = services.ensure_resident_profile(user)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(profile, by=user, values=form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("登録情報を保存しました。"))
            response = redirect("accounts:my_page")
            return reader.remember(response, text_size=profile.text_size, furigana=profile.furigana)
    return render(
        request,
        "accounts/profile_form.html",
        {
            "form": form,
            "breadcrumbs": [_my_page_crumb(), (_("登録情報の変更"), None)],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def household_add(request: HttpRequest) -> HttpResponse:
    """Add a household member (世帯員の追加)."""
    user = signed_in_user(request)
    profile = services.ensure_resident_profile(user)
    form = HouseholdMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_household_member(profile, by=user, values=form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("世帯員を追加しました。"))
            return redirect("accounts:my_page")
    return render(
        request,
        "accounts/household_form.html",
        {
            "form": form,
            "title": _("世帯員の追加"),
            "breadcrumbs": [_my_page_crumb(), (_("世帯員の追加"), None)],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def household_edit(request: HttpRequest, member_id: int) -> HttpResponse:
    """Correct a household member's details (世帯員の変更); someone else's member is a 404."""
    user = signed_in_user(request)
    member = own_household_member(user, member_id)
    form = HouseholdMemberForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_household_member(member, by=user, values=form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("世帯員の情報を保存しました。"))
            return redirect("accounts:my_page")
    return render(
        request,
        "accounts/household_form.html",
        {
            "form": form,
            "member": member,
            "title": _("世帯員の変更"),
            "breadcrumbs": [_my_page_crumb(), (_("世帯員の変更"), None)],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def household_delete(request: HttpRequest, member_id: int) -> HttpResponse:
    """Remove a household member after a confirmation page (世帯員の削除)."""
    user = signed_in_user(request)
    member = own_household_member(user, member_id)
    if request.method == "POST":
        services.remove_household_member(member, by=user)
        messages.success(request, _("世帯員を削除しました。"))
        return redirect("accounts:my_page")
    return render(
        request,
        "accounts/household_confirm_delete.html",
        {
            "member": member,
            "breadcrumbs": [_my_page_crumb(), (_("世帯員の削除"), None)],
        },
    )


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """Where to change email, password and second factors (TOTP, passkeys): allauth's pages."""
    return render(
        request,
        "accounts/security.html",
        {
            "breadcrumbs": [_my_page_crumb(), (_("ログインとセキュリティ"), None)],
            # Connecting outside accounts only makes sense when the town configured a provider.
            "has_identity_providers": bool(settings.SOCIALACCOUNT_PROVIDERS),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def data_download(request: HttpRequest) -> HttpResponse:
    """Download my data (個人データのダウンロード) as one JSON file; GET explains, POST downloads."""
    user = signed_in_user(request)
    if request.method == "POST":
        data = services.export_personal_data(user, by=user)
        body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        filename = f"yakuba-my-data-{timezone.localdate():%Y%m%d}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return render(
        request,
        "accounts/data_download.html",
        {"breadcrumbs": [_my_page_crumb(), (_("登録データのダウンロード"), None)]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    """Delete my account (退会) after re-entering the password; staff accounts cannot."""
    user = signed_in_user(request)
    context: dict[str, Any] = {
        "breadcrumbs": [_my_page_crumb(), (_("アカウントの削除"), None)],
        "can_delete": services.can_delete_own_account(user),
    }
    if not context["can_delete"]:
        if request.method == "POST":
            raise PermissionDenied
        return render(request, "accounts/account_delete.html", context)
    form = DeleteAccountForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        services.delete_account(user, by=user)
        logout(request)
        messages.success(request, _("アカウントを削除しました。ご利用ありがとうございました。"))
        return redirect("core:home")
    context["form"] = form
    return render(request, "accounts/account_delete.html", context)


@staff_required(permission="accounts.view_residentprofile")
def staff_resident_search(request: HttpRequest) -> HttpResponse:
    """Search residents (町民情報の照会). The list shows names only; opening one is audited."""
    form = ResidentSearchForm(request.GET or None)
    page = None
    if form.is_valid():
        residents = search_residents(
            text=form.cleaned_data["q"], district=form.cleaned_data["district"]
        )
        page = Paginator(residents, RESIDENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/staff/resident_search.html",
        {
            "form": form,
            "page": page,
            "breadcrumbs": [
                (_("職員メニュー"), reverse("core:staff_home")),
                (_("町民情報の照会"), None),
            ],
        },
    )


@staff_required(permission="accounts.view_residentprofile")
def staff_resident_detail(request: HttpRequest, profile_id: int) -> HttpResponse:
    """One resident's record (profile + household); every opening is written to the audit log."""
    profile = services.open_resident_record(profile_id, by=signed_in_user(request), request=request)
    return render(
        request,
        "accounts/staff/resident_detail.html",
        {
            "profile": profile,
            "household": profile.household_members.all(),
            "breadcrumbs": [
                (_("職員メニュー"), reverse("core:staff_home")),
                (_("町民情報の照会"), reverse("accounts:staff_resident_search")),
                (profile.full_name or _("（氏名未登録）"), None),
            ],
        },
    )
