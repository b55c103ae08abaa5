"""The catalogue in DCAT (W3C Data Catalog Vocabulary 2/3), for harvesters that read RDF rather
than the CKAN API: `/catalog.jsonld`, `/catalog.ttl` and `/dataset/<id>.jsonld` (or `.ttl`).

One rdflib graph is built and serialised twice (JSON-LD with a prefix @context, and Turtle). Where
DCAT leaves a choice open, the DCAT-AP choice is taken, because the European harvesters and
ckanext-dcat (the harvester BODIK and data.go.jp run CKAN with) read those values best:

- frequency from the EU "frequency" authority table, licences as the licence's own URI, file
  formats from the EU "file-type" table, media types as IANA URIs, languages from the EU
  "language" table, publishers typed with the ADMS publisher types;
- the catalogue's groups (分類) become a SKOS concept scheme (`dcat:themeTaxonomy`), one
  `skos:Concept` per group, because no national theme vocabulary exists for them;
- the 自治体標準オープンデータセット a dataset follows is a `dct:Standard` (`dct:conformsTo`)
  that links to the Digital Agency's definition with `rdfs:seeAlso`;
- times are `xsd:dateTime` in Asia/Tokyo (+09:00), to the second.

Deleted datasets (tombstones): a harvester that synchronises with us must learn that a dataset it
copied is gone, so a deleted dataset stays in the catalogue as a `dcat:Dataset` with its
identifier, title and publisher, marked with `adms:status <http://purl.org/adms/status/Withdrawn>`
(the ADMS status DCAT-AP uses) and `owl:deprecated true` (for readers that know only OWL), its
`dct:modified` set to the time of deletion and the reason in `adms:versionNotes`. It has no
distributions: its files are withdrawn. Drafts never appear anywhere.

URIs are dereferenceable: the catalogue is `/catalog` and a dataset `/dataset/<uuid>`; both answer
303 See Other to the JSON-LD or Turtle document (or, for a browser, the public page), as the W3C
note "Cool URIs for the Semantic Web" describes. Publishers, themes and standards are fragments of
the catalogue's URI; a distribution is a fragment of its dataset's.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime

from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import gettext
from django.views.decorators.http import require_safe
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, OWL, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from yakuba.core.models import Municipality
from yakuba.core.standard_datasets import standard_dataset
from yakuba.modules.opendata import queries
from yakuba.modules.opendata.models import (
    Dataset,
    Frequency,
    Group,
    Resource,
    ResourceVersion,
)
from yakuba.platform.accounts.models import Department

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ADMS = Namespace("http://www.w3.org/ns/adms#")

# The JSON-LD @context: prefixes only, so every property reads as in the DCAT specification.
PREFIXES = {
    "adms": str(ADMS),
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "org": str(ORG),
    "owl": str(OWL),
    "rdfs": str(RDFS),
    "skos": str(SKOS),
    "spdx": str(SPDX),
    "vcard": str(VCARD),
    "xsd": str(XSD),
}

EU = "http://publications.europa.eu/resource/authority/"
FREQUENCIES = {
    Frequency.CONTINUOUS: URIRef(EU + "frequency/CONT"),
    Frequency.DAILY: URIRef(EU + "frequency/DAILY"),
    Frequency.WEEKLY: URIRef(EU + "frequency/WEEKLY"),
    Frequency.MONTHLY: URIRef(EU + "frequency/MONTHLY"),
    Frequency.QUARTERLY: URIRef(EU + "frequency/QUARTERLY"),
    Frequency.ANNUAL: URIRef(EU + "frequency/ANNUAL"),
    Frequency.IRREGULAR: URIRef(EU + "frequency/IRREG"),
}
FILE_TYPES = {
    Resource.Format.CSV: URIRef(EU + "file-type/CSV"),
    Resource.Format.JSON: URIRef(EU + "file-type/JSON"),
    Resource.Format.GEOJSON: URIRef(EU + "file-type/GEOJSON"),
    Resource.Format.XLSX: URIRef(EU + "file-type/XLSX"),
}
JAPANESE = URIRef(EU + "language/JPN")
ENGLISH = URIRef(EU + "language/ENG")
LOCAL_AUTHORITY = URIRef("http://purl.org/adms/publishertype/LocalAuthority")
WITHDRAWN = URIRef("http://purl.org/adms/status/Withdrawn")

JSON_LD = "application/ld+json"
TURTLE = "text/turtle"
CONTENT_TYPES = {"jsonld": JSON_LD, "ttl": TURTLE}
RDFLIB_FORMATS = {"jsonld": "json-ld", "ttl": "turtle"}
# Harvesters poll; five minutes of freshness spares the server and delays nobody much.
MAX_AGE = 300


def harvestable_datasets() -> QuerySet[Dataset]:
    """What the DCAT documents describe: the published datasets and the tombstones of deleted ones,
    with everything the graph needs fetched in a fixed number of queries."""
    return queries.with_details(queries.listed_datasets(include_deleted=True)).order_by("name")


class Links:
    """The absolute URIs of one request's documents (the host comes from the request)."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.catalog = URIRef(self.absolute(reverse("opendata_dcat:catalog")))

    def absolute(self, path: str) -> str:
        return self.request.build_absolute_uri(path)

    def fragment(self, name: str) -> URIRef:
        return URIRef(f"{self.catalog}#{name}")

    def dataset(self, dataset: Dataset) -> URIRef:
        return URIRef(self.absolute(reverse("opendata_dcat:dataset", kwargs={"key": dataset.pk})))

    def landing_page(self, dataset: Dataset) -> URIRef:
        return URIRef(self.absolute(reverse("opendata:dataset", kwargs={"name": dataset.name})))

    def download(self, resource: Resource) -> URIRef:
        path = reverse("opendata:download", kwargs={"resource_id": resource.pk})
        return URIRef(self.absolute(path))


