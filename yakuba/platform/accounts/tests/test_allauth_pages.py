"""allauth's pages render inside the town's shell with our components, in Japanese and English."""

import pytest
from django.test import Client
from django.urls import reverse

from yakuba.platform.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGNED_OUT_PAGES = [
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_email_verification_sent",
]
# Entrance-style pages (no "my page" breadcrumbs) that a signed-in user also sees.
SIGNED_IN_ENTRANCE_PAGES = ["account_reauthenticate"]
SIGNED_IN_PAGES = [
    "account_email",
    "account_change_password",
    "account_logout",
    "mfa_index",
    "mfa_activate_totp",
    "mfa_list_webauthn",
    "mfa_add_webauthn",
]


@pytest.fixture
def password_client(client: Client) -> Client:
    """Signed in through the login form and re-authenticated, as allauth wants before MFA setup."""
    UserFactory.create(email="someone@example.jp")
    response = client.post(
        reverse("account_login"), {"login": "someone@example.jp", "password": PASSWORD}
    )
    assert response.status_code == 302
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("url_name", SIGNED_OUT_PAGES)
def test_signed_out_allauth_pages_use_our_shell(client: Client, url_name: str, language: str):
    response = client.get(reverse(url_name), HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}"' in html
    assert 'class="site-header"' in html
    assert "<h1>" in html


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("url_name", SIGNED_IN_PAGES)
def test_signed_in_allauth_pages_use_our_shell_and_breadcrumbs(
    password_client: Client, url_name: str, language: str
) -> None:
    response = password_client.get(reverse(url_name), HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="site-header"' in html
    assert reverse("accounts:security") in html


@pytest.mark.parametrize("url_name", SIGNED_IN_ENTRANCE_PAGES)
def test_signed_in_entrance_pages_use_our_shell(password_client: Client, url_name: str) -> None:
    response = password_client.get(reverse(url_name))

    assert response.status_code == 200
    assert 'class="site-header"' in response.content.decode()


def test_totp_setup_page_shows_the_secret_in_a_labelled_field(password_client: Client) -> None:
    html = password_client.get(reverse("mfa_activate_totp")).content.decode()

    assert 'class="field__label" for="authenticator_secret"' in html
    assert 'class="field__label" for="id_code"' in html


def test_form_errors_from_allauth_are_summarised_at_the_top(client: Client) -> None:
    response = client.post(
        reverse("account_signup"),
        {"email": "not-an-email", "password1": "x", "password2": "y"},
    )

    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert 'class="field field--error"' in html
