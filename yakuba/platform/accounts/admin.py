"""Admin for accounts: staff accounts, departments and roles.

Residents' profiles and households are deliberately not registered: a staff read of them must go
through the resident lookup (町民情報の照会), which writes the audit entry.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from yakuba.platform.accounts.models import Department, StaffMember, User


class StaffMemberInline(admin.StackedInline):
    model = StaffMember
    can_delete = False
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts sign in by email; staff get a department (StaffMember) and roles (groups)."""

    ordering = ("email",)
    list_display = ("email", "is_staff", "is_active", "is_demo", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "is_demo", "groups")
    search_fields = ("email",)
    inlines = (StaffMemberInline,)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("権限"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("記録"), {"fields": ("last_login", "date_joined", "is_demo")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ("last_login", "date_joined")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "name_en", "phone", "order")
    search_fields = ("name", "code", "name_en")


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ("display_name", "department", "title", "user")
    list_filter = ("department",)
    list_select_related = ("department", "user")
    search_fields = ("display_name", "user__email")
