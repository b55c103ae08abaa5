"""The residents' place finder and the staff import page in a real browser (axe-core, no JS)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.browser.fixtures import run_axe
from yakuba.core.models import Municipality
from yakuba.platform.places import demo

from .factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_town() -> None:
    Municipality.objects.create(
        name="亘理町",
        code="043231",
        prefecture="宮城県",
        map_center_latitude=38.037,
        map_center_longitude=140.853,
        is_demo=True,
    )
    demo.load_demo()


@pytest.mark.parametrize("path", ["/places/", "/places/?kind=shelter", "/places/FAC-001/"])
def test_resident_pages_have_no_serious_accessibility_violations(
    page: Any, demo_town: None, path: str
) -> None:
    page.goto(path)
    assert run_axe(page) == []


def test_resident_filters_places_without_javascript(
    browser: Any, live_server: Any, demo_town: None
) -> None:
    context = browser.new_context(
        java_script_enabled=False, locale="ja-JP", base_url=live_server.url
    )
    tab = context.new_page()
    tab.goto("/places/")
    tab.get_by_label("種別").select_option("aed")
    tab.get_by_role("button", name="検索").click()
    cards = tab.locator(".card")
    assert cards.count() == 5
    for index in range(cards.count()):
        assert "AED設置箇所" in cards.nth(index).inner_text()
    tab.get_by_role("link", name="亘理町役場 1階ロビー", exact=True).click()
    assert tab.locator("h1").inner_text().startswith("亘理町役場 1階ロビー")
    context.close()


def test_staff_import_page_has_no_serious_accessibility_violations(
    browser: Any, live_server: Any, demo_town: None
) -> None:
    user = make_user(perms=("places.view_place", "places.add_place", "places.change_place"))
    context = browser.new_context(locale="ja-JP", base_url=live_server.url)
    tab = context.new_page()
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    tab.goto("/places/staff/import/")
    tab.set_input_files(
        "#id_file",
        files=[
            {
                "name": "p.csv",
                "mimeType": "text/csv",
                "buffer": "ID,種別,名称,緯度,経度\nX,城,名,北,140\n".encode(),
            }
        ],
    )
    tab.get_by_role("button", name="取り込む").click()
    assert "2行目: 種別" in tab.locator(".error-summary").inner_text()
    assert run_axe(tab) == []
    context.close()
