"""Forms of the lottery pages (抽選): a resident's entry with its ranked wishes, and the round
staff create.

An entry's wishes are for one facility: a wish is a unit, a day of the round's month and a
period — one of the fixed slots (午前・午後・夜間) of a slot facility, or a start and an end in
the steps of a free-range one. Each wish is its own fieldset (第1希望, 第2希望…) of plain
selects, so it reads well with a screen reader and works without JavaScript."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakuba.modules.reservations import calendar, lottery, queries
from yakuba.modules.reservations.forms import fit_booker_fields
from yakuba.modules.reservations.lottery import EntryDetails, RoundDetails, WishChoice
from yakuba.modules.reservations.models import (
    BookingMode,
    Facility,
    Group,
    LotteryRound,
)
from yakuba.platform.accounts.forms import phone_validator


def _days(facility: Facility, first: dt.date) -> list[dt.date]:
    """The days of the month starting `first` on which the facility is open."""
    after = calendar.months_before(first, -1)
    days = []
    day = first
    while day < after:
        if calendar.periods(facility, day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _times(facility: Facility) -> list[str]:
    """Every step of the facility's longest opening hours, "09:00" … "21:00"."""
    hours = [value for value in facility.opening_hours.values() if value]
    if not hours:
        return []
    opens = min(calendar.parse_time(value[0]) for value in hours)
    closes = max(calendar.parse_time(value[1]) for value in hours)
    day = dt.date(2000, 1, 3)
    moment, last = calendar.at(day, opens), calendar.at(day, closes)
    found = []
    while moment <= last:
        found.append("24:00" if moment.date() > day else f"{moment:%H:%M}")
        moment += dt.timedelta(minutes=facility.step_minutes)
    return found


