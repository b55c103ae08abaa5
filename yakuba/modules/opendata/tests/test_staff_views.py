"""The staff's open-data pages over HTTP (オープンデータの管理): who may open them, registering and
editing datasets with bad input, uploading a file with errors and seeing them by row and column,
uploading the fixed file and publishing it, replacing a file (the old version stays), publishing
twice, and deleting a dataset (tombstone)."""

from __future__ import annotations

import io
import json
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from yakuba.modules.opendata import uploads
from yakuba.modules.opendata.models import Dataset, Resource, ResourceVersion, Tag, Upload
from yakuba.modules.opendata.staff_forms import UploadForm
from yakuba.modules.opendata.tests.factories import DatasetFactory, GroupFactory, ResourceFactory
from yakuba.platform.accounts.models import Department, User
from yakuba.platform.accounts.tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

PERMISSION = "opendata.change_dataset"
HEADER = "名称,所在地_連結表記,緯度,経度,設置位置\n"
GOOD_AED = HEADER + (
    "亘理町役場,亘理町字悠里1,38.0378,140.8522,1階玄関\n"
    "亘理町立図書館,亘理町字西郷140,38.0391,140.8497,入口\n"
)
# Row 3: latitude and longitude swapped; row 4: a required address missing.
BAD_AED = HEADER + (
    "亘理町役場,亘理町字悠里1,38.0378,140.8522,1階玄関\n"
    "亘理町立図書館,亘理町字西郷140,140.8497,38.0391,入口\n"
    "中央公民館,,38.0360,140.8530,ロビー\n"
)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.STAFF_REQUIRE_MFA = False


@pytest.fixture
def officer() -> User:
    return StaffFactory.create(email="data@town.example.jp", permissions=[PERMISSION])


@pytest.fixture
def staff(client: Client, officer: User) -> Client:
    client.force_login(officer)
    return client


@pytest.fixture
def department() -> Department:
    return Department.objects.create(code="kikaku", name="企画課")


@pytest.fixture
def aed(department: Department) -> Dataset:
    return DatasetFactory.create(
        name="aed",
        title="AED設置箇所一覧",
        department=department,
        standard="aed_locations",
        state=Dataset.State.DRAFT,
        published_at=None,
    )


