"""Reads of the audit log shared by the auditor's page and its CSV export."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from yakuba.platform.audit.models import AuditEntry


def _start_of(day: datetime.date) -> datetime.datetime:
    # Dates are the town's calendar days (TIME_ZONE, Asia/Tokyo), not UTC days.
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def search_entries(
    *,
    actor: str = "",
    action: str = "",
    object_type: str = "",
    subject_user_id: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AuditEntry]:
    """Audit entries matching the auditor's filters, newest first.

    `actor` matches the actor's id exactly when it is a number, and a part of the actor's label
    (email address or name) in any case. `date_to` includes the whole of that day.
    """
    entries = AuditEntry.objects.all()
    actor = actor.strip()
    if actor:
        condition = Q(actor_label__icontains=actor)
        if actor.isdigit():
            condition |= Q(actor_id=int(actor))
        entries = entries.filter(condition)
    if action:
        entries = entries.filter(action=action)
    if object_type.strip():
        entries = entries.filter(object_type__icontains=object_type.strip())
    if subject_user_id is not None:
        entries = entries.filter(subject_user_id=subject_user_id)
    if date_from is not None:
        entries = entries.filter(occurred_at__gte=_start_of(date_from))
    if date_to is not None:
        entries = entries.filter(occurred_at__lt=_start_of(date_to + datetime.timedelta(days=1)))
    return entries.order_by("-occurred_at", "-pk")
