"""The staff form for a message template (ひな形): its name, topic and text in every language."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from yakuba.platform.accounts.models import Topic
from yakuba.platform.notify import templates_service
from yakuba.platform.notify.models import Template
from yakuba.platform.notify.staff_forms import (
    LANGUAGES,
    add_language_fields,
    field_name,
    language_fields,
)


def contents_initial(template: Template) -> dict[str, str]:
    """Form initial values (subject_ja, body_en …) for a template's text, for any form that uses
    `field_name` names: this form and the compose form."""
    initial: dict[str, str] = {}
    for code, variant in template.contents.items():
        initial[field_name("subject", code)] = variant.get("subject", "")
        initial[field_name("body", code)] = variant.get("body", "")
    return initial


class TemplateForm(forms.Form):
    """A template's name, topic and the subject and body in each language (Japanese required).

    After is_valid(), `contents` holds the checked variants ({"ja": {"subject", "body"}, …})."""

    name = forms.CharField(
        label=_("ひな形の名前"),
        max_length=templates_service.MAX_NAME_LENGTH,
        help_text=_("一覧で選ぶときの名前です。町民には見えません。"),
    )
    topic = forms.ChoiceField(
        label=_("分野"),
        required=False,
        choices=[("", _("指定しない")), *Topic.choices],
        help_text=_("このひな形で通知を作るとき、最初に選ばれている分野です。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_language_fields(self)
        self.contents: dict[str, dict[str, str]] = {}

    def language_fields(self) -> list[tuple[str, str, forms.BoundField, forms.BoundField]]:
        return language_fields(self)

    def raw_contents(self) -> dict[str, dict[str, str]]:
        """The text as typed (bound form) or as initially shown, whether valid or not: the page
        lists its placeholders even while there are errors to fix."""
        contents = {}
        for code, _name in LANGUAGES:
            subject = self[field_name("subject", code)].value() or ""
            body = self[field_name("body", code)].value() or ""
            if subject or body:
                contents[code] = {"subject": str(subject), "body": str(body)}
        return contents

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        contents = {
            code: {
                "subject": data.get(field_name("subject", code)) or "",
                "body": data.get(field_name("body", code)) or "",
            }
            for code, _name in LANGUAGES
        }
        if self.has_error("name") or any(
            self.has_error(field_name(part, "ja")) for part in ("subject", "body")
        ):
            return data
        try:
            _name, self.contents = templates_service.check_template(
                name=data.get("name") or "", contents=contents, topic=data.get("topic") or ""
            )
        except ValidationError as error:
            raise ValidationError(error.messages) from error
        return data


class TemplateChoiceForm(forms.Form):
    """The compose page's "start from a template" picker: a GET form, so that it works without
    JavaScript and the chosen template's address can be bookmarked or linked."""

    template = forms.ModelChoiceField(
        label=_("ひな形から作る"),
        queryset=Template.objects.all(),
        empty_label=_("ひな形を選ぶ"),
    )
