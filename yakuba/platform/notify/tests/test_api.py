"""The notify HTTP API (/api/notify/v2/…): its OpenAPI contract, keys, limits, idempotency, errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client
from django.utils import timezone

from yakuba.platform.accounts.models import User
from yakuba.platform.notify import api, apikeys
from yakuba.platform.notify.models import (
    ApiKey,
    Channel,
    Delivery,
    DeliveryStatus,
    Message,
    Recipient,
)
from yakuba.platform.notify.tests.factories import ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/notify/v2/notifications"


# --- A small JSON Schema check for what Django Ninja emits (as in places' API tests) --------------


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    from yakuba.config.api import api as site_api

    return json.loads(json.dumps(site_api.get_openapi_schema(), cls=DjangoJSONEncoder))


def resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def check(value: Any, schema: dict[str, Any], spec: dict[str, Any], where: str = "$") -> None:
    schema = resolve(schema, spec)
    if "anyOf" in schema:
        failures = []
        for option in schema["anyOf"]:
            try:
                check(value, option, spec, where)
                return
            except AssertionError as error:
                failures.append(str(error))
        raise AssertionError(f"{where}: matches no anyOf option: {failures}")
    types: dict[str, Any] = {
        "object": dict,
        "array": list,
        "string": str,
        "integer": int,
        "number": (int, float),
        "boolean": bool,
        "null": type(None),
    }
    kind = schema.get("type")
    if kind:
        assert isinstance(value, types[kind]), f"{where}: {value!r} is not {kind}"
    if "const" in schema:
        assert value == schema["const"], f"{where}: {value!r} != {schema['const']!r}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if kind == "object":
        for name in schema.get("required", []):
            assert name in value, f"{where}: missing {name}"
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                check(value[name], sub, spec, f"{where}.{name}")
        if schema.get("additionalProperties") is False:
            extra = set(value) - set(schema.get("properties", {}))
            assert not extra, f"{where}: unexpected {extra}"
    if kind == "array" and "items" in schema:
        for index, item in enumerate(value):
            check(item, schema["items"], spec, f"{where}[{index}]")


def response_schema(spec: dict[str, Any], path: str, method: str, status: str) -> dict[str, Any]:
    operation = spec["paths"][path][method]
    return operation["responses"][status]["content"]["application/json"]["schema"]


def request_schema(spec: dict[str, Any]) -> dict[str, Any]:
    body = spec["paths"][URL]["post"]["requestBody"]
    return body["content"]["application/json"]["schema"]


def assert_answer(
    response: Any, spec: dict[str, Any], path: str, method: str, status: int
) -> dict[str, Any]:
    assert response.status_code == status, response.content.decode()
    body: dict[str, Any] = response.json()
    check(body, response_schema(spec, path, method, str(status)), spec)
    return body


# --- Fixtures and helpers ------------------------------------------------------------------------


@pytest.fixture
def issued() -> tuple[ApiKey, str]:
    return apikeys.issue_key(by=None, name="子育て支援システム", rate_limit_per_minute=100)


@pytest.fixture
def secret(issued: tuple[ApiKey, str]) -> str:
    return issued[1]


@pytest.fixture
def resident() -> Any:
    return ResidentFactory(user__email="hanako@example.jp")


def payload(resident: Any, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "resident_id": resident.pk,
        "subject": {"ja": "健診のご案内", "en": "Health check"},
        "body": {"ja": "((氏名))様、((日付))に健診があります。", "en": "Health check on ((日付))."},
        "personalisation": {"日付": "6月1日"},
        "reference": "kenshin-0001",
    }
    data.update(overrides)
    return data


def post(client: Client, secret: str, data: Any, **headers: str) -> Any:
    body = data if isinstance(data, str) else json.dumps(data)
    return client.post(
        URL,
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}", **headers},
    )


def get(client: Client, secret: str, path: str = URL, **params: str) -> Any:
    return client.get(path, params, headers={"Authorization": f"Bearer {secret}"})


def errors_of(response: Any) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = response.json()["errors"]
    return errors


# --- The contract ---------------------------------------------------------------------------------


EXPECTED = {
    (URL, "post"): ("201", "400", "403", "409", "429"),
    (URL, "get"): ("200", "400", "403", "429"),
    (URL + "/{notification_id}", "get"): ("200", "403", "404", "429"),
}


@pytest.mark.parametrize(("where", "statuses"), EXPECTED.items())
def test_openapi_lists_the_path_with_its_response_schemas(
    openapi: dict[str, Any], where: tuple[str, str], statuses: tuple[str, ...]
) -> None:
    path, method = where
    assert method in openapi["paths"][path], sorted(openapi["paths"])
    operation = openapi["paths"][path][method]
    for status in statuses:
        assert response_schema(openapi, path, method, status)
    [requirement] = operation["security"]
    scheme = openapi["components"]["securitySchemes"][next(iter(requirement))]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


def test_openapi_documents_the_request_body(openapi: dict[str, Any], resident: Any) -> None:
    schema = request_schema(openapi)
    assert {"resident_id", "email_address", "subject", "body", "personalisation"} <= set(
        schema["properties"]
    )
    assert {"reference", "priority", "topic"} <= set(schema["properties"])
    check(payload(resident), schema, openapi)
    with pytest.raises(AssertionError):
        check(payload(resident, sender="x"), schema, openapi)


def test_openapi_json_served_to_clients_has_the_paths(client: Client) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {URL, URL + "/{notification_id}"} <= set(paths)


# --- Sending --------------------------------------------------------------------------------------


def test_a_notice_to_a_resident_by_id_is_created_with_the_key_and_reference(
    client: Client, openapi: dict[str, Any], issued: tuple[ApiKey, str], resident: Any
) -> None:
    key, secret = issued
    body = assert_answer(post(client, secret, payload(resident)), openapi, URL, "post", 201)

    message = Message.objects.get()
    assert body["id"] == str(message.pk)
    assert body["reference"] == "kenshin-0001"
    assert body["uri"].endswith(f"{URL}/{message.pk}")
    assert body["content"] == {
        "subject": "健診のご案内",
        # The client's values are filled; the resident's name is not told to the client.
        "body": "((氏名))様、6月1日に健診があります。",
    }
    assert (message.kind, message.api_key, message.reference) == (
        "notify.api",
        key,
        "kenshin-0001",
    )
    assert message.contents["en"] == {
        "subject": "Health check",
        "body": "Health check on ((日付)).",
    }
    assert list(message.recipients.values_list("user", flat=True)) == [resident.user_id]


def test_a_notice_by_email_address_finds_the_resident_whatever_the_case(
    client: Client, openapi: dict[str, Any], secret: str, resident: Any
) -> None:
    data = payload(resident, email_address="Hanako@Example.JP", subject="お知らせ", body="本文")
    del data["resident_id"]
    assert_answer(post(client, secret, data), openapi, URL, "post", 201)
    message = Message.objects.get()
    assert message.contents == {"ja": {"subject": "お知らせ", "body": "本文"}}
    assert message.recipients.get().user == resident.user


@pytest.mark.parametrize("who", ["stranger", "staff_without_profile", "inactive_resident"])
def test_an_address_that_is_not_an_active_residents_is_refused(
    client: Client, openapi: dict[str, Any], secret: str, resident: Any, who: str
) -> None:
    if who == "staff_without_profile":
        UserFactory(email="clerk@town.example.jp", is_staff=True)
        address = "clerk@town.example.jp"
    elif who == "inactive_resident":
        User.objects.filter(pk=resident.user_id).update(is_active=False)
        address = resident.user.email
    else:
        address = "someone@elsewhere.example"
    data = payload(resident, email_address=address)
    del data["resident_id"]

    body = assert_answer(post(client, secret, data), openapi, URL, "post", 400)
    assert body["errors"][0]["error"] == "BadRequestError"
    assert "email_address" in body["errors"][0]["message"]
    assert not Message.objects.exists()


def test_an_unknown_resident_id_is_refused(client: Client, secret: str, resident: Any) -> None:
    response = post(client, secret, payload(resident, resident_id=resident.pk + 100))
    assert response.status_code == 400
    assert "resident_id" in errors_of(response)[0]["message"]


def test_naming_the_resident_twice_or_not_at_all_is_refused(
    client: Client, secret: str, resident: Any
) -> None:
    both = post(client, secret, payload(resident, email_address=resident.user.email))
    neither_data = payload(resident)
    del neither_data["resident_id"]
    neither = post(client, secret, neither_data)
    for response in (both, neither):
        assert response.status_code == 400
        assert "resident_id" in errors_of(response)[0]["message"]
    assert not Message.objects.exists()


def test_a_placeholder_without_personalisation_is_refused_naming_it(
    client: Client, openapi: dict[str, Any], secret: str, resident: Any
) -> None:
    data = payload(resident, subject="健診", body="((日付))の((会場))で健診があります。")
    body = assert_answer(post(client, secret, data), openapi, URL, "post", 400)
    [error] = body["errors"]
    assert error["error"] == "BadRequestError"
    assert "personalisation" in error["message"]
    assert "会場" in error["message"]
    # ((氏名)) is the resident's own name, filled at delivery: never asked of the client.
    assert "氏名" not in error["message"]
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject": None}, "subject"),
        ({"resident_id": "abc"}, "resident_id"),
        ({"sender": "town"}, "sender"),
        ({"reference": "x" * 101}, "reference"),
        ({"priority": "urgent"}, "priority"),
        ({"personalisation": {"日付": ["6月1日"]}}, "personalisation.日付"),
    ],
)
def test_a_malformed_field_is_a_validation_error_naming_it(
    client: Client,
    openapi: dict[str, Any],
    secret: str,
    resident: Any,
    change: dict[str, Any],
    field: str,
) -> None:
    data = payload(resident, **change)
    if change.get("subject", "") is None:
        del data["subject"]
    body = assert_answer(post(client, secret, data), openapi, URL, "post", 400)
    assert body["status_code"] == 400
    assert [e["error"] for e in body["errors"]] == ["ValidationError"]
    assert field in body["errors"][0]["message"]


def test_a_body_that_is_not_json_is_a_bad_request(client: Client, secret: str) -> None:
    response = post(client, secret, "{not json")
    assert response.status_code == 400
    assert errors_of(response)[0]["error"] == "BadRequestError"


def test_text_without_japanese_is_refused(client: Client, secret: str, resident: Any) -> None:
    data = payload(resident, subject={"en": "Health check"}, body={"en": "On ((日付))."})
    response = post(client, secret, data)
    assert response.status_code == 400
    assert errors_of(response)[0]["error"] == "ValidationError"
    assert not Message.objects.exists()


def test_an_emergency_is_refused_through_the_api(
    client: Client, secret: str, resident: Any
) -> None:
    response = post(client, secret, payload(resident, priority="emergency"))
    assert response.status_code == 400
    assert "priority" in errors_of(response)[0]["message"]
    assert not Message.objects.exists()


def test_an_unknown_topic_is_refused_and_a_known_one_is_kept(
    client: Client, secret: str, resident: Any
) -> None:
    refused = post(client, secret, payload(resident, topic="gossip"))
    assert refused.status_code == 400
    assert "topic" in errors_of(refused)[0]["message"]
    assert post(client, secret, payload(resident, topic="health_welfare")).status_code == 201
    assert Message.objects.get().topic == "health_welfare"


def test_errors_are_in_japanese_unless_english_is_asked_for(
    client: Client, secret: str, resident: Any
) -> None:
    data = payload(resident)
    del data["subject"]
    japanese = post(client, secret, data)
    assert "必須" in errors_of(japanese)[0]["message"]
    assert japanese["Content-Language"] == "ja"
    english = post(client, secret, data, **{"Accept-Language": "en"})
    assert english["Content-Language"] == "en"
    assert "subject" in errors_of(english)[0]["message"]


# --- Keys and limits ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    ["", "Basic dXNlcjpwdw==", "Bearer ", "Bearer yk_00000000_unknown", "Bearer {prefix}_wrong"],
)
@pytest.mark.parametrize("method", ["post", "get"])
def test_a_missing_or_invalid_key_is_an_auth_error(
    client: Client,
    openapi: dict[str, Any],
    issued: tuple[ApiKey, str],
    resident: Any,
    authorization: str,
    method: str,
) -> None:
    key, _secret = issued
    headers = {"Authorization": authorization.format(prefix=key.prefix)} if authorization else {}
    if method == "post":
        response = client.post(
            URL, json.dumps(payload(resident)), content_type="application/json", headers=headers
        )
    else:
        response = client.get(URL, headers=headers)
    body = assert_answer(response, openapi, URL, method, 403)
    assert body["errors"][0]["error"] == "AuthError"
    assert not Message.objects.exists()


def test_a_revoked_key_is_refused(
    client: Client, issued: tuple[ApiKey, str], resident: Any
) -> None:
    key, secret = issued
    assert post(client, secret, payload(resident)).status_code == 201
    apikeys.revoke_key(key, by=None)
    response = post(client, secret, payload(resident, reference="second"))
    assert response.status_code == 403
    assert errors_of(response)[0]["error"] == "AuthError"
    assert get(client, secret).status_code == 403
    assert Message.objects.count() == 1


def test_requests_beyond_the_keys_limit_get_429_with_retry_after(
    client: Client, openapi: dict[str, Any], resident: Any
) -> None:
    _key, secret = apikeys.issue_key(by=None, name="小さい上限", rate_limit_per_minute=2)
    _other, other_secret = apikeys.issue_key(by=None, name="別のシステム")
    assert post(client, secret, payload(resident)).status_code == 201
    assert get(client, secret).status_code == 200

    refused = post(client, secret, payload(resident, reference="third"))
    body = assert_answer(refused, openapi, URL, "post", 429)
    assert body["errors"][0]["error"] == "RateLimitError"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert Message.objects.count() == 1
    # The limit is the key's own: another system is not held up.
    assert get(client, other_secret).status_code == 200


# --- Idempotency ----------------------------------------------------------------------------------


def test_a_retry_with_the_same_idempotency_key_returns_the_first_answer_and_sends_once(
    client: Client, secret: str, resident: Any
) -> None:
    first = post(client, secret, payload(resident), **{"Idempotency-Key": "req-1"})
    again = post(client, secret, payload(resident), **{"Idempotency-Key": "req-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert Message.objects.count() == 1
    assert Recipient.objects.count() == 1


def test_without_an_idempotency_key_each_request_sends(
    client: Client, secret: str, resident: Any
) -> None:
    first = post(client, secret, payload(resident))
    second = post(client, secret, payload(resident))
    assert first.json()["id"] != second.json()["id"]
    assert Message.objects.count() == 2


def test_a_retry_the_cache_forgot_is_found_by_its_reference(
    client: Client, secret: str, resident: Any
) -> None:
    first = post(client, secret, payload(resident), **{"Idempotency-Key": "req-2"})
    cache.clear()  # another worker process with its own cache, or a restart
    again = post(client, secret, payload(resident), **{"Idempotency-Key": "req-2"})
    assert again.json()["id"] == first.json()["id"]
    assert Message.objects.count() == 1


def test_an_idempotency_key_reused_for_another_request_is_refused(
    client: Client, secret: str, resident: Any
) -> None:
    post(client, secret, payload(resident), **{"Idempotency-Key": "req-3"})
    other = post(
        client, secret, payload(resident, reference="other"), **{"Idempotency-Key": "req-3"}
    )
    assert other.status_code == 400
    assert "Idempotency-Key" in errors_of(other)[0]["message"]
    assert Message.objects.count() == 1


def test_an_idempotency_key_is_the_api_keys_own(client: Client, resident: Any) -> None:
    _a, first_secret = apikeys.issue_key(by=None, name="A")
    _b, second_secret = apikeys.issue_key(by=None, name="B")
    first = post(client, first_secret, payload(resident), **{"Idempotency-Key": "same"})
    second = post(client, second_secret, payload(resident), **{"Idempotency-Key": "same"})
    assert first.json()["id"] != second.json()["id"]


def test_a_refused_request_does_not_hold_its_idempotency_key(
    client: Client, secret: str, resident: Any
) -> None:
    bad = post(client, secret, payload(resident, topic="gossip"), **{"Idempotency-Key": "req-4"})
    assert bad.status_code == 400
    fixed = post(client, secret, payload(resident), **{"Idempotency-Key": "req-4"})
    assert fixed.status_code == 201


# --- Reading notices back -------------------------------------------------------------------------


def send_one(client: Client, secret: str, resident: Any, **overrides: Any) -> str:
    response = post(client, secret, payload(resident, **overrides))
    assert response.status_code == 201, response.content
    notice_id: str = response.json()["id"]
    return notice_id


def test_a_notice_reads_back_with_each_recipients_deliveries(
    client: Client, openapi: dict[str, Any], secret: str, resident: Any
) -> None:
    notice_id = send_one(client, secret, resident)
    recipient = Recipient.objects.get()
    now = timezone.now()
    Delivery.objects.create(
        recipient=recipient,
        channel=Channel.EMAIL,
        status=DeliveryStatus.PERMANENT_FAILURE,
        completed_at=now,
    )
    Delivery.objects.create(
        recipient=recipient,
        channel=Channel.LINE,
        status=DeliveryStatus.DELIVERED,
        sent_at=now,
        completed_at=now,
    )
    path = f"{URL}/{notice_id}"
    body = assert_answer(get(client, secret, path), openapi, URL + "/{notification_id}", "get", 200)
    assert body["id"] == notice_id
    assert body["reference"] == "kenshin-0001"
    [who] = body["recipients"]
    assert who["resident_id"] == resident.pk
    assert who["status"] == "delivered"
    assert [(d["channel"], d["status"]) for d in who["deliveries"]] == [
        ("email", "permanent_failure"),
        ("line", "delivered"),
    ]
    assert body["status"] == "delivered"


def test_a_notice_whose_channels_all_failed_reads_as_failed_and_read_wins(
    client: Client, secret: str, resident: Any
) -> None:
    notice_id = send_one(client, secret, resident)
    recipient = Recipient.objects.get()
    Delivery.objects.create(
        recipient=recipient,
        channel=Channel.EMAIL,
        status=DeliveryStatus.PERMANENT_FAILURE,
        completed_at=timezone.now(),
    )
    path = f"{URL}/{notice_id}"
    assert get(client, secret, path).json()["status"] == "permanent_failure"
    Recipient.objects.filter(pk=recipient.pk).update(read_at=timezone.now())
    assert get(client, secret, path).json()["status"] == "read"


def test_another_keys_notice_and_unknown_ids_are_not_found(
    client: Client, openapi: dict[str, Any], secret: str, resident: Any
) -> None:
    _other, other_secret = apikeys.issue_key(by=None, name="別のシステム")
    notice_id = send_one(client, other_secret, resident)
    for path in (f"{URL}/{notice_id}", f"{URL}/999999", f"{URL}/not-a-number"):
        body = assert_answer(
            get(client, secret, path), openapi, URL + "/{notification_id}", "get", 404
        )
        assert body["errors"][0]["error"] == "NotFoundError"


def test_the_list_has_only_the_keys_notices_newest_first(
    client: Client, openapi: dict[str, Any], secret: str, resident: Any
) -> None:
    _other, other_secret = apikeys.issue_key(by=None, name="別のシステム")
    older = send_one(client, secret, resident, reference="a")
    newer = send_one(client, secret, resident, reference="b")
    send_one(client, other_secret, resident, reference="a")

    body = assert_answer(get(client, secret), openapi, URL, "get", 200)
    assert [n["id"] for n in body["notifications"]] == [newer, older]
    assert body["links"]["next"] is None
    only_a = get(client, secret, reference="a").json()["notifications"]
    assert [n["id"] for n in only_a] == [older]


def test_the_list_filters_by_delivery_status(client: Client, secret: str, resident: Any) -> None:
    failed = send_one(client, secret, resident, reference="failed")
    send_one(client, secret, resident, reference="waiting")
    Delivery.objects.create(
        recipient=Recipient.objects.get(message_id=int(failed)),
        channel=Channel.EMAIL,
        status=DeliveryStatus.PERMANENT_FAILURE,
        completed_at=timezone.now(),
    )
    listed = get(client, secret, status="permanent_failure").json()["notifications"]
    assert [n["id"] for n in listed] == [failed]
    refused = get(client, secret, status="lost")
    assert refused.status_code == 400
    assert "status" in errors_of(refused)[0]["message"]


def test_the_list_pages_with_older_than(
    client: Client, secret: str, resident: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api, "PAGE_SIZE", 2)
    ids = [send_one(client, secret, resident, reference=f"r{n}") for n in range(3)]
    first = get(client, secret).json()
    assert [n["id"] for n in first["notifications"]] == [ids[2], ids[1]]
    assert f"older_than={ids[1]}" in first["links"]["next"]
    second = client.get(
        first["links"]["next"], headers={"Authorization": f"Bearer {secret}"}
    ).json()
    assert [n["id"] for n in second["notifications"]] == [ids[0]]
    assert get(client, secret, older_than="x").status_code == 400
