"""The form builder's pages (手続きと様式): the list of procedures, a procedure's settings, the
form editor with its preview, publishing, the version history, and sharing definitions with other
towns (書き出す・読み込む).

Every page needs procedures.change_procedure, and a procedure's pages are its department's only
(a superuser's: every department's). Those pages are written as `@procedure_page` views, which
look the code up among `builder.editable_by(user)`: another department's procedure is 404, as if
it did not exist, on every page. The editor is plain forms, one button per action
(Post/Redirect/Get); a refused action shows the page again with the error summary and changes
nothing. Mounted at /procedures/staff/forms/ by `builder_urls.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yakuba.core.permissions import staff_required
from yakuba.modules.procedures import builder, engine, formdef
from yakuba.modules.procedures.builder_forms import (
    FIELD_TYPE_CHOICES,
    FIELD_TYPE_LABELS,
    DefinitionForm,
    FeeForm,
    FieldForm,
    ImportConfirmForm,
    ImportForm,
    ProcedureForm,
    PublishForm,
    SectionForm,
)
from yakuba.modules.procedures.models import FormVersion, Procedure
from yakuba.platform.accounts.models import User
from yakuba.platform.accounts.requests import signed_in_user

CHANGE = "procedures.change_procedure"
GET_POST = require_http_methods(["GET", "POST"])


def procedure_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page of one procedure (`code` in its URL): the view gets the procedure, found among
    those the signed-in staff member may edit, or 404."""

    @staff_required(permission=CHANGE)
    @wraps(view)
    def wrapped(request: HttpRequest, code: str, **kwargs: Any) -> HttpResponse:
        editable = builder.editable_by(signed_in_user(request)).select_related("department")
        return view(request, get_object_or_404(editable, code=code), **kwargs)

    return wrapped


def _department_choice(user: User) -> dict[str, Any]:
    """The settings form's department: fixed to the staff member's own; a superuser chooses."""
    if user.is_superuser:
        return {"department": None}
    department = builder.own_department(user)
    if department is None:
        # Staff without a department (所属課) have no procedures to create or edit.
        raise PermissionDenied
    return {"department": department}


def _crumbs(procedure: Procedure | None, *rest: tuple[str, str | None]) -> list[Any]:
    crumbs: list[tuple[str, str | None]] = [
        (_("職員メニュー"), reverse("core:staff_home")),
        (_("手続きと様式"), reverse("procedures:builder_list")),
    ]
    if procedure is not None:
        crumbs.append(
            (procedure.title, reverse("procedures:builder_detail", args=[procedure.code]))
        )
    crumbs.extend(rest)
    last_label, _url = crumbs[-1]
    crumbs[-1] = (last_label, None)
    return crumbs


def _refusal(error: ValidationError) -> forms.Form:
    """An empty bound form carrying `error`, for components/error_summary.html."""
    form = forms.Form(data={})
    form.is_valid()
    form.add_error(None, error.messages)
    return form


