"""Forms for core's staff pages."""

from typing import Any, Literal

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils.translation import gettext_lazy as _

from yakuba.core.models import Municipality
from yakuba.core.services import LOGO_FORMATS, MUNICIPALITY_FIELDS, validate_logo


def municipality_formfield(field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    # A web address typed without a scheme is the town's site over HTTPS (as in the admin).
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class MunicipalityForm(forms.ModelForm[Municipality]):
    """The municipality settings page (自治体の設定). Saving goes through `update_municipality`."""

    logo = forms.ImageField(
        label=_("ロゴ"),
        required=False,
        help_text=_("PNG・JPEG・WebP 形式、1MB以下。ページの上部に表示します。"),
        error_messages={
            "invalid_image": _(
                "ロゴには PNG・JPEG・WebP 形式の画像を選んでください（SVG は使えません）。"
            ),
            "invalid_extension": _(
                "ロゴには PNG・JPEG・WebP 形式の画像を選んでください（SVG は使えません）。"
            ),
        },
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join(f"image/{name.lower()}" for name in LOGO_FORMATS)}
        ),
    )
    # Django's own label for the checkbox is a bare 「クリア」; say what it does.
    logo.widget.clear_checkbox_label = _("ロゴを削除する")

    class Meta:
        model = Municipality
        formfield_callback = municipality_formfield
        # The service's fields, with the logo after the website as on the town's letterhead.
        fields = [
            *MUNICIPALITY_FIELDS[: MUNICIPALITY_FIELDS.index("website") + 1],
            "logo",
            *MUNICIPALITY_FIELDS[MUNICIPALITY_FIELDS.index("website") + 1 :],
        ]
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "postal_code": forms.TextInput(
                attrs={"autocomplete": "postal-code", "inputmode": "numeric"}
            ),
            "code": forms.TextInput(attrs={"inputmode": "numeric"}),
            "map_center_latitude": forms.NumberInput(attrs={"step": "any"}),
            "map_center_longitude": forms.NumberInput(attrs={"step": "any"}),
            "map_zoom": forms.NumberInput(attrs={"min": 1, "max": 19}),
        }
        help_texts = {
            "map_center_latitude": _("10進数の度。例: 38.0378"),
            "map_center_longitude": _("10進数の度。例: 140.8528"),
            "map_zoom": _("1（世界全体）から19（建物）まで。町全体なら13前後です。"),
        }

    def clean_logo(self) -> UploadedFile | bool | None:
        """A newly uploaded logo must be a real PNG, JPEG or WebP image of at most 1 MB."""
        logo = self.cleaned_data.get("logo")
        if isinstance(logo, UploadedFile):
            validate_logo(logo)
        return logo

    def logo_change(self) -> UploadedFile | Literal[False] | None:
        """What to do with the logo: a new file, False to remove it, None to keep it."""
        logo = self.cleaned_data.get("logo")
        if logo is False:
            return False
        if isinstance(logo, UploadedFile):
            return logo
        return None

    def settings_data(self) -> dict[str, object]:
        """The cleaned settings other than the logo, for `update_municipality`."""
        return {name: self.cleaned_data[name] for name in MUNICIPALITY_FIELDS}