def csv_file(text: str, name: str = "aed.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def upload(client: Client, dataset: Dataset, file: Any, resource: str = "") -> Any:
    return client.post(
        reverse("opendata:staff_upload_new", args=[dataset.pk]),
        {"file": file, "resource": resource},
    )


def publish(client: Client, dataset: Dataset, item: Upload, **data: str) -> Any:
    return client.post(reverse("opendata:staff_upload_publish", args=[dataset.pk, item.pk]), data)


def page_text(response: Any) -> str:
    return response.content.decode()


# --- who may open the pages ------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(reverse("opendata:staff_list"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_residents_are_refused(client: Client) -> None:
    client.force_login(UserFactory.create())
    assert client.get(reverse("opendata:staff_list")).status_code == 403


@pytest.mark.parametrize("name", ["staff_list", "staff_new"])
def test_staff_without_the_permission_are_refused(client: Client, name: str) -> None:
    client.force_login(StaffFactory.create(permissions=["reports.view_report"]))
    assert client.get(reverse(f"opendata:{name}")).status_code == 403


def test_staff_without_the_permission_cannot_upload(client: Client, aed: Dataset) -> None:
    client.force_login(StaffFactory.create())
    response = upload(client, aed, csv_file(GOOD_AED))
    assert response.status_code == 403
    assert not Upload.objects.exists()


def test_staff_need_a_second_factor_when_it_is_required(settings: Any, staff: Client) -> None:
    settings.STAFF_REQUIRE_MFA = True
    response = staff.get(reverse("opendata:staff_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("core:staff_second_factor")


# --- the list ---------------------------------------------------------------------------------------


def test_the_list_shows_every_state_and_filters(staff: Client, department: Department) -> None:
    DatasetFactory.create(title="避難所一覧", department=department)
    DatasetFactory.create(title="下書きのバス停", state=Dataset.State.DRAFT)
    DatasetFactory.create(title="削除した統計", state=Dataset.State.DELETED)
    text = page_text(staff.get(reverse("opendata:staff_list")))
    assert "避難所一覧" in text and "下書きのバス停" in text and "削除した統計" in text

    drafts = page_text(staff.get(reverse("opendata:staff_list"), {"state": "draft"}))
    assert "下書きのバス停" in drafts and "避難所一覧" not in drafts

    mine = page_text(staff.get(reverse("opendata:staff_list"), {"department": department.pk}))
    assert "避難所一覧" in mine and "下書きのバス停" not in mine

    found = page_text(staff.get(reverse("opendata:staff_list"), {"q": "ﾊﾞｽ"}))
    assert "下書きのバス停" in found and "避難所一覧" not in found


def test_the_list_filters_by_group(staff: Client) -> None:
    disaster = GroupFactory.create(name="disaster", title="防災")
    DatasetFactory.create(title="避難所一覧", groups=[disaster])
    DatasetFactory.create(title="バス停")
    text = page_text(staff.get(reverse("opendata:staff_list"), {"group": disaster.pk}))
    assert "避難所一覧" in text and "バス停" not in text


# --- registering and editing ------------------------------------------------------------------------


def dataset_data(department: Department, **changes: Any) -> dict[str, Any]:
    data = {
        "name": "bus-stops",
        "title": "コミュニティバス停留所",
        "title_en": "Community bus stops",
        "description": "町のコミュニティバスの停留所です。",
        "department": department.pk,
        "licence": "CC-BY-4.0",
        "frequency": "annual",
        "tags": "交通、バス, ﾊﾞｽ停",
        "standard": "",
        "temporal_start": "2024-04-01",
        "temporal_end": "2025-03-31",
        "contact_email": "kikaku@town.example.jp",
    }
    data.update(changes)
    return data


def test_staff_register_a_draft_dataset_with_tags(staff: Client, department: Department) -> None:
    group = GroupFactory.create(name="transport", title="交通")
    response = staff.post(
        reverse("opendata:staff_new"), dataset_data(department, groups=[group.pk])
    )
    dataset = Dataset.objects.get(name="bus-stops")
    assert response.status_code == 302
    assert response["Location"] == reverse("opendata:staff_dataset", args=[dataset.pk])
    assert dataset.state == Dataset.State.DRAFT
    assert sorted(dataset.tags.values_list("name", flat=True)) == ["バス", "バス停", "交通"]
    assert list(dataset.groups.all()) == [group]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "Bus Stops"}, "URL名"),
        ({"title": ""}, "このフィールドは必須です。"),
        (
            {"temporal_end": "2023-01-01"},
            "対象期間の終了日は開始日と同じか、それより後にしてください。",
        ),
        ({"contact_email": "kikaku@"}, "有効なメールアドレスを入力してください。"),
        ({"standard": "no_such_standard"}, "正しく選択してください。"),
    ],
)
def test_bad_metadata_is_explained_and_nothing_is_saved(
    staff: Client, department: Department, changes: dict[str, Any], message: str
) -> None:
    response = staff.post(reverse("opendata:staff_new"), dataset_data(department, **changes))
    text = page_text(response)
    assert response.status_code == 200
    assert 'class="error-summary"' in text
    assert message in text
    assert not Dataset.objects.exists()
    assert not Tag.objects.exists()


def test_a_url_name_in_use_is_refused(staff: Client, department: Department) -> None:
    DatasetFactory.create(name="bus-stops")
    response = staff.post(reverse("opendata:staff_new"), dataset_data(department))
    assert "URL名「bus-stops」は別のデータセットが使っています。" in page_text(response)
    assert Dataset.objects.count() == 1


def test_staff_edit_a_dataset(staff: Client, aed: Dataset, department: Department) -> None:
    aed.tags.add(Tag.objects.create(name="防災"))
    form = staff.get(reverse("opendata:staff_edit", args=[aed.pk]))
    assert 'value="防災"' in page_text(form)
    response = staff.post(
        reverse("opendata:staff_edit", args=[aed.pk]),
        dataset_data(department, name="aed", title="AED設置場所", standard="aed_locations"),
    )
    assert response.status_code == 302
    aed.refresh_from_db()
    assert aed.title == "AED設置場所"
    assert aed.standard == "aed_locations"