def _add_errors(form: forms.BaseForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _editor_url(procedure: Procedure, anchor: str = "") -> str:
    return reverse("procedures:builder_form", args=[procedure.code]) + anchor


def _field_path(path: str) -> tuple[str | None, str]:
    """'name' → (None, 'name'); 'children.name' → ('children', 'name')."""
    group, _dot, key = path.rpartition(".")
    return (group or None), key


@dataclass(frozen=True)
class FieldItem:
    """A field as the editor lists it."""

    field: formdef.Field
    type_label: str
    # Where the field's pages are: "name", or "children.name" inside a group.
    path: str
    anchor: str
    condition: str
    children: list[FieldItem]


@dataclass(frozen=True)
class SectionItem:
    section: formdef.Section
    fields: list[FieldItem]


def _condition_text(condition: formdef.Condition | None) -> str:
    if condition is None:
        return ""
    values = "、".join(
        ("true" if value else "false") if isinstance(value, bool) else str(value)
        for value in condition.values
    )
    return _("「%(field)s」の答えが %(values)s のとき") % {
        "field": condition.field,
        "values": values,
    }


def _field_items(
    section: formdef.Section, fields: tuple[formdef.Field, ...], group: str = ""
) -> list[FieldItem]:
    return [
        FieldItem(
            field=item,
            type_label=str(FIELD_TYPE_LABELS[item.type]),
            path=f"{group}.{item.key}" if group else item.key,
            anchor=f"field-{section.key}-{group}-{item.key}",
            condition=_condition_text(item.show_if),
            children=_field_items(section, item.fields, item.key) if item.fields else [],
        )
        for item in fields
    ]


def outline(definition: formdef.FormDefinition) -> list[SectionItem]:
    """The form's sections and fields in order, for the editor and the read-only pages."""
    return [
        SectionItem(section=section, fields=_field_items(section, section.fields))
        for section in definition.sections
    ]


def _outline_context(definition: formdef.FormDefinition) -> dict[str, Any]:
    return {
        "outline": outline(definition),
        "fee": definition.fee,
        "type_choices": FIELD_TYPE_CHOICES,
        "group_type_choices": [c for c in FIELD_TYPE_CHOICES if c[0] != "group"],
    }


# --- the list, a new procedure, settings -----------------------------------------------------


@staff_required(permission=CHANGE)
@require_GET
def procedure_list(request: HttpRequest) -> HttpResponse:
    """The department's procedures (a superuser's: every one, by department), published or not,
    with the current version and whether a working copy is being edited."""
    procedures = (
        builder.editable_by(signed_in_user(request))
        .select_related("department")
        .annotate(
            published_number=Max(
                "versions__number", filter=Q(versions__published_at__isnull=False)
            ),
            latest_number=Max("versions__number"),
        )
        .order_by("department__order", "department__code", "order", "code")
    )
    return render(
        request,
        "procedures/builder/list.html",
        {"procedures": procedures, "breadcrumbs": _crumbs(None)},
    )


@staff_required(permission=CHANGE)
@GET_POST
def procedure_new(request: HttpRequest) -> HttpResponse:
    """A new procedure: its settings; its form starts from a small starter form."""
    form = ProcedureForm(
        request.POST or None, is_new=True, **_department_choice(signed_in_user(request))
    )
    if request.method == "POST" and form.is_valid():
        try:
            procedure = builder.create_procedure(
                by=signed_in_user(request), code=form.cleaned_data["code"], settings=form.settings()
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("手続きを作りました。様式を作ってください。"))
            return redirect(_editor_url(procedure))
    return render(
        request,
        "procedures/builder/settings.html",
        {"form": form, "procedure": None, "breadcrumbs": _crumbs(None, (_("新しい手続き"), None))},
        status=400 if form.errors else 200,
    )


@procedure_page
@require_GET
def procedure_detail(request: HttpRequest, procedure: Procedure) -> HttpResponse:
    """A procedure at a glance: settings, the working copy, the version history, sharing."""
    return render(
        request,
        "procedures/builder/detail.html",
        {
            "procedure": procedure,
            "current": procedure.current_version(),
            "working": builder.working_copy(procedure),
            "versions": builder.published_versions(procedure),
            "breadcrumbs": _crumbs(procedure),
        },
    )


@procedure_page
@GET_POST
def procedure_settings(request: HttpRequest, procedure: Procedure) -> HttpResponse:
    """Change a procedure's settings; they apply at once."""
    # The form works on its own copy: a refused change must not show as made on the page.
    form = ProcedureForm(
        request.POST or None,
        instance=Procedure.objects.get(pk=procedure.pk),
        is_new=False,
        **_department_choice(signed_in_user(request)),
    )
    if request.method == "POST" and form.is_valid():
        try:
            builder.update_procedure(
                procedure, by=signed_in_user(request), settings=form.settings()
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("手続きの設定を保存しました。"))
            return redirect("procedures:builder_detail", code=procedure.code)
    return render(
        request,
        "procedures/builder/settings.html",
        {
            "form": form,
            "procedure": procedure,
            "breadcrumbs": _crumbs(procedure, (_("手続きの設定"), None)),
        },
        status=400 if form.errors else 200,
    )


# --- the form editor ---------------------------------------------------------------------------


def _editor(
    request: HttpRequest,
    procedure: Procedure,
    *,
    refused: forms.Form | None = None,
    fee_form: FeeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    working = builder.working_copy(procedure)
    version = working or procedure.current_version()
    return render(
        request,
        "procedures/builder/editor.html",
        {
            "procedure": procedure,
            "working": working,
            "version": version,
            **(_outline_context(formdef.parse(version.definition)) if version else {}),
            "fee_form": fee_form
            or FeeForm(
                initial=FeeForm.initial_from(version.definition.get("fee") if version else None)
            ),
            "refused": refused,
            "breadcrumbs": _crumbs(procedure, (_("様式の編集"), None)),
        },
        status=status,
    )


@procedure_page
@require_GET
def editor(request: HttpRequest, procedure: Procedure) -> HttpResponse:
    """The form's sections and fields in order, each with edit / move / remove."""
    return _editor(request, procedure)


def _act(
    request: HttpRequest, procedure: Procedure, action: Any, done: str, anchor: str = ""
) -> Any:
    try:
        action()
    except ValidationError as error:
        return _editor(request, procedure, refused=_refusal(error), status=400)
    messages.success(request, done)
    return redirect(_editor_url(procedure, anchor))


@procedure_page
@require_POST
def start_editing(request: HttpRequest, procedure: Procedure) -> HttpResponse:
    builder.start_working_copy(procedure, by=signed_in_user(request))
    return redirect(_editor_url(procedure))


@procedure_page
@require_POST
def discard(request: HttpRequest, procedure: Procedure) -> HttpResponse:
    return _act(
        request,
        procedure,
        lambda: builder.discard_working_copy(procedure, by=signed_in_user(request)),
        _("編集中の様式を取りやめました。公開中の様式はそのままです。"),
    )


@procedure_page
@require_POST
def fee(request: HttpRequest, procedure: Procedure) -> HttpResponse:
    """手数料の計算 of the working copy."""
    form = FeeForm(request.POST)
    if not form.is_valid():
        return _editor(request, procedure, refused=form, fee_form=form, status=400)
    return _act(
        request,
        procedure,
        lambda: builder.set_fee(procedure, by=signed_in_user(request), fee=form.fee_json()),
        _("手数料の計算を保存しました。"),
        "#fee",
    )


@procedure_page
@GET_POST
def edit_as_json(request: HttpRequest, procedure: Procedure) -> HttpResponse:
    """The working copy's whole definition as JSON, for staff who know the format (上級者向け).
    Saving checks it whole and lists every mistake with where it is; nothing is saved then."""
    definition = builder.definition_to_edit(procedure)
    form = DefinitionForm(request.POST or None, initial=DefinitionForm.initial_from(definition))
    if request.method == "POST" and form.is_valid():
        try:
            builder.replace_definition(
                procedure,
                by=signed_in_user(request),
                text=form.cleaned_data["definition"],
                based_on=form.cleaned_data["based_on"],
            )
        except ValidationError as error:
            form.add_error("definition", error.messages)
        else:
            messages.success(request, _("様式の定義（JSON）を保存しました。"))
            return redirect(_editor_url(procedure))
    return render(
        request,
        "procedures/builder/definition.html",
        {
            "form": form,
            "procedure": procedure,
            "working": builder.working_copy(procedure),
            "breadcrumbs": _crumbs(
                procedure, (_("様式の編集"), _editor_url(procedure)), (_("JSONで編集"), None)
            ),
        },
        status=400 if form.errors else 200,
    )


def _offset(request: HttpRequest) -> int:
    return -1 if request.POST.get("direction") == "up" else 1


@procedure_page
@GET_POST
def section_new(request: HttpRequest, procedure: Procedure) -> HttpResponse:
    form = SectionForm(request.POST or None, is_new=True)
    if request.method == "POST" and form.is_valid():
        section = form.section_json()
        try:
            builder.add_section(procedure, by=signed_in_user(request), section=section)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("セクションを追加しました。"))
            return redirect(_editor_url(procedure, f"#section-{section['key']}"))
    return render(
        request,
        "procedures/builder/section.html",
        {
            "form": form,
            "procedure": procedure,
            "is_new": True,
            "breadcrumbs": _crumbs(
                procedure, (_("様式の編集"), _editor_url(procedure)), (_("セクションを追加"), None)
            ),
        },
        status=400 if form.errors else 200,
    )


def _definition_json(procedure: Procedure) -> dict[str, Any]:
    version = builder.version_to_edit(procedure)
    if version is None:
        raise Http404
    definition: dict[str, Any] = version.definition
    return definition


@procedure_page
@GET_POST
def section_edit(request: HttpRequest, procedure: Procedure, key: str) -> HttpResponse:
    try:
        section = builder.find_section(_definition_json(procedure), key)
    except ValidationError:
        raise Http404 from None
    form = SectionForm(request.POST or None, initial=SectionForm.initial_from(section))
    if request.method == "POST" and form.is_valid():
        changed = form.section_json()
        try:
            builder.edit_section(procedure, by=signed_in_user(request), key=key, section=changed)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("セクションを保存しました。"))
            return redirect(_editor_url(procedure, f"#section-{changed['key']}"))
    return render(
        request,
        "procedures/builder/section.html",
        {
            "form": form,
            "procedure": procedure,
            "is_new": False,
            "section_key": key,
            "breadcrumbs": _crumbs(
                procedure, (_("様式の編集"), _editor_url(procedure)), (_("セクションの編集"), None)
            ),
        },
        status=400 if form.errors else 200,
    )


