"""Forms for the residents' report pages: where (場所), what (内容・写真・質問・連絡先), comments,
"still not fixed" (まだ直っていません) and the public list's filters."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yakuba.modules.reports.models import (
    MAX_DESCRIPTION_LENGTH,
    STAFF_STATUSES,
    AttributeType,
    Category,
    CategoryAttribute,
)
from yakuba.modules.reports.services import MAX_PHOTOS
from yakuba.platform.places.models import District
from yakuba.platform.places.services import find_district

ATTRIBUTE_PREFIX = "attribute_"


def in_language(japanese: str, english: str) -> str:
    """The English text on English pages when there is one; Japanese otherwise."""
    return english if english and (get_language() or "").startswith("en") else japanese


class LocationForm(forms.Form):
    """Where the problem is: a pin (latitude/longitude, set by the map or typed) or an address or
    landmark (住所や目印), or both. Without JavaScript the text field alone is enough."""

    address_string = forms.CharField(
        label=_("住所や目印"),
        max_length=300,
        required=False,
        help_text=_("例: 役場の東の交差点、〇〇商店の前、荒浜中学校の通学路"),
    )
    latitude = forms.FloatField(
        label=_("緯度"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    longitude = forms.FloatField(
        label=_("経度"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if self.errors:
            return data
        if (latitude is None) != (longitude is None):
            raise ValidationError(_("場所は緯度と経度の両方で指定してください。"))
        if latitude is None and not (data.get("address_string") or "").strip():
            raise ValidationError(
                _("場所を地図で選ぶか、住所や目印を書いてください。"), code="no_location"
            )
        # Told now rather than after the resident has written everything; the service checks
        # again when the report is sent.
        if latitude is not None and longitude is not None:
            data["district"] = find_district(latitude, longitude)
            if data["district"] is None:
                raise ValidationError(
                    _("その場所は町の外です。地図で町内の場所を選んでください。"),
                    code="outside",
                )
        return data

    def has_pin(self) -> bool:
        return self.cleaned_data.get("latitude") is not None


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos under one name (Django's documented pattern for `multiple`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={"accept": "image/*", "capture": "environment", "multiple": True}
            ),
        )
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        uploads = data if isinstance(data, list | tuple) else [data] if data else []
        cleaned = [super(MultiplePhotoField, self).clean(item, initial) for item in uploads]
        return [item for item in cleaned if item]


class DetailsForm(forms.Form):
    """What is wrong: photos, a short description, the category's questions and, for someone
    not signed in, how to reach them (never shown publicly). The place comes along hidden."""

    latitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    address_string = forms.CharField(required=False, max_length=300, widget=forms.HiddenInput)
    photos = MultiplePhotoField(
        label=_("その場で写真を撮る"),
        required=False,
    )
    description = forms.CharField(
        label=_("どんな様子ですか"),
        max_length=MAX_DESCRIPTION_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("例: 歩道に深さ10cmほどの穴があり、自転車が危ない。"),
    )
    reporter_name = forms.CharField(
        label=_("お名前（なくてもかまいません）"), max_length=100, required=False
    )
    reporter_email = forms.EmailField(
        label=_("メールアドレス（なくてもかまいません）"),
        required=False,
        help_text=_("書いていただくと、対応の状況をメールでお知らせします。"),
    )

    def __init__(self, *args: Any, category: Category, is_signed_in: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category = category
        if is_signed_in:
            # A signed-in resident is the reporter: their account is how the town replies.
            del self.fields["reporter_name"]
            del self.fields["reporter_email"]
        self.questions: list[CategoryAttribute] = [
            a for a in category.attributes.all() if not a.automated
        ]
        for attribute in self.questions:
            self.fields[ATTRIBUTE_PREFIX + attribute.code] = attribute_field(attribute)

    def clean_photos(self) -> list[Any]:
        photos: list[Any] = self.cleaned_data.get("photos") or []
        if len(photos) > MAX_PHOTOS:
            raise ValidationError(
                _("写真は%(limit)d枚までです。") % {"limit": MAX_PHOTOS}, code="too_many"
            )
        return photos

    def question_fields(self) -> list[forms.BoundField]:
        return [self[ATTRIBUTE_PREFIX + a.code] for a in self.questions]

    def answers(self) -> dict[str, Any]:
        """The answers as the service takes them (strings; lists for multivaluelist)."""
        answers: dict[str, Any] = {}
        for attribute in self.questions:
            value: Any = self.cleaned_data.get(ATTRIBUTE_PREFIX + attribute.code)
            if value is None or value in ("", []):
                continue
            if attribute.datatype == AttributeType.DATETIME:
                answers[attribute.code] = value.isoformat()
            elif attribute.datatype == AttributeType.MULTI:
                answers[attribute.code] = list(value)
            else:
                answers[attribute.code] = str(value)
        return answers


def attribute_field(attribute: CategoryAttribute) -> forms.Field:
    """A form field for one of the category's questions (Open311 attribute datatypes)."""
    label = in_language(attribute.description, attribute.description_en)
    common: dict[str, Any] = {"label": label, "required": attribute.required}
    choices = [
        (str(v["key"]), in_language(str(v.get("name", v["key"])), str(v.get("name_en", ""))))
        for v in attribute.values
    ]
    match attribute.datatype:
        case AttributeType.SINGLE:
            return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
        case AttributeType.MULTI:
            return forms.MultipleChoiceField(
                choices=choices, widget=forms.CheckboxSelectMultiple, **common
            )
        case AttributeType.NUMBER:
            return forms.DecimalField(
                widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}), **common
            )
        case AttributeType.DATETIME:
            return forms.DateTimeField(
                input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
                widget=forms.DateTimeInput(
                    attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
                ),
                **common,
            )
        case AttributeType.TEXT:
            return forms.CharField(
                max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), **common
            )
        case _:
            return forms.CharField(max_length=200, **common)