def test_a_generated_dataset_keeps_its_standard_and_takes_no_uploads(
    staff: Client, department: Department
) -> None:
    generated = DatasetFactory.create(
        name="aed-locations", source="places.aed_locations", standard="aed_locations"
    )
    page = page_text(staff.get(reverse("opendata:staff_dataset", args=[generated.pk])))
    assert "自動で作成" in page
    assert reverse("opendata:staff_upload_new", args=[generated.pk]) not in page

    staff.post(
        reverse("opendata:staff_edit", args=[generated.pk]),
        dataset_data(department, name="aed-locations", title="AEDの場所", standard=""),
    )
    generated.refresh_from_db()
    assert generated.title == "AEDの場所"
    assert generated.standard == "aed_locations"

    response = upload(staff, generated, csv_file(GOOD_AED))
    assert "ファイルを取り込むことはできません" in page_text(response)
    assert not Upload.objects.exists()


# --- uploading, checking, publishing ----------------------------------------------------------------


def test_an_upload_with_errors_lists_them_by_row_and_column(staff: Client, aed: Dataset) -> None:
    response = upload(staff, aed, csv_file(BAD_AED, encoding="cp932"))
    item = Upload.objects.get()
    assert response["Location"] == reverse("opendata:staff_upload", args=[aed.pk, item.pk])
    text = page_text(staff.get(response["Location"]))
    assert "Shift_JIS" in text
    assert "誤りが2件あるため、公開できません。" in text
    assert "<td>3行目</td>\n    <td>緯度</td>" in text
    assert "経度と入れ替わっていませんか" in text
    assert "<td>4行目</td>\n    <td>所在地_連結表記</td>" in text
    assert "必須の項目が空です" in text
    # The preview shows the rows as in the file, numbered as a spreadsheet numbers them.
    assert '<th scope="row">4</th><td>中央公民館</td>' in text
    assert reverse("opendata:staff_upload_publish", args=[aed.pk, item.pk]) not in text

    refused = publish(staff, aed, item, name="AED")
    assert "誤りがあるため公開できません" in page_text(refused)
    assert not ResourceVersion.objects.exists()
    assert not Resource.objects.exists()


def test_the_fixed_file_is_published_with_a_geojson_for_the_map(
    staff: Client, aed: Dataset
) -> None:
    upload(staff, aed, csv_file(BAD_AED))
    upload(staff, aed, csv_file(GOOD_AED, encoding="cp932"))
    fixed = Upload.objects.order_by("-pk").first()
    assert fixed is not None and fixed.problem_count == 1  # the optional columns' warning
    check = page_text(staff.get(reverse("opendata:staff_upload", args=[aed.pk, fixed.pk])))
    assert "誤りはありません。注意が1件あります。" in check

    response = publish(staff, aed, fixed, name="AED設置箇所一覧", note="初版")
    assert response["Location"] == reverse("opendata:staff_dataset", args=[aed.pk])
    csv_resource = aed.resources.get(format=Resource.Format.CSV)
    version = csv_resource.versions.get()
    content = version.file.read()
    assert content.startswith("\ufeff名称,所在地_連結表記".encode())
    assert "亘理町立図書館".encode() in content and b"\r\n" in content
    assert version.row_count == 2 and version.note == "初版"

    geojson = aed.resources.get(format=Resource.Format.GEOJSON, name="AED設置箇所一覧")
    collection = json.loads(geojson.versions.get().file.read())
    assert [f["geometry"]["coordinates"] for f in collection["features"]] == [
        [140.8522, 38.0378],
        [140.8497, 38.0391],
    ]
    fixed.refresh_from_db()
    assert fixed.published_version == version

    # Still a draft: publishing the dataset is a step of its own.
    aed.refresh_from_db()
    assert aed.state == Dataset.State.DRAFT
    staff.post(reverse("opendata:staff_publish", args=[aed.pk]))
    aed.refresh_from_db()
    assert aed.state == Dataset.State.PUBLISHED


