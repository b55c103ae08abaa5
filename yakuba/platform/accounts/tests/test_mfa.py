"""The staff console and the second factor (core's staff_required with STAFF_REQUIRE_MFA)."""

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.test import Client
from django.urls import reverse

from yakuba.platform.accounts.tests.factories import PASSWORD, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mfa_required(settings) -> None:
    settings.STAFF_REQUIRE_MFA = True


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_staff_signed_in_by_password_only_is_sent_to_the_second_factor_page(
    client: Client, mfa_required: None
) -> None:
    StaffFactory.create(email="clerk@example.jp")
    client.post(reverse("account_login"), {"login": "clerk@example.jp", "password": PASSWORD})

    response = client.get(reverse("core:staff_home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("core:staff_second_factor")


def test_staff_who_completed_the_totp_step_can_open_the_console(
    client: Client, mfa_required: None
) -> None:
    staff = StaffFactory.create(email="clerk@example.jp")
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)

    response = client.post(
        reverse("account_login"), {"login": "clerk@example.jp", "password": PASSWORD}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert response.status_code == 302

    assert client.get(reverse("core:staff_home")).status_code == 200


def test_a_wrong_totp_code_does_not_sign_the_staff_member_in(
    client: Client, mfa_required: None
) -> None:
    staff = StaffFactory.create(email="clerk@example.jp")
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    wrong = f"{(int(current_code(secret)) + 1) % 1_000_000:06d}"

    client.post(reverse("account_login"), {"login": "clerk@example.jp", "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": wrong})

    assert response.status_code == 200
    assert client.get(reverse("core:staff_home")).status_code == 302


def test_the_resident_lookup_also_needs_the_second_factor(
    client: Client, mfa_required: None
) -> None:
    StaffFactory.create(email="clerk@example.jp", permissions=["accounts.view_residentprofile"])
    client.post(reverse("account_login"), {"login": "clerk@example.jp", "password": PASSWORD})

    response = client.get(reverse("accounts:staff_resident_search"))

    assert response.status_code == 302
    assert response["Location"] == reverse("core:staff_second_factor")
