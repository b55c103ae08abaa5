"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2), mounted at /open311/v2/.

The seven methods of the frozen standard — discovery, services, services/{code}, POST requests,
tokens/{token}, GET requests, GET requests/{id} — and the two de-facto extensions FixMyStreet-family
clients use: `servicerequestupdates` (GET and POST, mySociety's Open311 update extension) and the
attribute flag `automated` (server_set / hidden_field) in service definitions.

Every method answers in XML (mandatory in the spec) or JSON, chosen by the extension as the spec
does (`services.xml`, `services.json`). Ids are strings; datetimes are ISO 8601 with the town's
offset (+09:00). Errors are the spec's list of {code, description}: HTTP 404 for an unknown
resource, 403 for a bad api_key, 400 for any other bad input (and 405 / 429 where HTTP has a word
for it). Only public reports appear (not hidden, not merged: services.public_reports()).

`jurisdiction_id` is accepted and ignored: this endpoint serves one town.
"""

from __future__ import annotations

import io
import json
import math
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any
from xml.sax.xmlreader import AttributesImpl

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.xmlutils import SimplerXMLGenerator
from django.views.decorators.csrf import csrf_exempt

from yakuba.core.models import Municipality
from yakuba.modules.reports import open311_keys, services
from yakuba.modules.reports.models import (
    OPEN_STATUSES,
    Category,
    CategoryAttribute,
    Open311Client,
    Report,
    ReportPhoto,
    ReportUpdate,
    Status,
)

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint's behaviour last changed (discovery's `changeset`).
CHANGESET = "2025-06-01T00:00:00+09:00"
# GeoReport v2: "may not span more than 90 days"; by default the last 90 days, at most 1,000 items.
MAX_SPAN = timedelta(days=90)
MAX_ITEMS = 1000
# ReportUpdate.client_reference's length.
UPDATE_ID_MAX_LENGTH = 100
# The XML element each list's items are wrapped in (GeoReport v2 and mySociety's extension).
XML_ITEM_NAMES = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
NO_ATTRIBUTES: AttributesImpl[str] = AttributesImpl({})
ATTRIBUTE_FIELD = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
# mySociety's update extension sends status in upper case; these mean "not dealt with yet".
OPEN_UPDATE_STATUSES = {"OPEN", "IN_PROGRESS", "INVESTIGATING", "ACTION_SCHEDULED"}
CLOSED_UPDATE_STATUSES = {
    "CLOSED",
    "FIXED",
    "DUPLICATE",
    "NOT_COUNCILS_RESPONSIBILITY",
    "NO_FURTHER_ACTION",
    "INTERNAL_REFERRAL",
}


class Open311Error(Exception):
    """A request the spec answers with an error list; `messages` become its descriptions."""

    def __init__(self, status: int, *messages: str) -> None:
        super().__init__(*messages)
        self.status = status
        self.messages = list(messages)


# --- Rendering ------------------------------------------------------------------------------------


def _write_xml(xml: SimplerXMLGenerator, name: str, value: Any) -> None:
    if isinstance(value, dict):
        xml.startElement(name, NO_ATTRIBUTES)
        for key, item in value.items():
            _write_xml(xml, key, item)
        xml.endElement(name)
    elif isinstance(value, list):
        xml.startElement(name, NO_ATTRIBUTES)
        for item in value:
            _write_xml(xml, XML_ITEM_NAMES[name], item)
        xml.endElement(name)
    elif value is None:
        xml.addQuickElement(name)
    elif isinstance(value, bool):
        xml.addQuickElement(name, "true" if value else "false")
    else:
        xml.addQuickElement(name, str(value))


def to_xml(root: str, item: str | None, data: Any) -> str:
    """A list as <root><item>…</item>…</root>, a dict as <root>…</root>."""
    out = io.StringIO()
    xml = SimplerXMLGenerator(out, "utf-8", short_empty_elements=True)
    xml.startDocument()
    if isinstance(data, list):
        xml.startElement(root, NO_ATTRIBUTES)
        for entry in data:
            _write_xml(xml, item or root, entry)
        xml.endElement(root)
    else:
        _write_xml(xml, root, data)
    xml.endDocument()
    return out.getvalue()


def respond(
    fmt: str, data: Any, *, root: str, item: str | None = None, status: int = 200
) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False) if fmt == "json" else to_xml(root, item, data)
    response = HttpResponse(body, status=status, content_type=FORMATS[fmt])
    # Public data for any web client (GeoReport v2 apps run in browsers too).
    response["Access-Control-Allow-Origin"] = "*"
    return response


def error_response(fmt: str, status: int, messages: list[str]) -> HttpResponse:
    # Open311 GeoReport v2: errors are a list of {code, description}.
    errors = [{"code": status, "description": message} for message in messages]
    return respond(fmt, errors, root="errors", item="error", status=status)


def open311_view(
    *methods: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Check the format extension and the HTTP method, and turn Open311Error into the spec's error
    list. Clients are apps, not browsers with a session, so there is no CSRF token to check."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, format: str, **kwargs: Any) -> HttpResponse:
            if format not in FORMATS:
                # XML is the format the spec makes mandatory: the answer to an unknown one.
                return error_response("xml", 404, [_("形式は .xml か .json にしてください。")])
            if request.method not in methods:
                response = error_response(
                    format,
                    405,
                    [_("この方法（%(method)s）は使えません。") % {"method": request.method}],
                )
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, format=format, **kwargs)
            except Open311Error as error:
                return error_response(format, error.status, error.messages)
            except open311_keys.RateLimited as limited:
                response = error_response(
                    format,
                    429,
                    [
                        _("送信が多すぎます。%(seconds)d秒後にもう一度送ってください。")
                        % {"seconds": limited.retry_after}
                    ],
                )
                response["Retry-After"] = str(limited.retry_after)
                return response

        return wrapped

    return decorator


@csrf_exempt
def not_found(request: HttpRequest, path: str) -> HttpResponse:
    """Anything under /open311/v2/ that is not a method: the spec's 404, in the asked format."""
    fmt = path.rsplit(".", 1)[-1] if "." in path else "xml"
    return error_response(
        fmt if fmt in FORMATS else "xml", 404, [_("そのようなものはありません。")]
    )


# --- Formatting -----------------------------------------------------------------------------------


def w3_datetime(value: datetime | None) -> str | None:
    """ISO 8601 in the town's time zone: 2025-05-01T09:30:00+09:00."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def language() -> str:
    return (get_language() or "ja")[:2]


def absolute_photo_url(request: HttpRequest, photo_id: int | None) -> str | None:
    if photo_id is None:
        return None
    try:
        return request.build_absolute_uri(reverse("reports:photo", args=[photo_id]))
    except NoReverseMatch:  # the public photo view is not mounted (yet)
        return None


def open_or_closed(status: str) -> str:
    """Open311 knows two states: 受付 and 対応中 are open, the rest closed."""
    return "open" if status in OPEN_STATUSES else "closed"


def service_entry(category: Category, *, has_attributes: bool) -> dict[str, Any]:
    lang = language()
    description = (
        category.description_en
        if lang == "en" and category.description_en
        else category.description
    )
    return {
        "service_code": category.code,
        "service_name": category.localized_name(lang),
        "description": description,
        "metadata": has_attributes,
        "type": "realtime",
        "keywords": category.keywords,
        "group": category.group,
    }


def attribute_entry(attribute: CategoryAttribute, order: int) -> dict[str, Any]:
    lang = language()
    entry: dict[str, Any] = {
        # Values the town sets itself are not asked of anyone (FixMyStreet: variable false).
        "variable": attribute.automated != "server_set",
        "code": attribute.code,
        "datatype": attribute.datatype,
        "required": attribute.required,
        "datatype_description": "",
        "order": order,
        "description": attribute.description_en
        if lang == "en" and attribute.description_en
        else attribute.description,
    }
    if attribute.is_list:
        entry["values"] = [
            {
                "key": str(value["key"]),
                "name": str(value.get("name_en") or value.get("name", ""))
                if lang == "en"
                else str(value.get("name", "")),
            }
            for value in attribute.values
        ]
    if attribute.automated:
        entry["automated"] = attribute.automated
    return entry


def request_entry(request: HttpRequest, report: Report) -> dict[str, Any]:
    return {
        "service_request_id": str(report.pk),
        "status": open_or_closed(report.status),
        "status_notes": getattr(report, "last_public_note", None) or "",
        "service_name": report.category.localized_name(language()),
        "service_code": report.category.code,
        "description": report.description,
        "agency_responsible": report.department.name_en
        if language() == "en" and report.department.name_en
        else report.department.name,
        "service_notice": "",
        "requested_datetime": w3_datetime(report.created_at),
        "updated_datetime": w3_datetime(report.updated_at),
        "expected_datetime": None,
        "address": report.address_string,
        "address_id": "",
        "zipcode": "",
        "lat": report.latitude,
        "long": report.longitude,
        "media_url": absolute_photo_url(request, getattr(report, "first_public_photo_id", None)),
    }


def reports_for_output() -> QuerySet[Report]:
    """Public reports with what the output needs: the last public note and the first public photo
    in one query each list."""
    last_note = (
        ReportUpdate.objects.filter(report=OuterRef("pk"), is_internal=False, by_staff=True)
        .exclude(note="")
        .order_by("-created_at", "-pk")
        .values("note")[:1]
    )
    first_photo = (
        ReportPhoto.objects.filter(report=OuterRef("pk"), is_public=True)
        .order_by("created_at", "pk")
        .values("pk")[:1]
    )
    return (
        services.public_reports()
        .select_related("category", "department")
        .annotate(last_public_note=Subquery(last_note), first_public_photo_id=Subquery(first_photo))
    )


# --- Parsing --------------------------------------------------------------------------------------


def parse_moment(value: str, name: str) -> datetime:
    """A W3C datetime as the spec asks; a bare date means its start, a naive time the town's."""
    value = value.strip()
    moment = parse_datetime(value.replace(" ", "+"))  # "+09:00" arrives as " 09:00" unescaped
    if moment is None:
        day = parse_date(value)
        if day is not None:
            moment = datetime(day.year, day.month, day.day)
    if moment is None:
        raise Open311Error(
            400,
            _("%(name)sは日時（例: 2025-05-01T09:00:00+09:00）で指定してください。")
            % {"name": name},
        )
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def parse_window(params: QueryDict, *, now: datetime) -> tuple[datetime, datetime]:
    """start_date / end_date: by default the last 90 days; never a span over 90 days."""
    start_date, end_date = params.get("start_date", ""), params.get("end_date", "")
    start = parse_moment(start_date, "start_date") if start_date else None
    end = parse_moment(end_date, "end_date") if end_date else None
    if start is None:
        end = end or now
        start = end - MAX_SPAN
    elif end is None:
        end = start + MAX_SPAN
    if start > end:
        raise Open311Error(400, _("start_dateはend_dateより前にしてください。"))
    if end - start > MAX_SPAN:
        raise Open311Error(400, _("start_dateからend_dateまでは90日以内にしてください。"))
    return start, end


def parse_attributes(data: QueryDict) -> dict[str, Any]:
    """`attribute[CODE]=v` and `attribute[CODE][]=v1&attribute[CODE][]=v2` as {code: value|list}."""
    answers: dict[str, Any] = {}
    for field in data:
        match = ATTRIBUTE_FIELD.match(field)
        if match is None:
            continue
        values = data.getlist(field)
        answers[match.group(1)] = values if match.group(2) or len(values) > 1 else values[0]
    return answers


def parse_coordinate(value: str, name: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise Open311Error(400, _("%(name)sは数で指定してください。") % {"name": name})
    return number


def authenticated_client(request: HttpRequest) -> Open311Client:
    api_key = request.POST.get("api_key") or request.GET.get("api_key") or ""
    try:
        client = open311_keys.authenticate(api_key)
    except open311_keys.KeyRefused as refused:
        raise Open311Error(403, refused.message) from refused
    open311_keys.check_rate_limit(client)
    return client


def validation_messages(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


# --- Methods --------------------------------------------------------------------------------------


@open311_view("GET")
def discovery(request: HttpRequest, *, format: str) -> HttpResponse:
    """Where the endpoint is and how to get a key."""
    town = Municipality.objects.order_by("pk").first()
    contact = " ".join(
        part for part in ((town.name, town.phone, town.email) if town else ()) if part
    )
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"format": format}))
    return respond(
        format,
        {
            "changeset": CHANGESET,
            "contact": contact,
            "key_service": _(
                "POSTに使うapi_keyは、町の職員がアプリごとに発行します。役場にお問い合わせください。"
            ),
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": base.rsplit("/", 1)[0],
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
        root="discovery",
    )


@open311_view("GET")
def service_list(request: HttpRequest, *, format: str) -> HttpResponse:
    """The kinds of report taken today (services)."""
    today = timezone.localdate()
    with_attributes = CategoryAttribute.objects.filter(category=OuterRef("pk"))
    categories = Category.objects.annotate(has_attributes=Exists(with_attributes))
    entries = [
        service_entry(category, has_attributes=category.has_attributes)
        for category in categories
        if category.is_open_on(today)
    ]
    return respond(format, entries, root="services", item="service")


@open311_view("GET")
def service_definition(request: HttpRequest, code: str, *, format: str) -> HttpResponse:
    """A kind's questions (attributes) with their datatypes and values."""
    category = Category.objects.filter(code=code).first()
    if category is None:
        raise Open311Error(404, _("service_code「%(code)s」はありません。") % {"code": code})
    attributes = [
        attribute_entry(attribute, order)
        for order, attribute in enumerate(category.attributes.order_by("order", "pk"), start=1)
    ]
    return respond(
        format,
        {"service_code": category.code, "attributes": attributes},
        root="service_definition",
    )


@open311_view("GET", "POST")
def service_requests(request: HttpRequest, *, format: str) -> HttpResponse:
    if request.method == "POST":
        return create_request(request, format=format)
    return list_requests(request, format=format)


def list_requests(request: HttpRequest, *, format: str) -> HttpResponse:
    """GET requests: by ids (overriding everything else, as the spec says) or by service_code,
    status and a window of at most 90 days on requested_datetime; newest first, at most 1,000."""
    params = request.GET
    reports = reports_for_output()
    if params.get("service_request_id"):
        ids = [int(i) for i in params["service_request_id"].split(",") if i.strip().isdigit()]
        reports = reports.filter(pk__in=ids[:MAX_ITEMS])
    else:
        start, end = parse_window(params, now=timezone.now())
        reports = reports.filter(created_at__gte=start, created_at__lte=end)
        if params.get("service_code"):
            codes = [c.strip() for c in params["service_code"].split(",") if c.strip()]
            reports = reports.filter(category__code__in=codes)
        if params.get("status"):
            wanted = {s.strip().lower() for s in params["status"].split(",") if s.strip()}
            if not wanted <= {"open", "closed"}:
                raise Open311Error(400, _("statusはopenかclosedで指定してください。"))
            if wanted == {"open"}:
                reports = reports.filter(status__in=OPEN_STATUSES)
            elif wanted == {"closed"}:
                reports = reports.exclude(status__in=OPEN_STATUSES)
    entries = [
        request_entry(request, report)
        for report in reports.order_by("-created_at", "-pk")[:MAX_ITEMS]
    ]
    return respond(format, entries, root="service_requests", item="request")


def create_request(request: HttpRequest, *, format: str) -> HttpResponse:
    """POST requests: a report from a registered app, filed through services.submit_report."""
    client = authenticated_client(request)
    data = request.POST
    code = data.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, _("service_codeを指定してください。"))
    category = Category.objects.filter(code=code).first()
    if category is None:
        raise Open311Error(404, _("service_code「%(code)s」はありません。") % {"code": code})
    latitude = parse_coordinate(data["lat"], "lat") if data.get("lat", "").strip() else None
    longitude = parse_coordinate(data["long"], "long") if data.get("long", "").strip() else None
    address = data.get("address_string", "").strip()
    if latitude is None and longitude is None and not address:
        if data.get("address_id", "").strip():
            # There is no address register to look address_id up in.
            raise Open311Error(
                400,
                _(
                    "address_idには対応していません。latとlong、またはaddress_stringで場所を指定してください。"
                ),
            )
        raise Open311Error(400, _("場所を、latとlong、またはaddress_stringで指定してください。"))
    email = data.get("email", "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as error:
            raise Open311Error(400, _("emailの形が正しくありません。")) from error
    # Japanese order: family name first.
    name = " ".join(
        p for p in (data.get("last_name", "").strip(), data.get("first_name", "").strip()) if p
    )
    try:
        report = services.submit_report(
            category=category,
            description=data.get("description", ""),
            latitude=latitude,
            longitude=longitude,
            address_string=address,
            attributes=parse_attributes(data),
            reporter_email=email,
            reporter_name=name,
            reporter_phone=data.get("phone", ""),
            client=client,
        )
    except ValidationError as error:
        raise Open311Error(400, *validation_messages(error)) from error
    # The report exists at once, so the id is given; the token too, for clients that follow it.
    created = {
        "service_request_id": str(report.pk),
        "token": str(report.token),
        "service_notice": "",
        "account_id": None,
    }
    return respond(format, [created], root="service_requests", item="request")


@open311_view("GET")
def service_request(request: HttpRequest, request_id: str, *, format: str) -> HttpResponse:
    """GET requests/{id}: one request, as a list of one (the spec's shape)."""
    report = (
        reports_for_output().filter(pk=int(request_id)).first() if request_id.isdigit() else None
    )
    if report is None:
        raise Open311Error(
            404, _("service_request_id「%(id)s」はありません。") % {"id": request_id}
        )
    return respond(
        format, [request_entry(request, report)], root="service_requests", item="request"
    )


@open311_view("GET")
def token(request: HttpRequest, token: str, *, format: str) -> HttpResponse:
    """tokens/{token}: the request id a POST's token stands for."""
    try:
        value = uuid.UUID(token)
    except ValueError:
        value = None
    report = (
        services.public_reports().filter(token=value).only("pk", "token").first() if value else None
    )
    if report is None:
        raise Open311Error(404, _("token「%(token)s」はありません。") % {"token": token})
    return respond(
        format,
        [{"service_request_id": str(report.pk), "token": str(report.token)}],
        root="service_requests",
        item="request",
    )


@open311_view("GET", "POST")
def service_request_updates(request: HttpRequest, *, format: str) -> HttpResponse:
    if request.method == "POST":
        return post_update(request, format=format)
    return list_updates(request, format=format)


def list_updates(request: HttpRequest, *, format: str) -> HttpResponse:
    """mySociety's extension, GET servicerequestupdates: the public updates (not internal notes)
    of public reports made between start_date and end_date (at most 90 days; the last 90 days by
    default), oldest first so that a client can page by moving start_date; at most 1,000."""
    start, end = parse_window(request.GET, now=timezone.now())
    # The report's status as of each update: the last status set at or before it.
    status_then = (
        ReportUpdate.objects.filter(report=OuterRef("report"))
        .filter(
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), pk__lte=OuterRef("pk"))
        )
        .exclude(status="")
        .order_by("-created_at", "-pk")
        .values("status")[:1]
    )
    updates = (
        ReportUpdate.objects.filter(
            report__in=services.public_reports(),
            is_internal=False,
            created_at__gte=start,
            created_at__lte=end,
        )
        .select_related("photo")
        .annotate(status_then=Coalesce(Subquery(status_then), Value(Status.RECEIVED.value)))
        .order_by("created_at", "pk")[:MAX_ITEMS]
    )
    entries = [
        {
            "update_id": str(update.pk),
            "service_request_id": str(update.report_id),
            "status": open_or_closed(update.status_then),
            "updated_datetime": w3_datetime(update.created_at),
            "description": update.note,
            "media_url": absolute_photo_url(
                request, update.photo_id if update.photo and update.photo.is_public else None
            ),
        }
        for update in updates
    ]
    return respond(format, entries, root="service_requests_updates", item="request_update")


