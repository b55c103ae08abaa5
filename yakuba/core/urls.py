from django.urls import path

from yakuba.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/second-factor/", views.staff_second_factor, name="staff_second_factor"),
    path("staff/jobs/", views.jobs, name="jobs"),
    path("staff/municipality/", views.municipality_settings, name="municipality_settings"),
    path("preferences/", views.set_reader_preferences, name="reader_preferences"),
]
