"""The resident's own pages and the staff lookup, through HTTP."""

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from yakuba.core.reader import FURIGANA_COOKIE, TEXT_SIZE_COOKIE
from yakuba.core.registry import ModuleEntry, PersonalData, registry
from yakuba.platform.accounts.models import HouseholdMember, ResidentProfile, User
from yakuba.platform.accounts.tests.conftest import signed_in
from yakuba.platform.accounts.tests.factories import (
    PASSWORD,
    DistrictFactory,
    HouseholdMemberFactory,
    ResidentProfileFactory,
    StaffFactory,
    UserFactory,
)
from yakuba.platform.audit.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db

VIEW_RESIDENTS = "accounts.view_residentprofile"


def profile_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "family_name": "亘理",
        "given_name": "一郎",
        "family_name_kana": "わたり",
        "given_name_kana": "いちろう",
        "birth_date": "1970-05-05",
        "phone": "0223-34-1111",
        "postal_code": "9892351",
        "address": "宮城県亘理郡亘理町字悠里1",
        "district": "",
        "preferred_language": "ja",
        "text_size": "large",
        "furigana": "on",
        "notification_channels": ["email", "line"],
        "topics": ["disaster", "transport"],
    }
    data.update(overrides)
    return data


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """A pretend feature module's personal-data hooks, recording each call."""
    calls: list[tuple[str, int]] = []

    def export(user: User) -> dict[str, Any]:
        calls.append(("export", user.pk))
        return {"bookings": ["2026-04-01 体育館"]}

    def erase(user: User) -> None:
        calls.append(("erase", user.pk))

    entry = ModuleEntry(
        app_label="testmodule", title="test", personal_data=PersonalData(export, erase)
    )
    monkeypatch.setitem(registry._entries, "testmodule", entry)
    return calls


