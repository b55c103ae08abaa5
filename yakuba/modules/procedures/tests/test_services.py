"""The residents' use cases (services): drafts, attachments, filing, 補正, and what filing leaves
behind — receipt numbers, digest, fee, history, notification, the PDF copy."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from yakuba.core.models import Municipality
from yakuba.modules.procedures import engine, services
from yakuba.modules.procedures.models import (
    Amendment,
    ApplicantKind,
    Attachment,
    Draft,
    Event,
    ReceiptCounter,
    Status,
    Submission,
)
from yakuba.modules.procedures.signing import create_demo_certificate, verify_pdf
from yakuba.modules.procedures.tasks import make_submission_pdf
from yakuba.modules.procedures.tests.resident_helpers import (
    VALID_ANSWERS,
    ask_for_correction,
    household_member,
    make_procedure,
    make_resident,
    pdf_file,
    png_file,
)
from yakuba.platform.notify.models import Message
from yakuba.platform.payments.collectors import FeeDue, PaymentState

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def filed(user: Any = None, procedure: Any = None, **draft: Any) -> Submission:
    user = user or make_resident()
    procedure = procedure or make_procedure()
    saved = services.save_draft(user, procedure, draft.pop("answers", VALID_ANSWERS), **draft)
    return services.submit(saved, applicant=user)


# --- drafts --------------------------------------------------------------------------------------


def test_a_draft_keeps_answers_as_typed_even_when_they_are_wrong() -> None:
    user, procedure = make_resident(), make_procedure()
    typed = {"request": {"copies": "たくさん"}}
    draft = services.save_draft(user, procedure, typed)
    draft.refresh_from_db()
    assert draft.answers == typed


def test_a_resident_has_one_draft_per_procedure() -> None:
    user, procedure = make_resident(), make_procedure()
    services.save_draft(user, procedure, {"request": {"copies": 1}})
    services.save_draft(user, procedure, {"request": {"copies": 3}})
    assert Draft.objects.get().answers == {"request": {"copies": 3}}


def test_starting_prefills_the_form_from_the_profile() -> None:
    user, procedure = make_resident(), make_procedure()
    draft = services.start_draft(user, procedure)
    assert draft.answers["applicant"] == {"name": "亘理 花子", "phone": "0223-34-1111"}


def test_starting_for_a_household_member_prefills_their_name_not_the_applicants() -> None:
    user, procedure = make_resident(with_child=True), make_procedure()
    member = household_member(user)
    draft = services.start_draft(
        user, procedure, applicant_kind=ApplicantKind.HOUSEHOLD, household_member=member
    )
    assert draft.answers["applicant"]["name"] == "亘理 さくら"
    assert draft.household_member == member


def test_starting_again_keeps_what_was_typed() -> None:
    user, procedure = make_resident(), make_procedure()
    services.save_draft(user, procedure, {"applicant": {"name": "亘理 はなこ"}})
    draft = services.start_draft(user, procedure)
    assert draft.answers["applicant"]["name"] == "亘理 はなこ"
    assert draft.answers["applicant"]["phone"] == "0223-34-1111"


def test_an_agent_prefills_only_the_name_they_gave_for_the_person() -> None:
    user, procedure = make_resident(), make_procedure()
    draft = services.start_draft(
        user,
        procedure,
        applicant_kind=ApplicantKind.AGENT,
        agent=services.Agent("山元 一郎", "長男"),
    )
    assert draft.answers["applicant"]["name"] == "山元 一郎"
    assert services.agent_of(draft) == services.Agent("山元 一郎", "長男")


def test_a_draft_for_someone_elses_household_member_is_refused() -> None:
    user, procedure = make_resident(), make_procedure()
    other = make_resident("other@example.jp", with_child=True)
    with pytest.raises(ValidationError) as caught:
        services.save_draft(
            user,
            procedure,
            {},
            applicant_kind=ApplicantKind.HOUSEHOLD,
            household_member=household_member(other),
        )
    assert "household_member" in caught.value.message_dict
    assert not Draft.objects.exists()


def test_a_kind_of_applicant_the_procedure_does_not_allow_is_refused() -> None:
    user, procedure = make_resident(), make_procedure(kinds=(ApplicantKind.SELF,))
    with pytest.raises(ValidationError) as caught:
        services.save_draft(
            user, procedure, {}, applicant_kind=ApplicantKind.AGENT, agent=services.Agent("a", "b")
        )
    assert "applicant_kind" in caught.value.message_dict


@pytest.mark.parametrize(
    ("agent", "missing"),
    [
        (None, {"principal_name", "relationship"}),
        (services.Agent("山元 一郎", ""), {"relationship"}),
        (services.Agent(" ", "長男"), {"principal_name"}),
    ],
)
def test_an_agent_must_say_whom_they_act_for_and_how_they_are_related(
    agent: services.Agent | None, missing: set[str]
) -> None:
    user, procedure = make_resident(), make_procedure()
    with pytest.raises(ValidationError) as caught:
        services.save_draft(user, procedure, {}, applicant_kind=ApplicantKind.AGENT, agent=agent)
    assert set(caught.value.message_dict) == missing


def test_an_unpublished_procedure_cannot_be_started() -> None:
    user, procedure = make_resident(), make_procedure(is_published=False)
    with pytest.raises(ValidationError):
        services.start_draft(user, procedure)


# --- attachments ---------------------------------------------------------------------------------


def test_a_file_is_typed_by_its_content_and_kept_with_its_sha256() -> None:
    user, procedure = make_resident(), make_procedure()
    draft = services.save_draft(user, procedure, {})
    upload = png_file()
    content = upload.read()
    upload.seek(0)
    attachment = services.attach_file(draft, "request.proof", upload)
    assert attachment.content_type == "image/png"
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.size == len(content)
    assert attachment.file.read() == content
    assert attachment.file.name.endswith(attachment.sha256)
    draft.refresh_from_db()
    assert draft.answers["request"]["proof"]["attachment_id"] == attachment.pk


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("letter.pdf", b"just some text, not a PDF"),
        SimpleUploadedFile("photo.png", b"GIF89a\x01\x00\x01\x00"),
        SimpleUploadedFile("empty.pdf", b""),
    ],
    ids=["text named .pdf", "gif named .png", "empty"],
)
def test_a_file_that_is_not_what_the_field_accepts_is_refused(upload: SimpleUploadedFile) -> None:
    user, procedure = make_resident(), make_procedure()
    draft = services.save_draft(user, procedure, {})
    with pytest.raises(ValidationError) as caught:
        services.attach_file(draft, "request.proof", upload)
    assert "本人確認書類" in str(caught.value)
    assert not Attachment.objects.exists()


def test_a_file_larger_than_the_field_allows_is_refused() -> None:
    user, procedure = make_resident(), make_procedure()
    draft = services.save_draft(user, procedure, {})
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024))
    with pytest.raises(ValidationError, match="1MB"):
        services.attach_file(draft, "request.proof", big)
    assert not Attachment.objects.exists()


def test_a_file_for_a_field_that_is_not_a_file_field_is_refused() -> None:
    user, procedure = make_resident(), make_procedure()
    draft = services.save_draft(user, procedure, {})
    with pytest.raises(ValidationError):
        services.attach_file(draft, "request.copies", pdf_file())


def test_a_new_file_replaces_the_fields_previous_one() -> None:
    user, procedure = make_resident(), make_procedure()
    draft = services.save_draft(user, procedure, {})
    services.attach_file(draft, "request.proof", png_file())
    second = services.attach_file(draft, "request.proof", pdf_file())
    assert list(Attachment.objects.all()) == [second]


# --- filing --------------------------------------------------------------------------------------


def test_filing_freezes_the_answers_with_their_digest_and_a_receipt_number() -> None:
    user = make_resident()
    submission = filed(user)
    assert submission.receipt_number.endswith("-000001")
    assert len(submission.receipt_number) == len("2026-000001")
    assert submission.answers == VALID_ANSWERS
    assert submission.digest == engine.digest(VALID_ANSWERS)
    assert submission.status == Status.RECEIVED
    assert submission.applicant_name == "亘理 花子"
    assert submission.subject_name == "亘理 花子"
    assert submission.department.code == "chomin"
    assert submission.source == Submission.Source.WEB
    assert not Draft.objects.exists()
    event = submission.events.get()
    assert (event.kind, event.status) == (Event.Kind.STATUS, Status.RECEIVED)


def test_receipt_numbers_follow_each_other_within_the_year() -> None:
    procedure = make_procedure()
    first = filed(make_resident("a@example.jp"), procedure)
    second = filed(make_resident("b@example.jp"), procedure)
    year = first.receipt_number[:4]
    assert (first.receipt_number, second.receipt_number) == (f"{year}-000001", f"{year}-000002")
    assert ReceiptCounter.objects.get(year=int(year)).last == 2


def test_filing_with_errors_names_the_fields_and_saves_nothing() -> None:
    user, procedure = make_resident(), make_procedure()
    draft = services.save_draft(user, procedure, {"applicant": {"name": ""}, "request": {}})
    with pytest.raises(ValidationError) as caught:
        services.submit(draft, applicant=user)
    text = str(caught.value)
    assert "氏名" in text and "通数" in text and "受け取り方法" in text
    assert not Submission.objects.exists()
    assert not ReceiptCounter.objects.exists()
    assert Draft.objects.filter(pk=draft.pk).exists()


def test_a_second_submit_of_the_same_draft_files_nothing_more() -> None:
    user, procedure = make_resident(), make_procedure()
    draft = services.save_draft(user, procedure, VALID_ANSWERS)
    services.submit(draft, applicant=user)
    with pytest.raises(services.AlreadySubmitted):
        services.submit(draft, applicant=user)
    assert Submission.objects.count() == 1


def test_someone_else_cannot_file_a_residents_draft() -> None:
    user, procedure = make_resident(), make_procedure()
    draft = services.save_draft(user, procedure, VALID_ANSWERS)
    with pytest.raises(services.AlreadySubmitted):
        services.submit(draft, applicant=make_resident("other@example.jp"))
    assert not Submission.objects.exists()


def test_a_fee_is_worked_out_and_left_to_pay_at_the_counter() -> None:
    submission = filed()
    assert submission.fee_amount == 600
    assert submission.payment == PaymentState.AT_COUNTER


class PaidOnline:
    asked: list[FeeDue] = []

    def request(self, fee: FeeDue) -> str:
        self.asked.append(fee)
        return str(PaymentState.PAID)


def test_the_fee_collector_is_the_one_the_settings_name(settings: Any) -> None:
    settings.PAYMENTS_FEE_COLLECTOR = f"{__name__}.PaidOnline"
    PaidOnline.asked.clear()
    submission = filed()
    assert submission.payment == PaymentState.PAID
    [fee] = PaidOnline.asked
    assert fee.reference == f"procedures:{submission.receipt_number}"
    assert (fee.amount, fee.payer_id) == (600, submission.applicant_id)


def test_a_free_procedure_asks_no_payment() -> None:
    definition = {
        "format": "yakuba.procedures.form/1",
        "sections": [
            {
                "key": "applicant",
                "title": {"ja": "申請者"},
                "fields": [{"key": "name", "type": "text", "label": {"ja": "氏名"}}],
            }
        ],
    }
    submission = filed(
        procedure=make_procedure(definition=definition), answers={"applicant": {"name": "a"}}
    )
    assert (submission.fee_amount, submission.payment) == (None, PaymentState.NONE)


def test_filing_moves_the_attachments_to_the_submission() -> None:
    user, procedure = make_resident(), make_procedure()
    draft = services.save_draft(user, procedure, VALID_ANSWERS)
    attachment = services.attach_file(draft, "request.proof", png_file())
    draft.refresh_from_db()
    submission = services.submit(draft, applicant=user)
    attachment.refresh_from_db()
    assert (attachment.submission, attachment.draft) == (submission, None)
    assert submission.answers["request"]["proof"]["sha256"] == attachment.sha256


def test_filing_for_a_household_member_records_them() -> None:
    user = make_resident(with_child=True)
    member = household_member(user)
    submission = filed(user, applicant_kind=ApplicantKind.HOUSEHOLD, household_member=member)
    assert submission.applicant_kind == ApplicantKind.HOUSEHOLD
    assert submission.household_member == member
    assert (submission.applicant_name, submission.subject_name) == ("亘理 花子", "亘理 さくら")


def test_filing_as_an_agent_records_whom_for_and_the_relationship() -> None:
    submission = filed(
        applicant_kind=ApplicantKind.AGENT, agent=services.Agent("山元 一郎", "長男")
    )
    assert (submission.subject_name, submission.agent_relationship) == ("山元 一郎", "長男")


def test_the_applicant_is_told_the_receipt_number() -> None:
    submission = filed()
    message = Message.objects.get(kind="procedures.received")
    assert message.context["receipt"] == submission.receipt_number
    assert message.context["procedure"] == "住民票の写しの交付請求"
    assert message.link_url.endswith(f"/procedures/mine/{submission.pk}/")


# --- the PDF copy --------------------------------------------------------------------------------


@pytest.fixture
def town_certificate(settings: Any, tmp_path: Path) -> None:
    Municipality.objects.create(
        name="亘理町",
        code="043231",
        prefecture="宮城県",
        map_center_latitude=38.03,
        map_center_longitude=140.85,
    )
    settings.PROCEDURES_SIGNING_CERT = tmp_path / "signing" / "cert.pem"
    settings.PROCEDURES_SIGNING_KEY = tmp_path / "signing" / "key.pem"
    create_demo_certificate()


def test_the_signed_pdf_copy_is_made_after_filing(
    town_certificate: None, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        submission = filed()
    submission.refresh_from_db()
    assert submission.pdf
    assert verify_pdf(submission.pdf.read()).valid


def test_making_the_pdf_twice_keeps_the_first(town_certificate: None) -> None:
    submission = filed()
    make_submission_pdf.call(submission.pk)
    submission.refresh_from_db()
    first = submission.pdf.name
    assert make_submission_pdf.call(submission.pk) is False
    submission.refresh_from_db()
    assert submission.pdf.name == first


# --- 補正 -----------------------------------------------------------------------------------------


def test_answering_a_correction_changes_only_the_named_fields_as_an_amendment() -> None:
    user = make_resident()
    submission = filed(user)
    ask_for_correction(submission, ["request.copies"])
    event = services.answer_correction(
        submission, applicant=user, changes={"request.copies": 3}, message="3通にします。"
    )
    submission.refresh_from_db()
    assert submission.status == Status.REVIEWING
    assert submission.answers == VALID_ANSWERS  # as filed, for ever
    amendment = Amendment.objects.get()
    assert amendment.changes == {"request.copies": {"old": 2, "new": 3}}
    current = services.current_answers(submission)
    assert current["request"]["copies"] == 3
    assert amendment.digest == engine.digest(current)
    assert (event.kind, event.text, event.amendment) == (
        Event.Kind.FROM_APPLICANT,
        "3通にします。",
        amendment,
    )
    assert submission.events.filter(kind=Event.Kind.STATUS, status=Status.REVIEWING).exists()


def test_a_field_the_clerk_did_not_name_cannot_be_changed() -> None:
    user = make_resident()
    submission = filed(user)
    ask_for_correction(submission, ["request.copies"])
    with pytest.raises(ValidationError, match=r"applicant\.name"):
        services.answer_correction(
            submission, applicant=user, changes={"applicant.name": "別の名前"}
        )
    assert not Amendment.objects.exists()


def test_a_correction_is_checked_like_the_form() -> None:
    user = make_resident()
    submission = filed(user)
    ask_for_correction(submission, ["request.copies"])
    with pytest.raises(ValidationError, match="通数"):
        services.answer_correction(submission, applicant=user, changes={"request.copies": 99})
    submission.refresh_from_db()
    assert submission.status == Status.CORRECTION
    assert not Amendment.objects.exists()


def test_there_is_nothing_to_answer_without_a_request_for_correction() -> None:
    user = make_resident()
    submission = filed(user)
    with pytest.raises(ValidationError):
        services.answer_correction(submission, applicant=user, changes={"request.copies": 3})


def test_only_the_applicant_answers_a_correction() -> None:
    submission = filed()
    ask_for_correction(submission, ["request.copies"])
    with pytest.raises(ValidationError):
        services.answer_correction(
            submission, applicant=make_resident("other@example.jp"), changes={"request.copies": 3}
        )


def test_a_new_file_can_answer_a_correction() -> None:
    user = make_resident()
    submission = filed(user)
    ask_for_correction(submission, ["request.proof"])
    services.answer_correction(
        submission,
        applicant=user,
        changes={},
        uploads={"request.proof": pdf_file()},
    )
    attachment = Attachment.objects.get()
    assert attachment.submission == submission
    proof = services.current_answers(submission)["request"]["proof"]
    assert proof["attachment_id"] == attachment.pk


def test_amendments_apply_in_order() -> None:
    user = make_resident()
    submission = filed(user)
    for copies in (3, 4):
        ask_for_correction(submission, ["request.copies"])
        services.answer_correction(submission, applicant=user, changes={"request.copies": copies})
        submission.refresh_from_db()
    assert services.current_answers(submission)["request"]["copies"] == 4


@pytest.mark.django_db(transaction=True)
def test_two_filings_at_the_same_moment_get_different_receipt_numbers() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time; the row lock matters on PostgreSQL")
    procedure = make_procedure()
    drafts = [
        services.save_draft(make_resident(f"p{i}@example.jp"), procedure, VALID_ANSWERS)
        for i in range(4)
    ]
    errors: list[BaseException] = []

    def file(draft: Draft) -> None:
        try:
            services.submit(draft, applicant=draft.applicant)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=file, args=(d,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = set(Submission.objects.values_list("receipt_number", flat=True))
    assert len(numbers) == 4
