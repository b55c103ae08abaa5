"""The CKAN-compatible Action API (CKAN API v3, read-only) at /api/3/action/, so that the national
aggregators (BODIK, data.go.jp) and any CKAN client or harvester read the catalogue unchanged.

What it follows, from CKAN 2.9/2.10 (ckan/views/api.py, ckan/logic/action/get.py) and from what
ckanext-harvest's CKAN harvester sends (package_search with rows=100&start=…&sort=id asc, and
fq=metadata_modified:[<ISO>Z TO *] on incremental runs, joined with organization:/groups: terms):

- Parameters from the query string, a form or a JSON body (POST), as CKAN reads them.
- The envelope {"help", "success", "result"}; errors {"help", "success": false, "error":
  {"__type", "message"}} with HTTP 404 (Not Found Error), 403 (Authorization Error), 409
  (Validation Error: field → list of messages); an unknown action is HTTP 400 with a bare JSON
  string, "Bad request - Action name not known: <name>" (translated, as CKAN translates it).
- Package dicts with package_show's keys; times are UTC without an offset, as CKAN writes them.
- package_search: `rows` is capped at 1,000 silently (ckan.search.rows_max); `fq` takes the Solr
  syntax harvesters use (see `parse_filter`), anything else is a Validation Error; a `q` with a
  colon is read as a filter, as CKAN hands it to Solr's standard parser.

Where it differs from CKAN, on purpose:
- Deleted datasets are tombstones: package_show answers them with state "deleted" (CKAN shows
  deleted datasets only to sysadmins) and package_search lists them when asked with
  include_deleted=true (CKAN 2.9+'s parameter), so an incremental harvest learns of deletions.
  A tombstone's files are withdrawn: its `resources` list is empty.
- Drafts are never shown, to anyone: package_show of a draft is an Authorization Error.
- Organizations are the town's departments that publish; their ids, and those of groups and tags,
  are UUIDs derived from the town's code and the name, stable across installs of the same town.
- Resource `hash` is the SHA-256 hex digest, with `hash_algorithm` naming it as ckanext-dcat
  reads it (CKAN's own `hash` is free text).
- `spatial` (a place name here, a GeoJSON geometry for ckanext-spatial) is sent as the extra
  `spatial_text`, the key ckanext-dcat uses for a label.
"""

from __future__ import annotations

import inspect
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property, reduce
from operator import and_
from typing import Any, NoReturn
from urllib.parse import quote

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from yakuba.core.models import Municipality
from yakuba.core.standard_datasets import standard_dataset
from yakuba.modules.opendata import queries
from yakuba.modules.opendata.models import Dataset, Group, Licence, Resource, ResourceVersion, Tag
from yakuba.platform.accounts.models import Department

# The CKAN release whose read API this one answers like (status_show's ckan_version).
CKAN_VERSION = "2.10.0"
# CKAN's ckan.search.rows_max default: larger `rows` (and list limits) are cut to it.
ROWS_MAX = 1000
DEFAULT_ROWS = 10
DEFAULT_FACET_LIMIT = 50
# ckanext-dcat's name for the checksum algorithm (SPDX).
SHA256 = "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"
TRUE_WORDS = {"true", "yes", "on", "y", "t", "1"}
FALSE_WORDS = {"false", "no", "off", "n", "f", "0", ""}

Params = dict[str, Any]


# --- Errors, as CKAN's action view reports them --------------------------------------------------


class ActionError(Exception):
    """An action's failure as CKAN reports it: HTTP `status`, the error's `__type`, its details."""

    status = 500
    kind = "Internal Server Error"

    def __init__(self, details: dict[str, Any]) -> None:
        super().__init__(details)
        self.details = details

    def error(self) -> dict[str, Any]:
        return {"__type": self.kind, **self.details}


def _message(word: str, detail: str) -> dict[str, str]:
    # CKAN: the translated word, then ": " and what the action said, if it said anything.
    return {"message": f"{word}: {detail}" if detail else word}


