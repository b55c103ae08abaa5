"""Forms of the form builder's pages (様式の作成・編集): a procedure's settings, a section, a
field (only the attributes its type uses), the fee rule, publishing, importing. Each turns what
staff typed into the JSON of the form definition format; `builder` checks the whole form."""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from yakuba.modules.procedures import builder, formdef
from yakuba.modules.procedures.models import ApplicantKind, LifeEvent, Procedure, Status
from yakuba.platform.accounts.models import Department

FIELD_TYPE_LABELS: dict[str, Any] = {
    "text": _("1行の文字"),
    "textarea": _("複数行の文字"),
    "kana": _("フリガナ（全角カタカナ）"),
    "number": _("数（整数）"),
    "date": _("日付"),
    "choice": _("一つ選ぶ"),
    "multi_choice": _("いくつでも選ぶ"),
    "address": _("住所（郵便番号から検索）"),
    "bank_account": _("振込先の口座"),
    "file": _("ファイルの添付"),
    "group": _("くり返す項目のまとまり（グループ）"),
    "consent": _("同意（チェック）"),
    "phone": _("電話番号"),
    "email": _("メールアドレス"),
}
FIELD_TYPE_CHOICES = [(kind, FIELD_TYPE_LABELS[kind]) for kind in formdef.FIELD_TYPES]


def _localized(ja: str, en: str) -> dict[str, str] | None:
    """A text of the format from its two inputs; None when both are empty."""
    ja, en = ja.strip(), en.strip()
    if not ja and not en:
        return None
    return {"ja": ja, "en": en} if en else {"ja": ja}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _option_line(option: dict[str, Any]) -> str:
    """An option as the line staff edit: 「値|ラベル|English label」."""
    ja, en = _text_of(option.get("label"))
    return "|".join([option["value"], ja, en] if en else [option["value"], ja])


def _text_of(value: Any) -> tuple[str, str]:
    if isinstance(value, dict):
        return value.get("ja", ""), value.get("en", "")
    return (value or ""), ""


# --- the procedure's settings ------------------------------------------------------------------


class ProcedureForm(forms.ModelForm[Procedure]):
    """手続きの設定: names, who may apply, department, fee, statuses, search words, published."""

    life_events = forms.MultipleChoiceField(
        label=_("ライフイベント"),
        choices=LifeEvent.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    applicant_kinds = forms.MultipleChoiceField(
        label=_("申請できる人"),
        choices=ApplicantKind.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("申請できる人を一つ以上選んでください。")},
    )
    statuses = forms.MultipleChoiceField(
        label=_("使う状態"),
        choices=Status.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "受付は必ず使います。並び順はいつも 受付→審査中→補正依頼→承認/却下→完了 です。"
        ),
    )

    class Meta:
        model = Procedure
        fields = ["code", *builder.SETTINGS]
        help_texts = {
            "code": _(
                "英小文字・数字・ハイフン。URLと他の町との共有に使い、後から変えられません。"
            ),
            "required_documents": _("1行に一つ書きます。"),
            "required_documents_en": _("1行に一つ、日本語と同じ順に書きます。"),
            "keywords": _("空白で区切ります。漢字の言葉の読みがなは自動で加えます。"),
            "is_published": _("公開中の様式があるときだけ、町民の一覧に出ます。"),
        }
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "summary_en": forms.Textarea(attrs={"rows": 2}),
            "eligibility": forms.Textarea(attrs={"rows": 3}),
            "eligibility_en": forms.Textarea(attrs={"rows": 3}),
            "required_documents": forms.Textarea(attrs={"rows": 3}),
            "required_documents_en": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(
        self, *args: Any, is_new: bool, department: Department | None = None, **kwargs: Any
    ) -> None:
        """`department`: the staff member's own, which the procedure stays in (shown, not
        chosen); None lets them choose any (a superuser)."""
        super().__init__(*args, **kwargs)
        if not is_new:
            del self.fields["code"]
        cast(
            forms.ModelChoiceField, self.fields["department"]
        ).queryset = Department.objects.order_by("order", "code")
        if department is not None:
            field = cast(forms.ModelChoiceField, self.fields["department"])
            field.queryset = Department.objects.filter(pk=department.pk)
            field.initial = department.pk
            # A disabled field keeps its initial value whatever is posted.
            field.disabled = True
            field.help_text = _("あなたの課の手続きだけを作り、編集できます。")
        self.fields["statuses"].initial = self.fields["statuses"].initial or [Status.RECEIVED]

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        # These are pages of the builder, next to the procedures' own.
        if code in ("new", "import"):
            raise ValidationError(_("このコードは使えません。"))
        return code

    def clean_statuses(self) -> list[str]:
        statuses: list[str] = self.cleaned_data["statuses"]
        if Status.RECEIVED not in statuses:
            raise ValidationError(_("受付は必ず使います。"))
        return statuses

    def settings(self) -> dict[str, Any]:
        """The settings for `builder.create_procedure` / `update_procedure`."""
        return {name: self.cleaned_data[name] for name in builder.SETTINGS}


