"""The residents' search forms of the open-data catalogue and the town map.

Both are plain GET forms, so a search is a link that can be bookmarked and works without
JavaScript. The facet checkboxes are drawn from the search result's counts, not from the form's
choices: a value no longer offered (a tag removed since the link was shared) is simply ignored."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

# Longer words than this are not a search a person types; the limit keeps queries cheap.
MAX_QUERY_LENGTH = 200
MAX_VALUES = 20
TOO_LONG = {
    "max_length": _("%(limit_value)d文字以内で入力してください（今は%(show_value)d文字です）。")
}


class ValuesField(forms.Field):
    """Several values of one GET parameter (?tag=a&tag=b), trimmed, without blanks or repeats."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[str]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        cleaned: list[str] = []
        for item in values:
            text = str(item).strip()[:MAX_QUERY_LENGTH]
            if text and text not in cleaned:
                cleaned.append(text)
        return cleaned[:MAX_VALUES]


class SearchForm(forms.Form):
    """A GET search form."""

    def valid_data(self) -> dict[str, Any]:
        """The fields that were given and valid: a bad value (an unknown sort, a word too long,
        shown with its message) leaves the rest of the search as asked."""
        self.is_valid()
        return getattr(self, "cleaned_data", {})


class CatalogueSearchForm(SearchForm):
    """Search the catalogue (データセットを探す): words, facets and the order of the results."""

    SORTS = (
        ("", _("関連の高い順")),
        ("new", _("更新の新しい順")),
        ("name", _("名前順")),
    )

    q = forms.CharField(
        label=_("キーワード"),
        required=False,
        max_length=MAX_QUERY_LENGTH,
        error_messages=TOO_LONG,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_("ひらがな・カタカナ、全角・半角のどちらでも探せます。例：ひなんじょ、AED"),
    )
    group = ValuesField(required=False)
    tag = ValuesField(required=False)
    department = ValuesField(required=False)
    format = ValuesField(required=False)
    standard = ValuesField(required=False)
    sort = forms.ChoiceField(label=_("並び順"), choices=SORTS, required=False)

    def search_arguments(self) -> dict[str, Any]:
        """The keyword arguments of `queries.search_datasets` for what was asked."""
        data = self.valid_data()
        return {
            "q": data.get("q", ""),
            "groups": tuple(data.get("group", ())),
            "tags": tuple(data.get("tag", ())),
            "departments": tuple(data.get("department", ())),
            "formats": tuple(data.get("format", ())),
            "standard": (data.get("standard") or [""])[0],
            "sort": data.get("sort", ""),
        }


class MapSearchForm(SearchForm):
    """The town map's layer choice and name search (地図に表示するもの)."""

    q = forms.CharField(
        label=_("名前で探す"),
        required=False,
        max_length=MAX_QUERY_LENGTH,
        error_messages=TOO_LONG,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_("例：としょかん、中央公民館"),
    )
    layer = ValuesField(required=False)
    # Present once the resident has chosen layers: none ticked then means none, not all.
    chosen = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def chosen_layers(self, codes: list[str]) -> set[str]:
        """The layers to show: those ticked, or every layer on a first visit."""
        data = self.valid_data()
        if not data.get("chosen") and not data.get("layer"):
            return set(codes)
        return set(data.get("layer", ())) & set(codes)

    def words(self) -> str:
        return str(self.valid_data().get("q", ""))
