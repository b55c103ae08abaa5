"""Real-browser test fixtures (a pytest plugin loaded by the root conftest.py): Debian's Chromium
driven by Playwright, against Django's live server.

The browser is /usr/bin/chromium (`make test` installs the Debian package when missing); Playwright
never downloads a browser build. axe-core comes from the npm package installed by `make test`.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

CHROMIUM = os.environ.get("YAKUBA_CHROMIUM", "/usr/bin/chromium")
AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# Without these, Chromium tries to reach Google's services, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("Chromium is missing: run `make test`, which installs Debian's chromium.")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test body
    # are still synchronous and safe here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(locale="ja-JP", base_url=live_server.url)
    page = context.new_page()
    # Generous: CI shares two cores between the live server, Chromium and the test.
    page.set_default_timeout(20_000)
    yield page
    context.close()


def sign_in(page: Any, live_server: Any, user: Any) -> None:
    """Sign `user` in on the page's browser, in place of whoever was signed in: the sign-in form
    has tests of its own, so the session is made by Django's test client and handed over."""
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def check_page(page: Any) -> None:
    """The page fits the screen (no sideways scrolling, e.g. on a phone) and passes axe."""
    overflow = int(page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth"))
    assert overflow <= 1, f"{page.url} scrolls sideways"
    assert run_axe(page) == [], page.url


def run_axe(page: Any) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.x A/AA rules) on the page; return serious and critical violations."""
    if not AXE_SCRIPT.exists():
        pytest.fail("axe-core is missing: run `make test`, which runs `npm ci`.")
    # After a click the next page may still be loading: without its stylesheet every link is
    # too small a target (a false target-size failure seen on a busy machine).
    page.wait_for_load_state("load")
    page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}
        })"""
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