# --- sections and fields ------------------------------------------------------------------------


class SectionForm(forms.Form):
    """A section: its key, heading and description; a new one also asks for its first field
    (a section has at least one)."""

    key = forms.RegexField(
        label=_("キー"),
        regex=formdef.KEY_PATTERN,
        max_length=40,
        help_text=_("英小文字で始まり、英小文字・数字・_ だけ。答えの保存に使います。"),
        error_messages={"invalid": _("英小文字で始まり、英小文字・数字・_ だけで書いてください。")},
    )
    title_ja = forms.CharField(label=_("見出し（日本語）"), max_length=200)
    title_en = forms.CharField(label=_("見出し（英語）"), max_length=200, required=False)
    description_ja = forms.CharField(
        label=_("説明（日本語）"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    description_en = forms.CharField(
        label=_("説明（英語）"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, is_new: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_new = is_new
        if is_new:
            self.fields.update(FirstFieldForm().fields)

    @classmethod
    def initial_from(cls, section: dict[str, Any]) -> dict[str, Any]:
        title_ja, title_en = _text_of(section.get("title"))
        description_ja, description_en = _text_of(section.get("description"))
        return {
            "key": section["key"],
            "title_ja": title_ja,
            "title_en": title_en,
            "description_ja": description_ja,
            "description_en": description_en,
        }

    def section_json(self) -> dict[str, Any]:
        data = self.cleaned_data
        section: dict[str, Any] = {
            "key": data["key"],
            "title": _localized(data["title_ja"], data["title_en"]),
        }
        description = _localized(data["description_ja"], data["description_en"])
        if description is not None:
            section["description"] = description
        if self.is_new:
            section["fields"] = [FirstFieldForm.field_json(data)]
        return section


class FirstFieldForm(forms.Form):
    """The first field of a new section or group, to be completed on its own page."""

    first_type = forms.ChoiceField(label=_("最初の項目の種類"), choices=FIELD_TYPE_CHOICES)
    first_key = forms.RegexField(
        label=_("最初の項目のキー"),
        regex=formdef.KEY_PATTERN,
        max_length=40,
        error_messages={"invalid": _("英小文字で始まり、英小文字・数字・_ だけで書いてください。")},
    )
    first_label_ja = forms.CharField(label=_("最初の項目のラベル（日本語）"), max_length=500)
    first_label_en = forms.CharField(
        label=_("最初の項目のラベル（英語）"), max_length=500, required=False
    )

    @staticmethod
    def field_json(data: dict[str, Any]) -> dict[str, Any]:
        field: dict[str, Any] = {
            "key": data["first_key"],
            "type": data["first_type"],
            "label": _localized(data["first_label_ja"], data["first_label_en"]),
        }
        if data["first_type"] in ("choice", "multi_choice"):
            # A choice needs options to be a valid field: two to start with, renamed later.
            field["options"] = [
                {"value": "yes", "label": {"ja": "はい", "en": "Yes"}},
                {"value": "no", "label": {"ja": "いいえ", "en": "No"}},
            ]
        return field


OPTIONS_HELP = _(
    "1行に一つ、「値|ラベル|English label」と書きます（例: mail|郵送|By post）。"
    "値は英数字で、答えの保存に使います。"
)


class FieldForm(forms.Form):
    """One field of the form with only the settings its type uses (`kind`)."""

    key = forms.RegexField(
        label=_("キー"),
        regex=formdef.KEY_PATTERN,
        max_length=40,
        help_text=_("英小文字で始まり、英小文字・数字・_ だけ。答えの保存に使います。"),
        error_messages={"invalid": _("英小文字で始まり、英小文字・数字・_ だけで書いてください。")},
    )
    label_ja = forms.CharField(label=_("ラベル（日本語）"), max_length=500)
    label_en = forms.CharField(label=_("ラベル（英語）"), max_length=500, required=False)
    help_ja = forms.CharField(
        label=_("説明（日本語）"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    help_en = forms.CharField(
        label=_("説明（英語）"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    required = forms.BooleanField(label=_("必須にする"), required=False)
    max_length = forms.IntegerField(label=_("最大の文字数"), required=False, min_value=1)
    min = forms.IntegerField(label=_("最小"), required=False)
    max = forms.IntegerField(label=_("最大"), required=False)
    era = forms.BooleanField(label=_("和暦でも表示・入力できるようにする"), required=False)
    options = forms.CharField(
        label=_("選択肢"), widget=forms.Textarea(attrs={"rows": 5}), help_text=OPTIONS_HELP
    )
    accept = forms.MultipleChoiceField(
        label=_("受け付けるファイルの種類"),
        choices=[(kind, kind.upper()) for kind in formdef.FILE_KINDS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("選ばないときは PDF・JPEG・PNG です。"),
    )
    max_mb = forms.IntegerField(
        label=_("ファイルの最大サイズ（MB）"),
        required=False,
        min_value=1,
        max_value=formdef.MAX_MB_LIMIT,
    )
    prefill = forms.ChoiceField(
        label=_("前もって入れておく値"),
        required=False,
        help_text=_("町民の登録情報から入れておきます（書かない窓口）。"),
    )
    show_if_field = forms.CharField(
        label=_("表示する条件: 項目のキー"),
        required=False,
        max_length=90,
        help_text=_("この項目より前の項目。ほかのセクションの項目は「セクション.キー」。"),
    )
    show_if_values = forms.CharField(
        label=_("表示する条件: その答え"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("1行に一つ。どれかに当てはまれば表示します。同意の項目は true か false。"),
    )

    def __init__(
        self,
        *args: Any,
        kind: str,
        definition: dict[str, Any],
        section: str,
        group: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.definition = definition
        self.section = section
        self.group = group
        used = formdef.FIELD_ATTRIBUTES[kind]
        for name in ("max_length", "min", "max", "era", "options", "accept", "max_mb"):
            if name not in used:
                del self.fields[name]
        if kind == "group":
            self.fields["min"].label = _("最小の件数")
            self.fields["max"].label = _("最大の件数")
        if kind == "consent":
            for name in ("label_ja", "label_en"):
                self.fields[name].widget = forms.Textarea(attrs={"rows": 3})
        paths = (
            [f"child.{name}" for name in formdef.CHILD_ATTRIBUTES]
            if group is not None
            else list(formdef.PREFILL_PATHS)
        )
        cast(forms.ChoiceField, self.fields["prefill"]).choices = [
            ("", _("なし")),
            *[(p, p) for p in paths],
        ]

    @classmethod
    def initial_from(cls, field: dict[str, Any]) -> dict[str, Any]:
        label_ja, label_en = _text_of(field.get("label"))
        help_ja, help_en = _text_of(field.get("help"))
        initial: dict[str, Any] = {
            "key": field["key"],
            "label_ja": label_ja,
            "label_en": label_en,
            "help_ja": help_ja,
            "help_en": help_en,
            "required": field.get("required", False),
            "prefill": field.get("prefill", ""),
            "era": field.get("era", False),
            "accept": field.get("accept", []),
        }
        for name in ("max_length", "min", "max", "max_mb"):
            initial[name] = field.get(name)
        initial["options"] = "\n".join(_option_line(o) for o in field.get("options", []))
        show_if = field.get("show_if")
        if show_if:
            values = show_if["in"] if "in" in show_if else [show_if.get("equals")]
            initial["show_if_field"] = show_if["field"]
            initial["show_if_values"] = "\n".join(
                ("true" if v else "false") if isinstance(v, bool) else str(v) for v in values
            )
        return initial

    def clean_options(self) -> list[dict[str, Any]]:
        options = []
        for number, line in enumerate(_lines(self.cleaned_data["options"]), start=1):
            parts = [part.strip() for part in line.split("|")]
            if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
                raise ValidationError(
                    _("%(number)s行目: 「値|ラベル|English label」の形で書いてください。")
                    % {"number": number}
                )
            label = _localized(parts[1], parts[2] if len(parts) == 3 else "")
            options.append({"value": parts[0], "label": label})
        return options

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        target = data.get("show_if_field", "").strip()
        values = _lines(data.get("show_if_values", ""))
        if bool(target) != bool(values):
            raise ValidationError(
                _("表示する条件は、項目のキーと答えの両方を書いてください（条件なしは両方空に）。")
            )
        data["show_if"] = (
            builder.condition(
                self.definition,
                section=self.section,
                group=self.group,
                field=target,
                values=values,
            )
            if target
            else None
        )
        return data

    def field_json(self) -> dict[str, Any]:
        """The field in the format; attributes left empty are left out."""
        data = self.cleaned_data
        field: dict[str, Any] = {
            "key": data["key"],
            "type": self.kind,
            "label": _localized(data["label_ja"], data["label_en"]),
        }
        if data["required"]:
            field["required"] = True
        help_text = _localized(data["help_ja"], data["help_en"])
        if help_text is not None:
            field["help"] = help_text
        for name in ("max_length", "min", "max", "max_mb"):
            if data.get(name) is not None:
                field[name] = data[name]
        if data.get("options"):
            field["options"] = data["options"]
        if data.get("accept"):
            field["accept"] = list(data["accept"])
        if data.get("era"):
            field["era"] = True
        if data["show_if"] is not None:
            field["show_if"] = data["show_if"]
        if data["prefill"]:
            field["prefill"] = data["prefill"]
        return field


class FeeForm(forms.Form):
    """手数料の計算: none, a fixed amount, or an amount per copy / choice / row of one field."""

    RULES = [
        ("", _("手数料なし")),
        ("fixed", _("定額")),
        ("per_item", _("件数に応じて（1件あたりの金額 × 数）")),
    ]
    rule = forms.ChoiceField(label=_("計算のしかた"), choices=RULES, required=False)
    yen = forms.IntegerField(label=_("定額の金額（円）"), required=False, min_value=0)
    field = forms.CharField(
        label=_("数える項目のキー"),
        required=False,
        max_length=90,
        help_text=_(
            "数・いくつでも選ぶ・グループの項目。同じキーが複数あるときは「セクション.キー」。"
        ),
    )
    unit_yen = forms.IntegerField(label=_("1件あたりの金額（円）"), required=False, min_value=0)

    @classmethod
    def initial_from(cls, fee: dict[str, Any] | None) -> dict[str, Any]:
        return dict(fee or {"rule": ""})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        rule = data.get("rule")
        if rule == "fixed" and data.get("yen") is None:
            self.add_error("yen", _("金額を書いてください。"))
        if rule == "per_item":
            if not data.get("field"):
                self.add_error("field", _("数える項目のキーを書いてください。"))
            if data.get("unit_yen") is None:
                self.add_error("unit_yen", _("1件あたりの金額を書いてください。"))
        return data

    def fee_json(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if data["rule"] == "fixed":
            return {"rule": "fixed", "yen": data["yen"]}
        if data["rule"] == "per_item":
            return {"rule": "per_item", "field": data["field"], "unit_yen": data["unit_yen"]}
        return None


class PublishForm(forms.Form):
    note = forms.CharField(
        label=_("変更の内容"),
        max_length=300,
        help_text=_("版の履歴に残ります。例: 「郵送の送り先を追加」"),
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("共有用の様式ファイル（JSON）"),
        help_text=_("他の町がこの画面の「書き出す」で作ったファイルです。1MBまで。"),
    )

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        if file.size > builder.MAX_SHARE_BYTES:
            raise ValidationError(_("ファイルが大きすぎます（1MBまで）。"))
        return file


class ImportConfirmForm(forms.Form):
    """The checked file travels back with the confirmation, and is checked again."""

    content = forms.CharField(widget=forms.HiddenInput, max_length=builder.MAX_SHARE_BYTES)
    department = forms.ModelChoiceField(
        label=_("担当課"),
        queryset=Department.objects.order_by("order", "code"),
        required=False,
        empty_label=_("選んでください"),
        help_text=_("この町で担当する課を選びます。"),
    )

    def __init__(self, *args: Any, needs_department: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if needs_department:
            self.fields["department"].required = True
        else:
            del self.fields["department"]


class DefinitionForm(forms.Form):
    """The whole form definition as JSON (上級者向け); `builder.replace_definition` checks it."""

    definition = forms.CharField(
        label=_("様式の定義（JSON）"),
        max_length=builder.MAX_SHARE_BYTES,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false", "class": "builder-json"}),
        help_text=_(
            "形式は yakuba.procedures.form/1 です。保存すると全体を確かめ、"
            "間違いがあれば場所と一緒にすべて表示します（そのときは何も保存しません）。"
        ),
    )
    # What the page showed, to notice a change made elsewhere in the meantime.
    based_on = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    @classmethod
    def initial_from(cls, definition: dict[str, Any]) -> dict[str, Any]:
        return {
            "definition": json.dumps(definition, ensure_ascii=False, indent=2),
            "based_on": builder.definition_digest(definition),
        }
