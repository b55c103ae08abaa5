"""Audit: an append-only record of staff writes and of staff reads of residents' personal data."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditLogIsAppendOnly(Exception):
    """Raised on any attempt to change or remove an audit entry (監査ログは追記のみ)."""

    def __init__(self, operation: str) -> None:
        super().__init__(
            f"The audit log is append-only: {operation} of audit entries is refused. "
            "Entries can only be added."
        )


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Refuses bulk changes before they reach the database (whose triggers refuse them too)."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("update")

    def delete(self) -> NoReturn:
        raise AuditLogIsAppendOnly("delete")

    # bulk_update() goes through update(), so it is refused as well.


class AuditAction(models.TextChoices):
    READ = "read", _("閲覧")
    CREATE = "create", _("登録")
    UPDATE = "update", _("更新")
    DELETE = "delete", _("削除")
    EXPORT = "export", _("出力")


class AuditEntry(models.Model):
    """One audited act (監査ログ). Never updated or deleted: the database refuses both.

    The actor and the resident are kept as ids and labels, not foreign keys, so that deleting an
    account never rewrites or removes the trail of who looked at it.
    """

    occurred_at = models.DateTimeField(_("日時"), auto_now_add=True, db_index=True)
    actor_id = models.BigIntegerField(_("操作者ID"), null=True, db_index=True)
    actor_label = models.CharField(_("操作者"), max_length=200)
    action = models.CharField(_("操作"), max_length=10, choices=AuditAction.choices)
    object_type = models.CharField(_("対象の種類"), max_length=100, db_index=True)
    object_id = models.CharField(_("対象ID"), max_length=64, blank=True)
    object_label = models.CharField(_("対象"), max_length=200, blank=True)
    subject_user_id = models.BigIntegerField(_("本人ID"), null=True, blank=True, db_index=True)
    screen = models.CharField(_("画面・処理"), max_length=200, blank=True)
    reason = models.CharField(_("理由"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("IPアドレス"), null=True, blank=True)
    changes = models.JSONField(_("変更内容"), default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("監査ログ")
        verbose_name_plural = _("監査ログ")
        default_permissions = ("view",)
        permissions = [("search_auditentry", _("監査ログを検索できる"))]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.get_action_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly("update")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("delete")

    @property
    def changed_fields(self) -> list[str]:
        """The names of the fields a create, update or delete touched (values may be withheld)."""
        return list(self.changes.get("fields", {})) if isinstance(self.changes, dict) else []
