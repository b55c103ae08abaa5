"""Staff pages for API keys, mounted at /notify/staff/api-keys/ (namespace "notify")."""

from django.urls import path

from yakuba.platform.notify import apikey_views

urlpatterns = [
    path("", apikey_views.apikey_list, name="apikey_list"),
    path("new/", apikey_views.apikey_new, name="apikey_new"),
    path("<int:key_id>/revoke/", apikey_views.apikey_revoke, name="apikey_revoke"),
]
