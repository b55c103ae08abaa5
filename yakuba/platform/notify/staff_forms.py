"""Forms of the staff console's notify pages: the segment builder (配信対象の条件) and the compose
form (通知の作成). Staff never have to type JSON: the builder produces the rule (see `rules`)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakuba.platform.accounts.models import Language, Topic
from yakuba.platform.notify import rendering, sending, templates_service
from yakuba.platform.notify.models import Priority, QuestionKind, Segment, Template
from yakuba.platform.notify.rules import DEFAULT_ELDERLY_AGE, MAX_AGE, parse_rule
from yakuba.platform.places.models import District

ANNOUNCEMENT = "notify.announcement"
EMERGENCY = "notify.emergency"

# The language variants staff may write; Japanese is required (rendering.check_contents).
LANGUAGES = (
    (Language.JAPANESE.value, Language.JAPANESE.label),
    (Language.SIMPLE_JAPANESE.value, Language.SIMPLE_JAPANESE.label),
    (Language.ENGLISH.value, Language.ENGLISH.label),
    (Language.VIETNAMESE.value, Language.VIETNAMESE.label),
    (Language.CHINESE.value, Language.CHINESE.label),
    (Language.KOREAN.value, Language.KOREAN.label),
)

# Presets. Their wording is the message's own content in each language (residents read it in
# their variant), not interface text, so it is data here rather than gettext strings.
SAFETY_QUESTION: dict[str, Any] = {
    "kind": QuestionKind.CHOICE.value,
    "text": {
        "ja": "ご無事ですか。",
        "ja-easy": "あなたは だいじょうぶですか。",
        "en": "Are you safe?",
    },
    "choices": [
        {
            "code": "safe",
            "label": {"ja": "無事です", "ja-easy": "だいじょうぶです", "en": "I am safe"},
        },
        {
            "code": "help",
            "label": {
                "ja": "助けが必要です",
                "ja-easy": "たすけが ひつようです",
                "en": "I need help",
            },
        },
    ],
}
YES_NO_CHOICES = [
    {"code": "yes", "label": {"ja": "はい", "ja-easy": "はい", "en": "Yes"}},
    {"code": "no", "label": {"ja": "いいえ", "ja-easy": "いいえ", "en": "No"}},
]
QUESTION_SLOTS = (1, 2, 3)
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def field_name(prefix: str, language: str) -> str:
    """subject_ja, body_ja_easy, subject_zh_hans …"""
    return f"{prefix}_{language.replace('-', '_')}"


def _age_field(label: Any, *, initial: int | None = None) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=MAX_AGE,
        initial=initial,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


def _checkboxes(label: Any, choices: Any = ()) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label, required=False, choices=choices, widget=forms.CheckboxSelectMultiple
    )


class SegmentBuilderForm(forms.Form):
    """Choose residents by ticking conditions; `rule` (after is_valid) is the JSON rule.

    Included conditions are combined with "all" (AND) or "any" (OR); the excluded ones are put
    under one "not" (a resident matching any of them is left out)."""

    combine = forms.ChoiceField(
        label=_("条件の組み合わせ方"),
        choices=[
            ("all", _("すべての条件に当てはまる人")),
            ("any", _("いずれかの条件に当てはまる人")),
        ],
        initial="all",
        widget=forms.RadioSelect,
    )
    everyone = forms.BooleanField(
        label=_("町民全員"),
        required=False,
        help_text=_("町全体へのお知らせ。下の「除く人」だけは使えます。"),
    )
    districts = _checkboxes(_("行政区"))
    age_min = _age_field(_("年齢（何歳から）"))
    age_max = _age_field(_("年齢（何歳まで）"))
    child_age_min = _age_field(_("世帯の子・孫の年齢（何歳から）"))
    child_age_max = _age_field(_("世帯の子・孫の年齢（何歳まで）"))
    elderly_alone = forms.BooleanField(label=_("一人暮らしの高齢者"), required=False)
    elderly_min_age = _age_field(_("高齢者とする年齢"), initial=DEFAULT_ELDERLY_AGE)
    languages = _checkboxes(_("受け取る言語"), Language.choices)
    topics = _checkboxes(_("関心のある分野"), Topic.choices)
    needs_assistance = forms.ChoiceField(
        label=_("避難行動要支援者"),
        required=False,
        choices=[
            ("", _("指定しない")),
            ("yes", _("避難行動要支援者だけ")),
            ("no", _("避難行動要支援者を除く")),
        ],
    )
    exclude_districts = _checkboxes(_("除く行政区"))
    exclude_languages = _checkboxes(_("除く言語"), Language.choices)
    exclude_topics = _checkboxes(_("除く分野（関心のある人を除く）"), Topic.choices)
    use_json = forms.BooleanField(label=_("下のJSONで条件を指定する（上級者向け）"), required=False)
    rule_json = forms.CharField(
        label=_("条件（JSON）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "code"}),
        help_text=_("チェックを入れたときだけ使います。書き方は docs/modules/notify.md を参照。"),
    )

    INCLUDE_FIELDS = (
        "districts",
        "age_min",
        "age_max",
        "child_age_min",
        "child_age_max",
        "elderly_alone",
        "elderly_min_age",
        "languages",
        "topics",
        "needs_assistance",
    )
    EXCLUDE_FIELDS = ("exclude_districts", "exclude_languages", "exclude_topics")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        districts = [(d.code, d.name) for d in District.objects.order_by("order", "code")]
        self.fields["districts"].choices = districts  # type: ignore[attr-defined]
        self.fields["exclude_districts"].choices = districts  # type: ignore[attr-defined]
        self.rule: dict[str, Any] | None = None

    def rule_as_json(self) -> str:
        return json.dumps(self.rule, ensure_ascii=False, indent=2) if self.rule else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        if data.get("use_json"):
            try:
                rule = json.loads(data.get("rule_json") or "")
            except ValueError:
                self.add_error("rule_json", _("JSONとして読めません。"))
                return data
        else:
            for low, high in (("age_min", "age_max"), ("child_age_min", "child_age_max")):
                bounded = data.get(low) is not None and data.get(high) is not None
                if bounded and data[low] > data[high]:
                    self.add_error(high, _("「から」の年齢より小さくなっています。"))
                    return data
            if data.get("everyone") and any(
                data.get(name) not in (None, "", [], False)
                for name in self.INCLUDE_FIELDS
                if name != "elderly_min_age"
            ):
                self.add_error(
                    "everyone", _("「町民全員」を選んだときは、対象の条件は選べません。")
                )
                return data
            rule = build_rule(data)
            if rule is None:
                raise ValidationError(_("条件を一つ以上指定してください。"), code="no_condition")
        try:
            parse_rule(rule)
        except ValidationError as error:
            self.add_error("rule_json" if data.get("use_json") else None, error.messages)
            return data
        self.rule = rule
        return data


def _band(minimum: int | None, maximum: int | None) -> dict[str, int] | None:
    band = {}
    if minimum is not None:
        band["min"] = minimum
    if maximum is not None:
        band["max"] = maximum
    return band or None


def build_rule(data: dict[str, Any]) -> dict[str, Any] | None:
    """The rule JSON for the builder's cleaned fields; None when nothing is chosen."""
    includes: list[dict[str, Any]] = []
    if data.get("districts"):
        includes.append({"district": list(data["districts"])})
    age = _band(data.get("age_min"), data.get("age_max"))
    if age:
        includes.append({"age": age})
    child = _band(data.get("child_age_min"), data.get("child_age_max"))
    if child:
        includes.append({"household_child_age": child})
    if data.get("elderly_alone"):
        minimum = data.get("elderly_min_age")
        includes.append(
            {
                "elderly_living_alone": {
                    "min_age": DEFAULT_ELDERLY_AGE if minimum is None else minimum
                }
            }
        )
    if data.get("languages"):
        includes.append({"language": list(data["languages"])})
    if data.get("topics"):
        includes.append({"topic": list(data["topics"])})
    if data.get("needs_assistance") in ("yes", "no"):
        includes.append({"needs_evacuation_assistance": data["needs_assistance"] == "yes"})

    excludes: list[dict[str, Any]] = []
    for name, key in (
        ("exclude_districts", "district"),
        ("exclude_languages", "language"),
        ("exclude_topics", "topic"),
    ):
        if data.get(name):
            excludes.append({key: list(data[name])})

    excluded = None
    if excludes:
        excluded = {"not": excludes[0] if len(excludes) == 1 else {"any": excludes}}
    combine = data.get("combine") or "all"
    if not includes:
        if data.get("everyone") and not excluded:
            return {"everyone": True}
        return excluded
    if len(includes) == 1:
        included = includes[0]
        return {"all": [included, excluded]} if excluded else included
    if combine == "all":
        return {"all": [*includes, excluded]} if excluded else {"all": includes}
    return {"all": [{"any": includes}, excluded]} if excluded else {"any": includes}


