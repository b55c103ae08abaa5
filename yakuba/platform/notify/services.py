"""Segment services: save segments (配信対象) and find the residents a rule chooses."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from yakuba.platform.accounts.models import ResidentProfile, User
from yakuba.platform.audit import services as audit
from yakuba.platform.audit.models import AuditAction
from yakuba.platform.notify.models import Segment
from yakuba.platform.notify.rules import Rule, parse_rule

RuleSource = Rule | Segment | dict[str, Any]


@transaction.atomic
def create_segment(*, by: Any, name: str, rule: dict[str, Any], description: str = "") -> Segment:
    """Save a segment (配信対象) for reuse; the rule is checked first (ValidationError if bad)."""
    segment = Segment(name=name, description=description, rule=rule, created_by=by)
    segment.full_clean()
    segment.save()
    audit.record(AuditAction.CREATE, by=by, obj=segment, changes={"rule": rule})
    return segment


@transaction.atomic
def update_segment(
    segment: Segment,
    *,
    by: Any,
    name: str | None = None,
    rule: dict[str, Any] | None = None,
    description: str | None = None,
) -> Segment:
    """Change a saved segment's name, description or rule; nothing is saved if any part is bad."""
    if name is not None:
        segment.name = name
    if description is not None:
        segment.description = description
    if rule is not None:
        segment.rule = rule
    segment.full_clean()
    segment.save()
    audit.record(AuditAction.UPDATE, by=by, obj=segment, changes={"rule": segment.rule})
    return segment


def _as_rule(source: RuleSource) -> Rule:
    if isinstance(source, Segment):
        return source.parsed_rule()
    if isinstance(source, dict):
        return parse_rule(source)
    return source


def residents_in(source: RuleSource, *, on: date) -> QuerySet[User]:
    """The residents a rule or segment chooses on the send date `on`: active users with a resident
    profile. Lazy: one query when evaluated (a dict rule is checked first, with one more query if it
    names districts)."""
    profiles = ResidentProfile.objects.filter(_as_rule(source).to_q(on)).values("pk")
    return User.objects.filter(is_active=True, resident_profile__in=profiles)


def count_residents(source: RuleSource, *, on: date) -> int:
    """How many residents a rule or segment chooses on `on` (shown before sending)."""
    return residents_in(source, on=on).count()
