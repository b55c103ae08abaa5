"""Write services of the catalogue: metadata rules, versions only on change, tombstones."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone

from yakuba.modules.opendata import services
from yakuba.modules.opendata.models import Dataset, Resource, ResourceVersion, Tag
from yakuba.platform.accounts.models import Department
from yakuba.platform.accounts.tests.factories import DepartmentFactory, StaffFactory
from yakuba.platform.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def department() -> Department:
    return DepartmentFactory.create(code="kikaku", name="企画課")


@pytest.fixture
def clerk() -> Any:
    return StaffFactory.create(email="clerk@example.jp")


def new_dataset(department: Department, **fields: Any) -> Dataset:
    values: dict[str, Any] = {"name": "bus-stops", "title": "バス停一覧", "department": department}
    values.update(fields)
    return services.save_dataset(by=None, **values)


def with_file(dataset: Dataset, content: bytes = b"a,b\r\n1,2\r\n") -> Resource:
    resource = services.add_resource(
        dataset, by=None, name="バス停一覧（CSV）", file_format=Resource.Format.CSV
    )
    services.publish_file(resource, content, row_count=1)
    return resource


def test_a_new_dataset_is_a_draft_with_normalised_tags(department: Department, clerk: Any) -> None:
    dataset = services.save_dataset(
        by=clerk,
        name="bus-stops",
        title="バス停一覧",
        department=department,
        tags=["ＡＥＤ", "AED", " 防災 ", ""],
    )
    assert dataset.state == Dataset.State.DRAFT
    assert sorted(dataset.tags.values_list("name", flat=True)) == ["AED", "防災"]
    assert AuditEntry.objects.filter(action="create", object_id=str(dataset.pk)).exists()


def test_tag_names_reuses_existing_tags_in_the_order_given() -> None:
    Tag.objects.create(name="防災")
    tags = services.tag_names(["子育て", "防災", "子育て"])
    assert [t.name for t in tags] == ["子育て", "防災"]
    assert Tag.objects.count() == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "Bus Stops"}, "name"),
        ({"name": "x"}, "name"),
        ({"licence": "proprietary"}, "licence"),
        ({"frequency": "hourly"}, "frequency"),
        ({"temporal_start": date(2024, 4, 1), "temporal_end": date(2024, 3, 31)}, "temporal_end"),
        ({"contact_email": "not-an-address"}, "contact_email"),
    ],
)
def test_bad_metadata_is_refused_with_the_field_named_and_nothing_saved(
    department: Department, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        new_dataset(department, **fields)
    assert field in raised.value.message_dict
    assert not Dataset.objects.exists()


def test_a_name_in_use_is_refused(department: Department) -> None:
    new_dataset(department)
    with pytest.raises(ValidationError) as raised:
        new_dataset(department, title="別のデータ")
    assert "別のデータセットが使っています" in raised.value.message_dict["name"][0]


def test_a_temporal_range_of_one_day_is_accepted(department: Department) -> None:
    day = date(2024, 4, 1)
    dataset = new_dataset(department, temporal_start=day, temporal_end=day)
    assert dataset.temporal_end == day


def test_editing_moves_modified_at_and_records_the_change(
    department: Department, clerk: Any
) -> None:
    dataset = new_dataset(department)
    before = dataset.modified_at
    services.save_dataset(dataset, by=clerk, title="バス停の一覧")
    dataset.refresh_from_db()
    assert dataset.title == "バス停の一覧"
    assert dataset.modified_at > before
    entry = AuditEntry.objects.get(action="update", object_id=str(dataset.pk))
    assert entry.changes["fields"]["title"] == {"old": "バス停一覧", "new": "バス停の一覧"}


def test_a_file_gets_a_new_version_only_when_its_content_changes(department: Department) -> None:
    dataset = new_dataset(department)
    resource = services.add_resource(dataset, by=None, name="CSV", file_format=Resource.Format.CSV)
    first = services.publish_file(resource, b"a\r\n1\r\n", row_count=1)
    assert first is not None and first.number == 1
    assert services.publish_file(resource, b"a\r\n1\r\n", row_count=1) is None
    second = services.publish_file(resource, b"a\r\n2\r\n", row_count=1)
    assert second is not None and second.number == 2
    assert resource.versions.count() == 2
    # The earlier version stays downloadable.
    with default_storage.open(first.file.name) as old:
        assert old.read() == b"a\r\n1\r\n"
    assert second.sha256 == hashlib.sha256(b"a\r\n2\r\n").hexdigest()
    assert second.size == 6
    assert second.file.name.endswith("/2/bus-stops.csv")


def test_publishing_a_file_moves_modified_at_of_resource_and_dataset(
    department: Department,
) -> None:
    dataset = new_dataset(department)
    resource = services.add_resource(dataset, by=None, name="CSV", file_format="CSV")
    Dataset.objects.filter(pk=dataset.pk).update(modified_at=timezone.now() - timedelta(days=1))
    version = services.publish_file(resource, b"x\r\n")
    assert version is not None
    dataset.refresh_from_db()
    resource.refresh_from_db()
    assert dataset.modified_at == version.created_at == resource.modified_at


def test_a_dataset_without_files_cannot_be_published(department: Department) -> None:
    dataset = new_dataset(department)
    with pytest.raises(ValidationError):
        services.publish_dataset(dataset, by=None)
    dataset.refresh_from_db()
    assert dataset.state == Dataset.State.DRAFT


def test_publishing_sets_the_date_once_and_is_recorded(department: Department, clerk: Any) -> None:
    dataset = new_dataset(department)
    with_file(dataset)
    published = services.publish_dataset(dataset, by=clerk)
    assert published.state == Dataset.State.PUBLISHED
    assert published.published_at is not None
    again = services.publish_dataset(published, by=clerk)
    assert again.published_at == published.published_at
    assert AuditEntry.objects.filter(action="update", object_id=str(dataset.pk)).count() == 1


def test_deleting_leaves_a_tombstone_and_withdraws_the_files(
    department: Department, clerk: Any, django_capture_on_commit_callbacks: Any
) -> None:
    dataset = new_dataset(department)
    resource = with_file(dataset)
    services.publish_dataset(dataset, by=clerk)
    version = resource.versions.get()
    stored = version.file.name
    before = Dataset.objects.get(pk=dataset.pk).modified_at
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_dataset(dataset, by=clerk, reason="個人情報が含まれていたため")
    dataset.refresh_from_db()
    assert dataset.state == Dataset.State.DELETED
    assert dataset.deletion_reason == "個人情報が含まれていたため"
    assert dataset.modified_at > before
    # The metadata of the dataset and of its file stay; the file itself is gone.
    version.refresh_from_db()
    assert version.file.name == ""
    assert version.sha256 and version.size and version.row_count == 1
    assert not default_storage.exists(stored)
    entry = AuditEntry.objects.get(action="delete", object_id=str(dataset.pk))
    assert entry.reason == "個人情報が含まれていたため"


def test_deleting_needs_a_reason(department: Department, clerk: Any) -> None:
    dataset = new_dataset(department)
    with pytest.raises(ValidationError) as raised:
        services.delete_dataset(dataset, by=clerk, reason="  ")
    assert "reason" in raised.value.message_dict
    dataset.refresh_from_db()
    assert dataset.state == Dataset.State.DRAFT


def test_a_tombstone_takes_no_files_edits_or_publication(
    department: Department, clerk: Any
) -> None:
    dataset = new_dataset(department)
    resource = with_file(dataset)
    services.delete_dataset(dataset, by=clerk, reason="重複")
    dataset.refresh_from_db()
    with pytest.raises(ValidationError):
        services.publish_file(resource, b"new\r\n")
    with pytest.raises(ValidationError):
        services.save_dataset(dataset, by=clerk, title="復活")
    with pytest.raises(ValidationError):
        services.publish_dataset(dataset, by=clerk)
    with pytest.raises(ValidationError):
        services.delete_dataset(dataset, by=clerk, reason="もう一度")
    assert ResourceVersion.objects.count() == 1
