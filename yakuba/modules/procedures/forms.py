"""Forms of the residents' procedure pages: finding a procedure, choosing whom an application is
for, and the message that goes with an answer to a 補正依頼. The procedure's own form is built by
the form engine (`engine.build_form`) from its definition."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yakuba.modules.procedures.models import ApplicantKind, Category, LifeEvent, Procedure
from yakuba.modules.procedures.services import MAX_AGENT_NAME, MAX_MESSAGE, MAX_RELATIONSHIP, Agent
from yakuba.platform.accounts.models import HouseholdMember


class CatalogueSearchForm(forms.Form):
    """手続きをさがす: words, a category, a moment of life."""

    q = forms.CharField(label=_("手続きの名前や言葉"), required=False, max_length=100)
    category = forms.ChoiceField(
        label=_("分野"), required=False, choices=[("", _("すべて")), *Category.choices]
    )
    event = forms.ChoiceField(
        label=_("ライフイベント"), required=False, choices=[("", _("すべて")), *LifeEvent.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value}


class StartForm(forms.Form):
    """Whom the application is for (申請する人): oneself, a household member, or as an agent."""

    applicant_kind = forms.ChoiceField(
        label=_("どなたの申請ですか"), widget=forms.RadioSelect, choices=ApplicantKind.choices
    )
    household_member = forms.ModelChoiceField(
        label=_("世帯員"),
        required=False,
        queryset=HouseholdMember.objects.none(),
        empty_label=_("選んでください"),
        help_text=_("「世帯員の代わりに」を選んだときに選んでください。"),
    )
    principal_name = forms.CharField(
        label=_("ご本人の氏名"),
        required=False,
        max_length=MAX_AGENT_NAME,
        help_text=_("「代理人として」を選んだときに書いてください。"),
    )
    relationship = forms.CharField(
        label=_("ご本人との関係"),
        required=False,
        max_length=MAX_RELATIONSHIP,
        help_text=_("例: 長男、後見人、ケアマネジャー"),
    )

    def __init__(
        self, *args: Any, procedure: Procedure, household: list[HouseholdMember], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        kinds = [kind for kind in ApplicantKind if kind.value in procedure.applicant_kinds]
        if not household:
            kinds = [kind for kind in kinds if kind != ApplicantKind.HOUSEHOLD]
        kind_field = self.fields["applicant_kind"]
        assert isinstance(kind_field, forms.ChoiceField)  # noqa: S101 - declared above
        kind_field.choices = [(kind.value, kind.label) for kind in kinds]
        if len(kinds) == 1:
            kind_field.initial = kinds[0].value
        member_field = self.fields["household_member"]
        assert isinstance(member_field, forms.ModelChoiceField)  # noqa: S101 - declared above
        member_field.queryset = HouseholdMember.objects.filter(pk__in=[m.pk for m in household])
        if ApplicantKind.HOUSEHOLD not in kinds:
            del self.fields["household_member"]
        if ApplicantKind.AGENT not in kinds:
            del self.fields["principal_name"]
            del self.fields["relationship"]

    @property
    def has_choice(self) -> bool:
        """Whether the resident must choose (more than one way of filing is open)."""
        field = self.fields["applicant_kind"]
        return len(getattr(field, "choices", [])) > 1

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("applicant_kind")
        if kind == ApplicantKind.HOUSEHOLD and not data.get("household_member"):
            self.add_error("household_member", _("申請する世帯員を選んでください。"))
        if kind == ApplicantKind.AGENT:
            if not data.get("principal_name"):
                self.add_error(
                    "principal_name", _("代わりに申請するご本人の氏名を書いてください。")
                )
            if not data.get("relationship"):
                self.add_error("relationship", _("ご本人との関係を書いてください。"))
        return data

    def chosen_agent(self) -> Agent | None:
        if self.cleaned_data.get("applicant_kind") != ApplicantKind.AGENT:
            return None
        return Agent(self.cleaned_data["principal_name"], self.cleaned_data["relationship"])

    def chosen_member(self) -> HouseholdMember | None:
        if self.cleaned_data.get("applicant_kind") != ApplicantKind.HOUSEHOLD:
            return None
        member: HouseholdMember | None = self.cleaned_data.get("household_member")
        return member


class CorrectionMessageForm(forms.Form):
    """A note to the department with the corrected answers (担当課への連絡)."""

    message = forms.CharField(
        label=_("担当課への連絡（任意）"),
        required=False,
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
