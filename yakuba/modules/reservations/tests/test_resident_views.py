"""The residents' booking pages over HTTP: the search, a facility's month and week calendars,
choosing a time, the booking form, its confirmation with the exact fee, booking (once, whatever
the clicks), one's bookings, cancelling and changing — and that nobody reaches another
resident's booking by guessing its number."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from yakuba.modules.reservations import calendar, services
from yakuba.modules.reservations.models import Booking, Closure, Group
from yakuba.modules.reservations.tests.factories import gym, request_for, room
from yakuba.platform.accounts.models import User
from yakuba.platform.accounts.tests.factories import (
    DistrictFactory,
    ResidentProfileFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

FEES_WITH_OPTIONS: dict[str, Any] = {
    "rates": {"room": {"per": "slot", "prices": {"am": 600, "pm": 800, "night": 900}}},
    "non_resident_factor": 2,
    "surcharges": [
        {
            "code": "aircon",
            "label": "冷暖房",
            "label_en": "Air conditioning",
            "per": "hour",
            "amount": 300,
        }
    ],
    "multipliers": [{"code": "commercial", "label": "営利目的の利用", "factor": 3}],
    "reductions": [{"code": "disability", "label": "障害のある方の団体の活動", "percent": 50}],
    "cancellation": [{"days_before": 7, "percent": 0}, {"days_before": 0, "percent": 50}],
}


def open_day(days_ahead: int = 14) -> dt.date:
    """A day soon enough for every booking window, on which the room is open (not a Monday,
    unless a holiday: holidays have their own hours)."""
    day = calendar.today() + dt.timedelta(days=days_ahead)
    while calendar.day_key(day) == "mon":
        day += dt.timedelta(days=1)
    return day


def period(day: dt.date, start: str, end: str, unit: str = "room") -> dict[str, str]:
    return {"unit": unit, "date": day.isoformat(), "start": start, "end": end}


def book_url(code: str, day: dt.date, start: str, end: str, unit: str = "room") -> str:
    return (
        reverse("reservations:book", args=[code]) + "?" + urlencode(period(day, start, end, unit))
    )


def in_html(url: str) -> str:
    """A URL as it appears in an href."""
    return url.replace("&", "&amp;")


def form_data(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "purpose": "meeting",
        "purpose_detail": "自治会の役員会",
        "attendees": "12",
        "contact_name": "亘理 花子",
        "contact_phone": "0223-34-1111",
    }
    data.update(extra)
    return data


@pytest.fixture
def resident() -> User:
    user: User = ResidentProfileFactory.create(
        district=DistrictFactory.create(),
        family_name="亘理",
        given_name="花子",
        phone="0223-34-1111",
    ).user
    return user


@pytest.fixture
def signed_in(client: Client, resident: User) -> Client:
    client.force_login(resident)
    return client


def text_of(response: Any) -> str:
    """The page's text without tags, spaces folded: what a reader sees or hears."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- search ---------------------------------------------------------------------------------------


