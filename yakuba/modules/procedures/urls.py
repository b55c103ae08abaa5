"""The procedures pages: the residents' catalogue and applications, the postal-code lookup."""

from django.urls import include, path

app_name = "procedures"
urlpatterns = [
    path("postal/", include("yakuba.modules.procedures.postal_urls")),
    path("", include("yakuba.modules.procedures.resident_urls")),
]
