"""The back office pages (申請の処理). Mounted at /procedures/staff/ by `urls.py`."""

from django.urls import path

from yakuba.modules.procedures import counter_views, staff_views

urlpatterns = [
    path("", staff_views.queue, name="staff_queue"),
    path("bulk-status/", staff_views.bulk_status, name="staff_bulk_status"),
    path("export/", staff_views.export, name="staff_export"),
    path("mynaportal/", staff_views.mynaportal_upload, name="staff_mynaportal"),
    path("attachments/<int:pk>/", staff_views.attachment, name="staff_attachment"),
    path("counter/", counter_views.search, name="staff_counter"),
    path("counter/<slug:code>/<int:resident_id>/", counter_views.start, name="staff_counter_start"),
    path(
        "counter/<slug:code>/<int:resident_id>/form/",
        counter_views.fill,
        name="staff_counter_form",
    ),
    path(
        "counter/<slug:code>/<int:resident_id>/form/<slug:section>/",
        counter_views.fill,
        name="staff_counter_section",
    ),
    path(
        "counter/<slug:code>/<int:resident_id>/review/",
        counter_views.review,
        name="staff_counter_review",
    ),
    path(
        "counter/<slug:code>/<int:resident_id>/submit/",
        counter_views.submit,
        name="staff_counter_submit",
    ),
    path(
        "counter/<slug:code>/<int:resident_id>/discard/",
        counter_views.discard,
        name="staff_counter_discard",
    ),
    path("<int:pk>/", staff_views.detail, name="staff_submission"),
    path("<int:pk>/receipt/", counter_views.received, name="staff_counter_received"),
    path("<int:pk>/print/", staff_views.print_view, name="staff_print"),
    path("<int:pk>/pdf/", staff_views.submission_pdf, name="staff_pdf"),
    path("<int:pk>/assign/", staff_views.assign, name="staff_assign"),
    path("<int:pk>/status/", staff_views.change_status, name="staff_status"),
    path("<int:pk>/correction/", staff_views.request_correction, name="staff_request_correction"),
    path("<int:pk>/note/", staff_views.add_note, name="staff_note"),
    path("<int:pk>/message/", staff_views.send_message, name="staff_message"),
    path("<int:pk>/paid/", staff_views.mark_paid, name="staff_mark_paid"),
    path("<int:pk>/correct/", staff_views.correct, name="staff_correct"),
]
