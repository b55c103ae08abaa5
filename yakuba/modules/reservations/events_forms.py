"""Forms of the event pages (催し・教室): signing up, and the staff's event, session, cancellation
and check-in forms. The rules themselves are in `events.py`; these only read what was typed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yakuba.modules.reservations import calendar, events
from yakuba.modules.reservations.models import Event, EventSession
from yakuba.platform.places.models import Place

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


class SignUpForm(forms.Form):
    """申し込み: the session (of those taking sign-ups), who comes, and how many."""

    session = forms.TypedChoiceField(
        label=_("参加する回"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("参加する回を選んでください。")},
    )
    name = forms.CharField(
        label=_("氏名"),
        max_length=100,
        error_messages={"required": _("氏名を書いてください。")},
    )
    phone = forms.CharField(
        label=_("電話番号"),
        max_length=20,
        required=False,
        help_text=_("急な変更や中止のとき、町から連絡します。"),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    seats = forms.TypedChoiceField(label=_("人数"), coerce=int, initial=1)

    def __init__(
        self, *args: Any, sessions: list[tuple[int, str]], max_seats: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].choices = sessions  # type: ignore[attr-defined]
        if len(sessions) == 1:
            self.fields["session"].initial = sessions[0][0]
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["seats"].choices = [  # type: ignore[attr-defined]
            (count, _("%(count)s人") % {"count": count}) for count in range(1, max_seats + 1)
        ]
        if max_seats == 1:
            self.fields["seats"].widget = forms.HiddenInput()


class EventForm(forms.ModelForm[Event]):
    """An event's title, description, place and registration window (staff)."""

    registration_opens = forms.DateTimeField(
        label=_("申し込みの開始"),
        required=False,
        help_text=_("空のときは、公開してすぐに受け付けます。"),
        widget=DateTimeInput(format=DATETIME_FORMAT),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
    )
    registration_closes = forms.DateTimeField(
        label=_("申し込みの締め切り"),
        required=False,
        help_text=_("空のときは、各回の始まりまで受け付けます。"),
        widget=DateTimeInput(format=DATETIME_FORMAT),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
    )

    class Meta:
        model = Event
        fields = list(events.EVENT_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = Place.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["max_seats_per_ticket"].help_text = _(
            "家族で参加できる催しは2人以上に。スマホ教室のように一人ずつなら1人。"
        )
        self.fields["max_seats_per_ticket"].min_value = 1  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        opens, closes = cleaned.get("registration_opens"), cleaned.get("registration_closes")
        if opens and closes and closes <= opens:
            self.add_error(
                "registration_closes", _("申し込みの締め切りは、開始より後にしてください。")
            )
        return cleaned


class SessionForm(forms.Form):
    """A session's day, time, capacity and waiting list (staff)."""

    day = forms.DateField(
        label=_("日付"),
        widget=DateInput(format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%Y/%m/%d"],
        error_messages={
            "required": _("日付を入力してください。"),
            "invalid": _("日付は 2027-04-01 のように年-月-日で入力してください。"),
        },
    )
    start = forms.TimeField(
        label=_("始まり"),
        widget=TimeInput(format="%H:%M"),
        error_messages={
            "required": _("始まりの時刻を入力してください。"),
            "invalid": _("時刻は 10:00 のように入力してください。"),
        },
    )
    end = forms.TimeField(
        label=_("終わり"),
        widget=TimeInput(format="%H:%M"),
        error_messages={
            "required": _("終わりの時刻を入力してください。"),
            "invalid": _("時刻は 10:00 のように入力してください。"),
        },
    )
    capacity = forms.IntegerField(
        label=_("定員（人）"),
        min_value=1,
        max_value=10000,
        error_messages={"required": _("定員を入力してください。")},
    )
    waitlist_limit = forms.IntegerField(
        label=_("キャンセル待ちの上限（人）"),
        min_value=0,
        max_value=10000,
        initial=0,
        help_text=_("0のときは、満席になったら受け付けを終えます。"),
    )

    @classmethod
    def initial_of(cls, session: EventSession) -> dict[str, Any]:
        start = session.start.astimezone(calendar.TOKYO)
        end = session.end.astimezone(calendar.TOKYO)
        return {
            "day": start.date(),
            "start": start.time(),
            "end": end.time(),
            "capacity": session.capacity,
            "waitlist_limit": session.waitlist_limit,
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", _("終わりの時刻は、始まりより後にしてください。"))
        return cleaned

    def period(self) -> tuple[dt.datetime, dt.datetime]:
        day = self.cleaned_data["day"]
        return (
            calendar.at(day, self.cleaned_data["start"]),
            calendar.at(day, self.cleaned_data["end"]),
        )


class CancelEventForm(forms.Form):
    reason = forms.CharField(
        label=_("中止の理由"),
        max_length=200,
        help_text=_("参加を申し込んだ方へのお知らせに、そのまま載ります。"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("中止の理由を書いてください。")},
    )


class CheckInForm(forms.Form):
    code = forms.CharField(
        label=_("参加券の番号"),
        max_length=500,
        help_text=_(
            "参加券に大きく書かれた8けたの番号（例: 0000-0125）。QRコードの中身を貼り付けてもかまいません。"
        ),
        error_messages={"required": _("参加券の番号を入力してください。")},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "text", "autocapitalize": "off"}
        ),
    )
