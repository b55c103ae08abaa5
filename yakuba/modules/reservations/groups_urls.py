"""Residents' group pages (団体登録), mounted at /reservations/groups/ by `urls.py`."""

from django.urls import path

from yakuba.modules.reservations import groups_views

urlpatterns = [
    path("", groups_views.group_list, name="groups"),
    path("new/", groups_views.register, name="group_register"),
    path("<int:pk>/", groups_views.group_detail, name="group"),
    path("<int:pk>/edit/", groups_views.edit, name="group_edit"),
    path("<int:pk>/members/", groups_views.add_member, name="group_add_member"),
    path(
        "<int:pk>/members/<int:user_pk>/remove/",
        groups_views.remove_member,
        name="group_remove_member",
    ),
    path("<int:pk>/leave/", groups_views.leave, name="group_leave"),
]
