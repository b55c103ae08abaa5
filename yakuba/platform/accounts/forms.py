"""Forms for the resident's own pages and the staff lookup."""

from __future__ import annotations

from typing import Any

from allauth.mfa.webauthn.forms import AddWebAuthnForm, EditWebAuthnForm
from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakuba.platform.accounts.models import (
    SEX_HELP_TEXT,
    HouseholdMember,
    NotificationChannel,
    ResidentProfile,
    Sex,
    Topic,
    User,
)
from yakuba.platform.accounts.services import HOUSEHOLD_FIELDS, PROFILE_FIELDS
from yakuba.platform.places.models import District

phone_validator = RegexValidator(
    r"^[0-9０-９+\-‐－ ]{10,20}$",
    _("電話番号は数字とハイフンで入力してください（例: 0223-34-1111）。"),
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def _refuse_future(value: Any) -> Any:
    if value is not None and value > timezone.localdate():
        raise forms.ValidationError(_("生年月日に未来の日付は指定できません。"))
    return value


def _sex_field() -> forms.ChoiceField:
    """性別 as radio buttons with 回答しない last, so that not answering is an answer too."""
    return forms.ChoiceField(
        label=_("性別"),
        help_text=SEX_HELP_TEXT,
        choices=[*Sex.choices, ("", _("回答しない"))],
        widget=forms.RadioSelect,
        required=False,
    )


class ProfileForm(forms.ModelForm):
    """The resident's own profile (町民情報の変更)."""

    district = forms.ModelChoiceField(
        label=_("行政区"),
        queryset=District.objects.order_by("order", "code"),
        required=False,
        empty_label=_("選択してください"),
    )
    sex = _sex_field()
    notification_channels = forms.MultipleChoiceField(
        label=_("通知の受け取り方法"),
        help_text=_("マイページ（アプリ内）のお知らせは、いつも届きます。"),
        choices=[c for c in NotificationChannel.choices if c[0] != NotificationChannel.IN_APP],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    topics = forms.MultipleChoiceField(
        label=_("関心のある分野"),
        help_text=_("選んだ分野のお知らせや広報をお届けします。"),
        choices=Topic.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = ResidentProfile
        fields = list(PROFILE_FIELDS)
        widgets = {
            "birth_date": DateInput(),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "postal_code": forms.TextInput(attrs={"autocomplete": "postal-code"}),
            "address": forms.TextInput(attrs={"autocomplete": "street-address"}),
            "family_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "given_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
        }
        help_texts = {
            "family_name_kana": _("ひらがなまたはカタカナで入力してください。"),
            "postal_code": _("例: 989-2393"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone"].validators.append(phone_validator)
        if self.instance.pk and not self.is_bound:
            self.initial["notification_channels"] = [
                c for c in self.instance.notification_channels if c != NotificationChannel.IN_APP
            ]

    CONTACT_FIELDS = (
        "family_name",
        "given_name",
        "family_name_kana",
        "given_name_kana",
        "birth_date",
        "phone",
        "postal_code",
        "address",
        "district",
    )
    DISPLAY_FIELDS = ("preferred_language", "text_size", "furigana", "simple_japanese")

    def contact_fields(self) -> list[forms.BoundField]:
        """The "name and contact" group, in order, for the page's first fieldset."""
        return [self[name] for name in self.CONTACT_FIELDS]

    def display_fields(self) -> list[forms.BoundField]:
        """The "display and language" group."""
        return [self[name] for name in self.DISPLAY_FIELDS]

    def clean_birth_date(self) -> Any:
        return _refuse_future(self.cleaned_data.get("birth_date"))

    def clean_postal_code(self) -> str:
        value: str = self.cleaned_data.get("postal_code", "")
        digits = value.replace("-", "")
        return f"{digits[:3]}-{digits[3:]}" if len(digits) == 7 else value


class HouseholdMemberForm(forms.ModelForm):
    """A member of the resident's household (世帯員)."""

    sex = _sex_field()

    class Meta:
        model = HouseholdMember
        fields = list(HOUSEHOLD_FIELDS)
        widgets = {"birth_date": DateInput()}
        help_texts = {"name_kana": _("ひらがなまたはカタカナで入力してください。")}

    def clean_birth_date(self) -> Any:
        return _refuse_future(self.cleaned_data.get("birth_date"))


class DeleteAccountForm(forms.Form):
    """Confirm account deletion (退会) by entering the password again."""

    password = forms.CharField(
        label=_("パスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("確認のため、今のパスワードをもう一度入力してください。"),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("パスワードが正しくありません。"))
        return password


class ResidentSearchForm(forms.Form):
    """Search for residents (町民情報の照会)."""

    q = forms.CharField(
        label=_("氏名・かな・メールアドレス"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    district = forms.ModelChoiceField(
        label=_("行政区"),
        queryset=District.objects.order_by("order", "code"),
        required=False,
        empty_label=_("すべて"),
    )


class AddPasskeyForm(AddWebAuthnForm):
    """allauth's form for adding a passkey / security key (パスキー), with a label in our language.

    allauth leaves the name field without a label, so Django would show the English "Name".
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("キーの名前")


class EditPasskeyForm(EditWebAuthnForm):
    """allauth's form for renaming a passkey (パスキー), with the same label as when adding it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("キーの名前")
