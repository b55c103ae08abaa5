"""The residents' event pages (催し・教室), mounted at /reservations/events/ by `urls.py`."""

from django.urls import path

from yakuba.modules.reservations import events_views

urlpatterns = [
    path("", events_views.event_list, name="events"),
    path("<int:pk>/", events_views.event_page, name="event"),
    path("<int:pk>/sign-up/", events_views.sign_up, name="event_sign_up"),
    path("tickets/", events_views.my_tickets, name="my_tickets"),
    path("tickets/<int:pk>/", events_views.ticket_page, name="ticket"),
    path("tickets/<int:pk>/qr.png", events_views.ticket_png, name="ticket_png"),
    path("tickets/<int:pk>/cancel/", events_views.cancel_ticket, name="ticket_cancel"),
]
