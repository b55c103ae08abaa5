"""The residents' side of reports (通報): report a problem in three short steps (what → where →
details), a receipt, each report's public page with its history, comments and 「まだ直っていません」,
one's own reports, and the public list with its map.

Every step works without JavaScript: the map only fills in the latitude and longitude fields that
a resident can otherwise leave empty (an address or landmark is enough)."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yakuba.core import keys
from yakuba.core.models import Municipality
from yakuba.core.permissions import passed_second_factor
from yakuba.modules.reports import queries, services
from yakuba.modules.reports.forms import (
    CommentForm,
    DetailsForm,
    LocationForm,
    ReopenForm,
    ReportFilterForm,
    in_language,
)
from yakuba.modules.reports.models import Category, Report, ReportPhoto, Status
from yakuba.platform.accounts.models import User

# Abuse (issue 6): at most this many reports (and, separately, "still not fixed" notes) an hour
# per account and per IP address. The IP limit is higher: a household, the town hall's kiosk or a
# mobile carrier's shared address may send for several people.
RATE_WINDOW_SECONDS = 3600
RATE_LIMIT_PER_ACCOUNT = 10
RATE_LIMIT_PER_IP = 20
RECEIVED_SESSION_KEY = "reports_received"
GEOJSON = "application/geo+json"
# The deepest zoom of the base map tiles (地理院タイル go to 18; Leaflet allows a little more).
MAX_ZOOM = 22


# --- helpers -------------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def _apply_errors(form: BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form (its messages name the field they are about)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _rate_limits(request: HttpRequest, action: str) -> list[tuple[str, int]]:
    limits = getattr(settings, "REPORTS_RATE_LIMITS", {})
    per_account = int(limits.get("account", RATE_LIMIT_PER_ACCOUNT))
    per_ip = int(limits.get("ip", RATE_LIMIT_PER_IP))
    names = [(f"reports:{action}:ip:{request.META.get('REMOTE_ADDR', '')}", per_ip)]
    user = _user(request)
    if user is not None:
        names.append((f"reports:{action}:user:{user.pk}", per_account))
    return names


def _is_over_rate_limit(request: HttpRequest, action: str) -> bool:
    return any(
        keys.count_so_far(name, window_seconds=RATE_WINDOW_SECONDS) >= limit
        for name, limit in _rate_limits(request, action)
    )


def _count_for_rate_limit(request: HttpRequest, action: str) -> None:
    """Count one accepted send (only accepted ones: a form that keeps failing locks nobody out)."""
    for name, _limit in _rate_limits(request, action):
        keys.count_one(name, window_seconds=RATE_WINDOW_SECONDS)


def _too_many(request: HttpRequest) -> HttpResponse:
    seconds_left = keys.seconds_left(RATE_WINDOW_SECONDS)
    response = render(
        request,
        "reports/too_many.html",
        {"minutes": max(1, math.ceil(seconds_left / 60)), "breadcrumbs": _crumbs()},
        status=429,
    )
    response["Retry-After"] = str(seconds_left)
    return response


def _crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(_("町への通報"), reverse("reports:list")), *rest]


def map_settings() -> dict[str, Any]:
    """The map's centre and background, for the templates' data- attributes."""
    town = Municipality.current()
    return {
        "map_latitude": town.map_center_latitude if town else 38.037,
        "map_longitude": town.map_center_longitude if town else 140.853,
        "map_zoom": town.map_zoom if town else 13,
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }


def _category_for_reporting(code: str) -> Category:
    return get_object_or_404(
        Category.objects.prefetch_related("attributes"), code=code, is_active=True
    )


def _closed(request: HttpRequest, category: Category) -> HttpResponse:
    return render(
        request,
        "reports/closed.html",
        {"category": category, "breadcrumbs": _crumbs((_("通報する"), reverse("reports:new")))},
        status=410,
    )


# --- reporting: what → where → details → receipt -------------------------------------------------


@require_GET
def choose_category(request: HttpRequest) -> HttpResponse:
    """Step 1: what is wrong (big buttons with a picture; campaigns first)."""
    return render(
        request,
        "reports/new_category.html",
        {
            "choice": queries.categories_open_on(timezone.localdate()),
            "breadcrumbs": _crumbs((_("通報する"), None)),
        },
    )


def _new_crumbs(category: Category) -> list[tuple[str, str | None]]:
    return _crumbs((_("通報する"), reverse("reports:new")), (category.name, None))


@require_http_methods(["GET", "POST"])
def choose_location(request: HttpRequest, code: str) -> HttpResponse:
    """Step 2: where. When open reports of the same kind are close by, ask "is it one of these?"
    first (もしかしてこれですか？); `confirmed` on the second submit goes on to the details."""
    category = _category_for_reporting(code)
    if not category.is_open_on(timezone.localdate()):
        return _closed(request, category)
    if request.method == "POST":
        form = LocationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            nearby: list[services.Nearby] = []
            if form.has_pin() and not request.POST.get("confirmed"):
                nearby = services.nearby_open_reports(category, data["latitude"], data["longitude"])
            if nearby:
                return render(
                    request,
                    "reports/new_nearby.html",
                    {
                        "category": category,
                        "location": form,
                        "nearby": nearby,
                        "comment_form": CommentForm(),
                        "breadcrumbs": _new_crumbs(category),
                    },
                )
            details = DetailsForm(
                category=category,
                is_signed_in=_user(request) is not None,
                initial={
                    "latitude": data["latitude"],
                    "longitude": data["longitude"],
                    "address_string": data["address_string"],
                },
            )
            return _details_page(request, category, details, district=data.get("district"))
    else:
        # "場所を選び直す" from the details step comes back with what was chosen.
        form = LocationForm(
            initial={k: request.GET.get(k, "") for k in ("latitude", "longitude", "address_string")}
        )
    return render(
        request,
        "reports/new_location.html",
        {
            "category": category,
            "form": form,
            "breadcrumbs": _new_crumbs(category),
            **map_settings(),
        },
    )


def _details_page(
    request: HttpRequest,
    category: Category,
    form: DetailsForm,
    *,
    district: Any = None,
    photos_dropped: bool = False,
) -> HttpResponse:
    # What the resident chose, as text: from the hidden fields when the form comes back.
    location = {
        name: str(value)
        for name in ("latitude", "longitude", "address_string")
        if (value := form.data.get(name) if form.is_bound else form.initial.get(name))
        not in (None, "")
    }
    change_location = reverse("reports:new_location", args=[category.code])
    if location:
        change_location += "?" + urlencode(location)
    return render(
        request,
        "reports/new_details.html",
        {
            "category": category,
            "form": form,
            "location": location,
            "district": district,
            "change_location_url": change_location,
            "photos_dropped": photos_dropped,
            "max_photos": services.MAX_PHOTOS,
            "breadcrumbs": _new_crumbs(category),
        },
    )


@require_http_methods(["GET", "POST"])
def send_report(request: HttpRequest, code: str) -> HttpResponse:
    """Step 3: photos, description, questions, contact — and send (通報する)."""
    category = _category_for_reporting(code)
    if request.method == "GET":
        return redirect("reports:new_location", code=category.code)
    user = _user(request)
    form = DetailsForm(
        request.POST, request.FILES, category=category, is_signed_in=user is not None
    )
    if form.is_valid():
        if _is_over_rate_limit(request, "report"):
            return _too_many(request)
        data = form.cleaned_data
        try:
            report = services.submit_report(
                category=category,
                description=data["description"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                address_string=data["address_string"] or "",
                attributes=form.answers(),
                photos=data["photos"],
                reporter=user,
                reporter_email=data.get("reporter_email", ""),
                reporter_name=data.get("reporter_name", ""),
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            _count_for_rate_limit(request, "report")
            received = request.session.get(RECEIVED_SESSION_KEY, [])
            request.session[RECEIVED_SESSION_KEY] = [*received[-9:], report.pk]
            return redirect("reports:received", pk=report.pk)
    # Files never survive a page reload: say so when the resident had chosen some.
    return _details_page(
        request, category, form, photos_dropped=bool(request.FILES.getlist("photos"))
    )


@require_GET
def received(request: HttpRequest, pk: int) -> HttpResponse:
    """The receipt (受付番号): only in the session that sent the report; others see the report."""
    if pk not in request.session.get(RECEIVED_SESSION_KEY, []):
        return redirect("reports:detail", pk=pk)
    report = get_object_or_404(Report.objects.select_related("category", "district"), pk=pk)
    return render(
        request,
        "reports/received.html",
        {"report": report, "breadcrumbs": _crumbs((_("受け付けました"), None))},
    )


# --- a report's page ------------------------------------------------------------------------------


def _public_report(pk: int) -> Report | HttpResponseRedirect:
    """The report if the public may see it; a merged one sends to the report it joined."""
    report = get_object_or_404(
        Report.objects.select_related("category", "district", "department", "merged_into"), pk=pk
    )
    if report.is_hidden:
        raise Http404
    if report.merged_into is not None:
        target = report.merged_into
        # Merged into one that is itself merged or hidden: follow a few steps, never loop.
        for _step in range(5):
            if target.merged_into_id is None:
                break
            target = Report.objects.get(pk=target.merged_into_id)
        if not target.is_public:
            raise Http404
        return redirect("reports:detail", pk=target.pk)
    return report


def _detail_page(
    request: HttpRequest,
    report: Report,
    *,
    comment_form: CommentForm | None = None,
    reopen_form: ReopenForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    return render(
        request,
        "reports/detail.html",
        {
            "report": report,
            "updates": queries.public_updates(report),
            "photos": queries.visible_photos(report, user),
            "answers": _answers(report),
            "is_reporter": user.is_authenticated and report.reporter_id == user.pk,
            "can_reopen": report.status == Status.FIXED,
            "comment_form": comment_form or CommentForm(),
            "reopen_form": reopen_form or ReopenForm(),
            "failed_form": comment_form if comment_form is not None else reopen_form,
            "breadcrumbs": _crumbs((_("通報 #%(number)s") % {"number": report.pk}, None)),
            **map_settings(),
        },
        status=status,
    )


def _answers(report: Report) -> list[tuple[str, str]]:
    """The answers to the category's questions, as (question, answer) in the reader's language."""
    rows = []
    for attribute in report.category.attributes.all():
        if attribute.automated or attribute.code not in report.attributes:
            continue
        value = report.attributes[attribute.code]
        values = value if isinstance(value, list) else [value]
        if attribute.is_list:
            names = {
                str(v["key"]): in_language(str(v.get("name", v["key"])), str(v.get("name_en", "")))
                for v in attribute.values
            }
            values = [names.get(str(v), str(v)) for v in values]
        rows.append(
            (
                in_language(attribute.description, attribute.description_en),
                "、".join(str(v) for v in values),
            )
        )
    return rows


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A report's public page: what, where, status, public history, reviewed photos."""
    report = _public_report(pk)
    if isinstance(report, HttpResponseRedirect):
        return report
    return _detail_page(request, report)


