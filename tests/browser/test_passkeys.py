"""Passkeys and staff TOTP in Chromium, through allauth's own pages and scripts.

The passkey is made by Chromium's virtual authenticator (DevTools protocol), so the whole WebAuthn
ceremony runs for real: allauth's static JavaScript calls navigator.credentials.create / .get under
our Content Security Policy (script-src 'self'), the server verifies the attestation and assertion.
"""

import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from allauth.mfa.utils import decrypt
from django.core.management import call_command

from tests.browser.fixtures import run_axe
from yakuba.platform.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESIDENT = "resident@example.jp"
STAFF = "staff@example.jp"
PASSWORD = "yakuba-demo"
TOTP_PERIOD = 30


@pytest.fixture
def demo_town() -> None:
    call_command("load_demo_town", verbosity=0)


@pytest.fixture
def problems(page: Any) -> list[str]:
    """Console errors and uncaught exceptions in the page (a CSP refusal shows up here)."""
    found: list[str] = []

    def on_console(message: Any) -> None:
        # Chromium also logs a page's own status (the 403 of /staff/second-factor/), which the
        # tests assert themselves, and the /favicon.ico it asks for on its own.
        source = message.location["url"]
        if message.type == "error" and source != page.url and not source.endswith("/favicon.ico"):
            found.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


@pytest.fixture
def authenticator(page: Any) -> str:
    """A platform authenticator (like a phone's fingerprint reader) that always says yes."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    authenticator_id: str = added["authenticatorId"]
    return authenticator_id


def sign_in_with_password(page: Any, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()


def confirm_password(page: Any) -> None:
    """allauth asks for the password again before a second factor is added (再認証)."""
    page.wait_for_url("**/accounts/reauthenticate/**")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()


def sign_out(page: Any) -> None:
    logout = page.locator("header form[action$='/accounts/logout/']")
    logout.locator("button").click()
    # Signed out once the page after the POST no longer offers to sign out.
    logout.wait_for(state="detached")


def current_totp_code(secret: str) -> str:
    """The code an authenticator app shows now, never one about to expire (no flaky boundary)."""
    if TOTP_PERIOD - time.time() % TOTP_PERIOD < 3:
        time.sleep(TOTP_PERIOD - time.time() % TOTP_PERIOD + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // TOTP_PERIOD))


def test_the_live_server_is_a_secure_context_for_webauthn(page: Any, live_server: Any) -> None:
    assert urlsplit(live_server.url).hostname == "localhost"
    page.goto("/")
    assert page.evaluate("window.isSecureContext") is True


def test_resident_adds_a_passkey_then_signs_in_with_it_alone(
    page: Any, authenticator: str, problems: list[str], demo_town: None
) -> None:
    sign_in_with_password(page, RESIDENT)
    page.wait_for_url("**/my/")

    page.goto("/my/security/")
    page.locator("main").get_by_role("link", name="パスキー", exact=True).click()
    page.wait_for_url("**/accounts/2fa/webauthn/")
    assert run_axe(page) == []
    page.locator("main").get_by_role("link", name="追加").click()
    confirm_password(page)
    page.wait_for_url("**/accounts/2fa/webauthn/add/")
    assert run_axe(page) == []
    # allauth's scripts are static files (script-src 'self'); its page data is inert JSON.
    assert page.evaluate("typeof window.allauth?.webauthn?.forms?.addForm") == "function"

    page.get_by_label("キーの名前").fill("わたしのスマートフォン")
    page.get_by_label("パスワードレス").check()
    page.locator("#mfa_webauthn_add").click()
    page.wait_for_url(lambda url: not url.endswith("/webauthn/add/"))

    key = Authenticator.objects.get(user__email=RESIDENT, type=Authenticator.Type.WEBAUTHN)
    assert key.data["name"] == "わたしのスマートフォン"
    assert key.wrap().is_passwordless is True
    page.goto("/accounts/2fa/webauthn/")
    assert "わたしのスマートフォン" in page.locator("main").inner_text()
    assert run_axe(page) == []

    sign_out(page)
    page.goto("/accounts/login/")
    page.get_by_role("button", name="パスキーでログイン").click()
    page.wait_for_url("**/my/")
    assert page.locator("header form[action$='/accounts/logout/']").is_visible()
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert problems == []


def test_staff_sets_up_totp_and_the_console_opens_only_after_the_code(
    page: Any, problems: list[str], demo_town: None, settings: Any
) -> None:
    settings.STAFF_REQUIRE_MFA = True
    sign_in_with_password(page, STAFF)
    page.wait_for_url("**/staff/**")

    # A password alone does not open the console.
    page.goto("/staff/")
    assert page.url.endswith("/staff/second-factor/")
    page.get_by_role("link", name="二段階認証を設定する").click()
    page.wait_for_url("**/accounts/2fa/")
    page.locator("main").get_by_role("link", name="有効化する").click()
    confirm_password(page)
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    assert run_axe(page) == []

    # What the staff member would type into an authenticator app, read from the page itself.
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("コード").fill(current_totp_code(secret))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: not url.endswith("/totp/activate/"))
    totp = Authenticator.objects.get(user__email=STAFF, type=Authenticator.Type.TOTP)
    assert decrypt(totp.data["secret"]) == secret

    sign_out(page)
    sign_in_with_password(page, STAFF)
    page.wait_for_url("**/accounts/2fa/authenticate/")
    assert run_axe(page) == []
    page.get_by_label("コード").fill(current_totp_code(secret))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/staff/")

    response = page.goto("/staff/")
    assert response.status == 200
    assert page.url.endswith("/staff/")
    assert problems == []


def test_staff_with_totp_who_types_a_wrong_code_stays_out_of_the_console(
    page: Any, demo_town: None, settings: Any
) -> None:
    settings.STAFF_REQUIRE_MFA = True
    secret = generate_totp_secret()
    TOTP.activate(User.objects.get(email=STAFF), secret)
    # A code no authenticator would show for this secret now (nor one step either side).
    counter = int(time.time()) // TOTP_PERIOD
    valid = {format_hotp_value(hotp_value(secret, counter + step)) for step in (-1, 0, 1, 2)}
    wrong = next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in valid)

    sign_in_with_password(page, STAFF)
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.get_by_label("コード").fill(wrong)
    page.locator("main form button[type=submit]").first.click()

    page.locator("#error-summary").wait_for()
    assert page.url.endswith("/accounts/2fa/authenticate/")
    page.goto("/staff/")
    assert urlsplit(page.url).path == "/accounts/2fa/authenticate/"
    assert page.locator("header form[action$='/accounts/logout/']").count() == 0
