from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from yakuba.platform.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the admin may show the log, never add to, change or remove it."""

    list_display = ("occurred_at", "actor_label", "action", "object_type", "object_label", "screen")
    list_filter = ("action", "occurred_at")
    search_fields = ("actor_label", "object_type", "object_id", "object_label")
    date_hierarchy = "occurred_at"
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
