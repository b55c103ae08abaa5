"""Every staff write is logged (職員による更新の記録), whichever module made it.

Model signals turn each save and delete made during a staff member's request into an audit entry:
which record, which fields changed, and the old and new values of fields that are not secret.
Outside a staff request (residents, workers, management commands) nothing is recorded here;
services that must leave a trail there call `services.record()` themselves.
See docs/decisions/0005-audit-writes-through-signals.md for why signals.

Limits: QuerySet.update(), bulk_create() and raw SQL send no signals and are not seen here.
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from yakuba.platform.audit.context import current_request_context
from yakuba.platform.audit.models import AuditAction
from yakuba.platform.audit.services import record

# Models whose rows are machinery, not acts of a person: the log itself, sessions, the job queue,
# the migration recorder, content types, the admin's own history (it repeats ours) and allauth's
# one-time confirmation keys and OAuth tokens (refreshed at every sign-in, and secret).
UNTRACKED_APPS = {
    "audit",
    "sessions",
    "django_tasks_database",
    "migrations",
    "contenttypes",
    "admin",
}
UNTRACKED_MODELS = {
    "account.emailconfirmation",
    "socialaccount.socialtoken",
    "usersessions.usersession",
}

# Fields that change by themselves when someone signs in or uses a second factor. A save that
# changes only these is not recorded; alongside other changes they are left out.
NOISE_FIELDS: dict[str, set[str]] = {
    "*": {"last_login"},
    "mfa.authenticator": {"last_used_at"},
    "socialaccount.socialaccount": {"last_login", "extra_data"},
}

# A field whose name has one of these words (split on "_") never has its value written to the log;
# that it changed still is. Modules add their own with `declare_sensitive_fields()`.
SENSITIVE_NAME_PARTS = {"password", "secret", "token", "key"}
SENSITIVE_FIELDS: dict[str, set[str]] = {
    # allauth keeps the TOTP secret and recovery-code seed in this JSON field.
    "mfa.authenticator": {"data"},
}

# Long values (free text, JSON) are cut so that one entry stays a readable size.
MAX_VALUE_LENGTH = 500

_PREVIOUS = "_audit_previous_values"
_PREVIOUS_M2M = "_audit_previous_m2m"


def declare_sensitive_fields(model_label: str, *field_names: str) -> None:
    """Keep the values of these fields out of the log, e.g. ("accounts.residentprofile", "my_number").

    Call it from the declaring app's `AppConfig.ready()`. `model_label` is "app_label.modelname".
    """
    SENSITIVE_FIELDS.setdefault(model_label.lower(), set()).update(field_names)


def declare_untracked_models(*model_labels: str) -> None:
    """Stop recording writes to these models (machinery whose rows are not acts of a person)."""
    UNTRACKED_MODELS.update(label.lower() for label in model_labels)


def is_tracked(model: type[models.Model]) -> bool:
    meta = model._meta
    return not (
        meta.auto_created
        or meta.app_label in UNTRACKED_APPS
        or meta.label_lower in UNTRACKED_MODELS
    )


def is_sensitive(model: type[models.Model], field_name: str) -> bool:
    if SENSITIVE_NAME_PARTS.intersection(field_name.lower().split("_")):
        return True
    return field_name in SENSITIVE_FIELDS.get(model._meta.label_lower, set())


def _is_noise(model: type[models.Model], field_name: str) -> bool:
    return field_name in NOISE_FIELDS["*"] or field_name in NOISE_FIELDS.get(
        model._meta.label_lower, set()
    )


def _fields(model: type[models.Model], update_fields: Any = None) -> list[models.Field]:
    fields = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and not _is_noise(model, field.name)
    ]
    if update_fields is not None:
        names = set(update_fields)
        fields = [f for f in fields if f.name in names or f.attname in names]
    return fields


def _plain(value: Any) -> Any:
    """A JSON-ready, size-bounded form of a field value."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dict | list):
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            text = str(value)
        else:
            if len(text) <= MAX_VALUE_LENGTH:
                return value
        return text[:MAX_VALUE_LENGTH] + "…"
    if isinstance(value, str):
        # A TextChoices member is a str with a `.name` too; keep its stored value.
        text = str.__str__(value)
    elif isinstance(getattr(value, "name", None), str):  # a FieldFile: its path in storage
        text = value.name
    else:
        text = str(value)
    return text if len(text) <= MAX_VALUE_LENGTH else text[:MAX_VALUE_LENGTH] + "…"


def _comparable(field: models.Field, value: Any) -> Any:
    # A value set in Python ("3", a naive string date) is compared as the database would hold it.
    try:
        return field.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return value