@login_required
@require_POST
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a comment (and a photo) to a report: anyone signed in."""
    report = _public_report(pk)
    if isinstance(report, HttpResponseRedirect):
        return report
    form = CommentForm(request.POST, request.FILES)
    if form.is_valid():
        if _is_over_rate_limit(request, "comment"):
            return _too_many(request)
        try:
            services.add_comment(
                report,
                by=_user(request),
                note=form.cleaned_data["note"],
                photo=form.cleaned_data["photo"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            _count_for_rate_limit(request, "comment")
            messages.success(request, _("コメントを送りました。ありがとうございます。"))
            return redirect(reverse("reports:detail", args=[report.pk]) + "#history")
    return _detail_page(request, report, comment_form=form)


@require_POST
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """「まだ直っていません」: anyone, signed in or not, may say a fixed report is not fixed."""
    report = _public_report(pk)
    if isinstance(report, HttpResponseRedirect):
        return report
    form = ReopenForm(request.POST)
    if form.is_valid():
        if _is_over_rate_limit(request, "reopen"):
            return _too_many(request)
        try:
            services.reopen(report, by=_user(request), note=form.cleaned_data["note"])
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            _count_for_rate_limit(request, "reopen")
            messages.success(
                request, _("「まだ直っていない」とお知らせしました。担当の課がもう一度確認します。")
            )
            return redirect(reverse("reports:detail", args=[report.pk]) + "#history")
    return _detail_page(request, report, reopen_form=form)


def _is_reviewing_staff(request: HttpRequest) -> bool:
    """Staff who may see reports, past the console's second factor when it is required."""
    user = request.user
    return bool(
        user.is_authenticated
        and user.is_staff
        and user.has_perm("reports.view_report")
        and (not settings.STAFF_REQUIRE_MFA or passed_second_factor(request))
    )


