"""The residents' report pages (町への通報)."""

from django.urls import include, path

from yakuba.modules.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("staff/open311/", include("yakuba.modules.reports.staff_urls")),
    path("staff/stats/", include("yakuba.modules.reports.stats_urls")),
    path("staff/", include("yakuba.modules.reports.triage_urls")),
    path("geojson/", views.geojson, name="geojson"),
    path("mine/", views.mine, name="mine"),
    path("new/", views.choose_category, name="new"),
    path("new/<slug:code>/", views.choose_location, name="new_location"),
    path("new/<slug:code>/send/", views.send_report, name="new_send"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/received/", views.received, name="received"),
    path("<int:pk>/comment/", views.comment, name="comment"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("photos/<int:pk>/thumbnail/", views.photo, {"size": "thumbnail"}, name="photo_thumbnail"),
]