_INCLUDE_LEAVES = {
    "district",
    "age",
    "household_child_age",
    "elderly_living_alone",
    "language",
    "topic",
    "needs_evacuation_assistance",
}
_EXCLUDE_LEAVES = {
    "district": "exclude_districts",
    "language": "exclude_languages",
    "topic": "exclude_topics",
}


def builder_initial(rule: dict[str, Any]) -> dict[str, Any]:
    """The builder's fields for a saved rule, so that it can be edited with ticks again. A rule the
    builder could not have made (deeper nesting, repeated conditions) opens in the JSON editor."""
    as_json = {"use_json": True, "rule_json": json.dumps(rule, ensure_ascii=False, indent=2)}
    try:
        data = _fields_of(rule)
    except (ValueError, TypeError, AttributeError, KeyError):
        return as_json
    if data is None or build_rule(data) != rule:
        return as_json
    data["rule_json"] = json.dumps(rule, ensure_ascii=False, indent=2)
    return data


def _fields_of(rule: dict[str, Any]) -> dict[str, Any] | None:
    ((key, value),) = rule.items()
    includes: list[dict[str, Any]] = []
    excluded: dict[str, Any] | None = None
    combine = "all"
    if key == "not":
        excluded = value
    elif key in ("all", "any"):
        items = list(value)
        if key == "all" and items and "not" in items[-1]:
            excluded = items.pop()["not"]
        if key == "all" and len(items) == 1 and "any" in items[0]:
            items, combine = list(items[0]["any"]), "any"
        elif key == "any":
            combine = "any"
        includes = items
    else:
        includes = [rule]
    if includes == [{"everyone": True}]:
        return {"combine": "all", "everyone": True}
    data: dict[str, Any] = {"combine": combine}
    for leaf in includes:
        ((name, inner),) = leaf.items()
        if name not in _INCLUDE_LEAVES or name in data:
            return None
        data[name] = inner
    fields: dict[str, Any] = {"combine": combine}
    if "district" in data:
        fields["districts"] = data["district"]
    if "age" in data:
        fields["age_min"], fields["age_max"] = data["age"].get("min"), data["age"].get("max")
    if "household_child_age" in data:
        band = data["household_child_age"]
        fields["child_age_min"], fields["child_age_max"] = band.get("min"), band.get("max")
    if "elderly_living_alone" in data:
        fields["elderly_alone"] = True
        fields["elderly_min_age"] = data["elderly_living_alone"].get("min_age", DEFAULT_ELDERLY_AGE)
    if "language" in data:
        fields["languages"] = data["language"]
    if "topic" in data:
        fields["topics"] = data["topic"]
    if "needs_evacuation_assistance" in data:
        fields["needs_assistance"] = "yes" if data["needs_evacuation_assistance"] else "no"
    if excluded is not None:
        leaves = excluded.get("any", [excluded])
        for leaf in leaves:
            ((name, inner),) = leaf.items()
            if name not in _EXCLUDE_LEAVES or _EXCLUDE_LEAVES[name] in fields:
                return None
            fields[_EXCLUDE_LEAVES[name]] = inner
    return fields


