"""Staff's group pages (登録団体の審査), mounted at /reservations/staff/groups/ by `urls.py`."""

from django.urls import path

from yakuba.modules.reservations import groups_views

urlpatterns = [
    path("", groups_views.staff_list, name="staff_groups"),
    path("<int:pk>/", groups_views.staff_detail, name="staff_group"),
    path("<int:pk>/decide/", groups_views.staff_decide, name="staff_group_decide"),
]
