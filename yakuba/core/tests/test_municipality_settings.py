"""The municipality settings page (自治体の設定) in the staff console, and its service."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from yakuba.core.models import Municipality
from yakuba.core.registry import registry
from yakuba.core.services import update_municipality
from yakuba.platform.accounts.models import User

pytestmark = pytest.mark.django_db

URL = "/staff/municipality/"


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Path) -> Path:
    """Uploaded logos go to a folder of this test's own."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def make_user(*, staff: bool = True, may_change: bool = True) -> User:
    user = User.objects.create_user(
        email=f"user{User.objects.count()}@town.example.jp",
        password=None,  # force_login signs in; no slow password hashing
        is_staff=staff,
    )
    if may_change:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="core", codename="change_municipality")
        )
    return User.objects.get(pk=user.pk)  # a fresh object, without a cached permission set


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


def form_data(**changes: Any) -> dict[str, Any]:
    data = {
        "name": "亘理町",
        "name_kana": "わたりちょう",
        "name_en": "Watari Town",
        "code": "043231",
        "prefecture": "宮城県",
        "prefecture_en": "Miyagi",
        "postal_code": "989-2393",
        "address": "亘理郡亘理町字悠里1番地",
        "phone": "0223-34-1111",
        "email": "info@town.example.jp",
        "opening_hours": "平日 8:30〜17:15",
        "website": "https://www.town.example.jp/",
        "map_center_latitude": "38.0378",
        "map_center_longitude": "140.8528",
        "map_zoom": "13",
    }
    data.update(changes)
    return data


def image_file(image_format: str = "PNG", *, name: str = "logo.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), (0, 65, 145)).save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{image_format.lower()}")


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


# --- Who may open it ---


def test_staff_without_the_permission_are_refused(client: Client) -> None:
    watari()
    signed_in(client, make_user(may_change=False))
    assert client.get(URL).status_code == 403
    assert client.post(URL, form_data(name="乗っ取り町")).status_code == 403
    assert Municipality.objects.get().name == "亘理町"


def test_residents_are_refused(client: Client) -> None:
    signed_in(client, make_user(staff=False, may_change=True))
    assert client.get(URL).status_code == 403


def test_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_staff_menu_lists_the_page_only_for_staff_with_the_permission() -> None:
    assert "core:municipality_settings" in [
        entry.url_name for entry in registry.staff_menu(make_user())
    ]
    assert "core:municipality_settings" not in [
        entry.url_name for entry in registry.staff_menu(make_user(may_change=False))
    ]


def test_the_service_refuses_a_user_without_the_permission() -> None:
    with pytest.raises(PermissionDenied):
        update_municipality(by=make_user(may_change=False), data={"name": "乗っ取り町"})


# --- Showing and saving ---


def test_the_page_shows_the_current_settings_with_breadcrumbs(client: Client) -> None:
    watari()
    response = signed_in(client, make_user()).get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="043231"' in body
    assert 'enctype="multipart/form-data"' in body
    assert 'href="/staff/"' in body
    assert "自治体の設定" in body


def test_saving_changes_the_settings_and_shows_them_in_the_footer(client: Client) -> None:
    watari()
    signed_in(client, make_user())
    response = client.post(URL, form_data(phone="0223-99-0000"), follow=True)
    body = response.content.decode()
    assert response.redirect_chain == [(URL, 302)]
    assert "自治体の設定を保存しました。" in body
    footer = body.split('<footer class="site-footer">')[1]
    assert "0223-99-0000" in footer
    assert "亘理郡亘理町字悠里1番地" in footer
    municipality = Municipality.objects.get()
    assert municipality.phone == "0223-99-0000"
    assert municipality.map_zoom == 13


def test_a_change_made_on_the_page_is_in_the_audit_log(client: Client) -> None:
    from yakuba.platform.audit.models import AuditEntry

    watari()
    clerk = make_user()
    signed_in(client, clerk).post(URL, form_data(phone="0223-99-0000"))
    entry = AuditEntry.objects.filter(object_type__icontains="municipality").latest("occurred_at")
    assert entry.actor_id == clerk.pk
    assert entry.changes["fields"]["phone"] == {"old": "0223-34-1111", "new": "0223-99-0000"}


def test_the_first_save_creates_the_municipality(client: Client) -> None:
    signed_in(client, make_user())
    page = client.get(URL)
    assert page.status_code == 200
    assert "自治体がまだ登録されていません" in page.content.decode()
    client.post(URL, form_data())
    municipality = Municipality.objects.get()
    assert municipality.name == "亘理町"
    assert municipality.code == "043231"


def test_a_code_with_a_wrong_check_digit_is_refused_and_nothing_is_saved(client: Client) -> None:
    watari()
    signed_in(client, make_user())
    response = client.post(URL, form_data(code="043232", phone="0223-99-0000"))
    body = response.content.decode()
    assert response.status_code == 400
    assert 'class="error-summary"' in body
    assert "全国地方公共団体コードの検査数字が正しくありません。" in body
    assert Municipality.objects.get().phone == "0223-34-1111"


def test_a_missing_name_is_refused_with_a_message_next_to_the_field(client: Client) -> None:
    watari()
    response = signed_in(client, make_user()).post(URL, form_data(name=""))
    assert response.status_code == 400
    assert 'href="#id_name"' in response.content.decode()
    assert Municipality.objects.get().name == "亘理町"


