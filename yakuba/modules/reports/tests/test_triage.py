"""Staff triage (通報の対応): the rules of assigning, status without double posts, internal notes,
photo review, merging, hiding and blocking — and the staff pages over HTTP: permissions, the
department default, filters, constant queries, the staff map, audited contact details."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from yakuba.modules.reports import queries, services, triage, triage_queries
from yakuba.modules.reports.models import (
    BlockedSender,
    Category,
    Report,
    ReportPhoto,
    ReportUpdate,
    Status,
)
from yakuba.modules.reports.photos import process_photo
from yakuba.modules.reports.tests.factories import INSIDE, CategoryFactory, town_district
from yakuba.platform.accounts.models import Department, StaffMember, User
from yakuba.platform.accounts.tests.factories import DepartmentFactory, StaffFactory, UserFactory
from yakuba.platform.audit.models import AuditAction, AuditEntry
from yakuba.platform.notify.models import Recipient
from yakuba.platform.places.models import District

pytestmark = pytest.mark.django_db


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def town(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    return town_district()


@pytest.fixture
def roads() -> Department:
    return DepartmentFactory.create(code="toshi", name="都市建設課")


@pytest.fixture
def parks() -> Department:
    return DepartmentFactory.create(code="kankyo", name="環境課")


@pytest.fixture
def pothole(roads: Department) -> Category:
    return CategoryFactory.create(code="pothole", name="道路の穴", department=roads)


@pytest.fixture
def dumping(parks: Department) -> Category:
    return CategoryFactory.create(code="dumping", name="不法投棄", department=parks)


def staff_of(department: Department, *permissions: str, name: str = "道路 一郎") -> User:
    user = StaffFactory.create(permissions=list(permissions))
    StaffMember.objects.filter(user=user).update(department=department, display_name=name)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def officer(roads: Department) -> User:
    return staff_of(roads, "reports.view_report", "reports.change_report")


@pytest.fixture
def resident() -> User:
    return UserFactory.create(email="hanako@example.jp")


def make_report(category: Category, **values: Any) -> Report:
    values.setdefault("description", "歩道に穴があります。")
    values.setdefault("latitude", INSIDE[0])
    values.setdefault("longitude", INSIDE[1])
    return Report.objects.create(category=category, department=category.department, **values)


def submitted(category: Category, **values: Any) -> Report:
    return services.submit_report(
        category=category,
        description=values.pop("description", "歩道に穴があります。"),
        latitude=INSIDE[0],
        longitude=INSIDE[1],
        **values,
    )


def jpeg() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 90, 90)).save(buffer, format="JPEG")
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def add_photo(report: Report) -> ReportPhoto:
    return services.save_photo(report, process_photo(jpeg()))


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def updated_kinds(user: User) -> list[str]:
    return [r.message.kind for r in Recipient.objects.filter(user=user).order_by("pk")]


def audited(action: str, obj: Any) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk)
        ).order_by("pk")
    )


# --- assigning -------------------------------------------------------------------------------------


def test_a_report_is_assigned_to_staff_of_its_department(
    pothole: Category, officer: User, roads: Department
) -> None:
    colleague = staff_of(roads, name="道路 二郎")
    report = make_report(pothole)
    triage.assign(report, by=officer, to=colleague)
    report.refresh_from_db()
    assert report.assignee == colleague
    note = ReportUpdate.objects.get(report=report)
    assert note.is_internal and "道路 二郎" in note.note
    assert audited(AuditAction.UPDATE, report)[-1].changes == {"assignee": [None, colleague.pk]}


def test_assigning_to_staff_of_another_department_is_refused(
    pothole: Category, officer: User, parks: Department
) -> None:
    report = make_report(pothole)
    with pytest.raises(ValidationError, match="担当課の職員"):
        triage.assign(report, by=officer, to=staff_of(parks))
    with pytest.raises(ValidationError, match="担当課の職員"):
        triage.assign(report, by=officer, to=UserFactory.create())
    report.refresh_from_db()
    assert report.assignee is None and not report.updates.exists()


def test_a_report_can_be_unassigned(pothole: Category, officer: User) -> None:
    report = make_report(pothole, assignee=officer)
    triage.assign(report, by=officer, to=None)
    report.refresh_from_db()
    assert report.assignee is None
    assert "外しました" in ReportUpdate.objects.get(report=report).note


# --- status ----------------------------------------------------------------------------------------


def test_the_same_status_and_note_posted_twice_in_a_moment_is_one_update(
    pothole: Category, officer: User, resident: User
) -> None:
    report = submitted(pothole, reporter=resident)
    first = triage.set_status(report, by=officer, status=Status.FIXED, note="補修しました。")
    second = triage.set_status(report, by=officer, status=Status.FIXED, note="補修しました。")
    assert first.pk == second.pk
    assert ReportUpdate.objects.filter(report=report).count() == 1
    assert updated_kinds(resident) == ["reports.received", "reports.updated"]


def test_the_same_note_again_after_a_while_is_a_new_update(
    pothole: Category, officer: User
) -> None:
    report = make_report(pothole)
    first = triage.set_status(report, by=officer, status=Status.IN_PROGRESS, note="確認します。")
    ReportUpdate.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - timedelta(seconds=triage.DOUBLE_POST_SECONDS + 1)
    )
    triage.set_status(report, by=officer, status=Status.IN_PROGRESS, note="確認します。")
    assert ReportUpdate.objects.filter(report=report).count() == 2


def test_a_different_note_right_after_is_a_new_update(pothole: Category, officer: User) -> None:
    report = make_report(pothole)
    triage.set_status(report, by=officer, status=Status.IN_PROGRESS, note="確認します。")
    triage.set_status(report, by=officer, status=Status.IN_PROGRESS, note="業者に頼みました。")
    assert ReportUpdate.objects.filter(report=report).count() == 2


def test_the_status_of_a_merged_report_cannot_be_changed(pothole: Category, officer: User) -> None:
    original = make_report(pothole)
    duplicate = make_report(pothole)
    triage.merge(duplicate, into=original, by=officer)
    with pytest.raises(ValidationError, match="統合先の通報"):
        triage.set_status(duplicate, by=officer, status=Status.FIXED, note="x")


# --- internal notes and photos ---------------------------------------------------------------------


def test_an_internal_note_is_kept_from_the_public_and_the_reporter(
    pothole: Category, officer: User, resident: User
) -> None:
    report = submitted(pothole, reporter=resident)
    note = triage.add_internal_note(report, by=officer, note="業者に見積もりを依頼")
    assert note.is_internal and note.by_staff
    assert queries.public_updates(report) == []
    assert updated_kinds(resident) == ["reports.received"]
    assert audited(AuditAction.CREATE, note)


@pytest.mark.parametrize("text", ["", "   ", "あ" * 4001])
def test_an_empty_or_too_long_internal_note_is_refused(
    pothole: Category, officer: User, text: str
) -> None:
    report = make_report(pothole)
    with pytest.raises(ValidationError):
        triage.add_internal_note(report, by=officer, note=text)
    assert not report.updates.exists()


def test_a_photo_is_published_and_taken_down(pothole: Category, officer: User) -> None:
    photo = add_photo(make_report(pothole))
    assert not photo.is_public
    triage.set_photo_public(photo, by=officer, public=True)
    photo.refresh_from_db()
    assert photo.is_public
    triage.set_photo_public(photo, by=officer, public=False)
    photo.refresh_from_db()
    assert not photo.is_public
    assert [e.changes for e in audited(AuditAction.UPDATE, photo)][-2:] == [
        {"is_public": [False, True]},
        {"is_public": [True, False]},
    ]


def test_a_photo_kept_private_leaves_the_review_list(pothole: Category, officer: User) -> None:
    photo = add_photo(make_report(pothole))
    assert list(triage_queries.photos_to_review()) == [photo]
    triage.set_photo_public(photo, by=officer, public=False)
    photo.refresh_from_db()
    assert not photo.is_public and photo.reviewed_at is not None
    assert list(triage_queries.photos_to_review()) == []
    assert audited(AuditAction.UPDATE, photo)


# --- merging ---------------------------------------------------------------------------------------


def test_a_duplicate_is_merged_closed_with_a_public_note_and_its_reporter_told(
    pothole: Category, officer: User, resident: User
) -> None:
    original = make_report(pothole)
    duplicate = submitted(pothole, reporter=resident)
    photo = add_photo(duplicate)
    services.add_comment(duplicate, by=resident, note="広がっています")
    merged = triage.merge(duplicate, into=original, by=officer)
    assert merged.merged_into == original
    assert not merged.is_open and merged.status == Status.DUPLICATE
    last = merged.updates.order_by("-pk").first()
    assert last is not None and f"#{original.pk}" in last.note and not last.is_internal
    assert updated_kinds(resident)[-1] == "reports.updated"
    assert photo.report_id == duplicate.pk and ReportPhoto.objects.filter(pk=photo.pk).exists()
    assert merged.updates.filter(note="広がっています").exists()
    assert merged not in services.public_reports()
    assert audited(AuditAction.UPDATE, duplicate)[-1].changes["merged_into"] == original.pk


def test_a_duplicate_of_a_fixed_report_is_marked_duplicate_too(
    pothole: Category, officer: User
) -> None:
    original = make_report(pothole, status=Status.FIXED)
    merged = triage.merge(make_report(pothole), into=original, by=officer)
    assert merged.status == Status.DUPLICATE and merged.closed_at is not None


def test_staff_cannot_mark_a_report_duplicate_without_merging_it(
    pothole: Category, officer: User
) -> None:
    report = make_report(pothole)
    with pytest.raises(ValidationError, match="統合してください"):
        triage.set_status(report, by=officer, status=Status.DUPLICATE, note="同じです")
    report.refresh_from_db()
    assert report.status == Status.RECEIVED and not report.updates.exists()


def test_merging_moves_earlier_duplicates_so_no_chain_forms(
    pothole: Category, officer: User
) -> None:
    first, second, third = make_report(pothole), make_report(pothole), make_report(pothole)
    triage.merge(first, into=second, by=officer)
    triage.merge(second, into=third, by=officer)
    first.refresh_from_db()
    assert first.merged_into == third
    assert set(third.duplicates.all()) == {first, second}


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("itself", "同じ通報どうし"),
        ("already_merged", "すでに"),
        ("target_merged", "統合先を選び直して"),
        ("target_hidden", "非公開の通報には"),
    ],
)
def test_merging_is_refused(pothole: Category, officer: User, case: str, message: str) -> None:
    duplicate, target, elsewhere = make_report(pothole), make_report(pothole), make_report(pothole)
    if case == "itself":
        target = duplicate
    elif case == "already_merged":
        triage.merge(duplicate, into=elsewhere, by=officer)
    elif case == "target_merged":
        triage.merge(target, into=elsewhere, by=officer)
    elif case == "target_hidden":
        triage.hide(target, by=officer, reason="個人名が書かれていた")
    before = ReportUpdate.objects.filter(report=duplicate).count()
    with pytest.raises(ValidationError, match=message):
        triage.merge(duplicate, into=target, by=officer)
    assert ReportUpdate.objects.filter(report=duplicate).count() == before


# --- hiding and blocking ---------------------------------------------------------------------------


def test_a_hidden_report_leaves_the_public_side_and_comes_back(
    pothole: Category, officer: User
) -> None:
    report = make_report(pothole)
    triage.hide(report, by=officer, reason="個人の電話番号が書かれていた")
    assert report not in services.public_reports()
    entry = audited(AuditAction.UPDATE, report)[-1]
    assert entry.reason == "個人の電話番号が書かれていた"
    with pytest.raises(ValidationError, match="すでに非公開"):
        triage.hide(report, by=officer, reason="もう一度")
    triage.unhide(report, by=officer)
    assert report in services.public_reports()
    with pytest.raises(ValidationError, match="非公開になっていません"):
        triage.unhide(report, by=officer)


def test_hiding_needs_a_reason(pothole: Category, officer: User) -> None:
    report = make_report(pothole)
    with pytest.raises(ValidationError, match="理由"):
        triage.hide(report, by=officer, reason="  ")
    report.refresh_from_db()
    assert not report.is_hidden


def test_a_blocked_account_cannot_report_until_unblocked(
    pothole: Category, officer: User, resident: User
) -> None:
    blocked = triage.block_sender(by=officer, user=resident, reason="いたずらの繰り返し")
    with pytest.raises(ValidationError, match="受け付けていません"):
        submitted(pothole, reporter=resident)
    assert audited(AuditAction.CREATE, blocked)[0].subject_user_id == resident.pk
    blocked_id = blocked.pk
    triage.unblock(blocked, by=officer)
    assert submitted(pothole, reporter=resident).reporter == resident
    assert AuditEntry.objects.filter(
        action=AuditAction.DELETE, object_type="reports.blockedsender", object_id=str(blocked_id)
    ).exists()


def test_a_blocked_address_cannot_report(pothole: Category, officer: User) -> None:
    triage.block_sender(by=officer, email="Prank@Example.jp", reason="いたずら")
    with pytest.raises(ValidationError, match="受け付けていません"):
        submitted(pothole, reporter_email="prank@example.jp")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "送信者を特定できない"),
        ({"email": "x@example.jp", "reason": ""}, "理由"),
        ({"email": "not-an-address"}, "メールアドレスの形"),
        ({"email": "twice@example.jp"}, "すでに受付停止"),
        ({"staff": True}, "職員のアカウント"),
    ],
)
def test_blocking_is_refused(officer: User, values: dict[str, Any], message: str) -> None:
    BlockedSender.objects.create(email="twice@example.jp", reason="前に", blocked_by=officer)
    before = BlockedSender.objects.count()
    user = officer if values.pop("staff", False) else None
    values.setdefault("reason", "いたずら")
    with pytest.raises(ValidationError, match=message):
        triage.block_sender(by=officer, user=user, **values)
    assert BlockedSender.objects.count() == before


# --- pages: permissions ----------------------------------------------------------------------------


def test_residents_and_visitors_are_kept_out(pothole: Category, resident: User) -> None:
    report = make_report(pothole)
    urls = [
        reverse("reports:triage"),
        reverse("reports:triage_geojson"),
        reverse("reports:triage_detail", args=[report.pk]),
        reverse("reports:triage_photos"),
        reverse("reports:triage_blocked"),
    ]
    for url in urls:
        assert signed_in(resident).get(url).status_code == 403, url
        assert Client().get(url).status_code == 302, url
    response = signed_in(resident).post(
        reverse("reports:triage_hide", args=[report.pk]), {"hide-reason": "x"}
    )
    assert response.status_code == 403


def test_staff_who_may_only_see_cannot_act(pothole: Category, roads: Department) -> None:
    viewer = staff_of(roads, "reports.view_report")
    report = make_report(pothole)
    photo = add_photo(report)
    client = signed_in(viewer)
    page = client.get(reverse("reports:triage_detail", args=[report.pk]))
    assert page.status_code == 200 and "状態を変える" not in page.content.decode()
    posts = [
        ("reports:triage_status", {"status": Status.FIXED, "note": "x"}),
        ("reports:triage_assign", {"assignee": viewer.pk}),
        ("reports:triage_note", {"note": "x"}),
        ("reports:triage_hide", {"hide-reason": "x"}),
        ("reports:triage_block", {"block-reason": "x"}),
        ("reports:triage_merge", {"into": report.pk}),
    ]
    for name, data in posts:
        assert client.post(reverse(name, args=[report.pk]), data).status_code == 403, name
    review = client.post(reverse("reports:triage_photo_review", args=[photo.pk]), {"public": "1"})
    assert review.status_code == 403
    report.refresh_from_db()
    assert (report.status, report.is_hidden, report.updates.count()) == (
        Status.RECEIVED,
        False,
        0,
    )


def test_staff_without_view_report_cannot_open_the_queue(roads: Department) -> None:
    assert signed_in(staff_of(roads)).get(reverse("reports:triage")).status_code == 403


# --- pages: the queue ------------------------------------------------------------------------------


def queue_numbers(client: Client, **params: Any) -> list[int]:
    response = client.get(reverse("reports:triage"), params)
    assert response.status_code == 200
    return [r.pk for r in response.context["page"].object_list]


def test_the_queue_shows_the_own_departments_open_reports_oldest_first(
    pothole: Category, dumping: Category, officer: User
) -> None:
    now = timezone.now()
    newer = make_report(pothole, created_at=now - timedelta(days=1))
    older = make_report(pothole, created_at=now - timedelta(days=5))
    make_report(pothole, status=Status.FIXED)
    other_department = make_report(dumping)
    client = signed_in(officer)
    assert queue_numbers(client) == [older.pk, newer.pk]
    assert other_department.pk in queue_numbers(client, department="all")


def test_without_a_status_filter_open_ones_come_before_closed_ones(
    pothole: Category, officer: User
) -> None:
    now = timezone.now()
    closed_old = make_report(pothole, status=Status.FIXED, created_at=now - timedelta(days=9))
    open_new = make_report(pothole, created_at=now - timedelta(days=1))
    open_old = make_report(pothole, status=Status.IN_PROGRESS, created_at=now - timedelta(days=3))
    assert queue_numbers(signed_in(officer), status="") == [open_old.pk, open_new.pk, closed_old.pk]


FILTER_CASES = [
    ({"category": "pothole"}, {"mine_open", "old", "hidden"}),
    ({"category": "dumping"}, {"dumping"}),
    ({"status": "fixed"}, {"unassigned_fixed"}),
    ({"status": ""}, {"mine_open", "old", "hidden", "unassigned_fixed", "dumping"}),
    ({"older_than": "7"}, {"old"}),
    ({"assignee": "me"}, {"mine_open"}),
    ({"assignee": "none"}, {"old", "hidden", "dumping"}),
    ({"hidden": "hidden"}, {"hidden"}),
    ({"hidden": "visible"}, {"mine_open", "old", "dumping"}),
    ({"district": "arahama"}, {"mine_open", "old", "hidden", "dumping"}),
    ({"status": "nonsense"}, {"mine_open", "old", "hidden", "dumping"}),
]


@pytest.mark.parametrize(("params", "expected"), FILTER_CASES)
def test_queue_filters(
    pothole: Category,
    dumping: Category,
    officer: User,
    params: dict[str, str],
    expected: set[str],
) -> None:
    now = timezone.now()
    district = District.objects.get(code="arahama")
    reports = {
        "mine_open": make_report(pothole, assignee=officer, district=district),
        "old": make_report(pothole, created_at=now - timedelta(days=10), district=district),
        "hidden": make_report(pothole, is_hidden=True, district=district),
        "unassigned_fixed": make_report(pothole, status=Status.FIXED),
        "dumping": make_report(dumping, district=district),
    }
    names = {report.pk: name for name, report in reports.items()}
    found = queue_numbers(signed_in(officer), department="all", **params)
    assert {names[pk] for pk in found} == expected


def test_the_queue_counts_each_status_under_the_other_filters(
    pothole: Category, dumping: Category, officer: User
) -> None:
    make_report(pothole)
    make_report(pothole, status=Status.FIXED)
    make_report(pothole, status=Status.FIXED)
    make_report(dumping, status=Status.FIXED)
    response = signed_in(officer).get(reverse("reports:triage"))
    counts = {c.code: c.count for c in response.context["counts"]}
    assert counts[Status.RECEIVED] == 1 and counts[Status.FIXED] == 2


def test_the_queue_takes_the_same_number_of_queries_for_many_rows(
    pothole: Category, officer: User, roads: Department
) -> None:
    client = signed_in(officer)
    colleague = staff_of(roads, name="道路 二郎")
    make_report(pothole, assignee=colleague)
    client.get(reverse("reports:triage"))  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("reports:triage"), {"status": ""})
    for number in range(15):
        make_report(pothole, assignee=colleague if number % 2 else officer, is_hidden=number == 3)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("reports:triage"), {"status": ""})
    assert len(response.context["page"].object_list) == 16
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_the_staff_map_includes_hidden_reports_links_to_staff_pages_and_nothing_personal(
    pothole: Category, officer: User
) -> None:
    hidden = make_report(pothole, is_hidden=True, reporter_email="secret@example.jp")
    response = signed_in(officer).get(reverse("reports:triage_geojson"), {"hidden": "hidden"})
    assert response["Content-Type"] == "application/geo+json"
    body = response.content.decode()
    data = json.loads(body)
    assert [f["id"] for f in data["features"]] == [hidden.pk]
    assert data["features"][0]["properties"]["url"] == reverse(
        "reports:triage_detail", args=[hidden.pk]
    )
    assert "secret@example.jp" not in body
    public = Client().get(reverse("reports:geojson")).json()
    assert public["features"] == []
    bad = signed_in(officer).get(reverse("reports:triage_geojson"), {"bbox": "1,2"})
    assert bad.status_code == 400


def test_the_staff_map_groups_reports_at_town_zoom(pothole: Category, officer: User) -> None:
    for _number in range(4):
        make_report(pothole)
    data = signed_in(officer).get(reverse("reports:triage_geojson"), {"zoom": "13"}).json()
    (group,) = data["features"]
    assert group["properties"]["cluster"] is True and group["properties"]["count"] == 4
    assert "url" not in group["properties"]


# --- pages: a report -------------------------------------------------------------------------------


def test_contact_details_are_shown_on_request_and_the_read_is_audited(
    pothole: Category, officer: User, resident: User
) -> None:
    report = make_report(pothole, reporter=resident, reporter_phone="0223-00-0000")
    client = signed_in(officer)
    url = reverse("reports:triage_detail", args=[report.pk])
    page = client.get(url).content.decode()
    assert "hanako@example.jp" not in page and "0223-00-0000" not in page
    assert not audited(AuditAction.READ, report)
    page = client.get(url, {"contact": "1"}).content.decode()
    assert "hanako@example.jp" in page and "0223-00-0000" in page
    (entry,) = audited(AuditAction.READ, report)
    assert (entry.actor_id, entry.subject_user_id) == (officer.pk, resident.pk)


def test_the_staff_page_shows_internal_notes_and_photos_under_review(
    pothole: Category, officer: User
) -> None:
    report = make_report(pothole)
    add_photo(report)
    triage.add_internal_note(report, by=officer, note="業者に見積もりを依頼")
    page = signed_in(officer).get(reverse("reports:triage_detail", args=[report.pk]))
    text = page.content.decode()
    assert "業者に見積もりを依頼" in text and "公開する" in text


def test_a_status_change_redirects_and_a_double_post_is_one_update(
    pothole: Category, officer: User
) -> None:
    report = make_report(pothole)
    client = signed_in(officer)
    url = reverse("reports:triage_status", args=[report.pk])
    data = {"status": Status.FIXED, "note": "補修しました。", "photo": jpeg()}
    first = client.post(url, data)
    assert first.status_code == 302
    assert first["Location"].startswith(reverse("reports:triage_detail", args=[report.pk]))
    client.post(url, {"status": Status.FIXED, "note": "補修しました。"})
    update = ReportUpdate.objects.get(report=report)
    assert update.status == Status.FIXED and update.photo is not None and update.photo.is_public


def test_a_refused_action_shows_the_error_summary(pothole: Category, officer: User) -> None:
    report = make_report(pothole)
    client = signed_in(officer)
    response = client.post(reverse("reports:triage_merge", args=[report.pk]), {"into": report.pk})
    assert response.status_code == 400
    assert "同じ通報どうしは統合できません。" in response.content.decode()
    assert 'id="error-summary"' in response.content.decode()
    response = client.post(reverse("reports:triage_merge", args=[report.pk]), {"into": 99999})
    assert "その番号の通報はありません。" in response.content.decode()


def test_assigning_through_the_page_refuses_another_department(
    pothole: Category, officer: User, parks: Department
) -> None:
    report = make_report(pothole)
    outsider = staff_of(parks)
    client = signed_in(officer)
    response = client.post(
        reverse("reports:triage_assign", args=[report.pk]), {"assignee": outsider.pk}
    )
    assert response.status_code == 400 and "担当課の職員" in response.content.decode()
    response = client.post(
        reverse("reports:triage_assign", args=[report.pk]), {"assignee": officer.pk}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.assignee == officer


def test_nearby_open_reports_are_suggested_for_merging(pothole: Category, officer: User) -> None:
    report = make_report(pothole)
    neighbour = make_report(pothole, description="同じ穴です")
    page = signed_in(officer).get(reverse("reports:triage_detail", args=[report.pk]))
    assert [n.report.pk for n in page.context["nearby"]] == [neighbour.pk]
    response = signed_in(officer).post(
        reverse("reports:triage_merge", args=[report.pk]), {"into": neighbour.pk}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.merged_into == neighbour


def test_hide_and_block_through_the_page(pothole: Category, officer: User, resident: User) -> None:
    report = make_report(pothole, reporter=resident)
    anonymous = make_report(pothole)
    client = signed_in(officer)
    assert (
        client.post(reverse("reports:triage_hide", args=[report.pk]), {"hide-reason": ""})
    ).status_code == 400
    client.post(reverse("reports:triage_hide", args=[report.pk]), {"hide-reason": "中傷"})
    client.post(reverse("reports:triage_block", args=[report.pk]), {"block-reason": "中傷"})
    report.refresh_from_db()
    assert report.is_hidden and BlockedSender.objects.get().user == resident
    response = client.post(
        reverse("reports:triage_block", args=[anonymous.pk]), {"block-reason": "x"}
    )
    assert response.status_code == 400 and "送信者を特定できない" in response.content.decode()


# --- pages: photos and blocked senders -------------------------------------------------------------


def test_photos_waiting_for_review_newest_first_and_approved(
    pothole: Category, officer: User
) -> None:
    report = make_report(pothole)
    older, newer = add_photo(report), add_photo(report)
    ReportPhoto.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(hours=1))
    client = signed_in(officer)
    page = client.get(reverse("reports:triage_photos"))
    assert [p.pk for p in page.context["page"].object_list] == [newer.pk, older.pk]
    back = reverse("reports:triage_photos")
    response = client.post(
        reverse("reports:triage_photo_review", args=[newer.pk]), {"public": "1", "next": back}
    )
    assert response["Location"] == back
    newer.refresh_from_db()
    assert newer.is_public
    assert [p.pk for p in client.get(back).context["page"].object_list] == [older.pk]
    evil = client.post(
        reverse("reports:triage_photo_review", args=[older.pk]),
        {"public": "1", "next": "https://evil.example/"},
    )
    assert evil["Location"].startswith(reverse("reports:triage_detail", args=[report.pk]))


def test_blocked_senders_are_listed_with_an_audited_read_and_unblocked(
    officer: User, resident: User
) -> None:
    blocked = triage.block_sender(by=officer, user=resident, reason="いたずら")
    client = signed_in(officer)
    page = client.get(reverse("reports:triage_blocked")).content.decode()
    assert "hanako@example.jp" in page and "いたずら" in page
    assert audited(AuditAction.READ, blocked)[0].subject_user_id == resident.pk
    response = client.post(reverse("reports:triage_unblock", args=[blocked.pk]))
    assert response.status_code == 302
    assert not BlockedSender.objects.exists()


def test_the_staff_menu_links_to_the_queue(officer: User) -> None:
    page = signed_in(officer).get(reverse("core:staff_home")).content.decode()
    assert reverse("reports:triage") in page and "通報の対応" in page


def test_the_queue_says_it_shows_the_open_reports_on_a_first_visit(officer: User) -> None:
    page = signed_in(officer).get(reverse("reports:triage")).content.decode()
    assert re.search(r'<option value="open" selected>', page)
