"""The staff console's notify pages, through HTTP: segment builder, compose → preview → send,
message list and report, answers, CSV exports (audited) and conversations."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from yakuba.platform import notify
from yakuba.platform.accounts.models import User
from yakuba.platform.accounts.tests.factories import StaffFactory
from yakuba.platform.audit.models import AuditAction, AuditEntry
from yakuba.platform.notify import replies
from yakuba.platform.notify.models import (
    Channel,
    ConversationMessage,
    Delivery,
    DeliveryStatus,
    Message,
    MessageStatus,
    Recipient,
    Segment,
)
from yakuba.platform.notify.staff_forms import (
    SAFETY_QUESTION,
    SegmentBuilderForm,
    builder_initial,
)
from yakuba.platform.notify.tests.factories import (
    DistrictFactory,
    HouseholdMemberFactory,
    ResidentFactory,
)

pytestmark = pytest.mark.django_db

ALL = [
    "notify.view_message",
    "notify.add_message",
    "notify.send_emergency",
    "notify.add_segment",
    "notify.view_reply",
    "notify.add_conversationmessage",
]
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32
PDF = b"%PDF-1.4\n" + b"0" * 32


@pytest.fixture(autouse=True)
def _console(settings: Any, tmp_path: Path) -> None:
    settings.STAFF_REQUIRE_MFA = False
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def town() -> dict[str, Any]:
    """Two districts; residents without outside channels (the inbox only)."""
    north = DistrictFactory.create(code="north", name="北区", order=1)
    south = DistrictFactory.create(code="south", name="南区", order=2)
    people = {
        "old_north": ResidentFactory.create(
            district=north, birth_date=date(1940, 1, 1), phone="090-1111-2222"
        ),
        "young_north": ResidentFactory.create(district=north, birth_date=date(1995, 1, 1)),
        "old_south": ResidentFactory.create(
            district=south, birth_date=date(1945, 6, 1), preferred_language="en"
        ),
        "family_south": ResidentFactory.create(district=south, birth_date=date(1988, 1, 1)),
    }
    HouseholdMemberFactory.create(profile=people["family_south"], birth_date=date(2022, 5, 5))
    return {"north": north, "south": south, **people}


def login(client: Client, permissions: list[str] | None = None, **extra: Any) -> User:
    user: User = StaffFactory.create(
        permissions=ALL if permissions is None else permissions, **extra
    )
    client.force_login(user)
    return user


def compose_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "segment": "",
        "seg-combine": "all",
        "seg-districts": ["north"],
        "kind": "notify.announcement",
        "topic": "",
        "subject_ja": "断水のお知らせ",
        "body_ja": "((氏名))様\n((行政区))で断水します。",
        "subject_en": "Water outage",
        "body_en": "Dear ((氏名)), water will be off in ((行政区)).",
        "link_url": "https://www.town.watari.miyagi.jp/",
        "question_mode": "none",
        "send_mode": "now",
        "scheduled_at": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- Segment builder -------------------------------------------------------------------------------

BUILDER_CASES = [
    ({"everyone": "on"}, {"everyone": True}),
    (
        {"everyone": "on", "exclude_languages": ["ja"]},
        {"not": {"language": ["ja"]}},
    ),
    ({"districts": ["north"]}, {"district": ["north"]}),
    (
        {"districts": ["north", "south"], "age_min": "65"},
        {"all": [{"district": ["north", "south"]}, {"age": {"min": 65}}]},
    ),
    ({"age_max": "17"}, {"age": {"max": 17}}),
    ({"child_age_min": "0", "child_age_max": "5"}, {"household_child_age": {"min": 0, "max": 5}}),
    ({"elderly_alone": "on", "elderly_min_age": "75"}, {"elderly_living_alone": {"min_age": 75}}),
    ({"languages": ["en", "vi"]}, {"language": ["en", "vi"]}),
    ({"topics": ["disaster"]}, {"topic": ["disaster"]}),
    ({"needs_assistance": "yes"}, {"needs_evacuation_assistance": True}),
    ({"needs_assistance": "no"}, {"needs_evacuation_assistance": False}),
    (
        {"combine": "any", "elderly_alone": "on", "child_age_max": "5"},
        {
            "any": [
                {"household_child_age": {"max": 5}},
                {"elderly_living_alone": {"min_age": 65}},
            ]
        },
    ),
    ({"exclude_languages": ["ja"]}, {"not": {"language": ["ja"]}}),
    (
        {"districts": ["south"], "exclude_districts": ["north"], "exclude_topics": ["events"]},
        {
            "all": [
                {"district": ["south"]},
                {"not": {"any": [{"district": ["north"]}, {"topic": ["events"]}]}},
            ]
        },
    ),
    (
        {"combine": "any", "districts": ["north"], "age_min": "80", "exclude_languages": ["en"]},
        {
            "all": [
                {"any": [{"district": ["north"]}, {"age": {"min": 80}}]},
                {"not": {"language": ["en"]}},
            ]
        },
    ),
]


@pytest.mark.parametrize(("fields", "rule"), BUILDER_CASES)
def test_builder_turns_ticks_into_the_rule(
    town: dict[str, Any], fields: dict[str, Any], rule: dict[str, Any]
) -> None:
    form = SegmentBuilderForm({"combine": "all", "elderly_min_age": "65", **fields})
    assert form.is_valid(), form.errors
    assert form.rule == rule


@pytest.mark.parametrize(("fields", "rule"), BUILDER_CASES)
def test_a_saved_rule_opens_in_the_builder_as_the_same_ticks(
    town: dict[str, Any], fields: dict[str, Any], rule: dict[str, Any]
) -> None:
    initial = builder_initial(rule)
    assert "use_json" not in initial
    data = {
        k: v for k, v in initial.items() if v is not None and v is not False and k != "rule_json"
    }
    form = SegmentBuilderForm({k: v if isinstance(v, list) else str(v) for k, v in data.items()})
    assert form.is_valid(), form.errors
    assert form.rule == rule


def test_a_rule_the_builder_cannot_make_opens_as_json(town: dict[str, Any]) -> None:
    rule = {
        "any": [{"all": [{"age": {"min": 75}}, {"district": ["north"]}]}, {"topic": ["events"]}]
    }
    initial = builder_initial(rule)
    assert initial["use_json"] is True
    assert '"min": 75' in initial["rule_json"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "条件を一つ以上指定してください。"),
        ({"age_min": "70", "age_max": "60"}, "「から」の年齢より小さくなっています。"),
        ({"age_min": "200"}, "150"),
        ({"everyone": "on", "districts": ["north"]}, "「町民全員」を選んだときは"),
        ({"use_json": "on", "rule_json": "{not json"}, "JSONとして読めません。"),
        ({"use_json": "on", "rule_json": '{"district": ["nowhere"]}'}, "存在しない行政区"),
        ({"use_json": "on", "rule_json": '{"colour": ["red"]}'}, "不明な条件です"),
    ],
)
def test_builder_refuses_bad_conditions(
    town: dict[str, Any], fields: dict[str, Any], message: str
) -> None:
    form = SegmentBuilderForm({"combine": "all", **fields})
    assert not form.is_valid()
    assert message in str(form.errors)
    assert form.rule is None


def test_count_button_shows_todays_recipients(client: Client, town: dict[str, Any]) -> None:
    login(client)
    response = client.post(
        reverse("notify:staff_segment_new"), {"combine": "all", "age_min": "65", "action": "count"}
    )
    assert response.status_code == 200
    assert "今日の対象者: 2 人" in response.content.decode()
    assert Segment.objects.count() == 0


def test_live_count_answers_the_htmx_request_with_a_fragment(
    client: Client, town: dict[str, Any]
) -> None:
    login(client)
    response = client.get(
        reverse("notify:staff_segment_count"),
        {"prefix": "seg", "seg-combine": "all", "seg-districts": ["south"]},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert "今日の対象者: 2 人" in body
    assert "<html" not in body


def test_live_count_shows_what_is_wrong(client: Client, town: dict[str, Any]) -> None:
    login(client)
    response = client.get(
        reverse("notify:staff_segment_count"), {"combine": "all", "age_min": "9", "age_max": "3"}
    )
    assert "「から」の年齢より小さくなっています。" in response.content.decode()


def test_json_errors_are_shown_next_to_the_json(client: Client, town: dict[str, Any]) -> None:
    login(client)
    response = client.post(
        reverse("notify:staff_segment_new"),
        {
            "combine": "all",
            "use_json": "on",
            "rule_json": '{"age": {"min": 9, "max": 3}}',
            "action": "count",
        },
    )
    assert "min（9）が max（3）より大きく" in response.content.decode()


def test_saving_a_segment_stores_the_built_rule(client: Client, town: dict[str, Any]) -> None:
    login(client)
    response = client.post(
        reverse("notify:staff_segment_new"),
        {
            "combine": "all",
            "districts": ["north"],
            "age_min": "65",
            "name": "北区の高齢者",
            "action": "save",
        },
    )
    assert response.status_code == 302
    segment = Segment.objects.get()
    assert segment.name == "北区の高齢者"
    assert segment.rule == {"all": [{"district": ["north"]}, {"age": {"min": 65}}]}
    listing = client.get(reverse("notify:staff_segments")).content.decode()
    assert "北区の高齢者" in listing


def test_editing_a_segment_changes_its_rule(client: Client, town: dict[str, Any]) -> None:
    user = login(client)
    segment = Segment.objects.create(name="北区", rule={"district": ["north"]}, created_by=user)
    page = client.get(reverse("notify:staff_segment_edit", args=[segment.pk])).content.decode()
    assert re.search(r'value="north"[^>]*checked', page)
    client.post(
        reverse("notify:staff_segment_edit", args=[segment.pk]),
        {"combine": "all", "districts": ["south"], "name": "南区", "action": "save"},
    )
    segment.refresh_from_db()
    assert (segment.name, segment.rule) == ("南区", {"district": ["south"]})


def test_saving_a_segment_needs_the_permission(client: Client, town: dict[str, Any]) -> None:
    login(client, ["notify.view_message"])
    response = client.post(
        reverse("notify:staff_segment_new"),
        {"combine": "all", "districts": ["north"], "name": "x", "action": "save"},
    )
    assert response.status_code == 403
    assert Segment.objects.count() == 0


# --- Compose, preview, send ------------------------------------------------------------------------


def test_preview_shows_every_channel_in_every_language(
    client: Client, town: dict[str, Any]
) -> None:
    login(client)
    response = client.post(reverse("notify:staff_compose"), compose_data(question_mode="safety"))
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    for language in ("ja", "en"):
        for channel in ("in_app", "email", "web_push", "line", "sms"):
            assert f'id="preview-{language}-{channel}"' in page
    assert "亘理 花子（見本）様" in page  # rendered for a sample recipient
    assert "北区で断水します。" in page
    assert "] 断水のお知らせ" in page  # the mail's subject carries the town's name
    assert "助けが必要です" in page and "I need help" in page  # answer buttons
    assert "SMS 1通分" in page
    assert re.search(r'id="preview-count">\s*2 人', page)
    assert Message.objects.count() == 0  # nothing is sent before the button


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"subject_ja": "", "body_ja": ""}, "このフィールドは必須です。"),
        ({"link_url": "javascript:alert(1)"}, "URL"),
        ({"link_url": "ftp://example.jp/file"}, "URL"),
        (
            {
                "send_mode": "later",
                "scheduled_at": (timezone.localtime() - timedelta(hours=1)).strftime(
                    "%Y-%m-%dT%H:%M"
                ),
            },
            "送信予定日時は今より後にしてください。",
        ),
        ({"send_mode": "later", "scheduled_at": ""}, "送信予定日時を入力してください。"),
        ({"subject_en": "Only a subject", "body_en": ""}, "Englishの本文を入力してください。"),
        ({"body_ja": "((金額))円です"}, "差し込み項目の値がありません"),
        ({"question_mode": "yes_no", "q1_text": ""}, "質問1の文を日本語で入力してください。"),
        (
            {
                "question_mode": "custom",
                "q1_text": "色は？",
                "q1_kind": "choice",
                "q1_choices": "赤",
            },
            "質問1の選択肢は2つから",
        ),
        ({"seg-districts": []}, "条件を一つ以上指定してください。"),
    ],
)
def test_compose_refuses_bad_input_and_saves_nothing(
    client: Client, town: dict[str, Any], overrides: dict[str, Any], error: str
) -> None:
    login(client)
    response = client.post(reverse("notify:staff_compose"), compose_data(**overrides))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert error in page
    assert Message.objects.count() == 0
    assert not client.session.get("notify_drafts")


def test_emergency_needs_its_own_permission(client: Client, town: dict[str, Any]) -> None:
    login(client, ["notify.view_message", "notify.add_message"])
    response = client.post(reverse("notify:staff_compose"), compose_data(kind="notify.emergency"))
    assert response.status_code == 400
    assert "緊急のお知らせを送る権限がありません。" in response.content.decode()


def test_attachments_must_be_pdf_png_or_jpeg(client: Client, town: dict[str, Any]) -> None:
    login(client)
    data = compose_data()
    data["attachments"] = [SimpleUploadedFile("notice.pdf", b"MZ\x90\x00 not a pdf")]
    response = client.post(reverse("notify:staff_compose"), data)
    assert response.status_code == 400
    assert "PDF、PNG、JPEGのいずれか" in response.content.decode()
    assert Message.objects.count() == 0


def preview_token(client: Client, data: dict[str, Any]) -> str:
    response = client.post(reverse("notify:staff_compose"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    match = re.search(r"/preview/([^/]+)/", response["Location"])
    assert match
    return match.group(1)


def test_double_submit_sends_exactly_one_message(client: Client, town: dict[str, Any]) -> None:
    login(client)
    token = preview_token(client, compose_data())
    first = client.post(reverse("notify:staff_send"), {"token": token})
    second = client.post(reverse("notify:staff_send"), {"token": token})
    assert Message.objects.count() == 1
    message = Message.objects.get()
    assert (
        first["Location"]
        == second["Location"]
        == reverse("notify:staff_message", args=[message.pk])
    )
    assert message.recipient_count == 2
    assert message.rule == {"district": ["north"]}
    assert message.contents["en"]["subject"] == "Water outage"


def test_send_with_attachments_questions_and_a_saved_segment(
    client: Client, town: dict[str, Any]
) -> None:
    user = login(client)
    segment = Segment.objects.create(name="南区", rule={"district": ["south"]}, created_by=user)
    data = compose_data(segment=str(segment.pk), question_mode="safety")
    data["attachments"] = [
        SimpleUploadedFile("map.png", PNG, "image/png"),
        SimpleUploadedFile("notice.pdf", PDF, "application/pdf"),
    ]
    token = preview_token(client, data)
    client.post(reverse("notify:staff_send"), {"token": token})
    message = Message.objects.get()
    assert message.segment == segment
    assert sorted(a.content_type for a in message.attachments.all()) == [
        "application/pdf",
        "image/png",
    ]
    assert [q.choices for q in message.questions.all()] == [SAFETY_QUESTION["choices"]]
    assert message.recipient_count == 2


def test_scheduled_message_can_be_cancelled_from_the_list(
    client: Client, town: dict[str, Any]
) -> None:
    login(client)
    later = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    token = preview_token(client, compose_data(send_mode="later", scheduled_at=later))
    client.post(reverse("notify:staff_send"), {"token": token})
    message = Message.objects.get()
    assert message.status == MessageStatus.SCHEDULED
    listing = client.get(reverse("notify:staff_messages")).content.decode()
    assert reverse("notify:staff_message_cancel", args=[message.pk]) in listing
    client.post(reverse("notify:staff_message_cancel", args=[message.pk]))
    message.refresh_from_db()
    assert message.status == MessageStatus.CANCELLED


def test_emergency_draft_cannot_be_sent_by_staff_without_the_permission(
    client: Client, town: dict[str, Any]
) -> None:
    login(client)
    token = preview_token(client, compose_data(kind="notify.emergency"))
    page = client.get(reverse("notify:staff_preview", args=[token])).content.decode()
    assert "緊急のお知らせとして送ります。" in page
    session = client.session
    other = Client()
    login(other, ["notify.view_message", "notify.add_message"])
    other_session = other.session
    other_session["notify_drafts"] = session["notify_drafts"]
    other_session.save()
    assert other.post(reverse("notify:staff_send"), {"token": token}).status_code == 403
    assert Message.objects.count() == 0


# --- Message list and report -----------------------------------------------------------------------


def sent_to(residents: list[Any], **kwargs: Any) -> Message:
    contents = {"ja": {"subject": "お知らせ", "body": "本文"}}
    return notify.send(
        "notify.announcement", to=[r.user for r in residents], contents=contents, **kwargs
    )


def seed_deliveries(message: Message) -> list[Recipient]:
    recipients = list(message.recipients.order_by("pk"))
    done = timezone.now() - timedelta(minutes=30)
    Delivery.objects.create(
        recipient=recipients[0],
        channel=Channel.EMAIL,
        status=DeliveryStatus.DELIVERED,
        sent_at=done,
        completed_at=done,
    )
    Delivery.objects.create(
        recipient=recipients[1],
        channel=Channel.EMAIL,
        status=DeliveryStatus.PERMANENT_FAILURE,
        error='=HYPERLINK("http://evil")',
        completed_at=done,
    )
    Delivery.objects.create(
        recipient=recipients[1],
        channel=Channel.SMS,
        status=DeliveryStatus.DELIVERED,
        sent_at=done,
        completed_at=done + timedelta(minutes=2),
    )
    Delivery.objects.create(
        recipient=recipients[2],
        channel=Channel.LINE,
        status=DeliveryStatus.TEMPORARY_FAILURE,
        error="429 Too Many Requests",
    )
    replies.mark_read(recipients[0])
    return recipients


def cells(page: str, row_attr: str) -> list[str]:
    match = re.search(rf"<tr {re.escape(row_attr)}>(.*?)</tr>", page, re.S)
    assert match, row_attr
    return re.findall(r"<td>(.*?)</td>", match.group(1))


def test_message_list_shows_counts_newest_first(client: Client, town: dict[str, Any]) -> None:
    login(client)
    older = sent_to([town["old_north"]])
    newer = sent_to([town["old_north"], town["young_north"], town["old_south"]])
    seed_deliveries(newer)
    page = client.get(reverse("notify:staff_messages")).content.decode()
    assert page.index(f'/messages/{newer.pk}/"') < page.index(f'/messages/{older.pk}/"')
    row = re.search(rf'/messages/{newer.pk}/".*?</tr>', page, re.S)
    assert row
    numbers = re.findall(r"<td>(\d+)</td>", row.group(0))
    assert numbers == ["3", "2", "2"]  # recipients, delivered, failed


def test_report_counts_match_the_deliveries(client: Client, town: dict[str, Any]) -> None:
    login(client)
    message = sent_to([town["old_north"], town["young_north"], town["old_south"]])
    seed_deliveries(message)
    page = client.get(reverse("notify:staff_message", args=[message.pk])).content.decode()
    # columns: created, sending, delivered, read, temporary, permanent, technical, total
    assert cells(page, 'data-channel="in_app"') == ["0", "0", "2", "1", "0", "0", "0", "3"]
    assert cells(page, 'data-channel="email"') == ["0", "0", "1", "0", "0", "1", "0", "2"]
    assert cells(page, 'data-channel="sms"') == ["0", "0", "1", "0", "0", "0", "0", "1"]
    assert cells(page, 'data-channel="line"') == ["0", "0", "0", "0", "1", "0", "0", "1"]
    assert "<svg" in page and 'role="img"' in page
    assert "2 件が届きました" in page
    assert "429 Too Many Requests" in page


def test_delivery_csv_is_audited_and_safe_for_spreadsheets(
    client: Client, town: dict[str, Any]
) -> None:
    user = login(client)
    message = sent_to([town["old_north"], town["young_north"], town["old_south"]])
    recipients = seed_deliveries(message)
    response = client.get(reverse("notify:staff_delivery_export", args=[message.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["受信者ID", "行政区", "経路", "状態"]
    body = [row[:4] for row in rows[1:]]
    first, second = str(recipients[0].pk), str(recipients[1].pk)
    assert [first, "north", "in_app", "read"] in body
    assert [first, "north", "email", "delivered"] in body
    assert [second, "north", "email", "permanent_failure"] in body
    assert len(body) == 3 + 4
    errors = [row[9] for row in rows[1:] if row[9]]
    assert '\'=HYPERLINK("http://evil")' in errors
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.actor_id == user.pk
    assert entry.object_type == "notify.delivery"
    assert entry.changes["filters"] == {"message": message.pk}
    assert entry.changes["row_count"] == 3


# --- Answers ---------------------------------------------------------------------------------------


@pytest.fixture
def safety_check(town: dict[str, Any]) -> Message:
    residents = [town["old_north"], town["young_north"], town["old_south"], town["family_south"]]
    message = sent_to(
        residents,
        questions=[SAFETY_QUESTION, {"kind": "text", "text": {"ja": "困っていることは？"}}],
    )
    choice, text = list(message.questions.order_by("order"))
    answer = {r.user_id: r for r in message.recipients.all()}
    replies.record_reply(answer[town["old_north"].user_id], choice, choice="help", channel="line")
    replies.record_reply(
        answer[town["young_north"].user_id], choice, choice="safe", channel="in_app"
    )
    replies.record_reply(answer[town["old_south"].user_id], choice, choice="safe", channel="email")
    replies.record_reply(
        answer[town["old_north"].user_id], text, text="=薬が足りません", channel="in_app"
    )
    return message


def test_answers_page_counts_by_district(
    client: Client, town: dict[str, Any], safety_check: Message
) -> None:
    login(client)
    page = client.get(reverse("notify:staff_answers", args=[safety_check.pk])).content.decode()
    # columns: recipients, 無事です, 助けが必要です, unanswered
    assert cells(page, 'data-district="north"') == ["2", "1", "1", "0"]
    assert cells(page, 'data-district="south"') == ["2", "1", "0", "1"]
    assert cells(page, 'data-district="*"') == ["4", "2", "1", "1"]
    assert "助けが必要な方（1 人）" in page
    assert "困っていることは？" in page


def test_help_list_shows_contact_details_and_is_audited(
    client: Client, town: dict[str, Any], safety_check: Message
) -> None:
    user = login(client)
    page = client.get(reverse("notify:staff_help_list", args=[safety_check.pk])).content.decode()
    profile = town["old_north"]
    assert profile.full_name in page
    assert "090-1111-2222" in page and "北区" in page
    assert town["young_north"].full_name not in page
    entry = AuditEntry.objects.get(action=AuditAction.READ)
    assert (entry.actor_id, entry.subject_user_id) == (user.pk, profile.user_id)


def test_free_text_answers_are_listed(
    client: Client, town: dict[str, Any], safety_check: Message
) -> None:
    login(client)
    question = safety_check.questions.get(order=2)
    page = client.get(
        reverse("notify:staff_free_text", args=[safety_check.pk, question.pk])
    ).content.decode()
    assert "=薬が足りません" in page


def test_answers_csv_is_audited(
    client: Client, town: dict[str, Any], safety_check: Message
) -> None:
    login(client)
    response = client.get(reverse("notify:staff_answers_export", args=[safety_check.pk]))
    text = b"".join(response.streaming_content).decode().lstrip("\ufeff")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 + 4
    assert ["north", "1", "help", "助けが必要です"] in [row[1:5] for row in rows]
    assert "'=薬が足りません" in [row[5] for row in rows]
    assert town["old_north"].full_name not in text
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.object_type == "notify.reply"
    assert entry.changes["row_count"] == 4


def test_answers_page_is_404_for_a_message_without_questions(
    client: Client, town: dict[str, Any]
) -> None:
    login(client)
    message = sent_to([town["old_north"]])
    assert client.get(reverse("notify:staff_answers", args=[message.pk])).status_code == 404


# --- Conversations ---------------------------------------------------------------------------------


def test_conversations_put_the_unanswered_first_and_staff_can_reply(
    client: Client, town: dict[str, Any]
) -> None:
    user = login(client)
    message = sent_to([town["old_north"], town["young_north"], town["old_south"]])
    by_user = {r.user_id: r for r in message.recipients.all()}
    answered = by_user[town["old_north"].user_id]
    waiting = by_user[town["young_north"].user_id]
    replies.add_to_conversation(
        answered, by=answered.user, body="何時からですか", from_staff=False, channel="in_app"
    )
    replies.add_to_conversation(
        answered, by=user, body="9時からです", from_staff=True, channel="in_app"
    )
    replies.add_to_conversation(
        waiting, by=waiting.user, body="給水所はどこですか", from_staff=False, channel="in_app"
    )
    listing = client.get(reverse("notify:staff_conversations", args=[message.pk])).content.decode()
    assert listing.index("給水所はどこですか") < listing.index("9時からです")
    assert f"受信者 {by_user[town['old_south'].user_id].pk}<" not in listing

    url = reverse("notify:staff_conversation", args=[message.pk, waiting.pk])
    thread = client.get(url).content.decode()
    assert "給水所はどこですか" in thread and town["young_north"].full_name in thread
    assert AuditEntry.objects.filter(
        action=AuditAction.READ, subject_user_id=waiting.user_id
    ).exists()
    response = client.post(url, {"body": "役場の駐車場です"})
    assert response.status_code == 302
    reply = ConversationMessage.objects.filter(recipient=waiting).last()
    assert reply is not None
    assert (reply.body, reply.from_staff, reply.author) == ("役場の駐車場です", True, user)


def test_reply_needs_the_permission(client: Client, town: dict[str, Any]) -> None:
    login(client, ["notify.view_message", "notify.view_reply"])
    message = sent_to([town["old_north"]])
    recipient = message.recipients.get()
    url = reverse("notify:staff_conversation", args=[message.pk, recipient.pk])
    assert client.post(url, {"body": "返事"}).status_code == 403
    assert not ConversationMessage.objects.exists()


def test_empty_reply_is_refused(client: Client, town: dict[str, Any]) -> None:
    login(client)
    message = sent_to([town["old_north"]])
    recipient = message.recipients.get()
    url = reverse("notify:staff_conversation", args=[message.pk, recipient.pk])
    response = client.post(url, {"body": "   "})
    assert response.status_code == 200
    assert 'class="error-summary"' in response.content.decode()
    assert not ConversationMessage.objects.exists()


# --- Permissions -----------------------------------------------------------------------------------


def _urls(message: Message, recipient: Recipient) -> list[tuple[str, str, str]]:
    question = message.questions.get(order=2)
    m = message.pk
    return [
        ("get", reverse("notify:staff_messages"), "notify.view_message"),
        ("get", reverse("notify:staff_segments"), "notify.view_message"),
        ("get", reverse("notify:staff_segment_new"), "notify.view_message"),
        ("get", reverse("notify:staff_segment_count"), "notify.view_message"),
        ("get", reverse("notify:staff_compose"), "notify.add_message"),
        ("post", reverse("notify:staff_send"), "notify.add_message"),
        ("post", reverse("notify:staff_message_cancel", args=[m]), "notify.add_message"),
        ("get", reverse("notify:staff_message", args=[m]), "notify.view_message"),
        ("get", reverse("notify:staff_delivery_export", args=[m]), "notify.view_message"),
        ("get", reverse("notify:staff_answers", args=[m]), "notify.view_reply"),
        ("get", reverse("notify:staff_answers_export", args=[m]), "notify.view_reply"),
        ("get", reverse("notify:staff_free_text", args=[m, question.pk]), "notify.view_reply"),
        ("get", reverse("notify:staff_help_list", args=[m]), "notify.view_reply"),
        ("get", reverse("notify:staff_conversations", args=[m]), "notify.view_reply"),
        (
            "get",
            reverse("notify:staff_conversation", args=[m, recipient.pk]),
            "notify.view_reply",
        ),
    ]


def test_every_page_is_closed_to_residents_and_to_staff_without_the_permission(
    client: Client, town: dict[str, Any], safety_check: Message
) -> None:
    recipient = safety_check.recipients.first()
    assert recipient is not None
    urls = _urls(safety_check, recipient)
    anonymous = Client()
    for method, url, _permission in urls:
        response = getattr(anonymous, method)(url)
        assert response.status_code == 302 and "/login" in response["Location"], url
    resident = Client()
    resident.force_login(town["old_north"].user)
    for method, url, _permission in urls:
        assert getattr(resident, method)(url).status_code == 403, url
    for method, url, permission in urls:
        staff = Client()
        login(staff, [p for p in ALL if p != permission])
        assert getattr(staff, method)(url).status_code == 403, (url, permission)
    assert AuditEntry.objects.filter(action__in=[AuditAction.READ, AuditAction.EXPORT]).count() == 0


def test_starting_again_from_the_preview_keeps_what_was_typed(
    client: Client, town: dict[str, Any]
) -> None:
    login(client)
    response = client.post(
        reverse("notify:staff_compose"),
        compose_data(subject_ja="断水のお知らせ（再）", body_en="Water is off."),
    )
    preview = client.get(response["Location"]).content.decode()
    again = re.search(r'href="([^"]*\?draft=[^"]+)"', preview)
    assert again
    page = client.get(again.group(1).replace("&amp;", "&")).content.decode()
    assert "断水のお知らせ（再）" in page
    assert "Water is off." in page
    assert re.search(r'name="seg-districts" value="north"[^>]*checked', page)


def test_attachments_of_drafts_never_sent_are_removed_after_a_day(
    client: Client, town: dict[str, Any], tmp_path: Path
) -> None:
    import os
    import time

    stale = tmp_path / "notify" / "drafts" / "abandoned" / "old.pdf"
    fresh = tmp_path / "notify" / "drafts" / "in-progress" / "new.pdf"
    for path in (stale, fresh):
        path.parent.mkdir(parents=True)
        path.write_bytes(PDF)
    two_days_ago = time.time() - 2 * 86400
    os.utime(stale, (two_days_ago, two_days_ago))
    login(client)
    data = compose_data()
    data["attachments"] = [SimpleUploadedFile("notice.pdf", PDF, "application/pdf")]
    preview_token(client, data)
    assert not stale.exists()
    assert fresh.exists()
