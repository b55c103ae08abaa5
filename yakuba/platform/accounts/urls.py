from django.urls import path

from yakuba.platform.accounts import views

app_name = "accounts"

# Mounted at the site root (url_prefix ""), so that the staff pages live under /staff/ with the
# rest of the staff console while the resident's own pages stay under /my/.
urlpatterns = [
    path("my/", views.my_page, name="my_page"),
    path("my/profile/", views.profile_edit, name="profile_edit"),
    path("my/household/add/", views.household_add, name="household_add"),
    path("my/household/<int:member_id>/", views.household_edit, name="household_edit"),
    path("my/household/<int:member_id>/delete/", views.household_delete, name="household_delete"),
    path("my/security/", views.security, name="security"),
    path("my/data/", views.data_download, name="data_download"),
    path("my/delete/", views.account_delete, name="account_delete"),
    path("staff/residents/", views.staff_resident_search, name="staff_resident_search"),
    path(
        "staff/residents/<int:profile_id>/",
        views.staff_resident_detail,
        name="staff_resident_detail",
    ),
]
