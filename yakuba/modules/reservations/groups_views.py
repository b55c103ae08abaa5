"""Group pages (団体登録).

Residents (/reservations/groups/): their groups, registering one, and for the representative
editing it and its members; a member can leave. A group one neither represents nor belongs to
is "not found". Staff (/reservations/staff/groups/): the groups by status, one group with its
representative's contact (an audited read), and the decision. Actions are POSTs that redirect
(Post/Redirect/Get); a refused one shows the page again with the error summary."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yakuba.core.permissions import staff_required
from yakuba.modules.reservations import groups
from yakuba.modules.reservations.groups_forms import DecisionForm, GroupForm, MemberForm
from yakuba.modules.reservations.models import Group
from yakuba.modules.reservations.staff_views import nav_context
from yakuba.platform.accounts.models import ResidentProfile, User
from yakuba.platform.accounts.requests import signed_in_user
from yakuba.platform.audit.services import record_read

CHANGE = "reservations.change_booking"
PAGE_SIZE = 30
# The error codes of `groups` that belong to one field of the group form; the rest go on top.
GROUP_FIELDS = {"name", "name_kana", "activity", "member_count"}


def _apply_errors(form: Form, error: ValidationError, fields: set[str]) -> None:
    for item in error.error_list:
        form.add_error(item.code if item.code in fields else None, item)


# --- residents ------------------------------------------------------------------------------------


def _crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("マイページ"), reverse("accounts:my_page")),
        (_("団体の登録"), reverse("reservations:groups") if rest else None),
        *rest,
    ]


def _own_group(request: HttpRequest, pk: int) -> Group:
    group = get_object_or_404(Group.objects.select_related("representative"), pk=pk)
    if not groups.is_member(group, signed_in_user(request)):
        raise Http404
    return group


def _represented(request: HttpRequest, pk: int) -> Group:
    group = _own_group(request, pk)
    if group.representative_id != signed_in_user(request).pk:
        raise Http404
    return group


@login_required
@require_GET
def group_list(request: HttpRequest) -> HttpResponse:
    """あなたの団体: the groups one represents or belongs to, and registering a new one."""
    user = signed_in_user(request)
    return render(
        request,
        "reservations/groups/list.html",
        {"groups": groups.groups_of(user), "breadcrumbs": _crumbs()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """団体を登録する: the group's details; the resident becomes its representative."""
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = groups.register_group(form.details(), by=signed_in_user(request))
        except ValidationError as error:
            _apply_errors(form, error, GROUP_FIELDS)
        else:
            messages.success(
                request,
                _("団体の登録を申請しました。町が確認して、結果をお知らせします。"),
            )
            return redirect("reservations:group", group.pk)
    return render(
        request,
        "reservations/groups/form.html",
        {
            "form": form,
            "title": _("団体を登録する"),
            "breadcrumbs": _crumbs((_("団体を登録する"), None)),
        },
        status=400 if form.errors else 200,
    )


def _group_page(
    request: HttpRequest, group: Group, *, member_form: MemberForm | None = None, status: int = 200
) -> HttpResponse:
    user = signed_in_user(request)
    is_representative = group.representative_id == user.pk
    return render(
        request,
        "reservations/groups/detail.html",
        {
            "group": group,
            "is_representative": is_representative,
            "members": list(group.members.order_by("email")) if is_representative else [],
            "member_form": member_form or MemberForm(),
            "breadcrumbs": _crumbs((group.name, None)),
        },
        status=status,
    )


