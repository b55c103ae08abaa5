"""Signing in with an external OpenID Connect provider (外部IDでのログイン), end to end.

The provider is a stand-in on 127.0.0.1 (`oidc_provider.py`) that speaks OpenID Connect over real
HTTP; the site is configured for it through `settings.openid_connect_providers`, the same function
that reads the OIDC_* variables in production. Each sign-in goes the way a browser would: the
provider button on the login page, allauth's confirmation (POST), the provider's authorize endpoint,
and back to our callback with the code and state the provider sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from yakuba.config.settings import openid_connect_providers
from yakuba.platform.accounts.models import ResidentProfile, User
from yakuba.platform.accounts.services import delete_account
from yakuba.platform.accounts.tests.factories import PASSWORD, UserFactory
from yakuba.platform.accounts.tests.oidc_provider import Identity, OIDCProvider

if TYPE_CHECKING:
    # The test client's response type (with .redirect_chain), known to django-stubs only.
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

PROVIDER_ID = "town-idp"
PROVIDER_NAME = "亘理町ID"
LOGIN_URL = f"/accounts/oidc/{PROVIDER_ID}/login/"
CALLBACK_URL = f"http://testserver/accounts/oidc/{PROVIDER_ID}/login/callback/"
LOGIN_FAILED = "外部アカウントによるログインに失敗しました"

HANAKO = Identity(sub="watari-0001", email="hanako@example.jp", name="亘理 花子")


@pytest.fixture
def provider(settings, db) -> Iterator[OIDCProvider]:
    """The stand-in provider, running, and the site configured for it as `OIDC_*` would."""
    with OIDCProvider(client_id="yakuba-watari", client_secret="client-secret-0123") as idp:
        settings.SOCIALACCOUNT_PROVIDERS = openid_connect_providers(
            {
                "OIDC_PROVIDER_ID": PROVIDER_ID,
                "OIDC_PROVIDER_NAME": PROVIDER_NAME,
                "OIDC_CLIENT_ID": idp.client_id,
                "OIDC_CLIENT_SECRET": idp.client_secret,
                "OIDC_SERVER_URL": idp.issuer,
            }
        )
        idp.resident = HANAKO
        yield idp


def leave_for_provider(client: Client, *, process: str = "login") -> str:
    """From the provider button to the provider's authorize URL (allauth confirms with a POST)."""
    confirmation = client.get(LOGIN_URL, {"process": process})
    assert confirmation.status_code == 200
    assert PROVIDER_NAME in confirmation.content.decode()
    response = client.post(f"{LOGIN_URL}?process={process}")
    assert response.status_code == 302
    location: str = response["Location"]
    return location