class SegmentNameForm(forms.Form):
    """The name under which a segment is saved for reuse."""

    name = forms.CharField(label=_("配信対象の名前"), max_length=100)
    description = forms.CharField(
        label=_("説明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


# --- Compose ---------------------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def add_language_fields(form: forms.Form) -> None:
    """A subject and a body for each language (Japanese required): the compose and template forms."""
    for code, name in LANGUAGES:
        required = code == rendering.JAPANESE
        form.fields[field_name("subject", code)] = forms.CharField(
            label=_("件名（%(language)s）") % {"language": name},
            required=required,
            max_length=rendering.MAX_SUBJECT_LENGTH,
        )
        form.fields[field_name("body", code)] = forms.CharField(
            label=_("本文（%(language)s）") % {"language": name},
            required=required,
            max_length=rendering.MAX_BODY_LENGTH,
            widget=forms.Textarea(attrs={"rows": 8 if required else 4}),
            help_text=_("((氏名)) と ((行政区)) は受け取る人ごとに置き換わります。")
            if required
            else "",
        )


def language_fields(form: forms.Form) -> list[tuple[str, str, forms.BoundField, forms.BoundField]]:
    """(code, language name, subject field, body field) for the template's language sections."""
    return [
        (code, str(name), form[field_name("subject", code)], form[field_name("body", code)])
        for code, name in LANGUAGES
    ]


class ComposeForm(forms.Form):
    """The message: kind, topic, text in each language, link, attachments, questions, schedule.

    Everything `sending.send` would refuse is refused here first, so staff see every problem at
    once, next to its field, before the preview."""

    segment = forms.ModelChoiceField(
        label=_("保存した配信対象"),
        queryset=Segment.objects.all(),
        required=False,
        empty_label=_("使わない（下の条件で選ぶ）"),
    )
    kind = forms.ChoiceField(
        label=_("種類"),
        choices=[(ANNOUNCEMENT, _("お知らせ")), (EMERGENCY, _("緊急のお知らせ"))],
        initial=ANNOUNCEMENT,
        widget=forms.RadioSelect,
        help_text=_(
            "緊急のお知らせは、町民が設定した通知しない時間や分野の選択を無視して、"
            "登録されたすべての経路に届きます。災害など本当に緊急のときだけ使ってください。"
        ),
    )
    topic = forms.ChoiceField(
        label=_("分野"),
        required=False,
        choices=[("", _("指定しない（全員に届く）")), *Topic.choices],
        help_text=_("分野を選ぶと、ほかの分野だけに関心があると登録した人には届きません。"),
    )
    link_url = forms.URLField(
        label=_("リンク（任意）"),
        required=False,
        max_length=500,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("http:// または https:// で始まるアドレス"),
    )
    attachments = MultipleFileField(
        label=_("添付ファイル（任意）"),
        required=False,
        help_text=_("PDF、PNG、JPEG。1ファイル10MBまで。複数選べます。"),
    )
    question_mode = forms.ChoiceField(
        label=_("町民への質問"),
        choices=[
            ("none", _("質問しない")),
            ("safety", _("安否確認（無事です／助けが必要です）")),
            ("yes_no", _("はい／いいえで答える質問（質問1の文を使う）")),
            ("custom", _("質問を自分で作る（複数ならアンケート）")),
        ],
        initial="none",
        widget=forms.RadioSelect,
    )
    send_mode = forms.ChoiceField(
        label=_("送信する日時"),
        choices=[("now", _("すぐに送る")), ("later", _("日時を指定して送る"))],
        initial="now",
        widget=forms.RadioSelect,
    )
    scheduled_at = forms.DateTimeField(
        label=_("送信予定日時"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    save_as_template = forms.BooleanField(
        label=_("送信するときに、この件名と本文をひな形として保存する"), required=False
    )
    # The template the text started from (?template=), kept on the message.
    from_template = forms.ModelChoiceField(
        queryset=Template.objects.all(), required=False, widget=forms.HiddenInput
    )
    save_template_name = forms.CharField(
        label=_("ひな形の名前"),
        required=False,
        max_length=templates_service.MAX_NAME_LENGTH,
        help_text=_("保存するときだけ入力します。分野と各言語の件名・本文が保存されます。"),
    )

    def __init__(self, *args: Any, can_send_emergency: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.can_send_emergency = can_send_emergency
        add_language_fields(self)
        for number in QUESTION_SLOTS:
            self.fields[f"q{number}_text"] = forms.CharField(
                label=_("質問%(n)dの文") % {"n": number}, required=False, max_length=500
            )
            self.fields[f"q{number}_kind"] = forms.ChoiceField(
                label=_("質問%(n)dの答え方") % {"n": number},
                choices=QuestionKind.choices,
                initial=QuestionKind.CHOICE,
                required=False,
            )
            self.fields[f"q{number}_choices"] = forms.CharField(
                label=_("質問%(n)dの選択肢（1行に1つ）") % {"n": number},
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        if not can_send_emergency:
            self.fields["kind"].help_text = _(
                "緊急のお知らせを送る権限がありません。必要なときは権限のある職員に依頼してください。"
            )
        self.contents: dict[str, dict[str, str]] = {}
        self.questions: list[dict[str, Any]] = []

    # Field groups for the template.
    def language_fields(self) -> list[tuple[str, str, forms.BoundField, forms.BoundField]]:
        return language_fields(self)

    def question_fields(self) -> list[tuple[int, list[forms.BoundField]]]:
        return [
            (n, [self[f"q{n}_text"], self[f"q{n}_kind"], self[f"q{n}_choices"]])
            for n in QUESTION_SLOTS
        ]

    def clean_kind(self) -> str:
        kind: str = self.cleaned_data["kind"]
        if kind == EMERGENCY and not self.can_send_emergency:
            raise ValidationError(_("緊急のお知らせを送る権限がありません。"))
        return kind

    def clean_attachments(self) -> list[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data.get("attachments") or []
        errors = []
        for upload in files:
            try:
                sending.check_attachment(upload)
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)
        return files

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        contents = {
            code: {
                "subject": data.get(field_name("subject", code)) or "",
                "body": data.get(field_name("body", code)) or "",
            }
            for code, _name in LANGUAGES
        }
        if not self.has_error(field_name("subject", "ja")) and not self.has_error(
            field_name("body", "ja")
        ):
            try:
                self.contents = rendering.check_contents(contents)
                # The console has no values for placeholders other than the recipient's own.
                rendering.resolve_context(self.contents, {})
            except ValidationError as error:
                self.add_error(None, error.messages)
        try:
            self.questions = sending.check_questions(self._questions(data))
        except ValidationError as error:
            self.add_error("question_mode", error.messages)
        if data.get("send_mode") == "later":
            scheduled: datetime | None = data.get("scheduled_at")
            if scheduled is None:
                if not self.has_error("scheduled_at"):
                    self.add_error("scheduled_at", _("送信予定日時を入力してください。"))
            elif scheduled <= timezone.now():
                self.add_error("scheduled_at", _("送信予定日時は今より後にしてください。"))
        if data.get("save_as_template"):
            data["save_template_name"] = (data.get("save_template_name") or "").strip()
            if not data["save_template_name"] and not self.has_error("save_template_name"):
                self.add_error("save_template_name", _("ひな形の名前を入力してください。"))
        return data

    def _questions(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        mode = data.get("question_mode") or "none"
        if mode == "safety":
            return [SAFETY_QUESTION]
        if mode == "yes_no":
            text = (data.get("q1_text") or "").strip()
            return [{"kind": QuestionKind.CHOICE, "text": {"ja": text}, "choices": YES_NO_CHOICES}]
        if mode != "custom":
            return []
        questions = []
        for number in QUESTION_SLOTS:
            text = (data.get(f"q{number}_text") or "").strip()
            if not text:
                continue
            kind = data.get(f"q{number}_kind") or QuestionKind.CHOICE
            lines = [line.strip() for line in (data.get(f"q{number}_choices") or "").splitlines()]
            choices = [
                {"code": f"c{index}", "label": {"ja": line}}
                for index, line in enumerate((line for line in lines if line), start=1)
            ]
            questions.append(
                {
                    "kind": kind,
                    "text": {"ja": text},
                    "choices": choices if kind == QuestionKind.CHOICE else [],
                }
            )
        if not questions:
            raise ValidationError(_("質問の文を一つ以上入力してください。"))
        return questions

    @property
    def priority(self) -> str:
        return Priority.EMERGENCY if self.cleaned_data["kind"] == EMERGENCY else Priority.NORMAL

    def scheduled(self) -> datetime | None:
        if self.cleaned_data.get("send_mode") == "later":
            value: datetime | None = self.cleaned_data.get("scheduled_at")
            return value
        return None


class ReplyForm(forms.Form):
    """The town's answer in a conversation with a resident."""

    body = forms.CharField(
        label=_("返信"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