def test_the_search_lists_every_public_facility_in_japanese_and_english(client: Client) -> None:
    facility = room()
    facility.name_en = "Central Community Centre, Room 1"
    facility.save()
    room(code="hidden", is_public=False)
    page = client.get(reverse("reservations:search"))
    assert page.status_code == 200
    assert "中央公民館 会議室1" in text_of(page)
    assert reverse("reservations:facility", args=["hidden"]) not in page.content.decode()
    english = client.get(reverse("reservations:search"), HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="en"' in english.content.decode()
    assert "Central Community Centre, Room 1" in text_of(english)


def test_the_search_filters_by_purpose_place_people_and_words(client: Client) -> None:
    meeting = room(name_kana="ちゅうおうこうみんかん かいぎしつ")
    hall = gym()
    url = reverse("reservations:search")

    def found(**query: Any) -> set[str]:
        page = client.get(url, query)
        assert page.status_code == 200
        return {
            code
            for code in (meeting.code, hall.code)
            if reverse("reservations:facility", args=[code]) in page.content.decode()
        }

    assert found(purpose="sports") == {hall.code}
    assert found(purpose=["sports", "meeting"]) == {hall.code, meeting.code}
    assert found(place=meeting.place.pk) == {meeting.code}
    assert found(people=31) == {hall.code}  # the room holds 30
    assert found(people=30) == {hall.code, meeting.code}
    # Kana either way, full- or half-width: the same facility.
    assert found(q="コウミンカン") == {meeting.code}
    assert found(q="ｺｳﾐﾝｶﾝ") == {meeting.code}
    assert found(q="体育館") == {hall.code}
    assert found(q="公民館 体育館") == set()


def test_the_search_says_whether_the_chosen_day_has_free_periods(
    client: Client, resident: User
) -> None:
    facility = room()
    day = open_day()
    for start, end in (("09:00", "12:00"), ("13:00", "17:00"), ("18:00", "21:00")):
        services.book(request_for(facility, day, start, end), user=resident)
    gym()
    page = text_of(client.get(reverse("reservations:search"), {"date": day.isoformat()}))
    assert "空きなし" in page  # the room: every slot taken
    assert "空きあり" in page  # the gym
    monday = day + dt.timedelta(days=(7 - day.weekday()) % 7 or 7)
    if not calendar.is_holiday(monday):
        closed = text_of(client.get(reverse("reservations:search"), {"date": monday.isoformat()}))
        assert "休館日" in closed


def test_the_search_refuses_a_day_in_the_past(client: Client) -> None:
    room()
    yesterday = calendar.today() - dt.timedelta(days=1)
    page = client.get(reverse("reservations:search"), {"date": yesterday.isoformat()})
    assert "今日から後の日を選んでください。" in text_of(page)


# --- a facility's calendars -----------------------------------------------------------------------


def test_the_facility_page_shows_the_month_the_rules_and_the_fees(
    client: Client, resident: User
) -> None:
    facility = room()
    day = open_day()
    services.book(request_for(facility, day, "13:00", "17:00"), user=resident)
    page = client.get(
        reverse("reservations:facility", args=[facility.code]), {"month": f"{day:%Y-%m}"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    text = text_of(page)
    assert "<caption" in html and 'scope="col"' in html
    assert (
        "町内の方は利用日の3か月前の月の1日から、町外の方は2か月前の月の1日から予約できます。"
        in text
    )
    # The booked day is partly free: a symbol and words, and a link to the day.
    assert reverse("reservations:week", args=[facility.code, day.isoformat()]) in html
    cell = html.split(reverse("reservations:week", args=[facility.code, day.isoformat()]))[1]
    assert "△" in cell[:600] and "一部空き" in cell[:600]
    assert "休館日" in text  # Mondays
    assert "600円" in text and "800円" in text and "900円" in text
    assert "町外の方は2倍です。" in text
    assert "利用日の7日前まで: 取消料はかかりません" in text
    assert "利用日の6日前から当日まで: 使用料の50%" in text


def test_the_month_marks_holidays(client: Client) -> None:
    facility = room()
    today = calendar.today()
    first = today.replace(day=1)
    holidays = []
    for months in range(4):
        start = calendar.months_before(first, -months)
        after = calendar.months_before(start, -1)
        day = start
        while day < after:
            if calendar.is_holiday(day) and day >= today:
                holidays.append(day)
            day += dt.timedelta(days=1)
        if holidays:
            break
    if not holidays:
        pytest.skip("no holiday in the months ahead")
    holiday = holidays[0]
    page = client.get(
        reverse("reservations:facility", args=[facility.code]), {"month": f"{holiday:%Y-%m}"}
    )
    html = page.content.decode()
    assert "is-holiday" in html
    assert str(calendar.jpholiday.is_holiday_name(holiday)) in text_of(page)


def test_the_month_never_goes_before_this_month_nor_after_the_window(client: Client) -> None:
    facility = room()
    url = reverse("reservations:facility", args=[facility.code])
    this_month = calendar.today().replace(day=1)
    page = client.get(url, {"month": "2000-01"})
    assert f"{this_month.year}年{this_month.month}月の空き状況" in text_of(page)
    assert 'rel="prev"' not in page.content.decode()
    assert 'rel="next"' in page.content.decode()
    last = calendar.months_before(this_month, -facility.resident_months_ahead)
    far = client.get(url, {"month": "2999-12"})
    assert f"{last.year}年{last.month}月の空き状況" in text_of(far)
    assert 'rel="next"' not in far.content.decode()
    assert client.get(url, {"month": "junk"}).status_code == 200


def test_the_week_shows_each_period_with_its_state_and_links_the_free_ones(
    client: Client, resident: User
) -> None:
    facility = room()
    day = open_day()
    services.book(request_for(facility, day, "13:00", "17:00"), user=resident)
    page = client.get(reverse("reservations:week", args=[facility.code, day.isoformat()]))
    assert page.status_code == 200
    html = page.content.decode()
    text = text_of(page)
    assert "予約済み" in text and "空き" in text
    assert 'scope="row"' in html
    morning = in_html(book_url(facility.code, day, "09:00", "12:00"))
    afternoon = in_html(book_url(facility.code, day, "13:00", "17:00"))
    assert morning in html
    assert afternoon not in html
    # Seven days, each with its heading; a Monday says it is closed.
    assert html.count('class="day__title') == 7
    assert "休館日" in text


def test_a_week_before_today_goes_to_today(client: Client) -> None:
    facility = room()
    response = client.get(reverse("reservations:week", args=[facility.code, "2000-01-01"]))
    assert response.status_code == 302
    assert calendar.today().isoformat() in response["Location"]
    assert (
        client.get(reverse("reservations:week", args=[facility.code, "nonsense"])).status_code
        == 404
    )


def test_a_facility_not_public_is_not_found(client: Client) -> None:
    facility = room(is_public=False)
    assert client.get(reverse("reservations:facility", args=[facility.code])).status_code == 404


def test_a_free_range_facility_chooses_a_start_and_an_end_in_the_free_time(
    signed_in: Client, resident: User
) -> None:
    hall = gym()
    day = open_day()
    services.book(request_for(hall, day, "10:00", "12:00", unit_code="half-a"), user=resident)
    week = signed_in.get(reverse("reservations:week", args=[hall.code, day.isoformat()]))
    text = text_of(week)
    assert "10:00–12:00" in text and "予約済み" in text
    url = reverse("reservations:choose_time", args=[hall.code])
    page = signed_in.get(url, {"unit": "half-a", "date": day.isoformat()})
    assert page.status_code == 200
    assert "30分単位で、60分から240分まで予約できます。" in text_of(page)
    # Across the taken time: refused, with the reason.
    across = signed_in.get(
        url, {"unit": "half-a", "date": day.isoformat(), "start": "09:00", "end": "13:00"}
    )
    assert "予約できない時間があります" in text_of(across)
    too_short = signed_in.get(
        url, {"unit": "half-a", "date": day.isoformat(), "start": "13:00", "end": "13:30"}
    )
    assert "利用時間は60分から240分までです。" in text_of(too_short)
    chosen = signed_in.get(
        url, {"unit": "half-a", "date": day.isoformat(), "start": "13:00", "end": "15:00"}
    )
    assert chosen.status_code == 302
    form = signed_in.get(chosen["Location"])
    assert form.status_code == 200
    signed_in.post(chosen["Location"], form_data(purpose="sports", review="1"))
    done = signed_in.post(
        chosen["Location"], form_data(purpose="sports", confirm="1", shown_total="0")
    )
    assert done.status_code == 302
    booking = Booking.objects.get(unit__code="half-a", start__gt=calendar.at(day, dt.time(12)))
    assert booking.end - booking.start == dt.timedelta(hours=2)


# --- booking ----------------------------------------------------------------------------------------


def test_booking_needs_signing_in_and_comes_back_to_the_form(client: Client) -> None:
    facility = room()
    url = book_url(facility.code, open_day(), "13:00", "17:00")
    response = client.get(url)
    assert response.status_code == 302
    login = response["Location"]
    assert login.startswith(reverse("account_login"))
    assert "next=" in login and "book" in login


def test_the_form_is_filled_from_the_profile(signed_in: Client) -> None:
    facility = room()
    page = signed_in.get(book_url(facility.code, open_day(), "13:00", "17:00"))
    html = page.content.decode()
    assert 'value="亘理 花子"' in html
    assert 'value="0223-34-1111"' in html
    assert "午後" in text_of(page)


def test_a_resident_books_after_seeing_the_exact_fee(signed_in: Client, resident: User) -> None:
    facility = room(fees=FEES_WITH_OPTIONS)
    day = open_day()
    url = book_url(facility.code, day, "13:00", "17:00")
    confirm = signed_in.post(url, form_data(options=["aircon"], review="1"))
    assert confirm.status_code == 200
    text = text_of(confirm)
    assert "予約の内容の確認" in text
    # 800 for the afternoon + 4 hours of air conditioning at 300.
    assert "使用料の合計 2,000円" in text
    assert "冷暖房" in text and "4時間 × 1時間300円" in text
    assert "利用日の6日前から当日まで: 使用料の50%" in text
    assert "支払いの期限" in text
    assert not Booking.objects.exists()  # nothing until 予約する
    done = signed_in.post(url, form_data(options=["aircon"], confirm="1", shown_total="2000"))
    booking = Booking.objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("reservations:booking", args=[booking.pk])
    assert booking.fee_amount == 2000  # what the confirmation showed
    assert booking.user == resident
    assert booking.contact_phone == "0223-34-1111"
    page = signed_in.get(done["Location"])
    assert f"予約番号は {booking.number} です" in text_of(page)


def test_a_changed_fee_table_is_shown_again_before_booking(signed_in: Client) -> None:
    facility = room()
    url = book_url(facility.code, open_day(), "13:00", "17:00")
    page = signed_in.post(url, form_data(confirm="1", shown_total="500"))
    assert "料金が変わりました" in text_of(page)
    assert "使用料の合計 800円" in text_of(page)
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"attendees": "0"}, "この値は 1 以上でなければなりません。"),
        ({"attendees": "31"}, "この施設の定員は30人です。"),
        ({"contact_phone": "abc"}, "電話番号は数字とハイフンで入力してください"),
        ({"contact_name": ""}, "このフィールドは必須です。"),
        ({"purpose": "sports"}, "sports"),
        (
            {"reduction_code": "disability", "reduction_note": " "},
            "減免を申請する理由を書いてください。",
        ),
        ({"options": ["sauna"]}, "sauna"),
    ],
)
def test_bad_input_is_explained_on_the_form_and_nothing_is_saved(
    signed_in: Client, changes: dict[str, Any], message: str
) -> None:
    facility = room(fees=FEES_WITH_OPTIONS)
    url = book_url(facility.code, open_day(), "13:00", "17:00")
    for step in ({"review": "1"}, {"confirm": "1", "shown_total": "800"}):
        page = signed_in.post(url, form_data(**changes, **step))
        assert page.status_code == 200
        text = text_of(page)
        assert "入力内容を確認してください" in text
        assert message in text
    assert not Booking.objects.exists()