class NotFound(ActionError):
    status = 404
    kind = "Not Found Error"

    def __init__(self, detail: str = "") -> None:
        super().__init__(_message(_("見つかりません"), detail))


class NotAuthorized(ActionError):
    status = 403
    kind = "Authorization Error"

    def __init__(self, detail: str = "") -> None:
        super().__init__(_message(_("アクセスが拒否されました"), detail))


class ValidationFailed(ActionError):
    """A bad parameter: CKAN's Validation Error maps each field to a list of messages."""

    status = 409
    kind = "Validation Error"

    def __init__(self, field: str, message: str) -> None:
        super().__init__({field: [message]})


class BadRequest(Exception):
    """Request data CKAN cannot read: HTTP 400 with a bare JSON string."""


# --- The request -------------------------------------------------------------------------------


class Context:
    """One API request: its absolute links and the ids derived from the town's code."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @cached_property
    def town(self) -> Municipality | None:
        return Municipality.current()

    @cached_property
    def namespace(self) -> uuid.UUID:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"urn:yakuba:{self.town.code if self.town else ''}")

    def uuid_for(self, kind: str, name: str) -> str:
        return str(uuid.uuid5(self.namespace, f"{kind}:{name}"))

    def absolute(self, path: str) -> str:
        return self.request.build_absolute_uri(path)


def request_params(request: HttpRequest) -> Params:
    """The action's data as CKAN's _get_request_data reads it: a form (or a form whose one key is
    JSON), else the query string, else a JSON object in the body. Repeated keys become lists."""

    def mixed(data: Any) -> Params:
        return {key: values[0] if len(values) == 1 else values for key, values in data.lists()}

    if request.method == "POST" and request.POST:
        if len(request.POST) == 1 and next(iter(request.POST.values())) in ("", "1"):
            return _json_object(next(iter(request.POST.keys())))
        return mixed(request.POST)
    if request.GET:
        return mixed(request.GET)
    if request.method == "POST" and request.body:
        return _json_object(request.body.decode("utf-8", errors="replace"))
    return {}


def _json_object(text: str) -> Params:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise BadRequest(_("JSONを読み取れません: %(error)s") % {"error": error}) from error
    if not isinstance(data, dict):
        raise BadRequest(_("送られたデータはJSONのオブジェクトにしてください。"))
    return data


def _text(params: Params, key: str, default: str = "") -> str:
    value = params.get(key, default)
    if isinstance(value, list | dict):
        raise ValidationFailed(key, _("文字列で指定してください。"))
    return str(value) if value is not None else default


def _integer(params: Params, key: str, default: int, *, minimum: int = 0) -> int:
    value = params.get(key)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(key, _("整数で指定してください。")) from None
    if number < minimum:
        raise ValidationFailed(
            key, _("%(minimum)d以上の整数で指定してください。") % {"minimum": minimum}
        )
    return number


def _boolean(params: Params, key: str, default: bool) -> bool:
    value = params.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValidationFailed(key, _("true か false で指定してください。"))


def _names(params: Params, key: str, *, commas: bool = True) -> list[str]:
    """A list parameter: a JSON list, a repeated key, or a string (split at commas with
    `commas`)."""
    value = params.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, str) and value.startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValidationFailed(key, _("JSONのリストで指定してください。")) from None
    if isinstance(value, str):
        value = value.split(",") if commas else [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationFailed(key, _("文字列のリストで指定してください。"))
    return [item.strip() for item in value if item.strip()]


# --- Filters in Solr syntax (fq) ---------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<everything>\*:\*)
    | (?P<open>\() | (?P<close>\))
    | (?P<operator>(?:AND|OR|NOT|&&|\|\|)(?=[\s()]|$))
    | (?P<prefix>[+\-!])(?=\S)
    | (?P<term>(?P<field>[A-Za-z_][\w.]*):(?P<value>
        [\[{][^\]}]*[\]}]
        | "(?:[^"\\]|\\.)*"
        | \((?:[^()"\\]|\\.|"(?:[^"\\]|\\.)*")*\)
        | (?:[^\s()\\"]|\\.)+
      ))
    """,
    re.VERBOSE,
)
_RANGE = re.compile(r"^([\[{])\s*(\S+)\s+TO\s+(\S+)\s*([\]}])$")
_ESCAPE = re.compile(r"\\(.)")
EVERYTHING = Q(pk__isnull=False)
NOTHING = Q(pk__in=[])


