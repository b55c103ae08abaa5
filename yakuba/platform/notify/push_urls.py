"""Web Push endpoints, mounted at /notify/push/ (namespace "notify")."""

from django.urls import URLPattern, path

from yakuba.platform.notify import push_views

urlpatterns: list[URLPattern] = [
    path("service-worker.js", push_views.service_worker, name="push_service_worker"),
    path("public-key", push_views.public_key, name="push_public_key"),
    path("subscribe", push_views.subscribe, name="push_subscribe"),
    path("unsubscribe", push_views.unsubscribe, name="push_unsubscribe"),
]