def test_publishing_the_same_upload_twice_publishes_once(staff: Client, aed: Dataset) -> None:
    upload(staff, aed, csv_file(GOOD_AED))
    item = Upload.objects.get()
    publish(staff, aed, item, name="AED")
    second = publish(staff, aed, item, name="AED")
    assert second.status_code == 302
    assert aed.resources.filter(format=Resource.Format.CSV).count() == 1
    assert ResourceVersion.objects.filter(resource__format=Resource.Format.CSV).count() == 1
    messages = [str(m) for m in second.wsgi_request._messages]
    assert "このファイルは第1版として公開済みです。" in messages


def test_replacing_a_file_keeps_the_old_version(staff: Client, aed: Dataset) -> None:
    resource = ResourceFactory.create(dataset=aed, name="AED", content=GOOD_AED.encode())
    changed = GOOD_AED + "中央公民館,亘理町字下小路7-4,38.0360,140.8530,ロビー\n"
    upload(staff, aed, csv_file(changed), resource=str(resource.pk))
    item = Upload.objects.get()
    assert item.resource == resource
    publish(staff, aed, item, note="公民館を追加")
    versions = list(resource.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].file.read() == GOOD_AED.encode()
    assert versions[1].row_count == 3 and versions[1].note == "公民館を追加"
    assert aed.resources.filter(format=Resource.Format.CSV).count() == 1

    page = page_text(staff.get(reverse("opendata:staff_dataset", args=[aed.pk])))
    old = reverse("opendata:staff_version_file", args=[resource.pk, 1])
    assert old in page
    download = staff.get(old)
    assert b"".join(download.streaming_content) == GOOD_AED.encode()  # type: ignore[attr-defined]


def test_an_unchanged_file_adds_no_version(staff: Client, aed: Dataset) -> None:
    upload(staff, aed, csv_file(GOOD_AED))
    publish(staff, aed, Upload.objects.get(), name="AED")
    resource = aed.resources.get(format=Resource.Format.CSV)
    upload(staff, aed, csv_file(GOOD_AED, encoding="cp932"), resource=str(resource.pk))
    response = publish(staff, aed, Upload.objects.order_by("-pk")[0])
    assert resource.versions.count() == 1
    messages = [str(m) for m in response.wsgi_request._messages]
    assert "公開中のファイルと同じ内容のため、新しい版は作りませんでした。" in messages


def test_an_xlsx_stays_xlsx_and_gets_a_csv(staff: Client, aed: Dataset) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for line in GOOD_AED.splitlines():
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    # Named .csv: the content decides that it is a workbook.
    upload(staff, aed, SimpleUploadedFile("aed.csv", buffer.getvalue()))
    item = Upload.objects.get()
    assert uploads.upload_format(item) == Resource.Format.XLSX
    publish(staff, aed, item, name="AED")
    xlsx = aed.resources.get(format=Resource.Format.XLSX).versions.get()
    assert xlsx.file.read() == buffer.getvalue()
    csv_version = aed.resources.get(format=Resource.Format.CSV, name="AED").versions.get()
    assert csv_version.file.read().decode("utf-8-sig").splitlines()[1].startswith("亘理町役場,")
    assert aed.resources.filter(format=Resource.Format.GEOJSON).exists()


def test_a_geojson_is_published_as_it_is(staff: Client, aed: Dataset) -> None:
    collection = {"type": "FeatureCollection", "features": []}
    content = json.dumps(collection).encode()
    upload(staff, aed, SimpleUploadedFile("benches.geojson", content))
    item = Upload.objects.get()
    check = page_text(staff.get(reverse("opendata:staff_upload", args=[aed.pk, item.pk])))
    assert "地物の数" in check
    publish(staff, aed, item, name="ベンチ")
    assert aed.resources.get(format=Resource.Format.GEOJSON).versions.get().file.read() == content


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("aed.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "古いExcel形式"),
        ("aed.pdf", b"%PDF-1.4", "取り込めません"),
        ("aed.csv", "名称\n".encode("utf-16"), "UTF-16"),
        ("aed.json", b"{not json", "JSONとして読めません"),
        ("aed.geojson", b'{"type": "Feature"}', "FeatureCollection"),
        ("aed.geojson", b"[1, 2]", "FeatureCollection"),
        ("aed.geojson", b'{"type": "FeatureCollection", "features": [1]}', "FeatureCollection"),
    ],
)
def test_unreadable_files_are_refused_and_nothing_is_kept(
    staff: Client, aed: Dataset, name: str, content: bytes, message: str
) -> None:
    response = upload(staff, aed, SimpleUploadedFile(name, content))
    text = page_text(response)
    assert response.status_code == 200
    assert 'class="error-summary"' in text and message in text
    assert not Upload.objects.exists()