def authorize(authorize_url: str) -> dict[str, str]:
    """The browser at the provider: it signs the resident in and redirects back to our callback."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK_URL
    return dict(parse_qsl(back.query))


def return_from_provider(
    client: Client, params: dict[str, str], *, follow: bool = False
) -> Response:
    return client.get(urlsplit(CALLBACK_URL).path, params, follow=follow)


def sign_in(client: Client, *, follow: bool = False) -> Response:
    return return_from_provider(client, authorize(leave_for_provider(client)), follow=follow)


def signed_in_user(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return None if user_id is None else User.objects.get(pk=user_id)


def test_the_login_page_offers_sign_in_with_the_configured_provider(
    client: Client, provider: OIDCProvider
) -> None:
    page = client.get("/accounts/login/").content.decode()

    assert f'href="{LOGIN_URL}?process=login">{PROVIDER_NAME}</a>' in page


def test_the_login_page_offers_no_external_sign_in_when_no_provider_is_configured(
    client: Client, settings, db
) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = openid_connect_providers({})

    page = client.get("/accounts/login/").content.decode()

    assert "/accounts/oidc/" not in page
    assert client.get(LOGIN_URL).status_code == 404


def test_the_site_asks_the_provider_for_a_code_with_pkce_and_its_own_callback(
    client: Client, provider: OIDCProvider
) -> None:
    query = dict(parse_qsl(urlsplit(leave_for_provider(client)).query))

    assert query["client_id"] == "yakuba-watari"
    assert query["redirect_uri"] == CALLBACK_URL
    assert query["response_type"] == "code"
    assert set(query["scope"].split()) == {"openid", "profile", "email"}
    assert query["state"]
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"]


def test_signing_in_creates_a_resident_with_the_providers_verified_email_and_a_profile(
    client: Client, provider: OIDCProvider
) -> None:
    response = sign_in(client)

    assert response.status_code == 302
    assert response["Location"] == "/my/"
    user = signed_in_user(client)
    assert user is not None
    assert user.email == "hanako@example.jp"
    assert not user.has_usable_password()
    assert EmailAddress.objects.filter(
        user=user, email="hanako@example.jp", verified=True, primary=True
    ).exists()
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, account.uid) == (PROVIDER_ID, "watari-0001")
    assert ResidentProfile.objects.filter(user=user).exists()
    assert client.get("/my/").status_code == 200


def test_the_code_is_redeemed_with_the_client_secret_and_the_pkce_verifier(
    client: Client, provider: OIDCProvider
) -> None:
    sign_in(client)

    [token_request] = provider.token_requests
    assert token_request["grant_type"] == "authorization_code"
    assert token_request["client_id"] == "yakuba-watari"
    assert token_request["client_secret"] == "client-secret-0123"
    assert token_request["redirect_uri"] == CALLBACK_URL
    assert token_request["code_verifier"]


def test_a_second_sign_in_with_the_same_subject_signs_in_the_same_user(
    provider: OIDCProvider,
) -> None:
    first, second = Client(), Client()
    sign_in(first)
    # The provider's record changed in between (a new name); the subject identifies the person.
    provider.resident = Identity(sub=HANAKO.sub, email=HANAKO.email, name="亘理 花")

    response = sign_in(second)

    assert response.status_code == 302
    assert response["Location"] == "/my/"
    assert signed_in_user(second) == signed_in_user(first)
    assert User.objects.count() == 1
    assert SocialAccount.objects.count() == 1
    assert ResidentProfile.objects.count() == 1


def test_another_subject_is_another_resident(provider: OIDCProvider) -> None:
    first, second = Client(), Client()
    sign_in(first)
    provider.resident = Identity(sub="watari-0002", email="taro@example.jp", name="亘理 太郎")

    sign_in(second)

    taro = signed_in_user(second)
    assert taro is not None
    assert taro.email == "taro@example.jp"
    assert taro != signed_in_user(first)


def test_a_code_the_token_endpoint_refuses_shows_the_error_page_and_signs_nobody_in(
    client: Client, provider: OIDCProvider
) -> None:
    params = authorize(leave_for_provider(client))

    response = return_from_provider(client, {**params, "code": "not-a-code-the-provider-issued"})

    assert response.status_code == 401
    assert LOGIN_FAILED in response.content.decode()
    assert len(provider.token_requests) == 1
    assert signed_in_user(client) is None
    assert not User.objects.exists()


def test_a_wrong_client_secret_shows_the_error_page_and_signs_nobody_in(
    client: Client, provider: OIDCProvider, settings
) -> None:
    settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0]["secret"] = "stale-secret"

    response = sign_in(client)

    assert LOGIN_FAILED in response.content.decode()
    assert signed_in_user(client) is None
    assert not User.objects.exists()


def test_a_code_cannot_be_redeemed_twice(client: Client, provider: OIDCProvider) -> None:
    params = authorize(leave_for_provider(client))
    return_from_provider(client, params)
    client.logout()
    # Replaying the same callback URL (e.g. from the browser history or a leaked log).
    response = return_from_provider(client, params)

    assert LOGIN_FAILED in response.content.decode()
    assert signed_in_user(client) is None


def test_a_state_this_browser_never_received_shows_the_error_page_and_signs_nobody_in(
    client: Client, provider: OIDCProvider
) -> None:
    params = authorize(leave_for_provider(client))

    response = return_from_provider(client, {**params, "state": "forged-state"})

    assert response.status_code == 401
    assert LOGIN_FAILED in response.content.decode()
    assert provider.token_requests == []
    assert signed_in_user(client) is None
    assert not User.objects.exists()


def test_a_callback_started_in_another_browser_signs_nobody_in(provider: OIDCProvider) -> None:
    """Login CSRF: an attacker's own code and state, planted in a resident's browser."""
    attacker, victim = Client(), Client()
    params = authorize(leave_for_provider(attacker))

    response = return_from_provider(victim, params)

    assert LOGIN_FAILED in response.content.decode()
    assert provider.token_requests == []
    assert signed_in_user(victim) is None


def test_a_resident_who_cancels_at_the_provider_is_not_signed_in(
    client: Client, provider: OIDCProvider
) -> None:
    provider.resident = None

    response = sign_in(client, follow=True)

    assert "ログインをキャンセルしました" in response.content.decode()
    assert signed_in_user(client) is None
    assert provider.token_requests == []


def test_an_id_token_issued_for_another_client_is_refused(
    client: Client, provider: OIDCProvider
) -> None:
    provider.id_token_audience = "some-other-client"

    response = sign_in(client)

    assert LOGIN_FAILED in response.content.decode()
    assert signed_in_user(client) is None
    assert not User.objects.exists()


@pytest.mark.parametrize("verified", [False, True], ids=["unverified", "verified"])
def test_the_providers_email_never_takes_over_an_existing_local_account(
    client: Client, provider: OIDCProvider, mailbox, verified: bool
) -> None:
    """SOCIALACCOUNT_EMAIL_AUTHENTICATION=False: an address alone never opens someone's account.

    The owner is told by mail that someone tried to sign up with their address (allauth's
    enumeration prevention), and can connect the provider from their own security page.
    """
    owner = UserFactory.create(email="hanako@example.jp")
    provider.resident = Identity(sub="attacker-9", email=owner.email, email_verified=verified)

    response = sign_in(client)

    assert response.status_code == 302
    assert signed_in_user(client) is None
    assert User.objects.get() == owner
    assert not SocialAccount.objects.exists()
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    assert list(EmailAddress.objects.values_list("user", "email", "verified")) == [
        (owner.pk, "hanako@example.jp", True)
    ]
    notice = mailbox.wait_for(to=owner.email)
    assert "/accounts/password/reset/" in mailbox.text_body(notice)


def test_an_unverified_email_from_the_provider_must_be_confirmed_before_signing_in(
    client: Client, provider: OIDCProvider, mailbox
) -> None:
    provider.resident = Identity(sub="watari-0003", email="jiro@example.jp", email_verified=False)

    response = sign_in(client)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert signed_in_user(client) is None
    user = User.objects.get(email="jiro@example.jp")
    assert EmailAddress.objects.filter(user=user, verified=False).exists()
    confirmation = mailbox.wait_for(to="jiro@example.jp")
    assert "/accounts/confirm-email/" in mailbox.text_body(confirmation)


def test_the_connected_provider_is_listed_on_the_residents_connections_page(
    client: Client, provider: OIDCProvider
) -> None:
    sign_in(client)

    page = client.get("/accounts/3rdparty/").content.decode()

    assert PROVIDER_NAME in page


def test_a_provider_that_shares_no_email_asks_the_resident_for_one_and_confirms_it_by_mail(
    client: Client, provider: OIDCProvider, mailbox
) -> None:
    provider.resident = Identity(sub="line-u123", email=None, name="亘理 三郎")

    response = sign_in(client, follow=True)

    assert response.redirect_chain[-1][0] == "/accounts/3rdparty/signup/"
    page = response.content.decode()
    assert '<label class="field__label" for="id_email">' in page
    assert not User.objects.exists()
    response = client.post("/accounts/3rdparty/signup/", {"email": "saburo@example.jp"})

    assert response.status_code == 302
    assert signed_in_user(client) is None
    account = SocialAccount.objects.get(uid="line-u123")
    assert account.user.email == "saburo@example.jp"
    assert ResidentProfile.objects.filter(user=account.user).exists()
    confirmation = mailbox.wait_for(to="saburo@example.jp")
    assert "/accounts/confirm-email/" in mailbox.text_body(confirmation)


def test_the_data_download_includes_what_the_provider_told_the_town(
    client: Client, provider: OIDCProvider
) -> None:
    sign_in(client)

    data = json.loads(client.post("/my/data/").content)

    [connected] = data["user"]["connected_accounts"]
    assert (connected["provider"], connected["uid"]) == (PROVIDER_ID, "watari-0001")
    assert connected["extra_data"]["userinfo"]["name"] == "亘理 花子"


def test_deleting_the_account_deletes_the_provider_connection(
    client: Client, provider: OIDCProvider
) -> None:
    sign_in(client)
    user = signed_in_user(client)
    assert user is not None

    delete_account(user, by=user)

    assert not SocialAccount.objects.exists()
    assert not User.objects.exists()


def test_the_owner_of_a_local_account_can_connect_the_provider_and_then_sign_in_with_it(
    client: Client, provider: OIDCProvider
) -> None:
    owner = UserFactory.create(email="hanako@example.jp")
    client.force_login(owner)
    params = authorize(leave_for_provider(client, process="connect"))

    response = return_from_provider(client, params)

    assert response["Location"] == "/accounts/3rdparty/"
    assert SocialAccount.objects.get(uid=HANAKO.sub).user == owner
    other_browser = Client()
    sign_in(other_browser)
    assert signed_in_user(other_browser) == owner