def _subject_user_id(instance: models.Model) -> int | None:
    """Whose personal data this row is: the user itself, or the user a `user` field points to."""
    user_model = get_user_model()
    if isinstance(instance, user_model):
        return instance.pk
    try:
        field = instance._meta.get_field("user")
    except FieldDoesNotExist:
        return None
    if isinstance(field, models.ForeignKey) and field.related_model is user_model:
        return getattr(instance, field.attname, None)
    return None


def _record(action: str, instance: models.Model, fields: dict[str, Any]) -> None:
    context = current_request_context()
    if context is None:
        return
    record(
        action,
        by=context.user,
        obj=instance,
        subject_user_id=_subject_user_id(instance),
        changes={"fields": fields},
    )


def remember_previous_values(
    sender: type[models.Model],
    instance: models.Model,
    raw: bool = False,
    using: str | None = None,
    update_fields: Any = None,
    **kwargs: Any,
) -> None:
    """pre_save: read the row as stored, so that post_save can tell what changed."""
    if raw or current_request_context() is None or not is_tracked(sender):
        return
    if instance._state.adding or instance.pk is None:
        return
    attnames = [field.attname for field in _fields(sender, update_fields)]
    previous = (
        sender._base_manager.using(using).filter(pk=instance.pk).values(*attnames).first()
        if attnames
        else {}
    )
    instance.__dict__[_PREVIOUS] = previous


def record_save(
    sender: type[models.Model],
    instance: models.Model,
    created: bool,
    raw: bool = False,
    update_fields: Any = None,
    **kwargs: Any,
) -> None:
    """post_save: record a create with its values, or an update with what changed."""
    previous = instance.__dict__.pop(_PREVIOUS, None)
    if raw or current_request_context() is None or not is_tracked(sender):
        return
    fields = _fields(sender, update_fields)
    changes: dict[str, Any] = {}
    if created or previous is None:
        for field in fields:
            value = field.value_from_object(instance)
            if value in (None, ""):
                continue
            changes[field.name] = (
                None if is_sensitive(sender, field.name) else {"new": _plain(value)}
            )
        _record(AuditAction.CREATE, instance, changes)
        return
    for field in fields:
        old, new = previous.get(field.attname), field.value_from_object(instance)
        if _comparable(field, old) == _comparable(field, new):
            continue
        if is_sensitive(sender, field.name):
            changes[field.name] = None
        else:
            changes[field.name] = {"old": _plain(old), "new": _plain(new)}
    if changes:
        _record(AuditAction.UPDATE, instance, changes)


def record_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    """post_delete: record the removal with the row's last values."""
    if current_request_context() is None or not is_tracked(sender):
        return
    changes: dict[str, Any] = {}
    for field in _fields(sender):
        value = field.value_from_object(instance)
        if value in (None, ""):
            continue
        changes[field.name] = None if is_sensitive(sender, field.name) else {"old": _plain(value)}
    _record(AuditAction.DELETE, instance, changes)


def _relation_name(instance: models.Model, through: type[models.Model]) -> str:
    for field in instance._meta.many_to_many:
        if field.remote_field.through is through:
            return field.name
    for relation in instance._meta.related_objects:
        if relation.many_to_many and relation.through is through:  # type: ignore[attr-defined]
            return relation.get_accessor_name() or relation.name
    return through._meta.model_name or ""


def record_relation_change(
    sender: type[models.Model],
    instance: models.Model,
    action: str,
    reverse: bool,
    model: type[models.Model],
    pk_set: set[Any] | None,
    **kwargs: Any,
) -> None:
    """m2m_changed: record added and removed links (a staff member given a group, …)."""
    if current_request_context() is None or not is_tracked(type(instance)):
        return
    name = _relation_name(instance, sender)
    if action == "pre_clear":
        accessor = getattr(instance, name, None)
        if accessor is not None:
            instance.__dict__[_PREVIOUS_M2M] = sorted(
                str(pk) for pk in accessor.values_list("pk", flat=True)
            )
        return
    if action == "post_clear":
        removed = instance.__dict__.pop(_PREVIOUS_M2M, [])
        if removed:
            change = None if is_sensitive(type(instance), name) else {"removed": removed}
            _record(AuditAction.UPDATE, instance, {name: change})
        return
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    key = "added" if action == "post_add" else "removed"
    change = None if is_sensitive(type(instance), name) else {key: sorted(str(pk) for pk in pk_set)}
    _record(AuditAction.UPDATE, instance, {name: change})


def connect() -> None:
    """Listen to every model's saves and deletes (called once from AuditConfig.ready())."""
    pre_save.connect(remember_previous_values, dispatch_uid="yakuba.audit.pre_save")
    post_save.connect(record_save, dispatch_uid="yakuba.audit.post_save")
    post_delete.connect(record_delete, dispatch_uid="yakuba.audit.post_delete")
    m2m_changed.connect(record_relation_change, dispatch_uid="yakuba.audit.m2m_changed")
