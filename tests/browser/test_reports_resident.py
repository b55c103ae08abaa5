"""A resident reports a pothole from a phone in Chromium: category, a pin on the map, a photo, the
receipt and the report's page; the same without JavaScript; every page passes axe and fits a
390 px screen. Map tiles do not load offline: the pin works on the blank map."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from tests.browser.fixtures import run_axe
from yakuba.core.models import Municipality
from yakuba.modules.reports.models import Category, Report, ReportUpdate, Status
from yakuba.platform.accounts.models import Department, User
from yakuba.platform.accounts.tests.factories import UserFactory
from yakuba.platform.places.tests.factories import DistrictFactory, square

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


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
    Category.objects.create(
        code="streetlight",
        name="街灯が点かない",
        icon="streetlight",
        department=department,
        order=2,
    )
    return Category.objects.create(
        code="pothole",
        name="道路の穴・段差",
        icon="pothole",
        department=department,
        order=1,
        description="車道や歩道の穴、段差、陥没。",
    )


@pytest.fixture
def resident() -> User:
    return UserFactory.create(email="hanako@example.jp")


def sign_in(page: Any, live_server: Any, user: User) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def sideways_overflow(page: Any) -> int:
    return int(page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth"))


def check_page(page: Any) -> None:
    assert sideways_overflow(page) <= 1, f"{page.url} scrolls sideways"
    assert run_axe(page) == [], page.url


def photo_file() -> dict[str, Any]:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (120, 120, 120)).save(buffer, format="JPEG")
    return {"name": "ana.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def test_resident_reports_a_pothole_with_a_photo_and_a_pin(
    page: Any, live_server: Any, town: Category, resident: User
) -> None:
    sign_in(page, live_server, resident)
    page.set_viewport_size(PHONE)

    page.goto("/reports/new/")
    check_page(page)
    choice = page.get_by_role("link", name="道路の穴・段差")
    box = choice.bounding_box()
    assert box is not None and box["height"] >= 44  # a big target
    choice.click()

    page.wait_for_url("**/reports/new/pothole/")
    page.locator("#report-map").wait_for(state="visible")
    check_page(page)
    page.locator("#report-map").click()  # the pin goes where the map is tapped
    assert "ピンを置きました" in page.locator("#report-map-status").inner_text()
    latitude = float(page.locator("input[name=latitude]").input_value())
    longitude = float(page.locator("input[name=longitude]").input_value())
    assert 38.0 < latitude < 38.1 and 140.8 < longitude < 140.9
    page.get_by_role("button", name="次へ").click()

    page.get_by_role("heading", name="様子を教えてください").wait_for()
    check_page(page)
    assert "荒浜" in page.locator(".report-summary").inner_text()
    page.set_input_files("#id_photos_album", files=[photo_file()])
    page.get_by_label("どんな様子ですか").fill("歩道に深さ10cmほどの穴があります。")
    page.get_by_role("button", name="町に送る").click()

    page.wait_for_url("**/received/")
    check_page(page)
    report = Report.objects.get()
    assert f"#{report.pk}" in page.locator(".report-receipt").inner_text()
    assert (report.reporter, report.category, report.photos.count()) == (resident, town, 1)
    assert report.district is not None and report.district.name == "荒浜"
    assert report.latitude == pytest.approx(latitude)

    page.get_by_role("link", name="通報のページを見る").click()
    page.wait_for_url(f"**/reports/{report.pk}/")
    page.locator("#report-map").wait_for(state="visible")
    check_page(page)
    main = page.locator("main").inner_text()
    assert "歩道に深さ10cmほどの穴があります。" in main and "受付" in main
    assert "確認中（まだ公開されていません）" in main  # the reporter sees their photo under review
    image = page.locator(".report-photos-list img").first
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")

    # The public list shows it, with the map's GeoJSON for what is in view.
    page.goto("/reports/")
    page.locator("#report-map .leaflet-interactive").first.wait_for()
    check_page(page)
    assert "道路の穴・段差" in page.locator(".report-list").inner_text()
    page.goto("/reports/mine/")
    check_page(page)


def test_report_without_javascript_by_address_and_say_it_is_still_not_fixed(
    browser: Any, live_server: Any, town: Category
) -> None:
    context = browser.new_context(
        java_script_enabled=False, locale="ja-JP", base_url=live_server.url, viewport=PHONE
    )
    page = context.new_page()
    page.goto("/reports/new/")
    page.get_by_role("link", name="道路の穴・段差").click()
    assert not page.locator("#report-map").is_visible()  # no empty map box without JavaScript
    page.get_by_role("button", name="次へ").click()
    assert (
        "場所を地図で選ぶか、住所や目印を書いてください。"
        in page.locator("#error-summary").inner_text()
    )
    page.get_by_label("住所や目印").fill("荒浜小学校の正門前")
    page.get_by_role("button", name="次へ").click()
    page.get_by_label("どんな様子ですか").fill("段差があります。")
    page.get_by_label("メールアドレス（なくてもかまいません）").fill("hanako@example.jp")
    page.get_by_role("button", name="町に送る").click()
    assert "受付番号" in page.locator("main").inner_text()
    report = Report.objects.get()
    assert report.address_string == "荒浜小学校の正門前" and report.latitude is None

    # Staff mark it fixed; someone passing by says it is not.
    Report.objects.filter(pk=report.pk).update(status=Status.FIXED)
    ReportUpdate.objects.create(
        report=report, by_staff=True, status=Status.FIXED, note="補修しました"
    )
    page.goto(f"/reports/{report.pk}/")
    assert sideways_overflow(page) <= 1
    page.get_by_label("今の様子").fill("まだ段差があります。")
    page.get_by_role("button", name="まだ直っていません").click()
    assert "「まだ直っていない」とお知らせしました。" in page.locator("main").inner_text()
    report.refresh_from_db()
    assert report.status == Status.IN_PROGRESS
    context.close()


def test_is_it_one_of_these_page_passes_axe(
    page: Any, live_server: Any, town: Category, resident: User
) -> None:
    Report.objects.create(
        category=town,
        description="前からある穴",
        latitude=38.05,
        longitude=140.85,
        department=town.department,
    )
    sign_in(page, live_server, resident)
    page.set_viewport_size(PHONE)
    page.goto("/reports/new/pothole/")
    page.locator("#report-map").wait_for(state="visible")
    page.get_by_role("button", name="地図の真ん中にピンを置く").click()
    page.get_by_role("button", name="次へ").click()
    page.get_by_role("heading", name="もしかしてこれですか？").wait_for()
    check_page(page)
    assert "前からある穴" in page.locator("main").inner_text()
    page.get_by_role("button", name="新しく通報する").click()
    page.get_by_role("heading", name="様子を教えてください").wait_for()


def test_pages_fit_a_phone_at_the_largest_text(page: Any, town: Category) -> None:
    report = Report.objects.create(
        category=town,
        description="穴" * 300,
        latitude=38.05,
        longitude=140.85,
        department=town.department,
        status=Status.FIXED,
    )
    page.set_viewport_size(PHONE)
    page.goto("/reports/")
    page.context.add_cookies([{"name": "yakuba_text_size", "value": "x-large", "url": page.url}])
    for url in ("/reports/new/", "/reports/new/pothole/", "/reports/", f"/reports/{report.pk}/"):
        page.goto(url)
        assert sideways_overflow(page) <= 1, f"{url} scrolls sideways"
        assert run_axe(page) == [], url