def parse_filter(text: str, context: Context, *, field: str = "fq") -> Q:
    """A Solr filter query as CKAN clients write it, as a condition on datasets.

    Terms `field:value`, `field:"quoted value"`, `field:(a OR b)`, ranges `[X TO Y]` / `{X TO *}`
    on metadata_modified and metadata_created (ISO 8601, "Z" or offset; `*` = open), `*:*`;
    `+`/`-`/`NOT` prefixes; OR; AND or a space between clauses (both mean "and", so the
    harvester's "organization:a OR organization:b metadata_modified:[… TO *]" reads as intended);
    parentheses. Fields: id, name, organization, owner_org, groups, tags, res_format, license_id,
    state (active/deleted), type/dataset_type, capacity, metadata_modified, metadata_created.
    """
    return _FilterParser(text, context, field).parse()


class _FilterParser:
    def __init__(self, text: str, context: Context, parameter: str) -> None:
        self.context = context
        self.parameter = parameter
        self.tokens: list[tuple[str, re.Match[str]]] = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                self.fail(_("「%(text)s」の部分を読み取れません。") % {"text": text[position:]})
            kind = "term" if match.group("term") else str(match.lastgroup)
            if kind != "space":
                self.tokens.append((kind, match))
            position = match.end()
        self.position = 0

    def fail(self, message: str) -> NoReturn:
        raise ValidationFailed(self.parameter, message)

    def peek(self) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            return "end", ""
        kind, match = self.tokens[self.position]
        return kind, match.group(0)

    def parse(self) -> Q:
        condition = self.expression()
        if self.peek()[0] != "end":
            self.fail(_("括弧の対応が取れていません。"))
        return condition

    def expression(self) -> Q:
        clauses: list[Q] = []
        while self.peek()[0] not in ("end", "close"):
            if self.peek() in (("operator", "AND"), ("operator", "&&")):
                self.position += 1
                continue
            clauses.append(self.alternatives())
        if not clauses:
            self.fail(_("条件がありません。"))
        return reduce(and_, clauses)

    def alternatives(self) -> Q:
        condition = self.unary()
        while self.peek() in (("operator", "OR"), ("operator", "||")):
            self.position += 1
            condition |= self.unary()
        return condition

    def unary(self) -> Q:
        kind, text = self.peek()
        if (kind, text) in (("prefix", "-"), ("prefix", "!"), ("operator", "NOT")):
            self.position += 1
            return ~self.primary()
        if (kind, text) == ("prefix", "+"):
            self.position += 1
        return self.primary()

    def primary(self) -> Q:
        kind, text = self.peek()
        self.position += 1
        if kind == "open":
            condition = self.expression()
            if self.peek()[0] != "close":
                self.fail(_("括弧の対応が取れていません。"))
            self.position += 1
            return condition
        if kind == "everything":
            return EVERYTHING
        if kind == "term":
            match = self.tokens[self.position - 1][1]
            return self.term(match.group("field"), match.group("value"))
        return self.fail(_("「%(text)s」の位置に条件が必要です。") % {"text": text or "…"})

    def term(self, field: str, value: str) -> Q:
        if field in ("metadata_modified", "metadata_created"):
            return self.date_range(field, value)
        if value.startswith("("):
            values = [
                word.strip('"')
                for word in re.findall(r'"(?:[^"\\]|\\.)*"|[^\s()]+', value[1:-1])
                if word not in ("OR", "||")
            ]
            if not values or any(word in ("AND", "&&", "NOT") for word in values):
                self.fail(_("括弧の中は OR でつないでください: %(value)s") % {"value": value})
            return reduce(lambda a, b: a | b, (self.condition(field, v) for v in values))
        if value.startswith(("[", "{")):
            self.fail(_("%(field)s に範囲は指定できません。") % {"field": field})
        if value.startswith('"'):
            value = value[1:-1]
        return self.condition(field, _ESCAPE.sub(r"\1", value))

    def condition(self, field: str, value: str) -> Q:
        if field == "organization":
            return queries.in_department(value)
        if field == "owner_org":
            return self.owner_org(value)
        if field == "groups":
            return queries.in_group(value)
        if field == "tags":
            return queries.has_tag(value)
        if field == "res_format":
            return queries.has_format(value)
        if field == "license_id":
            return queries.has_licence(value)
        if field == "name":
            return Q(name=value)
        if field == "id":
            return queries.with_id(value)
        if field == "state":
            states = {"active": Dataset.State.PUBLISHED, "deleted": Dataset.State.DELETED}
            return Q(state=states[value]) if value in states else NOTHING
        if field in ("type", "dataset_type"):
            return EVERYTHING if value == "dataset" else NOTHING
        if field == "capacity":
            return EVERYTHING if value == "public" else NOTHING
        return self.fail(_("%(field)s では絞り込めません。") % {"field": field})

    def owner_org(self, value: str) -> Q:
        codes = [
            code
            for code in Department.objects.values_list("code", flat=True)
            if value in (code, self.context.uuid_for("organization", code))
        ]
        return Q(department__code__in=codes)

    def date_range(self, field: str, value: str) -> Q:
        match = _RANGE.match(value)
        if match is None:
            self.fail(
                _("%(field)s は [2026-01-01T00:00:00Z TO *] のような範囲で指定してください。")
                % {"field": field}
            )
        opening, since, until, closing = match.groups()
        lower, upper = self.moment(since), self.moment(until)
        inclusive = (opening == "[", closing == "]")
        model_field = "modified_at" if field == "metadata_modified" else "created_at"
        return queries.in_period(model_field, lower, upper, inclusive=inclusive)

    def moment(self, text: str) -> datetime | None:
        if text == "*":
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return self.fail(
                _(
                    "日時「%(value)s」を読み取れません。2026-01-01T00:00:00Z のように書いてください。"
                )
                % {"value": text}
            )
        # Solr's times are UTC; a time without an offset is taken as UTC too.
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- Dicts as CKAN returns them ----------------------------------------------------------------


