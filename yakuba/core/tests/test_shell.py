import pytest
from django.test import Client
from django.urls import reverse

from yakuba.core.models import Municipality
from yakuba.core.reader import FURIGANA_COOKIE, TEXT_SIZE_COOKIE
from yakuba.platform.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def watari() -> Municipality:
    return Municipality.objects.create(
        name="亘理町",
        name_en="Watari Town",
        code="043231",
        prefecture="宮城県",
        phone="0223-34-1111",
        map_center_latitude=38.037,
        map_center_longitude=140.853,
    )


def test_home_page_shows_the_municipality_in_japanese_by_default(client: Client, watari) -> None:
    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ja"' in body
    assert "亘理町" in body
    assert "0223-34-1111" in body
    assert 'href="#main"' in body


def test_home_page_in_english_uses_the_english_name(client: Client, watari) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert '<html lang="en"' in body
    assert "Watari Town" in body
    assert "Skip to main content" in body


def test_language_switch_works_as_a_plain_form_post(client: Client, watari) -> None:
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert "Watari Town" in client.get("/").content.decode()


def test_text_size_choice_is_remembered_in_a_cookie(client: Client, watari) -> None:
    response = client.post(
        reverse("core:reader_preferences"), {"text_size": "x-large", "next": "/"}
    )
    assert response.status_code == 302
    assert response.cookies[TEXT_SIZE_COOKIE].value == "x-large"
    assert 'class="text-x-large"' in client.get("/").content.decode()


def test_unknown_text_size_is_ignored(client: Client, watari) -> None:
    client.cookies[TEXT_SIZE_COOKIE] = "gigantic"
    assert 'class="text-standard"' in client.get("/").content.decode()


def test_furigana_toggle_sets_its_cookie(client: Client, watari) -> None:
    response = client.post(reverse("core:reader_preferences"), {"furigana": "on", "next": "/"})
    assert response.cookies[FURIGANA_COOKIE].value == "on"


def test_preferences_never_redirect_to_another_site(client: Client) -> None:
    response = client.post(
        reverse("core:reader_preferences"), {"text_size": "large", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_preferences_refuse_get(client: Client) -> None:
    assert client.get(reverse("core:reader_preferences")).status_code == 405


def test_pages_work_before_a_municipality_is_configured(client: Client) -> None:
    assert client.get("/").status_code == 200


def test_staff_console_sends_anonymous_visitors_to_sign_in(client: Client) -> None:
    response = client.get(reverse("core:staff_home"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_staff_console_is_forbidden_to_residents(client: Client) -> None:
    client.force_login(User.objects.create_user(email="r@example.jp", password="x-Pass-1234"))
    assert client.get(reverse("core:staff_home")).status_code == 403


def test_staff_console_opens_for_staff_when_second_factor_is_not_required(
    client: Client, settings
) -> None:
    settings.STAFF_REQUIRE_MFA = False
    client.force_login(User.objects.create_user(email="s@example.jp", password="x", is_staff=True))
    assert client.get(reverse("core:staff_home")).status_code == 200


def test_staff_console_asks_for_a_second_factor_when_required(client: Client, settings) -> None:
    settings.STAFF_REQUIRE_MFA = True
    client.force_login(User.objects.create_user(email="s@example.jp", password="x", is_staff=True))
    response = client.get(reverse("core:staff_home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("core:staff_second_factor")


def test_admin_has_no_password_form_of_its_own(client: Client) -> None:
    response = client.get("/admin/")
    assert response.status_code == 302
    login = client.get(response["Location"])
    assert login.status_code == 302
    assert login["Location"].startswith(reverse("account_login"))


def test_admin_needs_the_second_factor_when_staff_must_use_one(client: Client, settings) -> None:
    settings.STAFF_REQUIRE_MFA = True
    admin = User.objects.create_superuser(email="a@example.jp", password="x")
    client.force_login(admin)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("core:staff_second_factor")
    settings.STAFF_REQUIRE_MFA = False
    assert client.get("/admin/").status_code == 200


def test_staff_land_in_the_staff_console_after_signing_in(client: Client) -> None:
    user = User.objects.create_user(email="s@example.jp", password="Kaisatsu-2026", is_staff=True)
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    response = client.post(
        reverse("account_login"), {"login": "s@example.jp", "password": "Kaisatsu-2026"}
    )
    assert response["Location"] == reverse("core:staff_home")
