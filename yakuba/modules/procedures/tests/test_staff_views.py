"""The back office pages over HTTP: who gets in (anonymous → sign-in, residents → 403, staff
without the permission → 403, another department → 404), the audited reads (submission page,
attachment, PDF copy, print view), the actions and their error summaries, the bulk change, a
clerk's correction through the form engine, and the signature check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from yakuba.modules.procedures import backoffice, services
from yakuba.modules.procedures.models import Event, Procedure, Status, Submission
from yakuba.modules.procedures.signing import create_demo_certificate
from yakuba.modules.procedures.tests.resident_helpers import (
    VALID_ANSWERS,
    make_resident,
    png_file,
)
from yakuba.modules.procedures.tests.test_backoffice import PERMISSIONS, staff_of
from yakuba.platform.accounts.models import Department, User
from yakuba.platform.accounts.tests.factories import DepartmentFactory, StaffFactory
from yakuba.platform.audit.models import AuditAction, AuditEntry
from yakuba.platform.payments.collectors import PaymentState

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("staff_settings")]


@pytest.fixture(autouse=True)
def _signing(settings: Any, tmp_path: Path) -> None:
    settings.PROCEDURES_SIGNING_CERT = tmp_path / "signing" / "cert.pem"
    settings.PROCEDURES_SIGNING_KEY = tmp_path / "signing" / "key.pem"


@pytest.fixture
def submission(procedure: Procedure) -> Submission:
    user = make_resident()
    draft = services.save_draft(user, procedure, VALID_ANSWERS)
    services.attach_file(draft, "request.proof", png_file())
    return services.submit(draft, applicant=user)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def reads_of(obj: Any) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            action=AuditAction.READ, object_type=obj._meta.label_lower, object_id=str(obj.pk)
        )
    )


def page_urls(submission: Submission) -> list[str]:
    return [
        reverse("procedures:staff_queue"),
        reverse("procedures:staff_export"),
        reverse("procedures:staff_submission", args=[submission.pk]),
        reverse("procedures:staff_print", args=[submission.pk]),
        reverse("procedures:staff_attachment", args=[submission.attachments.get().pk]),
    ]


# --- who gets in ------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(submission: Submission) -> None:
    for url in page_urls(submission):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_residents_are_refused(submission: Submission) -> None:
    client = signed_in(submission.applicant)  # type: ignore[arg-type]
    for url in page_urls(submission):
        assert client.get(url).status_code == 403


def test_staff_without_the_permission_are_refused(
    procedure: Procedure, submission: Submission
) -> None:
    client = signed_in(staff_of(procedure.department))
    for url in page_urls(submission):
        assert client.get(url).status_code == 403
    viewer = signed_in(staff_of(procedure.department, "procedures.view_submission"))
    response = viewer.post(
        reverse("procedures:staff_note", args=[submission.pk]), {"note-text": "メモ"}
    )
    assert response.status_code == 403


def test_another_departments_staff_get_not_found(submission: Submission) -> None:
    other: Department = DepartmentFactory.create(code="fukushi", name="福祉課")
    client = signed_in(staff_of(other, *PERMISSIONS))
    for url in page_urls(submission)[2:]:
        assert client.get(url).status_code == 404
    assert client.get(reverse("procedures:staff_pdf", args=[submission.pk])).status_code == 404
    response = client.post(
        reverse("procedures:staff_status", args=[submission.pk]), {"status": "reviewing"}
    )
    assert response.status_code == 404
    queue = client.get(reverse("procedures:staff_queue"))
    assert submission.receipt_number not in queue.content.decode()
    assert not reads_of(submission)


# --- reading ----------------------------------------------------------------------------------------


def test_the_queue_lists_the_departments_open_submissions(
    clerk: User, submission: Submission
) -> None:
    response = signed_in(clerk).get(reverse("procedures:staff_queue"))
    assert response.status_code == 200
    page = response.content.decode()
    assert submission.receipt_number in page and "亘理 花子" in page


def test_opening_a_submission_its_attachment_copy_and_print_view_is_audited(
    clerk: User, submission: Submission
) -> None:
    client = signed_in(clerk)
    page = client.get(reverse("procedures:staff_submission", args=[submission.pk]))
    assert page.status_code == 200
    assert "亘理 花子" in page.content.decode() and "card.png" in page.content.decode()
    attachment = submission.attachments.get()
    download = client.get(reverse("procedures:staff_attachment", args=[attachment.pk]))
    assert download.status_code == 200 and download["Cache-Control"] == "private, no-store"
    assert client.get(reverse("procedures:staff_print", args=[submission.pk])).status_code == 200
    reads = reads_of(submission)
    assert len(reads) == 2
    assert {r.actor_id for r in reads} == {clerk.pk}
    assert {r.subject_user_id for r in reads} == {submission.applicant_id}
    assert len(reads_of(attachment)) == 1


def test_the_signature_of_the_copy_is_checked(clerk: User, submission: Submission) -> None:
    create_demo_certificate()
    services.store_pdf(submission)
    client = signed_in(clerk)
    url = reverse("procedures:staff_submission", args=[submission.pk])
    assert "改ざんされていません" in client.get(url, {"verify": "1"}).content.decode()
    pdf = client.get(reverse("procedures:staff_pdf", args=[submission.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    submission.refresh_from_db()
    content = submission.pdf.read()
    submission.pdf.close()
    with submission.pdf.storage.open(submission.pdf.name, "wb") as handle:
        handle.write(content.replace(b"/Producer", b"/Pxoducer", 1) + b"\n%tampered")
    assert "改ざんされていません" not in client.get(url, {"verify": "1"}).content.decode()


# --- acting -----------------------------------------------------------------------------------------


def test_a_status_change_from_the_page(clerk: User, submission: Submission) -> None:
    client = signed_in(clerk)
    response = client.post(
        reverse("procedures:staff_status", args=[submission.pk]),
        {"status": "reviewing", "message": "審査を始めました。"},
    )
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Status.REVIEWING


def test_a_refused_status_change_shows_the_error_summary(
    clerk: User, submission: Submission
) -> None:
    backoffice.change_status(submission, status=Status.COMPLETED, by=clerk)
    response = signed_in(clerk).post(
        reverse("procedures:staff_status", args=[submission.pk]), {"status": "reviewing"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="error-summary"' in page and "「完了」から「審査中」には変えられません。" in page


def test_a_correction_request_from_the_page_needs_a_ticked_field(
    clerk: User, submission: Submission
) -> None:
    client = signed_in(clerk)
    url = reverse("procedures:staff_request_correction", args=[submission.pk])
    response = client.post(url, {"correction-message": "通数を確認してください。"})
    assert response.status_code == 400
    assert "直してほしい項目を一つ以上選んでください。" in response.content.decode()
    response = client.post(
        url,
        {
            "correction-fields_to_correct": ["request.copies"],
            "correction-message": "通数を確認してください。",
        },
    )
    assert response.status_code == 302
    event = submission.events.get(status=Status.CORRECTION)
    assert event.requested_fields == ["request.copies"]


def test_notes_messages_assignment_and_payment_from_the_page(
    clerk: User, submission: Submission
) -> None:
    client = signed_in(clerk)
    pk = submission.pk
    assert (
        client.post(reverse("procedures:staff_note", args=[pk]), {"note-text": "確認中"})
    ).status_code == 302
    assert (
        client.post(reverse("procedures:staff_message", args=[pk]), {"message-text": "ご連絡"})
    ).status_code == 302
    assert (
        client.post(reverse("procedures:staff_assign", args=[pk]), {"assignee": clerk.pk})
    ).status_code == 302
    assert client.post(reverse("procedures:staff_mark_paid", args=[pk])).status_code == 302
    submission.refresh_from_db()
    assert submission.assignee == clerk and submission.payment == PaymentState.PAID
    kinds = set(submission.events.values_list("kind", flat=True))
    assert {Event.Kind.NOTE, Event.Kind.TO_APPLICANT, Event.Kind.ASSIGNED} <= kinds
    empty = client.post(reverse("procedures:staff_note", args=[pk]), {"note-text": ""})
    assert empty.status_code == 400 and 'id="error-summary"' in empty.content.decode()


def test_a_clerk_corrects_one_answer_through_the_forms_own_field(
    clerk: User, submission: Submission
) -> None:
    client = signed_in(clerk)
    url = reverse("procedures:staff_submission", args=[submission.pk])
    page = client.get(url, {"correct-field": "request.copies"}).content.decode()
    assert 'name="fix-request-copies"' in page
    correct = reverse("procedures:staff_correct", args=[submission.pk])
    bad = client.post(
        correct,
        {"correct-field": "request.copies", "fix-request-copies": "99", "correct-reason": "確認"},
    )
    assert bad.status_code == 400
    response = client.post(
        correct,
        {
            "correct-field": "request.copies",
            "fix-request-copies": "3",
            "correct-reason": "電話で確認しました。",
        },
    )
    assert response.status_code == 302
    assert services.current_answers(submission)["request"]["copies"] == 3
    page = client.get(url).content.decode()
    assert "staff-amended" in page and "補正・訂正あり" in page
    files = client.post(correct, {"correct-field": "request.proof", "correct-reason": "x"})
    assert files.status_code == 404


def test_a_bulk_change_reports_what_could_not_change(
    procedure: Procedure, clerk: User, submission: Submission
) -> None:
    user = make_resident("taro@example.jp")
    other = services.submit(services.save_draft(user, procedure, VALID_ANSWERS), applicant=user)
    backoffice.change_status(other, status=Status.COMPLETED, by=clerk)
    client = signed_in(clerk)
    response = client.post(
        reverse("procedures:staff_bulk_status"),
        {"submissions": [submission.pk, other.pk], "status": "reviewing", "query": "status="},
        follow=True,
    )
    page = response.content.decode()
    assert "1件の状態を変えました。" in page
    assert f"{other.receipt_number} は変えられませんでした" in page
    submission.refresh_from_db()
    assert submission.status == Status.REVIEWING


def test_a_bulk_change_refuses_another_departments_ids_and_an_empty_choice(
    clerk: User, submission: Submission
) -> None:
    other_department = DepartmentFactory.create(code="fukushi", name="福祉課")
    stranger = StaffFactory.create(permissions=list(PERMISSIONS))
    stranger.staff_member.department = other_department
    stranger.staff_member.save()
    client = signed_in(stranger)
    response = client.post(
        reverse("procedures:staff_bulk_status"),
        {"submissions": [submission.pk], "status": "reviewing"},
    )
    assert response.status_code == 400
    assert "扱えないもの" in response.content.decode()
    submission.refresh_from_db()
    assert submission.status == Status.RECEIVED
    response = signed_in(clerk).post(
        reverse("procedures:staff_bulk_status"), {"status": "reviewing"}
    )
    assert response.status_code == 400
    assert "状態を変える申請にチェックを入れてください。" in response.content.decode()


def test_a_bad_export_request_shows_the_error_summary(clerk: User, procedure: Procedure) -> None:
    response = signed_in(clerk).get(
        reverse("procedures:staff_export"),
        {
            "procedure": procedure.code,
            "date_from": "2026-05-01",
            "date_to": "2026-04-01",
            "format": "csv",
        },
    )
    assert response.status_code == 400
    assert "終わりの日は" in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()
