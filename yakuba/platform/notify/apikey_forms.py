"""The staff form for issuing an API key (APIキーの発行)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from yakuba.platform.notify.apikeys import MAX_RATE_LIMIT


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("名称"),
        max_length=100,
        help_text=_("どのシステムが使うキーか分かる名前（例: 子育て支援システム）"),
    )
    rate_limit_per_minute = forms.IntegerField(
        label=_("1分あたりの上限"),
        min_value=1,
        max_value=MAX_RATE_LIMIT,
        initial=600,
        help_text=_("これを超えた要求は、次の1分まで断ります（HTTP 429）。"),
    )
    callback_url = forms.URLField(
        label=_("配信状況の通知先"),
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text=_(
            "https://で始まるURL。配信が終わるたびに結果をこのURLへ送ります。空欄なら送りません。"
        ),
    )

    def clean_callback_url(self) -> str:
        url: str = self.cleaned_data["callback_url"]
        # The callback carries a bearer secret: it must not travel in clear (GOV.UK requires https
        # too). The service accepts http so that tests can use a local server.
        if url and not url.lower().startswith("https://"):
            raise ValidationError(_("通知先はhttps://で始まるURLにしてください。"))
        return url
