"""Notify's pages, mounted at /notify/: the resident's inbox and settings, Web Push and LINE
endpoints, and the staff console's messages."""

from django.urls import include, path

app_name = "notify"

urlpatterns = [
    path("", include("yakuba.platform.notify.inbox_urls")),
    path("push/", include("yakuba.platform.notify.push_urls")),
    path("line/", include("yakuba.platform.notify.line_urls")),
    path("staff/api-keys/", include("yakuba.platform.notify.apikey_urls")),
    path("staff/templates/", include("yakuba.platform.notify.template_urls")),
    path("staff/", include("yakuba.platform.notify.staff_urls")),
]
