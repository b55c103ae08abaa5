"""Accessibility sweep in Chromium: every page a resident, staff member or auditor reaches has no
serious or critical axe-core (WCAG 2.x A/AA) violation, in Japanese, in English and with the
largest text and furigana; the key pages fit a 390 px phone at the largest text; keyboard focus
stays visible; the error summary takes focus after a failed submit, and the form still works
without JavaScript.

Speed: the pages here only read, so the module loads the demo town ONCE, serves it from its own
live server and signs each role in once through allauth's login form (one browser context per
role; the reader settings are the header's cookies, set per page), instead of a transactional
test flushing and reloading the town for every page. The module empties the database when it
ends, so no other test sees its data. The few tests that submit a form change nothing that the
others read.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from pytest_django.live_server_helper import LiveServer

from tests.browser.fixtures import run_axe
from yakuba.platform.accounts.models import ResidentProfile
from yakuba.platform.places.models import Place

# No django_db mark: a test's transaction would hold SQLite's write lock (transactions begin
# IMMEDIATE) while the live server, on its own connection, needs to write sessions and audit
# entries. The data is the module's (see `site`): loaded once, outside any test, and flushed when
# the module ends.
pytestmark = [pytest.mark.browser]

PASSWORD = "yakuba-demo"
RESIDENT = "resident@example.jp"
STAFF = "staff@example.jp"
AUDITOR = "auditor@example.jp"
ADMIN = "admin@example.jp"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _first_place_code() -> str:
    return str(
        Place.objects.filter(is_public=True).order_by("code").values_list("code", flat=True)[0]
    )


def _resident_profile_id() -> int:
    return int(ResidentProfile.objects.get(user__email=RESIDENT).pk)


@dataclass(frozen=True)
class Visit:
    """A page to check: who is signed in (None: nobody) and its address."""

    who: str | None
    url: Callable[[], str]


WATARI = "%E4%BA%98%E7%90%86"  # 亘理, URL-encoded: matches demo places and residents.
PAGES: dict[str, Visit] = {
    "home": Visit(None, lambda: "/"),
    "login": Visit(None, lambda: "/accounts/login/"),
    "signup": Visit(None, lambda: "/accounts/signup/"),
    "password-reset": Visit(None, lambda: "/accounts/password/reset/"),
    "places-list-filtered": Visit(None, lambda: f"/places/?q={WATARI}"),
    "place-detail": Visit(None, lambda: f"/places/{_first_place_code()}/"),
    "my-page": Visit(RESIDENT, lambda: "/my/"),
    "profile-edit": Visit(RESIDENT, lambda: "/my/profile/"),
    "household-add": Visit(RESIDENT, lambda: "/my/household/add/"),
    "security": Visit(RESIDENT, lambda: "/my/security/"),
    "data-download": Visit(RESIDENT, lambda: "/my/data/"),
    "account-delete": Visit(RESIDENT, lambda: "/my/delete/"),
    "staff-console": Visit(STAFF, lambda: "/staff/"),
    "resident-search-results": Visit(STAFF, lambda: f"/staff/residents/?q={WATARI}"),
    "resident-record": Visit(STAFF, lambda: f"/staff/residents/{_resident_profile_id()}/"),
    "places-staff-list": Visit(STAFF, lambda: "/places/staff/"),
    "places-staff-edit": Visit(STAFF, lambda: f"/places/staff/{_first_place_code()}/edit/"),
    "places-staff-new": Visit(STAFF, lambda: "/places/staff/new/"),
    "places-staff-import": Visit(STAFF, lambda: "/places/staff/import/"),
    "places-staff-districts": Visit(ADMIN, lambda: "/places/staff/districts/"),
    "audit-search-results": Visit(AUDITOR, lambda: f"/staff/audit/?actor={STAFF}"),
    "jobs": Visit(ADMIN, lambda: "/staff/jobs/"),
    "municipality-settings": Visit(ADMIN, lambda: "/staff/municipality/"),
    "totp-setup": Visit(STAFF, lambda: "/accounts/2fa/totp/activate/"),
}

# Checked again in English and at the largest text with furigana (one of each kind of page: a
# landing page, a form, a filtered list, a resident's page, the staff console, a staff search).
KEY_PAGES = [
    "home",
    "login",
    "places-list-filtered",
    "my-page",
    "profile-edit",
    "staff-console",
    "audit-search-results",
]
# Checked on a 390 px phone at the largest text: the pages with wide content (tables, cards).
PHONE_PAGES = [
    "home",
    "login",
    "places-list-filtered",
    "place-detail",
    "my-page",
    "profile-edit",
    "staff-console",
    "resident-search-results",
    "resident-record",
    "places-staff-list",
    "audit-search-results",
    "jobs",
    "municipality-settings",
]


READERS = {
    # (language, text size, furigana) as the header's forms store them in cookies.
    "ja": ("ja", "standard", "off"),
    "en": ("en", "standard", "off"),
    "x-large": ("ja", "x-large", "on"),
}


@dataclass
class DemoSite:
    """The demo town on a live server, with one signed-in browser context per role."""

    url: str
    contexts: dict[str | None, Any] = field(default_factory=dict)
    # Each page's address, worked out from the demo data when the site starts.
    addresses: dict[str, str] = field(default_factory=dict)

    def open(self, name: str, reader: str = "ja", *, viewport: dict[str, int] = DESKTOP) -> Any:
        """Open page `name` as its role, read in `reader` (a key of READERS)."""
        visit = PAGES[name]
        context = self.contexts[visit.who]
        language, text_size, furigana = READERS[reader]
        context.add_cookies(
            [
                {"name": "django_language", "value": language, "url": self.url},
                {"name": "yakuba_text_size", "value": text_size, "url": self.url},
                {"name": "yakuba_furigana", "value": furigana, "url": self.url},
            ]
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.set_viewport_size(viewport)
        response = page.goto(self.addresses[name])
        assert response is not None and response.status == 200, f"{name}: {response}"
        return page


def sign_in(page: Any, email: str) -> None:
    """Sign in through allauth's login form, as a person would."""
    page.goto("/accounts/login/")
    page.locator("main input[name=login]").fill(email)
    page.locator("main input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("header form[action$='/accounts/logout/']").count() == 1, email


# Lists what sticks out past the right edge (outside any scroller), for the failure message.
WIDE = """() => {
  const clipped = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  return [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 && !clipped(el))
    .slice(0, 10)
    .map((el) => el.outerHTML.slice(0, 80));
}"""


@pytest.fixture(scope="module")
def site(browser: Any, django_db_setup: None, django_db_blocker: Any) -> Iterator[DemoSite]:
    with django_db_blocker.unblock():
        call_command("load_demo_town", verbosity=0)
        server = LiveServer("localhost")
        demo = DemoSite(url=server.url)
        demo.addresses = {name: visit.url() for name, visit in PAGES.items()}
        try:
            # Signed in here, before any test's own transaction begins, so the sessions last.
            for who in (None, RESIDENT, STAFF, AUDITOR, ADMIN):
                context = browser.new_context(locale="ja-JP", base_url=server.url)
                demo.contexts[who] = context
                if who is not None:
                    page = context.new_page()
                    sign_in(page, who)
                    if who == STAFF:
                        # Opening a resident's record is audited: the auditor then has results.
                        page.goto(f"/staff/residents/{_resident_profile_id()}/")
                    page.close()
            yield demo
        finally:
            for context in demo.contexts.values():
                context.close()
            server.stop()
            # Leave the database as empty as a transactional test does.
            call_command("flush", interactive=False, verbosity=0)


@pytest.mark.django_db
def test_the_demo_town_is_on_the_site(site: DemoSite) -> None:
    """The one test with the django_db mark: pytest-django creates the test database only for a
    run that has one, and this module may be run alone."""
    assert site.addresses["place-detail"].startswith("/places/")
    assert set(site.contexts) == {None, RESIDENT, STAFF, AUDITOR, ADMIN}


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_accessibility_violations(site: DemoSite, name: str) -> None:
    page = site.open(name)
    assert page.locator("html").get_attribute("lang") == "ja"
    if name.endswith("-results"):
        assert page.locator("main table tbody tr").count() > 0, f"{name} shows no results"
    assert run_axe(page) == []
    page.close()


@pytest.mark.parametrize("name", KEY_PAGES)
def test_page_in_english_has_no_serious_accessibility_violations(site: DemoSite, name: str) -> None:
    page = site.open(name, "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert run_axe(page) == []
    page.close()


@pytest.mark.parametrize("name", KEY_PAGES)
def test_page_at_largest_text_with_furigana_has_no_serious_accessibility_violations(
    site: DemoSite, name: str
) -> None:
    page = site.open(name, "x-large")
    assert page.locator("html").get_attribute("class") == "text-x-large"
    assert run_axe(page) == []
    page.close()


@pytest.mark.parametrize("name", PHONE_PAGES)
def test_page_fits_a_phone_at_the_largest_text_without_sideways_scrolling(
    site: DemoSite, name: str, tmp_path: Path
) -> None:
    page = site.open(name, "x-large", viewport=PHONE)
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    if overflow > 1:
        shot = tmp_path / f"phone-{name}.png"
        page.screenshot(path=shot, full_page=True)
        pytest.fail(f"{name} is {overflow}px wider than the phone ({shot}): {page.evaluate(WIDE)}")
    page.close()


def test_header_tools_fit_and_work_on_a_phone_at_the_largest_text(site: DemoSite) -> None:
    page = site.open("home", "x-large", viewport=PHONE)
    controls = page.locator("header a, header button, header select")
    for index in range(controls.count()):
        box = controls.nth(index).bounding_box()
        assert box is not None
        # Inside the screen, and at least WCAG 2.2's 24 px target size.
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        assert box["height"] >= 24, box
    page.locator("header button[name=text_size][value=standard]").click()
    assert page.locator("html").get_attribute("class") == "text-standard"
    page.close()


def test_keyboard_focus_is_visible(site: DemoSite) -> None:
    page = site.open("home")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the town name, home link
    style = page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return [s.outlineStyle, parseFloat(s.outlineWidth), s.boxShadow]; }"""
    )
    assert style[0] != "none" and style[1] >= 2, style
    assert style[2] != "none", style
    page.close()


def test_error_summary_takes_focus_after_a_failed_submit(site: DemoSite) -> None:
    page = site.open("profile-edit")
    page.locator("main input[name=family_name_kana]").fill("Watari")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    # A link in the summary takes the keyboard to the field itself.
    page.locator("#error-summary a").first.click()
    assert page.evaluate("document.activeElement.name") == "family_name_kana"
    page.close()


def test_failed_sign_in_shows_the_error_summary_without_javascript_then_signs_in(
    browser: Any, site: DemoSite
) -> None:
    context = browser.new_context(locale="ja-JP", base_url=site.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.locator("main input[name=login]").fill(RESIDENT)
    page.locator("main input[name=password]").fill("not-the-password")
    page.locator("main form button[type=submit]").click()
    assert page.locator("#error-summary").is_visible()
    sign_in(page, RESIDENT)
    assert page.url.endswith("/my/")
    context.close()
