"""Staff's lottery pages (抽選の管理), mounted at /reservations/staff/lottery/ by `urls.py`."""

from django.urls import path

from yakuba.modules.reservations import lottery_views

urlpatterns = [
    path("", lottery_views.staff_rounds, name="staff_lottery"),
    path("new/", lottery_views.staff_new, name="staff_lottery_new"),
    path("<int:pk>/", lottery_views.staff_round, name="staff_lottery_round"),
    path("<int:pk>/draw/", lottery_views.staff_draw, name="staff_lottery_draw"),
]