class CatalogGraph:
    """Builds the graph: `add_catalog` for the whole catalogue, `add_dataset` for one dataset."""

    def __init__(self, links: Links, municipality: Municipality | None) -> None:
        self.links = links
        self.municipality = municipality
        self.graph = Graph(bind_namespaces="none")
        for prefix, namespace in PREFIXES.items():
            self.graph.bind(prefix, namespace)

    def add(self, subject: Node, predicate: URIRef, value: Node | None) -> None:
        if value is not None:
            self.graph.add((subject, predicate, value))

    def add_text(self, subject: Node, predicate: URIRef, japanese: str, english: str = "") -> None:
        for text, language in ((japanese, "ja"), (english, "en")):
            if text:
                self.graph.add((subject, predicate, Literal(text, lang=language)))

    def add_catalog(self, datasets: Iterable[Dataset]) -> URIRef:
        datasets = list(datasets)
        catalog = self.links.catalog
        self.add(catalog, RDF.type, DCAT.Catalog)
        self.add_text(catalog, DCTERMS.title, *self.catalog_texts(catalog_title))
        self.add_text(catalog, DCTERMS.description, *self.catalog_texts(catalog_description))
        self.add(catalog, DCTERMS.publisher, self.town())
        self.add(catalog, FOAF.homepage, URIRef(self.links.absolute(reverse("opendata:catalogue"))))
        self.add(catalog, DCTERMS.language, JAPANESE)
        self.add(catalog, DCTERMS.language, ENGLISH)
        self.add(catalog, DCAT.themeTaxonomy, self.theme_scheme())
        if datasets:
            self.add(catalog, DCTERMS.modified, moment(max(d.modified_at for d in datasets)))
        for dataset in datasets:
            self.add(catalog, DCAT.dataset, self.add_dataset(dataset))
        return catalog

    def catalog_texts(self, text: Callable[[str], str]) -> tuple[str, str]:
        """A catalogue-level text in Japanese and in English (the town's name in each)."""
        texts = []
        for language in ("ja", "en"):
            with translation.override(language):
                name = self.municipality.localized_name(language) if self.municipality else ""
                texts.append(text(name))
        return texts[0], texts[1]

    def town(self) -> URIRef | None:
        """The municipality, publisher of the catalogue (全国地方公共団体コード as identifier)."""
        if self.municipality is None:
            return None
        town = self.links.fragment("municipality")
        self.add(town, RDF.type, FOAF.Organization)
        self.add_text(town, FOAF.name, str(self.municipality), self.municipality.name_en)
        self.add(town, DCTERMS.identifier, Literal(self.municipality.code))
        self.add(town, DCTERMS.type, LOCAL_AUTHORITY)
        if self.municipality.website:
            self.add(town, FOAF.homepage, URIRef(self.municipality.website))
        return town

    def theme_scheme(self) -> URIRef:
        scheme = self.links.fragment("themes")
        self.add(scheme, RDF.type, SKOS.ConceptScheme)
        self.add_text(scheme, DCTERMS.title, *self.catalog_texts(theme_scheme_title))
        return scheme

    def add_dataset(self, dataset: Dataset) -> URIRef:
        node = self.links.dataset(dataset)
        self.add(node, RDF.type, DCAT.Dataset)
        self.add(node, DCTERMS.identifier, Literal(str(dataset.pk)))
        self.add_text(node, DCTERMS.title, dataset.title, dataset.title_en)
        self.add_text(node, DCTERMS.description, dataset.description, dataset.description_en)
        self.add(node, DCTERMS.publisher, self.department(dataset.department))
        self.add(node, DCAT.contactPoint, self.contact_point(dataset))
        self.add(node, DCAT.landingPage, self.links.landing_page(dataset))
        self.add(node, DCTERMS.language, JAPANESE)
        self.add(node, DCTERMS.license, self.licence(dataset.licence))
        self.add(node, DCTERMS.accrualPeriodicity, FREQUENCIES[Frequency(dataset.frequency)])
        self.add(node, DCTERMS.spatial, self.location(dataset))
        self.add(node, DCTERMS.temporal, self.period(dataset))
        self.add(node, DCTERMS.conformsTo, self.standard(dataset.standard))
        self.add(node, DCTERMS.issued, moment(dataset.published_at))
        self.add(node, DCTERMS.modified, moment(dataset.modified_at))
        for tag in dataset.tags.all():
            self.add(node, DCAT.keyword, Literal(tag.name, lang="ja"))
        for group in dataset.groups.all():
            self.add(node, DCAT.theme, self.theme(group))
        if dataset.state == Dataset.State.DELETED:
            self.add(node, ADMS.status, WITHDRAWN)
            self.add(node, OWL.deprecated, Literal(True))
            self.add_text(node, ADMS.versionNotes, dataset.deletion_reason)
            return node
        for resource in dataset.resources.all():
            self.add(node, DCAT.distribution, self.distribution(node, dataset, resource))
        return node

    def department(self, department: Department) -> URIRef:
        """The department (課) that publishes the dataset: a unit of the town."""
        node = self.links.fragment(f"department-{department.code}")
        self.add(node, RDF.type, FOAF.Organization)
        self.add_text(node, FOAF.name, department.name, department.name_en)
        self.add(node, DCTERMS.type, LOCAL_AUTHORITY)
        self.add(node, ORG.unitOf, self.town())
        return node

    def contact_point(self, dataset: Dataset) -> Node:
        """Whom to ask about the data: the named contact, else the department itself."""
        # Blank nodes are labelled from the dataset's id, not at random: the same catalogue must
        # serialise to the same bytes, or its ETag would change on every request.
        node = BNode(f"contact-{dataset.pk.hex}")
        department = dataset.department
        self.add(node, RDF.type, VCARD.Organization)
        self.add(node, VCARD.fn, Literal(dataset.contact_name or department.name, lang="ja"))
        if dataset.contact_email:
            self.add(node, VCARD.hasEmail, URIRef(f"mailto:{dataset.contact_email}"))
        self.add(node, VCARD.hasTelephone, telephone(dataset.contact_phone or department.phone))
        return node

    def licence(self, code: str) -> URIRef:
        uri = URIRef(queries.LICENCE_URLS[code])
        self.add(uri, RDF.type, DCTERMS.LicenseDocument)
        return uri

    def location(self, dataset: Dataset) -> Node | None:
        if not dataset.spatial:
            return None
        node = BNode(f"spatial-{dataset.pk.hex}")
        self.add(node, RDF.type, DCTERMS.Location)
        self.add(node, SKOS.prefLabel, Literal(dataset.spatial, lang="ja"))
        return node

    def period(self, dataset: Dataset) -> Node | None:
        """The period the data covers (dct:PeriodOfTime with DCAT 2's start and end dates)."""
        if dataset.temporal_start is None and dataset.temporal_end is None:
            return None
        node = BNode(f"temporal-{dataset.pk.hex}")
        self.add(node, RDF.type, DCTERMS.PeriodOfTime)
        self.add(node, DCAT.startDate, day(dataset.temporal_start))
        self.add(node, DCAT.endDate, day(dataset.temporal_end))
        return node

    def standard(self, code: str) -> URIRef | None:
        """The 自治体標準オープンデータセット definition; an unknown code is left out rather than
        guessed."""
        if not code:
            return None
        try:
            definition = standard_dataset(code)
        except KeyError:
            return None
        node = self.links.fragment(f"standard-{code}")
        self.add(node, RDF.type, DCTERMS.Standard)
        self.add_text(node, DCTERMS.title, definition.title, definition.title_en)
        self.add(node, DCTERMS.identifier, Literal(code))
        if definition.source:
            self.add(node, RDFS.seeAlso, URIRef(definition.source))
        return node

    def theme(self, group: Group) -> URIRef:
        node = self.links.fragment(f"theme-{group.name}")
        self.add(node, RDF.type, SKOS.Concept)
        self.add_text(node, SKOS.prefLabel, group.title, group.title_en)
        self.add(node, SKOS.inScheme, self.links.fragment("themes"))
        return node

    def distribution(
        self, dataset_node: URIRef, dataset: Dataset, resource: Resource
    ) -> Node | None:
        """The current file of a resource; a resource with no file yet has nothing to offer."""
        version = queries.published_version(resource)
        if version is None:
            return None
        node = URIRef(f"{dataset_node}#resource-{resource.pk}")
        download = self.links.download(resource)
        self.add(node, RDF.type, DCAT.Distribution)
        self.add(node, DCTERMS.identifier, Literal(str(resource.pk)))
        self.add_text(node, DCTERMS.title, resource.name, resource.name_en)
        self.add_text(node, DCTERMS.description, resource.description)
        # DCAT-AP requires an access URL; for a plain file it is the download itself.
        self.add(node, DCAT.accessURL, download)
        self.add(node, DCAT.downloadURL, download)
        media_type = queries.MEDIA_TYPES[resource.format]
        self.add(
            node,
            DCAT.mediaType,
            URIRef(f"https://www.iana.org/assignments/media-types/{media_type}"),
        )
        self.add(node, DCTERMS.format, FILE_TYPES[Resource.Format(resource.format)])
        self.add(node, DCTERMS.license, self.licence(dataset.licence))
        self.add(node, DCAT.byteSize, Literal(version.size, datatype=XSD.nonNegativeInteger))
        self.add(node, SPDX.checksum, self.checksum(resource, version))
        self.add(node, DCTERMS.issued, moment(resource.created_at))
        self.add(node, DCTERMS.modified, moment(max(resource.modified_at, version.created_at)))
        return node

    def checksum(self, resource: Resource, version: ResourceVersion) -> Node:
        node = BNode(f"checksum-{resource.pk.hex}")
        self.add(node, RDF.type, SPDX.Checksum)
        self.add(node, SPDX.algorithm, SPDX.checksumAlgorithm_sha256)
        self.add(node, SPDX.checksumValue, Literal(version.sha256, datatype=XSD.hexBinary))
        return node

    def serialize(self, fmt: str) -> bytes:
        if fmt == "jsonld":
            return self.graph.serialize(
                format="json-ld", context=PREFIXES, auto_compact=True, encoding="utf-8"
            )
        return self.graph.serialize(format="turtle", encoding="utf-8")


