"""The residents' procedure pages (オンライン申請). Mounted at /procedures/ by `urls.py`."""

from django.urls import path

from yakuba.modules.procedures import views

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("mine/", views.mine, name="mine"),
    path("mine/<int:pk>/", views.submission_page, name="submission"),
    path("mine/<int:pk>/received/", views.received, name="received"),
    path("mine/<int:pk>/pdf/", views.submission_pdf, name="pdf"),
    path("mine/<int:pk>/correction/", views.correction, name="correction"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("<slug:code>/", views.procedure_page, name="procedure"),
    path("<slug:code>/start/", views.start, name="start"),
    path("<slug:code>/form/", views.fill, name="form"),
    path("<slug:code>/form/<slug:section>/", views.fill, name="form_section"),
    path("<slug:code>/review/", views.review, name="review"),
    path("<slug:code>/submit/", views.submit, name="submit"),
    path("<slug:code>/discard/", views.discard, name="discard"),
]