def test_a_file_too_large_is_refused(
    staff: Client, aed: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uploads, "UPLOAD_MAX_BYTES", 100)
    response = upload(staff, aed, csv_file(GOOD_AED))
    assert "ファイルが大きすぎます" in page_text(response)
    assert not Upload.objects.exists()


def test_a_json_file_larger_than_json_files_may_be_is_refused(
    staff: Client, aed: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uploads, "JSON_MAX_BYTES", 10)
    response = upload(staff, aed, SimpleUploadedFile("aed.json", b'[{"a": 1}, {"a": 2}]'))
    assert "JSONファイルが大きすぎます" in page_text(response)
    assert not Upload.objects.exists()


def test_a_replacement_must_have_the_same_format(staff: Client, aed: Dataset) -> None:
    resource = ResourceFactory.create(dataset=aed, name="AED")
    response = upload(staff, aed, SimpleUploadedFile("aed.json", b"[]"), resource=str(resource.pk))
    assert "置き換えるファイルはCSV形式ですが、選んだファイルはJSON形式です。" in page_text(
        response
    )
    assert not Upload.objects.exists()


def test_a_new_file_needs_a_name(staff: Client, aed: Dataset) -> None:
    upload(staff, aed, csv_file(GOOD_AED))
    item = Upload.objects.get()
    response = publish(staff, aed, item, name="")
    assert 'class="error-summary"' in page_text(response)
    assert "ファイルの名称" in page_text(response)
    assert not Resource.objects.exists()


def test_an_upload_of_another_dataset_is_not_found(
    staff: Client, aed: Dataset, department: Department
) -> None:
    upload(staff, aed, csv_file(GOOD_AED))
    other = DatasetFactory.create(department=department)
    item = Upload.objects.get()
    assert staff.get(reverse("opendata:staff_upload", args=[other.pk, item.pk])).status_code == 404
    assert publish(staff, other, item, name="AED").status_code == 404


# --- publishing and deleting a dataset ---------------------------------------------------------------


def test_a_dataset_without_files_cannot_be_published(staff: Client, aed: Dataset) -> None:
    response = staff.post(reverse("opendata:staff_publish", args=[aed.pk]), follow=True)
    assert "ファイルが一つもないため公開できません" in page_text(response)
    aed.refresh_from_db()
    assert aed.state == Dataset.State.DRAFT


def test_deleting_needs_a_reason_and_leaves_a_tombstone(staff: Client, aed: Dataset) -> None:
    resource = ResourceFactory.create(dataset=aed, name="AED")
    url = reverse("opendata:staff_delete", args=[aed.pk])
    assert "元に戻せません" in page_text(staff.get(url))

    refused = staff.post(url, {"reason": "  "})
    assert "削除の理由を入力してください。" in page_text(refused)
    aed.refresh_from_db()
    assert aed.state == Dataset.State.DRAFT

    response = staff.post(url, {"reason": "調査を終了したため"})
    assert response.status_code == 302
    aed.refresh_from_db()
    assert aed.state == Dataset.State.DELETED
    assert aed.deletion_reason == "調査を終了したため"
    assert not resource.versions.get().file
    page = page_text(staff.get(reverse("opendata:staff_dataset", args=[aed.pk])))
    assert "調査を終了したため" in page and "取り下げ済み" in page
    # The public page says it was deleted (410), for people and harvesters alike.
    assert Client().get(reverse("opendata:dataset", args=[aed.name])).status_code == 410
    assert upload(staff, aed, csv_file(GOOD_AED)).status_code == 200
    assert not Upload.objects.exists()


def test_the_upload_help_is_in_the_language_of_the_page() -> None:
    with translation.override("en"):
        english = str(UploadForm(resources=Resource.objects.none()).fields["file"].help_text)
    with translation.override("ja"):
        japanese = str(UploadForm(resources=Resource.objects.none()).fields["file"].help_text)
    assert "up to" in english
    assert "MBまで" in japanese
