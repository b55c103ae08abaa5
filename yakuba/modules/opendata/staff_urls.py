"""The staff's open-data pages (オープンデータの管理), mounted at /opendata/staff/ (namespace
"opendata")."""

from django.urls import path

from yakuba.modules.opendata import staff_views as views

urlpatterns = [
    path("", views.dataset_list, name="staff_list"),
    path("new/", views.dataset_new, name="staff_new"),
    path("<uuid:pk>/", views.dataset_detail, name="staff_dataset"),
    path("<uuid:pk>/edit/", views.dataset_edit, name="staff_edit"),
    path("<uuid:pk>/publish/", views.dataset_publish, name="staff_publish"),
    path("<uuid:pk>/delete/", views.dataset_delete, name="staff_delete"),
    path("<uuid:pk>/upload/", views.upload_new, name="staff_upload_new"),
    path("<uuid:pk>/uploads/<int:upload_id>/", views.upload_check, name="staff_upload"),
    path(
        "<uuid:pk>/uploads/<int:upload_id>/publish/",
        views.upload_publish,
        name="staff_upload_publish",
    ),
    path("files/<uuid:resource_id>/v<int:number>/", views.version_file, name="staff_version_file"),
]