def test_a_double_submit_shows_the_booking_just_made(signed_in: Client) -> None:
    facility = room()
    url = book_url(facility.code, open_day(), "13:00", "17:00")
    first = signed_in.post(url, form_data(confirm="1", shown_total="800"))
    second = signed_in.post(url, form_data(confirm="1", shown_total="800"))
    booking = Booking.objects.get()
    assert (
        first["Location"]
        == second["Location"]
        == reverse("reservations:booking", args=[booking.pk])
    )
    assert "この予約は、すでに受け付けています。" in text_of(signed_in.get(second["Location"]))


def test_a_period_someone_else_took_is_explained_with_a_way_back(
    signed_in: Client, resident: User
) -> None:
    facility = room()
    day = open_day()
    url = book_url(facility.code, day, "13:00", "17:00")
    confirm = signed_in.post(url, form_data(review="1"))
    assert confirm.status_code == 200
    other = ResidentProfileFactory.create(district=DistrictFactory.create()).user
    services.book(request_for(facility, day, "13:00", "17:00"), user=other)
    taken = signed_in.post(url, form_data(confirm="1", shown_total="800"))
    assert taken.status_code == 409
    assert "すでに予約が入っています" in text_of(taken)
    assert (
        reverse("reservations:week", args=[facility.code, day.isoformat()])
        in taken.content.decode()
    )
    assert Booking.objects.filter(user=resident).count() == 0
    # The calendar's link to it, followed late, says the same.
    assert signed_in.get(url).status_code == 409


