"""The residents' open-data pages (オープンデータカタログ): search the catalogue, read a dataset's
page (how to use it, its metadata, its files and their older versions, a preview of a CSV), download
files, and the town map (統合型GIS) with every layer the modules declare.

Every page works without JavaScript; the map's script only draws what the page already lists.
Drafts do not exist for the public (404); a deleted dataset is a tombstone: its page says when and
why it was withdrawn, and its files answer 410 Gone so that harvesters and bookmarks learn of it."""

from __future__ import annotations

import csv
import io
import itertools
import json
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from yakuba.core import standard_datasets
from yakuba.core.models import Municipality
from yakuba.core.registry import registry
from yakuba.modules.opendata import queries, services
from yakuba.modules.opendata.catalogue_forms import CatalogueSearchForm, MapSearchForm
from yakuba.modules.opendata.models import Dataset, Licence, Resource, ResourceVersion

PAGE_SIZE = 20
PREVIEW_ROWS = 20
# Published CSV files are UTF-8 (generate.py, uploads.py); saying so spares browsers a guess.
CONTENT_TYPES = {**queries.MEDIA_TYPES, Resource.Format.CSV: "text/csv; charset=utf-8"}
# The licence's deed in Japanese, for people (the APIs give the licence's own URI).
LICENCE_DEEDS = {
    Licence.CC_BY_4: "https://creativecommons.org/licenses/by/4.0/deed.ja",
    Licence.CC0: "https://creativecommons.org/publicdomain/zero/1.0/deed.ja",
    Licence.PDL: "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0",
}


def _licence_in_plain_words(licence: str) -> str:
    """What the licence lets a reader do (どう使えるか), without the legal words."""
    if licence == Licence.CC0:
        return _("出典を書かなくても、誰でも自由に使えます。商用の利用、加工、再配布もできます。")
    # CC BY 4.0 and the 公共データ利用規約 ask the same of users: credit, and say what was changed.
    return _(
        "出典を書けば、誰でも自由に使えます。商用の利用、加工、再配布もできます。"
        "加工したときは、加工したことも書いてください。"
    )


def _catalogue_crumbs(*rest: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(_("オープンデータ"), reverse("opendata:catalogue")), *rest]


# --- the catalogue --------------------------------------------------------------------------------


@dataclass
class FacetOption:
    """One choice of a facet: its value, what it is called and how many datasets have it."""

    value: str
    label: str
    count: int
    checked: bool


@dataclass
class Facet:
    name: str
    legend: str
    options: list[FacetOption]
    # A dataset follows one standard at most: that facet is a choice of one (radio buttons).
    is_single: bool = False

    @property
    def has_checked(self) -> bool:
        return any(option.checked for option in self.options)


FACETS = (
    # (form field, SearchResult facet, legend)
    ("group", "groups", gettext_lazy("分類")),
    ("tag", "tags", gettext_lazy("タグ")),
    ("department", "organization", gettext_lazy("公開している課")),
    ("format", "res_format", gettext_lazy("ファイル形式")),
    ("standard", "standard", gettext_lazy("準拠する標準データセット")),
)


def _facets(result: queries.SearchResult, form: CatalogueSearchForm) -> list[Facet]:
    """The facets' choices from the search's counts; a ticked value is kept even at zero, so
    that it can be unticked."""
    chosen = form.valid_data()
    facets = []
    for name, key, legend in FACETS:
        picked = list(chosen.get(name, ()))
        options = [
            FacetOption(item.name, item.display_name, item.count, item.name in picked)
            for item in result.facets.get(key, ())
        ]
        offered = {option.value for option in options}
        options += [FacetOption(value, value, 0, True) for value in picked if value not in offered]
        if options:
            facets.append(Facet(name, str(legend), options, is_single=name == "standard"))
    return facets