def test_an_empty_form_on_a_fresh_installation_creates_nothing(client: Client) -> None:
    response = signed_in(client, make_user()).post(URL, {})
    assert response.status_code == 400
    assert 'class="error-summary"' in response.content.decode()
    assert not Municipality.objects.exists()


def test_an_out_of_range_zoom_is_refused(client: Client) -> None:
    watari()
    response = signed_in(client, make_user()).post(URL, form_data(map_zoom="25"))
    assert response.status_code == 400
    assert Municipality.objects.get().map_zoom == 13


# --- The logo ---


def test_a_png_logo_is_saved_and_shown_in_the_header(client: Client, media_in_tmp: Path) -> None:
    watari()
    signed_in(client, make_user())
    response = client.post(URL, {**form_data(), "logo": image_file()}, follow=True)
    municipality = Municipality.objects.get()
    assert municipality.logo.name.startswith("municipality/logo")
    assert municipality.logo.name.endswith(".png")
    assert (media_in_tmp / municipality.logo.name).exists()
    assert f'src="{municipality.logo.url}"' in response.content.decode()


@pytest.mark.parametrize(("image_format", "name"), [("JPEG", "photo.JPG"), ("WEBP", "logo.webp")])
def test_jpeg_and_webp_logos_are_accepted(client: Client, image_format: str, name: str) -> None:
    watari()
    signed_in(client, make_user())
    upload = image_file(image_format, name=name)
    response = client.post(URL, {**form_data(), "logo": upload})
    assert response.status_code == 302
    assert Municipality.objects.get().logo.name.endswith(
        {"JPEG": ".jpg", "WEBP": ".webp"}[image_format]
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("logo.png", b"this is not an image at all"),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        ),
    ],
)
def test_a_logo_that_is_not_a_png_jpeg_or_webp_image_is_refused(
    client: Client, name: str, content: bytes
) -> None:
    watari()
    signed_in(client, make_user())
    upload = SimpleUploadedFile(name, content, content_type="image/png")
    response = client.post(URL, {**form_data(phone="0223-99-0000"), "logo": upload})
    body = response.content.decode()
    assert response.status_code == 400
    assert "ロゴには PNG・JPEG・WebP 形式の画像を選んでください（SVG は使えません）。" in body
    municipality = Municipality.objects.get()
    assert not municipality.logo
    assert municipality.phone == "0223-34-1111"


def test_a_png_logo_named_jpg_is_stored_as_png(client: Client) -> None:
    watari()
    signed_in(client, make_user())
    response = client.post(URL, {**form_data(), "logo": image_file(name="logo.jpg")})
    assert response.status_code == 302
    assert Municipality.objects.get().logo.name.endswith(".png")


def test_a_gif_logo_is_refused(client: Client) -> None:
    watari()
    signed_in(client, make_user())
    response = client.post(URL, {**form_data(), "logo": image_file("GIF", name="logo.gif")})
    assert response.status_code == 400
    assert "PNG・JPEG・WebP" in response.content.decode()


def test_a_logo_over_one_megabyte_is_refused(client: Client) -> None:
    watari()
    signed_in(client, make_user())
    png = image_file().read()
    upload = SimpleUploadedFile("logo.png", png + b"\0" * (1024 * 1024), content_type="image/png")
    response = client.post(URL, {**form_data(), "logo": upload})
    assert response.status_code == 400
    assert "ロゴの画像は1MB以下にしてください。" in response.content.decode()
    assert not Municipality.objects.get().logo


def test_replacing_the_logo_deletes_the_old_file_once_saved(
    media_in_tmp: Path, django_capture_on_commit_callbacks: Any
) -> None:
    watari()
    clerk = make_user()
    first = update_municipality(by=clerk, data={}, logo=image_file())
    old_path = media_in_tmp / first.logo.name
    assert old_path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        second = update_municipality(by=clerk, data={}, logo=image_file("JPEG"))
    assert (media_in_tmp / second.logo.name).exists()
    assert not old_path.exists()


def test_the_logo_can_be_removed(client: Client) -> None:
    watari()
    clerk = make_user()
    update_municipality(by=clerk, data={}, logo=image_file())
    signed_in(client, clerk)
    response = client.post(URL, {**form_data(), "logo-clear": "on"})
    assert response.status_code == 302
    assert not Municipality.objects.get().logo


def test_the_service_saves_nothing_when_one_value_is_bad() -> None:
    watari()
    with pytest.raises(ValidationError):
        update_municipality(
            by=make_user(), data={"phone": "0223-99-0000", "email": "not-an-address"}
        )
    assert Municipality.objects.get().phone == "0223-34-1111"


# --- English ---


def test_the_page_is_in_english_for_english_readers(client: Client) -> None:
    watari()
    signed_in(client, make_user())
    body = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en"' in body
    assert "Municipality settings" in body
    assert "Local government code" in body
    assert "自治体の設定" not in body


def test_errors_are_in_english_for_english_readers(client: Client) -> None:
    watari()
    signed_in(client, make_user())
    response = client.post(URL, form_data(code="043232"), HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response.status_code == 400
    assert "check digit" in body
