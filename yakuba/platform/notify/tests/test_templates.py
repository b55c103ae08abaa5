"""Message templates (ひな形): the service's rules and audit trail, the staff pages, starting a
message from a template and saving a sent text as a template."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from yakuba.platform.accounts.models import User
from yakuba.platform.accounts.tests.factories import StaffFactory
from yakuba.platform.audit.models import AuditAction, AuditEntry
from yakuba.platform.notify import templates_service
from yakuba.platform.notify.models import Message, Template
from yakuba.platform.notify.tests.factories import DistrictFactory, ResidentFactory

pytestmark = pytest.mark.django_db

SEND = ["notify.view_message", "notify.add_message"]
OBJECT_TYPE = "notify.template"
CONTENTS = {
    "ja": {"subject": "断水のお知らせ", "body": "((氏名))様\n((行政区))で断水します。"},
    "ja-easy": {"subject": "みずが でません", "body": "((行政区))で みずが でません。"},
    "en": {"subject": "Water outage", "body": "Dear ((氏名)), water will be off in ((行政区))."},
}


@pytest.fixture(autouse=True)
def _console(settings: Any, tmp_path: Path) -> None:
    settings.STAFF_REQUIRE_MFA = False
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def staff() -> User:
    user: User = StaffFactory.create(permissions=SEND)
    return user


def login(client: Client, permissions: list[str] | None = None) -> User:
    user: User = StaffFactory.create(permissions=SEND if permissions is None else permissions)
    client.force_login(user)
    return user


def template_entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type=OBJECT_TYPE, action=action))


def form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "断水",
        "topic": "",
        "subject_ja": CONTENTS["ja"]["subject"],
        "body_ja": CONTENTS["ja"]["body"],
        "subject_ja_easy": CONTENTS["ja-easy"]["subject"],
        "body_ja_easy": CONTENTS["ja-easy"]["body"],
        "subject_en": CONTENTS["en"]["subject"],
        "body_en": CONTENTS["en"]["body"],
        "action": "save",
    }
    data.update(overrides)
    return data


def compose_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "segment": "",
        "seg-combine": "all",
        "seg-everyone": "on",
        "kind": "notify.announcement",
        "topic": "disaster",
        "subject_ja": "断水のお知らせ",
        "body_ja": "((氏名))様\n((行政区))で断水します。",
        "subject_en": "Water outage",
        "body_en": "Water will be off in ((行政区)).",
        "link_url": "",
        "question_mode": "none",
        "send_mode": "now",
        "scheduled_at": "",
    }
    data.update(overrides)
    return data


def field_value(page: str, name: str) -> str:
    """The value an <input> or <textarea> named `name` shows."""
    textarea = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    if textarea:
        return unescape(textarea.group(1)).strip("\n")
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert tag, name
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return unescape(value.group(1)) if value else ""


# --- Service --------------------------------------------------------------------------------------


def test_creating_a_template_keeps_the_cleaned_text_and_is_audited(staff: User) -> None:
    contents = {
        **CONTENTS,
        "ja": {"subject": "  断水のお知らせ ", "body": CONTENTS["ja"]["body"]},
        "vi": {"subject": "", "body": ""},  # an empty variant is dropped, not an error
    }
    template = templates_service.create_template(
        by=staff, name=" 断水 ", topic="disaster", contents=contents
    )
    template.refresh_from_db()
    assert template.name == "断水"
    assert template.topic == "disaster"
    assert template.contents == CONTENTS
    assert template.created_by == staff
    (entry,) = template_entries(AuditAction.CREATE)
    assert entry.actor_id == staff.pk
    assert entry.object_id == str(template.pk)
    assert entry.changes["contents"] == CONTENTS


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (
            {"contents": {"en": CONTENTS["en"]}},
            "日本語の件名と本文を入力してください。",
        ),
        (
            {"contents": {"ja": {"subject": "件名", "body": ""}}},
            "日本語の本文を入力してください。",
        ),
        (
            {"contents": {"ja": {"subject": "件" * 101, "body": "本文"}}},
            "件名は100文字以内",
        ),
        (
            {"contents": {"ja": {"subject": "件名", "body": "本" * 5001}}},
            "本文は5000文字以内",
        ),
        (
            {"contents": {**CONTENTS, "xx": {"subject": "?", "body": "?"}}},
            "対応していない言語です: xx",
        ),
        ({"name": "  "}, "ひな形の名前を入力してください。"),
        ({"name": "名" * 101}, "ひな形の名前は100文字以内"),
        ({"topic": "gossip"}, "分野が正しくありません。"),
    ],
)
def test_a_bad_template_is_refused_and_nothing_is_saved(
    staff: User, arguments: dict[str, Any], error: str
) -> None:
    values: dict[str, Any] = {"name": "断水", "contents": CONTENTS, "topic": "", **arguments}
    with pytest.raises(ValidationError) as raised:
        templates_service.create_template(by=staff, **values)
    assert any(error in message for message in raised.value.messages)
    assert Template.objects.count() == 0
    assert template_entries(AuditAction.CREATE) == []


def test_updating_a_template_changes_only_what_is_given_and_is_audited(staff: User) -> None:
    template = templates_service.create_template(
        by=staff, name="断水", topic="disaster", contents=CONTENTS
    )
    new_text = {"ja": {"subject": "断水の終了", "body": "((行政区))の断水は終わりました。"}}
    templates_service.update_template(template, by=staff, contents=new_text)
    template.refresh_from_db()
    assert (template.name, template.topic, template.contents) == ("断水", "disaster", new_text)
    (entry,) = template_entries(AuditAction.UPDATE)
    assert entry.changes["contents"] == new_text


def test_a_bad_update_leaves_the_template_as_it_was(staff: User) -> None:
    template = templates_service.create_template(by=staff, name="断水", contents=CONTENTS)
    with pytest.raises(ValidationError):
        templates_service.update_template(
            template, by=staff, name="新しい名前", contents={"en": CONTENTS["en"]}
        )
    template.refresh_from_db()
    assert (template.name, template.contents) == ("断水", CONTENTS)
    assert template_entries(AuditAction.UPDATE) == []


def test_deleting_a_template_keeps_messages_made_from_it(staff: User) -> None:
    template = templates_service.create_template(by=staff, name="断水", contents=CONTENTS)
    message = Message.objects.create(
        kind="notify.announcement", contents=CONTENTS, template=template
    )
    pk = template.pk
    templates_service.delete_template(template, by=staff)
    assert not Template.objects.filter(pk=pk).exists()
    message.refresh_from_db()
    assert message.template is None and message.contents == CONTENTS
    (entry,) = template_entries(AuditAction.DELETE)
    assert (entry.object_id, entry.actor_id) == (str(pk), staff.pk)
    assert entry.changes["contents"] == CONTENTS


# --- Pages: who may open them -----------------------------------------------------------------


def _pages(template: Template) -> list[tuple[str, str]]:
    return [
        ("get", reverse("notify:template_list")),
        ("get", reverse("notify:template_new")),
        ("post", reverse("notify:template_new")),
        ("get", reverse("notify:template_edit", args=[template.pk])),
        ("post", reverse("notify:template_edit", args=[template.pk])),
        ("get", reverse("notify:template_delete", args=[template.pk])),
        ("post", reverse("notify:template_delete", args=[template.pk])),
    ]


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, staff: User) -> None:
    template = templates_service.create_template(by=staff, name="断水", contents=CONTENTS)
    for method, url in _pages(template):
        response = getattr(client, method)(url, form_data(name="変更"))
        assert response.status_code == 302, url
        assert "login" in response["Location"]
    template.refresh_from_db()
    assert template.name == "断水"
    assert Template.objects.count() == 1


@pytest.mark.parametrize("who", ["resident", "staff without permission"])
def test_residents_and_staff_without_the_permission_are_refused(
    client: Client, staff: User, who: str
) -> None:
    template = templates_service.create_template(by=staff, name="断水", contents=CONTENTS)
    if who == "resident":
        client.force_login(ResidentFactory.create().user)
    else:
        login(client, ["notify.view_message"])
    for method, url in _pages(template):
        response = getattr(client, method)(url, form_data(name="変更"))
        assert response.status_code == 403, url
    template.refresh_from_db()
    assert template.name == "断水"
    assert Template.objects.count() == 1


# --- Pages: list, write, preview, delete ------------------------------------------------------


def test_staff_create_a_template_in_several_languages(client: Client) -> None:
    user = login(client)
    response = client.post(reverse("notify:template_new"), form_data(topic="disaster"))
    assert response.status_code == 302
    template = Template.objects.get()
    assert template.contents == CONTENTS
    assert (template.topic, template.created_by) == ("disaster", user)
    listing = client.get(reverse("notify:template_list")).content.decode()
    assert "断水" in listing
    assert "日本語、やさしい日本語、English" in listing
    assert f"{reverse('notify:staff_compose')}?template={template.pk}" in listing
    assert "このひな形で通知を作る" in listing


def test_the_form_lists_placeholders_and_previews_with_sample_values(client: Client) -> None:
    DistrictFactory.create(code="arahama", name="荒浜", order=1)
    login(client)
    response = client.post(
        reverse("notify:template_new"),
        form_data(body_ja="((氏名))様\n((行政区))で((日付))に断水します。", action="preview"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    placeholders = re.search(r'id="template-placeholders">(.*?)</ul>', page, re.S)
    assert placeholders
    found = re.findall(r"<code>\(\((.+?)\)\)</code>", placeholders.group(1))
    assert found == ["氏名", "行政区", "日付"]  # the per-recipient ones first
    assert "送るときに値が必要です。" in placeholders.group(1)
    japanese = re.search(r'id="template-preview-ja">(.*?)</section>', page, re.S)
    assert japanese
    assert "亘理 花子（見本）様\n荒浜で（日付の見本）に断水します。" in japanese.group(1)
    english = re.search(r'id="template-preview-en">(.*?)</section>', page, re.S)
    assert english and "Dear 亘理 花子（見本）, water will be off in 荒浜." in english.group(1)
    assert Template.objects.count() == 0  # a preview saves nothing


def test_a_template_without_japanese_is_refused_on_the_page(client: Client) -> None:
    login(client)
    response = client.post(reverse("notify:template_new"), form_data(subject_ja="", body_ja=""))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert Template.objects.count() == 0


def test_an_unfinished_variant_is_refused_on_the_page(client: Client) -> None:
    login(client)
    response = client.post(reverse("notify:template_new"), form_data(body_en=""))
    assert response.status_code == 400
    assert "Englishの本文を入力してください。" in response.content.decode()
    assert Template.objects.count() == 0


def test_staff_edit_a_template(client: Client) -> None:
    user = login(client)
    template = templates_service.create_template(by=user, name="断水", contents=CONTENTS)
    page = client.get(reverse("notify:template_edit", args=[template.pk])).content.decode()
    assert field_value(page, "subject_en") == "Water outage"
    assert field_value(page, "body_ja_easy") == CONTENTS["ja-easy"]["body"]
    response = client.post(
        reverse("notify:template_edit", args=[template.pk]),
        form_data(
            name="断水（終了）", subject_ja="断水の終了", subject_ja_easy="", body_ja_easy=""
        ),
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.name == "断水（終了）"
    assert template.contents["ja"]["subject"] == "断水の終了"
    assert set(template.contents) == {"ja", "en"}  # the emptied variant is gone


def test_staff_delete_a_template_after_confirming(client: Client) -> None:
    user = login(client)
    template = templates_service.create_template(by=user, name="断水", contents=CONTENTS)
    url = reverse("notify:template_delete", args=[template.pk])
    assert "断水" in client.get(url).content.decode()
    assert Template.objects.count() == 1  # asking deletes nothing
    response = client.post(url)
    assert response["Location"] == reverse("notify:template_list")
    assert Template.objects.count() == 0
    assert template_entries(AuditAction.DELETE)


# --- Compose: start from a template, save as a template -----------------------------------------


def test_compose_is_prefilled_from_a_template_in_every_language(client: Client) -> None:
    user = login(client)
    template = templates_service.create_template(
        by=user, name="断水", topic="disaster", contents=CONTENTS
    )
    blank = client.get(reverse("notify:staff_compose")).content.decode()
    assert 'id="template-picker"' in blank
    assert field_value(blank, "subject_ja") == ""
    page = client.get(reverse("notify:staff_compose"), {"template": template.pk}).content.decode()
    assert field_value(page, "subject_ja") == "断水のお知らせ"
    assert field_value(page, "body_ja") == CONTENTS["ja"]["body"]
    assert field_value(page, "subject_ja_easy") == "みずが でません"
    assert field_value(page, "subject_en") == "Water outage"
    assert field_value(page, "body_en") == CONTENTS["en"]["body"]
    assert field_value(page, "subject_vi") == ""
    assert re.search(r'<option value="disaster" selected>', page)
    assert re.search(rf'<option value="{template.pk}" selected>', page)


def test_compose_with_a_missing_template_says_so(client: Client) -> None:
    login(client)
    response = client.get(reverse("notify:staff_compose"), {"template": "999"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "選んだひな形が見つかりません。" in page
    assert field_value(page, "subject_ja") == ""


def test_sending_can_also_save_the_text_as_a_template_once(client: Client) -> None:
    ResidentFactory.create()
    user = login(client)
    response = client.post(
        reverse("notify:staff_compose"),
        compose_data(save_as_template="on", save_template_name="断水（定型）"),
    )
    assert response.status_code == 302
    token = re.search(r"/preview/([^/]+)/", response["Location"])
    assert token
    preview = client.get(response["Location"]).content.decode()
    assert "送信すると「断水（定型）」という名前のひな形としても保存します。" in preview
    assert Template.objects.count() == 0  # not before sending
    client.post(reverse("notify:staff_send"), {"token": token.group(1)})
    client.post(reverse("notify:staff_send"), {"token": token.group(1)})  # a double click
    message = Message.objects.get()
    template = Template.objects.get()
    assert template.name == "断水（定型）"
    assert template.topic == "disaster"
    assert template.contents == message.contents
    assert template.created_by == user
    assert template_entries(AuditAction.CREATE)


def test_sending_without_the_box_saves_no_template(client: Client) -> None:
    ResidentFactory.create()
    login(client)
    response = client.post(
        reverse("notify:staff_compose"), compose_data(save_template_name="使われない名前")
    )
    token = re.search(r"/preview/([^/]+)/", response["Location"])
    assert token
    client.post(reverse("notify:staff_send"), {"token": token.group(1)})
    assert Message.objects.count() == 1
    assert Template.objects.count() == 0


def test_saving_as_a_template_needs_a_name(client: Client) -> None:
    login(client)
    response = client.post(
        reverse("notify:staff_compose"), compose_data(save_as_template="on", save_template_name=" ")
    )
    assert response.status_code == 400
    assert "ひな形の名前を入力してください。" in response.content.decode()
    assert not client.session.get("notify_drafts")
    assert Template.objects.count() == 0


def test_a_notice_started_from_a_template_keeps_it(client: Client) -> None:
    ResidentFactory.create()
    user = login(client)
    template = templates_service.create_template(
        by=user, name="断水", topic="disaster", contents=CONTENTS
    )
    page = client.get(reverse("notify:staff_compose"), {"template": template.pk}).content.decode()
    assert f'name="from_template" value="{template.pk}"' in page
    response = client.post(
        reverse("notify:staff_compose"), compose_data(from_template=str(template.pk))
    )
    token = re.search(r"/preview/([^/]+)/", response["Location"])
    assert token
    client.post(reverse("notify:staff_send"), {"token": token.group(1)})
    assert Message.objects.get().template == template