@procedure_page
@require_POST
def section_move(request: HttpRequest, procedure: Procedure, key: str) -> HttpResponse:
    return _act(
        request,
        procedure,
        lambda: builder.move_section(
            procedure, by=signed_in_user(request), key=key, offset=_offset(request)
        ),
        _("セクションを動かしました。"),
        f"#section-{key}",
    )


@procedure_page
@require_POST
def section_remove(request: HttpRequest, procedure: Procedure, key: str) -> HttpResponse:
    return _act(
        request,
        procedure,
        lambda: builder.remove_section(procedure, by=signed_in_user(request), key=key),
        _("セクションを削除しました。"),
    )


def _field_page(
    request: HttpRequest,
    procedure: Procedure,
    form: FieldForm,
    *,
    section: str,
    group: str | None,
    title: str,
) -> HttpResponse:
    return render(
        request,
        "procedures/builder/field.html",
        {
            "form": form,
            "procedure": procedure,
            "section_key": section,
            "group": group,
            "type_label": FIELD_TYPE_LABELS[form.kind],
            "title": title,
            "breadcrumbs": _crumbs(
                procedure, (_("様式の編集"), _editor_url(procedure)), (title, None)
            ),
        },
        status=400 if form.errors else 200,
    )


@procedure_page
@GET_POST
def field_new(request: HttpRequest, procedure: Procedure, key: str) -> HttpResponse:
    """Add a field of the kind chosen in the editor (?type=…, in a group with ?group=…)."""
    definition = _definition_json(procedure)
    group = request.GET.get("group") or None
    kind = request.GET.get("type", "")
    if kind not in formdef.FIELD_TYPES or (group is not None and kind == "group"):
        raise Http404
    try:
        if group is not None:
            builder.find_field(definition, key, group)
        else:
            builder.find_section(definition, key)
    except ValidationError:
        raise Http404 from None
    form = FieldForm(
        request.POST or None, kind=kind, definition=definition, section=key, group=group
    )
    if request.method == "POST" and form.is_valid():
        field = form.field_json()
        try:
            builder.add_field(
                procedure, by=signed_in_user(request), section=key, group=group, field=field
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("項目を追加しました。"))
            return redirect(_editor_url(procedure, f"#field-{key}-{group or ''}-{field['key']}"))
    return _field_page(request, procedure, form, section=key, group=group, title=_("項目を追加"))


