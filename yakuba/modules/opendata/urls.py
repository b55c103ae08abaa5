"""The open-data pages: the public catalogue and map, and the staff's catalogue management."""

from django.urls import include, path

app_name = "opendata"
urlpatterns = [
    path("staff/", include("yakuba.modules.opendata.staff_urls")),
    path("", include("yakuba.modules.opendata.catalogue_urls")),
]
