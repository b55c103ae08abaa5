"""Write services of the open-data catalogue (オープンデータカタログ): datasets, files, tags.

Every change to a dataset or one of its files moves `Dataset.modified_at` (CKAN's
`metadata_modified`), because harvesters (BODIK, data.go.jp via ckanext-harvest) fetch only what
changed since their last run with `fq=metadata_modified:[… TO *]`. A deleted dataset stays as a
tombstone for the same reason: a harvester that never sees it again cannot tell deletion from an
outage.

Each dataset keeps the text the catalogue's search matches (`Dataset.search_text`, see
`refresh_search_text`). It includes the names of the dataset's department and groups as they were
when the dataset was last saved: a department or group renamed later is found under its new name
once the dataset is saved again, or, for a generated dataset, at its next refresh (there is no
signal from the accounts layer, and renames are rare enough not to need one).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from yakuba.core import furigana
from yakuba.core.standard_datasets import STANDARD_DATASETS
from yakuba.modules.opendata.models import Dataset, Group, Resource, ResourceVersion, Tag
from yakuba.modules.opendata.queries import compose_search_text, normalise_tag
from yakuba.platform.accounts.models import Department
from yakuba.platform.audit import services as audit
from yakuba.platform.audit.models import AuditAction

# Within CKAN's package name rule (2–100 characters of a-z, 0-9, "-", "_"): lower case only, so
# names differing only in case cannot both exist, and hyphens as the help text says.
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,99}$")

EXTENSIONS: dict[str, str] = {
    Resource.Format.CSV: "csv",
    Resource.Format.JSON: "json",
    Resource.Format.GEOJSON: "geojson",
    Resource.Format.XLSX: "xlsx",
}

# The metadata `save_dataset` sets; the state, dates, source and files have their own services.
EDITABLE_FIELDS = (
    "name",
    "title",
    "title_en",
    "description",
    "description_en",
    "department",
    "licence",
    "frequency",
    "spatial",
    "temporal_start",
    "temporal_end",
    "contact_name",
    "contact_email",
    "contact_phone",
    "standard",
)


def tag_names(names: Iterable[str]) -> list[Tag]:
    """The tags (タグ) with these names, created when new, in the order given, without duplicates
    or blanks. Raises ValidationError for a name longer than a tag can be."""
    wanted: list[str] = []
    for raw in names:
        name = normalise_tag(raw)
        if not name or name in wanted:
            continue
        if len(name) > Tag._meta.get_field("name").max_length:  # type: ignore[operator]
            raise ValidationError(
                {"tags": _("タグ「%(name)s」が長すぎます（100文字まで）。") % {"name": name}}
            )
        wanted.append(name)
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=wanted)}
    missing = [Tag(name=name) for name in wanted if name not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.name: tag for tag in Tag.objects.filter(name__in=wanted)}
    return [existing[name] for name in wanted]


def _check_metadata(dataset: Dataset) -> None:
    """Every rule of the metadata at once, so the form shows all problems together."""
    errors: dict[str, list[str]] = {}
    if not NAME_PATTERN.match(dataset.name or ""):
        errors.setdefault("name", []).append(
            _("URL名は半角の英小文字・数字・ハイフンで、2〜100文字にしてください。")
        )
    elif Dataset.objects.filter(name=dataset.name).exclude(pk=dataset.pk).exists():
        errors.setdefault("name", []).append(
            _("URL名「%(name)s」は別のデータセットが使っています。") % {"name": dataset.name}
        )
    start: date | None = dataset.temporal_start
    end: date | None = dataset.temporal_end
    if start and end and end < start:
        errors.setdefault("temporal_end", []).append(
            _("対象期間の終了日は開始日と同じか、それより後にしてください。")
        )
    try:
        # Choices (licence, frequency), required fields, lengths, e-mail format.
        dataset.full_clean(exclude=["name"], validate_unique=False)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_dataset(
    dataset: Dataset | None = None,
    *,
    by: Any,
    groups: Iterable[Group] | None = None,
    tags: Iterable[str] | None = None,
    **fields: Any,
) -> Dataset:
    """Create a dataset (`dataset=None`) or change its metadata (データセットの登録・編集).

    `fields` are among EDITABLE_FIELDS; `groups` and `tags` (names) replace the current ones when
    given. Nothing is saved when any value is bad: ValidationError names each field. A new dataset
    is a draft until `publish_dataset`; a tombstone cannot be edited.
    """
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"save_dataset() does not set {sorted(unknown)}")
    is_new = dataset is None
    if dataset is None:
        dataset = Dataset()
    elif dataset.state == Dataset.State.DELETED:
        raise ValidationError(_("削除済みのデータセットは変更できません。"))
    before = {field: _audit_value(getattr(dataset, field, None)) for field in fields}
    for field, value in fields.items():
        setattr(dataset, field, value)
    if isinstance(dataset.name, str):
        dataset.name = dataset.name.strip()
    _check_metadata(dataset)
    tag_objects = tag_names(tags) if tags is not None else None
    dataset.modified_at = timezone.now()
    dataset.save()
    if groups is not None:
        dataset.groups.set(list(groups))
    if tag_objects is not None:
        dataset.tags.set(tag_objects)
    refresh_search_text(dataset)
    changes = {
        field: {"old": before[field], "new": _audit_value(getattr(dataset, field))}
        for field in fields
        if is_new or before[field] != _audit_value(getattr(dataset, field))
    }
    if by is not None:
        audit.record(
            AuditAction.CREATE if is_new else AuditAction.UPDATE,
            by=by,
            obj=dataset,
            changes={"fields": changes},
        )
    return dataset


def search_text_of(dataset: Dataset) -> str:
    """The text the catalogue's search matches for a dataset (検索用の文字列), in three parts that
    rank in this order: its titles and URL name; its tags and groups; its descriptions, department
    and standard dataset. The Japanese titles, tags and groups come with their kana readings, so
    「ぼうさい」 finds 防災. Descriptions are searched as written: reading them would cost more
    than it finds. Works on the migrations' historical models too (attributes only)."""
    tags = [tag.name for tag in dataset.tags.all()]
    groups = list(dataset.groups.all())
    standard = STANDARD_DATASETS.get(dataset.standard)
    return compose_search_text(
        titles=[dataset.title, dataset.title_en, dataset.name, *furigana.readings(dataset.title)],
        keywords=[
            *tags,
            *(reading for tag in tags for reading in furigana.readings(tag)),
            *(group.title for group in groups),
            *(group.title_en for group in groups),
            *(reading for group in groups for reading in furigana.readings(group.title)),
        ],
        others=[
            dataset.description,
            dataset.description_en,
            dataset.department.name,
            dataset.department.name_en,
            standard.title if standard else "",
            standard.title_en if standard else "",
        ],
    )


