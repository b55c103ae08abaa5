"""Browser fixtures for this app's browser tests: the suite's own Chromium and page (tests/browser)."""

from tests.browser.conftest import browser, page  # noqa: F401
