"""A new resident signs up, verifies the email, signs in and fills in the profile, in Chromium."""

import pytest
from django.core.management import call_command

from tests.browser.fixtures import run_axe
from yakuba.platform.accounts.models import ResidentProfile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "hanako.watari@example.jp"
PASSWORD = "Sakura-no-Michi-2026"


@pytest.fixture
def demo_town() -> None:
    call_command("load_demo_town", verbosity=0)


def test_resident_signs_up_verifies_signs_in_and_edits_the_profile(
    page, mailbox, demo_town, settings
) -> None:
    settings.ACCOUNT_RATE_LIMITS = False

    page.goto("/")
    page.get_by_role("link", name="新規登録").first.click()
    page.get_by_label("メールアドレス").fill(EMAIL)
    page.get_by_label("パスワード", exact=False).first.fill(PASSWORD)
    page.get_by_label("パスワード (再入力)").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    assert "確認" in page.locator("main").inner_text()

    # The verification mail travels over SMTP; its link opens the confirmation page.
    message = mailbox.wait_for(to=EMAIL)
    link = next(url for url in mailbox.links(message) if "/accounts/confirm-email/" in url)
    page.goto(link)
    page.locator("main form button[type=submit]").click()

    # Sign out, then sign in with the verified address.
    page.locator("header form[action$='/accounts/logout/'] button").click()
    page.goto("/accounts/login/")
    page.get_by_label("メールアドレス").fill(EMAIL)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/my/")

    page.goto("/my/profile/")
    assert run_axe(page) == []
    page.get_by_label("氏", exact=True).fill("亘理")
    page.get_by_label("名", exact=True).fill("花子")
    page.get_by_label("氏（かな）").fill("ワタリ")
    page.get_by_label("名（かな）").fill("タナカ")
    page.get_by_label("名（かな）").fill("ハナコ")
    page.get_by_label("郵便番号").fill("989-2351")
    page.get_by_label("住所").fill("宮城県亘理郡亘理町字悠里1")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/my/")
    assert "亘理 花子" in page.locator("main").inner_text()

    profile = ResidentProfile.objects.get(user__email=EMAIL)
    assert (profile.family_name, profile.given_name_kana) == ("亘理", "ハナコ")


def test_profile_with_bad_kana_shows_the_error_next_to_the_field_and_saves_nothing(
    page, demo_town
) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("メールアドレス").fill("resident@example.jp")
    page.get_by_label("パスワード").fill("yakuba-demo")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/my/")
    before = ResidentProfile.objects.get(user__email="resident@example.jp").family_name_kana

    page.goto("/my/profile/")
    page.get_by_label("氏（かな）").fill("Watari")
    page.locator("main form button[type=submit]").click()

    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert "ひらがなまたはカタカナ" in summary.inner_text()
    assert run_axe(page) == []
    profile = ResidentProfile.objects.get(user__email="resident@example.jp")
    assert profile.family_name_kana == before
