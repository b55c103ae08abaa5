"""Sign-up and sign-in through allauth, with the confirmation mail sent over real SMTP."""

from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from yakuba.platform.accounts.models import ResidentProfile, User
from yakuba.platform.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_signup_sends_a_confirmation_mail_and_confirming_signs_the_resident_in(
    client: Client, mailbox
) -> None:
    response = client.post(
        reverse("account_signup"),
        {"email": "new.resident@example.jp", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302

    message = mailbox.wait_for(to="new.resident@example.jp")
    link = next(url for url in mailbox.links(message) if "/accounts/confirm-email/" in url)
    confirm_path = urlsplit(link).path
    assert client.get(confirm_path).status_code == 200  # a page with a button: GET confirms nothing
    assert not EmailAddress.objects.get(email="new.resident@example.jp").verified

    response = client.post(confirm_path)

    assert response.status_code == 302
    user = User.objects.get(email="new.resident@example.jp")
    assert EmailAddress.objects.get(user=user).verified
    assert ResidentProfile.objects.filter(user=user).exists()  # created at sign-up
    assert client.get(reverse("accounts:my_page")).status_code == 200


def test_login_is_refused_until_the_email_address_is_verified(client: Client, mailbox) -> None:
    UserFactory.create(email="unverified@example.jp", verified=False)

    response = client.post(
        reverse("account_login"), {"login": "unverified@example.jp", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert client.get(reverse("accounts:my_page")).status_code == 302  # still signed out
    mailbox.wait_for(to="unverified@example.jp")  # a fresh confirmation mail was sent


def test_the_signup_page_renders_in_our_shell_with_labelled_fields(client: Client) -> None:
    html = client.get(reverse("account_signup")).content.decode()

    assert 'class="site-header"' in html
    assert 'class="field__label" for="id_email"' in html
    assert 'class="button"' in html


def test_the_signup_page_is_in_english_when_english_is_chosen(client: Client) -> None:
    html = client.get(reverse("account_signup"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<html lang="en"' in html
    assert "Sign Up" in html


def test_wrong_passwords_show_an_error_on_the_login_page(client: Client) -> None:
    UserFactory.create(email="someone@example.jp")

    response = client.post(
        reverse("account_login"), {"login": "someone@example.jp", "password": "wrong"}
    )

    assert response.status_code == 200
    assert 'class="error-summary"' in response.content.decode()


@pytest.mark.parametrize("run", [1, 2, 3])
def test_failed_logins_in_one_test_never_throttle_the_next(client: Client, run: int) -> None:
    # allauth allows 5 failed logins per account in 5 minutes; three runs of four failures each
    # would trip it if the rate-limit counters leaked from one test to another.
    UserFactory.create(email="throttle@example.jp")
    for _ in range(4):
        client.post(reverse("account_login"), {"login": "throttle@example.jp", "password": "x"})

    response = client.post(
        reverse("account_login"), {"login": "throttle@example.jp", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:my_page")


def test_rate_limits_still_protect_an_account_within_one_test(client: Client) -> None:
    UserFactory.create(email="attacked@example.jp")
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "attacked@example.jp", "password": "x"})

    response = client.post(
        reverse("account_login"), {"login": "attacked@example.jp", "password": PASSWORD}
    )

    assert response.status_code != 302
