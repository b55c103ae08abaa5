"""The staff's open-data pages (オープンデータの管理): the datasets in every state, a dataset's
metadata, file uploads with their check page, publishing and deleting.

Everything needs opendata.change_dataset. Every change is a POST that redirects (Post/Redirect/
Get); a refused one shows the form again with the error summary and saves nothing. Files of
generated datasets (`Dataset.source`) are written by the platform: staff edit their metadata only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.forms import BaseForm
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yakuba.core.permissions import staff_required
from yakuba.core.standard_datasets import STANDARD_DATASETS, ColumnType
from yakuba.modules.opendata import services, uploads
from yakuba.modules.opendata.models import Dataset, Resource, ResourceVersion, Upload
from yakuba.modules.opendata.staff_forms import (
    DatasetFilterForm,
    DatasetForm,
    DeleteDatasetForm,
    PublishUploadForm,
    UploadForm,
)
from yakuba.platform.accounts.models import StaffMember
from yakuba.platform.accounts.requests import signed_in_user

PERMISSION = "opendata.change_dataset"
PAGE_SIZE = 50
RECENT_UPLOADS = 10


def _crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("職員メニュー"), reverse("core:staff_home")),
        (_("オープンデータの管理"), reverse("opendata:staff_list") if rest else None),
        *rest,
    ]


def _dataset_crumbs(
    dataset: Dataset, *rest: tuple[str, str | None]
) -> list[tuple[str, str | None]]:
    url = reverse("opendata:staff_dataset", args=[dataset.pk]) if rest else None
    return _crumbs((dataset.title, url), *rest)


def _apply_errors(form: BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form (its messages name the field they are about)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _dataset(pk: Any) -> Dataset:
    return get_object_or_404(Dataset.objects.select_related("department"), pk=pk)


# --- the list ------------------------------------------------------------------------------------


@staff_required(permission=PERMISSION)
@require_GET
def dataset_list(request: HttpRequest) -> HttpResponse:
    """Every dataset, drafts and deleted ones included, with filters (データセットの一覧)."""
    form = DatasetFilterForm(request.GET or None)
    datasets = form.datasets().annotate(resource_count=Count("resources", distinct=True))
    page = Paginator(datasets, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "opendata/staff/list.html",
        {"form": form, "page": page, "breadcrumbs": _crumbs()},
    )


# --- a dataset's metadata ------------------------------------------------------------------------


def _save_dataset(
    request: HttpRequest, dataset: Dataset | None, form: DatasetForm
) -> Dataset | None:
    if not form.is_valid():
        return None
    fields = dict(form.cleaned_data)
    groups, tags = fields.pop("groups", None), fields.pop("tags")
    try:
        return services.save_dataset(
            dataset, by=signed_in_user(request), groups=groups, tags=tags, **fields
        )
    except ValidationError as error:
        _apply_errors(form, error)
        return None


@staff_required(permission=PERMISSION)
@require_http_methods(["GET", "POST"])
def dataset_new(request: HttpRequest) -> HttpResponse:
    """Register a dataset (データセットの登録); it is a draft until published."""
    staff = (
        StaffMember.objects.filter(user=signed_in_user(request))
        .select_related("department")
        .first()
    )
    form = DatasetForm(
        request.POST or None,
        initial={"department": staff.department if staff else None},
    )
    if request.method == "POST":
        dataset = _save_dataset(request, None, form)
        if dataset is not None:
            messages.success(
                request,
                _(
                    "データセット「%(title)s」を下書きとして登録しました。ファイルを取り込んでください。"
                )
                % {"title": dataset.title},
            )
            return redirect("opendata:staff_dataset", pk=dataset.pk)
    return render(
        request,
        "opendata/staff/dataset_form.html",
        {"form": form, "breadcrumbs": _crumbs((_("データセットを登録"), None))},
    )


@staff_required(permission=PERMISSION)
@require_http_methods(["GET", "POST"])
def dataset_edit(request: HttpRequest, pk: Any) -> HttpResponse:
    """Change a dataset's metadata (データセットの情報の変更)."""
    dataset = _dataset(pk)
    form = DatasetForm(
        request.POST or None,
        instance=_dataset(pk),  # a copy: the service compares against `dataset` for the audit
        is_generated=bool(dataset.source),
    )
    if request.method == "POST":
        saved = _save_dataset(request, dataset, form)
        if saved is not None:
            messages.success(request, _("データセットの情報を保存しました。"))
            return redirect("opendata:staff_dataset", pk=saved.pk)
    return render(
        request,
        "opendata/staff/dataset_form.html",
        {
            "form": form,
            "dataset": dataset,
            "breadcrumbs": _dataset_crumbs(dataset, (_("情報を変更"), None)),
        },
    )