@require_GET
def photo(request: HttpRequest, pk: int, size: str = "full") -> FileResponse:
    """A report photo's file, never by its storage path: public ones to all, the reporter's own
    under review to them, all to staff who may see reports."""
    item = get_object_or_404(ReportPhoto.objects.select_related("report"), pk=pk)
    if not (_is_reviewing_staff(request) or queries.may_see_photo(item, request.user)):
        # The same answer as a missing photo: ids must not tell what exists.
        raise Http404
    file = item.thumbnail if size == "thumbnail" else item.image
    try:
        handle = file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(handle, content_type="image/jpeg")
    # Not shared caches: a photo may be taken down after review.
    response["Cache-Control"] = "private, max-age=600"
    return response


# --- lists ---------------------------------------------------------------------------------------


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """The resident's own reports and where each stands (自分の通報)."""
    user = _user(request)
    assert user is not None  # noqa: S101 - login_required ran before
    page = Paginator(queries.reports_of(user), queries.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/mine.html",
        {
            "page": page,
            "breadcrumbs": [
                (_("マイページ"), reverse("accounts:my_page")),
                (_("自分の通報"), None),
            ],
        },
    )


@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    """Public list and map of reports (no personal data), with filters."""
    form = ReportFilterForm(request.GET or None)
    filters = form.filters()
    page = Paginator(queries.public_list(**filters), queries.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    geojson_url = reverse("reports:geojson")
    if filters:
        geojson_url += "?" + urlencode(filters)
    return render(
        request,
        "reports/list.html",
        {
            "form": form,
            "page": page,
            "geojson_url": geojson_url,
            "breadcrumbs": [(_("町への通報"), None)],
            **map_settings(),
        },
    )


def parse_bbox(value: str) -> tuple[float, float, float, float]:
    try:
        west, south, east, north = (float(part) for part in value.split(","))
    except ValueError:
        raise ValidationError(_("bboxは「西,南,東,北」の4つの数で指定してください。")) from None
    if not all(math.isfinite(v) for v in (west, south, east, north)) or not (
        -180 <= west <= east <= 180 and -90 <= south <= north <= 90
    ):
        raise ValidationError(_("bboxの範囲が正しくありません。"))
    return west, south, east, north


def map_view(request: HttpRequest) -> tuple[tuple[float, float, float, float] | None, int | None]:
    """The map's `?bbox=west,south,east,north` and `?zoom=` (0–22, for grouping), both optional."""
    bbox = parse_bbox(request.GET["bbox"]) if request.GET.get("bbox") else None
    zoom = None
    if request.GET.get("zoom"):
        try:
            zoom = int(request.GET["zoom"])
        except ValueError:
            zoom = -1
        if not 0 <= zoom <= MAX_ZOOM:
            raise ValidationError(
                _("zoomは0から%(max)dまでの整数で指定してください。") % {"max": MAX_ZOOM}
            )
    return bbox, zoom


@require_GET
def geojson(request: HttpRequest) -> JsonResponse:
    """Public reports in `?bbox=` as GeoJSON with the list's filters — at most 1,000, newest
    first, or grouped when `?zoom=` is below CLUSTER_BELOW_ZOOM; the list page's map reads it."""
    try:
        bbox, zoom = map_view(request)
    except ValidationError as error:
        return JsonResponse({"error": error.messages[0]}, status=400)
    form = ReportFilterForm(request.GET)
    reports = queries.filter_reports(services.public_reports(), **form.filters())
    response = JsonResponse(
        queries.map_features(reports, bbox=bbox, zoom=zoom),
        json_dumps_params={"ensure_ascii": False},
    )
    response["Content-Type"] = GEOJSON
    return response