class CommentForm(forms.Form):
    """A comment (and a photo) on a report, from someone signed in."""

    note = forms.CharField(
        label=_("コメント"),
        max_length=MAX_DESCRIPTION_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photo = forms.FileField(
        label=_("写真（なくてもかまいません）"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/*"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not (data.get("note") or "").strip() and not data.get("photo"):
            raise ValidationError(_("コメントか写真を送ってください。"))
        return data


class ReopenForm(forms.Form):
    """「まだ直っていません」: anyone may say a report marked fixed is not, with what they see."""

    note = forms.CharField(
        label=_("今の様子"),
        max_length=MAX_DESCRIPTION_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例: 穴はまだ開いたままです。"),
    )


class ReportFilterForm(forms.Form):
    """Filters of the public list and map: category, status, district."""

    category = forms.ChoiceField(label=_("種類"), required=False)
    status = forms.ChoiceField(label=_("状態"), required=False)
    district = forms.ChoiceField(label=_("行政区"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        every = ("", _("すべて"))
        cast(forms.ChoiceField, self.fields["category"]).choices = [
            every,
            *((c.code, in_language(c.name, c.name_en)) for c in Category.objects.all()),
        ]
        cast(forms.ChoiceField, self.fields["status"]).choices = [
            every,
            ("open", _("対応前・対応中")),
            # Merged reports (重複) are not on the public list.
            *((status.value, status.label) for status in STAFF_STATUSES),
        ]
        cast(forms.ChoiceField, self.fields["district"]).choices = [
            every,
            *((d.code, d.localized_name) for d in District.objects.defer("boundary")),
        ]

    def filters(self) -> dict[str, str]:
        """The valid filters; an unknown value is ignored rather than an error page."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {
            name: self.cleaned_data[name]
            for name in ("category", "status", "district")
            if self.cleaned_data.get(name)
        }