# --- a dataset's page ----------------------------------------------------------------------------


@staff_required(permission=PERMISSION)
@require_GET
def dataset_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    """A dataset as staff see it: its state, metadata, files with every version, and uploads."""
    dataset = _dataset(pk)
    resources = dataset.resources.prefetch_related(
        Prefetch("versions", queryset=ResourceVersion.objects.order_by("-number"))
    )
    has_files = any(resource.versions.all() for resource in resources)
    return render(
        request,
        "opendata/staff/dataset.html",
        {
            "dataset": dataset,
            "resources": resources,
            "groups": dataset.groups.all(),
            "tags": dataset.tags.all(),
            "standard": STANDARD_DATASETS.get(dataset.standard),
            "uploads": dataset.uploads.select_related("resource", "published_version")[
                :RECENT_UPLOADS
            ],
            "can_take_files": uploads.can_take_files(dataset),
            "can_publish": dataset.state == Dataset.State.DRAFT and has_files,
            "has_files": has_files,
            "breadcrumbs": _crumbs((dataset.title, None)),
        },
    )


@staff_required(permission=PERMISSION)
@require_GET
def version_file(request: HttpRequest, resource_id: Any, number: int) -> FileResponse:
    """A version's file for staff, drafts included (the public download hides drafts)."""
    version = get_object_or_404(
        ResourceVersion.objects.select_related("resource__dataset"),
        resource_id=resource_id,
        number=number,
    )
    if not version.file:
        raise Http404
    try:
        handle = version.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    extension = services.EXTENSIONS[Resource.Format(version.resource.format)]
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{version.resource.dataset.name}_v{version.number}.{extension}",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required(permission=PERMISSION)
@require_POST
def dataset_publish(request: HttpRequest, pk: Any) -> HttpResponse:
    """Make a draft public (公開)."""
    dataset = _dataset(pk)
    try:
        services.publish_dataset(dataset, by=signed_in_user(request))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("データセット「%(title)s」を公開しました。") % {"title": dataset.title},
        )
    return redirect("opendata:staff_dataset", pk=dataset.pk)


@staff_required(permission=PERMISSION)
@require_http_methods(["GET", "POST"])
def dataset_delete(request: HttpRequest, pk: Any) -> HttpResponse:
    """Delete a dataset with a reason, after a confirmation page; a tombstone stays (削除)."""
    dataset = _dataset(pk)
    if dataset.state == Dataset.State.DELETED:
        messages.info(request, _("このデータセットはすでに削除されています。"))
        return redirect("opendata:staff_dataset", pk=dataset.pk)
    form = DeleteDatasetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.delete_dataset(
                dataset, by=signed_in_user(request), reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request,
                _("データセット「%(title)s」を削除しました。") % {"title": dataset.title},
            )
            return redirect("opendata:staff_dataset", pk=dataset.pk)
    return render(
        request,
        "opendata/staff/delete.html",
        {
            "dataset": dataset,
            "form": form,
            "breadcrumbs": _dataset_crumbs(dataset, (_("削除"), None)),
        },
    )


# --- uploads -------------------------------------------------------------------------------------


