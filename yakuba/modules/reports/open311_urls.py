"""Open311 GeoReport v2, mounted at /open311/v2/ (namespace "open311"). Every method is named with
its format extension, as the spec does: `services.xml`, `requests/12.json`."""

from django.urls import re_path

from yakuba.modules.reports import open311

app_name = "open311"

FORMAT = r"\.(?P<format>[A-Za-z0-9]+)$"

urlpatterns = [
    re_path(r"^discovery" + FORMAT, open311.discovery, name="discovery"),
    re_path(r"^services" + FORMAT, open311.service_list, name="services"),
    re_path(r"^services/(?P<code>[^/.]+)" + FORMAT, open311.service_definition, name="service"),
    re_path(r"^requests" + FORMAT, open311.service_requests, name="requests"),
    re_path(r"^requests/(?P<request_id>[^/.]+)" + FORMAT, open311.service_request, name="request"),
    re_path(r"^tokens/(?P<token>[^/.]+)" + FORMAT, open311.token, name="token"),
    re_path(
        r"^servicerequestupdates" + FORMAT,
        open311.service_request_updates,
        name="servicerequestupdates",
    ),
    # Anything else here is the spec's 404, not the site's HTML page.
    re_path(r"^(?P<path>.*)$", open311.not_found, name="not_found"),
]
