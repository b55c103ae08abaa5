"""LINE endpoints, mounted at /notify/line/ in the "notify" namespace."""

from django.urls import path

from yakuba.platform.notify import line_views

urlpatterns = [
    path("webhook", line_views.webhook, name="line_webhook"),
    path("link", line_views.link, name="line_link"),
]
