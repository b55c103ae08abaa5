"""Forms of the staff triage pages (通報の対応): the queue's filters and the actions on a report."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from yakuba.modules.reports import triage_queries
from yakuba.modules.reports.forms import in_language
from yakuba.modules.reports.models import (
    MAX_DESCRIPTION_LENGTH,
    STAFF_STATUSES,
    Category,
    Report,
    Status,
)
from yakuba.modules.reports.triage import MAX_REASON_LENGTH
from yakuba.platform.accounts.models import Department, User
from yakuba.platform.places.models import District

ALL_DEPARTMENTS = "all"


class CategoryChoiceField(forms.ModelChoiceField[Category]):
    def label_from_instance(self, obj: Category) -> str:
        return in_language(obj.name, obj.name_en)


class DistrictChoiceField(forms.ModelChoiceField[District]):
    def label_from_instance(self, obj: District) -> str:
        return str(obj.localized_name)


class DepartmentChoiceField(forms.ModelChoiceField[Department]):
    def label_from_instance(self, obj: Department) -> str:
        return in_language(obj.name, obj.name_en)


class QueueFilterForm(forms.Form):
    """The queue's filters (GET). Without a department in the query the staff member's own
    department is shown; "all" shows every department. Unknown values are ignored."""

    department = forms.ChoiceField(label=_("担当課"), required=False)
    category = CategoryChoiceField(
        label=_("種類"), queryset=Category.objects.all(), required=False, to_field_name="code"
    )
    district = DistrictChoiceField(
        label=_("行政区"),
        queryset=District.objects.defer("boundary"),
        required=False,
        to_field_name="code",
    )
    status = forms.ChoiceField(label=_("状態"), required=False)
    older_than = forms.IntegerField(
        label=_("受付から何日以上"),
        required=False,
        min_value=0,
        max_value=3650,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    assignee = forms.ChoiceField(
        label=_("担当者"),
        required=False,
        choices=[
            ("", _("だれでも")),
            (triage_queries.ASSIGNEE_ME, _("自分")),
            (triage_queries.ASSIGNEE_NONE, _("未定")),
        ],
    )
    hidden = forms.ChoiceField(
        label=_("公開"),
        required=False,
        choices=[
            ("", _("すべて")),
            (triage_queries.VISIBLE_ONLY, _("公開中のみ")),
            (triage_queries.HIDDEN_ONLY, _("非公開のみ")),
        ],
    )

    def __init__(self, *args: Any, own_department: Department | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.own_department = own_department
        self.departments = list(Department.objects.all())
        cast(forms.ChoiceField, self.fields["department"]).choices = [
            (ALL_DEPARTMENTS, _("すべての課")),
            *((str(d.pk), in_language(d.name, d.name_en)) for d in self.departments),
        ]
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            (triage_queries.OPEN, _("未完了（受付・対応中）")),
            ("", _("すべて")),
            *Status.choices,
        ]
        # The first visit shows the open reports, and the select must say so.
        self.initial.setdefault("status", triage_queries.OPEN)
        cast(CategoryChoiceField, self.fields["category"]).empty_label = _("すべて")
        cast(DistrictChoiceField, self.fields["district"]).empty_label = _("すべて")
        if own_department is not None and not (self.data or {}).get("department"):
            self.initial["department"] = str(own_department.pk)
        elif own_department is None:
            self.initial.setdefault("department", ALL_DEPARTMENTS)

    def filters(self, *, viewer: User) -> triage_queries.QueueFilters:
        """The filters to apply; a value that does not validate falls back to its default."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        raw_department = (self.data or {}).get("department", "")
        department: Department | None = self.own_department
        if raw_department == ALL_DEPARTMENTS:
            department = None
        elif raw_department:
            department = next(
                (d for d in self.departments if str(d.pk) == raw_department), department
            )
        # No status in the query (the first visit) means the open ones: what needs work.
        status = triage_queries.OPEN
        if "status" in (self.data or {}) and "status" in data:
            status = data["status"]
        return triage_queries.QueueFilters(
            department=department,
            category=data.get("category"),
            district=data.get("district"),
            status=status or "",
            older_than_days=data.get("older_than"),
            assignee=data.get("assignee") or "",
            hidden=data.get("hidden") or "",
            viewer_id=viewer.pk,
        )


class StaffChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        member = getattr(obj, "staff_member", None)
        return member.display_name if member is not None else obj.email


class AssignForm(forms.Form):
    assignee = StaffChoiceField(
        label=_("担当者"), queryset=User.objects.none(), required=False, empty_label=_("未定")
    )

    def __init__(self, *args: Any, report: Report, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any staff member may be typed in by a crafted post; the service refuses other
        # departments with its own message, so the field accepts every staff account.
        field = cast(StaffChoiceField, self.fields["assignee"])
        field.queryset = User.objects.filter(is_staff=True).select_related("staff_member")
        self.choices_for_report = triage_queries.assignable_staff(report)
        field.choices = [
            ("", _("未定")),
            *((str(u.pk), field.label_from_instance(u)) for u in self.choices_for_report),
        ]
        if report.assignee_id is not None:
            self.initial.setdefault("assignee", report.assignee_id)


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状態"), choices=[(status.value, status.label) for status in STAFF_STATUSES]
    )
    note = forms.CharField(
        label=_("町民へのお知らせ（公開）"),
        required=False,
        max_length=MAX_DESCRIPTION_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("通報した人に届き、通報のページに載ります。"),
    )
    photo = forms.FileField(
        label=_("対応後の写真（なくてもかまいません）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/heic"}),
    )


class InternalNoteForm(forms.Form):
    note = forms.CharField(
        label=_("内部メモ（町民には見えません）"),
        max_length=MAX_DESCRIPTION_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MergeForm(forms.Form):
    into = forms.IntegerField(
        label=_("統合先の通報番号"),
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("この通報を、同じ内容の別の通報にまとめます。番号だけを入力してください。"),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("理由"),
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