class EntryForm(forms.Form):
    """An entry (抽選の申し込み): as whom, what for, how many, and the ranked wishes."""

    applicant = forms.ChoiceField(
        label=gettext_lazy("申し込む名義"), required=False, widget=forms.RadioSelect
    )
    purpose = forms.ChoiceField(label=gettext_lazy("利用目的"), widget=forms.RadioSelect)
    purpose_detail = forms.CharField(
        label=gettext_lazy("利用の内容"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("例: バドミントンの練習"),
    )
    attendees = forms.IntegerField(label=gettext_lazy("利用人数"), min_value=1, max_value=10000)
    contact_name = forms.CharField(label=gettext_lazy("利用者の氏名"), max_length=100)
    contact_phone = forms.CharField(
        label=gettext_lazy("連絡がつく電話番号"),
        max_length=20,
        validators=[phone_validator],
        help_text=gettext_lazy("例: 0223-34-1111"),
    )

    def __init__(
        self,
        *args: Any,
        lottery: LotteryRound,
        facility: Facility,
        groups: list[Group],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lottery = lottery
        self.facility = facility
        self.groups = {str(group.pk): group for group in groups}
        self.units = {
            str(unit.pk): unit
            for unit in facility.units.select_related("facility").order_by("order", "code")
        }
        self.slots = {slot["code"]: slot for slot in facility.fixed_slots}
        fit_booker_fields(self, facility, self.groups, as_whom="applicant")
        optional = [("", _("選ばない"))]
        unit_choices = [(key, queries.unit_name(unit)) for key, unit in self.units.items()]
        day_choices = [
            (day.isoformat(), queries.day_label(day)) for day in _days(facility, lottery.use_month)
        ]
        times = _times(facility)
        self.ranks = list(range(1, lottery.max_wishes + 1))
        for rank in self.ranks:
            none = [("", _("選んでください"))] if rank == 1 else optional
            self.fields[f"wish{rank}_unit"] = forms.ChoiceField(
                label=_("区画"), required=False, choices=none + unit_choices
            )
            self.fields[f"wish{rank}_day"] = forms.ChoiceField(
                label=_("日"), required=False, choices=none + day_choices
            )
            if facility.mode == BookingMode.SLOTS:
                self.fields[f"wish{rank}_slot"] = forms.ChoiceField(
                    label=_("時間帯"),
                    required=False,
                    choices=none
                    + [
                        (code, f"{calendar.slot_label(slot)} {slot['start']}–{slot['end']}")
                        for code, slot in self.slots.items()
                    ],
                )
            else:
                self.fields[f"wish{rank}_start"] = forms.ChoiceField(
                    label=_("開始"), required=False, choices=none + [(t, t) for t in times[:-1]]
                )
                self.fields[f"wish{rank}_end"] = forms.ChoiceField(
                    label=_("終了"), required=False, choices=none + [(t, t) for t in times[1:]]
                )

    def wish_fieldsets(self) -> list[tuple[int, list[forms.BoundField]]]:
        """For the template: each rank with its fields."""
        return [
            (rank, [self[name] for name in self.fields if name.startswith(f"wish{rank}_")])
            for rank in self.ranks
        ]

    def detail_fields(self) -> list[forms.BoundField]:
        """For the template: what the entry is for and who to call (the applicant comes first,
        on its own)."""
        return [
            self[name]
            for name in self.fields
            if not name.startswith("wish") and name != "applicant"
        ]

    def clean_contact_phone(self) -> str:
        return unicodedata.normalize("NFKC", self.cleaned_data["contact_phone"]).strip()

    def _wish(self, rank: int) -> WishChoice | None:
        names = [name for name in self.fields if name.startswith(f"wish{rank}_")]
        values = {name: self.cleaned_data.get(name) or "" for name in names}
        if not any(values.values()):
            return None
        missing = [name for name, value in values.items() if not value]
        for name in missing:
            self.add_error(
                name,
                _("第%(rank)s希望の%(field)sを選んでください。")
                % {"rank": rank, "field": self.fields[name].label},
            )
        if missing:
            return None
        unit = self.units[values[f"wish{rank}_unit"]]
        day = dt.date.fromisoformat(values[f"wish{rank}_day"])
        if self.facility.mode == BookingMode.SLOTS:
            slot = self.slots[values[f"wish{rank}_slot"]]
            start, end = calendar.parse_time(slot["start"]), calendar.parse_time(slot["end"])
        else:
            start = calendar.parse_time(values[f"wish{rank}_start"])
            end = calendar.parse_time(values[f"wish{rank}_end"])
        return WishChoice(unit=unit, start=calendar.at(day, start), end=calendar.at(day, end))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        wishes = []
        gap = None
        for rank in self.ranks:
            wish = self._wish(rank)
            if wish is None:
                gap = gap or rank
                continue
            if gap is not None and gap < rank:
                self.add_error(
                    f"wish{gap}_unit", _("第%(rank)s希望から順に選んでください。") % {"rank": gap}
                )
            wishes.append(wish)
        if not wishes and not self.errors:
            self.add_error("wish1_unit", _("第1希望を選んでください。"))
        cleaned["wishes"] = wishes
        return cleaned

    def details(self) -> EntryDetails:
        data = self.cleaned_data
        return EntryDetails(
            purpose=data["purpose"],
            attendees=data["attendees"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            purpose_detail=data["purpose_detail"],
            group=self.groups.get(data.get("applicant") or ""),
            wishes=data["wishes"],
        )


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def _moment(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, widget=DateTimeInput, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )


class FacilityChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        facility: Facility = obj
        return queries.facility_name(facility)


class RoundForm(forms.Form):
    """A new round (抽選を作る)."""

    title = forms.CharField(
        label=gettext_lazy("名称"),
        max_length=100,
        help_text=gettext_lazy("例: 町民体育館 2027年3月分の抽選"),
    )
    facilities = FacilityChoices(
        label=gettext_lazy("施設"),
        queryset=Facility.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    use_month = forms.CharField(
        label=gettext_lazy("利用月"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month"}),
        help_text=gettext_lazy("2027-03 のように。"),
    )
    applications_open = _moment(gettext_lazy("申し込みの開始"))
    applications_close = _moment(gettext_lazy("申し込みの締め切り"))
    confirm_by = _moment(gettext_lazy("当選の確定の期限"))
    max_wishes = forms.IntegerField(
        label=gettext_lazy("一件の申し込みで選べる希望の数"),
        initial=3,
        min_value=1,
        max_value=lottery.MAX_WISHES,
    )
    max_entries_per_group = forms.IntegerField(
        label=gettext_lazy("一人・一団体の申し込みの上限"),
        initial=1,
        min_value=1,
        max_value=lottery.MAX_ENTRIES,
    )
    max_wins_per_slot = forms.IntegerField(
        label=gettext_lazy("同じ時間帯で当選できる数（一人・一団体）"),
        initial=1,
        min_value=1,
        max_value=lottery.MAX_WINS_PER_SLOT,
        help_text=gettext_lazy("時間が重なる当選を、一人・一団体でいくつまで認めるか。"),
    )

    def __init__(self, *args: Any, facilities: QuerySet[Facility], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["facilities"]
        assert isinstance(field, forms.ModelMultipleChoiceField)  # noqa: S101 - declared above
        field.queryset = facilities
        for name in ("max_wishes", "max_entries_per_group", "max_wins_per_slot"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric"})

    def clean_use_month(self) -> dt.date:
        text = unicodedata.normalize("NFKC", self.cleaned_data["use_month"]).strip()
        try:
            return dt.datetime.strptime(text, "%Y-%m").date()
        except ValueError as error:
            raise forms.ValidationError(_("2027-03 のように年と月を書いてください。")) from error

    def details(self) -> RoundDetails:
        data = self.cleaned_data
        return RoundDetails(
            title=data["title"],
            facilities=list(data["facilities"]),
            use_month=data["use_month"],
            applications_open=data["applications_open"],
            applications_close=data["applications_close"],
            confirm_by=data["confirm_by"],
            max_wishes=data["max_wishes"],
            max_entries_per_group=data["max_entries_per_group"],
            max_wins_per_slot=data["max_wins_per_slot"],
        )
