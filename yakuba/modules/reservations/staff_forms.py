"""Forms of the staff pages (施設予約の管理). Every message is a plain sentence that says what to
write instead; times are written as the town does (09:00, 24-hour)."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakuba.modules.reservations import calendar, fees, stats
from yakuba.modules.reservations.models import (
    BookingMode,
    Closure,
    Facility,
    FeeSchedule,
    Group,
    Purpose,
)

DATE_ERROR = gettext_lazy("日付は 2027-04-01 のように年-月-日で入力してください。")
TIME_PATTERN = re.compile(r"^(\d{1,2}):(\d{2})$")
DAY_LABELS = {
    "mon": gettext_lazy("月曜日"),
    "tue": gettext_lazy("火曜日"),
    "wed": gettext_lazy("水曜日"),
    "thu": gettext_lazy("木曜日"),
    "fri": gettext_lazy("金曜日"),
    "sat": gettext_lazy("土曜日"),
    "sun": gettext_lazy("日曜日"),
    "holiday": gettext_lazy("祝日・振替休日"),
}


class DateInput(forms.DateInput):
    input_type = "date"


def date_field(label: Any, *, required: bool = True, help_text: Any = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=DateInput(format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%Y/%m/%d"],
        error_messages={"invalid": DATE_ERROR, "required": _("日付を入力してください。")},
    )


def _choices(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)  # noqa: S101 - every caller names a choice field
    return field


def normalise_time(text: str, *, allow_midnight: bool = False) -> str | None:
    """「9:00」「０９：００」→ "09:00"; None when it is not a time of day. "24:00" (the end of
    the day) only where `allow_midnight`."""
    text = unicodedata.normalize("NFKC", text).strip()
    match = TIME_PATTERN.match(text)
    if not match:
        return None
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_midnight)):
        return None
    return f"{hours:02d}:{minutes:02d}"


def facility_label(facility: Facility) -> str:
    return facility.name


# --- the calendar of all bookings -----------------------------------------------------------------


class CalendarFilterForm(forms.Form):
    SPANS = (("day", gettext_lazy("1日")), ("week", gettext_lazy("1週間")))

    day = date_field(gettext_lazy("日付"), required=False)
    span = forms.ChoiceField(
        label=gettext_lazy("表示する期間"), choices=SPANS, required=False, initial="day"
    )
    facility = forms.ModelChoiceField(
        label=gettext_lazy("施設"),
        queryset=Facility.objects.none(),
        required=False,
        empty_label=gettext_lazy("すべての施設"),
    )

    def __init__(self, *args: Any, facilities: QuerySet[Facility], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        facility = self.fields["facility"]
        assert isinstance(facility, forms.ModelChoiceField)  # noqa: S101 - declared above
        facility.queryset = facilities


# --- at the counter -------------------------------------------------------------------------------


class ResidentSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("氏名・ふりがな・メールアドレス・電話番号"),
        max_length=100,
        help_text=gettext_lazy(
            "「わたり はなこ」のように空白で区切ると、すべてに当てはまる方を探します。"
        ),
        error_messages={"required": gettext_lazy("探す言葉を入力してください。")},
    )


class CounterDayForm(forms.Form):
    facility = forms.ModelChoiceField(
        label=gettext_lazy("施設"),
        queryset=Facility.objects.none(),
        empty_label=gettext_lazy("選んでください"),
        error_messages={"required": gettext_lazy("施設を選んでください。")},
    )
    day = date_field(gettext_lazy("利用日"))

    def __init__(self, *args: Any, facilities: QuerySet[Facility], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        facility = self.fields["facility"]
        assert isinstance(facility, forms.ModelChoiceField)  # noqa: S101 - declared above
        facility.queryset = facilities


class CounterDetailsForm(forms.Form):
    """What the booker tells the clerk: the same details as online, and — for a free-range
    facility — the start and end within the free period chosen."""

    start = forms.ChoiceField(label=gettext_lazy("開始時刻"))
    end = forms.ChoiceField(label=gettext_lazy("終了時刻"))
    purpose = forms.ChoiceField(
        label=gettext_lazy("利用目的"),
        error_messages={"required": gettext_lazy("利用目的を選んでください。")},
    )
    purpose_detail = forms.CharField(
        label=gettext_lazy("利用の内容（催しの名前など）"), max_length=200, required=False
    )
    attendees = forms.IntegerField(
        label=gettext_lazy("利用人数"),
        min_value=1,
        error_messages={
            "required": gettext_lazy("利用人数を入力してください。"),
            "invalid": gettext_lazy("利用人数は数字で入力してください。"),
            "min_value": gettext_lazy("利用人数を1人以上で入力してください。"),
        },
    )
    group = forms.ModelChoiceField(
        label=gettext_lazy("団体として予約する"),
        queryset=Group.objects.none(),
        required=False,
        empty_label=gettext_lazy("団体ではなく個人で"),
    )
    contact_name = forms.CharField(
        label=gettext_lazy("利用者の氏名"),
        max_length=100,
        error_messages={"required": gettext_lazy("利用者の氏名を入力してください。")},
    )
    contact_phone = forms.CharField(
        label=gettext_lazy("電話番号"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    in_town = forms.BooleanField(
        label=gettext_lazy("町内に住んでいる（本人確認書類で確かめた）"),
        required=False,
        help_text=gettext_lazy("町内料金と、町内の方の予約期間になります。"),
    )
    options = forms.MultipleChoiceField(
        label=gettext_lazy("付帯設備・利用の区分"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reduction_code = forms.ChoiceField(label=gettext_lazy("減免の申請"), required=False)
    reduction_note = forms.CharField(
        label=gettext_lazy("減免を申請する理由"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self,
        *args: Any,
        facility: Facility,
        starts: list[dt.datetime],
        ends: list[dt.datetime],
        schedule: FeeSchedule | None,
        groups: QuerySet[Group] | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.facility = facility
        _choices(self, "start").choices = [
            (_iso(moment), f"{_local(moment):%H:%M}") for moment in starts
        ]
        _choices(self, "end").choices = [(_iso(moment), _end_label(moment)) for moment in ends]
        if len(starts) == 1:
            self.fields["start"].widget = forms.HiddenInput()
        if len(ends) == 1:
            self.fields["end"].widget = forms.HiddenInput()
        _choices(self, "purpose").choices = [
            ("", _("選んでください")),
            *((code, Purpose(code).label) for code in facility.purposes if code in Purpose.values),
        ]
        rules = schedule.rules if schedule else {}
        _choices(self, "options").choices = [
            (option["code"], f"{option['label']}（{option['text']}）")
            for option in fees.options_of(rules)
        ]
        if not _choices(self, "options").choices:
            del self.fields["options"]
        reductions = fees.reductions_of(rules)
        if reductions:
            _choices(self, "reduction_code").choices = [
                ("", _("申請しない")),
                *((item["code"], f"{item['label']}（{item['text']}）") for item in reductions),
            ]
        else:
            del self.fields["reduction_code"]
            del self.fields["reduction_note"]
        if groups is None:
            del self.fields["group"]
            self.fields["contact_phone"].required = True
            self.fields["contact_phone"].error_messages["required"] = _(
                "アカウントのない方には、連絡のため電話番号が必要です。"
            )
        else:
            del self.fields["in_town"]
            group = self.fields["group"]
            assert isinstance(group, forms.ModelChoiceField)  # noqa: S101 - declared above
            group.queryset = groups
            if not groups.exists():
                del self.fields["group"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("reduction_code") and not cleaned.get("reduction_note", "").strip():
            self.add_error("reduction_note", _("減免を申請する理由を書いてください。"))
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", _("終了時刻は、開始時刻より後にしてください。"))
        return cleaned

    def period(self) -> tuple[dt.datetime, dt.datetime]:
        return (
            dt.datetime.fromisoformat(self.cleaned_data["start"]),
            dt.datetime.fromisoformat(self.cleaned_data["end"]),
        )


def _iso(moment: dt.datetime) -> str:
    return _local(moment).isoformat()


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(calendar.TOKYO)


def _end_label(moment: dt.datetime) -> str:
    local = _local(moment)
    return "24:00" if local.time() == dt.time(0) else f"{local:%H:%M}"


# --- a booking's staff page -----------------------------------------------------------------------


class ReductionForm(forms.Form):
    DECISIONS = (
        ("approve", gettext_lazy("承認する（減額した使用料にする）")),
        ("refuse", gettext_lazy("承認しない（通常の使用料のまま）")),
    )

    decision = forms.ChoiceField(
        label=gettext_lazy("判断"),
        choices=DECISIONS,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("承認するかどうかを選んでください。")},
    )
    reason = forms.CharField(
        label=gettext_lazy("理由（予約した方にお知らせします）"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("理由を書いてください。")},
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("取り消す理由（予約した方にお知らせします）"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("取り消す理由を書いてください。")},
    )
    waive_fee = forms.BooleanField(
        label=gettext_lazy("取消料を免除する（町の都合で取り消すときなど）"), required=False
    )


# --- closures -------------------------------------------------------------------------------------


class ClosureForm(forms.Form):
    facility = forms.ModelChoiceField(
        label=gettext_lazy("施設"),
        queryset=Facility.objects.none(),
        empty_label=gettext_lazy("選んでください"),
        error_messages={"required": gettext_lazy("施設を選んでください。")},
    )
    kind = forms.ChoiceField(label=gettext_lazy("種類"), choices=Closure.Kind.choices)
    start_date = date_field(gettext_lazy("開始日"))
    start_time = forms.CharField(
        label=gettext_lazy("開始時刻"),
        required=False,
        max_length=5,
        help_text=gettext_lazy("09:00 のように。空欄なら、その日の始めから。"),
    )
    end_date = date_field(gettext_lazy("終了日"))
    end_time = forms.CharField(
        label=gettext_lazy("終了時刻"),
        required=False,
        max_length=5,
        help_text=gettext_lazy("17:00 のように。空欄なら、その日の終わりまで。"),
    )
    reason = forms.CharField(
        label=gettext_lazy("理由（予約のページに表示します）"), max_length=200, required=False
    )

    def __init__(self, *args: Any, facilities: QuerySet[Facility], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        facility = self.fields["facility"]
        assert isinstance(facility, forms.ModelChoiceField)  # noqa: S101 - declared above
        facility.queryset = facilities
        for name in ("start_time", "end_time"):
            self.fields[name].widget.attrs.update(
                {"inputmode": "numeric", "autocomplete": "off", "size": "6"}
            )

    def clean_start_time(self) -> str:
        return self._time("start_time")

    def clean_end_time(self) -> str:
        return self._time("end_time", allow_midnight=True)

    def _time(self, name: str, *, allow_midnight: bool = False) -> str:
        text = self.cleaned_data.get(name, "")
        if not text.strip():
            return ""
        found = normalise_time(text, allow_midnight=allow_midnight)
        if found is None:
            raise forms.ValidationError(_("時刻は 09:00 のように24時間で書いてください。"))
        return found

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        start_time = calendar.parse_time(cleaned["start_time"] or "00:00")
        end_time = calendar.parse_time(cleaned["end_time"] or "24:00")
        cleaned["start"] = calendar.at(cleaned["start_date"], start_time)
        cleaned["end"] = calendar.at(cleaned["end_date"], end_time)
        if cleaned["end"] <= cleaned["start"]:
            self.add_error("end_date", _("終わりの日時は、始まりより後にしてください。"))
        return cleaned


# --- statistics -----------------------------------------------------------------------------------


class StatsForm(forms.Form):
    year = forms.TypedChoiceField(
        label=gettext_lazy("年度"),
        coerce=int,
        required=False,
        help_text=gettext_lazy("4月から翌年の3月まで"),
    )
    facility = forms.ModelChoiceField(
        label=gettext_lazy("施設"),
        queryset=Facility.objects.none(),
        required=False,
        empty_label=gettext_lazy("すべての施設"),
    )

    def __init__(
        self, *args: Any, facilities: QuerySet[Facility], today: dt.date, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        current = stats.fiscal_year_start(today).year
        _choices(self, "year").choices = [
            (year, _("%(year)s年度") % {"year": year})
            for year in range(current + 1, current - 5, -1)
        ]
        self.fields["year"].initial = current
        facility = self.fields["facility"]
        assert isinstance(facility, forms.ModelChoiceField)  # noqa: S101 - declared above
        facility.queryset = facilities


# --- facilities and fee tables --------------------------------------------------------------------

SETTINGS_GROUPS = (
    (
        gettext_lazy("名前と説明"),
        [
            "name",
            "name_kana",
            "name_en",
            "description",
            "description_en",
            "capacity",
            "is_public",
            "purposes",
        ],
    ),
    (gettext_lazy("予約の単位"), ["mode", "step_minutes", "min_minutes", "max_minutes"]),
    (
        gettext_lazy("受付の期間・締め切り・上限"),
        [
            "resident_months_ahead",
            "others_months_ahead",
            "cutoff_hours",
            "max_bookings_per_month",
            "pay_days_before",
        ],
    ),
)
SETTINGS_FIELDS = [name for _legend, names in SETTINGS_GROUPS for name in names]
FREE_ONLY = gettext_lazy("自由な時間で予約する施設だけに使います。")
SLOTS_HELP = gettext_lazy(
    "1行に1つ、「コード, 名前, 開始, 終了, 英語の名前」の順にカンマで区切って書きます。"
    "英語の名前はなくてもかまいません。例: am, 午前, 09:00, 12:00, Morning"
)


class FacilitySettingsForm(forms.Form):
    """A facility's settings. The opening hours are two times per kind of day (empty: closed);
    the time slots are lines of text. `values()` is what `backoffice.change_facility` saves."""

    purposes = forms.MultipleChoiceField(
        label=gettext_lazy("利用目的"),
        choices=Purpose.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("利用目的を一つ以上選んでください。")},
    )
    slots = forms.CharField(
        label=gettext_lazy("時間帯"),
        required=False,
        help_text=SLOTS_HELP,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
    )

    def __init__(self, data: Any = None, *, facility: Facility) -> None:
        fields = [name for name in SETTINGS_FIELDS if name != "purposes"]
        initial = {name: getattr(facility, name) for name in SETTINGS_FIELDS}
        initial["slots"] = "\n".join(_slot_line(slot) for slot in facility.fixed_slots)
        for key in DAY_LABELS:
            hours = facility.opening_hours.get(key) or ["", ""]
            initial[f"opens_{key}"], initial[f"closes_{key}"] = hours
        super().__init__(data, initial=initial)
        self.facility = facility
        model_fields = forms.fields_for_model(Facility, fields=fields)
        for name in fields:
            self.fields[name] = model_fields[name]
        for name in ("description", "description_en"):
            self.fields[name].widget.attrs["rows"] = 3
        for name in ("step_minutes", "min_minutes", "max_minutes"):
            self.fields[name].help_text = FREE_ONLY
        self.order_fields(SETTINGS_FIELDS)
        for key, label in DAY_LABELS.items():
            for part, part_label in (("opens", _("開始")), ("closes", _("終了"))):
                self.fields[f"{part}_{key}"] = forms.CharField(
                    label=f"{label} {part_label}",
                    required=False,
                    max_length=5,
                    widget=forms.TextInput(
                        attrs={"inputmode": "numeric", "autocomplete": "off", "size": "6"}
                    ),
                )

    def hours_rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (str(label), [self[f"opens_{key}"], self[f"closes_{key}"]])
            for key, label in DAY_LABELS.items()
        ]

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(str(legend), [self[name] for name in names]) for legend, names in SETTINGS_GROUPS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["opening_hours"] = self._opening_hours(cleaned)
        cleaned["fixed_slots"] = self._slots(cleaned.get("slots", ""))
        mode = cleaned.get("mode")
        if mode == BookingMode.SLOTS and not cleaned["fixed_slots"] and not self.has_error("slots"):
            self.add_error(
                "slots", _("時間帯ごとに予約する施設には、時間帯を一つ以上書いてください。")
            )
        step = cleaned.get("step_minutes")
        low, high = cleaned.get("min_minutes"), cleaned.get("max_minutes")
        if mode == BookingMode.FREE and step is not None:
            if not 5 <= step <= 240 or (60 % step and step % 60):
                self.add_error(
                    "step_minutes",
                    _(
                        "予約の刻みは、5・10・15・20・30・60分など、1時間を割り切れる分にしてください。"
                    ),
                )
            elif low is not None and high is not None:
                if low % step or high % step:
                    self.add_error(
                        "min_minutes",
                        _("最短・最長の利用時間は、予約の刻み（%(step)s分）の倍数にしてください。")
                        % {"step": step},
                    )
                elif low > high:
                    self.add_error(
                        "max_minutes", _("最長の利用時間は、最短の利用時間以上にしてください。")
                    )
        return cleaned

    def _opening_hours(self, cleaned: dict[str, Any]) -> dict[str, list[str]]:
        hours = {}
        for key, label in DAY_LABELS.items():
            opens_name, closes_name = f"opens_{key}", f"closes_{key}"
            opens_text, closes_text = cleaned.get(opens_name, ""), cleaned.get(closes_name, "")
            if not opens_text.strip() and not closes_text.strip():
                continue
            opens = normalise_time(opens_text)
            closes = normalise_time(closes_text, allow_midnight=True)
            if opens is None:
                self.add_error(
                    opens_name,
                    _("%(day)sの開始時刻を 09:00 のように書いてください（休館日は両方を空欄に）。")
                    % {"day": label},
                )
            if closes is None:
                self.add_error(
                    closes_name,
                    _("%(day)sの終了時刻を 21:00 のように書いてください（休館日は両方を空欄に）。")
                    % {"day": label},
                )
            if opens is None or closes is None:
                continue
            if calendar.parse_time(closes) <= calendar.parse_time(opens):
                self.add_error(
                    closes_name,
                    _("%(day)sの終了時刻は、開始時刻より後にしてください。") % {"day": label},
                )
                continue
            hours[key] = [opens, closes]
        return hours

    def _slots(self, text: str) -> list[dict[str, str]]:
        slots: list[dict[str, str]] = []
        problems: list[str] = []
        for number, raw in enumerate(text.splitlines(), start=1):
            line = unicodedata.normalize("NFKC", raw).replace("、", ",").strip()
            if not line:
                continue
            where = _("%(number)s行目") % {"number": number}
            parts = [part.strip() for part in line.split(",")]
            if len(parts) not in (4, 5):
                problems.append(
                    _(
                        "%(where)s: 「コード, 名前, 開始, 終了」の順に、カンマで区切って書いてください。"
                    )
                    % {"where": where}
                )
                continue
            code, label, start_text, end_text = parts[:4]
            start = normalise_time(start_text)
            end = normalise_time(end_text, allow_midnight=True)
            if not fees.CODE_PATTERN.match(code):
                problems.append(
                    _(
                        "%(where)s: コードは英小文字で始め、英小文字・数字・_ だけで書いてください（例: am）。"
                    )
                    % {"where": where}
                )
            elif any(slot["code"] == code for slot in slots):
                problems.append(
                    _("%(where)s: コード「%(code)s」は、すでに使っています。")
                    % {"where": where, "code": code}
                )
            if not label:
                problems.append(
                    _("%(where)s: 名前を書いてください（例: 午前）。") % {"where": where}
                )
            if start is None or end is None:
                problems.append(
                    _("%(where)s: 時刻は 09:00 のように24時間で書いてください。") % {"where": where}
                )
                continue
            if calendar.parse_time(end) <= calendar.parse_time(start):
                problems.append(_("%(where)s: 終了は開始より後にしてください。") % {"where": where})
                continue
            for other in slots:
                if calendar.parse_time(start) < calendar.parse_time(
                    other["end"]
                ) and calendar.parse_time(other["start"]) < calendar.parse_time(end):
                    problems.append(
                        _("%(where)s: 時間帯「%(other)s」と時間が重なっています。")
                        % {"where": where, "other": other["label"]}
                    )
            slot = {"code": code, "label": label, "start": start, "end": end}
            if len(parts) == 5 and parts[4]:
                slot["label_en"] = parts[4]
            slots.append(slot)
        for problem in problems:
            self.add_error("slots", problem)
        return slots

    def values(self) -> dict[str, Any]:
        values = {name: self.cleaned_data[name] for name in SETTINGS_FIELDS}
        values["opening_hours"] = self.cleaned_data["opening_hours"]
        values["fixed_slots"] = self.cleaned_data["fixed_slots"]
        return values


def _slot_line(slot: dict[str, str]) -> str:
    parts = [slot["code"], slot["label"], slot["start"], slot["end"]]
    if slot.get("label_en"):
        parts.append(slot["label_en"])
    return ", ".join(parts)


class FeeScheduleForm(forms.Form):
    valid_from = date_field(
        gettext_lazy("適用開始日"),
        help_text=gettext_lazy(
            "この日以降の利用に、この料金表を使います。今日以降の日付にしてください。"
        ),
    )
    rules = forms.CharField(
        label=gettext_lazy("料金の決まり（JSON）"),
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false", "class": "staff-code"}),
        error_messages={"required": gettext_lazy("料金の決まりを書いてください。")},
    )

    def clean_rules(self) -> Any:
        text = self.cleaned_data["rules"]
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                _(
                    "JSONとして読めません（%(line)s行目の%(column)s文字目あたり）。"
                    'カンマの付け忘れ・付けすぎ、かっこの閉じ忘れ、文字列の " を確かめてください。'
                )
                % {"line": error.lineno, "column": error.colno}
            ) from error