def catalog_title(town: str) -> str:
    if town:
        return gettext("%(town)sオープンデータカタログ") % {"town": town}
    return gettext("オープンデータカタログ")


def catalog_description(town: str) -> str:
    if town:
        return gettext("%(town)sが公開しているオープンデータの一覧です。") % {"town": town}
    return gettext("公開しているオープンデータの一覧です。")


def theme_scheme_title(town: str) -> str:
    if town:
        return gettext("%(town)sオープンデータの分類") % {"town": town}
    return gettext("オープンデータの分類")


def moment(value: datetime | None) -> Literal | None:
    """An xsd:dateTime in Japan time (+09:00), to the second."""
    if value is None:
        return None
    return Literal(timezone.localtime(value).replace(microsecond=0), datatype=XSD.dateTime)


def day(value: date | None) -> Literal | None:
    return None if value is None else Literal(value, datatype=XSD.date)


def telephone(number: str) -> URIRef | None:
    """A Japanese number as a tel: URI in international form (RFC 3966): 0223-34-1111 →
    tel:+81-223-34-1111."""
    digits = re.sub(r"[^0-9-]", "", number).strip("-")
    if not digits.replace("-", ""):
        return None
    if digits.startswith("0"):
        digits = "+81-" + digits[1:]
    return URIRef(f"tel:{digits}")


