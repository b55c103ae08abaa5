from django.urls import path

from yakuba.platform.places import views

app_name = "places"

urlpatterns = [
    path("", views.place_list, name="list"),
    path("geojson/", views.places_geojson, name="geojson"),
    path("geojson/<slug:kind>/", views.places_geojson, name="kind_geojson"),
    path("districts.geojson", views.districts_geojson, name="districts_geojson"),
    path("staff/", views.staff_place_list, name="staff_list"),
    path("staff/new/", views.staff_place_create, name="staff_create"),
    path("staff/import/", views.staff_import, name="staff_import"),
    path("staff/export.csv", views.staff_export, name="staff_export"),
    path("staff/districts/", views.staff_district_list, name="staff_districts"),
    path(
        "staff/districts/export.geojson", views.staff_district_export, name="staff_district_export"
    ),
    path("staff/<str:code>/edit/", views.staff_place_edit, name="staff_edit"),
    path("staff/<str:code>/delete/", views.staff_place_delete, name="staff_delete"),
    path("<str:code>/", views.place_detail, name="detail"),
]