def _catalogue_page(
    request: HttpRequest, form: CatalogueSearchForm
) -> tuple[Page[int], queries.SearchResult]:
    """The requested page of results: the search is run for that page only (start/rows), and once
    more when the page asked for is past the end."""
    try:
        asked = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        asked = 1
    arguments = form.search_arguments()
    result = queries.search_datasets(**arguments, start=(asked - 1) * PAGE_SIZE, rows=PAGE_SIZE)
    page = Paginator(range(result.count), PAGE_SIZE).get_page(asked)
    if page.number != asked:
        result = queries.search_datasets(
            **arguments, start=(page.number - 1) * PAGE_SIZE, rows=PAGE_SIZE
        )
    return page, result


def _formats_of(dataset: Dataset) -> list[str]:
    """The formats of the files the dataset serves (its resources come prefetched)."""
    return sorted(
        {r.format for r in dataset.resources.all() if queries.published_version(r) is not None}
    )


@require_safe
def catalogue(request: HttpRequest) -> HttpResponse:
    """Find a dataset (データを探す): words, facets with counts, order, pages."""
    form = CatalogueSearchForm(request.GET or None)
    page, result = _catalogue_page(request, form)
    items = [
        {
            "dataset": dataset,
            "title": queries.localised(dataset.title, dataset.title_en),
            "description": queries.localised(dataset.description, dataset.description_en),
            "department": queries.localised(dataset.department.name, dataset.department.name_en),
            "formats": _formats_of(dataset),
        }
        for dataset in result.datasets
    ]
    return render(
        request,
        "opendata/catalogue.html",
        {
            "form": form,
            "page": page,
            "items": items,
            "count": result.count,
            "facets": _facets(result, form),
            "breadcrumbs": [(_("オープンデータ"), None)],
        },
    )


# --- a dataset's page -----------------------------------------------------------------------------


def _visible_dataset(name: str) -> Dataset:
    """A published dataset or a tombstone; drafts are 404 to the public."""
    return get_object_or_404(
        Dataset.objects.select_related("department").exclude(state=Dataset.State.DRAFT), name=name
    )


@dataclass
class ResourceRow:
    resource: Resource
    name: str
    current: ResourceVersion | None
    older: list[ResourceVersion]

    @property
    def can_preview(self) -> bool:
        return self.current is not None and self.resource.format == Resource.Format.CSV


def _resource_rows(dataset: Dataset) -> list[ResourceRow]:
    resources = dataset.resources.prefetch_related(
        Prefetch("versions", queryset=ResourceVersion.objects.order_by("-number"))
    )
    rows = []
    for resource in resources:
        versions = list(resource.versions.all())
        rows.append(
            ResourceRow(
                resource,
                queries.localised(resource.name, resource.name_en),
                versions[0] if versions else None,
                versions[1:],
            )
        )
    return rows


def _standard(dataset: Dataset) -> tuple[str, str]:
    """The standard the files follow: its name and the official definition's address."""
    if not dataset.standard:
        return "", ""
    try:
        standard = standard_datasets.standard_dataset(dataset.standard)
    except KeyError:
        return dataset.standard, ""
    return queries.localised(standard.title, standard.title_en), standard.source


def _attribution(request: HttpRequest, dataset: Dataset, title: str) -> str:
    """The credit line to copy (出典の書き方), as the government's terms of use show it."""
    town = Municipality.current()
    publisher = town.name if town else dataset.department.name
    return _("出典：%(publisher)s「%(title)s」（%(url)s）") % {
        "publisher": publisher,
        "title": title,
        "url": request.build_absolute_uri(reverse("opendata:dataset", args=[dataset.name])),
    }


