"""The catalogue in DCAT, mounted at the site root (namespace "opendata_dcat"): `/catalog.jsonld`,
`/catalog.ttl`, `/dataset/<uuid or name>.jsonld` and `.ttl`; `/catalog` and `/dataset/<id>` are the
URIs of the things themselves and answer 303 to the document the client asks for."""

from django.urls import path, re_path

from yakuba.modules.opendata import dcat

app_name = "opendata_dcat"

DATASET = r"^dataset/(?P<key>[-a-zA-Z0-9_]+)"

urlpatterns = [
    path("catalog", dcat.catalog, name="catalog"),
    path("catalog.jsonld", dcat.catalog_document, {"fmt": "jsonld"}, name="catalog_jsonld"),
    path("catalog.ttl", dcat.catalog_document, {"fmt": "ttl"}, name="catalog_ttl"),
    re_path(
        DATASET + r"\.jsonld$", dcat.dataset_document, {"fmt": "jsonld"}, name="dataset_jsonld"
    ),
    re_path(DATASET + r"\.ttl$", dcat.dataset_document, {"fmt": "ttl"}, name="dataset_ttl"),
    re_path(DATASET + "$", dcat.dataset, name="dataset"),
]
