"""Places pages: the residents' facility and shelter finder, and the staff register of places."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from yakuba.core.permissions import staff_required
from yakuba.platform.places import queries, services
from yakuba.platform.places.forms import PlaceForm, PlaceSearchForm, UploadForm
from yakuba.platform.places.models import Place

GEOJSON = "application/geo+json"


def _page(request: HttpRequest, items: QuerySet[Any]) -> Page[Any]:
    """The requested page (components/pagination.html keeps the filters in its links)."""
    return Paginator(items, queries.PAGE_SIZE).get_page(request.GET.get("page"))


# --- Residents -----------------------------------------------------------------------------------


@require_GET
def place_list(request: HttpRequest) -> HttpResponse:
    """Find a facility, shelter, AED… by kind, district or name (施設・避難所を探す)."""
    form = PlaceSearchForm(request.GET or None)
    places = queries.filter_places(queries.public_places(), **form.filters())
    page = _page(request, places)
    return render(
        request,
        "places/place_list.html",
        {
            "form": form,
            "page": page,
            "breadcrumbs": [(_("施設・避難所を探す"), None)],
        },
    )


@require_GET
def place_detail(request: HttpRequest, code: str) -> HttpResponse:
    """Everything a resident needs to go to a place: where, when, how accessible, whom to call."""
    place = get_object_or_404(queries.public_places(), code=code)
    return render(
        request,
        "places/place_detail.html",
        {
            "place": place,
            "breadcrumbs": [
                (_("施設・避難所を探す"), reverse("places:list")),
                (place.localized_name, None),
            ],
        },
    )


def _geojson(collection: dict[str, Any]) -> JsonResponse:
    response = JsonResponse(collection, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = GEOJSON
    return response


@require_GET
def places_geojson(request: HttpRequest, kind: str = "") -> JsonResponse:
    """Public places as GeoJSON (the map layers); ?kind= or /geojson/<kind>/ for one kind."""
    kind = kind or request.GET.get("kind", "")
    if kind and not queries.is_kind(kind):
        raise Http404
    places = queries.filter_places(queries.public_places(), kind=kind)
    return _geojson(queries.places_feature_collection(places))


@require_GET
def districts_geojson(request: HttpRequest) -> JsonResponse:
    """The districts (行政区) and their boundaries as GeoJSON."""
    return _geojson(services.export_districts_geojson())


# --- Staff ---------------------------------------------------------------------------------------


def _staff_crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("職員メニュー"), reverse("core:staff_home")),
        (_("場所の管理"), reverse("places:staff_list")),
        *rest,
    ]


@staff_required(permission="places.view_place")
@require_GET
def staff_place_list(request: HttpRequest) -> HttpResponse:
    """Every place, public or not, with the same filters residents have."""
    form = PlaceSearchForm(request.GET or None)
    places = queries.filter_places(queries.all_places(), **form.filters())
    page = _page(request, places)
    return render(
        request,
        "places/staff/place_list.html",
        {
            "form": form,
            "page": page,
            "breadcrumbs": [
                (_("職員メニュー"), reverse("core:staff_home")),
                (_("場所の管理"), None),
            ],
        },
    )


def _apply_errors(form: PlaceForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields, or at the top when it has no field."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


@staff_required(permission="places.add_place")
@require_http_methods(["GET", "POST"])
def staff_place_create(request: HttpRequest) -> HttpResponse:
    """Register a place."""
    form = PlaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            place = services.create_place(by=request.user, **form.values())
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("「%(name)s」を登録しました。") % {"name": place.name})
            return redirect("places:staff_list")
    return render(
        request,
        "places/staff/place_form.html",
        {
            "form": form,
            "title": _("場所を登録"),
            "breadcrumbs": _staff_crumbs((_("場所を登録"), None)),
        },
    )


@staff_required(permission="places.change_place")
@require_http_methods(["GET", "POST"])
def staff_place_edit(request: HttpRequest, code: str) -> HttpResponse:
    """Change a place."""
    place = get_object_or_404(Place, code=code)
    # The form validates a copy, so a rejected edit never half-changes the object we render.
    form = PlaceForm(request.POST or None, instance=Place.objects.get(pk=place.pk))
    if request.method == "POST" and form.is_valid():
        try:
            place = services.update_place(place, by=request.user, **form.values())
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("「%(name)s」を変更しました。") % {"name": place.name})
            return redirect("places:staff_list")
    title = _("「%(name)s」を変更") % {"name": place.name}
    return render(
        request,
        "places/staff/place_form.html",
        {"form": form, "place": place, "title": title, "breadcrumbs": _staff_crumbs((title, None))},
    )


@staff_required(permission="places.delete_place")
@require_http_methods(["GET", "POST"])
def staff_place_delete(request: HttpRequest, code: str) -> HttpResponse:
    """Remove a place, after a confirmation page."""
    place = get_object_or_404(Place, code=code)
    if request.method == "POST":
        name = place.name
        services.delete_place(place, by=request.user)
        messages.success(request, _("「%(name)s」を削除しました。") % {"name": name})
        return redirect("places:staff_list")
    return render(
        request,
        "places/staff/place_confirm_delete.html",
        {"place": place, "breadcrumbs": _staff_crumbs((_("場所を削除"), None))},
    )


@staff_required(permission="places.add_place")
@require_http_methods(["GET", "POST"])
def staff_import(request: HttpRequest) -> HttpResponse:
    """Upload the places CSV; every bad row is listed, and nothing is saved until all are right."""
    if not request.user.has_perm("places.change_place"):
        raise PermissionDenied
    hint = _("UTF-8またはShift_JISのCSV。見出しは「CSVを書き出す」のファイルと同じです。")
    form = UploadForm(request.POST or None, request.FILES or None, accept=".csv", hint=hint)
    result = None
    if request.method == "POST" and form.is_valid():
        result = services.import_places_csv(form.cleaned_data["file"], by=request.user)
        if result.is_ok:
            messages.success(
                request,
                _("%(count)d件を取り込みました（新規%(created)d件、更新%(updated)d件）。")
                % {"count": result.imported, "created": result.created, "updated": result.updated},
            )
            return redirect("places:staff_list")
    return render(
        request,
        "places/staff/import.html",
        {
            "form": form,
            "result": result,
            "breadcrumbs": _staff_crumbs((_("CSVを取り込む"), None)),
        },
    )


@staff_required(permission="places.view_place")
@require_GET
def staff_export(request: HttpRequest) -> HttpResponse:
    """Download every place as CSV (UTF-8 with BOM, opens in Excel)."""
    stamp = timezone.localtime().strftime("%Y%m%d")
    response = HttpResponse(services.export_places_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="places-{stamp}.csv"'
    return response


@staff_required(permission="places.view_district")
@require_http_methods(["GET", "POST"])
def staff_district_list(request: HttpRequest) -> HttpResponse:
    """The districts, with their GeoJSON download and upload."""
    can_import = request.user.has_perm("places.add_district") and request.user.has_perm(
        "places.change_district"
    )
    hint = _("GeoJSONのFeatureCollection。各地物のpropertiesにcodeとnameが必要です。")
    form = UploadForm(
        request.POST or None, request.FILES or None, accept=".geojson,.json", hint=hint
    )
    result = None
    if request.method == "POST":
        if not can_import:
            raise PermissionDenied
        if form.is_valid():
            result = services.import_districts_geojson(form.cleaned_data["file"], by=request.user)
            if result.is_ok:
                messages.success(
                    request, _("%(count)d件を取り込みました。") % {"count": result.imported}
                )
                return redirect("places:staff_districts")
    page = _page(request, queries.district_names())
    return render(
        request,
        "places/staff/district_list.html",
        {
            "page": page,
            "form": form if can_import else None,
            "result": result,
            "breadcrumbs": _staff_crumbs((_("行政区"), None)),
        },
    )


@staff_required(permission="places.view_district")
@require_GET
def staff_district_export(request: HttpRequest) -> JsonResponse:
    """Download the districts as a GeoJSON file."""
    response = _geojson(services.export_districts_geojson())
    response["Content-Disposition"] = 'attachment; filename="districts.geojson"'
    return response
