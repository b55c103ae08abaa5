"""The open-data catalogue (オープンデータカタログ): datasets, their files and the files' versions.

The shape follows CKAN, which the national aggregators (BODIK, data.go.jp) harvest: a dataset
(CKAN "package") is published by a department (CKAN "organization"), belongs to groups (分類),
has tags and resources; a resource is one file in one format. Unlike CKAN, replacing a file
keeps the previous one (`ResourceVersion`), and a deleted dataset stays as a tombstone so that
harvesters learn of the deletion.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakuba.platform.accounts.models import Department


class Licence(models.TextChoices):
    """Licences the town publishes under; CC BY 4.0 is the government's default (政府標準利用規約
    第2.0版 is compatible with it)."""

    CC_BY_4 = "CC-BY-4.0", _("クリエイティブ・コモンズ 表示 4.0 国際（CC BY 4.0）")
    CC0 = "CC0-1.0", _("CC0 1.0 全世界（パブリック・ドメイン）")
    PDL = "PDL-1.0", _("公共データ利用規約（第1.0版）")


class Frequency(models.TextChoices):
    """How often the data is refreshed (更新頻度); DCAT uses the Dublin Core frequency terms."""

    CONTINUOUS = "continuous", _("随時（変更があるたび）")
    DAILY = "daily", _("毎日")
    WEEKLY = "weekly", _("毎週")
    MONTHLY = "monthly", _("毎月")
    QUARTERLY = "quarterly", _("四半期ごと")
    ANNUAL = "annual", _("毎年")
    IRREGULAR = "irregular", _("不定期")


class Group(models.Model):
    """A theme datasets are filed under (分類, CKAN "group"), e.g. 防災, 子育て."""

    name = models.SlugField(_("コード"), max_length=100, unique=True)
    title = models.CharField(_("名称"), max_length=100)
    title_en = models.CharField(_("名称（英語）"), max_length=100, blank=True)
    description = models.TextField(_("説明"), blank=True)
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("分類")
        verbose_name_plural = _("分類")

    def __str__(self) -> str:
        return self.title


class Tag(models.Model):
    """A keyword (タグ). Names are stored NFKC-normalised, so 全角 and 半角 spellings are one tag."""

    name = models.CharField(_("タグ"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("タグ")
        verbose_name_plural = _("タグ")

    def __str__(self) -> str:
        return self.name


class Dataset(models.Model):
    """A dataset (データセット, CKAN "package")."""

    class State(models.TextChoices):
        DRAFT = "draft", _("下書き")
        PUBLISHED = "published", _("公開中")
        # A tombstone: the metadata stays visible (and harvestable) with the files withdrawn.
        DELETED = "deleted", _("削除済み")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(
        _("URL名"),
        max_length=100,
        unique=True,
        help_text=_("半角の英小文字・数字・ハイフンで。データセットのURLとAPIで使います。"),
    )
    title = models.CharField(_("タイトル"), max_length=200)
    title_en = models.CharField(_("タイトル（英語）"), max_length=200, blank=True)
    description = models.TextField(_("説明"), blank=True)
    description_en = models.TextField(_("説明（英語）"), blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("公開する課")
    )
    groups = models.ManyToManyField(Group, blank=True, related_name="datasets")
    tags = models.ManyToManyField(Tag, blank=True, related_name="datasets")
    licence = models.CharField(
        _("ライセンス"), max_length=20, choices=Licence.choices, default=Licence.CC_BY_4
    )
    frequency = models.CharField(
        _("更新頻度"), max_length=20, choices=Frequency.choices, default=Frequency.IRREGULAR
    )
    spatial = models.CharField(_("対象地域"), max_length=200, blank=True)
    temporal_start = models.DateField(_("対象期間（開始）"), null=True, blank=True)
    temporal_end = models.DateField(_("対象期間（終了）"), null=True, blank=True)
    contact_name = models.CharField(_("問い合わせ先"), max_length=100, blank=True)
    contact_email = models.EmailField(_("問い合わせ先メールアドレス"), blank=True)
    contact_phone = models.CharField(_("問い合わせ先電話番号"), max_length=20, blank=True)
    # The 自治体標準オープンデータセット the files follow (a code of core.standard_datasets).
    standard = models.CharField(_("準拠する標準データセット"), max_length=60, blank=True)
    # The registry's OpenDataset code when the platform generates the files from live data.
    source = models.CharField(_("自動作成の元"), max_length=100, blank=True, db_index=True)
    state = models.CharField(
        _("状態"), max_length=20, choices=State.choices, default=State.DRAFT, db_index=True
    )
    deletion_reason = models.CharField(_("削除の理由"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("作成日時"), default=timezone.now)
    published_at = models.DateTimeField(_("公開日時"), null=True, blank=True)
    # CKAN's metadata_modified: any change to the dataset or its files; harvesters page by it.
    modified_at = models.DateTimeField(_("更新日時"), default=timezone.now, db_index=True)
    # What the catalogue's search matches (queries.search_datasets): the dataset's texts and those
    # of its tags, groups and department, normalised, with kana readings. Derived, never edited:
    # services.refresh_search_text writes it.
    search_text = models.TextField(_("検索用の文字列"), blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("データセット")
        verbose_name_plural = _("データセット")

    def __str__(self) -> str:
        return self.title


class Resource(models.Model):
    """One file of a dataset in one format (リソース): CSV, JSON, GeoJSON or XLSX."""

    class Format(models.TextChoices):
        CSV = "CSV", "CSV"
        JSON = "JSON", "JSON"
        GEOJSON = "GeoJSON", "GeoJSON"
        XLSX = "XLSX", "XLSX"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="resources")
    name = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("名称（英語）"), max_length=200, blank=True)
    description = models.TextField(_("説明"), blank=True)
    format = models.CharField(_("形式"), max_length=10, choices=Format.choices)
    position = models.PositiveSmallIntegerField(_("表示順"), default=0)
    created_at = models.DateTimeField(_("作成日時"), default=timezone.now)
    modified_at = models.DateTimeField(_("更新日時"), default=timezone.now)

    class Meta:
        ordering = ["dataset", "position", "created_at"]
        verbose_name = _("リソース")
        verbose_name_plural = _("リソース")

    def __str__(self) -> str:
        return self.name

    def current_version(self) -> ResourceVersion | None:
        return self.versions.order_by("-number").first()


def resource_path(version: ResourceVersion, filename: str) -> str:
    return f"opendata/{version.resource_id}/{version.number}/{filename}"


class ResourceVersion(models.Model):
    """A file as published at one time (版). Replacing a file adds a version; old ones stay
    downloadable."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版"))
    file = models.FileField(_("ファイル"), upload_to=resource_path, max_length=300)
    size = models.PositiveBigIntegerField(_("サイズ（バイト）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    row_count = models.PositiveIntegerField(_("行数"), null=True, blank=True)
    note = models.CharField(_("変更の内容"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("公開日時"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("公開した人"),
    )

    class Meta:
        ordering = ["resource", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "number"], name="opendata_version_number")
        ]
        verbose_name = _("リソースの版")
        verbose_name_plural = _("リソースの版")

    def __str__(self) -> str:
        return f"{self.resource} v{self.number}"


class Upload(models.Model):
    """A file staff uploaded and the check of it (取り込みの確認), before it is published as a
    resource version. Kept so the problem list and the preview can be shown again."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="uploads")
    # The resource it replaces; empty for a new resource.
    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, null=True, blank=True, related_name="uploads"
    )
    file = models.FileField(_("ファイル"), upload_to="opendata/uploads/", max_length=300)
    original_name = models.CharField(_("ファイル名"), max_length=255)
    encoding = models.CharField(_("文字コード"), max_length=20, blank=True)
    # The standard it was checked against ("" = the columns were inferred from the file).
    standard = models.CharField(_("照合した標準データセット"), max_length=60, blank=True)
    columns = models.JSONField(_("列"), default=list)
    problems = models.JSONField(_("問題"), default=list)
    problem_count = models.PositiveIntegerField(_("問題の数"), default=0)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    published_version = models.OneToOneField(
        ResourceVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("日時"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("取り込み")
        verbose_name_plural = _("取り込み")

    def __str__(self) -> str:
        return self.original_name
