"""The procedures pages: the residents' catalogue and applications, the postal-code lookup."""

from django.urls import include, path

app_name = "procedures"
urlpatterns = [
    path("postal/", include("yakuba.modules.procedures.postal_urls")),
    path("staff/forms/", include("yakuba.modules.procedures.builder_urls")),
    path("staff/", include("yakuba.modules.procedures.staff_urls")),
    path("", include("yakuba.modules.procedures.resident_urls")),
]
