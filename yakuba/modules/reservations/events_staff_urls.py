"""The staff's event pages (催し・教室の管理), mounted at /reservations/staff/events/ by
`urls.py`."""

from django.urls import path

from yakuba.modules.reservations import events_staff_views as views

urlpatterns = [
    path("", views.event_list, name="staff_events"),
    path("new/", views.create_event, name="staff_event_new"),
    path("<int:pk>/", views.event_detail, name="staff_event"),
    path("<int:pk>/edit/", views.edit_event, name="staff_event_edit"),
    path("<int:pk>/publish/", views.publish_event, name="staff_event_publish"),
    path("<int:pk>/cancel/", views.cancel_event, name="staff_event_cancel"),
    path("<int:pk>/sessions/new/", views.add_session, name="staff_session_new"),
    path("sessions/<int:pk>/edit/", views.edit_session, name="staff_session_edit"),
    path("sessions/<int:pk>/remove/", views.remove_session, name="staff_session_remove"),
    path("sessions/<int:pk>/attendees/", views.attendees, name="staff_attendees"),
    path("sessions/<int:pk>/check-in/", views.check_in, name="staff_checkin"),
    path("check-in/<str:token>/", views.check_in_ticket, name="staff_checkin_ticket"),
]