@login_required
@require_GET
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _group_page(request, _own_group(request, pk))


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The representative edits the group; some changes send it back to review."""
    group = _represented(request, pk)
    form = GroupForm(request.POST or None, initial=GroupForm.initial_of(group))
    if request.method == "POST" and form.is_valid():
        try:
            updated = groups.update_group(group, form.details(), by=signed_in_user(request))
        except ValidationError as error:
            _apply_errors(form, error, GROUP_FIELDS)
        else:
            if updated.status == Group.Status.PENDING and group.status != Group.Status.PENDING:
                messages.success(
                    request, _("変更しました。町がもう一度確認して、結果をお知らせします。")
                )
            else:
                messages.success(request, _("変更しました。"))
            return redirect("reservations:group", group.pk)
    return render(
        request,
        "reservations/groups/form.html",
        {
            "form": form,
            "group": group,
            "title": _("団体の登録内容を変更する"),
            "breadcrumbs": _crumbs(
                (group.name, reverse("reservations:group", args=[group.pk])),
                (_("変更する"), None),
            ),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def add_member(request: HttpRequest, pk: int) -> HttpResponse:
    group = _represented(request, pk)
    form = MemberForm(request.POST)
    if form.is_valid():
        try:
            groups.add_member(group, email=form.cleaned_data["email"], by=signed_in_user(request))
        except ValidationError as error:
            _apply_errors(form, error, {"email"})
        else:
            messages.success(
                request,
                _("%(email)s を会員に加えました。本人にお知らせしました。")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("reservations:group", group.pk)
    return _group_page(request, group, member_form=form, status=400)


@login_required
@require_POST
def remove_member(request: HttpRequest, pk: int, user_pk: int) -> HttpResponseBase:
    group = _represented(request, pk)
    member = get_object_or_404(User, pk=user_pk)
    try:
        groups.remove_member(group, member, by=signed_in_user(request))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("%(email)s を会員から外しました。") % {"email": member.email})
    return redirect("reservations:group", group.pk)


@login_required
@require_POST
def leave(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A member leaves the group (会員をやめる); the representative cannot."""
    group = _own_group(request, pk)
    user = signed_in_user(request)
    try:
        groups.remove_member(group, user, by=user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("reservations:group", group.pk)
    messages.success(request, _("「%(group)s」の会員をやめました。") % {"group": group.name})
    return redirect("reservations:groups")


# --- staff ----------------------------------------------------------------------------------------


def _staff_crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("職員メニュー"), reverse("core:staff_home")),
        (_("登録団体の審査"), reverse("reservations:staff_groups") if rest else None),
        *rest,
    ]


def _decider(request: HttpRequest) -> User:
    user = signed_in_user(request)
    if not groups.may_decide(user):
        raise PermissionDenied
    return user


def _staff_page(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    context.update(nav_context(signed_in_user(request), "groups"))
    return render(request, f"reservations/groups/{template}", context, status=status)


@staff_required(permission=CHANGE)
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    """登録団体の審査: the groups of one status, those waiting first."""
    _decider(request)
    status = request.GET.get("status") or Group.Status.PENDING
    if status not in Group.Status.values:
        raise Http404
    found = Group.objects.filter(status=status).order_by("created_at", "pk")
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return _staff_page(
        request,
        "staff_list.html",
        {
            "page": page,
            "status": status,
            "tabs": [(value, label) for value, label in Group.Status.choices],
            "breadcrumbs": _staff_crumbs(),
        },
    )


def _decision_choices(group: Group) -> list[tuple[str, str]]:
    labels = {
        Group.Status.APPROVED: _("停止を解除する")
        if group.status == Group.Status.SUSPENDED
        else _("承認する"),
        Group.Status.REFUSED: _("承認しない"),
        Group.Status.SUSPENDED: _("停止する"),
    }
    return [
        (status, str(labels[status]))
        for status, (allowed_from, _kind) in groups.DECISIONS.items()
        if group.status in allowed_from
    ]


def _staff_group_page(
    request: HttpRequest, group: Group, form: DecisionForm, *, status: int = 200
) -> HttpResponse:
    profile = ResidentProfile.objects.filter(user=group.representative).first()
    record_read(
        by=signed_in_user(request),
        obj=group,
        subject_user_id=group.representative_id,
        request=request,
    )
    return _staff_page(
        request,
        "staff_detail.html",
        {
            "group": group,
            "profile": profile,
            "members": list(group.members.order_by("email")),
            "form": form,
            "breadcrumbs": _staff_crumbs((group.name, None)),
        },
        status=status,
    )


@staff_required(permission=CHANGE)
@require_GET
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _decider(request)
    group = get_object_or_404(Group.objects.select_related("representative", "decided_by"), pk=pk)
    return _staff_group_page(request, group, DecisionForm(choices=_decision_choices(group)))


@staff_required(permission=CHANGE)
@require_POST
def staff_decide(request: HttpRequest, pk: int) -> HttpResponse:
    _decider(request)
    group = get_object_or_404(Group.objects.select_related("representative", "decided_by"), pk=pk)
    form = DecisionForm(request.POST, choices=_decision_choices(group))
    if form.is_valid():
        try:
            decided = groups.decide(
                group,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                by=signed_in_user(request),
            )
        except ValidationError as error:
            _apply_errors(form, error, {"status", "reason"})
        else:
            messages.success(
                request,
                _("「%(group)s」を「%(status)s」にしました。代表者にお知らせしました。")
                % {"group": decided.name, "status": decided.get_status_display()},
            )
            return redirect("reservations:staff_group", group.pk)
    return _staff_group_page(request, group, form, status=400)
