"""Forms of the residents' booking pages: finding a facility, the period chosen from a calendar,
a free-range facility's times, the booking itself and a cancellation."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakuba.modules.reservations import calendar, fees, queries
from yakuba.modules.reservations.models import Facility, Group, Purpose, Unit
from yakuba.modules.reservations.services import BookingRequest
from yakuba.platform.accounts.forms import phone_validator
from yakuba.platform.places.models import Place

TIME = re.compile(r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class PlaceChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        place: Place = obj
        return place.localized_name


class SearchForm(forms.Form):
    """施設をさがす: what for, when, where, for how many, and words."""

    purpose = forms.MultipleChoiceField(
        label=_("利用目的"),
        required=False,
        choices=Purpose.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("いくつでも選べます。"),
    )
    date = forms.DateField(label=_("利用したい日"), required=False, widget=DateInput)
    place = PlaceChoice(
        label=_("場所"),
        required=False,
        queryset=Place.objects.none(),
        empty_label=_("すべての場所"),
    )
    people = forms.IntegerField(
        label=_("利用する人数"), required=False, min_value=1, max_value=10000
    )
    q = forms.CharField(
        label=_("施設の名前・よみ"),
        required=False,
        max_length=100,
        help_text=_("ひらがな・カタカナのどちらでもさがせます。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        place = self.fields["place"]
        assert isinstance(place, forms.ModelChoiceField)  # noqa: S101 - declared above
        place.queryset = queries.facility_places()
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})
        self.fields["people"].widget.attrs.update({"inputmode": "numeric"})

    def clean_date(self) -> dt.date | None:
        day: dt.date | None = self.cleaned_data["date"]
        if day is not None and day < calendar.today():
            raise forms.ValidationError(_("今日から後の日を選んでください。"))
        return day

    def filters(self) -> dict[str, Any]:
        """The conditions given, or nothing when the form has mistakes."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value}


