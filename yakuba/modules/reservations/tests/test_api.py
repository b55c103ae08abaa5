"""The reservations API: its OpenAPI contract (every answer validated against /api/openapi.json
with jsonschema), the public facilities and availability, and the resident's own bookings —
201, 409 when taken, 422 naming the field for a broken rule, 401 without a sign-in, 404 for
another resident's booking, and a number of queries that does not grow with the data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from jsonschema import Draft202012Validator

from yakuba.modules.reservations import calendar, services
from yakuba.modules.reservations.models import Booking, Closure, Occupancy
from yakuba.modules.reservations.tests.factories import gym, request_for, room
from yakuba.platform.accounts.models import User
from yakuba.platform.accounts.tests.factories import (
    DistrictFactory,
    ResidentProfileFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

BOOKINGS = "/api/reservations/bookings"
EXPECTED = {
    ("/api/reservations/facilities", "get"): ("200", "422"),
    ("/api/reservations/facilities/{code}", "get"): ("200", "404"),
    ("/api/reservations/facilities/{code}/availability", "get"): ("200", "404", "422"),
    ("/api/reservations/bookings", "get"): ("200", "401"),
    ("/api/reservations/bookings", "post"): ("201", "401", "409", "422"),
    ("/api/reservations/bookings/{booking_id}", "get"): ("200", "401", "404"),
    ("/api/reservations/bookings/{booking_id}/cancel", "post"): ("200", "401", "404", "409"),
}
TAKEN = "すでに予約が入っています"


@pytest.fixture
def openapi(client: Client) -> dict[str, Any]:
    spec: dict[str, Any] = client.get("/api/openapi.json").json()
    return spec


@pytest.fixture
def resident() -> User:
    user: User = ResidentProfileFactory.create(district=DistrictFactory.create()).user
    return user


def valid(body: Any, openapi: dict[str, Any], path: str, status: int, method: str = "get") -> Any:
    """Check `body` against the schema the OpenAPI document gives for `path` and `status`."""
    operation = openapi["paths"][path][method]
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    validator = Draft202012Validator(
        {**schema, "components": openapi["components"]},
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    validator.validate(body)
    return body


def get(client: Client, url: str, openapi: dict[str, Any], path: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.content
    return valid(response.json(), openapi, path, status)


def post(
    client: Client,
    url: str,
    data: dict[str, Any] | None,
    openapi: dict[str, Any],
    path: str,
    status: int,
) -> Any:
    response = client.post(url, data, content_type="application/json")
    assert response.status_code == status, response.content
    return valid(response.json(), openapi, path, status, "post")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def open_day(weeks: int = 2) -> dt.date:
    """A day `weeks` ahead that is not a Monday (the test room is closed on Mondays)."""
    day = calendar.today() + dt.timedelta(weeks=weeks)
    while day.weekday() == 0:
        day += dt.timedelta(days=1)
    return day


def wish(
    facility: str, unit: str, day: dt.date, start: str, end: str, **extra: Any
) -> dict[str, Any]:
    return {
        "facility": facility,
        "unit": unit,
        "start": f"{day}T{start}:00+09:00",
        "end": f"{day}T{end}:00+09:00",
        "purpose": "sports" if facility == "taiikukan" else "meeting",
        "attendees": 10,
        **extra,
    }


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# --- the contract ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("where", "statuses"), EXPECTED.items())
def test_openapi_describes_every_endpoint_and_its_answers(
    openapi: dict[str, Any], where: tuple[str, str], statuses: tuple[str, ...]
) -> None:
    path, method = where
    assert path in openapi["paths"], sorted(openapi["paths"])
    responses = openapi["paths"][path][method]["responses"]
    for status in statuses:
        assert responses[status]["content"]["application/json"]["schema"]


def test_the_bookings_need_the_session_sign_in_and_the_facilities_do_not(
    openapi: dict[str, Any],
) -> None:
    for (path, method), _statuses in EXPECTED.items():
        secured = "security" in openapi["paths"][path][method]
        assert secured == path.startswith(BOOKINGS), path


def test_the_booking_body_is_documented(openapi: dict[str, Any]) -> None:
    body = openapi["paths"][BOOKINGS]["post"]["requestBody"]["content"]["application/json"]
    schema = openapi["components"]["schemas"][body["schema"]["$ref"].split("/")[-1]]
    assert {"facility", "unit", "start", "end", "purpose", "attendees"} <= set(schema["required"])


# --- facilities -----------------------------------------------------------------------------------


def test_the_facilities_are_listed_in_order_with_their_place(
    client: Client, openapi: dict[str, Any]
) -> None:
    gym(order=2)
    room(order=1)
    room(code="hidden", is_public=False)

    body = get(client, "/api/reservations/facilities", openapi, "/api/reservations/facilities")

    assert [f["code"] for f in body] == ["kouminkan-1", "taiikukan"]
    assert body[0]["purposes"] == [
        {"code": "meeting", "label": "会議・研修"},
        {"code": "culture", "label": "文化・趣味"},
    ]
    assert (body[0]["mode"], body[1]["mode"]) == ("slots", "free")
    assert body[1]["place"]["code"]


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("purpose=sports", ["taiikukan"]),
        ("purpose=culture", ["kouminkan-1"]),
        ("purpose=music", []),
        ("capacity=31", ["taiikukan"]),
        ("capacity=30&purpose=meeting", ["kouminkan-1"]),
        ("q=体育館", ["taiikukan"]),
        ("q=公民館 会議室", ["kouminkan-1"]),
    ],
)
def test_the_facilities_filter_by_purpose_and_capacity(
    client: Client, openapi: dict[str, Any], query: str, codes: list[str]
) -> None:
    room()
    gym()
    path = "/api/reservations/facilities"
    body = get(client, f"{path}?{query}", openapi, path)
    assert sorted(f["code"] for f in body) == codes


def test_the_facilities_filter_by_place(client: Client, openapi: dict[str, Any]) -> None:
    room()
    hall = gym()
    path = "/api/reservations/facilities"

    body = get(client, f"{path}?place={hall.place.code}", openapi, path)
    unknown = get(client, f"{path}?place=NOWHERE", openapi, path, 422)

    assert [f["code"] for f in body] == ["taiikukan"]
    assert unknown["detail"][0]["msg"] == "その場所は見つかりません。"


def test_an_unknown_purpose_is_refused_with_a_message(
    client: Client, openapi: dict[str, Any]
) -> None:
    path = "/api/reservations/facilities"
    body = get(client, f"{path}?purpose=karaoke", openapi, path, 422)
    assert body["detail"][0]["loc"] == ["query", "purpose"]
    assert body["detail"][0]["msg"] == "その利用目的はありません。"


def test_the_date_filter_keeps_facilities_with_a_free_period_that_day(
    client: Client, openapi: dict[str, Any]
) -> None:
    room()
    hall = gym()
    tuesday = open_day()
    while tuesday.weekday() != 1:
        tuesday += dt.timedelta(days=1)
    monday = tuesday - dt.timedelta(days=1)
    services.add_closure(
        hall,
        kind=Closure.Kind.MAINTENANCE,
        start=calendar.at(tuesday, dt.time(0)),
        end=calendar.at(tuesday + dt.timedelta(days=1), dt.time(0)),
        reason="床の補修",
        by=None,
    )
    path = "/api/reservations/facilities"

    def listed(day: dt.date) -> list[str]:
        return [f["code"] for f in get(client, f"{path}?date={day}", openapi, path)]

    assert listed(monday) == ["taiikukan"]  # the room is closed on Mondays (unless a holiday)
    assert listed(tuesday) == ["kouminkan-1"]  # the gym is closed for repairs
    assert listed(tuesday + dt.timedelta(days=1)) == ["kouminkan-1", "taiikukan"]


def test_a_facility_comes_with_its_units_slots_hours_and_fees(
    client: Client, openapi: dict[str, Any]
) -> None:
    room()
    gym()
    path = "/api/reservations/facilities/{code}"

    meeting_room = get(client, "/api/reservations/facilities/kouminkan-1", openapi, path)
    hall = get(client, "/api/reservations/facilities/taiikukan", openapi, path)

    assert [s["code"] for s in meeting_room["fixed_slots"]] == ["am", "pm", "night"]
    assert "mon" not in meeting_room["opening_hours"]
    assert meeting_room["fees"]["version"] == 1
    assert meeting_room["fees"]["rules"]["rates"]["room"]["prices"]["am"] == 600
    assert hall["fees"] is None
    assert [(u["code"], u["parent"]) for u in hall["units"]] == [
        ("whole", None),
        ("half-a", "whole"),
        ("half-b", "whole"),
    ]
    assert (hall["step_minutes"], hall["min_minutes"], hall["max_minutes"]) == (30, 60, 240)


def test_an_unknown_or_hidden_facility_is_404(client: Client, openapi: dict[str, Any]) -> None:
    room(code="hidden", is_public=False)
    for code in ("hidden", "nothing"):
        for suffix in ("", "/availability"):
            path = "/api/reservations/facilities/{code}" + suffix
            body = get(client, f"/api/reservations/facilities/{code}{suffix}", openapi, path, 404)
            assert body == {"detail": "その施設は見つかりません。", "code": "not_found"}


# --- availability ---------------------------------------------------------------------------------

AVAILABILITY = "/api/reservations/facilities/{code}/availability"


def test_availability_shows_a_half_taken_and_the_whole_floor_with_it(
    client: Client, openapi: dict[str, Any], resident: User
) -> None:
    hall = gym()
    day = open_day()
    services.book(request_for(hall, day, "10:00", "12:00", unit_code="half-a"), user=resident)

    body = get(
        client,
        f"/api/reservations/facilities/taiikukan/availability?from={day}&to={day}",
        openapi,
        AVAILABILITY,
    )

    (shown,) = body["days"]
    assert (body["first"], body["last"]) == (str(day), str(day))
    ten = f"{day}T10:00:00+09:00"
    states = {(c["unit"], c["start"]): c["state"] for c in shown["cells"]}
    assert states[("half-a", ten)] == states[("whole", ten)] == "taken"
    assert states[("half-b", ten)] == "free"
    assert states[("whole", f"{day}T12:00:00+09:00")] == "free"
    assert shown["summary"] == "free"
    # 09:00–21:00 in 30-minute steps, for three units; four of them taken by the half's booking.
    assert len(shown["cells"]) == 24 * 3
    assert shown["free"] == 24 * 3 - 8


def test_availability_defaults_to_the_rest_of_this_month(
    client: Client, openapi: dict[str, Any]
) -> None:
    room()
    body = get(
        client, "/api/reservations/facilities/kouminkan-1/availability", openapi, AVAILABILITY
    )
    today = calendar.today()
    assert body["first"] == str(today)
    assert body["last"] == str(calendar.months_before(today, -1) - dt.timedelta(days=1))
    assert len(body["days"]) == (dt.date.fromisoformat(body["last"]) - today).days + 1


@pytest.mark.parametrize(
    ("days", "message"),
    [(62, ""), (63, "一度に見られるのは62日分までです。"), (-1, "終わりの日は")],
)
def test_availability_covers_at_most_62_days_forwards(
    client: Client, openapi: dict[str, Any], days: int, message: str
) -> None:
    room()
    first = open_day()
    last = first + dt.timedelta(days=days - 1 if days > 0 else days)
    url = f"/api/reservations/facilities/kouminkan-1/availability?from={first}&to={last}"
    if not message:
        assert len(get(client, url, openapi, AVAILABILITY)["days"]) == days
        return
    body = get(client, url, openapi, AVAILABILITY, 422)
    assert body["detail"][0]["loc"] == ["query", "to"]
    assert body["detail"][0]["msg"].startswith(message)


def test_a_non_resident_sees_not_yet_where_a_resident_may_book(
    client: Client, openapi: dict[str, Any], resident: User
) -> None:
    """Residents book from the 1st of the month three months before the use, others two."""
    room()
    day = calendar.months_before(calendar.today(), -3) + dt.timedelta(days=14)
    while day.weekday() == 0:
        day += dt.timedelta(days=1)
    url = f"/api/reservations/facilities/kouminkan-1/availability?from={day}&to={day}"
    outsider = signed_in(UserFactory.create())

    as_resident = get(signed_in(resident), url, openapi, AVAILABILITY)
    as_outsider = get(outsider, url, openapi, AVAILABILITY)
    anonymous = get(client, url, openapi, AVAILABILITY)

    assert as_resident["resident_window"] and anonymous["resident_window"]
    assert not as_outsider["resident_window"]
    assert {c["state"] for c in as_resident["days"][0]["cells"]} == {"free"}
    assert {c["state"] for c in as_outsider["days"][0]["cells"]} == {"not_yet"}
    assert as_outsider["days"][0]["cells"][0]["state_label"] == "受付前"


def test_availability_takes_a_fixed_number_of_queries(client: Client, resident: User) -> None:
    hall = gym()
    day = open_day()
    url = f"/api/reservations/facilities/taiikukan/availability?from={day}&to={day + dt.timedelta(days=30)}"
    few = count_queries(client, url)
    for offset in range(0, 10):
        services.book(
            request_for(hall, day + dt.timedelta(days=offset), "10:00", "12:00"), user=resident
        )
    assert count_queries(client, url) == few


# --- booking --------------------------------------------------------------------------------------


def test_the_bookings_need_a_sign_in(client: Client, openapi: dict[str, Any]) -> None:
    get(client, BOOKINGS, openapi, BOOKINGS, 401)
    post(
        client,
        BOOKINGS,
        wish("kouminkan-1", "room", open_day(), "09:00", "12:00"),
        openapi,
        BOOKINGS,
        401,
    )
    get(client, f"{BOOKINGS}/1", openapi, BOOKINGS + "/{booking_id}", 401)
    post(client, f"{BOOKINGS}/1/cancel", None, openapi, BOOKINGS + "/{booking_id}/cancel", 401)


def test_a_post_without_the_csrf_token_is_refused(resident: User) -> None:
    room()
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    response = client.post(
        BOOKINGS,
        wish("kouminkan-1", "room", open_day(), "09:00", "12:00"),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not Booking.objects.exists()


def test_a_resident_books_a_slot_and_gets_the_booking_with_its_fee(
    openapi: dict[str, Any], resident: User
) -> None:
    room()
    day = open_day()

    body = post(
        signed_in(resident),
        BOOKINGS,
        wish("kouminkan-1", "room", day, "09:00", "12:00", contact_phone="0223-34-0000"),
        openapi,
        BOOKINGS,
        201,
    )

    booking = Booking.objects.get()
    assert body["id"] == booking.pk and body["number"] == booking.number
    assert (body["start"], body["end"]) == (f"{day}T09:00:00+09:00", f"{day}T12:00:00+09:00")
    assert body["status"] == "confirmed"
    assert body["fee_amount"] == booking.fee_amount == 600
    assert [(line["code"], line["amount"]) for line in body["fee_lines"]] == [("base", 600)]
    assert body["payment"] == booking.payment != "none"
    assert body["contact_name"] == resident.resident_profile.full_name
    assert body["can_cancel"] is True
    assert body["url"] == f"/reservations/bookings/{booking.pk}/"
    assert booking.user == resident


def test_times_without_an_offset_are_times_in_japan(
    openapi: dict[str, Any], resident: User
) -> None:
    gym()
    day = open_day()
    data = wish("taiikukan", "whole", day, "10:00", "11:00")
    data.update(start=f"{day}T10:00:00", end=f"{day}T11:00:00")
    body = post(signed_in(resident), BOOKINGS, data, openapi, BOOKINGS, 201)
    assert body["start"] == f"{day}T10:00:00+09:00"


def test_a_taken_slot_is_409_with_the_message_and_nothing_is_saved(
    openapi: dict[str, Any], resident: User
) -> None:
    gym()
    day = open_day()
    other = ResidentProfileFactory.create(district=DistrictFactory.create()).user
    post(
        signed_in(other),
        BOOKINGS,
        wish("taiikukan", "half-a", day, "10:00", "12:00"),
        openapi,
        BOOKINGS,
        201,
    )

    for unit, start, end in (("half-a", "11:00", "13:00"), ("whole", "09:00", "10:30")):
        body = post(
            signed_in(resident),
            BOOKINGS,
            wish("taiikukan", unit, day, start, end),
            openapi,
            BOOKINGS,
            409,
        )
        assert body["code"] == "taken"
        assert TAKEN in body["detail"]
    assert Booking.objects.count() == Occupancy.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field", "code", "message"),
    [
        ({"start": "T10:15"}, "start", "period", "30分単位で選んでください。"),
        ({"start": "T07:00"}, "start", "period", "利用できる時間の中で選んでください。"),
        ({"attendees": 500}, "attendees", "attendees", "この施設の定員は200人です。"),
        ({"attendees": 0}, "attendees", "attendees", "利用人数を1人以上で書いてください。"),
        ({"purpose": "music"}, "purpose", "purpose", "この施設の利用目的から選んでください。"),
        ({"unit": "stage"}, "unit", "not_found", "この施設に、その区画はありません。"),
        ({"facility": "nothing"}, "facility", "not_found", "その施設は見つかりません。"),
        ({"group": 999}, "group", "not_found", "その団体は見つかりません。"),
        ({"contact_name": "亘" * 101}, "contact_name", "too_long", "100文字以内で書いてください。"),
        ({"contact_phone": "0" * 21}, "contact_phone", "too_long", "20文字以内で書いてください。"),
    ],
)
def test_a_broken_rule_is_422_naming_the_field(
    openapi: dict[str, Any],
    resident: User,
    change: dict[str, Any],
    field: str,
    code: str,
    message: str,
) -> None:
    gym()
    day = open_day()
    data = wish("taiikukan", "whole", day, "10:00", "12:00")
    if "start" in change:
        data["start"] = f"{day}{change['start']}:00+09:00"
    else:
        data.update(change)

    body = post(signed_in(resident), BOOKINGS, data, openapi, BOOKINGS, 422)

    assert body == {"detail": [{"loc": ["body", "booking", field], "msg": message, "type": code}]}
    assert not Booking.objects.exists()


def test_a_booking_window_not_yet_open_is_422(openapi: dict[str, Any], resident: User) -> None:
    gym()
    day = calendar.months_before(calendar.today(), -4) + dt.timedelta(days=2)
    body = post(
        signed_in(resident),
        BOOKINGS,
        wish("taiikukan", "whole", day, "10:00", "12:00"),
        openapi,
        BOOKINGS,
        422,
    )
    assert body["detail"][0]["type"] == "not_yet"
    assert body["detail"][0]["msg"].startswith("この日の予約は")


def test_a_malformed_request_is_422_in_the_same_shape(
    openapi: dict[str, Any], resident: User
) -> None:
    gym()
    data = wish("taiikukan", "whole", open_day(), "10:00", "12:00")
    data["start"] = "next tuesday"
    del data["attendees"]

    body = post(signed_in(resident), BOOKINGS, data, openapi, BOOKINGS, 422)

    assert {tuple(error["loc"]) for error in body["detail"]} == {
        ("body", "booking", "start"),
        ("body", "booking", "attendees"),
    }


def test_a_reduction_needs_a_reason(openapi: dict[str, Any], resident: User) -> None:
    room(
        fees={
            "rates": {"room": {"per": "slot", "prices": {"am": 600, "pm": 800, "night": 900}}},
            "reductions": [{"code": "disability", "label": "障害のある方の団体", "percent": 50}],
        }
    )
    day = open_day()
    client = signed_in(resident)
    data = wish("kouminkan-1", "room", day, "09:00", "12:00", reduction_code="disability")

    refused = post(client, BOOKINGS, data, openapi, BOOKINGS, 422)
    data["reduction_note"] = "障害者団体の定例会"
    booked = post(client, BOOKINGS, data, openapi, BOOKINGS, 201)

    assert refused["detail"][0]["loc"] == ["body", "booking", "reduction_note"]
    assert booked["reduction"] == "requested"
    assert booked["reduction_code"] == "disability"


# --- the resident's bookings ----------------------------------------------------------------------


def test_a_resident_lists_their_own_bookings_only_latest_first(
    openapi: dict[str, Any], resident: User
) -> None:
    hall = gym()
    day = open_day()
    mine = [
        services.book(
            request_for(hall, day + dt.timedelta(days=n), "10:00", "12:00"), user=resident
        )
        for n in range(3)
    ]
    other = ResidentProfileFactory.create(district=DistrictFactory.create()).user
    services.book(request_for(hall, day, "14:00", "16:00"), user=other)
    client = signed_in(resident)

    first = get(client, f"{BOOKINGS}?per_page=2", openapi, BOOKINGS)
    second = get(client, f"{BOOKINGS}?per_page=2&page=2", openapi, BOOKINGS)

    assert (first["count"], first["pages"]) == (3, 2)
    ids = [b["id"] for b in first["items"] + second["items"]]
    assert ids == [b.pk for b in reversed(mine)]


def test_another_residents_booking_is_404_to_read_and_to_cancel(
    openapi: dict[str, Any], resident: User
) -> None:
    hall = gym()
    other = ResidentProfileFactory.create(district=DistrictFactory.create()).user
    theirs = services.book(request_for(hall, open_day(), "10:00", "12:00"), user=other)
    client = signed_in(resident)

    read = get(client, f"{BOOKINGS}/{theirs.pk}", openapi, BOOKINGS + "/{booking_id}", 404)
    cancelled = post(
        client,
        f"{BOOKINGS}/{theirs.pk}/cancel",
        None,
        openapi,
        BOOKINGS + "/{booking_id}/cancel",
        404,
    )

    assert read == cancelled == {"detail": "その予約は見つかりません。", "code": "not_found"}
    theirs.refresh_from_db()
    assert theirs.status == Booking.Status.CONFIRMED
    get(client, f"{BOOKINGS}/999999", openapi, BOOKINGS + "/{booking_id}", 404)


def test_cancelling_frees_the_slot_and_keeps_the_fee_the_table_says(
    openapi: dict[str, Any], resident: User
) -> None:
    """The test room keeps nothing a week or more ahead and half the fee nearer the day."""
    facility = room()
    near = calendar.today() + dt.timedelta(days=3)
    while near.weekday() == 0:
        near += dt.timedelta(days=1)
    booking = services.book(request_for(facility, near, "09:00", "12:00"), user=resident)
    client = signed_in(resident)
    path = BOOKINGS + "/{booking_id}/cancel"

    shown = get(client, f"{BOOKINGS}/{booking.pk}", openapi, BOOKINGS + "/{booking_id}")
    body = post(
        client, f"{BOOKINGS}/{booking.pk}/cancel", {"reason": "都合により"}, openapi, path, 200
    )
    again = post(client, f"{BOOKINGS}/{booking.pk}/cancel", None, openapi, path, 409)

    assert shown["cancellation_fee_now"] == 300
    assert (body["status"], body["cancellation_fee"], body["can_cancel"]) == (
        "cancelled",
        300,
        False,
    )
    assert not Occupancy.objects.exists()
    assert again["code"] == "not_cancellable"
    booking.refresh_from_db()
    assert booking.cancel_reason == "都合により"
    # The slot is free for the next person at once.
    post(
        client,
        BOOKINGS,
        wish("kouminkan-1", "room", near, "09:00", "12:00"),
        openapi,
        BOOKINGS,
        201,
    )


def test_the_bookings_take_a_fixed_number_of_queries(resident: User) -> None:
    facility = room()
    client = signed_in(resident)
    services.book(request_for(facility, open_day(), "09:00", "12:00"), user=resident)
    few = count_queries(client, BOOKINGS)
    for weeks in range(3, 8):
        services.book(request_for(facility, open_day(weeks), "13:00", "17:00"), user=resident)
    assert count_queries(client, BOOKINGS) == few
