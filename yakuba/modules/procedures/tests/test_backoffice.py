"""The back office's rules (申請の処理): who may act, the status transitions, 補正依頼, notes and
messages, double posts, bulk changes, counter fees, a clerk's correction, the audit trail, the
queue's filters and constant queries, and the export's columns and formula safety."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from yakuba.modules.procedures import backoffice, backoffice_queries, engine, services
from yakuba.modules.procedures.models import Amendment, Event, Procedure, Status, Submission
from yakuba.modules.procedures.tests.resident_helpers import (
    VALID_ANSWERS,
    make_procedure,
    make_resident,
)
from yakuba.platform.accounts.models import Department, StaffMember, User
from yakuba.platform.accounts.tests.factories import DepartmentFactory, StaffFactory
from yakuba.platform.audit.models import AuditAction, AuditEntry
from yakuba.platform.notify.models import Recipient
from yakuba.platform.payments.collectors import PaymentState

pytestmark = pytest.mark.django_db

PERMISSIONS = ("procedures.view_submission", "procedures.change_submission")

GROUP_DEFINITION: dict[str, Any] = {
    "format": "yakuba.procedures.form/1",
    "sections": [
        {
            "key": "applicant",
            "title": {"ja": "申請者", "en": "Applicant"},
            "fields": [
                {"key": "name", "type": "text", "label": {"ja": "氏名"}, "required": True},
                {"key": "note", "type": "textarea", "label": {"ja": "備考"}},
            ],
        },
        {
            "key": "children",
            "title": {"ja": "子ども", "en": "Children"},
            "fields": [
                {
                    "key": "children",
                    "type": "group",
                    "label": {"ja": "子ども"},
                    "min": 1,
                    "max": 5,
                    "fields": [
                        {"key": "name", "type": "text", "label": {"ja": "氏名"}, "required": True},
                        {"key": "birth_date", "type": "date", "label": {"ja": "生年月日"}},
                    ],
                }
            ],
        },
    ],
}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    # Jobs (the PDF copy, mail) are queued, not run: these tests are about the back office.
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.dummy.DummyBackend",
            "QUEUES": ["default", "notify-priority", "notify-bulk"],
        }
    }


def staff_of(department: Department, *permissions: str, name: str = "町民 一郎") -> User:
    user = StaffFactory.create(permissions=list(permissions))
    StaffMember.objects.filter(user=user).update(department=department, display_name=name)
    return User.objects.get(pk=user.pk)


def filed(
    procedure: Procedure | None = None,
    user: User | None = None,
    answers: dict[str, Any] | None = None,
) -> Submission:
    user = user or make_resident(f"resident{User.objects.count()}@example.jp")
    procedure = procedure or make_procedure()
    draft = services.save_draft(user, procedure, answers or VALID_ANSWERS)
    return services.submit(draft, applicant=user)


@pytest.fixture
def procedure() -> Procedure:
    return make_procedure()


@pytest.fixture
def clerk(procedure: Procedure) -> User:
    return staff_of(procedure.department, *PERMISSIONS)


@pytest.fixture
def other_department() -> Department:
    return DepartmentFactory.create(code="fukushi", name="福祉課")


def updated_kinds(user: User | None) -> list[str]:
    return [r.message.kind for r in Recipient.objects.filter(user=user).order_by("pk")]


def audited(action: str, obj: Any) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk)
        ).order_by("pk")
    )


# --- department isolation ---------------------------------------------------------------------------


def test_staff_of_another_department_cannot_act_on_a_submission(
    procedure: Procedure, other_department: Department
) -> None:
    submission = filed(procedure)
    stranger = staff_of(other_department, *PERMISSIONS)
    with pytest.raises(PermissionDenied):
        backoffice.change_status(submission, status=Status.REVIEWING, by=stranger)
    with pytest.raises(PermissionDenied):
        backoffice.add_note(submission, by=stranger, text="見ました")
    submission.refresh_from_db()
    assert submission.status == Status.RECEIVED
    assert not Event.objects.filter(submission=submission, author=stranger).exists()


def test_a_superuser_may_act_on_every_department(procedure: Procedure) -> None:
    submission = filed(procedure)
    admin = User.objects.create_superuser(email="admin@example.jp", password="x")
    backoffice.change_status(submission, status=Status.REVIEWING, by=admin)
    submission.refresh_from_db()
    assert submission.status == Status.REVIEWING


def test_a_departments_queue_never_shows_another_departments_submissions(
    procedure: Procedure, clerk: User, other_department: Department
) -> None:
    ours = filed(procedure)
    theirs_procedure = make_procedure(code="fukushi-tetsuzuki")
    Procedure.objects.filter(pk=theirs_procedure.pk).update(department=other_department)
    theirs = filed(Procedure.objects.get(pk=theirs_procedure.pk))
    stranger = staff_of(other_department, *PERMISSIONS)
    everything = backoffice_queries.QueueFilters(status="")
    assert list(backoffice_queries.queue(clerk, everything)) == [ours]
    assert list(backoffice_queries.queue(stranger, everything)) == [theirs]
    assert sum(c.count for c in backoffice_queries.status_counts(clerk, everything)) == 1
    assert list(backoffice_queries.procedures_of(stranger)) == [theirs_procedure]
    with pytest.raises(Submission.DoesNotExist):
        backoffice_queries.submission_for_staff(stranger, ours.pk)


def test_staff_without_a_department_see_nothing(procedure: Procedure) -> None:
    filed(procedure)
    nobody = staff_of(procedure.department, *PERMISSIONS)
    StaffMember.objects.filter(user=nobody).delete()
    everything = backoffice_queries.QueueFilters(status="")
    assert list(backoffice_queries.queue(nobody, everything)) == []


# --- statuses ---------------------------------------------------------------------------------------


def test_a_status_change_tells_the_applicant_with_the_message(
    procedure: Procedure, clerk: User
) -> None:
    submission = filed(procedure)
    event = backoffice.change_status(
        submission, status=Status.REVIEWING, by=clerk, message="審査を始めました。"
    )
    submission.refresh_from_db()
    assert submission.status == Status.REVIEWING
    assert event.kind == Event.Kind.STATUS and event.text == "審査を始めました。"
    assert updated_kinds(submission.applicant) == ["procedures.received", "procedures.updated"]
    recipient = Recipient.objects.filter(user=submission.applicant).order_by("pk").last()
    assert recipient is not None
    assert recipient.message.context["message"] == "審査を始めました。"
    assert recipient.message.context["status"] == "審査中"
    assert audited(AuditAction.UPDATE, submission)[-1].changes == {
        "status": [Status.RECEIVED, Status.REVIEWING]
    }


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        (Status.RECEIVED, Status.REVIEWING, True),
        (Status.RECEIVED, Status.COMPLETED, True),
        (Status.REVIEWING, Status.APPROVED, True),
        (Status.CORRECTION, Status.REVIEWING, True),
        (Status.APPROVED, Status.COMPLETED, True),
        (Status.APPROVED, Status.REVIEWING, False),
        (Status.APPROVED, Status.REJECTED, False),
        (Status.REJECTED, Status.REVIEWING, False),
        (Status.REJECTED, Status.COMPLETED, False),
        (Status.COMPLETED, Status.REVIEWING, False),
        (Status.REVIEWING, Status.RECEIVED, False),
        (Status.REVIEWING, Status.REVIEWING, False),
        # 補正依頼 must name the fields: only through request_correction.
        (Status.REVIEWING, Status.CORRECTION, False),
    ],
)
def test_status_transitions(
    procedure: Procedure, clerk: User, start: str, target: str, allowed: bool
) -> None:
    Procedure.objects.filter(pk=procedure.pk).update(statuses=list(Status.values))
    submission = filed(Procedure.objects.get(pk=procedure.pk))
    Submission.objects.filter(pk=submission.pk).update(status=start)
    if allowed:
        backoffice.change_status(submission, status=target, by=clerk)
        submission.refresh_from_db()
        assert submission.status == target
    else:
        with pytest.raises(ValidationError):
            backoffice.change_status(submission, status=target, by=clerk)
        submission.refresh_from_db()
        assert submission.status == start


def test_a_status_the_procedure_does_not_use_is_refused(procedure: Procedure, clerk: User) -> None:
    submission = filed(procedure)  # this procedure has no 承認
    with pytest.raises(ValidationError, match="使わない状態"):
        backoffice.change_status(submission, status=Status.APPROVED, by=clerk)


def test_closing_records_when(procedure: Procedure, clerk: User) -> None:
    submission = filed(procedure)
    backoffice.change_status(submission, status=Status.COMPLETED, by=clerk)
    submission.refresh_from_db()
    assert submission.closed_at is not None and submission.is_closed


def test_the_same_status_post_twice_counts_once(procedure: Procedure, clerk: User) -> None:
    submission = filed(procedure)
    first = backoffice.change_status(
        submission, status=Status.REVIEWING, by=clerk, message="確認中"
    )
    second = backoffice.change_status(
        submission, status=Status.REVIEWING, by=clerk, message="確認中"
    )
    assert first.pk == second.pk
    assert submission.events.filter(status=Status.REVIEWING).count() == 1
    assert updated_kinds(submission.applicant).count("procedures.updated") == 1


def test_the_same_post_after_a_while_is_a_new_one_and_refused_as_the_same_status(
    procedure: Procedure, clerk: User
) -> None:
    submission = filed(procedure)
    first = backoffice.change_status(submission, status=Status.REVIEWING, by=clerk)
    Event.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - timedelta(seconds=backoffice.DOUBLE_POST_SECONDS + 1)
    )
    with pytest.raises(ValidationError, match="すでに"):
        backoffice.change_status(submission, status=Status.REVIEWING, by=clerk)


# --- 補正依頼 ---------------------------------------------------------------------------------------


def test_a_correction_request_names_the_fields_and_the_applicant_changes_only_those(
    procedure: Procedure, clerk: User
) -> None:
    submission = filed(procedure)
    event = backoffice.request_correction(
        submission,
        by=clerk,
        message="通数をもう一度確認してください。",
        requested_fields=["request.copies"],
    )
    submission.refresh_from_db()
    assert submission.status == Status.CORRECTION
    assert event.requested_fields == ["request.copies"]
    assert updated_kinds(submission.applicant)[-1] == "procedures.updated"
    assert submission.applicant is not None
    with pytest.raises(ValidationError, match="補正を求められていない"):
        services.answer_correction(
            submission, applicant=submission.applicant, changes={"applicant.name": "別人"}
        )
    services.answer_correction(
        submission, applicant=submission.applicant, changes={"request.copies": 3}
    )
    submission.refresh_from_db()
    assert submission.status == Status.REVIEWING
    assert services.current_answers(submission)["request"]["copies"] == 3


@pytest.mark.parametrize(
    ("fields", "message", "error"),
    [
        ([], "直してください", "一つ以上"),
        (["request.nothing"], "直してください", "様式にない"),
        (["request.copies"], "  ", "何を直してほしいか"),
    ],
)
def test_a_correction_request_needs_known_fields_and_a_message(
    procedure: Procedure, clerk: User, fields: list[str], message: str, error: str
) -> None:
    submission = filed(procedure)
    with pytest.raises(ValidationError, match=error):
        backoffice.request_correction(
            submission, by=clerk, message=message, requested_fields=fields
        )
    submission.refresh_from_db()
    assert submission.status == Status.RECEIVED


def test_a_closed_submission_gets_no_correction_request(procedure: Procedure, clerk: User) -> None:
    submission = filed(procedure)
    backoffice.change_status(submission, status=Status.COMPLETED, by=clerk)
    with pytest.raises(ValidationError, match="補正を依頼できません"):
        backoffice.request_correction(
            submission, by=clerk, message="直して", requested_fields=["request.copies"]
        )


# --- notes, messages, assignment, fees ------------------------------------------------------------


def test_an_internal_note_is_not_sent_to_the_applicant(procedure: Procedure, clerk: User) -> None:
    submission = filed(procedure)
    note = backoffice.add_note(submission, by=clerk, text="電話で確認済み")
    assert note.kind == Event.Kind.NOTE and not note.applicant_sees
    assert updated_kinds(submission.applicant) == ["procedures.received"]
    assert audited(AuditAction.CREATE, note)


def test_a_message_reaches_the_applicant_once_even_when_posted_twice(
    procedure: Procedure, clerk: User
) -> None:
    submission = filed(procedure)
    backoffice.send_message(submission, by=clerk, text="窓口で原本を見せてください。")
    backoffice.send_message(submission, by=clerk, text="窓口で原本を見せてください。")
    assert submission.events.filter(kind=Event.Kind.TO_APPLICANT).count() == 1
    assert updated_kinds(submission.applicant).count("procedures.updated") == 1


@pytest.mark.parametrize("text", ["", "   ", "あ" * (backoffice.MAX_TEXT + 1)])
def test_an_empty_or_too_long_message_is_refused(
    procedure: Procedure, clerk: User, text: str
) -> None:
    submission = filed(procedure)
    with pytest.raises(ValidationError):
        backoffice.send_message(submission, by=clerk, text=text)
    assert not submission.events.filter(kind=Event.Kind.TO_APPLICANT).exists()


def test_assigning_to_staff_of_the_department_and_not_another(
    procedure: Procedure, clerk: User, other_department: Department
) -> None:
    submission = filed(procedure)
    colleague = staff_of(procedure.department, name="町民 二郎")
    backoffice.assign(submission, to=colleague, by=clerk)
    submission.refresh_from_db()
    assert submission.assignee == colleague
    assert "町民 二郎" in submission.events.get(kind=Event.Kind.ASSIGNED).text
    with pytest.raises(ValidationError, match="担当課の職員"):
        backoffice.assign(submission, to=staff_of(other_department), by=clerk)
    backoffice.assign(submission, to=None, by=clerk)
    submission.refresh_from_db()
    assert submission.assignee is None


def test_a_counter_fee_is_marked_paid_once(procedure: Procedure, clerk: User) -> None:
    submission = filed(procedure)
    assert submission.payment == PaymentState.AT_COUNTER and submission.fee_amount == 600
    backoffice.mark_paid(submission, by=clerk)
    submission.refresh_from_db()
    assert submission.payment == PaymentState.PAID
    assert "600円" in submission.events.get(kind=Event.Kind.NOTE).text
    with pytest.raises(ValidationError, match="支払い済み"):
        backoffice.mark_paid(submission, by=clerk)


# --- a clerk's correction ---------------------------------------------------------------------------


def test_a_clerk_corrects_an_answer_as_an_amendment_with_its_digest(
    procedure: Procedure, clerk: User
) -> None:
    submission = filed(procedure)
    amendment = backoffice.correct(
        submission,
        by=clerk,
        changes={"applicant.name": "亘理 華子"},
        reason="電話で確認し、漢字の誤りを直しました。",
    )
    assert amendment.by_staff
    assert amendment.changes == {"applicant.name": {"old": "亘理 花子", "new": "亘理 華子"}}
    current = services.current_answers(submission)
    assert current["applicant"]["name"] == "亘理 華子"
    assert amendment.digest == engine.digest(current)
    submission.refresh_from_db()
    assert submission.answers["applicant"]["name"] == "亘理 花子"  # as filed, untouched
    assert submission.events.get(kind=Event.Kind.AMENDED).amendment == amendment
    assert updated_kinds(submission.applicant)[-1] == "procedures.updated"


@pytest.mark.parametrize(
    ("changes", "reason", "error"),
    [
        ({"request.copies": 99}, "確認済み", "通数"),
        ({"applicant.name": "亘理 花子"}, "確認済み", "前と同じ"),
        ({"request.proof": None}, "確認済み", "項目が正しくありません"),
        ({"applicant.name": "亘理 華子"}, "", "理由"),
    ],
)
def test_a_clerks_correction_is_checked_like_the_form(
    procedure: Procedure, clerk: User, changes: dict[str, Any], reason: str, error: str
) -> None:
    submission = filed(procedure)
    with pytest.raises(ValidationError, match=error):
        backoffice.correct(submission, by=clerk, changes=changes, reason=reason)
    assert not Amendment.objects.exists()


# --- bulk -------------------------------------------------------------------------------------------


def test_a_bulk_change_changes_what_it_may_and_says_why_not_for_the_others(
    procedure: Procedure, clerk: User, other_department: Department
) -> None:
    waiting = filed(procedure)
    done = filed(procedure)
    backoffice.change_status(done, status=Status.COMPLETED, by=clerk)
    elsewhere_procedure = make_procedure(code="elsewhere")
    Procedure.objects.filter(pk=elsewhere_procedure.pk).update(department=other_department)
    elsewhere = filed(Procedure.objects.get(pk=elsewhere_procedure.pk))
    outcome = backoffice.bulk_change_status(
        [waiting, done, elsewhere], status=Status.REVIEWING, by=clerk, message="順に審査します。"
    )
    assert outcome.changed == [waiting]
    assert [(r.submission, r.reason) for r in outcome.refused] == [
        (done, "「完了」から「審査中」には変えられません。"),
        (elsewhere, "この申請は別の課の担当です。"),
    ]
    for submission, status in (
        (waiting, Status.REVIEWING),
        (done, Status.COMPLETED),
        (elsewhere, Status.RECEIVED),
    ):
        submission.refresh_from_db()
        assert submission.status == status


# --- the queue --------------------------------------------------------------------------------------


def test_the_queue_is_oldest_first_open_by_default_and_filters(
    procedure: Procedure, clerk: User
) -> None:
    old, middle, new = filed(procedure), filed(procedure), filed(procedure)
    now = timezone.now()
    for submission, days in ((old, 30), (middle, 10), (new, 1)):
        Submission.objects.filter(pk=submission.pk).update(submitted_at=now - timedelta(days=days))
    backoffice.change_status(old, status=Status.COMPLETED, by=clerk)
    backoffice.assign(new, to=clerk, by=clerk)
    Filters = backoffice_queries.QueueFilters

    def found(**filters: Any) -> list[Submission]:
        return list(backoffice_queries.queue(clerk, Filters(viewer_id=clerk.pk, **filters)))

    assert found() == [middle, new]
    assert found(status="") == [old, middle, new]
    assert found(status=Status.COMPLETED) == [old]
    assert found(older_than_days=5) == [middle]
    assert found(assignee=backoffice_queries.ASSIGNEE_ME) == [new]
    assert found(assignee=backoffice_queries.ASSIGNEE_NONE) == [middle]
    assert found(search=new.receipt_number) == [new]
    assert found(search="亘理", status="") == [old, middle, new]
    assert found(search="存在しない名前") == []
    counts = {c.code: c.count for c in backoffice_queries.status_counts(clerk, Filters())}
    # Open statuses only: the closed ones are counted by filtering on them.
    assert counts[Status.RECEIVED] == 2 and Status.COMPLETED not in counts


def test_the_queue_page_takes_the_same_number_of_queries_for_more_rows(
    procedure: Procedure, clerk: User, settings: Any
) -> None:
    settings.STAFF_REQUIRE_MFA = False
    client = Client()
    client.force_login(clerk)
    url = reverse("procedures:staff_queue")
    for _ in range(2):
        filed(procedure)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    colleague = staff_of(procedure.department, name="町民 三郎")
    for index in range(8):
        submission = filed(procedure)
        if index % 2:
            backoffice.assign(submission, to=colleague, by=clerk)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


# --- audit ------------------------------------------------------------------------------------------


def test_every_action_leaves_an_audit_entry_by_the_clerk(procedure: Procedure, clerk: User) -> None:
    submission = filed(procedure)
    backoffice.assign(submission, to=clerk, by=clerk)
    backoffice.request_correction(
        submission, by=clerk, message="通数を確認", requested_fields=["request.copies"]
    )
    backoffice.mark_paid(submission, by=clerk)
    entries = audited(AuditAction.UPDATE, submission)
    assert len(entries) == 3
    assert {entry.actor_id for entry in entries} == {clerk.pk}


# --- export -----------------------------------------------------------------------------------------


def export_rows(user: User, procedure: Procedure) -> list[list[Any]]:
    today = timezone.localdate()
    submissions = backoffice_queries.export_submissions(user, procedure, today, today)
    return backoffice_queries.export_rows(submissions)


def test_the_export_has_one_column_per_field_with_groups_flattened(clerk: User) -> None:
    procedure = make_procedure(code="kodomo", definition=GROUP_DEFINITION)
    filed(
        procedure,
        answers={
            "applicant": {"name": "亘理 花子"},
            "children": {
                "children": [
                    {"name": "亘理 さくら", "birth_date": "2020-05-01"},
                    {"name": "亘理 もも"},
                ]
            },
        },
    )
    filed(
        procedure,
        answers={
            "applicant": {"name": "亘理 一郎"},
            "children": {"children": [{"name": "亘理 ゆう"}]},
        },
    )
    header, first, second = export_rows(clerk, procedure)
    assert header[:8] == [
        "受付番号",
        "申請日時",
        "更新日時",
        "完了日時",
        "状態",
        "申請者の区分",
        "申請者の氏名",
        "対象者の氏名",
    ]
    assert header[-6:] == [
        "氏名",
        "備考",
        "子ども1_氏名",
        "子ども1_生年月日",
        "子ども2_氏名",
        "子ども2_生年月日",
    ]
    assert first[-6:] == [
        "亘理 花子",
        "",
        "亘理 さくら",
        "令和2年（2020年）5月1日",
        "亘理 もも",
        "",
    ]
    assert second[-6:] == ["亘理 一郎", "", "亘理 ゆう", "", "", ""]
    assert first[4] == "受付"


def test_the_export_shows_answers_as_they_stand_after_amendments(
    procedure: Procedure, clerk: User
) -> None:
    submission = filed(procedure)
    backoffice.correct(
        submission, by=clerk, changes={"applicant.name": "亘理 華子"}, reason="確認済み"
    )
    header, row = export_rows(clerk, procedure)
    assert row[header.index("氏名")] == "亘理 華子"


def test_another_departments_staff_export_nothing(
    procedure: Procedure, other_department: Department
) -> None:
    filed(procedure)
    stranger = staff_of(other_department, *PERMISSIONS)
    assert len(export_rows(stranger, procedure)) == 1  # the titles only


FORMULA = '=HYPERLINK("http://evil.example","x")'


def test_the_csv_and_excel_exports_are_safe_from_formulas_and_audited(
    procedure: Procedure, clerk: User, settings: Any
) -> None:
    settings.STAFF_REQUIRE_MFA = False
    submission = filed(
        procedure,
        answers={
            "applicant": {"name": FORMULA, "phone": "0223-34-1111"},
            "request": {"copies": 1, "delivery": "pickup"},
        },
    )
    client = Client()
    client.force_login(clerk)
    today = timezone.localdate().isoformat()
    query = {"procedure": procedure.code, "date_from": today, "date_to": today}

    response = client.get(reverse("procedures:staff_export"), {**query, "format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][rows[0].index("氏名")] == "'" + FORMULA

    response = client.get(reverse("procedures:staff_export"), {**query, "format": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    cell = sheet.cell(row=2, column=values[0].index("氏名") + 1)
    assert cell.value == "'" + FORMULA and cell.data_type == "s"

    exports = AuditEntry.objects.filter(action=AuditAction.EXPORT, actor_id=clerk.pk)
    assert exports.count() == 2
    assert exports.first().changes["row_count"] == 1  # type: ignore[union-attr]
    reads = audited(AuditAction.READ, submission)
    assert len(reads) == 2 and reads[0].subject_user_id == submission.applicant_id
