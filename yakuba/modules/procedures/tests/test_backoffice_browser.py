"""The whole path of an application in Chromium: a resident files 児童手当の認定請求; a clerk of
子ども未来課 finds it in the queue, asks for a correction of the bank account with a message; the
resident sees the request on their submission page and corrects only that; the clerk sees the
amendment marked, approves, then completes. Every staff page passes axe."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.fixtures import check_page, sign_in
from yakuba.modules.procedures.models import Amendment, Event, Status, Submission
from yakuba.modules.procedures.tests.test_resident_browser import bank_book, next_step

# The town (catalogue loaded) and the resident, as the residents' browser test has them.
from yakuba.modules.procedures.tests.test_resident_browser import resident as resident
from yakuba.modules.procedures.tests.test_resident_browser import town as town
from yakuba.platform.accounts.models import Department, StaffMember, User
from yakuba.platform.accounts.tests.factories import StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def clerk(town: None, settings: Any) -> User:
    """A clerk of the department that handles 児童手当, with the 申請処理 permissions; signed in
    without a second factor, as in the other staff browser tests."""
    settings.STAFF_REQUIRE_MFA = False
    user = StaffFactory.create(
        email="kodomo@example.jp",
        permissions=["procedures.view_submission", "procedures.change_submission"],
    )
    StaffMember.objects.filter(user=user).update(
        department=Department.objects.get(code="kodomo"), display_name="子ども 一郎"
    )
    return User.objects.get(pk=user.pk)


def file_the_child_allowance(page: Any, tmp_path: Path) -> Submission:
    page.goto("/procedures/jido-teate-nintei/start/")
    page.get_by_role("button", name="入力を始める").click()
    page.get_by_label("会社員など").check()
    page.get_by_label("厚生年金").check()
    next_step(page)
    page.get_by_label("いない").check()
    next_step(page)
    page.get_by_label("子", exact=True).check()
    page.get_by_label("同居").check()
    next_step(page)
    page.get_by_label("金融機関コード（4桁）").fill("0125")
    page.get_by_label("支店コード（3桁）").fill("123")
    page.get_by_label("普通").check()
    page.get_by_label("口座番号（7桁）").fill("1234567")
    page.get_by_label("口座名義（カタカナ）").fill("わたり はなこ")
    next_step(page)
    page.get_by_label(re.compile("^口座が分かるもの")).set_input_files(bank_book(tmp_path))
    next_step(page)
    page.get_by_role("checkbox").check()
    page.locator(".form-actions").get_by_role("button", name="入力内容を確認する").click()
    page.get_by_role("button", name="申請する").click()
    page.get_by_role("heading", name="申請を受け付けました").wait_for()
    return Submission.objects.get()


def test_a_clerk_asks_for_a_correction_and_approves_the_corrected_application(
    browser: Any, page: Any, live_server: Any, resident: User, clerk: User, tmp_path: Path
) -> None:
    sign_in(page, live_server, resident)
    submission = file_the_child_allowance(page, tmp_path)

    # The clerk: the queue, the application, a request to correct the bank account.
    staff_context = browser.new_context(locale="ja-JP", base_url=live_server.url)
    staff = staff_context.new_page()
    staff.set_default_timeout(20_000)
    staff.set_viewport_size(DESKTOP)
    sign_in(staff, live_server, clerk)
    staff.goto("/staff/")
    staff.get_by_role("link", name="申請の処理").click()
    staff.wait_for_url("**/procedures/staff/")
    check_page(staff)
    staff.get_by_role("link", name=submission.receipt_number).click()
    staff.wait_for_url(f"**/procedures/staff/{submission.pk}/")
    assert "亘理 さくら" in staff.locator("#answers").inner_text()
    check_page(staff)
    staff.locator("#correction").get_by_label("振込先の口座: 振込先の口座").check()
    staff.get_by_label("申請者へのお知らせ（何をどう直してほしいか）").fill(
        "口座番号が通帳の写しと違います。口座番号を直してください。"
    )
    staff.get_by_role("button", name="補正を依頼する").click()
    assert "補正を依頼し、申請者にお知らせしました。" in staff.locator("main").inner_text()
    check_page(staff)

    # The resident: the request on their submission page; only the account can be changed.
    page.goto(f"/procedures/mine/{submission.pk}/")
    correction = page.locator(".correction")
    assert "口座番号が通帳の写しと違います。" in correction.inner_text()
    assert correction.get_by_label(re.compile("^氏名")).count() == 0
    correction.get_by_label("口座番号（7桁）").fill("7654321")
    correction.get_by_role("button", name="直した内容を送る").click()
    assert "補正の内容を送りました。" in page.locator("main").inner_text()
    check_page(page)

    # The clerk: the amendment is marked; approve, then complete.
    staff.reload()
    amended = staff.locator(".staff-amended")
    assert "7654321" in amended.inner_text() and "1234567" in amended.inner_text()
    staff.locator("#id_status").select_option(Status.APPROVED.value)
    staff.get_by_label("申請者へのお知らせ（なくてもかまいません）").fill(
        "認定しました。6月から支給します。"
    )
    staff.get_by_role("button", name="状態を変えてお知らせする").click()
    assert "状態を変えて、申請者にお知らせしました。" in staff.locator("main").inner_text()
    staff.locator("#id_status").select_option(Status.COMPLETED.value)
    staff.get_by_role("button", name="状態を変えてお知らせする").click()
    check_page(staff)

    # A refused action keeps the page accessible: the error summary.
    staff.get_by_role("button", name="メモを残す").click()
    assert "入力内容を確認してください" in staff.locator("#error-summary").inner_text()
    check_page(staff)
    staff.goto(f"/procedures/staff/{submission.pk}/print/")
    check_page(staff)
    staff.goto("/procedures/staff/export/")
    check_page(staff)
    staff_context.close()

    submission.refresh_from_db()
    assert submission.status == Status.COMPLETED
    amendment = Amendment.objects.get(submission=submission)
    assert list(amendment.changes) == ["payment.account"] and not amendment.by_staff
    statuses = list(
        submission.events.filter(kind=Event.Kind.STATUS).values_list("status", flat=True)
    )
    assert statuses == ["received", "correction", "reviewing", "approved", "completed"]
