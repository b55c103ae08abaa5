"""The residents' open-data pages: the catalogue, datasets, files and the town map."""

from django.urls import path

from yakuba.modules.opendata import catalogue_views as views

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("datasets/<slug:name>/", views.dataset, name="dataset"),
    path("files/<uuid:resource_id>/", views.download, name="download"),
    path(
        "files/<uuid:resource_id>/v<int:number>/", views.download_version, name="download_version"
    ),
    path("files/<uuid:resource_id>/preview/", views.preview, name="preview"),
    path("map/", views.town_map, name="map"),
]