class PeriodForm(forms.Form):
    """The unit and period a calendar's link chose: ?unit=room&date=2027-02-02&start=13:00&end=17:00."""

    unit = forms.ChoiceField()
    date = forms.DateField()
    start = forms.RegexField(TIME)
    end = forms.RegexField(TIME)

    def __init__(self, *args: Any, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units = {unit.code: unit for unit in units}
        unit = self.fields["unit"]
        assert isinstance(unit, forms.ChoiceField)  # noqa: S101 - declared above
        unit.choices = [(code, code) for code in self.units]

    def chosen(self) -> tuple[Unit, dt.datetime, dt.datetime]:
        data = self.cleaned_data
        day = data["date"]
        return (
            self.units[data["unit"]],
            calendar.at(day, calendar.parse_time(data["start"])),
            calendar.at(day, calendar.parse_time(data["end"])),
        )


def period_query(unit: Unit, start: dt.datetime, end: dt.datetime) -> dict[str, str]:
    """The query a link to `PeriodForm` carries."""
    return {
        "unit": unit.code,
        "date": timezone.localtime(start, calendar.TOKYO).date().isoformat(),
        "start": _hhmm(start),
        "end": _end_hhmm(end),
    }


class TimeForm(forms.Form):
    """A start and an end for a free-range facility, among the day's free steps."""

    start = forms.ChoiceField(label=_("開始の時刻"))
    end = forms.ChoiceField(label=_("終了の時刻"))

    def __init__(
        self,
        *args: Any,
        facility: Facility,
        starts: list[dt.datetime],
        ends: list[dt.datetime],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.facility = facility
        self.starts = {_hhmm(moment): moment for moment in starts}
        self.ends = {_end_hhmm(moment): moment for moment in ends}
        start = self.fields["start"]
        end = self.fields["end"]
        assert isinstance(start, forms.ChoiceField)  # noqa: S101 - declared above
        assert isinstance(end, forms.ChoiceField)  # noqa: S101 - declared above
        start.choices = [(key, key) for key in self.starts]
        end.choices = [(key, key) for key in self.ends]
        if starts:
            # The shortest use from the first free start, rather than an end that is too soon.
            shortest = starts[0] + dt.timedelta(minutes=facility.min_minutes)
            end.initial = next(
                (key for key, moment in self.ends.items() if moment >= shortest), None
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "start" not in data or "end" not in data:
            return data
        start, end = self.starts[data["start"]], self.ends[data["end"]]
        if end <= start:
            raise forms.ValidationError(_("終了は、開始より後の時刻を選んでください。"))
        # The booking checks these again; said here, the resident can choose again at once.
        minutes = (end - start) // dt.timedelta(minutes=1)
        if not self.facility.min_minutes <= minutes <= self.facility.max_minutes:
            raise forms.ValidationError(
                _("利用時間は%(min)s分から%(max)s分までです。")
                % {"min": self.facility.min_minutes, "max": self.facility.max_minutes}
            )
        return data

    def period(self) -> tuple[dt.datetime, dt.datetime]:
        return self.starts[self.cleaned_data["start"]], self.ends[self.cleaned_data["end"]]


def _hhmm(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment, calendar.TOKYO):%H:%M}"


def _end_hhmm(moment: dt.datetime) -> str:
    """An end at midnight is the end of the day: 24:00."""
    text = _hhmm(moment)
    return "24:00" if text == "00:00" else text


def _set_choices(form: forms.Form, name: str, choices: list[tuple[str, Any]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)  # noqa: S101 - the forms declare it so
    field.choices = choices


def fit_booker_fields(
    form: forms.Form, facility: Facility, groups: dict[str, Group], *, as_whom: str
) -> None:
    """Fit the fields that a booking and a lottery entry share to the facility and the person:
    as whom (the field `as_whom`: themselves or one of their `groups`, left out when they have
    none), the purposes the facility takes (chosen already when it takes one), its capacity as
    the hint for the number of people, and the keyboards and autofill of the contact fields."""
    if groups:
        _set_choices(
            form, as_whom, [("", _("個人として")), *((key, g.name) for key, g in groups.items())]
        )
        form.fields[as_whom].initial = ""
    else:
        del form.fields[as_whom]
    _set_choices(
        form,
        "purpose",
        [(code, label) for code, label in Purpose.choices if code in facility.purposes],
    )
    if len(facility.purposes) == 1:
        form.fields["purpose"].initial = facility.purposes[0]
    if facility.capacity:
        form.fields["attendees"].help_text = _("定員は%(capacity)s人です。") % {
            "capacity": facility.capacity
        }
    form.fields["attendees"].widget.attrs.update({"inputmode": "numeric"})
    form.fields["contact_phone"].widget.input_type = "tel"
    form.fields["contact_phone"].widget.attrs.update({"autocomplete": "tel"})
    form.fields["contact_name"].widget.attrs.update({"autocomplete": "name"})


class BookingForm(forms.Form):
    """予約の内容: what for, how many, who to call, options, 減免, and as which group."""

    purpose = forms.ChoiceField(label=_("利用目的"), widget=forms.RadioSelect)
    purpose_detail = forms.CharField(
        label=_("利用の内容"),
        required=False,
        max_length=200,
        help_text=_("例: 自治会の役員会、ヨガ教室の練習"),
    )
    attendees = forms.IntegerField(label=_("利用人数"), min_value=1, max_value=10000)
    contact_name = forms.CharField(label=_("利用者の氏名"), max_length=100)
    contact_phone = forms.CharField(
        label=_("当日に連絡がつく電話番号"),
        max_length=20,
        validators=[phone_validator],
        help_text=_("例: 0223-34-1111"),
    )
    options = forms.MultipleChoiceField(
        label=_("付帯設備・利用の区分"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("使うものに印を付けてください。料金に加わります。"),
    )
    reduction_code = forms.ChoiceField(
        label=_("使用料の減免"), required=False, widget=forms.RadioSelect
    )
    reduction_note = forms.CharField(
        label=_("減免を申請する理由"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("減免を申請するときに書いてください。町が審査します。"),
    )
    group = forms.ChoiceField(label=_("予約する名義"), required=False, widget=forms.RadioSelect)

    def __init__(
        self,
        *args: Any,
        facility: Facility,
        rules: dict[str, Any] | None,
        groups: list[Group],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.groups = {str(group.pk): group for group in groups}
        fit_booker_fields(self, facility, self.groups, as_whom="group")
        options = fees.options_of(rules) if rules else []
        if options:
            _set_choices(
                self, "options", [(o["code"], f"{o['label']}（{o['text']}）") for o in options]
            )
        else:
            del self.fields["options"]
        reductions = fees.reductions_of(rules) if rules else []
        if reductions:
            _set_choices(
                self,
                "reduction_code",
                [
                    ("", _("申請しない")),
                    *((r["code"], f"{r['label']}（{r['text']}）") for r in reductions),
                ],
            )
            self.fields["reduction_code"].initial = ""
        else:
            del self.fields["reduction_code"]
            del self.fields["reduction_note"]

    def clean_contact_phone(self) -> str:
        return unicodedata.normalize("NFKC", self.cleaned_data["contact_phone"]).strip()

    def booking_request(self, unit: Unit, start: dt.datetime, end: dt.datetime) -> BookingRequest:
        group = self.groups.get(self.cleaned_data.get("group") or "")
        return details_request(self.cleaned_data, unit, start, end, group=group)


def details_request(
    details: dict[str, Any],
    unit: Unit,
    start: dt.datetime,
    end: dt.datetime,
    *,
    group: Group | None,
    in_town: bool = False,
) -> BookingRequest:
    """The request that a booking's details ask for. `details` is the cleaned data of the
    resident's `BookingForm` or of the clerk's form at the counter; options and a reduction are
    there only when the fee table has them."""
    return BookingRequest(
        unit=unit,
        start=start,
        end=end,
        purpose=details["purpose"],
        attendees=details["attendees"],
        contact_name=details["contact_name"],
        contact_phone=details["contact_phone"],
        purpose_detail=details["purpose_detail"],
        options=list(details.get("options") or []),
        reduction_code=details.get("reduction_code") or "",
        reduction_note=details.get("reduction_note") or "",
        group=group,
        in_town=in_town,
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("取り消しの理由（任意）"),
        required=False,
        max_length=200,
        help_text=_("よろしければお書きください。施設の運営の参考にします。"),
    )
    shown_fee = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