@staff_required(permission=PERMISSION)
@require_http_methods(["GET", "POST"])
def upload_new(request: HttpRequest, pk: Any) -> HttpResponse:
    """Upload a file to check (ファイルの取り込み): a new file of the dataset or a replacement."""
    dataset = _dataset(pk)
    resources = dataset.resources.all()
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        resources=resources,
        initial={"resource": request.GET.get("resource", "")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            upload = uploads.check_upload(
                dataset,
                form.cleaned_data["file"],
                by=signed_in_user(request),
                resource=form.cleaned_data["resource"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            return redirect("opendata:staff_upload", pk=dataset.pk, upload_id=upload.pk)
    return render(
        request,
        "opendata/staff/upload.html",
        {
            "dataset": dataset,
            "form": form,
            "can_take_files": uploads.can_take_files(dataset),
            "standard": STANDARD_DATASETS.get(dataset.standard),
            "breadcrumbs": _dataset_crumbs(dataset, (_("ファイルを取り込む"), None)),
        },
    )


def _encoding_name(encoding: str) -> str:
    """The name staff know a file's encoding (文字コード) by, as Excel and Notepad call it."""
    names = {"utf-8-sig": _("UTF-8（BOM付き）"), "utf-8": "UTF-8", "cp932": "Shift_JIS"}
    return names.get(encoding, encoding)


def _column_type_names() -> dict[str, str]:
    return {
        ColumnType.TEXT: _("文字列"),
        ColumnType.INTEGER: _("整数"),
        ColumnType.DECIMAL: _("数値"),
        ColumnType.DATE: _("日付（YYYY-MM-DD）"),
        ColumnType.TIME: _("時刻（hh:mm）"),
        ColumnType.LATITUDE: _("緯度（10進数の度）"),
        ColumnType.LONGITUDE: _("経度（10進数の度）"),
        ColumnType.MUNICIPALITY_CODE: _("全国地方公共団体コード（6桁）"),
        ColumnType.POSTAL_CODE: _("郵便番号"),
        ColumnType.PHONE: _("電話番号"),
        ColumnType.URL: _("URL"),
        ColumnType.EMAIL: _("メールアドレス"),
    }


@dataclass
class Column:
    name: str
    type_name: str
    required: bool
    description: str


def _upload(dataset: Dataset, upload_id: int) -> Upload:
    return get_object_or_404(
        Upload.objects.select_related("dataset", "resource", "published_version", "created_by"),
        dataset=dataset,
        pk=upload_id,
    )


def _check_page(
    request: HttpRequest,
    dataset: Dataset,
    upload: Upload,
    form: PublishUploadForm | None = None,
) -> HttpResponse:
    is_table = uploads.upload_format(upload) in (Resource.Format.CSV, Resource.Format.XLSX)
    header, rows = uploads.preview_rows(upload) if is_table else ([], [])
    type_names = _column_type_names()
    errors = uploads.error_count(upload)
    publishable = uploads.can_publish(upload)
    if form is None and publishable:
        form = PublishUploadForm(
            is_new_resource=upload.resource is None,
            initial={"name": dataset.title if not dataset.resources.exists() else ""},
        )
    return render(
        request,
        "opendata/staff/check.html",
        {
            "dataset": dataset,
            "upload": upload,
            "format": uploads.upload_format(upload),
            "is_table": is_table,
            "encoding": _encoding_name(upload.encoding),
            "standard": STANDARD_DATASETS.get(upload.standard),
            "error_count": errors,
            "warning_count": len(upload.problems) - errors,
            "columns": [
                Column(
                    column["name"],
                    type_names.get(column["type"], column["type"]),
                    column["required"],
                    column.get("description", ""),
                )
                for column in upload.columns
            ],
            "header": header,
            "rows": rows,
            "preview_limit": uploads.PREVIEW_ROWS,
            "publishable": publishable,
            # Shown for its error summary even when publishing is no longer possible.
            "form": form,
            "breadcrumbs": _dataset_crumbs(dataset, (_("取り込んだファイルの確認"), None)),
        },
    )


@staff_required(permission=PERMISSION)
@require_GET
def upload_check(request: HttpRequest, pk: Any, upload_id: int) -> HttpResponse:
    """The check of an uploaded file (取り込んだファイルの確認): encoding, rows, every problem by
    row and column, the first rows and the columns; publishing when nothing is wrong."""
    dataset = _dataset(pk)
    return _check_page(request, dataset, _upload(dataset, upload_id))


@staff_required(permission=PERMISSION)
@require_POST
def upload_publish(request: HttpRequest, pk: Any, upload_id: int) -> HttpResponse:
    """Publish a checked upload as the next version of its file (ファイルの公開)."""
    dataset = _dataset(pk)
    upload = _upload(dataset, upload_id)
    if upload.published_version is not None:
        # A second click, or the page sent again: it was published once, by the first.
        messages.info(
            request,
            _("このファイルは第%(number)d版として公開済みです。")
            % {"number": upload.published_version.number},
        )
        return redirect("opendata:staff_dataset", pk=dataset.pk)
    form = PublishUploadForm(request.POST, is_new_resource=upload.resource is None)
    if not form.is_valid():
        return _check_page(request, dataset, upload, form)
    try:
        version = uploads.publish_upload(upload, by=signed_in_user(request), **form.cleaned_data)
    except ValidationError as error:
        _apply_errors(form, error)
        upload.refresh_from_db()
        return _check_page(request, dataset, upload, form)
    if version is None:
        messages.info(
            request,
            _("公開中のファイルと同じ内容のため、新しい版は作りませんでした。"),
        )
    else:
        messages.success(
            request,
            _("「%(name)s」の第%(number)d版を公開しました。")
            % {"name": version.resource.name, "number": version.number},
        )
        if dataset.state == Dataset.State.DRAFT:
            messages.info(
                request,
                _(
                    "データセットはまだ下書きです。内容を確かめて「データセットを公開する」を押してください。"
                ),
            )
    return redirect("opendata:staff_dataset", pk=dataset.pk)
