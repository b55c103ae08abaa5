"""Forms for the resident's inbox (受信箱): answering a question, writing to the town, and the
notification settings (通知の設定)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yakuba.platform.accounts.models import Topic
from yakuba.platform.notify import preferences
from yakuba.platform.notify.models import Channel, Question, QuestionKind
from yakuba.platform.notify.replies import MAX_ANSWER_LENGTH


def in_language(texts: dict[str, str], language: str) -> str:
    """A text in the recipient's language variant, else Japanese (always present)."""
    return texts.get(language) or texts.get("ja") or ""


class ChoiceRadios(forms.RadioSelect):
    """Radio buttons whose "label for" points at the first button, so that the error summary's
    link moves the focus into the group (Django's RadioSelect gives no id for the group)."""

    def id_for_label(self, id_: str, index: str | None = "0") -> str:
        return super().id_for_label(id_, index or "0")


class AnswerForm(forms.Form):
    """An answer to one question (回答): a choice among its options, or free text."""

    def __init__(self, *args: Any, question: Question, language: str, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"q{question.pk}")
        super().__init__(*args, **kwargs)
        self.question = question
        label = in_language(question.text, language)
        if question.kind == QuestionKind.CHOICE:
            self.fields["answer"] = forms.ChoiceField(
                label=label,
                choices=[(c["code"], in_language(c["label"], language)) for c in question.choices],
                widget=ChoiceRadios,
                error_messages={
                    "required": _("回答を選んでください。"),
                    "invalid_choice": _("選択肢から選んでください。"),
                },
            )
        else:
            self.fields["answer"] = forms.CharField(
                label=label,
                max_length=MAX_ANSWER_LENGTH,
                widget=forms.Textarea(attrs={"rows": 4}),
                error_messages={"required": _("回答を入力してください。")},
            )

    @property
    def is_choice(self) -> bool:
        return self.question.kind == QuestionKind.CHOICE


class ConversationForm(forms.Form):
    """A message from the resident to the town about a notice (町へのメッセージ)."""

    body = forms.CharField(
        label=_("町へのメッセージ"),
        help_text=_("このお知らせについて、町の担当者に伝えたいことを書いてください。"),
        max_length=MAX_ANSWER_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("メッセージを入力してください。")},
    )


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%H:%M")


def rank_label(rank: int) -> str:
    return str(_("%(rank)d番目")) % {"rank": rank}


class SettingsForm(forms.Form):
    """The resident's notification settings (通知の設定).

    The order of the outside channels is one select per channel ("使わない / 1番目 / 2番目 …"):
    plain selects work without JavaScript and with a screen reader, where drag-and-drop would not.
    """

    quiet_from = forms.TimeField(
        label=_("通知しない時間（開始）"),
        required=False,
        widget=TimeInput,
        help_text=_("例: 22:00"),
    )
    quiet_until = forms.TimeField(
        label=_("通知しない時間（終了）"),
        required=False,
        widget=TimeInput,
        help_text=_("例: 7:00。日付をまたいでもかまいません。"),
    )
    daily_digest = forms.BooleanField(label=_("お知らせは1日1回まとめて受け取る"), required=False)
    digest_time = forms.TimeField(label=_("まとめて受け取る時刻"), required=False, widget=TimeInput)
    topics = forms.MultipleChoiceField(
        label=_("関心のある分野"),
        help_text=_(
            "選んだ分野のお知らせだけが届きます。一つも選ばなければ、すべての分野のお知らせが届きます。緊急のお知らせは、選んだ分野にかかわらず届きます。"
        ),
        choices=Topic.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(
        self, *args: Any, channel_hints: dict[str, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        hints = channel_hints or {}
        labels = dict(Channel.choices)
        count = len(preferences.OUTSIDE_CHANNELS)
        ranks = [("", _("使わない")), *((str(n), rank_label(n)) for n in range(1, count + 1))]
        # Inserted first so that the channels come first on the page and in the error summary.
        channel_fields = {
            self.rank_field(channel): forms.ChoiceField(
                label=labels[channel],
                choices=ranks,
                required=False,
                help_text=hints.get(channel, ""),
            )
            for channel in preferences.OUTSIDE_CHANNELS
        }
        self.fields = {**channel_fields, **self.fields}

    @staticmethod
    def rank_field(channel: str) -> str:
        return f"rank_{channel}"

    @classmethod
    def initial_for(cls, current: preferences.Settings) -> dict[str, Any]:
        initial: dict[str, Any] = {
            cls.rank_field(channel): str(rank)
            for rank, channel in enumerate(current.channels, start=1)
        }
        initial.update(
            topics=current.topics,
            quiet_from=current.quiet_from,
            quiet_until=current.quiet_until,
            daily_digest=current.daily_digest,
            digest_time=current.digest_time,
        )
        return initial

    def channel_fields(self) -> list[forms.BoundField]:
        return [self[self.rank_field(c)] for c in preferences.OUTSIDE_CHANNELS]

    def time_fields(self) -> list[forms.BoundField]:
        return [self["quiet_from"], self["quiet_until"]]

    def digest_fields(self) -> list[forms.BoundField]:
        return [self["daily_digest"], self["digest_time"]]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        ranked: dict[str, list[str]] = {}
        for channel in preferences.OUTSIDE_CHANNELS:
            rank = cleaned.get(self.rank_field(channel))
            if rank:
                ranked.setdefault(rank, []).append(channel)
        for rank, clashing in ranked.items():
            if len(clashing) > 1:
                for name in clashing:
                    self.add_error(
                        self.rank_field(name),
                        _(
                            "%(rank)sに選べるのは一つだけです。ほかの方法と違う順番を選んでください。"
                        )
                        % {"rank": rank_label(int(rank))},
                    )
        # The service's rules too, so that every mistake is listed at once; a field that already
        # has an error (a time that does not parse) is not blamed a second time.
        try:
            preferences.check_settings(
                channels=self.ordered_channels(),
                topics=cleaned.get("topics", []),
                quiet_from=cleaned.get("quiet_from"),
                quiet_until=cleaned.get("quiet_until"),
                daily_digest=bool(cleaned.get("daily_digest")),
                digest_time=cleaned.get("digest_time"),
            )
        except forms.ValidationError as error:
            for field, errors in error.error_dict.items():
                if field not in self.errors:
                    self.add_error(field if field in self.fields else None, errors)
        return cleaned

    def ordered_channels(self) -> list[str]:
        """The chosen channels, first choice first."""
        chosen = [
            (int(self.cleaned_data[self.rank_field(c)]), c)
            for c in preferences.OUTSIDE_CHANNELS
            if self.cleaned_data.get(self.rank_field(c))
        ]
        return [channel for _rank, channel in sorted(chosen)]
