"""Forms of the group pages (団体登録): the group's details, a member by e-mail, staff's
decision."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yakuba.modules.reservations.groups import MAX_MEMBER_COUNT, MAX_REASON, GroupDetails
from yakuba.modules.reservations.models import Group


class GroupForm(forms.Form):
    name = forms.CharField(label=_("団体名"), max_length=100)
    name_kana = forms.CharField(
        label=_("団体名の読み（ひらがな・カタカナ）"),
        max_length=200,
        help_text=_("例: わたりやまびこかい"),
    )
    activity = forms.CharField(
        label=_("活動の内容"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例: 毎週土曜日にバドミントンの練習をしています。"),
    )
    member_count = forms.IntegerField(
        label=_("会員数"),
        min_value=1,
        max_value=MAX_MEMBER_COUNT,
        help_text=_("ネットで予約しない方も含めた、会員の人数です。"),
    )
    in_town = forms.BooleanField(
        label=_("町内の団体です（会員の半数以上が町内に住んでいるか、町内に通勤・通学しています）"),
        required=False,
        help_text=_("町内の団体は、町内の料金で利用でき、早く予約できます。審査で確認します。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member_count"].widget.attrs.update({"inputmode": "numeric"})

    @classmethod
    def initial_of(cls, group: Group) -> dict[str, Any]:
        return {
            "name": group.name,
            "name_kana": group.name_kana,
            "activity": group.activity,
            "member_count": group.member_count,
            "in_town": group.in_town,
        }

    def details(self) -> GroupDetails:
        data = self.cleaned_data
        return GroupDetails(
            name=data["name"],
            name_kana=data["name_kana"],
            activity=data["activity"],
            member_count=data["member_count"],
            in_town=data["in_town"],
        )


class MemberForm(forms.Form):
    email = forms.EmailField(
        label=_("会員のメールアドレス"),
        help_text=_(
            "町のサービスに登録しているメールアドレスです。登録していない方は加えられません。"
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update({"autocomplete": "off"})


class DecisionForm(forms.Form):
    """Staff's decision on a group: the choices are those its status allows."""

    status = forms.ChoiceField(label=_("決定"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("理由・代表者への連絡"),
        required=False,
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("代表者にお知らせします。不承認と停止のときは必ず書いてください。"),
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)  # noqa: S101 - declared above
        status.choices = choices