@procedure_page
@GET_POST
def field_edit(request: HttpRequest, procedure: Procedure, key: str, path: str) -> HttpResponse:
    """Edit a field: only the settings its type uses."""
    definition = _definition_json(procedure)
    group, field_key = _field_path(path)
    try:
        current = builder.find_field(definition, key, field_key, group)
    except ValidationError:
        raise Http404 from None
    form = FieldForm(
        request.POST or None,
        initial=FieldForm.initial_from(current),
        kind=current["type"],
        definition=definition,
        section=key,
        group=group,
    )
    if request.method == "POST" and form.is_valid():
        field = form.field_json()
        try:
            builder.edit_field(
                procedure,
                by=signed_in_user(request),
                section=key,
                key=field_key,
                group=group,
                field=field,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("項目を保存しました。"))
            return redirect(_editor_url(procedure, f"#field-{key}-{group or ''}-{field['key']}"))
    return _field_page(request, procedure, form, section=key, group=group, title=_("項目の編集"))


@procedure_page
@require_POST
def field_move(request: HttpRequest, procedure: Procedure, key: str, path: str) -> HttpResponse:
    group, field_key = _field_path(path)
    return _act(
        request,
        procedure,
        lambda: builder.move_field(
            procedure,
            by=signed_in_user(request),
            section=key,
            key=field_key,
            group=group,
            offset=_offset(request),
        ),
        _("項目を動かしました。"),
        f"#field-{key}-{group or ''}-{field_key}",
    )


