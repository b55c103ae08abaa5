"""A clerk adds a question to 住民票の写し's form in Chromium without writing code: starts editing,
adds a field, sees it in the preview as residents will, and publishes version 2. A clerk who knows
the format edits the definition as JSON, is told each mistake and where, and saves it. A superuser
sees every department's procedures. Every page passes axe."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.browser.fixtures import run_axe, sign_in
from yakuba.core.models import Municipality
from yakuba.modules.procedures import builder
from yakuba.modules.procedures.catalogue import CATALOGUE_DIR, load_catalogue
from yakuba.modules.procedures.models import Procedure
from yakuba.platform.accounts.models import User
from yakuba.platform.accounts.tests.factories import (
    DepartmentFactory,
    StaffFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clerk(tmp_path: Path) -> User:
    Municipality.objects.create(
        name="亘理町",
        code="043231",
        prefecture="宮城県",
        map_center_latitude=38.03,
        map_center_longitude=140.85,
    )
    DepartmentFactory.create(code="chomin", name="町民生活課")
    shutil.copy(CATALOGUE_DIR / "juminhyo.json", tmp_path)
    load_catalogue(directory=tmp_path)
    user: User = StaffFactory.create(permissions=["procedures.change_procedure"])
    return user


def check_page(page: Any) -> None:
    assert run_axe(page) == [], page.url


def test_a_clerk_adds_a_field_previews_and_publishes(
    page: Any, live_server: Any, clerk: User
) -> None:
    sign_in(page, live_server, clerk)
    page.goto("/procedures/staff/forms/")
    check_page(page)
    page.get_by_role("link", name="住民票の写し等の交付請求").click()
    check_page(page)
    page.get_by_role("link", name="様式を編集する").click()
    check_page(page)
    page.get_by_role("button", name="編集を始める").click()
    check_page(page)

    page.get_by_label("「使いみちと受け取り方」に追加する項目の種類").select_option("textarea")
    page.get_by_role("button", name=re.compile("^項目を追加.*使いみちと受け取り方$")).click()
    check_page(page)
    page.get_by_label(re.compile("^キー")).fill("message")
    page.get_by_label(re.compile("^ラベル（日本語）")).fill("窓口への伝言")
    page.get_by_label("ラベル（英語）").fill("Message for the counter")
    page.get_by_label("最大の文字数").fill("200")
    page.get_by_role("button", name="保存する").click()
    page.get_by_role("heading", name="窓口への伝言").wait_for()
    check_page(page)

    page.get_by_role("link", name="プレビュー").click()
    assert page.get_by_label("窓口への伝言").count() == 1
    check_page(page)
    page.get_by_role("button", name="入力を確かめる").click()
    page.locator("#error-summary").wait_for()
    check_page(page)

    page.goto("/procedures/staff/forms/juminhyo/publish/")
    check_page(page)
    page.get_by_label(re.compile("^変更の内容")).fill("窓口への伝言を追加")
    page.get_by_role("button", name="公開する").click()
    page.get_by_role("heading", name="版の履歴").wait_for()
    assert "窓口への伝言を追加" in page.content()
    check_page(page)

    version = Procedure.objects.get(code="juminhyo").current_version()
    assert version is not None and version.number == 2
    fields = version.definition["sections"][3]["fields"]
    assert fields[-1]["key"] == "message" and fields[-1]["max_length"] == 200


def test_a_clerk_edits_the_definition_as_json(page: Any, live_server: Any, clerk: User) -> None:
    sign_in(page, live_server, clerk)
    page.goto("/procedures/staff/forms/juminhyo/form/")
    page.get_by_role("link", name="JSONで編集（上級者向け）").click()
    check_page(page)
    textarea = page.get_by_label(re.compile("^様式の定義（JSON）"))
    text = textarea.input_value()
    assert '"format": "yakuba.procedures.form/1"' in text

    # Two mistakes at once: a field type that does not exist, and a section without a title.
    definition = json.loads(text)
    definition["sections"][0]["fields"][1]["type"] = "katakana"
    del definition["sections"][3]["title"]
    broken = json.dumps(definition, ensure_ascii=False, indent=2)
    textarea.fill(broken)
    page.get_by_role("button", name="確かめて保存する").click()
    summary = page.locator("#error-summary")
    summary.wait_for()
    assert "セクション「applicant」の項目「name_kana」" in summary.inner_text()
    assert summary.get_by_role("listitem").count() >= 2
    check_page(page)
    assert builder.working_copy(Procedure.objects.get(code="juminhyo")) is None

    definition = json.loads(text)
    definition["sections"][0]["title"]["ja"] = "請求する人"
    textarea.fill(json.dumps(definition, ensure_ascii=False, indent=2))
    page.get_by_role("button", name="確かめて保存する").click()
    page.get_by_role("heading", name=re.compile("^請求する人")).wait_for()
    check_page(page)
    working = builder.working_copy(Procedure.objects.get(code="juminhyo"))
    assert working is not None and working.definition["sections"][0]["title"]["ja"] == "請求する人"


def test_a_superuser_sees_every_departments_procedures(
    page: Any, live_server: Any, clerk: User
) -> None:
    fukushi = DepartmentFactory.create(code="fukushi", name="福祉課")
    superuser = UserFactory.create(is_staff=True, is_superuser=True)
    content = builder.export_definition(Procedure.objects.get(code="juminhyo"))
    shared = content.replace(b'"code": "juminhyo"', b'"code": "juminhyo-fukushi"', 1)
    builder.import_definition(shared, by=superuser, department=fukushi)

    sign_in(page, live_server, superuser)
    page.goto("/procedures/staff/forms/")
    assert page.get_by_role("heading", level=2).all_inner_texts() == ["町民生活課", "福祉課"]
    imported = page.get_by_role("table", name="福祉課").get_by_role(
        "link", name="住民票の写し等の交付請求"
    )
    assert imported.get_attribute("href") == "/procedures/staff/forms/juminhyo-fukushi/"
    check_page(page)
