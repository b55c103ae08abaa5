"""The staff pages over HTTP: who may see what, the calendar, a booking's page and its actions,
the counter, closures, statistics, settings and fee tables."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from yakuba.core.registry import registry
from yakuba.modules.reservations import calendar, services
from yakuba.modules.reservations.models import Booking, Closure, Facility, FeeSchedule, Group
from yakuba.modules.reservations.tests.factories import ROOM_FEES, gym, request_for, room
from yakuba.platform.accounts.models import Department, StaffMember
from yakuba.platform.accounts.tests.factories import (
    DistrictFactory,
    ResidentProfileFactory,
    StaffFactory,
    UserFactory,
)
from yakuba.platform.audit.models import AuditAction, AuditEntry
from yakuba.platform.payments.collectors import PaymentState

pytestmark = pytest.mark.django_db

STAFF_PERMISSIONS = ["reservations.change_booking", "reservations.change_facility"]


def open_day(at_least: int) -> dt.date:
    day = calendar.today() + dt.timedelta(days=at_least)
    return day + dt.timedelta(days=1) if day.weekday() == 0 else day


@pytest.fixture(autouse=True)
def _no_second_factor(settings: Any) -> None:
    settings.STAFF_REQUIRE_MFA = False


@pytest.fixture
def resident():
    return ResidentProfileFactory.create(
        district=DistrictFactory.create(),
        family_name="亘理",
        given_name="花子",
        phone="0223-34-1111",
    ).user


@pytest.fixture
def clerk():
    return StaffFactory.create(permissions=STAFF_PERMISSIONS)


@pytest.fixture
def client_of(client: Client):
    def sign_in(user: Any) -> Client:
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def hall() -> Facility:
    return room()


@pytest.fixture
def booking(hall: Facility, resident: Any) -> Booking:
    return services.book(
        request_for(hall, open_day(10), "13:00", "17:00", purpose_detail="自治会の総会"),
        user=resident,
    )


def other_department_clerk() -> Any:
    user = StaffFactory.create(permissions=STAFF_PERMISSIONS)
    other, _created = Department.objects.get_or_create(code="kyoiku", defaults={"name": "教育課"})
    StaffMember.objects.filter(user=user).update(department=other)
    return user


def url(name: str, *args: Any) -> str:
    return reverse(f"reservations:{name}", args=args)


# --- who may see what -----------------------------------------------------------------------------


def test_the_pages_need_staff_and_the_permission(client_of, booking) -> None:
    assert client_of(UserFactory.create()).get(url("staff_calendar")).status_code == 403
    no_permission = StaffFactory.create()
    assert client_of(no_permission).get(url("staff_calendar")).status_code == 403
    only_bookings = StaffFactory.create(permissions=["reservations.change_booking"])
    client = client_of(only_bookings)
    assert client.get(url("staff_calendar")).status_code == 200
    assert client.get(url("staff_facilities")).status_code == 403


def test_another_departments_facility_and_booking_are_not_found(client_of, booking, hall) -> None:
    client = client_of(other_department_clerk())
    closure = Closure.objects.create(
        facility=hall,
        kind=Closure.Kind.CLOSED,
        start=booking.end,
        end=booking.end + dt.timedelta(hours=1),
    )
    assert client.get(url("staff_booking", booking.pk)).status_code == 404
    assert client.post(url("staff_mark_paid", booking.pk)).status_code == 404
    assert client.post(url("staff_cancel", booking.pk), {"reason": "x"}).status_code == 404
    assert client.get(url("staff_facility_settings", hall.pk)).status_code == 404
    assert client.get(url("staff_fee_schedules", hall.pk)).status_code == 404
    assert client.post(url("staff_closure_remove", closure.pk)).status_code == 404
    page = client.get(url("staff_calendar"), {"day": open_day(10).isoformat()})
    assert booking.number not in page.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_the_staff_menu_links_to_the_calendar_for_those_who_manage_bookings(clerk) -> None:
    def shown_to(user: Any) -> list[str]:
        return [entry.url_name for entry in registry.staff_menu(user)]

    assert "reservations:staff_calendar" in shown_to(clerk)
    assert "reservations:staff_calendar" not in shown_to(StaffFactory.create())


# --- the calendar ---------------------------------------------------------------------------------


def test_the_day_shows_each_booking_with_its_booker_and_payment_and_the_reads_are_audited(
    client_of,
    clerk,
    booking,
    resident,
) -> None:
    group = Group.objects.create(
        name="亘理コーラス",
        name_kana="わたりこーらす",
        representative=resident,
        activity="合唱",
        status=Group.Status.APPROVED,
    )
    Booking.objects.filter(pk=booking.pk).update(group=group)
    page = client_of(clerk).get(url("staff_calendar"), {"day": open_day(10).isoformat()})
    text = page.content.decode()
    assert page.status_code == 200
    assert booking.number in text and "亘理 花子" in text and "亘理コーラス" in text
    assert "自治会の総会" in text and "未払い（窓口）" in text
    assert url("staff_booking", booking.pk) in text
    read = AuditEntry.objects.get(action=AuditAction.READ, object_id=str(booking.pk))
    assert read.subject_user_id == resident.pk and read.reason == "calendar"


def test_the_week_shows_closures_and_the_filter_keeps_one_facility(
    client_of, clerk, booking, hall
) -> None:
    other = gym()
    day = open_day(10)
    Closure.objects.create(
        facility=other,
        kind=Closure.Kind.MAINTENANCE,
        start=calendar.at(day, dt.time(0)),
        end=calendar.at(day + dt.timedelta(days=1), dt.time(0)),
        reason="床の塗装",
    )
    client = client_of(clerk)
    week = client.get(
        url("staff_calendar"), {"day": day.isoformat(), "span": "week"}
    ).content.decode()
    assert booking.number in week and "床の塗装" in week and "町民体育館" in week
    only_gym = client.get(
        url("staff_calendar"), {"day": day.isoformat(), "span": "week", "facility": other.pk}
    ).content.decode()
    assert "床の塗装" in only_gym and booking.number not in only_gym


def test_a_bad_date_is_said_plainly(client_of, clerk) -> None:
    page = client_of(clerk).get(url("staff_calendar"), {"day": "来週"})
    assert page.status_code == 200
    assert "年-月-日で入力してください" in page.content.decode()


# --- a booking's page -----------------------------------------------------------------------------


def test_the_booking_page_shows_the_contact_and_is_an_audited_read(
    client_of, clerk, booking, resident
) -> None:
    page = client_of(clerk).get(url("staff_booking", booking.pk))
    text = page.content.decode()
    assert "亘理 花子" in text
    assert resident.email in text and "800円" in text and "ネット" in text
    assert AuditEntry.objects.filter(
        action=AuditAction.READ, object_id=str(booking.pk), subject_user_id=resident.pk
    ).exists()


def test_marking_paid_at_the_counter(client_of, clerk, booking) -> None:
    client = client_of(clerk)
    answer = client.post(url("staff_mark_paid", booking.pk), follow=True)
    assert "800円を受け取り、支払い済みにしました。" in answer.content.decode()
    booking.refresh_from_db()
    assert booking.payment == PaymentState.PAID
    again = client.post(url("staff_mark_paid", booking.pk), follow=True)
    assert "すでに支払い済みです" in again.content.decode()


def test_a_reduction_decision_needs_a_choice_and_a_reason(client_of, clerk, resident) -> None:
    hall = room(
        fees={**ROOM_FEES, "reductions": [{"code": "welfare", "label": "福祉団体", "percent": 50}]}
    )
    booking = services.book(
        request_for(
            hall,
            open_day(10),
            "13:00",
            "17:00",
            reduction_code="welfare",
            reduction_note="福祉団体です",
        ),
        user=resident,
    )
    client = client_of(clerk)
    refused = client.post(url("staff_reduction", booking.pk), {"reason": ""})
    assert refused.status_code == 400
    assert "入力内容を確認してください" in refused.content.decode()

    answer = client.post(
        url("staff_reduction", booking.pk),
        {"decision": "approve", "reason": "登録を確認"},
        follow=True,
    )
    assert "減免を承認しました。使用料は400円です。" in answer.content.decode()
    booking.refresh_from_db()
    assert booking.fee_amount == 400 and booking.reduction == Booking.Reduction.APPROVED
    assert "登録を確認" in answer.content.decode()  # the history shows the reason


def test_cancelling_with_a_waiver(client_of, clerk, booking) -> None:
    client = client_of(clerk)
    assert client.post(url("staff_cancel", booking.pk), {"reason": ""}).status_code == 400
    answer = client.post(
        url("staff_cancel", booking.pk), {"reason": "空調の故障", "waive_fee": "on"}, follow=True
    )
    assert "予約を取り消しました（取消料 0円）" in answer.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


# --- at the counter -------------------------------------------------------------------------------


def test_the_clerk_finds_a_resident_by_phone_without_hyphens(client_of, clerk, resident) -> None:
    ResidentProfileFactory.create(family_name="鈴木", phone="022-111-2222")
    page = client_of(clerk).get(url("staff_counter"), {"q": "0223341111"})
    text = page.content.decode()
    assert "亘理 花子" in text and "鈴木" not in text
    assert AuditEntry.objects.filter(
        action=AuditAction.READ, subject_user_id=resident.pk, reason="counter"
    ).exists()


def test_the_counter_offers_a_slot_inside_the_cut_off(client_of, clerk, hall, resident) -> None:
    today = calendar.today()
    tomorrow = today + dt.timedelta(days=1)
    day = tomorrow + dt.timedelta(days=1) if tomorrow.weekday() == 0 else tomorrow
    page = client_of(clerk).get(
        url("staff_counter_slots"),
        {"resident": resident.pk, "facility": hall.pk, "day": day.isoformat()},
    )
    text = page.content.decode()
    assert page.status_code == 200
    # Within 24 hours online says 受付終了; the counter still books what has not begun.
    assert text.count(url("staff_counter_details")) >= 1


def test_the_counter_quotes_then_books_for_a_resident(client_of, clerk, hall, resident) -> None:
    day = open_day(10)
    query = {
        "resident": resident.pk,
        "unit": hall.units.get().pk,
        "start": calendar.at(day, dt.time(9)).isoformat(),
        "end": calendar.at(day, dt.time(12)).isoformat(),
    }
    client = client_of(clerk)
    details = (
        url("staff_counter_details")
        + "?"
        + "&".join(f"{k}={v}".replace("+", "%2B") for k, v in query.items())
    )
    form = client.get(details)
    assert form.status_code == 200 and 'value="亘理 花子"' in form.content.decode()
    data = {
        "start": query["start"],
        "end": query["end"],
        "purpose": "meeting",
        "attendees": "12",
        "contact_name": "亘理 花子",
        "contact_phone": "0223-34-1111",
    }
    quoted = client.post(details, {**data, "quote": "1"})
    assert "600円" in quoted.content.decode()
    assert not Booking.objects.exists()

    answer = client.post(details, {**data, "book": "1"})

    booking = Booking.objects.get()
    assert answer.status_code == 302 and answer["Location"] == url("staff_booking", booking.pk)
    assert booking.user == resident and booking.booked_by == clerk and booking.fee_amount == 600


def test_a_guest_needs_a_phone_number_and_the_slot_taken_meanwhile_is_said(
    client_of, clerk, hall, resident
) -> None:
    day = open_day(10)
    start, end = calendar.at(day, dt.time(9)), calendar.at(day, dt.time(12))
    details = (
        url("staff_counter_details")
        + "?"
        + "&".join(
            f"{k}={v}".replace("+", "%2B")
            for k, v in {
                "guest": 1,
                "unit": hall.units.get().pk,
                "start": start.isoformat(),
                "end": end.isoformat(),
            }.items()
        )
    )
    data = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "purpose": "meeting",
        "attendees": "5",
        "contact_name": "山田 一郎",
        "book": "1",
    }
    client = client_of(clerk)
    no_phone = client.post(details, data)
    assert no_phone.status_code == 400 and "電話番号が必要です" in no_phone.content.decode()

    services.book(request_for(hall, day, "09:00", "12:00"), user=resident)
    taken = client.post(details, {**data, "contact_phone": "090-1111-2222", "in_town": "on"})
    assert taken.status_code == 400 and "すでに予約が入っています" in taken.content.decode()


def test_an_unknown_person_or_unit_is_not_found(client_of, clerk, hall) -> None:
    client = client_of(clerk)
    assert client.get(url("staff_counter_slots"), {"resident": clerk.pk}).status_code == 404
    assert client.get(url("staff_counter_slots"), {"resident": "x"}).status_code == 404
    other = gym()
    Facility.objects.filter(pk=other.pk).update(
        department=Department.objects.create(code="z", name="他課")
    )
    start = calendar.at(open_day(10), dt.time(10)).isoformat().replace("+", "%2B")
    unit = other.units.get(code="whole")
    answer = client.get(
        f"{url('staff_counter_details')}?guest=1&unit={unit.pk}&start={start}&end={start}"
    )
    assert answer.status_code == 404


# --- closures -------------------------------------------------------------------------------------


def test_a_closure_over_a_booking_lists_the_booking_to_cancel(
    client_of, clerk, hall, booking
) -> None:
    day = open_day(10).isoformat()
    data = {
        "facility": hall.pk,
        "kind": "maintenance",
        "start_date": day,
        "end_date": day,
        "reason": "点検",
    }
    client = client_of(clerk)
    refused = client.post(url("staff_closures"), data)
    text = refused.content.decode()
    assert refused.status_code == 400
    assert "先に取り消す予約" in text and url("staff_booking", booking.pk) in text

    morning = {**data, "end_time": "12:00"}
    assert client.post(url("staff_closures"), morning).status_code == 302
    closure = Closure.objects.get()
    assert closure.end == calendar.at(open_day(10), dt.time(12))
    assert "点検" in client.get(url("staff_closures")).content.decode()

    assert client.post(url("staff_closure_remove", closure.pk)).status_code == 302
    assert not Closure.objects.exists()


def test_a_closure_with_a_bad_time_is_said_plainly(client_of, clerk, hall) -> None:
    day = open_day(10).isoformat()
    answer = client_of(clerk).post(
        url("staff_closures"),
        {
            "facility": hall.pk,
            "kind": "closed",
            "start_date": day,
            "start_time": "9時",
            "end_date": day,
        },
    )
    assert answer.status_code == 400
    assert "時刻は 09:00 のように24時間で書いてください。" in answer.content.decode()


# --- statistics -----------------------------------------------------------------------------------


def test_the_statistics_show_a_chart_a_table_and_a_csv(client_of, clerk, hall, booking) -> None:
    client = client_of(clerk)
    page = client.get(url("staff_stats"))
    text = page.content.decode()
    assert page.status_code == 200 and "<svg" in text and 'role="img"' in text
    assert "中央公民館 会議室1" in text

    download = client.get(url("staff_stats_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "施設コード" and len(rows) == 1 + 12
    month = f"{open_day(10):%Y-%m}"
    row = next(r for r in rows if r[2] == month)
    assert int(row[3]) == 240
    assert AuditEntry.objects.filter(
        action=AuditAction.EXPORT, object_type="reservations.utilisation"
    ).exists()


# --- facilities and fee tables --------------------------------------------------------------------


def settings_data(hall: Facility, **changes: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": hall.name,
        "kind": hall.kind,
        "purposes": hall.purposes,
        "mode": hall.mode,
        "capacity": "30",
        "is_public": "on",
        "step_minutes": "30",
        "min_minutes": "30",
        "max_minutes": "480",
        "resident_months_ahead": "3",
        "others_months_ahead": "2",
        "cutoff_hours": "24",
        "max_bookings_per_month": "0",
        "pay_days_before": "3",
        "slots": "am, 午前, 09:00, 12:00, Morning\npm, 午後, 13:00, 17:00\nnight, 夜間, 18:00, 21:00",
    }
    for key in ("tue", "wed", "thu", "fri", "sat", "sun", "holiday"):
        data[f"opens_{key}"], data[f"closes_{key}"] = "09:00", "21:00"
    data.update(changes)
    return data


def test_settings_are_saved_with_hours_and_slots(client_of, clerk, hall) -> None:
    answer = client_of(clerk).post(
        url("staff_facility_settings", hall.pk),
        settings_data(hall, cutoff_hours="48", closes_sun="17:00"),
    )
    assert answer.status_code == 302
    hall.refresh_from_db()
    assert hall.cutoff_hours == 48 and hall.opening_hours["sun"] == ["09:00", "17:00"]
    assert "mon" not in hall.opening_hours
    assert hall.fixed_slots[0] == {
        "code": "am",
        "label": "午前",
        "start": "09:00",
        "end": "12:00",
        "label_en": "Morning",
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"opens_tue": "9時"}, "火曜日の開始時刻を 09:00 のように書いてください"),
        (
            {"opens_wed": "21:00", "closes_wed": "09:00"},
            "水曜日の終了時刻は、開始時刻より後にしてください。",
        ),
        ({"slots": "am 午前 09:00 12:00"}, "1行目: 「コード, 名前, 開始, 終了」の順に"),
        (
            {"slots": "am, 午前, 09:00, 12:00\nam2, 昼, 11:00, 13:00"},
            "2行目: 時間帯「午前」と時間が重なっています。",
        ),
        ({"slots": "AM, 午前, 09:00, 12:00"}, "コードは英小文字で始め"),
        ({"slots": ""}, "時間帯を一つ以上書いてください"),
    ],
    ids=[
        "bad time",
        "closes before opening",
        "not comma separated",
        "overlapping slots",
        "bad code",
        "no slots",
    ],
)
def test_settings_mistakes_are_said_in_plain_words(
    client_of, clerk, hall, changes, message
) -> None:
    answer = client_of(clerk).post(
        url("staff_facility_settings", hall.pk), settings_data(hall, **changes)
    )
    assert answer.status_code == 400
    assert message in answer.content.decode()


def test_a_new_fee_table_version_is_checked_and_past_versions_stay(client_of, clerk, hall) -> None:
    client = client_of(clerk)
    page = client.get(url("staff_fee_schedules", hall.pk)).content.decode()
    assert "第1版" in page
    tomorrow = (calendar.today() + dt.timedelta(days=1)).isoformat()
    broken = client.post(
        url("staff_fee_schedules", hall.pk), {"valid_from": tomorrow, "rules": '{"rates": {'}
    )
    assert broken.status_code == 400 and "JSONとして読めません" in broken.content.decode()
    wrong = client.post(
        url("staff_fee_schedules", hall.pk),
        {"valid_from": tomorrow, "rules": json.dumps({"rates": {}})},
    )
    assert wrong.status_code == 400 and "区画「room」の料金がありません。" in wrong.content.decode()

    rules = {
        **ROOM_FEES,
        "rates": {"room": {"per": "slot", "prices": {"am": 700, "pm": 900, "night": 1000}}},
    }
    assert (
        client.post(
            url("staff_fee_schedules", hall.pk),
            {"valid_from": tomorrow, "rules": json.dumps(rules)},
        ).status_code
        == 302
    )
    versions = list(FeeSchedule.objects.filter(facility=hall).order_by("version"))
    assert [v.version for v in versions] == [1, 2] and versions[0].rules == ROOM_FEES
