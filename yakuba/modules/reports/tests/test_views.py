"""The residents' report pages over HTTP: the three steps and every way they refuse, the receipt,
a report's public page (comments, 「まだ直っていません」), photos, lists, GeoJSON, rate limits."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any, cast

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from yakuba.core.models import Municipality
from yakuba.modules.reports import queries
from yakuba.modules.reports.models import (
    AttributeType,
    Category,
    CategoryAttribute,
    Report,
    ReportPhoto,
    ReportUpdate,
    Status,
)
from yakuba.modules.reports.photos import process_photo
from yakuba.modules.reports.services import save_photo
from yakuba.platform.accounts.models import Department, User
from yakuba.platform.accounts.tests.factories import UserFactory
from yakuba.platform.places.models import District
from yakuba.platform.places.tests.factories import DistrictFactory, square

pytestmark = pytest.mark.django_db

# The test town: one district, the square lat 10.00–10.01, lon 100.00–100.01.
INSIDE = {"latitude": "10.005", "longitude": "100.005"}
OUTSIDE = {"latitude": "35.0", "longitude": "139.0"}


@pytest.fixture(autouse=True)
def town(settings: Any, tmp_path: Any) -> District:
    settings.MEDIA_ROOT = tmp_path
    cache.clear()  # rate-limit counters live in the (per-process) cache
    Municipality.objects.create(
        name="亘理町",
        code="043231",
        prefecture="宮城県",
        map_center_latitude=10.005,
        map_center_longitude=100.005,
    )
    return DistrictFactory.create(code="T01", name="テスト区", boundary=square(100.0, 10.0))


@pytest.fixture
def department() -> Department:
    return Department.objects.create(code="toshi", name="都市建設課")


@pytest.fixture
def pothole(department: Department) -> Category:
    return Category.objects.create(
        code="pothole", name="道路の穴・段差", icon="pothole", department=department, order=1
    )


@pytest.fixture
def streetlight(department: Department) -> Category:
    category = Category.objects.create(
        code="streetlight",
        name="街灯が点かない",
        icon="streetlight",
        department=department,
        order=2,
    )
    CategoryAttribute.objects.create(
        category=category,
        code="state",
        datatype=AttributeType.SINGLE,
        description="どんな様子ですか",
        required=True,
        values=[{"key": "off", "name": "夜に点かない"}, {"key": "blinking", "name": "点滅"}],
    )
    CategoryAttribute.objects.create(
        category=category,
        code="when",
        datatype=AttributeType.MULTI,
        description="いつ",
        values=[{"key": "night", "name": "夜"}, {"key": "day", "name": "昼"}],
    )
    CategoryAttribute.objects.create(
        category=category, code="pole", datatype=AttributeType.NUMBER, description="柱の番号"
    )
    CategoryAttribute.objects.create(
        category=category,
        code="asset-id",
        datatype=AttributeType.STRING,
        description="台帳番号",
        automated="server_set",
    )
    return category


@pytest.fixture
def resident() -> User:
    return UserFactory.create(email="hanako@example.jp")


@pytest.fixture
def signed_in(client: Client, resident: User) -> Client:
    client.force_login(resident)
    return client


def jpeg(name: str = "photo.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def send_url(category: Category) -> str:
    return reverse("reports:new_send", args=[category.code])


def location_url(category: Category) -> str:
    return reverse("reports:new_location", args=[category.code])


def make_report(category: Category, **fields: Any) -> Report:
    values: dict[str, Any] = {
        "description": "穴があります",
        "latitude": 10.005,
        "longitude": 100.005,
        "department": category.department,
        "district": District.objects.first(),
    }
    values.update(fields)
    return Report.objects.create(category=category, **values)


def add_photo(report: Report, *, is_public: bool) -> ReportPhoto:
    photo = save_photo(report, process_photo(jpeg()))
    photo.is_public = is_public
    photo.save()
    return photo


def text(response: Any) -> str:
    return response.content.decode()


# --- step 1: the category ------------------------------------------------------------------------


def test_open_campaign_is_offered_first_and_a_closed_one_not_at_all(
    client: Client, pothole: Category, department: Department
) -> None:
    today = timezone.localdate()
    Category.objects.create(
        code="school-route",
        name="通学路の危険箇所",
        department=department,
        order=90,
        campaign_ends_on=today + timedelta(days=5),
        campaign_intro="通学路の危険を教えてください",
    )
    Category.objects.create(
        code="old-campaign",
        name="終わったテーマ",
        department=department,
        campaign_ends_on=today - timedelta(days=1),
    )
    Category.objects.create(code="off", name="受付停止中", department=department, is_active=False)

    page = text(client.get(reverse("reports:new")))

    assert "テーマレポート" in page and "通学路の危険を教えてください" in page
    assert page.index("通学路の危険箇所") < page.index("道路の穴・段差")
    assert "終わったテーマ" not in page and "受付停止中" not in page
    assert location_url(pothole) in page


def test_unknown_or_inactive_category_is_not_found(client: Client, department: Department) -> None:
    Category.objects.create(code="off", name="受付停止中", department=department, is_active=False)
    assert client.get("/reports/new/no-such-thing/").status_code == 404
    assert client.get("/reports/new/off/").status_code == 404
    assert client.post("/reports/new/off/send/", {"description": "x"}).status_code == 404


def test_closed_campaign_refuses_every_step(client: Client, department: Department) -> None:
    closed = Category.objects.create(
        code="school-route",
        name="通学路の危険箇所",
        department=department,
        campaign_ends_on=timezone.localdate() - timedelta(days=1),
    )
    response = client.get(location_url(closed))
    assert response.status_code == 410
    assert "受け付けを終了しました" in text(response)
    assert client.post(location_url(closed), INSIDE).status_code == 410
    # The last step is checked by the service: nothing is saved.
    response = client.post(send_url(closed), {**INSIDE, "description": "危ない"})
    assert "この種類の通報は受け付けを終了しました。" in text(response)
    assert not Report.objects.exists()


# --- step 2: the place -----------------------------------------------------------------------------


def test_location_page_has_the_map_centred_on_the_town_and_fields_without_javascript(
    client: Client, pothole: Category
) -> None:
    page = text(client.get(location_url(pothole)))
    assert 'data-report-map="pick"' in page
    assert 'data-center-latitude="10.005000"' in page
    assert 'name="address_string"' in page and 'name="latitude"' in page
    assert "現在地を使う" in page
    assert "leaflet/leaflet.js" in page and "reports/report-map.js" in page


def test_no_location_at_all_is_refused(client: Client, pothole: Category) -> None:
    response = client.post(location_url(pothole), {"address_string": "  "})
    assert "場所を地図で選ぶか、住所や目印を書いてください。" in text(response)
    assert 'id="error-summary"' in text(response)


def test_half_a_pin_is_refused(client: Client, pothole: Category) -> None:
    response = client.post(location_url(pothole), {"latitude": "10.005"})
    assert "場所は緯度と経度の両方で指定してください。" in text(response)


def test_place_outside_the_town_is_refused(client: Client, pothole: Category) -> None:
    response = client.post(location_url(pothole), OUTSIDE)
    assert "その場所は町の外です。" in text(response)
    assert "様子を教えてください" not in text(response)


def test_address_alone_leads_to_the_details_step(client: Client, pothole: Category) -> None:
    response = client.post(location_url(pothole), {"address_string": "役場の東の交差点"})
    page = text(response)
    assert "様子を教えてください" in page
    assert 'name="address_string" value="役場の東の交差点"' in page
    assert 'capture="environment"' in page and 'accept="image/*"' in page
    # Anonymous: the contact fields and what is public.
    assert 'name="reporter_email"' in page and "公開されません" in page


def test_pin_in_the_town_shows_its_district(client: Client, pothole: Category) -> None:
    page = text(client.post(location_url(pothole), INSIDE))
    assert "様子を教えてください" in page and "テスト区" in page


def test_nearby_open_report_is_offered_before_going_on(
    signed_in: Client, pothole: Category
) -> None:
    existing = make_report(pothole, latitude=10.0051, longitude=100.0051)
    make_report(pothole, latitude=10.0052, longitude=100.005, status=Status.FIXED)

    response = signed_in.post(location_url(pothole), INSIDE)
    page = text(response)
    assert "もしかしてこれですか？" in page
    assert reverse("reports:detail", args=[existing.pk]) in page
    # A signed-in resident may add a comment to it instead of a new report.
    assert reverse("reports:comment", args=[existing.pk]) in page
    assert page.count('class="report-item report-item--nearby"') == 1  # the fixed one is not
    assert 'name="confirmed" value="1"' in page

    going_on = signed_in.post(location_url(pothole), {**INSIDE, "confirmed": "1"})
    assert "様子を教えてください" in text(going_on)


def test_nearby_report_for_someone_not_signed_in_is_a_link(
    client: Client, pothole: Category
) -> None:
    existing = make_report(pothole)
    page = text(client.post(location_url(pothole), INSIDE))
    assert reverse("reports:detail", args=[existing.pk]) in page
    assert reverse("reports:comment", args=[existing.pk]) not in page


def test_commenting_on_the_nearby_report_instead(signed_in: Client, pothole: Category) -> None:
    existing = make_report(pothole)
    response = signed_in.post(
        reverse("reports:comment", args=[existing.pk]), {"note": "わたしも同じものを見ました。"}
    )
    assert response.status_code == 302
    assert ReportUpdate.objects.get(report=existing).note == "わたしも同じものを見ました。"
    assert Report.objects.count() == 1


# --- step 3: details and sending -------------------------------------------------------------------


def test_signed_in_resident_reports_with_a_photo_and_gets_a_receipt(
    signed_in: Client, resident: User, pothole: Category
) -> None:
    response = signed_in.post(
        send_url(pothole),
        {**INSIDE, "description": "歩道に深い穴", "photos": [jpeg("a.jpg"), jpeg("b.jpg")]},
    )
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:received", args=[report.pk])
    assert report.reporter == resident and report.district is not None
    assert report.department == pothole.department
    assert report.photos.count() == 2
    assert not report.photos.filter(is_public=True).exists()  # reviewed before public

    receipt = text(signed_in.get(response["Location"]))
    assert f"#{report.pk}" in receipt and "受付番号" in receipt
    assert reverse("reports:detail", args=[report.pk]) in receipt


def test_receipt_is_only_for_the_session_that_sent_it(client: Client, pothole: Category) -> None:
    report = make_report(pothole)
    response = client.get(reverse("reports:received", args=[report.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:detail", args=[report.pk])


def test_anonymous_report_keeps_contact_private(client: Client, pothole: Category) -> None:
    response = client.post(
        send_url(pothole),
        {
            "address_string": "公民館の前",
            "description": "段差",
            "reporter_name": "亘理花子",
            "reporter_email": "hanako@example.jp",
        },
    )
    report = Report.objects.get()
    assert response.status_code == 302
    assert (report.reporter, report.reporter_email, report.reporter_name) == (
        None,
        "hanako@example.jp",
        "亘理花子",
    )
    assert report.latitude is None and report.address_string == "公民館の前"
    page = text(client.get(reverse("reports:detail", args=[report.pk])))
    assert "公民館の前" in page
    assert "亘理花子" not in page and "hanako@example.jp" not in page


def test_anonymous_with_a_bad_email_is_refused(client: Client, pothole: Category) -> None:
    response = client.post(
        send_url(pothole), {**INSIDE, "description": "段差", "reporter_email": "not-an-email"}
    )
    assert "有効なメールアドレスを入力してください。" in text(response)
    assert not Report.objects.exists()


def test_missing_description_is_refused(client: Client, pothole: Category) -> None:
    response = client.post(send_url(pothole), {**INSIDE, "description": ""})
    assert 'id="error-summary"' in text(response)
    assert not Report.objects.exists()


def test_tampered_place_outside_the_town_is_refused_at_the_end(
    client: Client, pothole: Category
) -> None:
    response = client.post(send_url(pothole), {**OUTSIDE, "description": "段差"})
    assert "その場所は町の外です。" in text(response)
    assert not Report.objects.exists()


def test_no_location_is_refused_at_the_end(client: Client, pothole: Category) -> None:
    response = client.post(send_url(pothole), {"description": "段差"})
    assert "場所を地図で選ぶか、住所や目印を書いてください。" in text(response)
    assert not Report.objects.exists()


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_saved(
    client: Client, pothole: Category
) -> None:
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")
    response = client.post(
        send_url(pothole), {**INSIDE, "description": "段差", "photos": [jpeg(), fake]}
    )
    page = text(response)
    assert "JPEG、PNG、HEICの写真を選んでください。" in page
    assert "写真はもう一度選んでください" in page
    assert not Report.objects.exists() and not ReportPhoto.objects.exists()


def test_more_than_five_photos_are_refused(client: Client, pothole: Category) -> None:
    response = client.post(
        send_url(pothole),
        {**INSIDE, "description": "段差", "photos": [jpeg(f"{n}.jpg") for n in range(6)]},
    )
    assert "写真は5枚までです。" in text(response)
    assert not Report.objects.exists()


def test_category_questions_are_asked_and_a_required_one_must_be_answered(
    client: Client, streetlight: Category
) -> None:
    page = text(client.post(location_url(streetlight), INSIDE))
    assert 'name="attribute_state"' in page and 'type="radio"' in page
    assert 'name="attribute_when"' in page and 'type="checkbox"' in page
    assert "台帳番号" not in page  # set by the town, never asked

    refused = client.post(send_url(streetlight), {**INSIDE, "description": "暗い"})
    assert "どんな様子ですか" in text(refused) and 'id="error-summary"' in text(refused)
    assert not Report.objects.exists()

    client.post(
        send_url(streetlight),
        {
            **INSIDE,
            "description": "暗い",
            "attribute_state": "off",
            "attribute_when": ["night", "day"],
            "attribute_pole": "12",
        },
    )
    report = Report.objects.get()
    assert report.attributes == {"state": "off", "when": ["night", "day"], "pole": 12}
    detail = text(client.get(reverse("reports:detail", args=[report.pk])))
    assert "夜に点かない" in detail and "夜、昼" in detail


def test_an_answer_not_among_the_choices_is_refused(client: Client, streetlight: Category) -> None:
    response = client.post(
        send_url(streetlight), {**INSIDE, "description": "暗い", "attribute_state": "exploded"}
    )
    assert 'id="error-summary"' in text(response)
    assert not Report.objects.exists()


def test_get_on_the_send_step_goes_back_to_the_place(client: Client, pothole: Category) -> None:
    response = client.get(send_url(pothole))
    assert response["Location"] == location_url(pothole)


# --- rate limits -----------------------------------------------------------------------------------


def test_an_account_may_send_ten_reports_an_hour(signed_in: Client, pothole: Category) -> None:
    for number in range(10):
        response = signed_in.post(
            send_url(pothole), {"address_string": f"場所{number}", "description": "段差"}
        )
        assert response.status_code == 302
    refused = signed_in.post(send_url(pothole), {"address_string": "場所", "description": "段差"})
    assert refused.status_code == 429
    assert "しばらくしてから送ってください" in text(refused)
    assert int(refused["Retry-After"]) > 0
    assert Report.objects.count() == 10


def test_one_address_may_send_twenty_reports_an_hour(pothole: Category) -> None:
    for number in range(20):
        anonymous = Client(REMOTE_ADDR="192.0.2.9")
        response = anonymous.post(
            send_url(pothole), {"address_string": f"場所{number}", "description": "段差"}
        )
        assert response.status_code == 302
    refused = Client(REMOTE_ADDR="192.0.2.9").post(
        send_url(pothole), {"address_string": "場所", "description": "段差"}
    )
    assert refused.status_code == 429
    elsewhere = Client(REMOTE_ADDR="192.0.2.10").post(
        send_url(pothole), {"address_string": "場所", "description": "段差"}
    )
    assert elsewhere.status_code == 302


def test_refused_reports_do_not_count_towards_the_limit(
    signed_in: Client, pothole: Category
) -> None:
    for _attempt in range(12):
        signed_in.post(send_url(pothole), {"description": "段差"})  # no place: refused
    response = signed_in.post(send_url(pothole), {"address_string": "場所", "description": "段差"})
    assert response.status_code == 302


def test_limits_come_from_settings(settings: Any, signed_in: Client, pothole: Category) -> None:
    settings.REPORTS_RATE_LIMITS = {"account": 1, "ip": 100}
    data = {"address_string": "場所", "description": "段差"}
    assert signed_in.post(send_url(pothole), data).status_code == 302
    assert signed_in.post(send_url(pothole), data).status_code == 429


# --- a report's page ---------------------------------------------------------------------------------


def test_report_page_shows_public_history_but_not_internal_notes(
    client: Client, pothole: Category
) -> None:
    report = make_report(pothole, status=Status.IN_PROGRESS, reporter_email="x@example.jp")
    ReportUpdate.objects.create(
        report=report, by_staff=True, status=Status.IN_PROGRESS, note="現地を確認しました。"
    )
    ReportUpdate.objects.create(report=report, by_staff=True, is_internal=True, note="業者に依頼")
    page = text(client.get(reverse("reports:detail", args=[report.pk])))
    assert "現地を確認しました。" in page and "「対応中」になりました" in page
    assert "業者に依頼" not in page and "x@example.jp" not in page
    assert "テスト区" in page and 'data-report-map="show"' in page
    assert "北緯 10.005000度" in page  # the place without the map
    assert "まだ直っていません" not in page  # only for fixed reports


def test_hidden_report_is_not_found(client: Client, pothole: Category) -> None:
    report = make_report(pothole, is_hidden=True)
    assert client.get(reverse("reports:detail", args=[report.pk])).status_code == 404
    assert (
        client.post(reverse("reports:reopen", args=[report.pk]), {"note": "まだ"}).status_code
        == 404
    )


def test_merged_report_leads_to_the_one_it_joined(client: Client, pothole: Category) -> None:
    kept = make_report(pothole)
    merged = make_report(pothole, merged_into=kept)
    response = client.get(reverse("reports:detail", args=[merged.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:detail", args=[kept.pk])
    kept.is_hidden = True
    kept.save()
    assert client.get(reverse("reports:detail", args=[merged.pk])).status_code == 404


def test_public_sees_reviewed_photos_only_and_the_reporter_sees_their_own(
    client: Client, resident: User, pothole: Category
) -> None:
    report = make_report(pothole, reporter=resident)
    shown = add_photo(report, is_public=True)
    waiting = add_photo(report, is_public=False)
    page = text(client.get(reverse("reports:detail", args=[report.pk])))
    assert reverse("reports:photo_thumbnail", args=[shown.pk]) in page
    assert reverse("reports:photo_thumbnail", args=[waiting.pk]) not in page
    assert "/media/" not in page  # files only through the checking view

    client.force_login(resident)
    page = text(client.get(reverse("reports:detail", args=[report.pk])))
    assert reverse("reports:photo_thumbnail", args=[waiting.pk]) in page
    assert "確認中" in page


def test_photo_files_are_served_only_when_allowed(
    client: Client, resident: User, pothole: Category
) -> None:
    report = make_report(pothole, reporter=resident)
    shown = add_photo(report, is_public=True)
    waiting = add_photo(report, is_public=False)

    response = client.get(reverse("reports:photo", args=[shown.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    body = b"".join(cast(Any, response).streaming_content)
    assert body[:3] == b"\xff\xd8\xff"
    assert client.get(reverse("reports:photo_thumbnail", args=[shown.pk])).status_code == 200
    assert client.get(reverse("reports:photo", args=[waiting.pk])).status_code == 404
    assert client.get(reverse("reports:photo", args=[999_999])).status_code == 404

    someone_else = Client()
    someone_else.force_login(UserFactory.create())
    assert someone_else.get(reverse("reports:photo", args=[waiting.pk])).status_code == 404

    client.force_login(resident)
    assert client.get(reverse("reports:photo", args=[waiting.pk])).status_code == 200


def test_staff_who_may_see_reports_open_photos_under_review(
    settings: Any, pothole: Category
) -> None:
    settings.STAFF_REQUIRE_MFA = False
    waiting = add_photo(make_report(pothole), is_public=False)
    staff = UserFactory.create(is_staff=True)
    staff_client = Client()
    staff_client.force_login(staff)
    assert staff_client.get(reverse("reports:photo", args=[waiting.pk])).status_code == 404
    staff.user_permissions.add(
        Permission.objects.get(content_type__app_label="reports", codename="view_report")
    )
    staff_client.force_login(User.objects.get(pk=staff.pk))
    assert staff_client.get(reverse("reports:photo", args=[waiting.pk])).status_code == 200
    # Where the console needs a second factor, so do photos under review.
    settings.STAFF_REQUIRE_MFA = True
    assert staff_client.get(reverse("reports:photo", args=[waiting.pk])).status_code == 404


def test_public_photo_of_a_hidden_report_is_not_served(client: Client, pothole: Category) -> None:
    photo = add_photo(make_report(pothole, is_hidden=True), is_public=True)
    assert client.get(reverse("reports:photo", args=[photo.pk])).status_code == 404


def test_comment_needs_an_account(client: Client, pothole: Category) -> None:
    report = make_report(pothole)
    page = text(client.get(reverse("reports:detail", args=[report.pk])))
    assert "コメントを送るには、ログインしてください。" in page
    response = client.post(reverse("reports:comment", args=[report.pk]), {"note": "見ました"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not ReportUpdate.objects.exists()


def test_signed_in_resident_comments_with_a_photo(
    signed_in: Client, resident: User, pothole: Category
) -> None:
    report = make_report(pothole)
    response = signed_in.post(
        reverse("reports:comment", args=[report.pk]), {"note": "広がっています", "photo": jpeg()}
    )
    assert response.status_code == 302
    update = ReportUpdate.objects.get()
    assert (update.author, update.note, update.by_staff) == (resident, "広がっています", False)
    assert update.photo is not None and not update.photo.is_public


def test_empty_comment_is_refused(signed_in: Client, pothole: Category) -> None:
    report = make_report(pothole)
    response = signed_in.post(reverse("reports:comment", args=[report.pk]), {"note": " "})
    assert response.status_code == 200
    assert "コメントか写真を送ってください。" in text(response)
    assert not ReportUpdate.objects.exists()


def test_anyone_may_say_a_fixed_report_is_not_fixed(client: Client, pothole: Category) -> None:
    report = make_report(pothole, status=Status.FIXED, closed_at=timezone.now())
    page = text(client.get(reverse("reports:detail", args=[report.pk])))
    assert "まだ直っていません" in page

    empty = client.post(reverse("reports:reopen", args=[report.pk]), {"note": ""})
    assert 'id="error-summary"' in text(empty)
    report.refresh_from_db()
    assert report.status == Status.FIXED

    response = client.post(reverse("reports:reopen", args=[report.pk]), {"note": "穴はそのまま"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.IN_PROGRESS and report.closed_at is None
    assert ReportUpdate.objects.get().note == "穴はそのまま"


def test_a_report_not_fixed_cannot_be_reopened(client: Client, pothole: Category) -> None:
    report = make_report(pothole, status=Status.IN_PROGRESS)
    response = client.post(reverse("reports:reopen", args=[report.pk]), {"note": "まだ"})
    assert "対応済の通報だけを" in text(response)
    assert not ReportUpdate.objects.exists()


# --- lists ---------------------------------------------------------------------------------------


def test_my_reports_need_an_account_and_show_only_mine(
    client: Client, resident: User, pothole: Category
) -> None:
    assert client.get(reverse("reports:mine")).status_code == 302
    mine = make_report(pothole, reporter=resident, description="わたしの通報")
    make_report(pothole, reporter=resident, description="隠された通報", is_hidden=True)
    make_report(pothole, reporter=UserFactory.create(), description="ほかの人の通報")
    client.force_login(resident)
    page = text(client.get(reverse("reports:mine")))
    assert "わたしの通報" in page and reverse("reports:detail", args=[mine.pk]) in page
    assert "ほかの人の通報" not in page and "隠された通報" not in page


def test_public_list_filters_and_leaves_out_hidden_and_merged(
    client: Client, pothole: Category, streetlight: Category
) -> None:
    kept = make_report(pothole, description="公開の穴")
    make_report(pothole, description="隠した穴", is_hidden=True)
    make_report(pothole, description="統合した穴", merged_into=kept)
    make_report(streetlight, description="暗い街灯", status=Status.FIXED)

    page = text(client.get(reverse("reports:list")))
    assert "公開の穴" in page and "暗い街灯" in page
    assert "隠した穴" not in page and "統合した穴" not in page

    page = text(client.get(reverse("reports:list"), {"category": "streetlight"}))
    assert "暗い街灯" in page and "公開の穴" not in page
    page = text(client.get(reverse("reports:list"), {"status": "open"}))
    assert "公開の穴" in page and "暗い街灯" not in page
    page = text(client.get(reverse("reports:list"), {"district": "T01", "status": "fixed"}))
    assert "暗い街灯" in page and "公開の穴" not in page
    # An unknown filter value is ignored, not an error page.
    assert client.get(reverse("reports:list"), {"status": "nonsense"}).status_code == 200


def test_public_list_is_paginated(client: Client, pothole: Category) -> None:
    for number in range(queries.PAGE_SIZE + 1):
        make_report(pothole, description=f"通報{number:02d}")
    first = text(client.get(reverse("reports:list")))
    second = text(client.get(reverse("reports:list"), {"page": 2}))
    assert "通報00" not in first and "通報00" in second  # newest first


def test_geojson_has_public_reports_in_the_box_and_nothing_personal(
    client: Client, resident: User, pothole: Category
) -> None:
    inside = make_report(pothole, reporter=resident, reporter_name="亘理花子")
    make_report(pothole, latitude=10.5, longitude=100.5)
    make_report(pothole, is_hidden=True)
    make_report(pothole, latitude=None, longitude=None, address_string="公民館")

    response = client.get(reverse("reports:geojson"), {"bbox": "100.0,10.0,100.01,10.01"})
    assert response["Content-Type"] == "application/geo+json"
    data = response.json()
    assert [f["id"] for f in data["features"]] == [inside.pk]
    feature = data["features"][0]
    assert feature["geometry"]["coordinates"] == [100.005, 10.005]
    assert feature["properties"]["url"] == reverse("reports:detail", args=[inside.pk])
    body = text(response)
    assert "亘理花子" not in body and "hanako" not in body and "穴があります" not in body


def test_geojson_is_capped(client: Client, pothole: Category, monkeypatch: Any) -> None:
    monkeypatch.setattr(queries, "MAX_MAP_FEATURES", 2)
    for _number in range(3):
        make_report(pothole)
    data = client.get(reverse("reports:geojson"), {"bbox": "99,9,101,11"}).json()
    assert len(data["features"]) == 2 and data["truncated"] is True


def test_zoomed_out_the_map_gets_groups_counted_in_the_database(
    client: Client, pothole: Category, monkeypatch: Any
) -> None:
    """At zoom 12 a square is 64 px ≈ 0.022°: three reports within metres form one group, a
    report 20 km away stays a report of its own, and the cap does not apply to groups."""
    monkeypatch.setattr(queries, "MAX_MAP_FEATURES", 1)
    near = [
        make_report(pothole, latitude=10.0001, longitude=100.0001 + i / 10**5) for i in range(3)
    ]
    Report.objects.filter(pk=near[0].pk).update(status=Status.FIXED)
    alone = make_report(pothole, latitude=10.2, longitude=100.2)

    data = client.get(reverse("reports:geojson"), {"bbox": "99,9,101,11", "zoom": "12"}).json()

    (group,) = [f for f in data["features"] if f["properties"].get("cluster")]
    assert group["properties"]["count"] == 3 and group["properties"]["open_count"] == 2
    west, south, east, north = group["properties"]["bbox"]
    assert (south, north) == (10.0001, 10.0001) and west < east
    assert [f["id"] for f in data["features"] if "id" in f] == [alone.pk]
    assert data["truncated"] is False

    # Close in, every report is its own pin again (and the cap is back).
    close = client.get(reverse("reports:geojson"), {"bbox": "99,9,101,11", "zoom": "16"}).json()
    assert len(close["features"]) == 1 and close["truncated"] is True


@pytest.mark.parametrize("zoom", ["-1", "23", "abc", "12.5"])
def test_geojson_refuses_a_bad_zoom(client: Client, zoom: str) -> None:
    response = client.get(reverse("reports:geojson"), {"zoom": zoom})
    assert response.status_code == 400 and "zoom" in response.json()["error"]


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "101,10,100,11", "100,10,101,95"])
def test_geojson_refuses_a_bad_box(client: Client, bbox: str) -> None:
    response = client.get(reverse("reports:geojson"), {"bbox": bbox})
    assert response.status_code == 400 and "error" in response.json()