def test_my_page_needs_a_sign_in(client: Client) -> None:
    response = client.get(reverse("accounts:my_page"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_first_visit_to_my_page_creates_an_empty_profile(client: Client) -> None:
    user = UserFactory.create()
    client.force_login(user)

    response = client.get(reverse("accounts:my_page"))

    assert response.status_code == 200
    assert ResidentProfile.objects.get(user=user).notification_channels == ["in_app"]


def test_my_page_shows_the_profile_and_household(resident_client: Client, resident) -> None:
    HouseholdMemberFactory.create(profile=resident, name="亘理 陽翔")

    html = resident_client.get(reverse("accounts:my_page")).content.decode()

    assert resident.given_name in html
    assert "亘理 陽翔" in html


def test_profile_edit_saves_every_field_and_remembers_the_display_choices(
    resident_client: Client, resident
) -> None:
    district = DistrictFactory.create()

    response = resident_client.post(
        reverse("accounts:profile_edit"), profile_data(district=district.pk)
    )

    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.given_name == "一郎"
    assert resident.postal_code == "989-2351"
    assert resident.district == district
    assert resident.notification_channels == ["in_app", "email", "line"]
    assert resident.topics == ["disaster", "transport"]
    assert response.cookies[TEXT_SIZE_COOKIE].value == "large"
    assert response.cookies[FURIGANA_COOKIE].value == "on"


def test_profile_edit_with_bad_kana_shows_the_error_and_saves_nothing(
    resident_client: Client, resident
) -> None:
    response = resident_client.post(
        reverse("accounts:profile_edit"), profile_data(given_name="一郎", given_name_kana="Ichiro")
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "ひらがなまたはカタカナで入力してください。" in html
    assert 'class="error-summary"' in html
    resident.refresh_from_db()
    assert resident.given_name != "一郎"
    assert resident.text_size == "standard"


def test_profile_edit_refuses_a_birth_date_in_the_future(resident_client: Client, resident) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = resident_client.post(
        reverse("accounts:profile_edit"), profile_data(birth_date=tomorrow.isoformat())
    )

    assert "生年月日に未来の日付は指定できません。" in response.content.decode()
    resident.refresh_from_db()
    assert resident.birth_date == date(1980, 4, 1)


def test_profile_edit_error_is_in_english_for_an_english_reader(
    resident_client: Client, resident
) -> None:
    response = resident_client.post(
        reverse("accounts:profile_edit"),
        profile_data(given_name_kana="Ichiro"),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert "Please enter hiragana or katakana." in response.content.decode()


def test_household_member_can_be_added(resident_client: Client, resident) -> None:
    response = resident_client.post(
        reverse("accounts:household_add"),
        {
            "name": "亘理 結衣",
            "name_kana": "わたり ゆい",
            "relationship": "child",
            "birth_date": "2020-01-15",
        },
    )

    assert response.status_code == 302
    assert resident.household_members.get().name == "亘理 結衣"


def test_household_member_with_a_future_birth_date_is_refused(
    resident_client: Client, resident
) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = resident_client.post(
        reverse("accounts:household_add"),
        {"name": "亘理 結衣", "relationship": "child", "birth_date": tomorrow.isoformat()},
    )

    assert response.status_code == 200
    assert "生年月日に未来の日付は指定できません。" in response.content.decode()
    assert not resident.household_members.exists()


def test_household_member_can_be_edited_and_removed(resident_client: Client, resident) -> None:
    member = HouseholdMemberFactory.create(profile=resident)

    resident_client.post(
        reverse("accounts:household_edit", args=[member.pk]),
        {
            "name": "亘理 次郎",
            "name_kana": "",
            "relationship": "spouse",
            "birth_date": "1979-01-01",
        },
    )
    member.refresh_from_db()
    assert member.name == "亘理 次郎"

    resident_client.post(reverse("accounts:household_delete", args=[member.pk]))
    assert not HouseholdMember.objects.filter(pk=member.pk).exists()


@pytest.mark.parametrize("url_name", ["accounts:household_edit", "accounts:household_delete"])
def test_resident_cannot_touch_another_residents_household_member(
    resident_client: Client, url_name: str
) -> None:
    someone_elses = HouseholdMemberFactory.create()

    assert resident_client.get(reverse(url_name, args=[someone_elses.pk])).status_code == 404
    response = resident_client.post(
        reverse(url_name, args=[someone_elses.pk]),
        {"name": "乗っ取り", "relationship": "other", "birth_date": "2000-01-01"},
    )

    assert response.status_code == 404
    someone_elses.refresh_from_db()
    assert someone_elses.name == "亘理 太郎"


def test_resident_cannot_open_the_staff_lookup(resident_client: Client) -> None:
    other = ResidentProfileFactory.create()

    assert resident_client.get(reverse("accounts:staff_resident_search")).status_code == 403
    detail = reverse("accounts:staff_resident_detail", args=[other.pk])
    assert resident_client.get(detail).status_code == 403
    assert not AuditEntry.objects.exists()


def test_staff_without_the_permission_gets_403() -> None:
    staff = StaffFactory.create(permissions=["places.view_place"])
    other = ResidentProfileFactory.create()
    client = signed_in(staff)

    assert client.get(reverse("accounts:staff_resident_search")).status_code == 403
    detail = reverse("accounts:staff_resident_detail", args=[other.pk])
    assert client.get(detail).status_code == 403
    assert not AuditEntry.objects.exists()


def test_staff_search_finds_residents_by_kana_and_lists_names_only() -> None:
    ResidentProfileFactory.create(
        family_name="佐藤", family_name_kana="さとう", phone="090-0000-1111"
    )
    ResidentProfileFactory.create(family_name="鈴木", family_name_kana="すずき")
    client = signed_in(StaffFactory.create(permissions=[VIEW_RESIDENTS]))

    html = client.get(reverse("accounts:staff_resident_search"), {"q": "さとう"}).content.decode()

    assert "佐藤" in html
    assert "鈴木" not in html
    assert "090-0000-1111" not in html
    assert not AuditEntry.objects.exists()


def test_staff_search_filters_by_district_and_paginates() -> None:
    district = DistrictFactory.create()
    ResidentProfileFactory.create_batch(25, district=district)
    ResidentProfileFactory.create(family_name="別区")
    client = signed_in(StaffFactory.create(permissions=[VIEW_RESIDENTS]))

    first = client.get(reverse("accounts:staff_resident_search"), {"district": district.pk})
    second = client.get(
        reverse("accounts:staff_resident_search"), {"district": district.pk, "page": 2}
    )

    assert first.context["page"].paginator.count == 25
    assert len(first.context["page"].object_list) == 20
    assert len(second.context["page"].object_list) == 5
    assert "別区" not in first.content.decode()


def test_staff_opening_a_resident_record_writes_an_audit_entry() -> None:
    staff = StaffFactory.create(permissions=[VIEW_RESIDENTS])
    profile = ResidentProfileFactory.create(phone="090-1234-5678")
    HouseholdMemberFactory.create(profile=profile, name="亘理 トメ")

    response = signed_in(staff).get(reverse("accounts:staff_resident_detail", args=[profile.pk]))

    assert response.status_code == 200
    assert "090-1234-5678" in response.content.decode()
    assert "亘理 トメ" in response.content.decode()
    entry = AuditEntry.objects.get()
    assert entry.action == AuditAction.READ
    assert entry.actor_id == staff.pk
    assert entry.subject_user_id == profile.user_id
    assert entry.object_type == "accounts.residentprofile"
    assert entry.object_id == str(profile.pk)


def test_staff_menu_lists_the_lookup_only_for_staff_with_the_permission() -> None:
    allowed = signed_in(StaffFactory.create(permissions=[VIEW_RESIDENTS]))
    other = signed_in(StaffFactory.create())
    url = reverse("accounts:staff_resident_search")

    assert url in allowed.get(reverse("core:staff_home")).content.decode()
    assert url not in other.get(reverse("core:staff_home")).content.decode()


def test_data_download_contains_the_profile_household_and_every_modules_share(
    resident_client: Client, resident, hooks: list[tuple[str, int]]
) -> None:
    HouseholdMemberFactory.create(profile=resident, name="亘理 太郎")

    response = resident_client.post(reverse("accounts:data_download"))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["user"]["email"] == resident.user.email
    assert data["profile"]["given_name"] == resident.given_name
    assert data["household"][0]["name"] == "亘理 太郎"
    assert data["testmodule"] == {"bookings": ["2026-04-01 体育館"]}
    assert data["accounts"]["profile"]["given_name"] == resident.given_name
    assert hooks == [("export", resident.user_id)]


def test_account_deletion_erases_every_modules_share_and_deletes_the_user(
    resident_client: Client, resident, hooks: list[tuple[str, int]]
) -> None:
    HouseholdMemberFactory.create(profile=resident)
    user_id = resident.user_id

    response = resident_client.post(reverse("accounts:account_delete"), {"password": PASSWORD})

    assert response.status_code == 302
    assert not User.objects.filter(pk=user_id).exists()
    assert not ResidentProfile.objects.filter(user_id=user_id).exists()
    assert not HouseholdMember.objects.exists()
    assert hooks == [("erase", user_id)]
    assert resident_client.get(reverse("accounts:my_page")).status_code == 302  # signed out


def test_account_deletion_with_a_wrong_password_deletes_nothing(
    resident_client: Client, resident, hooks: list[tuple[str, int]]
) -> None:
    response = resident_client.post(reverse("accounts:account_delete"), {"password": "wrong"})

    assert response.status_code == 200
    assert "パスワードが正しくありません。" in response.content.decode()
    assert User.objects.filter(pk=resident.user_id).exists()
    assert ResidentProfile.objects.filter(pk=resident.pk).exists()
    assert hooks == []


def test_account_deletion_is_all_or_nothing_when_a_module_fails(
    resident_client: Client, resident, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(user: User) -> None:
        raise RuntimeError("cannot erase")

    entry = ModuleEntry(
        app_label="broken",
        title="broken",
        personal_data=PersonalData(lambda u: {}, refuse),
        order=1,
    )
    monkeypatch.setitem(registry._entries, "broken", entry)

    with pytest.raises(RuntimeError):
        resident_client.post(reverse("accounts:account_delete"), {"password": PASSWORD})

    assert ResidentProfile.objects.filter(pk=resident.pk).exists()


def test_staff_cannot_delete_their_own_account_and_are_told_why() -> None:
    staff = StaffFactory.create()
    client = signed_in(staff)

    page = client.get(reverse("accounts:account_delete"))
    response = client.post(reverse("accounts:account_delete"), {"password": PASSWORD})

    assert "職員のアカウントは、ご自身では削除できません。" in page.content.decode()
    assert response.status_code == 403
    assert User.objects.filter(pk=staff.pk).exists()


def test_security_page_links_to_email_password_and_second_factors(
    resident_client: Client,
) -> None:
    html = resident_client.get(reverse("accounts:security")).content.decode()

    for name in ("account_email", "account_change_password", "mfa_index", "mfa_list_webauthn"):
        assert reverse(name) in html


def test_allauth_manage_pages_render_in_our_shell(resident_client: Client) -> None:
    html = resident_client.get(reverse("mfa_index")).content.decode()

    assert 'class="site-header"' in html
    assert reverse("accounts:security") in html
    assert 'class="panel"' in html


def test_admin_lists_staff_accounts_for_a_superuser(client: Client) -> None:
    admin_user = User.objects.create_superuser("root@example.jp", PASSWORD)
    StaffFactory.create(email="clerk@example.jp")
    client.force_login(admin_user)

    response = client.get("/admin/accounts/user/", {"q": "clerk"})

    assert response.status_code == 200
    assert "clerk@example.jp" in response.content.decode()
    assert client.get("/admin/accounts/user/add/").status_code == 200


def test_security_page_offers_outside_accounts_only_when_a_provider_is_configured(
    client: Client, settings: Any
) -> None:
    client.force_login(User.objects.create_user(email="sec@example.jp", password="x-Pass-1234"))
    settings.SOCIALACCOUNT_PROVIDERS = {}
    assert "外部サービスとの連携" not in client.get("/my/security/").content.decode()
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": [{"provider_id": "town-idp"}]}}
    assert "外部サービスとの連携" in client.get("/my/security/").content.decode()
