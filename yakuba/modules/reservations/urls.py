"""The reservations pages, mounted at /reservations/: the residents' search, calendars, booking
and their own bookings, the calendar files for apps, and the staff pages under staff/."""

from django.urls import include, path

from yakuba.modules.reservations import views

app_name = "reservations"

urlpatterns = [
    path("staff/", include("yakuba.modules.reservations.staff_urls")),
    path("events/", include("yakuba.modules.reservations.events_urls")),
    path("staff/events/", include("yakuba.modules.reservations.events_staff_urls")),
    path("groups/", include("yakuba.modules.reservations.groups_urls")),
    path("staff/groups/", include("yakuba.modules.reservations.groups_staff_urls")),
    path("lottery/", include("yakuba.modules.reservations.lottery_urls")),
    path("staff/lottery/", include("yakuba.modules.reservations.lottery_staff_urls")),
    path("", views.search, name="search"),
    path("facilities/<slug:code>/", views.facility_page, name="facility"),
    path("facilities/<slug:code>/days/<str:day>/", views.week, name="week"),
    path("facilities/<slug:code>/time/", views.choose_time, name="choose_time"),
    path("facilities/<slug:code>/book/", views.book, name="book"),
    path("facilities/<slug:code>/busy.ics", views.facility_ics, name="facility_ics"),
    path("mine/", views.mine, name="mine"),
    path("bookings/<int:pk>/", views.booking, name="booking"),
    path("bookings/<int:pk>/booking.ics", views.booking_ics, name="booking_ics"),
    path("bookings/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("bookings/<int:pk>/change/", views.change, name="change"),
    path("bookings/<int:pk>/change/time/", views.change_time, name="change_time"),
    path("bookings/<int:pk>/change/confirm/", views.change_confirm, name="change_confirm"),
    path("calendar/", views.feed_settings, name="feed_settings"),
    path("calendar/<str:token>.ics", views.feed, name="feed"),
]
