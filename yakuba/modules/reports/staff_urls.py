"""Staff pages for Open311 apps, to be mounted at /reports/staff/open311/ (namespace "reports")."""

from django.urls import path

from yakuba.modules.reports import open311_key_views

urlpatterns = [
    path("", open311_key_views.key_list, name="open311_key_list"),
    path("new/", open311_key_views.key_new, name="open311_key_new"),
    path("<int:client_id>/revoke/", open311_key_views.key_revoke, name="open311_key_revoke"),
]
