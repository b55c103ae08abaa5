"""Writing to the audit log. Every function appends; nothing here updates or deletes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.http import HttpRequest

from yakuba.platform.audit.context import current_request_context
from yakuba.platform.audit.models import AuditAction, AuditEntry


def _actor(by: Any) -> tuple[int | None, str]:
    if by is None or not getattr(by, "is_authenticated", False):
        return None, "system"
    return by.pk, str(by)


def record(
    action: str,
    *,
    by: Any,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    subject_user_id: int | None = None,
    screen: str = "",
    reason: str = "",
    changes: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Append one entry to the audit log (監査ログ). `screen` and the IP address default to the
    current request's. This is the only way entries are written; nothing updates or deletes them."""
    entry = _entry(
        action,
        by=by,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label,
        subject_user_id=subject_user_id,
        screen=screen,
        reason=reason,
        changes=changes,
        request=request,
    )
    entry.save(force_insert=True)
    return entry


def _entry(
    action: str,
    *,
    by: Any,
    obj: models.Model | None,
    object_type: str,
    object_id: str,
    object_label: str,
    subject_user_id: int | None,
    screen: str,
    reason: str,
    changes: dict[str, Any] | None,
    request: HttpRequest | None,
) -> AuditEntry:
    context = current_request_context()
    actor_id, actor_label = _actor(by)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_label = object_label or str(obj)[:200]
    ip_address = None
    if request is not None:
        ip_address = request.META.get("REMOTE_ADDR")
        screen = screen or getattr(request.resolver_match, "view_name", "") or request.path
    elif context is not None:
        ip_address = context.ip_address
        screen = screen or context.screen
    return AuditEntry(
        actor_id=actor_id,
        actor_label=actor_label[:200],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label[:200],
        subject_user_id=subject_user_id,
        screen=screen[:200],
        reason=reason[:200],
        ip_address=ip_address,
        changes=changes or {},
    )


def record_read(
    *,
    by: Any,
    obj: models.Model,
    subject_user_id: int | None,
    screen: str = "",
    reason: str = "",
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Record that a staff member opened a resident's personal data (個人情報の閲覧)."""
    return record(
        AuditAction.READ,
        by=by,
        obj=obj,
        subject_user_id=subject_user_id,
        screen=screen,
        reason=reason,
        request=request,
    )


def record_reads(
    *,
    by: Any,
    opened: Iterable[tuple[models.Model, int | None]],
    reason: str = "",
    request: HttpRequest | None = None,
) -> int:
    """`record_read` for many records at once (an export of applications), in one INSERT: each
    (record, its resident's user id) gets its entry. Returns how many were written."""
    entries = [
        _entry(
            AuditAction.READ,
            by=by,
            obj=obj,
            object_type="",
            object_id="",
            object_label="",
            subject_user_id=subject_user_id,
            screen="",
            reason=reason,
            changes=None,
            request=request,
        )
        for obj, subject_user_id in opened
    ]
    AuditEntry.objects.bulk_create(entries, batch_size=1000)
    return len(entries)


def record_export(
    *,
    by: Any,
    object_type: str,
    filters: dict[str, Any],
    row_count: int | None = None,
    reason: str = "",
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Record that a staff member downloaded a list (出力): what kind of rows, under which filters."""
    changes: dict[str, Any] = {"filters": filters}
    if row_count is not None:
        changes["row_count"] = row_count
    return record(
        AuditAction.EXPORT,
        by=by,
        object_type=object_type,
        reason=reason,
        changes=changes,
        request=request,
    )
