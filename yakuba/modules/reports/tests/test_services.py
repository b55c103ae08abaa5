"""Reports' rules: routing, location, answers, duplicates nearby, statuses, reopening, telling
the reporter."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from yakuba.modules.reports import services
from yakuba.modules.reports.models import (
    AttributeType,
    BlockedSender,
    CategoryAttribute,
    Report,
    ReportUpdate,
    Status,
)
from yakuba.modules.reports.tests.factories import INSIDE, OUTSIDE, CategoryFactory, town_district
from yakuba.platform.accounts.tests.factories import DepartmentFactory, StaffFactory
from yakuba.platform.notify.models import Recipient
from yakuba.platform.notify.tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def district() -> Any:
    return town_district()


def submit(**overrides: Any) -> Report:
    values: dict[str, Any] = {
        "category": overrides.pop("category", None) or CategoryFactory.create(),
        "description": "歩道に穴があります。",
        "latitude": INSIDE[0],
        "longitude": INSIDE[1],
    }
    values.update(overrides)
    return services.submit_report(**values)


def test_a_report_is_routed_to_its_categorys_department_and_district(district: Any) -> None:
    roads = DepartmentFactory.create(code="roads", name="道路課")
    report = submit(category=CategoryFactory.create(code="pothole", department=roads))
    assert report.department == roads
    assert report.district == district
    assert report.status == Status.RECEIVED


def test_a_signed_in_reporter_is_told_it_was_received() -> None:
    resident = ResidentFactory.create().user
    report = submit(reporter=resident)
    notice = Recipient.objects.get(user=resident)
    assert f"#{report.pk}" in notice.message.contents["ja"]["subject"] or "((report.pk))" in str(
        notice.message.contents
    )
    assert notice.message.context["report.pk"] == str(report.pk)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"description": "  "}, "どんな様子か"),
        ({"description": "あ" * 4001}, "4000文字以内"),
        ({"latitude": OUTSIDE[0], "longitude": OUTSIDE[1]}, "町の外"),
        ({"latitude": 91.0}, "正しくありません"),
        ({"latitude": None, "longitude": None}, "住所や目印"),
        ({"latitude": None}, "両方"),
    ],
)
def test_bad_input_saves_nothing(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        submit(**overrides)
    assert not Report.objects.exists()


def test_an_address_alone_is_enough() -> None:
    report = submit(latitude=None, longitude=None, address_string="荒浜小学校の北の交差点")
    assert (report.latitude, report.district) == (None, None)


def test_a_closed_campaign_takes_no_more_reports() -> None:
    campaign = CategoryFactory.create(campaign_ends_on=timezone.localdate() - timedelta(days=1))
    with pytest.raises(ValidationError, match="終了しました"):
        submit(category=campaign)
    open_campaign = CategoryFactory.create(campaign_ends_on=timezone.localdate())
    assert submit(category=open_campaign).category == open_campaign


def test_answers_are_checked_against_the_categorys_questions() -> None:
    category = CategoryFactory.create()
    CategoryAttribute.objects.create(
        category=category,
        code="state",
        datatype=AttributeType.SINGLE,
        description="どんな様子ですか",
        required=True,
        values=[{"key": "off", "name": "点かない"}, {"key": "blinking", "name": "点滅"}],
    )
    CategoryAttribute.objects.create(
        category=category, code="pole", datatype=AttributeType.NUMBER, description="柱の番号"
    )
    CategoryAttribute.objects.create(
        category=category,
        code="asset",
        datatype=AttributeType.STRING,
        description="台帳番号",
        automated="server_set",
    )
    with pytest.raises(ValidationError, match="どんな様子ですか"):
        submit(category=category, attributes={})
    with pytest.raises(ValidationError, match="選択肢から"):
        submit(category=category, attributes={"state": "exploded"})
    with pytest.raises(ValidationError, match="数を入力"):
        submit(category=category, attributes={"state": "off", "pole": "abc"})
    with pytest.raises(ValidationError, match="この種類の質問ではありません"):
        submit(category=category, attributes={"state": "off", "colour": "red"})
    report = submit(category=category, attributes={"state": "off", "pole": "12", "asset": "X"})
    assert report.attributes == {"state": "off", "pole": 12}  # server_set is never taken


def test_a_blocked_sender_is_refused() -> None:
    BlockedSender.objects.create(email="spam@example.jp", reason="いたずら")
    with pytest.raises(ValidationError, match="受け付けていません"):
        submit(reporter_email="SPAM@example.jp")


@pytest.mark.parametrize(
    ("metres_north", "days_ago", "found"),
    [(0, 0, True), (99, 29, True), (101, 0, False), (0, 31, False)],
)
def test_nearby_open_reports_of_the_same_category(
    metres_north: float, days_ago: int, found: bool
) -> None:
    category = CategoryFactory.create()
    existing = submit(category=category)
    Report.objects.filter(pk=existing.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )
    latitude = INSIDE[0] + metres_north / 111_195  # metres per degree of latitude
    nearby = services.nearby_open_reports(category, latitude, INSIDE[1])
    assert [n.report.pk for n in nearby] == ([existing.pk] if found else [])


def test_nearby_leaves_out_other_categories_closed_and_hidden_reports() -> None:
    category = CategoryFactory.create()
    other = submit(category=CategoryFactory.create())
    closed = submit(category=category)
    hidden = submit(category=category)
    Report.objects.filter(pk=closed.pk).update(status=Status.FIXED)
    Report.objects.filter(pk=hidden.pk).update(is_hidden=True)
    assert services.nearby_open_reports(category, *INSIDE) == []
    assert other.category != category


def test_staff_change_the_status_and_the_reporter_hears_of_it() -> None:
    resident = ResidentFactory.create().user
    staff = StaffFactory.create()
    report = submit(reporter=resident)
    services.change_status(report, by=staff, status=Status.FIXED, note="補修しました。")
    report.refresh_from_db()
    assert report.status == Status.FIXED and report.closed_at is not None
    update = ReportUpdate.objects.get(report=report)
    assert (update.status, update.note, update.by_staff) == (Status.FIXED, "補修しました。", True)
    notices = Recipient.objects.filter(user=resident).order_by("pk")
    assert [n.message.kind for n in notices] == ["reports.received", "reports.updated"]
    assert notices[1].message.context["status"] == "対応済"


def test_an_anonymous_reporter_with_an_address_gets_a_mail(mailbox: Any) -> None:
    report = submit(reporter_email="walker@example.jp")
    services.change_status(
        report, by=StaffFactory.create(), status=Status.IN_PROGRESS, note="確認中"
    )
    mail = mailbox.wait_for(to="walker@example.jp")
    assert "対応中" in mail["Subject"]
    assert "確認中" in mailbox.text_body(mail)


def test_a_status_change_without_a_change_needs_a_note() -> None:
    report = submit()
    with pytest.raises(ValidationError):
        services.change_status(report, by=StaffFactory.create(), status=Status.RECEIVED)
    with pytest.raises(ValidationError):
        services.change_status(report, by=StaffFactory.create(), status="lost")


def test_anyone_may_reopen_a_fixed_report_that_is_not() -> None:
    report = submit()
    with pytest.raises(ValidationError, match="対応済の通報だけ"):
        services.reopen(report, by=None, note="まだ穴があります")
    services.change_status(report, by=StaffFactory.create(), status=Status.FIXED, note="直しました")
    with pytest.raises(ValidationError, match="様子を書いて"):
        services.reopen(report, by=None, note=" ")
    services.reopen(report, by=None, note="まだ穴があります")
    report.refresh_from_db()
    assert (report.status, report.closed_at) == (Status.IN_PROGRESS, None)


def test_comments_need_text_or_a_photo() -> None:
    report = submit()
    with pytest.raises(ValidationError):
        services.add_comment(report, by=None, note="  ")
    update = services.add_comment(report, by=None, note="まだ危ないです")
    assert not update.by_staff and not update.is_internal


def test_distance_is_in_metres() -> None:
    # One degree of latitude is about 111.2 km everywhere.
    assert round(services.distance_m(38.0, 140.0, 39.0, 140.0) / 1000, 1) == 111.2
