"""The procedures API: its OpenAPI contract (every answer validated against /api/openapi.json with
jsonschema), the public catalogue, and the resident's own applications — 401 without a sign-in,
404 for another resident's, and a number of queries that does not grow with the data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from jsonschema import Draft202012Validator

from yakuba.modules.procedures import services
from yakuba.modules.procedures.models import (
    Event,
    FormVersion,
    Procedure,
    Status,
    Submission,
)
from yakuba.modules.procedures.tests.resident_helpers import (
    DEFINITION,
    VALID_ANSWERS,
    ask_for_correction,
    make_procedure,
    make_resident,
)
from yakuba.platform.accounts.models import User

pytestmark = pytest.mark.django_db

EXPECTED = {
    "/api/procedures/": ("200",),
    "/api/procedures/{code}": ("200", "404"),
    "/api/procedures/{code}/versions/{number}": ("200", "404"),
    "/api/procedures/submissions/": ("200", "401"),
    "/api/procedures/submissions/{receipt_number}": ("200", "401", "404"),
}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def openapi(client: Client) -> dict[str, Any]:
    spec: dict[str, Any] = client.get("/api/openapi.json").json()
    return spec


def valid(body: Any, openapi: dict[str, Any], path: str, status: str = "200") -> Any:
    """Check `body` against the schema the OpenAPI document gives for `path` and `status`."""
    operation = openapi["paths"][path]["get"]
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    validator = Draft202012Validator(
        {**schema, "components": openapi["components"]},
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    validator.validate(body)
    return body


def get(client: Client, url: str, openapi: dict[str, Any], path: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.content
    return valid(response.json(), openapi, path, str(status))


def filed(user: User, procedure: Procedure) -> Submission:
    draft = services.save_draft(user, procedure, VALID_ANSWERS)
    return services.submit(draft, applicant=user)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# --- the contract ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "statuses"), EXPECTED.items())
def test_openapi_describes_every_endpoint_and_its_answers(
    openapi: dict[str, Any], path: str, statuses: tuple[str, ...]
) -> None:
    assert path in openapi["paths"], sorted(openapi["paths"])
    responses = openapi["paths"][path]["get"]["responses"]
    for status in statuses:
        assert responses[status]["content"]["application/json"]["schema"]


def test_the_submissions_endpoints_declare_the_session_sign_in(openapi: dict[str, Any]) -> None:
    for path in ("/api/procedures/submissions/", "/api/procedures/submissions/{receipt_number}"):
        assert openapi["paths"][path]["get"]["security"]
    assert "security" not in openapi["paths"]["/api/procedures/"]["get"]


# --- the catalogue --------------------------------------------------------------------------------


def test_the_catalogue_lists_published_procedures_only(
    client: Client, openapi: dict[str, Any]
) -> None:
    make_procedure(code="juminhyo", order=2, fee_kind="computed", fee_amount=300, target_days=3)
    make_procedure(code="inkan", title="印鑑登録証明書", order=1)
    make_procedure(code="hidden", is_published=False)

    body = get(client, "/api/procedures/", openapi, "/api/procedures/")

    assert [item["code"] for item in body] == ["inkan", "juminhyo"]
    juminhyo = body[1]
    assert juminhyo["form_version"] == 1
    assert (juminhyo["fee_kind"], juminhyo["fee_amount"], juminhyo["target_days"]) == (
        "computed",
        300,
        3,
    )
    assert juminhyo["life_events"] == ["moving"]
    assert juminhyo["applicant_kinds"] == ["self", "household", "agent"]
    assert juminhyo["category_label"] == "証明書・住民票"


def test_the_catalogue_gives_the_number_of_the_latest_published_version(
    client: Client, openapi: dict[str, Any]
) -> None:
    procedure = make_procedure()
    FormVersion.objects.create(
        procedure=procedure, number=2, definition=DEFINITION, published_at=timezone.now()
    )
    FormVersion.objects.create(procedure=procedure, number=3, definition=DEFINITION)

    body = get(client, "/api/procedures/", openapi, "/api/procedures/")

    assert body[0]["form_version"] == 2


def test_a_procedure_comes_with_its_current_form(client: Client, openapi: dict[str, Any]) -> None:
    make_procedure(eligibility="本人または同じ世帯の人", identity_check=True)

    body = get(client, "/api/procedures/juminhyo", openapi, "/api/procedures/{code}")

    assert body["eligibility"] == "本人または同じ世帯の人"
    assert body["identity_check"] is True
    assert body["form"]["number"] == 1
    assert body["form"]["definition"] == DEFINITION


@pytest.mark.parametrize("code", ["unknown", "hidden"])
def test_an_unknown_or_unpublished_procedure_is_404(
    client: Client, openapi: dict[str, Any], code: str
) -> None:
    make_procedure(code="hidden", is_published=False)

    body = get(client, f"/api/procedures/{code}", openapi, "/api/procedures/{code}", 404)

    assert body["detail"]


def test_a_published_version_of_a_form_is_served(client: Client, openapi: dict[str, Any]) -> None:
    make_procedure()

    body = get(
        client,
        "/api/procedures/juminhyo/versions/1",
        openapi,
        "/api/procedures/{code}/versions/{number}",
    )

    assert body["number"] == 1
    assert body["definition"]["format"] == "yakuba.procedures.form/1"


@pytest.mark.parametrize("number", [2, 9])
def test_an_unpublished_or_unknown_version_is_404(
    client: Client, openapi: dict[str, Any], number: int
) -> None:
    procedure = make_procedure()
    FormVersion.objects.create(procedure=procedure, number=2, definition=DEFINITION)

    get(
        client,
        f"/api/procedures/juminhyo/versions/{number}",
        openapi,
        "/api/procedures/{code}/versions/{number}",
        404,
    )


def test_the_versions_of_an_unpublished_procedure_are_404(
    client: Client, openapi: dict[str, Any]
) -> None:
    make_procedure(is_published=False)

    get(
        client,
        "/api/procedures/juminhyo/versions/1",
        openapi,
        "/api/procedures/{code}/versions/{number}",
        404,
    )


def test_the_catalogue_takes_a_fixed_number_of_queries(client: Client) -> None:
    make_procedure(code="first")
    few = count_queries(client, "/api/procedures/")
    for code in ("second", "third", "fourth"):
        make_procedure(code=code)

    assert count_queries(client, "/api/procedures/") == few == 1


# --- the resident's applications -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("/api/procedures/submissions/", "/api/procedures/submissions/"),
        ("/api/procedures/submissions/2026-000001", "/api/procedures/submissions/{receipt_number}"),
    ],
)
def test_the_applications_need_a_sign_in(
    client: Client, openapi: dict[str, Any], url: str, path: str
) -> None:
    get(client, url, openapi, path, 401)


def test_a_resident_lists_their_own_applications_only(openapi: dict[str, Any]) -> None:
    procedure = make_procedure()
    hanako, taro = make_resident(), make_resident("taro@example.jp")
    mine = filed(hanako, procedure)
    filed(taro, procedure)

    body = get(
        signed_in(hanako),
        "/api/procedures/submissions/",
        openapi,
        "/api/procedures/submissions/",
    )

    assert body["count"] == 1
    item = body["items"][0]
    assert item["receipt_number"] == mine.receipt_number
    assert (item["procedure_code"], item["procedure_title"]) == ("juminhyo", procedure.title)
    assert (item["status"], item["status_label"]) == ("received", "受付")
    assert item["closed_at"] is None


def test_the_applications_paginate() -> None:
    procedure, hanako = make_procedure(), make_resident()
    for _ in range(3):
        filed(hanako, procedure)

    body = signed_in(hanako).get("/api/procedures/submissions/", {"per_page": 2, "page": 2}).json()

    assert (body["count"], body["pages"], len(body["items"])) == (3, 2, 1)


def test_a_resident_reads_their_application_with_history_answers_and_digest(
    openapi: dict[str, Any],
) -> None:
    hanako = make_resident()
    submission = filed(hanako, make_procedure())
    Event.objects.create(submission=submission, kind=Event.Kind.NOTE, text="内部のメモ")
    Event.objects.create(submission=submission, kind=Event.Kind.ASSIGNED, text="担当: 佐藤")
    Event.objects.create(
        submission=submission, kind=Event.Kind.TO_APPLICANT, text="書類を確認しています。"
    )

    body = get(
        signed_in(hanako),
        f"/api/procedures/submissions/{submission.receipt_number}",
        openapi,
        "/api/procedures/submissions/{receipt_number}",
    )

    assert [(e["kind"], e["status"], e["text"]) for e in body["history"]] == [
        ("status", "received", ""),
        ("to_applicant", "", "書類を確認しています。"),
    ]
    assert "内部のメモ" not in str(body)
    assert body["answers"] == submission.answers
    assert body["digest"] == body["current_digest"] == submission.digest
    assert body["source"] == "web"
    assert body["pdf_url"] is None


def test_the_answers_include_the_applicants_amendments(openapi: dict[str, Any]) -> None:
    hanako = make_resident()
    submission = filed(hanako, make_procedure())
    ask_for_correction(submission, ["request.copies"])
    services.answer_correction(submission, applicant=hanako, changes={"request.copies": 3})

    body = get(
        signed_in(hanako),
        f"/api/procedures/submissions/{submission.receipt_number}",
        openapi,
        "/api/procedures/submissions/{receipt_number}",
    )

    assert body["answers"]["request"]["copies"] == 3
    assert body["digest"] == submission.digest
    assert body["current_digest"] == submission.amendments.get().digest != submission.digest
    correction = next(e for e in body["history"] if e["status"] == Status.CORRECTION)
    assert correction["requested_fields"] == ["request.copies"]


def test_the_pdf_url_is_given_once_the_copy_is_made(openapi: dict[str, Any]) -> None:
    hanako = make_resident()
    submission = filed(hanako, make_procedure())
    submission.pdf.save("copy.pdf", ContentFile(b"%PDF-1.4\n"), save=True)

    body = get(
        signed_in(hanako),
        f"/api/procedures/submissions/{submission.receipt_number}",
        openapi,
        "/api/procedures/submissions/{receipt_number}",
    )

    assert body["pdf_url"] == f"/procedures/mine/{submission.pk}/pdf/"


@pytest.mark.parametrize("number", ["other", "2099-999999"])
def test_another_residents_or_an_unknown_application_is_404(
    openapi: dict[str, Any], number: str
) -> None:
    procedure = make_procedure()
    taros = filed(make_resident("taro@example.jp"), procedure)
    receipt = taros.receipt_number if number == "other" else number

    body = get(
        signed_in(make_resident()),
        f"/api/procedures/submissions/{receipt}",
        openapi,
        "/api/procedures/submissions/{receipt_number}",
        404,
    )

    assert taros.applicant_name not in str(body)


def test_the_applications_take_a_fixed_number_of_queries() -> None:
    procedure, hanako = make_procedure(), make_resident()
    first = filed(hanako, procedure)
    client = signed_in(hanako)
    detail = f"/api/procedures/submissions/{first.receipt_number}"
    list_queries = count_queries(client, "/api/procedures/submissions/")
    detail_queries = count_queries(client, detail)

    for _ in range(3):
        filed(hanako, procedure)
    for text in ("一", "二", "三"):
        Event.objects.create(submission=first, kind=Event.Kind.TO_APPLICANT, text=text)
    ask_for_correction(first, ["request.copies"])
    services.answer_correction(first, applicant=hanako, changes={"request.copies": 4})

    assert count_queries(client, "/api/procedures/submissions/") == list_queries
    assert count_queries(client, detail) == detail_queries