def app_reference(
    client: Open311Client, update_id: str, report: Report
) -> services.AppReference | None:
    """The app's update_id, refused when too long or already used for another report."""
    reference = update_id.strip()
    if not reference:
        return None
    if len(reference) > UPDATE_ID_MAX_LENGTH:
        raise Open311Error(
            400, _("update_idは%(limit)d文字以内にしてください。") % {"limit": UPDATE_ID_MAX_LENGTH}
        )
    via = services.AppReference(client, reference)
    earlier = earlier_update(via)
    if earlier is not None and earlier.report_id != report.pk:
        raise Open311Error(
            400,
            _("update_id「%(id)s」は別の通報の更新に使われています。") % {"id": reference},
        )
    return via


def earlier_update(via: services.AppReference) -> ReportUpdate | None:
    return ReportUpdate.objects.filter(client=via.client, client_reference=via.reference).first()


def post_update(request: HttpRequest, *, format: str) -> HttpResponse:
    """mySociety's extension, POST servicerequestupdates: a comment on a report from an app's user.

    An app cannot close a report (only the town does). `status` OPEN (or another open status) on a
    report marked fixed reopens it, as a resident may (まだ直っていない); otherwise the update is a
    comment. `update_id` is the app's own id for the update: sent again (a retry after a lost
    answer), the update already made is answered and nothing is added. `updated_datetime`, names
    and `media_url` are checked but not kept: the update carries our time and no link elsewhere."""
    client = authenticated_client(request)  # refused (403) or counted against the app's limit
    data = request.POST
    request_id = data.get("service_request_id", "").strip()
    if not request_id:
        raise Open311Error(400, _("service_request_idを指定してください。"))
    report = (
        services.public_reports().filter(pk=int(request_id)).first()
        if request_id.isdigit()
        else None
    )
    if report is None:
        raise Open311Error(
            404, _("service_request_id「%(id)s」はありません。") % {"id": request_id}
        )
    status = data.get("status", "").strip().upper()
    if status and status not in OPEN_UPDATE_STATUSES | CLOSED_UPDATE_STATUSES:
        raise Open311Error(400, _("statusはOPENかCLOSEDで指定してください。"))
    if data.get("updated_datetime", "").strip():
        parse_moment(data["updated_datetime"], "updated_datetime")
    email = data.get("email", "").strip()
    if email and services.is_blocked(reporter=None, email=email):
        raise Open311Error(
            400, _("この送信者からの通報は受け付けていません。役場にお問い合わせください。")
        )
    description = data.get("description", "")
    via = app_reference(client, data.get("update_id", ""), report)
    update = earlier_update(via) if via else None
    if update is None:
        try:
            if status in OPEN_UPDATE_STATUSES and report.status == Status.FIXED:
                update = services.reopen(report, by=None, note=description, via=via)
            else:
                update = services.add_comment(report, by=None, note=description, via=via)
        except ValidationError as error:
            raise Open311Error(400, *validation_messages(error)) from error
        except IntegrityError:
            # The same update_id sent twice at once: the other request made it.
            update = earlier_update(via) if via else None
            if update is None:
                raise
    return respond(
        format,
        [{"update_id": str(update.pk)}],
        root="service_request_updates",
        item="request_update",
    )
