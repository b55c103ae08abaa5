"""The staff console's notify pages, mounted at /notify/staff/ (namespace "notify")."""

from django.urls import path

from yakuba.platform.notify import staff_views as views

urlpatterns = [
    path("", views.message_list, name="staff_messages"),
    path("messages/new/", views.compose, name="staff_compose"),
    path("messages/preview/<str:token>/", views.preview, name="staff_preview"),
    path("messages/send/", views.send, name="staff_send"),
    path("messages/<int:pk>/", views.message_report, name="staff_message"),
    path("messages/<int:pk>/cancel/", views.message_cancel, name="staff_message_cancel"),
    path("messages/<int:pk>/deliveries.csv", views.delivery_export, name="staff_delivery_export"),
    path("messages/<int:pk>/answers/", views.answers, name="staff_answers"),
    path("messages/<int:pk>/answers.csv", views.answers_export, name="staff_answers_export"),
    path(
        "messages/<int:pk>/answers/<int:question_pk>/",
        views.free_text,
        name="staff_free_text",
    ),
    path("messages/<int:pk>/help/", views.help_list, name="staff_help_list"),
    path(
        "messages/<int:pk>/conversations/",
        views.conversation_list,
        name="staff_conversations",
    ),
    path(
        "messages/<int:pk>/conversations/<int:recipient_pk>/",
        views.conversation,
        name="staff_conversation",
    ),
    path("segments/", views.segment_list, name="staff_segments"),
    path("segments/new/", views.segment_edit, name="staff_segment_new"),
    path("segments/count/", views.segment_count, name="staff_segment_count"),
    path("segments/<int:pk>/", views.segment_edit, name="staff_segment_edit"),
]
