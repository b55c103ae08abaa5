import pytest

from tests.browser.fixtures import run_axe
from yakuba.core.models import Municipality

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def watari() -> Municipality:
    return Municipality.objects.create(
        name="亘理町",
        name_en="Watari Town",
        code="043231",
        prefecture="宮城県",
        map_center_latitude=38.037,
        map_center_longitude=140.853,
        is_demo=True,
    )


def test_home_page_has_no_serious_accessibility_violations(page, watari) -> None:
    page.goto("/")
    assert page.locator("h1").inner_text().startswith("亘理町")
    assert run_axe(page) == []


def test_reader_can_switch_language_text_size_and_furigana_without_javascript(
    browser, live_server, watari
) -> None:
    context = browser.new_context(
        java_script_enabled=False, locale="ja-JP", base_url=live_server.url
    )
    page = context.new_page()
    page.goto("/")
    page.get_by_role("button", name="特大").click()
    assert page.locator("html").get_attribute("class") == "text-x-large"
    page.get_by_role("button", name="ふりがな").click()
    assert page.locator("ruby").count() > 0
    page.select_option("#language-select", "en")
    page.get_by_role("button", name="切替").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Watari Town" in page.locator("header").inner_text()
    context.close()


def test_skip_link_moves_focus_to_the_main_content(page, watari) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
