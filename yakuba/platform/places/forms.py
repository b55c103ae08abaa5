"""Forms of the places pages: the resident search, the staff place form and the file uploads."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from yakuba.platform.places.models import District, Place, PlaceKind


class PlaceSearchForm(forms.Form):
    """The resident list's filters (GET): kind, district and free text."""

    q = forms.CharField(label=_("名称・住所で探す"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("種別"), required=False)
    district = forms.ChoiceField(label=_("行政区"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind_field = cast(forms.ChoiceField, self.fields["kind"])
        district_field = cast(forms.ChoiceField, self.fields["district"])
        kind_field.choices = [("", _("すべて")), *PlaceKind.choices]
        district_field.choices = [
            ("", _("すべて")),
            *((d.code, d.localized_name) for d in District.objects.defer("boundary")),
        ]

    def filters(self) -> dict[str, str]:
        """The valid filters; an invalid choice (an old link) is dropped, not an error page."""
        if not self.is_valid():
            return {"q": self.data.get("q", "")[:100]} if self.data else {}
        return {name: self.cleaned_data.get(name) or "" for name in ("q", "kind", "district")}


class PlaceForm(forms.ModelForm):
    """A place as staff edit it. Validation is the model's; saving is `services`."""

    district = forms.ModelChoiceField(
        label=_("行政区"),
        queryset=District.objects.defer("boundary"),
        required=False,
        empty_label=_("（位置から自動で決める）"),
        help_text=_("空欄にすると、緯度・経度から行政区を自動で決めます。"),
    )
    url = forms.URLField(label=_("URL"), required=False, max_length=200, assume_scheme="https")

    class Meta:
        model = Place
        fields = [
            "kind",
            "code",
            "name",
            "name_kana",
            "name_en",
            "postal_code",
            "address",
            "latitude",
            "longitude",
            "district",
            "opening_hours",
            "wheelchair_accessible",
            "accessible_toilet",
            "accessibility_notes",
            "capacity",
            "phone",
            "url",
            "notes",
            "is_public",
        ]
        help_texts = {
            "latitude": _("世界測地系の10進数。例: 38.037"),
            "longitude": _("世界測地系の10進数。例: 140.853"),
        }
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 4}),
            "latitude": forms.NumberInput(attrs={"step": "any"}),
            "longitude": forms.NumberInput(attrs={"step": "any"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            # Point screen readers at the field's hint and error (components/field.html ids).
            described = []
            if field.help_text:
                described.append(f"id_{name}_helptext")
            if self.is_bound and name in self.errors:
                described.append(f"id_{name}_error")
            if described:
                field.widget.attrs["aria-describedby"] = " ".join(described)
            if self.is_bound and name in self.errors:
                field.widget.attrs["aria-invalid"] = "true"

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class UploadForm(forms.Form):
    """One file to import."""

    file = forms.FileField(label=_("ファイル"))

    def __init__(self, *args: Any, accept: str = ".csv", hint: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = accept
        if hint:
            self.fields["file"].help_text = hint