def find_dataset(key: str) -> Dataset:
    """A published dataset or a tombstone, by UUID or by `name`; drafts are not found."""
    dataset = harvestable_datasets().filter(Q(name=key) | queries.with_id(key)).first()
    if dataset is None:
        raise Http404(key)
    return dataset


def document_response(
    request: HttpRequest, body: bytes, fmt: str, *, last_modified: datetime | None
) -> HttpResponse:
    """A serialised graph with validators for conditional GET.

    The ETag is a digest of the body, so any change (a renamed group, another host name) changes
    it; Last-Modified is the newest dataset's `modified_at`, for clients that only send
    If-Modified-Since.
    """
    etag = f'"{hashlib.sha256(body).hexdigest()[:40]}"'
    response = HttpResponse(body, content_type=f"{CONTENT_TYPES[fmt]}; charset=utf-8")
    response["ETag"] = etag
    timestamp = None
    if last_modified is not None:
        timestamp = int(last_modified.timestamp())
        response["Last-Modified"] = http_date(timestamp)
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    # Open data: any web page may read it.
    response["Access-Control-Allow-Origin"] = "*"
    conditional = get_conditional_response(
        request, etag=etag, last_modified=timestamp, response=response
    )
    return conditional if conditional is not None else response


def see_other(request: HttpRequest, *, jsonld: str, turtle: str, html: str) -> HttpResponse:
    """303 See Other from a thing's URI to the document the client prefers."""
    preferred = request.get_preferred_type([JSON_LD, TURTLE, "text/html"])
    target = {TURTLE: turtle, "text/html": html}.get(preferred or JSON_LD, jsonld)
    response = HttpResponseRedirect(target)
    response.status_code = 303
    patch_vary_headers(response, ["Accept"])
    return response


