"""窓口受付 in Chromium: a clerk of 町民生活課 opens the counter from the queue, finds the resident
who came in person by the reading of her name, files her request for 住民票の写し with the form
filled from her profile, and reads out the receipt number. Every page passes axe."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.fixtures import check_page, sign_in
from yakuba.modules.procedures.models import Event, Submission
from yakuba.modules.procedures.tests.test_resident_browser import next_step

# The town (catalogue loaded) and the resident, as the residents' browser test has them.
from yakuba.modules.procedures.tests.test_resident_browser import resident as resident
from yakuba.modules.procedures.tests.test_resident_browser import town as town
from yakuba.platform.accounts.models import Department, StaffMember, User
from yakuba.platform.accounts.tests.factories import StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def clerk(town: None, settings: Any) -> User:
    """A counter clerk of 町民生活課, which handles 住民票, signed in without a second factor."""
    settings.STAFF_REQUIRE_MFA = False
    user = StaffFactory.create(
        email="chomin@example.jp",
        permissions=["procedures.view_submission", "procedures.change_submission"],
    )
    StaffMember.objects.filter(user=user).update(
        department=Department.objects.get(code="chomin"), display_name="窓口 一郎"
    )
    return User.objects.get(pk=user.pk)


def test_a_clerk_files_a_residence_record_request_for_a_resident_at_the_counter(
    page: Any, live_server: Any, resident: User, clerk: User
) -> None:
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server, clerk)
    page.goto("/procedures/staff/")
    page.get_by_role("link", name="窓口受付（来庁した方の申請を入力）").click()
    page.wait_for_url("**/procedures/staff/counter/")
    check_page(page)

    page.get_by_label("手続き").select_option(label="住民票の写し等の交付請求")
    page.get_by_label("来庁した方の氏名・ふりがな・メールアドレス・電話番号").fill("わたり")
    page.get_by_role("button", name="探す").click()
    check_page(page)
    page.get_by_role("link", name="亘理 花子さんの申請を入力する").click()
    assert "宮城県亘理郡亘理町悠里1" in page.locator("main").inner_text()
    check_page(page)
    page.get_by_label("本人", exact=True).check()
    page.get_by_role("button", name="入力を始める").click()

    # 請求する人: filled from her profile.
    assert page.get_by_label("氏名").input_value() == "亘理 花子"
    check_page(page)
    next_step(page)
    page.get_by_label("住民票の写し", exact=True).check()
    page.get_by_label("世帯全員").check()
    next_step(page)
    page.get_by_label("いいえ").check()
    next_step(page)
    page.get_by_label("勤務先への提出").check()
    page.get_by_label("必要な通数").fill("1")
    page.get_by_label("窓口で受け取る（手数料は窓口で払います）").check()
    next_step(page)
    page.get_by_role("checkbox").check()
    page.locator(".form-actions").get_by_role("button", name="入力内容を確認する").click()
    page.get_by_role("heading", name="入力内容の確認").wait_for()
    check_page(page)
    page.get_by_role("button", name="この内容で受け付ける").click()

    page.get_by_role("heading", name="窓口で受け付けました").wait_for()
    submission = Submission.objects.get()
    assert submission.receipt_number in page.locator(".procedure-receipt").inner_text()
    check_page(page)
    assert (submission.source, submission.applicant) == (Submission.Source.COUNTER, resident)
    assert submission.events.get(kind=Event.Kind.STATUS).author == clerk

    page.get_by_role("link", name="申請のページを開く").click()
    assert "窓口（受付者: 窓口 一郎）" in page.locator("main").inner_text()
