"""Staff pages for message templates, mounted at /notify/staff/templates/ (namespace "notify")."""

from django.urls import path

from yakuba.platform.notify import template_views as views

urlpatterns = [
    path("", views.template_list, name="template_list"),
    path("new/", views.template_edit, name="template_new"),
    path("<int:pk>/", views.template_edit, name="template_edit"),
    path("<int:pk>/delete/", views.template_delete, name="template_delete"),
]
