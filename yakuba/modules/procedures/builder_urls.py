"""The form builder's pages (手続きと様式), mounted at /procedures/staff/forms/. A page of one
procedure has `code` in its URL and is a `builder_views.procedure_page` (the tests check both)."""

from django.urls import path

from yakuba.modules.procedures import builder_views as views

urlpatterns = [
    path("", views.procedure_list, name="builder_list"),
    path("new/", views.procedure_new, name="builder_new"),
    path("import/", views.import_file, name="builder_import"),
    path("import/confirm/", views.import_confirm, name="builder_import_confirm"),
    path("<slug:code>/", views.procedure_detail, name="builder_detail"),
    path("<slug:code>/settings/", views.procedure_settings, name="builder_settings"),
    path("<slug:code>/export/", views.export, name="builder_export"),
    path("<slug:code>/publish/", views.publish, name="builder_publish"),
    path("<slug:code>/versions/<int:number>/", views.version_page, name="builder_version"),
    path("<slug:code>/form/", views.editor, name="builder_form"),
    path("<slug:code>/form/start/", views.start_editing, name="builder_start"),
    path("<slug:code>/form/discard/", views.discard, name="builder_discard"),
    path("<slug:code>/form/preview/", views.preview, name="builder_preview"),
    path("<slug:code>/form/fee/", views.fee, name="builder_fee"),
    path("<slug:code>/form/json/", views.edit_as_json, name="builder_definition"),
    path("<slug:code>/form/add-section/", views.section_new, name="builder_section_new"),
    path("<slug:code>/form/sections/<slug:key>/", views.section_edit, name="builder_section_edit"),
    path(
        "<slug:code>/form/sections/<slug:key>/move/",
        views.section_move,
        name="builder_section_move",
    ),
    path(
        "<slug:code>/form/sections/<slug:key>/remove/",
        views.section_remove,
        name="builder_section_remove",
    ),
    path(
        "<slug:code>/form/sections/<slug:key>/add-field/",
        views.field_new,
        name="builder_field_new",
    ),
    path(
        "<slug:code>/form/sections/<slug:key>/fields/<str:path>/",
        views.field_edit,
        name="builder_field_edit",
    ),
    path(
        "<slug:code>/form/sections/<slug:key>/fields/<str:path>/move/",
        views.field_move,
        name="builder_field_move",
    ),
    path(
        "<slug:code>/form/sections/<slug:key>/fields/<str:path>/remove/",
        views.field_remove,
        name="builder_field_remove",
    ),
]
