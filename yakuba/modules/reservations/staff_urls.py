"""The staff pages of reservations (施設予約の管理). Mounted at /reservations/staff/ by `urls.py`."""

from django.urls import path

from yakuba.modules.reservations import staff_views

urlpatterns = [
    path("", staff_views.staff_calendar, name="staff_calendar"),
    path("bookings/<int:pk>/", staff_views.booking_detail, name="staff_booking"),
    path("bookings/<int:pk>/paid/", staff_views.mark_paid, name="staff_mark_paid"),
    path("bookings/<int:pk>/reduction/", staff_views.decide_reduction, name="staff_reduction"),
    path("bookings/<int:pk>/cancel/", staff_views.cancel, name="staff_cancel"),
    path("counter/", staff_views.counter, name="staff_counter"),
    path("counter/slots/", staff_views.counter_slots, name="staff_counter_slots"),
    path("counter/details/", staff_views.counter_details, name="staff_counter_details"),
    path("closures/", staff_views.closures, name="staff_closures"),
    path("closures/<int:pk>/remove/", staff_views.remove_closure, name="staff_closure_remove"),
    path("stats/", staff_views.statistics, name="staff_stats"),
    path("stats/csv/", staff_views.statistics_csv, name="staff_stats_csv"),
    path("facilities/", staff_views.facilities, name="staff_facilities"),
    path("facilities/<int:pk>/", staff_views.facility_settings, name="staff_facility_settings"),
    path("facilities/<int:pk>/fees/", staff_views.fee_schedules, name="staff_fee_schedules"),
]