@require_safe
def catalog(request: HttpRequest) -> HttpResponse:
    return see_other(
        request,
        jsonld=reverse("opendata_dcat:catalog_jsonld"),
        turtle=reverse("opendata_dcat:catalog_ttl"),
        html=reverse("opendata:catalogue"),
    )


@require_safe
def catalog_document(request: HttpRequest, fmt: str) -> HttpResponse:
    """The whole catalogue (カタログ全体) as JSON-LD or Turtle.

    Serialising a few hundred datasets takes rdflib seconds, and harvesters poll, so the body is
    kept in the cache for MAX_AGE under the catalogue's fingerprint (how many datasets, the newest
    change): a published, changed or deleted dataset shows at once, a renamed group or department
    within MAX_AGE.
    """
    fingerprint = queries.listed_datasets(include_deleted=True).aggregate(
        count=Count("pk"), newest=Max("modified_at")
    )
    newest: datetime | None = fingerprint["newest"]
    key = "opendata:dcat:{}:{}:{}:{}".format(
        fmt,
        request.build_absolute_uri("/"),
        fingerprint["count"],
        newest.isoformat() if newest else "",
    )
    body: bytes | None = cache.get(key)
    if body is None:
        builder = CatalogGraph(Links(request), Municipality.current())
        builder.add_catalog(harvestable_datasets())
        body = builder.serialize(fmt)
        cache.set(key, body, MAX_AGE)
    return document_response(request, body, fmt, last_modified=newest)


@require_safe
def dataset(request: HttpRequest, key: str) -> HttpResponse:
    found = find_dataset(key)
    return see_other(
        request,
        jsonld=reverse("opendata_dcat:dataset_jsonld", kwargs={"key": found.pk}),
        turtle=reverse("opendata_dcat:dataset_ttl", kwargs={"key": found.pk}),
        html=reverse("opendata:dataset", kwargs={"name": found.name}),
    )


@require_safe
def dataset_document(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    """One dataset (by UUID or name) as JSON-LD or Turtle."""
    found = find_dataset(key)
    builder = CatalogGraph(Links(request), Municipality.current())
    builder.add_dataset(found)
    return document_response(request, builder.serialize(fmt), fmt, last_modified=found.modified_at)
