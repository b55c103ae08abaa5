"""A resident files 児童手当の認定請求 from a phone (390×844) in Chromium: finds it by its reading,
starts it signed in, finds the form filled from the profile (their own details, their child),
completes it step by step with a photo of the bank book, reviews it, files it and sees the
receipt. Every page passes axe and fits the screen."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.browser.fixtures import check_page, sign_in
from yakuba.core.models import Municipality
from yakuba.modules.procedures.catalogue import load_catalogue
from yakuba.modules.procedures.models import Submission
from yakuba.platform.accounts.models import Department, Relationship, User
from yakuba.platform.accounts.tests.factories import (
    HouseholdMemberFactory,
    ResidentProfileFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# The departments the shipped catalogue files name.
CATALOGUE_DEPARTMENTS = [
    ("chomin", "町民生活課"),
    ("soumu", "総務課"),
    ("fukushi", "福祉課"),
    ("kodomo", "子ども未来課"),
]


@pytest.fixture
def town(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PROCEDURES_SIGNING_CERT = tmp_path / "signing" / "cert.pem"
    settings.PROCEDURES_SIGNING_KEY = tmp_path / "signing" / "key.pem"
    Municipality.objects.create(
        name="亘理町",
        code="043231",
        prefecture="宮城県",
        map_center_latitude=38.03,
        map_center_longitude=140.85,
    )
    for code, name in CATALOGUE_DEPARTMENTS:
        Department.objects.create(code=code, name=name)
    load_catalogue()


@pytest.fixture
def resident() -> User:
    profile = ResidentProfileFactory.create(
        user__email="hanako@example.jp",
        family_name="亘理",
        given_name="花子",
        family_name_kana="わたり",
        given_name_kana="はなこ",
        birth_date=date(1990, 6, 15),
        phone="0223-34-1111",
        postal_code="989-2393",
        address="宮城県亘理郡亘理町悠里1",
    )
    HouseholdMemberFactory.create(
        profile=profile,
        name="亘理 さくら",
        name_kana="わたり さくら",
        relationship=Relationship.CHILD,
        birth_date=date(2024, 5, 1),
    )
    user: User = profile.user
    return user


def bank_book(tmp_path: Path) -> Path:
    path = tmp_path / "通帳.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (230, 230, 220)).save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def next_step(page: Any) -> None:
    page.locator(".form-actions").get_by_role("button", name="次へ").click()


def test_a_resident_files_the_child_allowance_from_a_phone(
    page: Any, live_server: Any, town: None, resident: User, tmp_path: Path
) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, resident)

    page.goto("/procedures/")
    check_page(page)
    page.get_by_label("手続きの名前や言葉").fill("ジドウテアテ")
    page.get_by_role("button", name="さがす").click()
    page.get_by_role("link", name="児童手当の認定請求").click()
    check_page(page)
    page.get_by_role("link", name="申請を始める").click()
    check_page(page)
    page.get_by_role("button", name="入力を始める").click()

    # 請求者: filled from the profile.
    assert page.get_by_label(re.compile("^氏名")).input_value() == "亘理 花子"
    assert page.get_by_label(re.compile("^フリガナ")).input_value() == "ワタリ ハナコ"
    assert page.get_by_label("郵便番号").input_value() == "989-2393"
    assert page.get_by_label(re.compile("^電話番号")).input_value() == "0223-34-1111"
    page.get_by_label("会社員など").check()
    page.get_by_label("厚生年金").check()
    check_page(page)
    next_step(page)

    # 配偶者
    page.get_by_label("いない").check()
    next_step(page)

    # 子ども: the child from the household is there already.
    assert page.locator("input[value='亘理 さくら']").count() == 1
    page.get_by_label("子", exact=True).check()
    page.get_by_label("同居").check()
    check_page(page)
    next_step(page)

    # 振込先口座
    page.get_by_label("金融機関コード（4桁）").fill("0125")
    page.get_by_label("支店コード（3桁）").fill("123")
    page.get_by_label("普通").check()
    page.get_by_label("口座番号（7桁）").fill("1234567")
    page.get_by_label("口座名義（カタカナ）").fill("わたり はなこ")
    next_step(page)

    # 添付書類
    page.get_by_label(re.compile("^口座が分かるもの")).set_input_files(bank_book(tmp_path))
    check_page(page)
    next_step(page)

    # 申告・同意
    page.get_by_role("checkbox").check()
    page.locator(".form-actions").get_by_role("button", name="入力内容を確認する").click()

    page.get_by_role("heading", name="入力内容の確認").wait_for()
    assert "亘理 さくら" in page.content()
    assert "通帳.jpg" in page.content()
    check_page(page)
    page.get_by_role("button", name="申請する").click()

    page.get_by_role("heading", name="申請を受け付けました").wait_for()
    submission = Submission.objects.get()
    assert submission.receipt_number in page.locator(".procedure-receipt").inner_text()
    assert submission.answers["children"]["children"][0]["name"] == "亘理 さくら"
    assert submission.answers["payment"]["account"]["holder_kana"] == "ワタリ ハナコ"
    assert submission.attachments.get().content_type == "image/jpeg"
    check_page(page)
