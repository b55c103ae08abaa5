"""The staff statistics page of reports, to be mounted at /reports/staff/stats/ (namespace
"reports")."""

from django.urls import path

from yakuba.modules.reports import stats_views

urlpatterns = [
    path("", stats_views.statistics, name="stats"),
    path("<slug:table>.csv", stats_views.statistics_export, name="stats_export"),
]
