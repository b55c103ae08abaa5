"""The residents' procedure pages over HTTP: the catalogue and its search, a procedure's page,
filling the form step by step (drafts, files), review, filing, the receipt, one's own
applications, 補正 — and that nobody reaches another resident's drafts, applications, files or
copies by guessing ids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from yakuba.modules.procedures import engine, services
from yakuba.modules.procedures.models import (
    Amendment,
    ApplicantKind,
    Draft,
    Event,
    Status,
    Submission,
)
from yakuba.modules.procedures.tests.resident_helpers import (
    DEFINITION,
    VALID_ANSWERS,
    ask_for_correction,
    household_member,
    make_procedure,
    make_resident,
    pdf_file,
    png_file,
)
from yakuba.platform.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def resident() -> User:
    return make_resident()


@pytest.fixture
def signed_in(client: Client, resident: User) -> Client:
    client.force_login(resident)
    return client


def post_section(
    client: Client, code: str, section: str, answers: dict[str, Any], **extra: Any
) -> Any:
    data = {
        key: value
        for key, value in engine.form_data(DEFINITION, answers).items()
        if key.startswith(section + "-")
    }
    return client.post(reverse("procedures:form_section", args=[code, section]), {**data, **extra})


# --- the catalogue -------------------------------------------------------------------------------


def test_the_catalogue_lists_published_procedures_only(client: Client) -> None:
    make_procedure(keywords="じゅうみんひょう")
    make_procedure(code="hidden", title="準備中の手続き", is_published=False)
    page = client.get(reverse("procedures:catalogue")).content.decode()
    assert "住民票の写しの交付請求" in page
    assert "準備中の手続き" not in page


@pytest.mark.parametrize(
    "words",
    ["じゅうみんひょう", "ジュウミンヒョウ", "ｼﾞｭｳﾐﾝﾋｮｳ", "住民票", "住民票　写し", "RESIDENCE"],
)
def test_search_matches_kana_and_kanji_in_either_width(client: Client, words: str) -> None:
    make_procedure(keywords="じゅうみんひょう 住民票")
    make_procedure(code="inkan", title="印鑑登録証明書の交付申請", title_en="Seal certificate")
    page = client.get(reverse("procedures:catalogue"), {"q": words}).content.decode()
    assert "住民票の写しの交付請求" in page
    assert "印鑑登録証明書" not in page


def test_the_catalogue_filters_by_life_event_and_category(client: Client) -> None:
    make_procedure(life_events=["moving"], category="certificates")
    make_procedure(code="ninshin", title="妊娠の届出", life_events=["birth"], category="childcare")
    by_event = client.get(reverse("procedures:catalogue"), {"event": "birth"}).content.decode()
    assert "妊娠の届出" in by_event and "住民票の写し" not in by_event
    by_category = client.get(
        reverse("procedures:catalogue"), {"category": "certificates"}
    ).content.decode()
    assert "住民票の写し" in by_category and "妊娠の届出" not in by_category


def test_the_catalogue_is_in_english_for_english_readers(client: Client) -> None:
    make_procedure()
    page = client.get(reverse("procedures:catalogue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Copy of the residence certificate" in page


# --- a procedure's page and starting -------------------------------------------------------------


def test_a_procedures_page_says_what_it_needs(client: Client) -> None:
    make_procedure(
        required_documents="本人確認書類\n委任状（代理人の場合）",
        fee_kind="fixed",
        fee_amount=300,
        target_days=7,
        eligibility="町に住民登録がある人",
    )
    page = client.get(reverse("procedures:procedure", args=["juminhyo"])).content.decode()
    for text in ("町に住民登録がある人", "委任状（代理人の場合）", "300円", "7日", "町民生活課"):
        assert text in page
    assert reverse("account_login") in page


def test_a_fee_by_the_copy_shows_its_price_and_each_kind_of_applicant_is_listed(
    client: Client,
) -> None:
    make_procedure(fee_kind="computed", fee_amount=300)
    page = client.get(reverse("procedures:procedure", args=["juminhyo"])).content.decode()
    assert "1件300円（申請の内容によって合計が変わります）" in page
    assert "<li>本人</li>" in page


def test_an_unpublished_procedure_has_no_page(client: Client) -> None:
    make_procedure(is_published=False)
    assert client.get(reverse("procedures:procedure", args=["juminhyo"])).status_code == 404


def test_starting_needs_signing_in(client: Client) -> None:
    make_procedure()
    response = client.get(reverse("procedures:start", args=["juminhyo"]))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_starting_makes_a_prefilled_draft(signed_in: Client, resident: User) -> None:
    make_procedure()
    response = signed_in.post(
        reverse("procedures:start", args=["juminhyo"]), {"applicant_kind": "self"}
    )
    assert response["Location"] == reverse("procedures:form", args=["juminhyo"])
    draft = Draft.objects.get(applicant=resident)
    assert draft.answers["applicant"]["name"] == "亘理 花子"
    form = signed_in.get(reverse("procedures:form_section", args=["juminhyo", "applicant"]))
    assert "亘理 花子" in form.content.decode()


def test_starting_for_a_household_member_offers_only_ones_own(client: Client) -> None:
    user = make_resident(with_child=True)
    make_resident("other@example.jp", with_child=True)
    other_member = household_member(User.objects.get(email="other@example.jp"))
    make_procedure()
    client.force_login(user)
    response = client.post(
        reverse("procedures:start", args=["juminhyo"]),
        {"applicant_kind": "household", "household_member": other_member.pk},
    )
    assert response.status_code == 200
    assert not Draft.objects.exists()
    response = client.post(
        reverse("procedures:start", args=["juminhyo"]),
        {"applicant_kind": "household", "household_member": household_member(user).pk},
    )
    assert response.status_code == 302
    assert Draft.objects.get().answers["applicant"]["name"] == "亘理 さくら"


def test_an_agent_must_name_the_person_and_relationship(signed_in: Client) -> None:
    make_procedure()
    response = signed_in.post(
        reverse("procedures:start", args=["juminhyo"]), {"applicant_kind": "agent"}
    )
    page = response.content.decode()
    assert "代わりに申請するご本人の氏名を書いてください。" in page
    assert "ご本人との関係を書いてください。" in page
    assert not Draft.objects.exists()


# --- the form ------------------------------------------------------------------------------------


@pytest.fixture
def started(signed_in: Client, resident: User) -> Draft:
    procedure = make_procedure()
    return services.start_draft(resident, procedure)


def test_next_checks_the_section_and_goes_on(signed_in: Client, started: Draft) -> None:
    response = post_section(signed_in, "juminhyo", "applicant", VALID_ANSWERS, action="next")
    assert response["Location"] == reverse("procedures:form_section", args=["juminhyo", "request"])
    response = post_section(signed_in, "juminhyo", "request", VALID_ANSWERS, action="next")
    assert response["Location"] == reverse("procedures:review", args=["juminhyo"])
    started.refresh_from_db()
    assert started.answers == VALID_ANSWERS


def test_a_wrong_answer_is_shown_with_its_message_and_kept_as_typed(
    signed_in: Client, started: Draft
) -> None:
    response = signed_in.post(
        reverse("procedures:form_section", args=["juminhyo", "request"]),
        {"request-copies": "たくさん", "request-delivery": "pickup", "action": "next"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "error-summary" in page and "通数" in page
    started.refresh_from_db()
    assert started.answers["request"]["copies"] == "たくさん"
    assert started.answers["request"]["delivery"] == "pickup"


def test_save_and_continue_later_keeps_the_draft(signed_in: Client, started: Draft) -> None:
    response = signed_in.post(
        reverse("procedures:form_section", args=["juminhyo", "request"]),
        {"request-copies": "", "request-delivery": "mail", "action": "save"},
    )
    assert response["Location"] == reverse("procedures:procedure", args=["juminhyo"])
    started.refresh_from_db()
    assert started.answers["request"] == {"delivery": "mail"}
    page = signed_in.get(reverse("procedures:procedure", args=["juminhyo"])).content.decode()
    assert "続きから入力する" in page


def test_a_file_is_attached_with_the_section(signed_in: Client, started: Draft) -> None:
    response = post_section(
        signed_in,
        "juminhyo",
        "request",
        VALID_ANSWERS,
        action="next",
        **{"request-proof": png_file()},
    )
    assert response.status_code == 302
    started.refresh_from_db()
    attachment = started.attachments.get()
    assert started.answers["request"]["proof"]["attachment_id"] == attachment.pk
    download = signed_in.get(reverse("procedures:attachment", args=[attachment.pk]))
    assert download["Content-Type"] == "image/png"


def test_a_file_of_the_wrong_kind_is_refused_with_a_message(
    signed_in: Client, started: Draft
) -> None:
    fake = ContentFile(b"not really a pdf", name="proof.pdf")
    response = post_section(
        signed_in, "juminhyo", "request", VALID_ANSWERS, action="next", **{"request-proof": fake}
    )
    assert response.status_code == 400
    assert "本人確認書類" in response.content.decode()
    assert not started.attachments.exists()


def test_an_unknown_section_is_not_found(signed_in: Client, started: Draft) -> None:
    response = signed_in.get(reverse("procedures:form_section", args=["juminhyo", "nothing"]))
    assert response.status_code == 404


def test_the_form_without_a_draft_sends_to_start(signed_in: Client) -> None:
    make_procedure()
    response = signed_in.get(reverse("procedures:form", args=["juminhyo"]))
    assert response["Location"] == reverse("procedures:start", args=["juminhyo"])


def test_review_lists_what_is_missing_with_links_to_the_section(
    signed_in: Client, resident: User
) -> None:
    procedure = make_procedure()
    services.save_draft(resident, procedure, {"applicant": {"name": "亘理 花子"}})
    page = signed_in.get(reverse("procedures:review", args=["juminhyo"])).content.decode()
    assert "通数" in page
    assert reverse("procedures:form_section", args=["juminhyo", "request"]) in page
    assert reverse("procedures:submit", args=["juminhyo"]) not in page


def test_review_then_submit_shows_the_receipt(signed_in: Client, resident: User) -> None:
    procedure = make_procedure()
    services.save_draft(resident, procedure, VALID_ANSWERS)
    page = signed_in.get(reverse("procedures:review", args=["juminhyo"])).content.decode()
    assert "窓口で受け取る" in page and "600円" in page
    response = signed_in.post(reverse("procedures:submit", args=["juminhyo"]))
    submission = Submission.objects.get()
    assert response["Location"] == reverse("procedures:received", args=[submission.pk])
    receipt = signed_in.get(response["Location"]).content.decode()
    assert submission.receipt_number in receipt
    assert "このあとの流れ" in receipt


def test_a_double_clicked_submit_files_once_and_shows_the_same_receipt(
    signed_in: Client, resident: User
) -> None:
    procedure = make_procedure()
    services.save_draft(resident, procedure, VALID_ANSWERS)
    first = signed_in.post(reverse("procedures:submit", args=["juminhyo"]))
    second = signed_in.post(reverse("procedures:submit", args=["juminhyo"]))
    assert Submission.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_discarding_a_draft_removes_it_and_its_files(signed_in: Client, started: Draft) -> None:
    services.attach_file(started, "request.proof", pdf_file())
    signed_in.post(reverse("procedures:discard", args=["juminhyo"]))
    assert not Draft.objects.exists()


# --- after filing --------------------------------------------------------------------------------


@pytest.fixture
def submission(resident: User) -> Submission:
    procedure = make_procedure()
    draft = services.save_draft(resident, procedure, VALID_ANSWERS)
    services.attach_file(draft, "request.proof", png_file())
    draft.refresh_from_db()
    return services.submit(draft, applicant=resident)


def test_my_applications_lists_status(signed_in: Client, submission: Submission) -> None:
    page = signed_in.get(reverse("procedures:mine")).content.decode()
    assert submission.receipt_number in page and "受付" in page


def test_the_submission_page_shows_history_without_internal_notes(
    signed_in: Client, submission: Submission
) -> None:
    Event.objects.create(submission=submission, kind=Event.Kind.NOTE, text="内部のメモ")
    Event.objects.create(
        submission=submission, kind=Event.Kind.TO_APPLICANT, text="確認しています。"
    )
    page = signed_in.get(reverse("procedures:submission", args=[submission.pk])).content.decode()
    assert "確認しています。" in page
    assert "内部のメモ" not in page
    assert "亘理 花子" in page  # the answers


def test_answering_a_correction_changes_only_the_requested_field(
    signed_in: Client, submission: Submission
) -> None:
    ask_for_correction(submission, ["request.copies"], text="通数を教えてください。")
    page = signed_in.get(reverse("procedures:submission", args=[submission.pk])).content.decode()
    assert "通数を教えてください。" in page
    assert 'name="request-copies"' in page
    assert 'name="applicant-name"' not in page
    response = signed_in.post(
        reverse("procedures:correction", args=[submission.pk]),
        {"request-copies": "3", "applicant-name": "別人", "message": "3通です。"},
    )
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Status.REVIEWING
    current = services.current_answers(submission)
    assert current["request"]["copies"] == 3
    assert current["applicant"]["name"] == "亘理 花子"
    assert Amendment.objects.get().changes == {"request.copies": {"old": 2, "new": 3}}


def test_a_wrong_correction_is_shown_again_with_its_message(
    signed_in: Client, submission: Submission
) -> None:
    ask_for_correction(submission, ["request.copies"])
    response = signed_in.post(
        reverse("procedures:correction", args=[submission.pk]), {"request-copies": "99"}
    )
    assert response.status_code == 400
    assert "10以下" in response.content.decode()
    assert not Amendment.objects.exists()


def test_the_pdf_is_for_the_applicant(signed_in: Client, submission: Submission) -> None:
    assert signed_in.get(reverse("procedures:pdf", args=[submission.pk])).status_code == 404
    submission.pdf.save("copy.pdf", ContentFile(b"%PDF-1.7 signed"), save=True)
    response = signed_in.get(reverse("procedures:pdf", args=[submission.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == b"%PDF-1.7 signed"  # type: ignore[attr-defined]


# --- nobody reaches another resident's things ----------------------------------------------------


@pytest.fixture
def stranger(client: Client) -> Client:
    other = Client()
    other.force_login(make_resident("stranger@example.jp"))
    return other


@pytest.mark.parametrize("name", ["submission", "received", "pdf"])
def test_another_resident_cannot_open_a_submissions_pages(
    stranger: Client, submission: Submission, name: str
) -> None:
    submission.pdf.save("copy.pdf", ContentFile(b"%PDF-1.7"), save=True)
    assert stranger.get(reverse(f"procedures:{name}", args=[submission.pk])).status_code == 404


def test_another_resident_cannot_answer_a_correction(
    stranger: Client, submission: Submission
) -> None:
    ask_for_correction(submission, ["request.copies"])
    response = stranger.post(
        reverse("procedures:correction", args=[submission.pk]), {"request-copies": "5"}
    )
    assert response.status_code == 404
    assert not Amendment.objects.exists()


def test_another_resident_cannot_download_an_attachment(
    stranger: Client, submission: Submission, resident: User
) -> None:
    filed = submission.attachments.get()
    draft = services.save_draft(resident, make_procedure(code="other"), {})
    in_draft = services.attach_file(draft, "request.proof", pdf_file())
    for attachment in (filed, in_draft):
        response = stranger.get(reverse("procedures:attachment", args=[attachment.pk]))
        assert response.status_code == 404


def test_another_resident_never_sees_or_files_a_residents_draft(
    stranger: Client, started: Draft
) -> None:
    services.save_section(started, "request", {"copies": 7, "delivery": "mail"})
    response = stranger.get(reverse("procedures:form_section", args=["juminhyo", "request"]))
    assert response["Location"] == reverse("procedures:start", args=["juminhyo"])
    stranger.post(reverse("procedures:submit", args=["juminhyo"]))
    stranger.post(reverse("procedures:discard", args=["juminhyo"]))
    assert not Submission.objects.exists()
    assert Draft.objects.filter(pk=started.pk).exists()


def test_my_applications_lists_only_mine(stranger: Client, submission: Submission) -> None:
    page = stranger.get(reverse("procedures:mine")).content.decode()
    assert submission.receipt_number not in page


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, submission: Submission) -> None:
    for url in (
        reverse("procedures:mine"),
        reverse("procedures:submission", args=[submission.pk]),
        reverse("procedures:pdf", args=[submission.pk]),
    ):
        assert reverse("account_login") in client.get(url)["Location"]


def test_filing_for_a_household_member_is_shown_on_review(client: Client) -> None:
    user = make_resident(with_child=True)
    procedure = make_procedure()
    services.start_draft(
        user,
        procedure,
        applicant_kind=ApplicantKind.HOUSEHOLD,
        household_member=household_member(user),
    )
    client.force_login(user)
    page = client.get(reverse("procedures:review", args=["juminhyo"])).content.decode()
    assert "亘理 さくら" in page
