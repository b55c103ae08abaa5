"""The whole journey of a report in Chromium (issue 6): a resident reports a pothole with a photo and
a pin on a phone-sized viewport; staff find it in their queue, publish the photo and close it with a
note; the resident sees the update. Every staff page passes axe (no serious or critical issue)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.fixtures import run_axe
from tests.browser.test_reports_resident import (
    PHONE,
    photo_file,
    sideways_overflow,
    sign_in,
)
from yakuba.core.models import Municipality
from yakuba.modules.reports.models import Category, Report, ReportUpdate, Status
from yakuba.platform.accounts.models import Department, StaffMember, User
from yakuba.platform.accounts.tests.factories import StaffFactory, UserFactory
from yakuba.platform.places.tests.factories import DistrictFactory, square

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def town(settings: Any, tmp_path: Any) -> Category:
    settings.MEDIA_ROOT = tmp_path
    Municipality.objects.create(
        name="亘理町",
        code="043231",
        prefecture="宮城県",
        map_center_latitude=38.05,
        map_center_longitude=140.85,
        map_zoom=15,
    )
    DistrictFactory.create(code="04", name="荒浜", boundary=square(140.80, 38.0, 0.1))
    department = Department.objects.create(code="toshi", name="都市建設課")
    return Category.objects.create(
        code="pothole", name="道路の穴・段差", icon="pothole", department=department, order=1
    )


@pytest.fixture
def officer(town: Category) -> User:
    user = StaffFactory.create(
        email="doro@town.example.jp",
        permissions=["reports.view_report", "reports.change_report"],
    )
    StaffMember.objects.filter(user=user).update(
        department=town.department, display_name="道路 一郎"
    )
    return User.objects.get(pk=user.pk)


def check_page(page: Any) -> None:
    assert sideways_overflow(page) <= 1, f"{page.url} scrolls sideways"
    assert run_axe(page) == [], page.url


def test_a_pothole_reported_from_a_phone_is_closed_by_staff_and_the_resident_sees_it(
    browser: Any, page: Any, live_server: Any, town: Category, officer: User
) -> None:
    resident = UserFactory.create(email="hanako@example.jp")
    sign_in(page, live_server, resident)
    page.set_viewport_size(PHONE)

    # The resident: category, a pin on the map, a photo, send.
    page.goto("/reports/new/")
    page.get_by_role("link", name="道路の穴・段差").click()
    page.locator("#report-map").wait_for(state="visible")
    page.locator("#report-map").click()
    assert page.locator("input[name=latitude]").input_value()
    page.get_by_role("button", name="次へ").click()
    page.get_by_role("heading", name="様子を教えてください").wait_for()
    page.set_input_files("#id_photos_album", files=[photo_file()])
    page.get_by_label("どんな様子ですか").fill("歩道に深さ10cmほどの穴があります。")
    page.get_by_role("button", name="町に送る").click()
    page.wait_for_url("**/received/")
    report = Report.objects.get()
    assert report.photos.count() == 1 and report.latitude is not None

    # Staff, on a desktop: the queue (with its map), the report, publish the photo, close it.
    staff_context = browser.new_context(locale="ja-JP", base_url=live_server.url)
    staff = staff_context.new_page()
    staff.set_default_timeout(20_000)
    sign_in(staff, live_server, officer)
    staff.goto("/staff/")
    staff.get_by_role("link", name="通報の対応").click()
    staff.locator("#report-map .leaflet-interactive").first.wait_for()
    check_page(staff)
    staff.get_by_role("link", name=f"#{report.pk}", exact=True).click()
    staff.wait_for_url(f"**/reports/staff/{report.pk}/")
    check_page(staff)
    staff.get_by_role("button", name="公開する").click()
    assert "写真を公開しました。" in staff.locator("main").inner_text()
    staff.locator("#id_status").select_option(Status.FIXED.value)
    staff.get_by_label("町民へのお知らせ（公開）").fill(
        "穴を埋めました。ご連絡ありがとうございました。"
    )
    staff.get_by_role("button", name="状態を変えてお知らせする").click()
    assert "状態を変えて、通報した人にお知らせしました。" in staff.locator("main").inner_text()
    check_page(staff)

    # A refused action: the error summary, focused, and axe is still happy.
    staff.get_by_label("統合先の通報番号").fill(str(report.pk))
    staff.get_by_role("button", name="統合する", exact=True).click()
    summary = staff.locator("#error-summary")
    assert "同じ通報どうしは統合できません。" in summary.inner_text()
    check_page(staff)

    staff.goto("/reports/staff/photos/")
    check_page(staff)
    staff.goto("/reports/staff/blocked/")
    check_page(staff)
    staff_context.close()

    report.refresh_from_db()
    assert report.status == Status.FIXED
    assert ReportUpdate.objects.filter(report=report, status=Status.FIXED).count() == 1

    # The resident sees the update on the report's page.
    page.goto(f"/reports/{report.pk}/")
    main = page.locator("main").inner_text()
    assert "対応済" in main and "穴を埋めました。" in main
    assert "確認中（まだ公開されていません）" not in main
    check_page(page)
