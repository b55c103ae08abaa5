"""API keys: issuing (the secret shown once, kept as a hash), authenticating, revoking, rate limits,
and the staff pages."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.test import Client

from yakuba.platform.accounts.models import User
from yakuba.platform.notify import apikeys
from yakuba.platform.notify.models import ApiKey

pytestmark = pytest.mark.django_db

LIST = "/notify/staff/api-keys/"
NEW = "/notify/staff/api-keys/new/"


# --- Services -------------------------------------------------------------------------------------


def test_an_issued_key_is_kept_only_as_a_hash_and_authenticates() -> None:
    key, secret = apikeys.issue_key(by=None, name=" 子育て支援システム ", rate_limit_per_minute=30)
    assert key.name == "子育て支援システム"
    assert secret.startswith(key.prefix + "_")
    assert len(key.prefix) <= ApiKey._meta.get_field("prefix").max_length  # type: ignore[operator]
    stored = ApiKey.objects.get(pk=key.pk)
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiKey.objects.filter(pk=key.pk).values().get())
    assert apikeys.authenticate(f"Bearer {secret}") == key
    assert apikeys.authenticate(f"bearer   {secret}") == key


def test_two_keys_have_different_prefixes_and_secrets() -> None:
    first, first_secret = apikeys.issue_key(by=None, name="A")
    second, second_secret = apikeys.issue_key(by=None, name="B")
    assert first.prefix != second.prefix
    assert first_secret != second_secret
    assert apikeys.authenticate(f"Bearer {second_secret}") == second


def test_a_key_with_a_callback_url_gets_a_signing_secret_and_one_without_does_not() -> None:
    with_callback, _ = apikeys.issue_key(by=None, name="A", callback_url="https://a.example/cb")
    without, _ = apikeys.issue_key(by=None, name="B")
    assert len(with_callback.callback_secret) >= 32
    assert without.callback_secret == ""


@pytest.mark.parametrize(
    ("name", "limit", "field"),
    [("", 600, "name"), ("   ", 600, "name"), ("A", 0, "rate_limit_per_minute")],
)
def test_a_key_needs_a_name_and_a_sensible_limit(name: str, limit: int, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        apikeys.issue_key(by=None, name=name, rate_limit_per_minute=limit)
    assert field in raised.value.message_dict
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Token abc",
        "Bearer",
        "Bearer yk_00000000_nothing-like-it",
        "Bearer {secret}x",
        "Basic {secret}",
        "{secret}",
    ],
)
def test_authentication_refuses_anything_but_the_exact_key(header: str) -> None:
    _key, secret = apikeys.issue_key(by=None, name="A")
    with pytest.raises(apikeys.ApiKeyRefused):
        apikeys.authenticate(header.format(secret=secret))


def test_a_revoked_key_no_longer_authenticates_and_keeps_its_first_revocation_date() -> None:
    key, secret = apikeys.issue_key(by=None, name="A")
    revoked = apikeys.revoke_key(key, by=None)
    assert revoked.revoked_at is not None
    with pytest.raises(apikeys.ApiKeyRefused):
        apikeys.authenticate(f"Bearer {secret}")
    again = apikeys.revoke_key(key, by=None)
    assert again.revoked_at == revoked.revoked_at


def test_the_rate_limit_counts_per_key_and_per_minute() -> None:
    key, _ = apikeys.issue_key(by=None, name="A", rate_limit_per_minute=2)
    other, _ = apikeys.issue_key(by=None, name="B", rate_limit_per_minute=2)
    minute_start = 1_700_000_040.0  # a whole minute
    apikeys.check_rate_limit(key, now=minute_start + 1)
    apikeys.check_rate_limit(key, now=minute_start + 2)
    with pytest.raises(apikeys.RateLimited) as raised:
        apikeys.check_rate_limit(key, now=minute_start + 15.5)
    assert raised.value.retry_after == 45
    assert raised.value.limit == 2
    apikeys.check_rate_limit(other, now=minute_start + 16)
    # The next minute starts afresh.
    apikeys.check_rate_limit(key, now=minute_start + 60)


# --- Staff pages ----------------------------------------------------------------------------------


def make_staff(*, perms: tuple[str, ...] = ("notify.add_apikey",), **extra: Any) -> User:
    user = User.objects.create_user(email="clerk@town.example.jp", is_staff=True, **extra)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=user.pk)


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(make_staff())
    return client


@pytest.mark.parametrize("path", [LIST, NEW, "/notify/staff/api-keys/{pk}/revoke/"])
def test_staff_without_the_permission_are_refused(client: Client, path: str) -> None:
    key, _ = apikeys.issue_key(by=None, name="A")
    client.force_login(make_staff(perms=()))
    assert client.get(path.format(pk=key.pk)).status_code == 403
    assert client.post(path.format(pk=key.pk), {"name": "B"}).status_code == 403
    assert ApiKey.objects.count() == 1
    assert ApiKey.objects.get().revoked_at is None


def test_signed_out_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(LIST)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_issuing_a_key_shows_its_secret_once(staff_client: Client) -> None:
    response = staff_client.post(
        NEW,
        {
            "name": "子育て支援システム",
            "rate_limit_per_minute": "120",
            "callback_url": "https://kosodate.example.jp/notify/callback",
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = ApiKey.objects.get()
    secret = response.context["secret"]
    page = response.content.decode()
    assert secret in page
    assert key.callback_secret in page
    assert apikeys.authenticate(f"Bearer {secret}") == key
    assert (key.rate_limit_per_minute, key.created_by) == (120, response.context["user"])

    listing = staff_client.get(LIST).content.decode()
    assert key.prefix in listing
    assert "子育て支援システム" in listing
    assert secret not in listing
    assert key.callback_secret not in listing


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "rate_limit_per_minute": "10"}, "name"),
        ({"name": "A", "rate_limit_per_minute": "0"}, "rate_limit_per_minute"),
        (
            {"name": "A", "rate_limit_per_minute": "10", "callback_url": "http://a.example/cb"},
            "callback_url",
        ),
    ],
)
def test_the_form_refuses_bad_input_and_issues_nothing(
    staff_client: Client, data: dict[str, str], field: str
) -> None:
    response = staff_client.post(NEW, data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert "secret" not in response.context
    assert not ApiKey.objects.exists()


def test_revoking_a_key_after_confirmation(staff_client: Client) -> None:
    key, secret = apikeys.issue_key(by=None, name="古いシステム")
    path = f"/notify/staff/api-keys/{key.pk}/revoke/"
    confirm = staff_client.get(path)
    assert confirm.status_code == 200
    assert "古いシステム" in confirm.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is None

    done = staff_client.post(path, follow=True)
    assert done.redirect_chain[-1][0] == LIST
    key.refresh_from_db()
    assert key.revoked_at is not None
    with pytest.raises(apikeys.ApiKeyRefused):
        apikeys.authenticate(f"Bearer {secret}")
    assert path not in done.content.decode()  # no revoke link for a revoked key


def test_revoking_an_unknown_key_is_not_found(staff_client: Client) -> None:
    assert staff_client.post("/notify/staff/api-keys/999/revoke/").status_code == 404
