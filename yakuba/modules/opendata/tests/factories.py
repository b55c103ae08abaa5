"""Factories for open-data tests: published datasets, their groups and tags, and resources with a
first file version.

A resource's file is written to MEDIA_ROOT: tests that create resources set
`settings.MEDIA_ROOT = tmp_path`. `ResourceFactory(content=False)` makes a resource without a file.
"""

from __future__ import annotations

import hashlib
from typing import Any

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from yakuba.modules.opendata import services
from yakuba.modules.opendata.models import Dataset, Group, Resource, ResourceVersion, Tag
from yakuba.platform.accounts.tests.factories import DepartmentFactory

CSV_CONTENT = "名称,緯度,経度\n亘理町役場,38.0378,140.8522\n".encode()


class GroupFactory(factory.django.DjangoModelFactory[Group]):
    class Meta:
        model = Group
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"group-{n}")
    title = factory.Sequence(lambda n: f"分類{n}")


class TagFactory(factory.django.DjangoModelFactory[Tag]):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"タグ{n}")


class DatasetFactory(factory.django.DjangoModelFactory[Dataset]):
    """A published dataset of 町民生活課; `groups=[…]` and `tags=[…]` take objects."""

    class Meta:
        model = Dataset
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"dataset-{n}")
    title = factory.Sequence(lambda n: f"データセット{n}")
    description = "町のデータです。"
    department = factory.SubFactory(DepartmentFactory)
    state = Dataset.State.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def groups(self: Dataset, create: bool, extracted: list[Group] | None, **kwargs: Any) -> None:
        if create and extracted:
            self.groups.add(*extracted)

    @factory.post_generation
    def tags(self: Dataset, create: bool, extracted: list[Tag] | None, **kwargs: Any) -> None:
        if create and extracted:
            self.tags.add(*extracted)

    @factory.post_generation
    def refresh_search_text(self: Dataset, create: bool, extracted: Any, **kwargs: Any) -> None:
        # As the services leave a dataset; declared after groups and tags so that it sees them.
        if create:
            services.refresh_search_text(self)


class ResourceFactory(factory.django.DjangoModelFactory[Resource]):
    """A CSV resource with version 1 of `content` (bytes; False for no file yet)."""

    class Meta:
        model = Resource
        skip_postgeneration_save = True

    dataset = factory.SubFactory(DatasetFactory)
    name = factory.Sequence(lambda n: f"ファイル{n}")
    format = Resource.Format.CSV

    @factory.post_generation
    def content(
        self: Resource, create: bool, extracted: bytes | bool | None, **kwargs: Any
    ) -> None:
        if not create or extracted is False:
            return
        data = extracted if isinstance(extracted, bytes) else CSV_CONTENT
        version = ResourceVersion(
            resource=self,
            number=1,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        version.file.save(f"{self.pk}.{self.format.lower()}", ContentFile(data), save=False)
        version.save()
