"""Filing at the counter on a resident's behalf (窓口受付): the rules (own department only, residents
with a profile only, the same pre-fill and checks as online, source 窓口 and the clerk who took it,
a double click files once, every action audited) and the pages (who gets in, finding the
resident, the form step by step, review, the receipt number, the staff page's 受付経路, the
resident's my page)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from yakuba.modules.procedures import backoffice, backoffice_queries, engine, services
from yakuba.modules.procedures.models import (
    ApplicantKind,
    Attachment,
    Draft,
    Event,
    Procedure,
    Status,
    Submission,
)
from yakuba.modules.procedures.tests.resident_helpers import (
    DEFINITION,
    VALID_ANSWERS,
    household_member,
    make_procedure,
    make_resident,
    png_file,
)
from yakuba.modules.procedures.tests.test_backoffice import PERMISSIONS, audited, staff_of
from yakuba.platform.accounts.models import Department, User
from yakuba.platform.accounts.tests.factories import DepartmentFactory
from yakuba.platform.audit.models import AuditAction, AuditEntry
from yakuba.platform.notify.models import Recipient
from yakuba.platform.payments.collectors import PaymentState

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("staff_settings")]


@pytest.fixture
def resident() -> User:
    return make_resident(with_child=True)


@pytest.fixture
def other_department() -> Department:
    return DepartmentFactory.create(code="fukushi", name="福祉課")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def counter_url(name: str, procedure: Procedure, resident: User, *rest: str) -> str:
    return reverse(f"procedures:staff_counter_{name}", args=[procedure.code, resident.pk, *rest])


def fill_in(draft: Draft, *, by: User, answers: dict[str, Any] | None = None) -> Draft:
    for section, values in (answers or VALID_ANSWERS).items():
        draft = backoffice.save_counter_section(draft, section, copy.deepcopy(values), by=by)
    return draft


def file_for(procedure: Procedure, resident: User, clerk: User) -> Submission:
    draft = backoffice.start_counter_draft(procedure, resident, by=clerk)
    return backoffice.file_at_counter(fill_in(draft, by=clerk), by=clerk)


def post_section(
    client: Client, procedure: Procedure, resident: User, section: str, answers: dict[str, Any]
) -> Any:
    data = {
        key: value
        for key, value in engine.form_data(DEFINITION, answers).items()
        if key.startswith(section + "-")
    }
    return client.post(counter_url("section", procedure, resident, section), data)


def counter_entries(resident: User) -> list[tuple[str, str]]:
    return list(
        AuditEntry.objects.filter(subject_user_id=resident.pk, reason=backoffice.COUNTER)
        .order_by("pk")
        .values_list("action", "object_type")
    )


# --- the rules --------------------------------------------------------------------------------------


def test_a_counter_filing_is_the_residents_application_taken_by_the_clerk(
    procedure: Procedure, clerk: User, resident: User
) -> None:
    submission = file_for(procedure, resident, clerk)

    assert submission.source == Submission.Source.COUNTER
    assert submission.applicant == resident
    assert submission.applicant_name == "亘理 花子"
    assert submission.department == procedure.department
    assert submission.status == Status.RECEIVED
    assert submission.receipt_number.endswith("-000001")
    assert submission.digest == engine.digest(submission.answers)
    received = Event.objects.get(submission=submission)
    assert (received.kind, received.status, received.author) == (
        Event.Kind.STATUS,
        Status.RECEIVED,
        clerk,
    )
    assert received.text == "窓口で受け付けました。"
    assert backoffice_queries.counter_clerk_name(submission) == "窓口 一郎"
    assert not Draft.objects.exists()


def test_the_fee_and_the_notice_work_as_for_an_online_filing(
    procedure: Procedure, clerk: User, resident: User
) -> None:
    submission = file_for(procedure, resident, clerk)

    assert submission.fee_amount == 600
    assert submission.payment == PaymentState.AT_COUNTER
    kinds = [r.message.kind for r in Recipient.objects.filter(user=resident)]
    assert kinds == ["procedures.received"]


def test_the_form_is_prefilled_from_the_residents_profile_as_online(
    procedure: Procedure, clerk: User, resident: User
) -> None:
    at_counter = backoffice.start_counter_draft(procedure, resident, by=clerk).answers
    backoffice.discard_counter_draft(Draft.objects.get(), by=clerk)
    online = services.start_draft(resident, procedure).answers

    assert at_counter == online
    assert at_counter["applicant"] == {"name": "亘理 花子", "phone": "0223-34-1111"}


def test_a_household_members_application_is_for_that_member(
    procedure: Procedure, clerk: User, resident: User
) -> None:
    member = household_member(resident)
    draft = backoffice.start_counter_draft(
        procedure,
        resident,
        by=clerk,
        applicant_kind=ApplicantKind.HOUSEHOLD,
        household_member=member,
    )
    assert draft.answers["applicant"]["name"] == "亘理 さくら"
    submission = backoffice.file_at_counter(fill_in(draft, by=clerk), by=clerk)
    assert (submission.applicant_kind, submission.subject_name) == (
        ApplicantKind.HOUSEHOLD,
        "亘理 さくら",
    )


def test_a_draft_the_resident_began_online_is_continued(
    procedure: Procedure, clerk: User, resident: User
) -> None:
    services.save_draft(resident, procedure, {"request": {"copies": 3}})

    draft = backoffice.start_counter_draft(procedure, resident, by=clerk)

    assert draft.answers["request"] == {"copies": 3}
    assert Draft.objects.count() == 1
    assert audited(AuditAction.UPDATE, draft)[0].reason == backoffice.COUNTER


def test_a_clerk_cannot_file_another_departments_procedure(
    procedure: Procedure, resident: User, other_department: Department
) -> None:
    stranger = staff_of(other_department, *PERMISSIONS)
    with pytest.raises(PermissionDenied):
        backoffice.start_counter_draft(procedure, resident, by=stranger)
    assert not Draft.objects.exists()

    draft = services.save_draft(resident, procedure, VALID_ANSWERS)
    with pytest.raises(PermissionDenied):
        backoffice.save_counter_section(draft, "request", {"copies": 9}, by=stranger)
    with pytest.raises(PermissionDenied):
        backoffice.attach_counter_file(draft, "request.proof", png_file(), by=stranger)
    with pytest.raises(PermissionDenied):
        backoffice.discard_counter_draft(draft, by=stranger)
    with pytest.raises(PermissionDenied):
        backoffice.file_at_counter(draft, by=stranger)
    assert not Submission.objects.exists()
    assert Draft.objects.get().answers == VALID_ANSWERS
    assert not AuditEntry.objects.filter(actor_id=stranger.pk).exists()


def test_a_superuser_may_file_any_departments_procedure(
    procedure: Procedure, resident: User
) -> None:
    admin = User.objects.create_superuser(email="admin@example.jp", password="x")
    assert file_for(procedure, resident, admin).source == Submission.Source.COUNTER


@pytest.mark.parametrize("who", ["staff", "inactive", "no_profile"])
def test_only_residents_with_a_profile_can_be_filed_for(
    procedure: Procedure, clerk: User, resident: User, who: str
) -> None:
    if who == "staff":
        person = staff_of(procedure.department, name="別の 職員")
    elif who == "inactive":
        User.objects.filter(pk=resident.pk).update(is_active=False)
        person = User.objects.get(pk=resident.pk)
    else:
        person = User.objects.create_user(email="noprofile@example.jp", password="x")
    with pytest.raises(ValidationError, match="町民情報が登録されている方"):
        backoffice.start_counter_draft(procedure, person, by=clerk)
    assert not Draft.objects.exists()


def test_answers_the_form_refuses_are_named_and_nothing_is_filed(
    procedure: Procedure, clerk: User, resident: User
) -> None:
    draft = backoffice.start_counter_draft(procedure, resident, by=clerk)
    draft = fill_in(draft, by=clerk, answers={"request": {"copies": 11, "delivery": "pickup"}})

    with pytest.raises(ValidationError) as refused:
        backoffice.file_at_counter(draft, by=clerk)

    assert "request.copies" in refused.value.message_dict
    assert not Submission.objects.exists()
    assert Draft.objects.filter(pk=draft.pk).exists()
    assert not AuditEntry.objects.filter(object_type="procedures.submission").exists()


def test_a_second_click_files_once(procedure: Procedure, clerk: User, resident: User) -> None:
    draft = fill_in(backoffice.start_counter_draft(procedure, resident, by=clerk), by=clerk)
    backoffice.file_at_counter(draft, by=clerk)
    with pytest.raises(services.AlreadySubmitted):
        backoffice.file_at_counter(draft, by=clerk)
    assert Submission.objects.count() == 1


def test_every_counter_action_is_audited_with_the_resident(
    procedure: Procedure, clerk: User, resident: User
) -> None:
    draft = backoffice.start_counter_draft(procedure, resident, by=clerk)
    draft = fill_in(draft, by=clerk)
    attachment = backoffice.attach_counter_file(draft, "request.proof", png_file(), by=clerk)
    submission = backoffice.file_at_counter(draft, by=clerk)

    assert counter_entries(resident) == [
        (AuditAction.CREATE, "procedures.draft"),
        (AuditAction.UPDATE, "procedures.draft"),
        (AuditAction.UPDATE, "procedures.draft"),
        (AuditAction.CREATE, "procedures.attachment"),
        (AuditAction.CREATE, "procedures.submission"),
    ]
    assert set(
        AuditEntry.objects.filter(reason=backoffice.COUNTER).values_list("actor_id", flat=True)
    ) == {clerk.pk}
    filed = audited(AuditAction.CREATE, submission)[0]
    assert filed.changes == {"source": "counter", "receipt_number": submission.receipt_number}
    # The document the clerk scanned is the clerk's upload, filed with the application.
    attachment.refresh_from_db()
    assert (attachment.uploaded_by, attachment.submission) == (clerk, submission)


def test_discarding_a_counter_filing_removes_the_draft_and_its_files(
    procedure: Procedure, clerk: User, resident: User
) -> None:
    draft = backoffice.start_counter_draft(procedure, resident, by=clerk)
    backoffice.attach_counter_file(draft, "request.proof", png_file(), by=clerk)

    backoffice.discard_counter_draft(draft, by=clerk)

    assert not Draft.objects.exists() and not Attachment.objects.exists()
    assert counter_entries(resident)[-1] == (AuditAction.DELETE, "procedures.draft")


def test_who_took_a_filing_is_named_only_for_counter_filings(
    procedure: Procedure, clerk: User, resident: User
) -> None:
    online = services.submit(
        services.save_draft(resident, procedure, VALID_ANSWERS), applicant=resident
    )
    at_counter = file_for(procedure, resident, clerk)
    assert backoffice_queries.counter_clerk_name(online) == ""
    clerk.delete()
    assert backoffice_queries.counter_clerk_name(at_counter) == "不明"


def test_only_published_procedures_of_the_clerks_department_are_offered(
    procedure: Procedure, clerk: User, other_department: Department
) -> None:
    make_procedure(code="draft-only", title="準備中の手続き", is_published=False)
    theirs = make_procedure(code="fukushi-tetsuzuki", title="福祉の手続き")
    Procedure.objects.filter(pk=theirs.pk).update(department=other_department)
    assert list(backoffice_queries.counter_procedures(clerk)) == [procedure]


# --- the pages --------------------------------------------------------------------------------------


def test_the_counter_needs_the_permission_to_process_applications(
    procedure: Procedure, resident: User
) -> None:
    urls = [
        reverse("procedures:staff_counter"),
        counter_url("start", procedure, resident),
        counter_url("review", procedure, resident),
    ]
    for url in urls:
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert signed_in(resident).get(url).status_code == 403
        viewer = staff_of(procedure.department, "procedures.view_submission")
        assert signed_in(viewer).get(url).status_code == 403


def test_another_departments_procedure_or_a_staff_account_is_not_found(
    procedure: Procedure, resident: User, other_department: Department
) -> None:
    stranger = signed_in(staff_of(other_department, *PERMISSIONS))
    assert stranger.get(counter_url("start", procedure, resident)).status_code == 404
    response = stranger.post(counter_url("start", procedure, resident), {"applicant_kind": "self"})
    assert response.status_code == 404
    clerk = staff_of(procedure.department, *PERMISSIONS)
    colleague = staff_of(procedure.department, name="同僚")
    assert signed_in(clerk).get(counter_url("start", procedure, colleague)).status_code == 404
    assert not Draft.objects.exists()


def test_the_search_lists_residents_for_the_chosen_procedure_and_audits_the_list(
    procedure: Procedure, clerk: User, resident: User
) -> None:
    response = signed_in(clerk).get(
        reverse("procedures:staff_counter"), {"procedure": procedure.code, "q": "はなこ"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "亘理 花子" in page
    assert counter_url("start", procedure, resident) in page
    read = AuditEntry.objects.get(action=AuditAction.READ, subject_user_id=resident.pk)
    assert read.reason == backoffice.COUNTER


def test_the_search_refuses_another_departments_procedure(
    procedure: Procedure, clerk: User, resident: User, other_department: Department
) -> None:
    theirs = make_procedure(code="fukushi-tetsuzuki", title="福祉の手続き")
    Procedure.objects.filter(pk=theirs.pk).update(department=other_department)
    response = signed_in(clerk).get(
        reverse("procedures:staff_counter"), {"procedure": theirs.code, "q": "はなこ"}
    )
    assert response.status_code == 400
    assert "福祉の手続き" not in response.content.decode()
    assert "亘理 花子" not in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditAction.READ).exists()


def test_the_search_asks_for_a_procedure_and_a_name(procedure: Procedure, clerk: User) -> None:
    response = signed_in(clerk).get(reverse("procedures:staff_counter"), {"q": ""})
    page = response.content.decode()
    assert response.status_code == 400
    assert "受け付ける手続きを選んでください。" in page
    assert "探す方の氏名・ふりがな・メールアドレス・電話番号を入力してください。" in page


def test_a_clerk_files_step_by_step_and_gets_the_receipt_number(
    procedure: Procedure, clerk: User, resident: User
) -> None:
    client = signed_in(clerk)
    start_page = client.get(counter_url("start", procedure, resident)).content.decode()
    assert "本人確認書類と見比べてください。" in start_page

    response = client.post(counter_url("start", procedure, resident), {"applicant_kind": "self"})
    assert response["Location"] == counter_url("form", procedure, resident)
    form_page = client.get(counter_url("section", procedure, resident, "applicant"))
    assert 'value="亘理 花子"' in form_page.content.decode()

    response = post_section(client, procedure, resident, "applicant", VALID_ANSWERS)
    assert response["Location"] == counter_url("section", procedure, resident, "request")
    response = post_section(client, procedure, resident, "request", VALID_ANSWERS)
    assert response["Location"] == counter_url("review", procedure, resident)
    review = client.get(counter_url("review", procedure, resident)).content.decode()
    assert "この内容で受け付ける" in review and "600円" in review

    response = client.post(counter_url("submit", procedure, resident))
    submission = Submission.objects.get()
    assert response["Location"] == reverse(
        "procedures:staff_counter_received", args=[submission.pk]
    )
    receipt = client.get(response["Location"]).content.decode()
    assert submission.receipt_number in receipt
    assert "窓口で受け取った（支払い済みにする）" in receipt
    assert submission.source == Submission.Source.COUNTER
    assert submission.answers["request"] == {"copies": 2, "delivery": "pickup"}


def test_a_section_the_form_refuses_is_shown_again_with_its_errors(
    procedure: Procedure, clerk: User, resident: User
) -> None:
    client = signed_in(clerk)
    client.post(counter_url("start", procedure, resident), {"applicant_kind": "self"})
    response = post_section(
        client, procedure, resident, "request", {"request": {"copies": 0, "delivery": "pickup"}}
    )
    assert response.status_code == 400
    assert "error-summary" in response.content.decode()


def test_an_incomplete_application_cannot_be_filed_from_the_review(
    procedure: Procedure, clerk: User, resident: User
) -> None:
    client = signed_in(clerk)
    client.post(counter_url("start", procedure, resident), {"applicant_kind": "self"})
    review = client.get(counter_url("review", procedure, resident)).content.decode()
    assert "受け付ける前に、次のところを直してください" in review
    assert "この内容で受け付ける" not in review

    response = client.post(counter_url("submit", procedure, resident))
    assert response.status_code == 400
    assert not Submission.objects.exists()


def test_a_second_click_on_file_shows_the_same_receipt(
    procedure: Procedure, clerk: User, resident: User
) -> None:
    client = signed_in(clerk)
    fill_in(backoffice.start_counter_draft(procedure, resident, by=clerk), by=clerk)
    first = client.post(counter_url("submit", procedure, resident))
    second = client.post(counter_url("submit", procedure, resident))
    assert first["Location"] == second["Location"]
    assert Submission.objects.count() == 1


def test_the_staff_page_names_the_clerk_who_took_it_and_the_resident_sees_it(
    procedure: Procedure, clerk: User, resident: User
) -> None:
    submission = file_for(procedure, resident, clerk)
    colleague = staff_of(procedure.department, *PERMISSIONS, name="審査 花子")

    page = signed_in(colleague).get(reverse("procedures:staff_submission", args=[submission.pk]))
    assert "窓口（受付者: 窓口 一郎）" in page.content.decode()

    mine = signed_in(resident).get(reverse("procedures:mine")).content.decode()
    assert submission.receipt_number in mine
    own = signed_in(resident).get(reverse("procedures:submission", args=[submission.pk]))
    assert "窓口で受け付けました。" in own.content.decode()


def test_discarding_from_the_page_returns_to_the_search(
    procedure: Procedure, clerk: User, resident: User
) -> None:
    client = signed_in(clerk)
    backoffice.start_counter_draft(procedure, resident, by=clerk)
    response = client.post(counter_url("discard", procedure, resident))
    assert response["Location"] == reverse("procedures:staff_counter")
    assert not Draft.objects.exists()


def test_the_receipt_page_is_for_the_departments_counter_filings_only(
    procedure: Procedure, clerk: User, resident: User, other_department: Department
) -> None:
    at_counter = file_for(procedure, resident, clerk)
    online = services.submit(
        services.save_draft(make_resident("other@example.jp"), procedure, VALID_ANSWERS),
        applicant=User.objects.get(email="other@example.jp"),
    )
    client = signed_in(clerk)
    response = client.get(reverse("procedures:staff_counter_received", args=[online.pk]))
    assert response["Location"] == reverse("procedures:staff_submission", args=[online.pk])
    stranger = signed_in(staff_of(other_department, *PERMISSIONS))
    url = reverse("procedures:staff_counter_received", args=[at_counter.pk])
    assert stranger.get(url).status_code == 404


def test_the_queue_links_to_the_counter_and_the_package_upload(
    procedure: Procedure, clerk: User
) -> None:
    page = signed_in(clerk).get(reverse("procedures:staff_queue")).content.decode()
    assert reverse("procedures:staff_counter") in page
    assert reverse("procedures:staff_mynaportal") in page
    viewer = staff_of(procedure.department, "procedures.view_submission")
    page = signed_in(viewer).get(reverse("procedures:staff_queue")).content.decode()
    assert reverse("procedures:staff_counter") not in page