def test_a_reduction_shows_the_full_fee_and_what_it_becomes(signed_in: Client) -> None:
    facility = room(fees=FEES_WITH_OPTIONS)
    url = book_url(facility.code, open_day(), "13:00", "17:00")
    page = signed_in.post(
        url,
        form_data(reduction_code="disability", reduction_note="障害者団体の定例会", review="1"),
    )
    text = text_of(page)
    assert "減免が承認されると、使用料は400円になります。" in text
    assert "承認されるまでは、800円としてご案内します。" in text
    signed_in.post(
        url,
        form_data(
            reduction_code="disability",
            reduction_note="障害者団体の定例会",
            confirm="1",
            shown_total="800",
        ),
    )
    booking = Booking.objects.get()
    assert booking.reduction == Booking.Reduction.REQUESTED
    assert booking.fee_amount == 800


def test_a_member_books_as_their_approved_group(signed_in: Client, resident: User) -> None:
    group = Group.objects.create(
        name="亘理囲碁クラブ",
        name_kana="わたりいごくらぶ",
        representative=resident,
        activity="囲碁",
        status=Group.Status.APPROVED,
    )
    Group.objects.create(
        name="審査中の会", name_kana="しんさちゅう", representative=resident, activity="-"
    )
    facility = room()
    url = book_url(facility.code, open_day(), "13:00", "17:00")
    form = text_of(signed_in.get(url))
    assert "亘理囲碁クラブ" in form and "審査中の会" not in form
    signed_in.post(url, form_data(group=str(group.pk), confirm="1", shown_total="800"))
    assert Booking.objects.get().group == group


