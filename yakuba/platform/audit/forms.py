from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yakuba.platform.audit.models import AuditAction

DATE_ERROR = _("日付は 2026-04-01 のように年-月-日で入力してください。")


class DateInput(forms.DateInput):
    input_type = "date"


class AuditSearchForm(forms.Form):
    """The auditor's filters (監査ログの検索条件). Every field is optional."""

    actor = forms.CharField(
        label=_("操作者"),
        required=False,
        max_length=200,
        help_text=_("職員の利用者ID、またはメールアドレス・名前の一部"),
    )
    action = forms.ChoiceField(
        label=_("操作"),
        required=False,
        choices=[("", _("すべて")), *AuditAction.choices],
    )
    object_type = forms.CharField(
        label=_("対象の種類"),
        required=False,
        max_length=100,
        help_text=_("例: accounts.user（一部でも検索できます）"),
    )
    subject = forms.IntegerField(
        label=_("本人（町民の利用者ID）"),
        required=False,
        min_value=1,
        error_messages={"invalid": _("利用者IDは数字で入力してください。")},
    )
    date_from = forms.DateField(
        label=_("期間（から）"),
        required=False,
        widget=DateInput(format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%Y/%m/%d"],
        error_messages={"invalid": DATE_ERROR},
    )
    date_to = forms.DateField(
        label=_("期間（まで）"),
        required=False,
        widget=DateInput(format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%Y/%m/%d"],
        error_messages={"invalid": DATE_ERROR},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("終わりの日付は始まりの日付以降にしてください。"))
        return cleaned

    def filters(self) -> dict[str, Any]:
        """The cleaned filters as keyword arguments for `queries.search_entries`."""
        data = self.cleaned_data
        return {
            "actor": data.get("actor") or "",
            "action": data.get("action") or "",
            "object_type": data.get("object_type") or "",
            "subject_user_id": data.get("subject"),
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }

    def filters_for_log(self) -> dict[str, Any]:
        """The filters that were set, JSON-ready, to record what an export contained."""
        return {
            name: value.isoformat() if isinstance(value, datetime.date) else value
            for name, value in self.filters().items()
            if value not in (None, "")
        }