def ckan_time(moment: datetime | None) -> str | None:
    """CKAN's timestamps: UTC, ISO 8601 without an offset (2026-01-01T09:30:00.123456)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() if moment else None


def _iso_date(day: date | None) -> str:
    return day.isoformat() if day else ""


def _collection_dict(
    context: Context, kind: str, name: str, title: str, description: str
) -> dict[str, Any]:
    """An organization or a group as CKAN shows one (`kind` is CKAN's type)."""
    return {
        "id": context.uuid_for(kind, name),
        "name": name,
        "title": title,
        "display_name": title,
        "description": description,
        "image_url": "",
        "image_display_url": "",
        "created": None,
        "is_organization": kind == "organization",
        "approval_status": "approved",
        "state": "active",
        "type": kind,
    }


def organization_dict(context: Context, department: Department) -> dict[str, Any]:
    return _collection_dict(context, "organization", department.code, department.name, "")


def group_dict(context: Context, group: Group) -> dict[str, Any]:
    return _collection_dict(context, "group", group.name, group.title, group.description)


def tag_dict(context: Context, tag: Tag) -> dict[str, Any]:
    return {
        "id": context.uuid_for("tag", tag.name),
        "name": tag.name,
        "display_name": tag.name,
        "state": "active",
        "vocabulary_id": None,
    }


def resource_dict(
    context: Context, resource: Resource, version: ResourceVersion, position: int
) -> dict[str, Any]:
    return {
        "id": str(resource.pk),
        "package_id": str(resource.dataset_id),
        "name": resource.name,
        "description": resource.description,
        "format": resource.format,
        "mimetype": queries.MEDIA_TYPES.get(resource.format),
        "mimetype_inner": None,
        # The address of the current file: it stays the same when the file is replaced.
        "url": context.absolute(reverse("opendata:download", kwargs={"resource_id": resource.pk})),
        "url_type": None,
        "size": version.size,
        "hash": version.sha256,
        "hash_algorithm": SHA256,
        "created": ckan_time(resource.created_at),
        "last_modified": ckan_time(version.created_at),
        "metadata_modified": ckan_time(resource.modified_at),
        "position": position,
        "state": "active",
        "resource_type": None,
        "cache_url": None,
        "datastore_active": False,
    }


def _extras(context: Context, dataset: Dataset) -> list[dict[str, str]]:
    """Metadata CKAN has no field for, under ckanext-dcat's extra names where it has one."""
    town = context.town
    values = {
        "publisher_name": " ".join(
            filter(None, [town.name if town else "", dataset.department.name])
        ),
        "frequency": dataset.frequency,
        "spatial_text": dataset.spatial,
        "temporal_start": _iso_date(dataset.temporal_start),
        "temporal_end": _iso_date(dataset.temporal_end),
        "contact_name": dataset.contact_name,
        "contact_email": dataset.contact_email,
        "contact_phone": dataset.contact_phone,
        "issued": ckan_time(dataset.published_at) or "",
        "title_en": dataset.title_en,
        "notes_en": dataset.description_en,
        "deletion_reason": dataset.deletion_reason if _is_deleted(dataset) else "",
        **_standard_extras(dataset.standard),
    }
    return [{"key": key, "value": value} for key, value in sorted(values.items()) if value]


def _standard_extras(code: str) -> dict[str, str]:
    if not code:
        return {}
    try:
        standard = standard_dataset(code)
    except KeyError:
        return {"standard": code}
    return {
        "standard": code,
        "standard_title": standard.title,
        # ckanext-dcat: dct:conformsTo, a JSON list of URIs.
        "conforms_to": json.dumps([standard.source]),
    }


def _is_deleted(dataset: Dataset) -> bool:
    return dataset.state == Dataset.State.DELETED


def package_dict(context: Context, dataset: Dataset) -> dict[str, Any]:
    """A dataset as package_show returns it (expects `queries.with_details`)."""
    resources: list[dict[str, Any]] = []
    if not _is_deleted(dataset):
        for resource in dataset.resources.all():
            version = queries.published_version(resource)
            if version is not None:
                resources.append(resource_dict(context, resource, version, len(resources)))
    tags = [tag_dict(context, tag) for tag in dataset.tags.all()]
    organization = organization_dict(context, dataset.department)
    licence = Licence(dataset.licence)
    return {
        "id": str(dataset.pk),
        "name": dataset.name,
        "title": dataset.title,
        "notes": dataset.description,
        "url": context.absolute(reverse("opendata:dataset", kwargs={"name": dataset.name})),
        "version": None,
        "author": dataset.department.name,
        "author_email": None,
        "maintainer": dataset.contact_name or dataset.department.name,
        "maintainer_email": dataset.contact_email or None,
        "license_id": licence.value,
        "license_title": str(licence.label),
        "license_url": queries.LICENCE_URLS[licence],
        "isopen": True,
        "metadata_created": ckan_time(dataset.created_at),
        "metadata_modified": ckan_time(dataset.modified_at),
        "state": "deleted" if _is_deleted(dataset) else "active",
        "private": False,
        "type": "dataset",
        "creator_user_id": None,
        "owner_org": organization["id"],
        "organization": organization,
        "groups": [
            {
                key: value
                for key, value in group_dict(context, group).items()
                if key
                in ("id", "name", "title", "display_name", "description", "image_display_url")
            }
            for group in dataset.groups.all()
        ],
        "tags": tags,
        "num_tags": len(tags),
        "resources": resources,
        "num_resources": len(resources),
        "extras": _extras(context, dataset),
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }


# --- Actions -----------------------------------------------------------------------------------

Action = Callable[[Context, Params], Any]
ACTIONS: dict[str, Action] = {}


def action(function: Action) -> Action:
    ACTIONS[function.__name__] = function
    return function


@action
def status_show(context: Context, params: Params) -> dict[str, Any]:
    """Information about this catalogue: its title, address and the CKAN version it answers as."""
    town = context.town
    return {
        "site_title": _("%(town)sオープンデータ") % {"town": town.name if town else ""},
        "site_description": "",
        "site_url": context.absolute("/"),
        "ckan_version": CKAN_VERSION,
        "error_emails_to": None,
        "locale_default": "ja",
        "extensions": [],
    }


@action
def help_show(context: Context, params: Params) -> str | None:
    """The documentation of an action (name)."""
    function = ACTIONS.get(_text(params, "name"))
    if function is None:
        raise NotFound(_("そのアクションはありません。"))
    return inspect.getdoc(function)


@action
def package_list(context: Context, params: Params) -> list[str]:
    """The names of every public dataset, in name order (limit, offset)."""
    limit, offset = _paging(params)
    names = queries.public_datasets().order_by("name").values_list("name", flat=True)
    return list(names[offset : offset + limit])


def _paging(params: Params, default: int = ROWS_MAX) -> tuple[int, int]:
    limit = min(_integer(params, "limit", default), ROWS_MAX)
    offset = _integer(params, "offset", 0)
    if "page" in params:
        offset = (_integer(params, "page", 1, minimum=1) - 1) * limit
    return limit, offset


@action
def package_show(context: Context, params: Params) -> dict[str, Any]:
    """One dataset (id: its id or name). A deleted dataset is shown with state "deleted"."""
    key = _text(params, "id") or _text(params, "name_or_id")
    if not key:
        raise ValidationFailed("name_or_id", _("値がありません。"))
    matching = Q(name=key) | queries.with_id(key)
    dataset = queries.with_details(Dataset.objects.filter(matching)).first()
    if dataset is None:
        raise NotFound()
    if dataset.state == Dataset.State.DRAFT:
        raise NotAuthorized(_("データセット %(name)s は公開されていません。") % {"name": key})
    return package_dict(context, dataset)


@action
def package_search(context: Context, params: Params) -> dict[str, Any]:
    """Search datasets: q, fq (or fq_list), rows (≤ 1000), start, sort, facet, facet.field (a JSON
    list), facet.limit (-1 = all), include_deleted (tombstones too)."""
    q = _text(params, "q")
    filters = [_text(params, "fq"), *_names(params, "fq_list", commas=False)]
    if ":" in q:
        filters.append(q)
        q = ""
    conditions = [parse_filter(text, context) for text in filters if text.strip()]
    sort = _text(params, "sort") or queries.DEFAULT_SORT
    facet_fields = _names(params, "facet.field") if _boolean(params, "facet", True) else []
    try:
        result = queries.search_datasets(
            q,
            where=reduce(and_, conditions) if conditions else None,
            sort=sort,
            start=_integer(params, "start", 0),
            rows=min(_integer(params, "rows", DEFAULT_ROWS), ROWS_MAX),
            include_deleted=_boolean(params, "include_deleted", False),
            facet_fields=facet_fields,
            facet_limit=_integer(params, "facet.limit", DEFAULT_FACET_LIMIT, minimum=-1),
        )
    except queries.SearchError as error:
        raise ValidationFailed(error.field, error.message) from error
    return {
        "count": result.count,
        "sort": sort,
        "facets": {
            field: {item.name: item.count for item in items}
            for field, items in result.facets.items()
        },
        "search_facets": {
            field: {
                "title": field,
                "items": [
                    {"name": item.name, "display_name": item.display_name, "count": item.count}
                    for item in items
                ],
            }
            for field, items in result.facets.items()
        },
        "results": [package_dict(context, dataset) for dataset in result.datasets],
    }


@action
def current_package_list_with_resources(context: Context, params: Params) -> list[dict[str, Any]]:
    """Public datasets with their resources, most recently modified first (limit, offset, page)."""
    limit, offset = _paging(params)
    datasets = queries.with_details(queries.public_datasets().order_by("-modified_at", "pk"))
    return [package_dict(context, dataset) for dataset in datasets[offset : offset + limit]]


@dataclass(frozen=True)
class Collection:
    """An organization or a group as CKAN lists it, with its number of public datasets."""

    name: str
    title: str
    entry: dict[str, Any]
    package_count: int
    members: Q

    @property
    def ids(self) -> tuple[str, str]:
        return self.name, self.entry["id"]


def _package_counts(field: str) -> dict[Any, int]:
    rows = queries.public_datasets().values(field).annotate(n=Count("pk", distinct=True)).order_by()
    return {row[field]: row["n"] for row in rows}


def _organizations(context: Context) -> list[Collection]:
    """Departments with a public dataset or a tombstone: the catalogue's organizations."""
    counts = _package_counts("department")
    listed = queries.listed_datasets(include_deleted=True).values("department")
    return [
        Collection(
            department.code,
            department.name,
            organization_dict(context, department),
            counts.get(department.pk, 0),
            Q(department=department),
        )
        for department in Department.objects.filter(pk__in=listed)
    ]


def _groups(context: Context) -> list[Collection]:
    counts = _package_counts("groups")
    return [
        Collection(
            group.name,
            group.title,
            group_dict(context, group),
            counts.get(group.pk, 0),
            Q(groups=group),
        )
        for group in Group.objects.all()
    ]


def _collection_list(params: Params, rows: list[Collection], wanted_key: str) -> list[Any]:
    """organization_list / group_list: names, or with all_fields=true the dicts; sort "name asc"
    (default), "title …" or "package_count …"; limit, offset; only the names in `wanted_key`."""
    wanted = _names(params, wanted_key)
    rows = [row for row in rows if not wanted or row.name in wanted]
    sort = _text(params, "sort") or "name asc"
    field, _space, direction = sort.strip().partition(" ")
    direction = direction.strip().lower()
    keys: dict[str, Callable[[Collection], Any]] = {
        "name": lambda row: row.name,
        "title": lambda row: row.title,
        "package_count": lambda row: row.package_count,
    }
    if field not in keys or direction not in ("", "asc", "desc"):
        raise ValidationFailed(
            "sort", _("並べ替えの指定「%(sort)s」は使えません。") % {"sort": sort}
        )
    rows.sort(key=keys[field], reverse=direction == "desc")
    limit, offset = _paging(params)
    rows = rows[offset : offset + limit]
    if not _boolean(params, "all_fields", False):
        return [row.name for row in rows]
    return [{**row.entry, "package_count": row.package_count, "num_followers": 0} for row in rows]


def _collection_show(
    context: Context, params: Params, rows: list[Collection], missing: str
) -> dict[str, Any]:
    """organization_show / group_show: by id or name; include_datasets=true adds the public
    datasets (at most 1,000, in name order)."""
    key = _text(params, "id")
    if not key:
        raise ValidationFailed("id", _("値がありません。"))
    found = next((row for row in rows if key in row.ids), None)
    if found is None:
        raise NotFound(missing)
    shown = {
        **found.entry,
        "package_count": found.package_count,
        "num_followers": 0,
        "users": [],
        "extras": [],
        "groups": [],
        "tags": [],
    }
    if _boolean(params, "include_datasets", False):
        datasets = queries.with_details(
            queries.public_datasets().filter(found.members).order_by("name")
        )
        shown["packages"] = [package_dict(context, dataset) for dataset in datasets[:ROWS_MAX]]
    return shown


@action
def organization_list(context: Context, params: Params) -> list[Any]:
    """The departments that publish (organizations): names, or dicts with all_fields=true
    (sort "name asc" | "title …" | "package_count …", limit, offset, organizations)."""
    return _collection_list(params, _organizations(context), "organizations")


@action
def organization_show(context: Context, params: Params) -> dict[str, Any]:
    """One organization (id: its id or name); include_datasets=true adds its public datasets."""
    return _collection_show(context, params, _organizations(context), _("その組織はありません。"))


@action
def group_list(context: Context, params: Params) -> list[Any]:
    """The groups (分類): names, or dicts with all_fields=true (sort, limit, offset, groups)."""
    return _collection_list(params, _groups(context), "groups")


@action
def group_show(context: Context, params: Params) -> dict[str, Any]:
    """One group (id: its id or name); include_datasets=true adds its public datasets."""
    return _collection_show(context, params, _groups(context), _("その分類はありません。"))


@action
def tag_list(context: Context, params: Params) -> list[Any]:
    """The tags of public datasets: names, or dicts with all_fields=true (query: a part of the
    name; vocabulary_id: none here, so an empty list)."""
    if _text(params, "vocabulary_id"):
        return []
    tags = Tag.objects.filter(datasets__in=queries.public_datasets()).distinct().order_by("name")
    query = queries.normalise_tag(_text(params, "query") or _text(params, "q"))
    if query:
        tags = tags.filter(name__icontains=query)
    if _boolean(params, "all_fields", False):
        return [tag_dict(context, tag) for tag in tags]
    return [tag.name for tag in tags]


@action
def resource_show(context: Context, params: Params) -> dict[str, Any]:
    """One file of a public dataset (id), as it appears in the dataset's `resources`."""
    key = _text(params, "id")
    if not key:
        raise ValidationFailed("id", _("値がありません。"))
    resources = Resource.objects.filter(queries.with_id(key))
    dataset = queries.with_details(
        queries.public_datasets().filter(resources__in=resources)
    ).first()
    if dataset is not None:
        for resource in package_dict(context, dataset)["resources"]:
            if resource["id"] == str(uuid.UUID(key)):
                return dict(resource)
    raise NotFound(_("リソースが見つかりません。"))


# --- The view ----------------------------------------------------------------------------------


def _json_response(status: int, data: Any) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False),
        status=status,
        content_type="application/json;charset=utf-8",
    )
    # Public, read-only data for any web client (CKAN: ckan.cors.origin_allow_all).
    response["Access-Control-Allow-Origin"] = "*"
    return response


@csrf_exempt
def dispatch(request: HttpRequest, name: str) -> HttpResponse:
    """/api/3/action/<name>: run the action and answer in CKAN's envelope."""
    if request.method not in ("GET", "POST", "HEAD"):
        response = HttpResponse(status=405)
        response["Allow"] = "GET, POST"
        return response
    function = ACTIONS.get(name)
    if function is None:
        message = _("アクション名が不明です: %(name)s") % {"name": name}
        return _json_response(400, f"{_('不正なリクエスト')} - {message}")
    envelope: dict[str, Any] = {"help": help_url(request, name)}
    try:
        params = request_params(request)
    except BadRequest as error:
        return _json_response(400, f"{_('不正なリクエスト')} - {error}")
    try:
        result = function(Context(request), params)
    except ActionError as error:
        envelope.update(success=False, error=error.error())
        return _json_response(error.status, envelope)
    envelope.update(success=True, result=result)
    return _json_response(200, envelope)


def help_url(request: HttpRequest, name: str) -> str:
    path = reverse("opendata_ckan:action", kwargs={"name": "help_show"})
    return request.build_absolute_uri(f"{path}?name={quote(name)}")