def test_a_closed_or_not_yet_open_period_is_not_offered(signed_in: Client) -> None:
    facility = room()
    day = open_day()
    services.add_closure(
        facility,
        kind=Closure.Kind.MAINTENANCE,
        start=calendar.at(day, dt.time(0)),
        end=calendar.at(day + dt.timedelta(days=1), dt.time(0)),
        reason="空調の点検",
        by=StaffFactory.create(),
    )
    closed = signed_in.get(book_url(facility.code, day, "13:00", "17:00"))
    assert "休館や点検のため利用できません" in text_of(closed)
    far = calendar.months_before(calendar.today(), -6)
    while calendar.day_key(far) == "mon":
        far += dt.timedelta(days=1)
    not_yet = signed_in.get(book_url(facility.code, far, "13:00", "17:00"))
    assert "まだ受け付けていません" in text_of(not_yet)
    assert "町内の方は利用日の3か月前の月の1日から" in text_of(not_yet)


def test_a_broken_period_in_the_address_is_not_found(signed_in: Client) -> None:
    facility = room()
    url = reverse("reservations:book", args=[facility.code])
    assert signed_in.get(url).status_code == 404
    assert signed_in.get(url, period(open_day(), "25:00", "26:00")).status_code == 404
    assert signed_in.get(url, period(open_day(), "13:00", "17:00", unit="attic")).status_code == 404


# --- one's bookings ---------------------------------------------------------------------------------


def test_my_bookings_lists_upcoming_and_cancelled_with_fee_and_payment(
    signed_in: Client, resident: User
) -> None:
    facility = room()
    day = open_day()
    coming = services.book(request_for(facility, day, "13:00", "17:00"), user=resident)
    gone = services.book(request_for(facility, day, "09:00", "12:00"), user=resident)
    services.cancel(gone, by=resident)
    other = services.book(request_for(facility, day, "18:00", "21:00"), user=UserFactory.create())
    page = signed_in.get(reverse("reservations:mine"))
    text = text_of(page)
    upcoming, earlier = text.split("利用済み・取り消した予約")
    assert coming.number in upcoming and "800円" in upcoming and "窓口で支払い" in upcoming
    assert "支払いの期限" in upcoming
    assert gone.number in earlier and "取り消し" in earlier
    assert other.number not in text