@require_safe
def dataset(request: HttpRequest, name: str) -> HttpResponse:
    """A dataset's page: what it is, how to use it, its metadata, files and API links."""
    item = _visible_dataset(name)
    title = queries.localised(item.title, item.title_en)
    context: dict[str, Any] = {
        "dataset": item,
        "title": title,
        "breadcrumbs": _catalogue_crumbs((title, None)),
    }
    if item.state == Dataset.State.DELETED:
        return render(request, "opendata/dataset_withdrawn.html", context, status=410)
    standard_title, standard_url = _standard(item)
    package_show = reverse("opendata_ckan:action", kwargs={"name": "package_show"})
    context.update(
        {
            "description": queries.localised(item.description, item.description_en),
            "department": queries.localised(item.department.name, item.department.name_en),
            "groups": item.groups.all(),
            "tags": item.tags.all(),
            "licence_words": _licence_in_plain_words(item.licence),
            "licence_url": LICENCE_DEEDS.get(Licence(item.licence), ""),
            "needs_credit": item.licence != Licence.CC0,
            "attribution": _attribution(request, item, title),
            "standard_title": standard_title,
            "standard_url": standard_url,
            "resources": _resource_rows(item),
            "package_show_url": request.build_absolute_uri(f"{package_show}?id={item.id}"),
            "dcat_url": request.build_absolute_uri(
                reverse("opendata_dcat:dataset_jsonld", kwargs={"key": item.id})
            ),
        }
    )
    return render(request, "opendata/dataset.html", context)


# --- files ----------------------------------------------------------------------------------------


def _resource_of_visible_dataset(resource_id: Any) -> Resource:
    return get_object_or_404(
        Resource.objects.select_related("dataset").exclude(dataset__state=Dataset.State.DRAFT),
        pk=resource_id,
    )


def _withdrawn(request: HttpRequest, resource: Resource) -> HttpResponse:
    title = queries.localised(resource.dataset.title, resource.dataset.title_en)
    return render(
        request,
        "opendata/dataset_withdrawn.html",
        {
            "dataset": resource.dataset,
            "title": title,
            "breadcrumbs": _catalogue_crumbs(
                (title, reverse("opendata:dataset", args=[resource.dataset.name])),
                (_("ファイル"), None),
            ),
        },
        status=410,
    )


def _content_disposition(resource: Resource, version: ResourceVersion, *, numbered: bool) -> str:
    """`attachment` named after the resource in the reader's language, in UTF-8 (RFC 6266's
    filename*, RFC 8187 encoding), with the ASCII stored name as the fallback for old clients."""
    extension = services.EXTENSIONS.get(resource.format, "bin")
    suffix = f"_v{version.number}" if numbered else ""
    title = queries.localised(resource.name, resource.name_en) or resource.dataset.title
    # Path separators and control characters would let a name escape the download folder.
    title = "".join("_" if c in '/\\"' or unicodedata.category(c)[0] == "C" else c for c in title)
    fallback = f"{resource.dataset.name}{suffix}.{extension}"
    name = f"{title}{suffix}.{extension}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _file_response(
    request: HttpRequest,
    resource: Resource,
    version: ResourceVersion | None,
    *,
    numbered: bool = False,
) -> HttpResponseBase:
    if resource.dataset.state == Dataset.State.DELETED:
        return _withdrawn(request, resource)
    if version is None:
        raise Http404
    etag = f'"{version.sha256}"'
    last_modified = int(version.created_at.timestamp())
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if not_modified is not None:
        return not_modified
    try:
        handle = version.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(handle, content_type=CONTENT_TYPES.get(resource.format, ""))
    response["Content-Disposition"] = _content_disposition(resource, version, numbered=numbered)
    response["Content-Length"] = str(version.size)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    # Harvesters and data users may reuse a file while they check it is still the same (ETag).
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def download(request: HttpRequest, resource_id: Any) -> HttpResponseBase:
    """The resource's current file (最新版)."""
    resource = _resource_of_visible_dataset(resource_id)
    return _file_response(request, resource, resource.current_version())


@require_safe
def download_version(request: HttpRequest, resource_id: Any, number: int) -> HttpResponseBase:
    """One published version of a resource (過去の版); old versions stay downloadable."""
    resource = _resource_of_visible_dataset(resource_id)
    version = resource.versions.filter(number=number).first()
    return _file_response(request, resource, version, numbered=True)


@dataclass
class Preview:
    header: list[str]
    rows: list[list[str]]
    problem: str = ""


