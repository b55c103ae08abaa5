"""The catalogue in DCAT over HTTP: every document is parsed back with rdflib and its triples are
checked (never the text); drafts stay out, tombstones are marked, conditional GET works and the
number of queries does not grow with the catalogue."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, SKOS, XSD
from rdflib.term import Node

from yakuba.core.models import Municipality
from yakuba.modules.opendata.models import Dataset, Group, Resource, ResourceVersion, Tag
from yakuba.platform.accounts.models import Department

pytestmark = pytest.mark.django_db

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
BASE = "http://testserver"
TOKYO = ZoneInfo("Asia/Tokyo")
SHA256 = "ab" * 32


@pytest.fixture(autouse=True)
def town(settings: Any, tmp_path: Any) -> Municipality:
    settings.MEDIA_ROOT = tmp_path
    return Municipality.objects.create(
        name="亘理町",
        name_en="Watari",
        code="043231",
        prefecture="宮城県",
        website="https://www.town.watari.miyagi.jp/",
        map_center_latitude=38.03,
        map_center_longitude=140.85,
    )


@pytest.fixture
def department() -> Department:
    return Department.objects.create(
        code="somu", name="総務課", name_en="General Affairs Division", phone="0223-34-1111"
    )


def make_dataset(
    department: Department, name: str, *, state: str = Dataset.State.PUBLISHED, **fields: Any
) -> Dataset:
    published_at = datetime(2025, 4, 1, 9, 30, 15, 123456, tzinfo=TOKYO)
    defaults: dict[str, Any] = {
        "title": f"{name}の一覧",
        "department": department,
        "state": state,
        "published_at": published_at if state != Dataset.State.DRAFT else None,
        "modified_at": published_at + timedelta(days=1),
    }
    return Dataset.objects.create(name=name, **(defaults | fields))


def add_file(dataset: Dataset, *, fmt: str = Resource.Format.CSV, versions: int = 1) -> Resource:
    resource = Resource.objects.create(dataset=dataset, name="一覧", name_en="List", format=fmt)
    for number in range(1, versions + 1):
        ResourceVersion.objects.create(
            resource=resource,
            number=number,
            file=f"opendata/{resource.pk}/{number}/aed.csv",
            size=1000 + number,
            sha256=SHA256 if number == versions else "00" * 32,
        )
    return resource


@pytest.fixture
def aed(department: Department) -> Dataset:
    """A fully described published dataset with one CSV file in its second version."""
    dataset = make_dataset(
        department,
        "aed",
        title="AED設置箇所一覧",
        title_en="AED locations",
        description="町内のAEDの設置場所です。",
        description_en="Where the AEDs in town are.",
        frequency="monthly",
        spatial="宮城県亘理町",
        temporal_start=date(2025, 4, 1),
        temporal_end=date(2026, 3, 31),
        contact_name="総務課 防災係",
        contact_email="bousai@example.jp",
        standard="aed_locations",
    )
    dataset.tags.set([Tag.objects.create(name="AED"), Tag.objects.create(name="救急")])
    dataset.groups.set([Group.objects.create(name="bousai", title="防災", title_en="Safety")])
    add_file(dataset, versions=2)
    return dataset


def fetch(client: Client, url_name: str, fmt: str, **kwargs: Any) -> Graph:
    response = client.get(reverse(f"opendata_dcat:{url_name}_{fmt}", kwargs=kwargs or None))
    assert response.status_code == 200
    parser = {"jsonld": "json-ld", "ttl": "turtle"}[fmt]
    return Graph().parse(data=response.content.decode(), format=parser)


def dataset_uri(dataset: Dataset) -> URIRef:
    return URIRef(BASE + reverse("opendata_dcat:dataset", kwargs={"key": dataset.pk}))


def one(graph: Graph, subject: Node, predicate: URIRef) -> Node:
    values = list(graph.objects(subject, predicate))
    assert len(values) == 1, (predicate, values)
    return values[0]


def texts(graph: Graph, subject: Node, predicate: URIRef) -> set[tuple[str, str | None]]:
    return {(str(value), value.language) for value in graph.objects(subject, predicate)}  # type: ignore[attr-defined]


@pytest.mark.parametrize("fmt", ["jsonld", "ttl"])
def test_catalog_describes_the_town_and_lists_its_datasets(
    client: Client, aed: Dataset, fmt: str
) -> None:
    graph = fetch(client, "catalog", fmt)

    catalog = URIRef(BASE + "/catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in graph
    titles = dict((language, text) for text, language in texts(graph, catalog, DCTERMS.title))
    assert titles["ja"] == "亘理町オープンデータカタログ"
    assert titles["en"].startswith("Watari")
    assert one(graph, catalog, FOAF.homepage) == URIRef(BASE + reverse("opendata:catalogue"))
    town = one(graph, catalog, DCTERMS.publisher)
    assert (town, RDF.type, FOAF.Organization) in graph
    assert one(graph, town, DCTERMS.identifier) == Literal("043231")
    assert one(graph, town, FOAF.homepage) == URIRef("https://www.town.watari.miyagi.jp/")
    assert set(graph.objects(catalog, DCAT.dataset)) == {dataset_uri(aed)}
    assert one(graph, catalog, DCTERMS.modified).toPython() == aed.modified_at.replace(  # type: ignore[attr-defined]
        microsecond=0
    )


@pytest.mark.parametrize("fmt", ["jsonld", "ttl"])
def test_dataset_carries_the_dcat_ap_fields(client: Client, aed: Dataset, fmt: str) -> None:
    graph = fetch(client, "catalog", fmt)
    node = dataset_uri(aed)

    assert (node, RDF.type, DCAT.Dataset) in graph
    assert one(graph, node, DCTERMS.identifier) == Literal(str(aed.pk))
    assert texts(graph, node, DCTERMS.title) == {("AED設置箇所一覧", "ja"), ("AED locations", "en")}
    assert ("Where the AEDs in town are.", "en") in texts(graph, node, DCTERMS.description)
    assert texts(graph, node, DCAT.keyword) == {("AED", "ja"), ("救急", "ja")}
    assert one(graph, node, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert one(graph, node, DCTERMS.accrualPeriodicity) == URIRef(
        "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
    )
    assert one(graph, node, DCAT.landingPage) == URIRef(
        BASE + reverse("opendata:dataset", kwargs={"name": "aed"})
    )

    publisher = one(graph, node, DCTERMS.publisher)
    assert (publisher, RDF.type, FOAF.Organization) in graph
    assert texts(graph, publisher, FOAF.name) == {
        ("総務課", "ja"),
        ("General Affairs Division", "en"),
    }

    contact = one(graph, node, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Organization) in graph
    assert texts(graph, contact, VCARD.fn) == {("総務課 防災係", "ja")}
    assert one(graph, contact, VCARD.hasEmail) == URIRef("mailto:bousai@example.jp")
    # No phone of its own: the department's, in international form.
    assert one(graph, contact, VCARD.hasTelephone) == URIRef("tel:+81-223-34-1111")

    theme = one(graph, node, DCAT.theme)
    assert texts(graph, theme, SKOS.prefLabel) == {("防災", "ja"), ("Safety", "en")}

    spatial = one(graph, node, DCTERMS.spatial)
    assert texts(graph, spatial, SKOS.prefLabel) == {("宮城県亘理町", "ja")}
    period = one(graph, node, DCTERMS.temporal)
    assert (period, RDF.type, DCTERMS.PeriodOfTime) in graph
    assert one(graph, period, DCAT.startDate) == Literal(date(2025, 4, 1), datatype=XSD.date)
    assert one(graph, period, DCAT.endDate) == Literal(date(2026, 3, 31), datatype=XSD.date)

    standard = one(graph, node, DCTERMS.conformsTo)
    assert (standard, RDF.type, DCTERMS.Standard) in graph
    assert ("AED設置箇所一覧", "ja") in texts(graph, standard, DCTERMS.title)


@pytest.mark.parametrize("fmt", ["jsonld", "ttl"])
def test_times_are_datetimes_in_japan_time(client: Client, aed: Dataset, fmt: str) -> None:
    graph = fetch(client, "catalog", fmt)
    node = dataset_uri(aed)

    for predicate, expected in (
        (DCTERMS.issued, "2025-04-01T09:30:15+09:00"),
        (DCTERMS.modified, "2025-04-02T09:30:15+09:00"),
    ):
        value = one(graph, node, predicate)
        assert isinstance(value, Literal)
        assert value.datatype == XSD.dateTime
        assert str(value) == expected


@pytest.mark.parametrize("fmt", ["jsonld", "ttl"])
def test_distribution_is_the_current_version_of_each_file(
    client: Client, aed: Dataset, fmt: str
) -> None:
    resource = aed.resources.get()
    graph = fetch(client, "catalog", fmt)

    distribution = one(graph, dataset_uri(aed), DCAT.distribution)
    download = URIRef(BASE + reverse("opendata:download", kwargs={"resource_id": resource.pk}))
    assert (distribution, RDF.type, DCAT.Distribution) in graph
    assert one(graph, distribution, DCAT.downloadURL) == download
    assert one(graph, distribution, DCAT.accessURL) == download
    assert one(graph, distribution, DCAT.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/text/csv"
    )
    assert one(graph, distribution, DCTERMS.format) == URIRef(
        "http://publications.europa.eu/resource/authority/file-type/CSV"
    )
    assert one(graph, distribution, DCAT.byteSize) == Literal(1002, datatype=XSD.nonNegativeInteger)
    checksum = one(graph, distribution, SPDX.checksum)
    assert one(graph, checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
    assert one(graph, checksum, SPDX.checksumValue) == Literal(SHA256, datatype=XSD.hexBinary)
    assert one(graph, distribution, DCTERMS.modified).datatype == XSD.dateTime  # type: ignore[attr-defined]


def test_a_file_not_yet_published_is_not_a_distribution(
    client: Client, department: Department
) -> None:
    dataset = make_dataset(department, "empty")
    add_file(dataset, versions=0)

    graph = fetch(client, "catalog", "jsonld")

    assert (dataset_uri(dataset), RDF.type, DCAT.Dataset) in graph
    assert list(graph.objects(dataset_uri(dataset), DCAT.distribution)) == []


def test_both_formats_say_the_same(client: Client, aed: Dataset) -> None:
    assert isomorphic(fetch(client, "catalog", "jsonld"), fetch(client, "catalog", "ttl"))
    by_name = {"key": aed.name}
    assert isomorphic(
        fetch(client, "dataset", "jsonld", **by_name), fetch(client, "dataset", "ttl", **by_name)
    )


def test_drafts_never_appear(client: Client, aed: Dataset, department: Department) -> None:
    draft = make_dataset(department, "draft", state=Dataset.State.DRAFT)
    add_file(draft)

    graph = fetch(client, "catalog", "jsonld")

    assert not list(graph.triples((dataset_uri(draft), None, None)))
    assert Literal(str(draft.pk)) not in set(graph.objects(None, DCTERMS.identifier))
    for key in (draft.pk, draft.name):
        for fmt in ("jsonld", "ttl"):
            url = reverse(f"opendata_dcat:dataset_{fmt}", kwargs={"key": key})
            assert client.get(url).status_code == 404
        assert client.get(reverse("opendata_dcat:dataset", kwargs={"key": key})).status_code == 404


@pytest.mark.parametrize("fmt", ["jsonld", "ttl"])
def test_a_deleted_dataset_stays_as_a_withdrawn_tombstone(
    client: Client, department: Department, fmt: str
) -> None:
    deleted_at = datetime(2025, 6, 1, 12, 0, tzinfo=TOKYO)
    gone = make_dataset(
        department,
        "gone",
        state=Dataset.State.DELETED,
        deletion_reason="施設の閉鎖のため",
        modified_at=deleted_at,
    )
    add_file(gone)

    for graph in (fetch(client, "catalog", fmt), fetch(client, "dataset", fmt, key=gone.pk)):
        node = dataset_uri(gone)
        assert (node, RDF.type, DCAT.Dataset) in graph
        assert one(graph, node, ADMS.status) == URIRef("http://purl.org/adms/status/Withdrawn")
        assert one(graph, node, OWL.deprecated).toPython() is True  # type: ignore[attr-defined]
        assert one(graph, node, DCTERMS.modified).toPython() == deleted_at  # type: ignore[attr-defined]
        assert texts(graph, node, ADMS.versionNotes) == {("施設の閉鎖のため", "ja")}
        assert list(graph.objects(node, DCAT.distribution)) == []


def test_a_published_dataset_is_not_marked(client: Client, aed: Dataset) -> None:
    graph = fetch(client, "catalog", "jsonld")

    assert list(graph.objects(dataset_uri(aed), ADMS.status)) == []
    assert list(graph.objects(dataset_uri(aed), OWL.deprecated)) == []


@pytest.mark.parametrize("fmt", ["jsonld", "ttl"])
def test_one_dataset_by_id_or_by_name(client: Client, aed: Dataset, fmt: str) -> None:
    by_id = fetch(client, "dataset", fmt, key=str(aed.pk))
    by_name = fetch(client, "dataset", fmt, key="aed")

    assert isomorphic(by_id, by_name)
    assert set(by_id.subjects(RDF.type, DCAT.Dataset)) == {dataset_uri(aed)}
    assert len(list(by_id.objects(dataset_uri(aed), DCAT.distribution))) == 1
    assert not list(by_id.subjects(RDF.type, DCAT.Catalog))


def test_an_unknown_dataset_is_not_found(client: Client, aed: Dataset) -> None:
    for key in ("no-such-dataset", "00000000-0000-0000-0000-000000000000"):
        url = reverse("opendata_dcat:dataset_jsonld", kwargs={"key": key})
        assert client.get(url).status_code == 404


def test_documents_have_their_media_types(client: Client, aed: Dataset) -> None:
    expected = {
        "catalog_jsonld": "application/ld+json; charset=utf-8",
        "catalog_ttl": "text/turtle; charset=utf-8",
    }
    for url_name, content_type in expected.items():
        response = client.get(reverse(f"opendata_dcat:{url_name}"))
        assert response["Content-Type"] == content_type
        assert response["Access-Control-Allow-Origin"] == "*"
    response = client.get(reverse("opendata_dcat:dataset_ttl", kwargs={"key": "aed"}))
    assert response["Content-Type"] == "text/turtle; charset=utf-8"


def test_an_unchanged_catalog_answers_304(client: Client, aed: Dataset) -> None:
    url = reverse("opendata_dcat:catalog_jsonld")
    first = client.get(url)
    assert first["Last-Modified"] == "Wed, 02 Apr 2025 00:30:15 GMT"
    assert "max-age" in first["Cache-Control"]

    again = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]

    Dataset.objects.filter(pk=aed.pk).update(title="AED一覧", modified_at=timezone.now())
    changed = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_a_renamed_group_changes_the_etag(client: Client, aed: Dataset) -> None:
    url = reverse("opendata_dcat:dataset_ttl", kwargs={"key": "aed"})
    first = client.get(url)
    Group.objects.update(title="防災・安全")

    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 200


def test_the_things_uris_send_each_client_to_its_document(client: Client, aed: Dataset) -> None:
    cases = {
        "text/turtle": reverse("opendata_dcat:catalog_ttl"),
        "application/ld+json": reverse("opendata_dcat:catalog_jsonld"),
        "*/*": reverse("opendata_dcat:catalog_jsonld"),
        "text/html,application/xhtml+xml,*/*;q=0.8": reverse("opendata:catalogue"),
    }
    for accept, target in cases.items():
        response = client.get(reverse("opendata_dcat:catalog"), headers={"Accept": accept})
        assert response.status_code == 303
        assert response["Location"] == target
        assert "Accept" in response["Vary"]

    response = client.get(
        reverse("opendata_dcat:dataset", kwargs={"key": aed.pk}),
        headers={"Accept": "text/turtle"},
    )
    assert response.status_code == 303
    assert response["Location"] == reverse("opendata_dcat:dataset_ttl", kwargs={"key": aed.pk})


def test_an_unchanged_catalog_is_not_built_again(client: Client, aed: Dataset) -> None:
    url = reverse("opendata_dcat:catalog_ttl")
    first = client.get(url)

    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)

    assert len(queries) == 1  # the catalogue's fingerprint
    assert again.content == first.content


def test_a_newly_published_dataset_shows_at_once(
    client: Client, aed: Dataset, department: Department
) -> None:
    url = reverse("opendata_dcat:catalog_jsonld")
    client.get(url)
    draft = make_dataset(department, "later", state=Dataset.State.DRAFT)
    client.get(url)

    Dataset.objects.filter(pk=draft.pk).update(state=Dataset.State.PUBLISHED)
    graph = fetch(client, "catalog", "jsonld")

    assert (dataset_uri(draft), RDF.type, DCAT.Dataset) in graph


def test_the_catalog_costs_the_same_queries_for_5_or_50_datasets(
    client: Client, department: Department
) -> None:
    group = Group.objects.create(name="bousai", title="防災")
    tag = Tag.objects.create(name="AED")

    def grow_to(count: int) -> int:
        for index in range(Dataset.objects.count(), count):
            state = Dataset.State.DELETED if index % 5 == 4 else Dataset.State.PUBLISHED
            dataset = make_dataset(
                department, f"set-{index}", state=state, standard="aed_locations"
            )
            dataset.groups.add(group)
            dataset.tags.add(tag)
            add_file(dataset, versions=2)
            add_file(dataset, fmt=Resource.Format.GEOJSON)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("opendata_dcat:catalog_ttl"))
        assert response.status_code == 200
        graph = Graph().parse(data=response.content.decode(), format="turtle")
        assert len(set(graph.subjects(RDF.type, DCAT.Dataset))) == count
        return len(queries)

    assert grow_to(5) == grow_to(50)