@procedure_page
@require_POST
def field_remove(request: HttpRequest, procedure: Procedure, key: str, path: str) -> HttpResponse:
    group, field_key = _field_path(path)
    return _act(
        request,
        procedure,
        lambda: builder.remove_field(
            procedure, by=signed_in_user(request), section=key, key=field_key, group=group
        ),
        _("項目を削除しました。"),
        f"#section-{key}",
    )


# --- preview, publishing, versions ------------------------------------------------------------


@procedure_page
@GET_POST
def preview(request: HttpRequest, procedure: Procedure) -> HttpResponse:
    """The working copy as a resident sees it, to try out: sending it checks the answers as the
    real form does, and saves nothing."""
    version = builder.version_to_edit(procedure)
    if version is None:
        raise Http404
    is_post = request.method == "POST"
    filled = engine.build_form(
        version.definition,
        data=request.POST if is_post else None,
        files=request.FILES if is_post else None,
    )
    if is_post and filled.is_valid():
        messages.success(
            request, _("この入力なら申請できます（プレビューなので何も保存していません）。")
        )
    return render(
        request,
        "procedures/builder/preview.html",
        {
            "procedure": procedure,
            "version": version,
            "filled": filled,
            "is_working": version.published_at is None,
            "breadcrumbs": _crumbs(
                procedure, (_("様式の編集"), _editor_url(procedure)), (_("プレビュー"), None)
            ),
        },
    )


@procedure_page
@GET_POST
def publish(request: HttpRequest, procedure: Procedure) -> HttpResponse:
    """Publish the working copy with a note of what changed."""
    working = builder.working_copy(procedure)
    form = PublishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = builder.publish_version(
                procedure, by=signed_in_user(request), note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("第%(number)s版を公開しました。これからの申請はこの版の様式になります。")
                % {"number": version.number},
            )
            return redirect("procedures:builder_detail", code=procedure.code)
    return render(
        request,
        "procedures/builder/publish.html",
        {
            "form": form,
            "procedure": procedure,
            "working": working,
            "current": procedure.current_version(),
            "breadcrumbs": _crumbs(procedure, (_("様式の公開"), None)),
        },
        status=400 if form.errors else 200,
    )


