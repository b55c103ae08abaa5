"""Notify: messages from the town to residents (町からの通知). So far: saved segments."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from yakuba.platform.notify.rules import Rule, parse_rule


class Segment(models.Model):
    """A saved segment (配信対象の条件): a named rule tree choosing residents, kept for reuse.

    The rule is checked by `parse_rule` whenever the segment is saved, so a saved segment is always
    well formed (a district it names may have been removed since; it then simply matches nobody there).
    """

    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("説明"), blank=True)
    rule = models.JSONField(_("条件"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("作成者"),
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("配信対象")
        verbose_name_plural = _("配信対象")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Checked here too, not only in clean(): no code path may store a rule that cannot run.
        parse_rule(self.rule)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        try:
            parse_rule(self.rule)
        except ValidationError as error:
            raise ValidationError({"rule": error.error_list}) from error

    def parsed_rule(self) -> Rule:
        return parse_rule(self.rule, check_districts=False)