def read_preview(version: ResourceVersion, limit: int = PREVIEW_ROWS) -> Preview:
    """The header and first rows of a stored CSV file, read as a stream (the file may be large).
    Published CSV files are UTF-8, with or without a BOM."""
    try:
        with version.file.open("rb") as binary:
            text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
            reader = csv.reader(text)
            header = next(reader, [])
            rows = list(itertools.islice(reader, limit))
    except FileNotFoundError:
        return Preview([], [], _("ファイルが見つかりません。"))
    except (UnicodeDecodeError, csv.Error):
        return Preview(
            [], [], _("このファイルは中身を表示できません。ダウンロードしてご覧ください。")
        )
    width = len(header)
    # Short rows are padded so that every cell sits under its column heading.
    return Preview(header, [row + [""] * (width - len(row)) for row in rows])


@require_safe
def preview(request: HttpRequest, resource_id: Any) -> HttpResponse:
    """The first rows of a CSV file as a table (中身を見る), before downloading it."""
    resource = _resource_of_visible_dataset(resource_id)
    if resource.dataset.state == Dataset.State.DELETED:
        return _withdrawn(request, resource)
    version = resource.current_version()
    if version is None or resource.format != Resource.Format.CSV:
        raise Http404
    title = queries.localised(resource.dataset.title, resource.dataset.title_en)
    name = queries.localised(resource.name, resource.name_en)
    return render(
        request,
        "opendata/dataset_preview.html",
        {
            "dataset": resource.dataset,
            "resource": resource,
            "title": title,
            "name": name,
            "version": version,
            "preview": read_preview(version),
            "limit": PREVIEW_ROWS,
            "breadcrumbs": _catalogue_crumbs(
                (title, reverse("opendata:dataset", args=[resource.dataset.name])), (name, None)
            ),
        },
    )


# --- the town map (統合型GIS) ------------------------------------------------------------------------


@dataclass
class MapFeature:
    name: str
    address: str
    url: str
    search_text: str
    is_match: bool = True


@dataclass
class TownMapLayer:
    """A layer of the town map: a module's MapLayer or a published GeoJSON file."""

    code: str
    title: str
    geojson_url: str
    # Builds the layer's GeoJSON here (a module's MapLayer.features); None for a published file.
    features: Callable[[], Any] | None = None
    # Its colour on the map and beside its checkbox (one of opendata.css's palette).
    colour: int = 0
    is_shown: bool = True
    is_unavailable: bool = False
    # What the list shows (every feature, those not matching the words hidden; only the matching
    # ones when the layer is too long to list whole) and how many more there are.
    listed: list[MapFeature] = field(default_factory=list)
    total: int = 0
    match_count: int = 0
    not_listed: int = 0


# Property names that carry a feature's name or address, in places' GeoJSON and in the
# 自治体標準オープンデータセット columns towns publish as GeoJSON.
NAME_KEYS = ("name", "名称", "title", "施設名")
ALTERNATIVE_NAME_KEYS = ("name_kana", "名称_カナ", "name_en", "名称_英字")
ADDRESS_KEYS = ("address", "所在地_連結表記", "住所", "所在地")
# A layer's list is for reading, not a data dump: past this, the page asks for a narrower search.
LIST_LIMIT = 300
# GeoJSON files larger than this are drawn by the browser only, not read into the page's list.
LIST_FILE_LIMIT = 5 * 1024 * 1024
MAP_COLOURS = 10


def _first(properties: dict[str, Any], keys: Iterable[str]) -> str:
    return next((str(properties[key]) for key in keys if properties.get(key)), "")


