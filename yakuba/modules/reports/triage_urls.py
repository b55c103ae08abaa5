"""Staff triage pages (通報の対応), to be mounted at /reports/staff/ (namespace "reports")."""

from django.urls import path

from yakuba.modules.reports import triage_views

urlpatterns = [
    path("", triage_views.queue, name="triage"),
    path("map.geojson", triage_views.geojson, name="triage_geojson"),
    path("photos/", triage_views.photo_list, name="triage_photos"),
    path("photos/<int:pk>/review/", triage_views.review_photo, name="triage_photo_review"),
    path("blocked/", triage_views.blocked_list, name="triage_blocked"),
    path("blocked/<int:pk>/unblock/", triage_views.unblock, name="triage_unblock"),
    path("<int:pk>/", triage_views.detail, name="triage_detail"),
    path("<int:pk>/assign/", triage_views.assign, name="triage_assign"),
    path("<int:pk>/status/", triage_views.change_status, name="triage_status"),
    path("<int:pk>/note/", triage_views.add_note, name="triage_note"),
    path("<int:pk>/merge/", triage_views.merge, name="triage_merge"),
    path("<int:pk>/hide/", triage_views.hide, name="triage_hide"),
    path("<int:pk>/unhide/", triage_views.unhide, name="triage_unhide"),
    path("<int:pk>/block/", triage_views.block, name="triage_block"),
]
