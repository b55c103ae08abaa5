"""Open311 apps' API keys: issued once and kept as a hash, found by prefix, revoked, counted per
minute, audited; and the staff pages at /reports/staff/open311/."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client

from yakuba.modules.reports import open311_keys
from yakuba.modules.reports.models import Open311Client
from yakuba.platform.accounts.models import User
from yakuba.platform.audit.models import AuditAction, AuditEntry

# The URLconf that mounts the staff pages where the lead will (see test_open311).
pytestmark = pytest.mark.django_db

LIST = "/reports/staff/open311/"
NEW = "/reports/staff/open311/new/"


# --- Services -------------------------------------------------------------------------------------


def test_an_issued_key_is_kept_only_as_a_hash_and_authenticates() -> None:
    client, secret = open311_keys.issue_key(
        by=None, name=" まちレポアプリ ", contact=" a@example.jp "
    )
    assert (client.name, client.contact) == ("まちレポアプリ", "a@example.jp")
    assert secret.startswith(client.prefix + "_")
    assert len(client.prefix) == open311_keys.PREFIX_LENGTH
    assert len(client.prefix) <= Open311Client._meta.get_field("prefix").max_length  # type: ignore[operator]
    stored = Open311Client.objects.get(pk=client.pk)
    assert stored.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(Open311Client.objects.filter(pk=client.pk).values().get())
    assert open311_keys.authenticate(secret) == client
    assert open311_keys.authenticate(f" {secret} ") == client


def test_two_apps_get_different_prefixes_and_keys() -> None:
    first, first_key = open311_keys.issue_key(by=None, name="A")
    second, second_key = open311_keys.issue_key(by=None, name="B")
    assert first.prefix != second.prefix
    assert first_key != second_key
    assert open311_keys.authenticate(second_key) == second


def test_issuing_is_audited_with_the_staff_member_and_never_the_key() -> None:
    clerk = User.objects.create_user(email="clerk@town.example.jp", is_staff=True)
    client, secret = open311_keys.issue_key(by=clerk, name="まちレポアプリ")
    entry = AuditEntry.objects.get(object_type="reports.open311client", object_id=str(client.pk))
    assert (entry.action, entry.actor_id) == (AuditAction.CREATE, clerk.pk)
    assert entry.changes["name"] == "まちレポアプリ"
    assert secret not in str(entry.changes)


@pytest.mark.parametrize("name", ["", "   "])
def test_an_app_needs_a_name(name: str) -> None:
    with pytest.raises(ValidationError) as raised:
        open311_keys.issue_key(by=None, name=name)
    assert "name" in raised.value.message_dict
    assert not Open311Client.objects.exists()


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "api_keyがありません。町が発行したAPIキーを送ってください。"),
        ("o311_0000000_whatever", "api_keyが正しくありません。"),
        ("short", "api_keyが正しくありません。"),
    ],
)
def test_authentication_refuses_a_missing_or_unknown_key(key: str, message: str) -> None:
    open311_keys.issue_key(by=None, name="A")
    with pytest.raises(open311_keys.KeyRefused) as raised:
        open311_keys.authenticate(key)
    assert raised.value.message == message


def test_authentication_refuses_the_right_prefix_with_the_wrong_secret() -> None:
    _client, secret = open311_keys.issue_key(by=None, name="A")
    with pytest.raises(open311_keys.KeyRefused):
        open311_keys.authenticate(secret[:-2] + ("xy" if not secret.endswith("xy") else "zz"))


def test_a_revoked_key_no_longer_authenticates_and_keeps_its_first_date() -> None:
    clerk = User.objects.create_user(email="clerk@town.example.jp", is_staff=True)
    client, secret = open311_keys.issue_key(by=None, name="A")
    revoked = open311_keys.revoke_key(client, by=clerk)
    first_date = revoked.revoked_at
    assert first_date is not None
    with pytest.raises(open311_keys.KeyRefused) as raised:
        open311_keys.authenticate(secret)
    assert raised.value.message == "このapi_keyは失効しています。"
    again = open311_keys.revoke_key(client, by=clerk)
    assert again.revoked_at == first_date
    updates = AuditEntry.objects.filter(object_id=str(client.pk), action=AuditAction.UPDATE)
    assert [(e.actor_id, "revoked_at" in e.changes) for e in updates] == [(clerk.pk, True)]


def test_the_rate_limit_counts_per_app_and_per_minute(settings: Any) -> None:
    cache.clear()
    settings.REPORTS_OPEN311_POSTS_PER_MINUTE = 2
    first, _ = open311_keys.issue_key(by=None, name="A")
    second, _ = open311_keys.issue_key(by=None, name="B")
    start = 60_000_000.0  # the first second of a clock minute
    open311_keys.check_rate_limit(first, now=start + 1)
    open311_keys.check_rate_limit(first, now=start + 2)
    with pytest.raises(open311_keys.RateLimited) as raised:
        open311_keys.check_rate_limit(first, now=start + 20)
    assert (raised.value.limit, raised.value.retry_after) == (2, 40)
    open311_keys.check_rate_limit(second, now=start + 20)
    open311_keys.check_rate_limit(first, now=start + 60)  # a new minute


# --- Staff pages ----------------------------------------------------------------------------------


def make_staff(*, perms: tuple[str, ...] = ("reports.add_open311client",)) -> User:
    user = User.objects.create_user(email="clerk@town.example.jp", is_staff=True)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(make_staff())
    return client


@pytest.mark.parametrize("path", [LIST, NEW, "/reports/staff/open311/{pk}/revoke/"])
def test_staff_without_the_permission_are_refused(client: Client, path: str) -> None:
    app, _ = open311_keys.issue_key(by=None, name="A")
    client.force_login(make_staff(perms=()))
    assert client.get(path.format(pk=app.pk)).status_code == 403
    assert client.post(path.format(pk=app.pk), {"name": "B"}).status_code == 403
    assert Open311Client.objects.get(pk=app.pk).revoked_at is None
    assert Open311Client.objects.count() == 1


def test_signed_out_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(LIST)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_registering_an_app_shows_its_key_once(staff_client: Client) -> None:
    response = staff_client.post(NEW, {"name": "まちレポアプリ", "contact": "ops@app.example"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    app = Open311Client.objects.get()
    page = response.content.decode()
    secret = page.split('id="api-key-secret">')[1].split("<")[0]
    assert open311_keys.authenticate(secret) == app
    assert app.created_by is not None and app.created_by.email == "clerk@town.example.jp"
    listing = staff_client.get(LIST).content.decode()
    assert "まちレポアプリ" in listing
    assert app.prefix in listing
    assert secret not in listing


def test_the_form_refuses_an_app_without_a_name(staff_client: Client) -> None:
    response = staff_client.post(NEW, {"name": "", "contact": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not Open311Client.objects.exists()


def test_revoking_a_key_after_confirmation(staff_client: Client) -> None:
    app, secret = open311_keys.issue_key(by=None, name="まちレポアプリ")
    path = f"/reports/staff/open311/{app.pk}/revoke/"
    confirm = staff_client.get(path)
    assert confirm.status_code == 200
    assert app.prefix in confirm.content.decode()
    assert Open311Client.objects.get(pk=app.pk).revoked_at is None
    done = staff_client.post(path, follow=True)
    assert done.redirect_chain[-1][0] == LIST
    assert "「まちレポアプリ」のキーを失効させました。" in done.content.decode()
    with pytest.raises(open311_keys.KeyRefused):
        open311_keys.authenticate(secret)


def test_revoking_an_unknown_app_is_not_found(staff_client: Client) -> None:
    assert staff_client.post("/reports/staff/open311/999/revoke/").status_code == 404