def _features(collection: Any) -> Iterator[MapFeature]:
    if not isinstance(collection, dict):
        return
    features = collection.get("features")
    # Files published before uploads checked every feature may hold anything: skip it.
    for feature in features if isinstance(features, list) else ():
        properties = (feature.get("properties") or {}) if isinstance(feature, dict) else None
        if not isinstance(properties, dict):
            continue
        name = _first(properties, NAME_KEYS)
        url = str(properties.get("url") or "")
        other_names = [str(properties.get(key) or "") for key in ALTERNATIVE_NAME_KEYS]
        yield MapFeature(
            name=name or _("（名前なし）"),
            address=_first(properties, ADDRESS_KEYS),
            url=url if url.startswith(("https://", "http://")) else "",
            search_text=queries.normalise_for_search(" ".join([name, *other_names])),
        )


def _file_geojson(version: ResourceVersion) -> Any:
    if version.size > LIST_FILE_LIMIT:
        return None
    try:
        with version.file.open("rb") as handle:
            return json.load(handle)
    except (FileNotFoundError, ValueError):
        return None


def _town_map_layers() -> list[tuple[TownMapLayer, Resource | None]]:
    """Every layer: the modules' (from the registry), then each published GeoJSON file (with
    its resource, read from storage rather than through the download view)."""
    layers: list[tuple[TownMapLayer, Resource | None]] = [
        (
            TownMapLayer(
                layer.code,
                str(layer.title),
                reverse(layer.url_name, kwargs=layer.url_kwargs),
                features=layer.features,
            ),
            None,
        )
        for layer in registry.map_layers()
    ]
    resources = (
        Resource.objects.filter(
            format=Resource.Format.GEOJSON,
            dataset__in=queries.public_datasets(),
            versions__isnull=False,
        )
        .select_related("dataset")
        .prefetch_related(
            Prefetch("versions", queryset=queries.latest_versions(), to_attr="latest")
        )
        .distinct()
        .order_by("dataset__title", "position")
    )
    for resource in resources:
        title = queries.localised(resource.dataset.title, resource.dataset.title_en)
        name = queries.localised(resource.name, resource.name_en)
        layers.append(
            (
                TownMapLayer(
                    f"dataset.{resource.pk}",
                    title if name in ("", title) else f"{title}（{name}）",
                    reverse("opendata:download", args=[resource.pk]),
                ),
                resource,
            )
        )
    return layers


def _read_layer(layer: TownMapLayer, resource: Resource | None) -> Any:
    if layer.features is not None:
        return layer.features()
    version = queries.published_version(resource) if resource else None
    return _file_geojson(version) if version else None


@require_safe
def town_map(request: HttpRequest) -> HttpResponse:
    """The town map (町の地図): every layer in one place, and the same as a list, so that the
    map's content is there for screen readers, keyboards and browsers without JavaScript."""
    form = MapSearchForm(request.GET or None)
    sources = _town_map_layers()
    chosen = form.chosen_layers([layer.code for layer, _resource in sources])
    words = queries.normalise_for_search(form.words().strip())
    layers = []
    for index, (layer, resource) in enumerate(sources):
        layer.colour = index % MAP_COLOURS
        layer.is_shown = layer.code in chosen
        collection = _read_layer(layer, resource)
        layer.is_unavailable = collection is None
        features = sorted(_features(collection), key=lambda f: f.search_text)
        for feature in features:
            feature.is_match = not words or words in feature.search_text
        matching = [f for f in features if f.is_match]
        layer.total = len(features)
        layer.match_count = len(matching)
        layer.listed = features if len(features) <= LIST_LIMIT else matching[:LIST_LIMIT]
        layer.not_listed = len(features) - len(layer.listed)
        layers.append(layer)
    town = Municipality.current()
    return render(
        request,
        "opendata/map.html",
        {
            "form": form,
            "layers": layers,
            "words": form.words(),
            "name_keys": " ".join(NAME_KEYS),
            "other_name_keys": " ".join(ALTERNATIVE_NAME_KEYS),
            "address_keys": " ".join(ADDRESS_KEYS),
            "map_latitude": town.map_center_latitude if town else 38.037,
            "map_longitude": town.map_center_longitude if town else 140.853,
            "map_zoom": town.map_zoom if town else 13,
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
            "breadcrumbs": [(_("町の地図"), None)],
        },
    )
