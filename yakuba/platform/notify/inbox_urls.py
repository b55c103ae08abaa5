"""The resident's inbox and settings, mounted at /notify/ (namespace "notify").

`inbox_detail` and `answer` are linked from mails, LINE and Web Push: keep their paths stable.
"""

from django.urls import URLPattern, path

from yakuba.platform.notify import inbox_views

urlpatterns: list[URLPattern] = [
    path("", inbox_views.inbox, name="inbox"),
    path("settings/", inbox_views.notification_settings, name="settings"),
    path("<int:pk>/", inbox_views.inbox_detail, name="inbox_detail"),
    path(
        "<int:pk>/questions/<int:question_pk>/answer/",
        inbox_views.answer_question,
        name="inbox_answer",
    ),
    path("<int:pk>/conversation/", inbox_views.write_to_town, name="inbox_write"),
    path("answer/<str:token>/", inbox_views.answer_link, name="answer"),
    path("attachments/<int:pk>/", inbox_views.attachment, name="attachment"),
]
