"""A resident uses the open-data pages in Chromium: finds a dataset by typing its katakana title in
hiragana, reads its page, previews and downloads the file; opens the town map on a phone, turns a
layer off and narrows the list by name, with and without JavaScript. Every page passes axe and
fits a 390 px screen. Nothing leaves the machine: requests to other hosts (the map's tiles) are
refused, and the map works without its background."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.fixtures import run_axe
from yakuba.core.models import Municipality
from yakuba.modules.opendata import services
from yakuba.modules.opendata.models import Dataset, Resource
from yakuba.platform.accounts.models import Department
from yakuba.platform.places.models import PlaceKind
from yakuba.platform.places.tests.factories import PlaceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
BUS_STOPS = "名称,所在地_連結表記\n役場前,亘理町字悠里1\n駅前,亘理町字道田西\n"
BENCHES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [140.852, 38.036]},
            "properties": {"名称": "鳥の海ベンチ"},
        }
    ],
}


def publish(department: Department, name: str, title: str, fmt: str, content: bytes) -> Dataset:
    dataset = Dataset.objects.create(name=name, title=title, department=department)
    services.refresh_search_text(dataset)
    resource = Resource.objects.create(dataset=dataset, name=f"{title}", format=fmt)
    services.publish_file(resource, content, row_count=2)
    services.publish_dataset(dataset, by=None)
    return dataset


@pytest.fixture
def town(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    Municipality.objects.create(
        name="亘理町",
        code="043231",
        prefecture="宮城県",
        map_center_latitude=38.036,
        map_center_longitude=140.852,
        map_zoom=15,
    )
    department = Department.objects.create(code="kikaku", name="企画課")
    publish(department, "bus-stops", "コミュニティバス停留所", "CSV", BUS_STOPS.encode())
    publish(department, "benches", "ベンチの場所", "GeoJSON", json.dumps(BENCHES).encode())
    PlaceFactory.create(kind=PlaceKind.AED, name="亘理町役場", latitude=38.037, longitude=140.853)
    PlaceFactory.create(kind=PlaceKind.AED, name="図書館", name_kana="としょかん")
    PlaceFactory.create(kind=PlaceKind.PARK, name="鳥の海公園", latitude=38.035)


@pytest.fixture
def offline(page: Any, live_server: Any) -> Iterator[Any]:
    """The page, with every request to another host refused (tiles included)."""
    local = re.escape(live_server.url)
    page.route(re.compile(rf"^(?!{local}).*"), lambda route: route.abort())
    yield page


def check_page(page: Any) -> None:
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{page.url} scrolls sideways"
    assert run_axe(page) == [], page.url


def test_resident_finds_a_dataset_in_hiragana_and_downloads_it(town: None, offline: Any) -> None:
    page = offline
    page.set_viewport_size(PHONE)
    page.goto("/opendata/")
    check_page(page)

    page.get_by_label("キーワード").fill("こみゅにてぃばす")
    page.get_by_role("button", name="探す", exact=True).click()
    results = page.locator(".dataset-item")
    expect(results).to_have_count(1)
    results.get_by_role("link", name="コミュニティバス停留所").click()

    page.get_by_role("heading", name="このデータの使い方").wait_for()
    assert "出典を書けば" in page.inner_text(".how-to-use")
    assert "出典：亘理町「コミュニティバス停留所」" in page.input_value("#attribution")
    check_page(page)

    page.get_by_role("link", name=re.compile("中身を見る")).click()
    table = page.get_by_role("table")
    assert table.get_by_role("columnheader").all_inner_texts() == ["名称", "所在地_連結表記"]
    assert "役場前" in table.inner_text()
    check_page(page)

    page.go_back()
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("ダウンロード（CSV）")).click()
    download = info.value
    assert download.suggested_filename == "コミュニティバス停留所.csv"
    with open(download.path(), encoding="utf-8") as file:
        assert file.read() == BUS_STOPS


def test_resident_uses_the_town_map_on_a_phone(town: None, offline: Any) -> None:
    page = offline
    page.set_viewport_size(PHONE)
    page.goto("/opendata/map/")
    points = page.locator("#town-map path.leaflet-interactive")
    # Every layer is on at first: two AEDs, a park and the bench.
    expect(points).to_have_count(4)
    aed_list = page.locator(".map-list__layer").filter(has_text="AED設置箇所")
    expect(aed_list).to_be_visible()
    check_page(page)

    page.get_by_role("checkbox", name="AED設置箇所").uncheck()
    expect(points).to_have_count(2)
    expect(aed_list).to_be_hidden()
    expect(page.locator("#town-map-status")).to_have_text("「AED設置箇所」を消しました。")

    page.get_by_role("checkbox", name="AED設置箇所").check()
    page.get_by_label("名前で探す").fill("トショ")
    expect(aed_list.get_by_text("図書館")).to_be_visible()
    expect(aed_list.get_by_text("亘理町役場")).to_be_hidden()
    expect(aed_list.locator(".map-list__count")).to_have_text("1件")
    expect(points).to_have_count(1)
    check_page(page)


def test_the_town_map_list_works_without_javascript(
    town: None, browser: Any, live_server: Any
) -> None:
    context = browser.new_context(
        locale="ja-JP", base_url=live_server.url, java_script_enabled=False, viewport=PHONE
    )
    page = context.new_page()
    try:
        page.goto("/opendata/map/")
        assert page.locator("#town-map").is_hidden()
        page.get_by_role("checkbox", name="公園").uncheck()
        page.get_by_label("名前で探す").fill("としょ")
        page.get_by_role("button", name="表示を更新").click()
        assert page.locator(".map-list__layer").filter(has_text="公園").is_hidden()
        visible = page.locator(".map-list__item:visible")
        assert [t.split()[0] for t in visible.all_inner_texts()] == ["図書館"]
    finally:
        context.close()