def refresh_search_text(dataset: Dataset) -> None:
    """Rewrite a dataset's search text from its metadata, tags, groups and department as they are
    now. Every service that changes one of them calls it. It leaves `modified_at` alone: nothing a
    harvester sees has changed."""
    dataset.search_text = search_text_of(dataset)
    Dataset.objects.filter(pk=dataset.pk).update(search_text=dataset.search_text)


def _audit_value(value: Any) -> Any:
    if isinstance(value, Department):
        return value.pk
    if isinstance(value, date):
        return value.isoformat()
    return value


@transaction.atomic
def publish_dataset(dataset: Dataset, *, by: Any) -> Dataset:
    """Make a draft dataset public (公開). A dataset needs at least one file to be published; a
    tombstone stays deleted. Publishing a published dataset changes nothing."""
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    if dataset.state == Dataset.State.PUBLISHED:
        return dataset
    if dataset.state == Dataset.State.DELETED:
        raise ValidationError(_("削除済みのデータセットは公開できません。"))
    if not ResourceVersion.objects.filter(resource__dataset=dataset).exists():
        raise ValidationError(
            _("ファイルが一つもないため公開できません。先にファイルを登録してください。")
        )
    now = timezone.now()
    dataset.state = Dataset.State.PUBLISHED
    dataset.published_at = dataset.published_at or now
    dataset.modified_at = now
    dataset.save(update_fields=["state", "published_at", "modified_at"])
    if by is not None:
        audit.record(
            AuditAction.UPDATE,
            by=by,
            obj=dataset,
            changes={"fields": {"state": {"old": "draft", "new": "published"}}},
        )
    return dataset


