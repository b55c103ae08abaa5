"""The CKAN-compatible Action API, mounted at /api/3/action/ (namespace "opendata_ckan")."""

from django.urls import path

from yakuba.modules.opendata import ckan

app_name = "opendata_ckan"

urlpatterns = [
    path("<str:name>", ckan.dispatch, name="action"),
]
