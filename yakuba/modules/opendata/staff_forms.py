"""Forms of the staff's open-data pages (オープンデータの管理): the list's filters, a dataset's
metadata, a file upload, publishing an upload and deleting a dataset.

The forms only read and check what staff typed; the services save it and keep the rules (a URL
name used twice, an end date before the start), and their ValidationErrors are shown on the form.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yakuba.core.standard_datasets import STANDARD_DATASETS
from yakuba.modules.opendata import queries
from yakuba.modules.opendata.models import Dataset, Group, Resource
from yakuba.modules.opendata.services import EDITABLE_FIELDS
from yakuba.modules.opendata.uploads import UPLOAD_MAX_BYTES
from yakuba.platform.accounts.models import Department

# Staff type tags separated the way they write lists: 「,」「，」 or 「、」.
TAG_SEPARATORS = re.compile(r"[,，、]")
NEW_RESOURCE = ""


def standard_choices() -> list[tuple[str, Any]]:
    return [("", _("なし（列の型をファイルから推定する）"))] + [
        (code, standard.title)
        for code, standard in sorted(STANDARD_DATASETS.items(), key=lambda item: item[1].title)
    ]


class DatasetFilterForm(forms.Form):
    """Narrow the staff's list of datasets: words, state, department, group."""

    q = forms.CharField(label=_("キーワード"), required=False, max_length=200)
    state = forms.ChoiceField(
        label=_("状態"),
        required=False,
        choices=[("", _("すべて")), *Dataset.State.choices],
    )
    department = forms.ModelChoiceField(
        label=_("公開する課"),
        required=False,
        queryset=Department.objects.all(),
        empty_label=_("すべて"),
    )
    group = forms.ModelChoiceField(
        label=_("分類"), required=False, queryset=Group.objects.all(), empty_label=_("すべて")
    )

    def datasets(self) -> QuerySet[Dataset]:
        """The datasets the filters select, newest change first; a bad value is ignored."""
        datasets = Dataset.objects.select_related("department").order_by("-modified_at", "name")
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("state"):
            datasets = datasets.filter(state=data["state"])
        if data.get("department"):
            datasets = datasets.filter(department=data["department"])
        if data.get("group"):
            datasets = datasets.filter(groups=data["group"])
        # The catalogue's matching: kana, full/half width and readings (queries.search_datasets).
        words = queries.normalise_for_search(data.get("q") or "").split()
        return queries.containing(datasets, words).distinct()


class DatasetForm(forms.ModelForm[Dataset]):
    """A dataset's metadata (データセットの情報). Tags are typed as one line of text."""

    tags = forms.CharField(
        label=_("タグ"),
        required=False,
        max_length=1000,
        help_text=_("コンマ（,）か読点（、）で区切って入力します。例：防災, 避難所"),
    )
    standard = forms.ChoiceField(
        label=_("準拠する標準データセット"),
        required=False,
        help_text=_(
            "デジタル庁の自治体標準オープンデータセットのどれに沿ったファイルか。"
            "取り込んだファイルをこの標準の列の定義で確かめます。"
        ),
    )

    class Meta:
        model = Dataset
        # What the service sets (tags are typed as text, below); field_order places them.
        fields = [*EDITABLE_FIELDS, "groups"]
        widgets = {
            "groups": forms.CheckboxSelectMultiple,
            "temporal_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "temporal_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 5}),
            "description_en": forms.Textarea(attrs={"rows": 5}),
        }
        labels = {"groups": _("分類")}

    field_order = [
        "name",
        "title",
        "title_en",
        "description",
        "description_en",
        "department",
        "groups",
        "tags",
        "standard",
    ]

    def __init__(self, *args: Any, is_generated: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        standard = self.fields["standard"]
        assert isinstance(standard, forms.ChoiceField)  # noqa: S101 - declared above
        standard.choices = standard_choices()
        if Group.objects.exists():
            self.fields["groups"].required = False
        else:
            # No group to choose from: an empty list of checkboxes would only confuse.
            del self.fields["groups"]
        department = self.fields["department"]
        assert isinstance(department, forms.ModelChoiceField)  # noqa: S101 - a foreign key
        department.empty_label = None
        if self.instance.pk:
            self.initial.setdefault("tags", ", ".join(tag.name for tag in self.instance.tags.all()))
        if is_generated:
            # The platform writes these files to their standard; a different one would not fit.
            self.fields["standard"].disabled = True

    def _post_clean(self) -> None:
        # The service checks the metadata (with its own messages) and saves it; the form must not
        # fill in or check the instance a second time.
        pass

    def clean_tags(self) -> list[str]:
        text: str = self.cleaned_data.get("tags") or ""
        return [name.strip() for name in TAG_SEPARATORS.split(text) if name.strip()]

    def clean_name(self) -> str:
        return str(self.cleaned_data.get("name") or "").strip()


class UploadForm(forms.Form):
    """A file to check and then publish, as a new file of the dataset or in place of one."""

    file = forms.FileField(
        label=_("ファイル"),
        error_messages={
            "required": _("ファイルを選んでください。"),
            "empty": _("ファイルが空です。"),
        },
    )
    resource = forms.ChoiceField(
        label=_("取り込み先"),
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, resources: QuerySet[Resource], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Filled in here, in the language of the request: a lazy text filled in at import would
        # be fixed in the language active then.
        self.fields["file"].help_text = gettext(
            "CSV（UTF-8またはShift_JIS）、Excel（.xlsx）、JSON、GeoJSONのファイル。"
            "%(megabytes)d MBまで。"
        ) % {"megabytes": UPLOAD_MAX_BYTES // (1024 * 1024)}
        self._resources = {str(resource.pk): resource for resource in resources}
        choice = self.fields["resource"]
        assert isinstance(choice, forms.ChoiceField)  # noqa: S101 - declared above
        choice.choices = [
            (NEW_RESOURCE, _("新しいファイルとして追加する")),
            *(
                (
                    key,
                    _("「%(name)s」（%(format)s）を置き換える")
                    % {"name": resource.name, "format": resource.format},
                )
                for key, resource in self._resources.items()
            ),
        ]
        choice.initial = NEW_RESOURCE
        if not self._resources:
            # Nothing to replace yet: the file can only be a new one.
            choice.widget = forms.HiddenInput()

    def clean_resource(self) -> Resource | None:
        key = self.cleaned_data.get("resource") or NEW_RESOURCE
        return self._resources.get(key)


class PublishUploadForm(forms.Form):
    """Publish a checked upload: a new file's name, and what changed (変更の内容)."""

    name = forms.CharField(label=_("ファイルの名称"), max_length=200)
    name_en = forms.CharField(label=_("ファイルの名称（英語）"), max_length=200, required=False)
    note = forms.CharField(
        label=_("変更の内容"),
        max_length=500,
        required=False,
        help_text=_("公開する版の説明。前の版との違いなど。例：令和6年4月1日時点に更新"),
    )

    def __init__(self, *args: Any, is_new_resource: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not is_new_resource:
            del self.fields["name"]
            del self.fields["name_en"]


class DeleteDatasetForm(forms.Form):
    """Delete a dataset, leaving a tombstone that says why (削除の理由)."""

    reason = forms.CharField(
        label=_("削除の理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("データセットのページとAPIで公開されます。例：調査を終了したため"),
        error_messages={"required": _("削除の理由を入力してください。")},
    )