@transaction.atomic
def delete_dataset(dataset: Dataset, *, by: Any, reason: str) -> Dataset:
    """Delete a dataset (削除), leaving a tombstone: the metadata and the reason stay visible to
    people and harvesters, the files are withdrawn (removed from storage once the transaction
    commits; each version keeps its size, hash and row count). Cannot be undone."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("削除の理由を入力してください。")]})
    max_length = Dataset._meta.get_field("deletion_reason").max_length
    if max_length is not None and len(reason) > max_length:
        raise ValidationError(
            {
                "reason": [
                    _("削除の理由は%(limit)d文字以内で入力してください。") % {"limit": max_length}
                ]
            }
        )
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    if dataset.state == Dataset.State.DELETED:
        raise ValidationError(_("このデータセットはすでに削除されています。"))
    previous_state = dataset.state
    now = timezone.now()
    dataset.state = Dataset.State.DELETED
    dataset.deletion_reason = reason
    dataset.modified_at = now
    dataset.save(update_fields=["state", "deletion_reason", "modified_at"])
    versions = ResourceVersion.objects.filter(resource__dataset=dataset).exclude(file="")
    withdrawn = list(versions.values_list("file", flat=True))
    versions.update(file="")
    Resource.objects.filter(dataset=dataset).update(modified_at=now)
    # Files go only after commit: a rollback must not leave versions pointing at nothing.
    transaction.on_commit(lambda: _remove_files(withdrawn))
    audit.record(
        AuditAction.DELETE,
        by=by,
        obj=dataset,
        reason=reason,
        changes={"fields": {"state": {"old": previous_state, "new": "deleted"}}},
    )
    return dataset


@transaction.atomic
def add_resource(
    dataset: Dataset,
    *,
    by: Any,
    name: str,
    file_format: str,
    name_en: str = "",
    description: str = "",
) -> Resource:
    """Add a file slot (リソース) to a dataset, placed after its other resources; its content
    comes with `publish_file`."""
    if dataset.state == Dataset.State.DELETED:
        raise ValidationError(_("削除済みのデータセットにはファイルを登録できません。"))
    if file_format not in Resource.Format.values:
        raise ValidationError({"format": [_("この形式のファイルは登録できません。")]})
    if not name.strip():
        raise ValidationError({"name": [_("名称を入力してください。")]})
    last = dataset.resources.aggregate(last=Max("position"))["last"]
    resource = Resource.objects.create(
        dataset=dataset,
        name=name.strip(),
        name_en=name_en.strip(),
        description=description,
        format=file_format,
        position=0 if last is None else last + 1,
    )
    Dataset.objects.filter(pk=dataset.pk).update(modified_at=resource.created_at)
    if by is not None:
        audit.record(AuditAction.CREATE, by=by, obj=resource)
    return resource


def _remove_files(names: Iterable[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _digest_and_size(file: File) -> tuple[str, int]:
    """The file's SHA-256 and size, read in chunks (a published file can be hundreds of MB)."""
    digest, size = hashlib.sha256(), 0
    for chunk in file.chunks():
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


@transaction.atomic
def publish_file(
    resource: Resource,
    content: bytes | File,
    *,
    by: Any = None,
    note: str = "",
    row_count: int | None = None,
) -> ResourceVersion | None:
    """Publish `content` (bytes, or a file read in chunks) as the next version (版) of a
    resource's file; None when it is byte for byte the current version (same SHA-256), so
    refreshing unchanged data adds nothing. Earlier versions stay downloadable. Moves the
    resource's and the dataset's modified_at."""
    # The lock orders concurrent publishers of one resource, so version numbers never collide.
    resource = Resource.objects.select_for_update().select_related("dataset").get(pk=resource.pk)
    dataset = resource.dataset
    if dataset.state == Dataset.State.DELETED:
        raise ValidationError(_("削除済みのデータセットにはファイルを登録できません。"))
    file = content if isinstance(content, File) else ContentFile(content)
    digest, size = _digest_and_size(file)
    current = resource.current_version()
    if current is not None and current.sha256 == digest:
        return None
    latest = resource.versions.aggregate(latest=Max("number"))["latest"] or 0
    version = ResourceVersion(
        resource=resource,
        number=latest + 1,
        size=size,
        sha256=digest,
        row_count=row_count,
        note=note[:500],
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    version.file.save(f"{dataset.name}.{EXTENSIONS[resource.format]}", file, save=False)
    try:
        version.save()
    except BaseException:
        version.file.delete(save=False)
        raise
    now = version.created_at
    Resource.objects.filter(pk=resource.pk).update(modified_at=now)
    Dataset.objects.filter(pk=dataset.pk).update(modified_at=now)
    if by is not None:
        audit.record(
            AuditAction.CREATE,
            by=by,
            obj=version,
            changes={"fields": {"number": {"new": version.number}, "sha256": {"new": digest}}},
        )
    return version