@procedure_page
@require_GET
def version_page(request: HttpRequest, procedure: Procedure, number: int) -> HttpResponse:
    """A published version, read-only: its structure and the form as residents saw it."""
    version: FormVersion = get_object_or_404(
        procedure.versions.select_related("created_by__staff_member"),
        number=number,
        published_at__isnull=False,
    )
    return render(
        request,
        "procedures/builder/version.html",
        {
            "procedure": procedure,
            "version": version,
            "filled": engine.build_form(version.definition),
            **_outline_context(formdef.parse(version.definition)),
            "breadcrumbs": _crumbs(
                procedure, (_("第%(number)s版") % {"number": version.number}, None)
            ),
        },
    )


# --- sharing ---------------------------------------------------------------------------------


@procedure_page
@require_GET
def export(request: HttpRequest, procedure: Procedure) -> HttpResponse:
    """The procedure as a JSON file for another town (書き出す)."""
    try:
        content = builder.export_definition(procedure, by=signed_in_user(request))
    except ValidationError:
        raise Http404 from None
    response = HttpResponse(content, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{procedure.code}.json"'
    return response


def _confirm_form(
    user: User, shared: builder.SharedDefinition, *args: Any, **kwargs: Any
) -> ImportConfirmForm:
    """Only a superuser chooses the department of a new procedure; staff import into their own."""
    return ImportConfirmForm(
        *args, needs_department=shared.existing is None and user.is_superuser, **kwargs
    )


def _import_check(
    request: HttpRequest, shared: builder.SharedDefinition, form: ImportConfirmForm, status: int
) -> HttpResponse:
    user = signed_in_user(request)
    return render(
        request,
        "procedures/builder/import_check.html",
        {
            "shared": shared,
            "form": form,
            "own_department": None if user.is_superuser else builder.own_department(user),
            **_outline_context(formdef.parse(shared.form)),
            "breadcrumbs": _crumbs(
                None,
                (_("様式ファイルの読み込み"), reverse("procedures:builder_import")),
                (_("内容の確認"), None),
            ),
        },
        status=status,
    )


@staff_required(permission=CHANGE)
@GET_POST
def import_file(request: HttpRequest) -> HttpResponse:
    """Upload a shared file; it is checked whole and shown before anything is saved."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"].read()
        try:
            shared = builder.read_shared_definition(content, by=signed_in_user(request))
        except ValidationError as error:
            form.add_error("file", error.messages)
        else:
            confirm = _confirm_form(
                signed_in_user(request), shared, initial={"content": content.decode("utf-8-sig")}
            )
            return _import_check(request, shared, confirm, 200)
    return render(
        request,
        "procedures/builder/import.html",
        {
            "form": form,
            "breadcrumbs": _crumbs(None, (_("様式ファイルの読み込み"), None)),
        },
        status=400 if form.errors else 200,
    )


@staff_required(permission=CHANGE)
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Create the procedure or the working copy from the checked file (never published)."""
    content = request.POST.get("content", "").encode("utf-8")
    try:
        shared = builder.read_shared_definition(content, by=signed_in_user(request))
    except ValidationError as error:
        return render(
            request,
            "procedures/builder/import.html",
            {
                "form": ImportForm(),
                "refused": _refusal(error),
                "breadcrumbs": _crumbs(None, (_("様式ファイルの読み込み"), None)),
            },
            status=400,
        )
    form = _confirm_form(signed_in_user(request), shared, request.POST)
    if form.is_valid():
        try:
            procedure = builder.import_definition(
                content, by=signed_in_user(request), department=form.cleaned_data.get("department")
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("読み込みました。様式は編集中（未公開）です。確かめてから公開してください。"),
            )
            return redirect(_editor_url(procedure))
    return _import_check(request, shared, form, 400)
