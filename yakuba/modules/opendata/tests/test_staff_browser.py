"""Staff publish open data in Chromium (issue 7): they register a dataset (a missing title is
explained first), upload a Shift_JIS CSV with errors and see them by row and column, upload the
fixed file and publish it; then anyone finds the data in the catalogue and its points on the town
map. Every staff page passes axe. Requests to other hosts (the map's tiles) are refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import expect

from tests.browser.fixtures import run_axe
from yakuba.core.models import Municipality
from yakuba.modules.opendata.models import Dataset
from yakuba.platform.accounts.models import Department, StaffMember, User
from yakuba.platform.accounts.tests.factories import StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "名称,所在地_連結表記,緯度,経度,設置位置\r\n"
FIXED = HEADER + (
    "亘理町役場,亘理町字悠里1,38.0378,140.8522,1階玄関\r\n"
    "亘理町立図書館,亘理町字西郷140,38.0391,140.8497,入口\r\n"
)
# Row 3 has latitude and longitude swapped.
WITH_ERRORS = HEADER + (
    "亘理町役場,亘理町字悠里1,38.0378,140.8522,1階玄関\r\n"
    "亘理町立図書館,亘理町字西郷140,140.8497,38.0391,入口\r\n"
)


@pytest.fixture
def officer(settings: Any, tmp_path: Any) -> User:
    settings.MEDIA_ROOT = tmp_path
    settings.STAFF_REQUIRE_MFA = False
    Municipality.objects.create(
        name="亘理町",
        code="043231",
        prefecture="宮城県",
        map_center_latitude=38.038,
        map_center_longitude=140.851,
        map_zoom=15,
    )
    department = Department.objects.create(code="kikaku", name="企画課")
    user = StaffFactory.create(
        email="data@town.example.jp", permissions=["opendata.change_dataset"]
    )
    StaffMember.objects.filter(user=user).update(department=department)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def offline(page: Any, live_server: Any) -> Iterator[Any]:
    local = re.escape(live_server.url)
    page.route(re.compile(rf"^(?!{local}).*"), lambda route: route.abort())
    yield page


def sign_in(page: Any, live_server: Any, user: User) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def check_page(page: Any) -> None:
    assert run_axe(page) == [], page.url


def csv_file(text: str) -> dict[str, Any]:
    # Shift_JIS, as Excel on a town office PC saves 「CSV（コンマ区切り）」.
    return {"name": "aed.csv", "mimeType": "text/csv", "buffer": text.encode("cp932")}


def test_staff_fix_an_upload_and_publish_it_and_the_public_sees_it(
    browser: Any, offline: Any, live_server: Any, officer: User
) -> None:
    page = offline
    sign_in(page, live_server, officer)
    page.goto("/opendata/staff/")
    check_page(page)

    # Register the dataset; a missing title is explained first.
    page.get_by_role("link", name="データセットを登録").click()
    page.fill("#id_name", "aed")
    page.get_by_role("button", name="登録する").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("タイトル")
    check_page(page)
    page.fill("#id_title", "AED設置箇所一覧")
    page.fill("#id_tags", "防災、AED")
    page.select_option("#id_standard", label="AED設置箇所一覧")
    page.get_by_role("button", name="登録する").click()
    page.get_by_role("heading", name="AED設置箇所一覧").wait_for()
    check_page(page)

    # A file with errors: listed by row and column, nothing to publish.
    page.get_by_role("link", name="ファイルを取り込む").click()
    check_page(page)
    page.set_input_files("#id_file", files=[csv_file(WITH_ERRORS)])
    page.get_by_role("button", name="確かめる").click()
    page.get_by_role("heading", name="取り込んだファイルの確認").wait_for()
    expect(page.locator("#outcome")).to_contain_text("誤りが1件あるため、公開できません。")
    problems = page.get_by_role("table", name="見つかった問題の一覧")
    error_row = problems.get_by_role("row").filter(has_text="誤り")
    expect(error_row).to_contain_text("3行目")
    expect(error_row).to_contain_text("緯度")
    expect(error_row).to_contain_text("経度と入れ替わっていませんか")
    expect(page.get_by_text("Shift_JIS")).to_be_visible()
    expect(page.get_by_role("button", name="このファイルを公開する")).to_have_count(0)
    check_page(page)

    # The fixed file: no error, published.
    page.get_by_role("link", name="直したファイルを取り込む").click()
    page.set_input_files("#id_file", files=[csv_file(FIXED)])
    page.get_by_role("button", name="確かめる").click()
    expect(page.locator("#outcome")).to_contain_text("誤りはありません。")
    preview = page.get_by_role("table", name="ファイルの最初の行")
    expect(preview).to_contain_text("亘理町立図書館")
    check_page(page)
    # The dataset's first file is named after it unless staff change the name.
    expect(page.locator("#id_name")).to_have_value("AED設置箇所一覧")
    page.get_by_label("変更の内容").fill("初版")
    page.get_by_role("button", name="このファイルを公開する").click()
    expect(page.locator(".notice-list")).to_contain_text("第1版を公開しました")
    page.get_by_role("button", name="データセットを公開する").click()
    expect(page.locator(".notice-list")).to_contain_text("を公開しました")
    check_page(page)
    assert Dataset.objects.get(name="aed").state == Dataset.State.PUBLISHED
    for action in ("情報を変更", "削除"):
        page.get_by_role("link", name=action, exact=True).click()
        check_page(page)
        page.go_back()

    # Anyone, not signed in: the catalogue, then the town map.
    public = browser.new_context(locale="ja-JP", base_url=live_server.url)
    visitor = public.new_page()
    visitor.route(re.compile(rf"^(?!{re.escape(live_server.url)}).*"), lambda r: r.abort())
    try:
        visitor.goto("/opendata/")
        visitor.get_by_role("link", name="AED設置箇所一覧").click()
        expect(visitor.get_by_role("heading", name="ファイル", exact=True)).to_be_visible()
        expect(visitor.get_by_role("link", name=re.compile("ダウンロード（CSV）"))).to_be_visible()

        visitor.goto("/opendata/map/")
        layer = visitor.locator(".map-list__layer").filter(has_text="AED設置箇所一覧")
        expect(layer.get_by_text("亘理町立図書館")).to_be_visible()
        expect(visitor.locator("#town-map path.leaflet-interactive")).to_have_count(2)
    finally:
        public.close()