def test_my_booking_page_shows_the_details_and_fee_lines(signed_in: Client, resident: User) -> None:
    facility = room(fees=FEES_WITH_OPTIONS)
    booking = services.book(
        request_for(facility, open_day(), "13:00", "17:00", options=["aircon"]), user=resident
    )
    page = signed_in.get(reverse("reservations:booking", args=[booking.pk]))
    text = text_of(page)
    assert booking.number in text
    assert "冷暖房" in text and "2,000円" in text
    assert reverse("reservations:cancel", args=[booking.pk]) in page.content.decode()
    assert reverse("reservations:change", args=[booking.pk]) in page.content.decode()
    english = signed_in.get(
        reverse("reservations:booking", args=[booking.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.status_code == 200 and "Air conditioning" in text_of(english)


def test_another_residents_booking_is_not_found(signed_in: Client) -> None:
    facility = room()
    day = open_day()
    someone = ResidentProfileFactory.create(district=DistrictFactory.create()).user
    theirs = services.book(request_for(facility, day, "13:00", "17:00"), user=someone)
    for name in ("booking", "cancel", "change", "booking_ics"):
        assert signed_in.get(reverse(f"reservations:{name}", args=[theirs.pk])).status_code == 404
    assert (
        signed_in.post(
            reverse("reservations:cancel", args=[theirs.pk]), {"shown_fee": "0"}
        ).status_code
        == 404
    )
    confirm = reverse("reservations:change_confirm", args=[theirs.pk])
    assert (
        signed_in.post(confirm + "?" + urlencode(period(day, "09:00", "12:00"))).status_code == 404
    )
    assert Booking.objects.get().status == Booking.Status.CONFIRMED
    assert Booking.objects.get().start == theirs.start


def test_cancelling_shows_the_fee_first_then_frees_the_slot(
    signed_in: Client, resident: User
) -> None:
    facility = room()
    day = calendar.today() + dt.timedelta(days=3)  # within 7 days: half the fee is kept
    while calendar.day_key(day) == "mon":
        day += dt.timedelta(days=1)
    booking = services.book(request_for(facility, day, "13:00", "17:00"), user=resident)
    url = reverse("reservations:cancel", args=[booking.pk])
    page = signed_in.get(url)
    assert "いま取り消すと、取消料は400円です。" in text_of(page)
    assert Booking.objects.get().status == Booking.Status.CONFIRMED
    done = signed_in.post(url, {"shown_fee": "400", "reason": "都合が悪くなりました"})
    assert done["Location"] == reverse("reservations:booking", args=[booking.pk])
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.cancellation_fee == 400
    assert booking.cancel_reason == "都合が悪くなりました"
    week = signed_in.get(reverse("reservations:week", args=[facility.code, day.isoformat()]))
    assert in_html(book_url(facility.code, day, "13:00", "17:00")) in week.content.decode()
    # Cancelled already: the page says so instead.
    again = signed_in.get(url)
    assert again.status_code == 302


def test_changing_moves_the_booking_to_a_free_period(signed_in: Client, resident: User) -> None:
    facility = room()
    day = open_day()
    booking = services.book(request_for(facility, day, "13:00", "17:00"), user=resident)
    page = signed_in.get(reverse("reservations:change", args=[booking.pk]))
    assert page.status_code == 200
    text = text_of(page)
    assert "いまの予約" in text
    confirm = (
        reverse("reservations:change_confirm", args=[booking.pk])
        + "?"
        + urlencode(period(day, "18:00", "21:00"))
    )
    assert in_html(confirm) in page.content.decode()
    shown = signed_in.get(confirm)
    assert "900円" in text_of(shown) and "800円" in text_of(shown)
    done = signed_in.post(confirm)
    assert done.status_code == 302
    booking.refresh_from_db()
    assert booking.start == calendar.at(day, dt.time(18))
    assert booking.fee_amount == 900
    assert "予約を変更しました。" in text_of(signed_in.get(done["Location"]))


def test_a_change_to_a_taken_period_changes_nothing(signed_in: Client, resident: User) -> None:
    facility = room()
    day = open_day()
    booking = services.book(request_for(facility, day, "13:00", "17:00"), user=resident)
    confirm = (
        reverse("reservations:change_confirm", args=[booking.pk])
        + "?"
        + urlencode(period(day, "18:00", "21:00"))
    )
    services.book(request_for(facility, day, "18:00", "21:00"), user=UserFactory.create())
    refused = signed_in.post(confirm)
    assert refused.status_code == 409
    booking.refresh_from_db()
    assert booking.start == calendar.at(day, dt.time(13))
    assert booking.occupancies.count() == 1


def test_the_pages_read_in_english(client: Client, resident: User) -> None:
    facility = room()
    day = open_day()
    booking = services.book(request_for(facility, day, "13:00", "17:00"), user=resident)
    client.force_login(resident)
    for url in (
        reverse("reservations:search"),
        reverse("reservations:facility", args=[facility.code]),
        reverse("reservations:week", args=[facility.code, day.isoformat()]),
        book_url(facility.code, day, "09:00", "12:00"),
        reverse("reservations:mine"),
        reverse("reservations:booking", args=[booking.pk]),
        reverse("reservations:cancel", args=[booking.pk]),
        reverse("reservations:change", args=[booking.pk]),
        reverse("reservations:feed_settings"),
    ):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200, url
        assert '<html lang="en"' in page.content.decode(), url
    week = client.get(
        reverse("reservations:week", args=[facility.code, day.isoformat()]),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Afternoon" in text_of(week)


def test_the_residents_menu_leads_to_the_search_and_to_their_bookings(signed_in: Client) -> None:
    page = signed_in.get(reverse("accounts:my_page")).content.decode()
    assert reverse("reservations:search") in page
    assert reverse("reservations:mine") in page
