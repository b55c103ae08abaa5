"""Citizen reports (町民からの通報): categories routed to departments, reports with a pin and photos,
their public history, and the apps allowed to post through Open311."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakuba.platform.accounts.models import Department
from yakuba.platform.places.models import District

MAX_DESCRIPTION_LENGTH = 4000  # Open311 GeoReport v2's limit for `description`


class Category(models.Model):
    """A kind of problem residents report (通報の種類) — an Open311 "service".

    Each is routed to the department (課) responsible. A campaign (テーマレポート, e.g.
    「通学路の危険箇所を教えてください」) is a category with an end date and an introduction.
    """

    code = models.SlugField(_("コード"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    name_en = models.CharField(_("名称（英語）"), max_length=100, blank=True)
    description = models.TextField(_("説明"), blank=True)
    description_en = models.TextField(_("説明（英語）"), blank=True)
    # Open311 `group`: how categories are grouped in the list (道路, 環境…).
    group = models.CharField(_("分類"), max_length=40, blank=True)
    # A picture residents recognise the category by: a file under static/reports/icons/.
    icon = models.CharField(_("絵"), max_length=40, blank=True)
    keywords = models.CharField(_("キーワード"), max_length=200, blank=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="report_categories",
        verbose_name=_("担当課"),
    )
    is_active = models.BooleanField(_("受け付ける"), default=True)
    # Campaigns only: the last day reports are taken, and what the town asks for.
    campaign_ends_on = models.DateField(_("テーマレポートの終了日"), null=True, blank=True)
    campaign_intro = models.TextField(_("テーマレポートの呼びかけ"), blank=True)
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("通報の種類")
        verbose_name_plural = _("通報の種類")

    def __str__(self) -> str:
        return self.name

    @property
    def is_campaign(self) -> bool:
        return self.campaign_ends_on is not None

    def is_open_on(self, day: Any) -> bool:
        """Whether reports are taken on `day` (a campaign closes after its end date)."""
        return self.is_active and (self.campaign_ends_on is None or day <= self.campaign_ends_on)

    def localized_name(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name


class AttributeType(models.TextChoices):
    """Open311 attribute datatypes."""

    STRING = "string", _("短い文")
    NUMBER = "number", _("数")
    DATETIME = "datetime", _("日時")
    TEXT = "text", _("長い文")
    SINGLE = "singlevaluelist", _("一つ選ぶ")
    MULTI = "multivaluelist", _("いくつでも選ぶ")


class CategoryAttribute(models.Model):
    """A question a category asks (Open311 service attribute), e.g. 「街灯の番号」.

    `values` for list types: [{"key": "on", "name": "点かない", "name_en": "Not lit"}, …].
    `automated` (FixMyStreet's extension): "server_set" values are filled by the town, never asked;
    "hidden_field" ones are sent by clients but not shown to people.
    """

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="attributes")
    code = models.SlugField(_("コード"), max_length=40)
    datatype = models.CharField(_("形式"), max_length=20, choices=AttributeType.choices)
    description = models.CharField(_("質問"), max_length=200)
    description_en = models.CharField(_("質問（英語）"), max_length=200, blank=True)
    required = models.BooleanField(_("必須"), default=False)
    values = models.JSONField(_("選択肢"), default=list, blank=True)
    automated = models.CharField(
        _("自動設定"),
        max_length=20,
        blank=True,
        choices=[("server_set", "server_set"), ("hidden_field", "hidden_field")],
    )
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)

    class Meta:
        ordering = ["category", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="reports_attribute_code")
        ]
        verbose_name = _("通報の質問")
        verbose_name_plural = _("通報の質問")

    def __str__(self) -> str:
        return f"{self.category.code}:{self.code}"

    @property
    def is_list(self) -> bool:
        return self.datatype in (AttributeType.SINGLE, AttributeType.MULTI)

    def value_keys(self) -> list[str]:
        return [str(v["key"]) for v in self.values]


class Status(models.TextChoices):
    """A report's state as the town's staff set it; Open311 shows open (受付, 対応中) or closed."""

    RECEIVED = "received", _("受付")
    IN_PROGRESS = "in_progress", _("対応中")
    FIXED = "fixed", _("対応済")
    NOT_FIXABLE = "not_fixable", _("対応不可")
    REFERRED = "referred", _("他機関へ")
    # Set only by merging (重複の統合): the report repeats another and is followed there.
    DUPLICATE = "duplicate", _("重複")


OPEN_STATUSES = (Status.RECEIVED, Status.IN_PROGRESS)
# The statuses staff choose from; 重複 comes only with a merge.
STAFF_STATUSES = tuple(status for status in Status if status != Status.DUPLICATE)


class Report(models.Model):
    """A report (通報): what is wrong, where (the pin the reporter chose), who told us."""

    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="reports", verbose_name=_("種類")
    )
    description = models.TextField(
        _("内容"), validators=[MaxLengthValidator(MAX_DESCRIPTION_LENGTH)]
    )
    # The pin the reporter chose; empty when only an address was given (Open311 allows either).
    latitude = models.FloatField(
        _("緯度"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("経度"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    address_string = models.CharField(_("場所の説明"), max_length=300, blank=True)
    district = models.ForeignKey(
        District,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("行政区"),
    )
    # Answers to the category's questions, by attribute code (lists for multivaluelist).
    attributes = models.JSONField(_("質問への回答"), default=dict, blank=True)
    status = models.CharField(
        _("状態"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name=_("担当課"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("担当者"),
    )
    # Who reported: a signed-in resident, or an address given by an anonymous reporter, or nobody.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("通報した人"),
    )
    reporter_email = models.EmailField(_("連絡先メールアドレス"), blank=True)
    reporter_name = models.CharField(_("お名前"), max_length=100, blank=True)
    reporter_phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    # Where it came from: "web" or the Open311 client's name.
    source = models.CharField(_("受付経路"), max_length=60, default="web")
    client = models.ForeignKey(
        "Open311Client",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("受付したアプリ"),
    )
    # Open311 `token` for a request, answered by tokens/{token}.
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("統合先"),
    )
    is_hidden = models.BooleanField(_("非公開"), default=False)
    created_at = models.DateTimeField(_("受付日時"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    closed_at = models.DateTimeField(_("完了日時"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["latitude", "longitude"]),
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["category", "status"]),
            models.Index(fields=["department", "status", "-created_at"]),
            models.Index(fields=["-updated_at"]),
            # The public map and list: public reports newest first (bench/README.md).
            models.Index(
                fields=["-created_at", "-id"],
                condition=models.Q(is_hidden=False, merged_into__isnull=True),
                name="reports_public_newest",
            ),
        ]
        verbose_name = _("通報")
        verbose_name_plural = _("通報")

    def __str__(self) -> str:
        return f"#{self.pk} {self.category.name}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_public(self) -> bool:
        return not self.is_hidden and self.merged_into_id is None


def photo_path(instance: ReportPhoto, filename: str) -> str:
    return f"reports/{instance.report_id}/{uuid.uuid4().hex}.jpg"


class ReportPhoto(models.Model):
    """A photo of a report, re-encoded without metadata (the location is the pin only).

    Residents' photos are shown publicly only after staff have looked at them (faces, plates)."""

    class Kind(models.TextChoices):
        REPORTED = "reported", _("通報の写真")
        AFTER = "after", _("対応後の写真")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("写真"), upload_to=photo_path)
    thumbnail = models.FileField(_("縮小写真"), upload_to=photo_path)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    kind = models.CharField(_("種類"), max_length=10, choices=Kind.choices, default=Kind.REPORTED)
    is_public = models.BooleanField(_("公開"), default=False)
    # When staff looked at it (published or kept private): the review list shows the rest.
    reviewed_at = models.DateTimeField(_("確認日時"), null=True, blank=True)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("通報の写真")
        verbose_name_plural = _("通報の写真")

    def __str__(self) -> str:
        return f"{self.report_id}: {self.image.name}"


class ReportUpdate(models.Model):
    """A step in a report's history (経過): a status change with a public note, a comment from the
    reporter or anyone, or an internal note staff keep to themselves."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("書いた人"),
    )
    by_staff = models.BooleanField(_("町から"), default=False)
    # The status the report moved to with this update ("" when it did not change).
    status = models.CharField(_("状態"), max_length=20, choices=Status.choices, blank=True)
    note = models.TextField(_("内容"), blank=True)
    is_internal = models.BooleanField(_("内部メモ"), default=False)
    photo = models.ForeignKey(
        ReportPhoto, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("日時"), default=timezone.now)
    # An update an app sent through Open311, with the app's own update_id: sent again, it is the
    # same update, not a second comment.
    client = models.ForeignKey(
        "Open311Client", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    client_reference = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["report", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "client_reference"],
                condition=~models.Q(client_reference=""),
                name="reports_update_client_reference",
            )
        ]
        verbose_name = _("通報の経過")
        verbose_name_plural = _("通報の経過")

    def __str__(self) -> str:
        return f"{self.report_id}: {self.status or self.note[:20]}"


class Open311Client(models.Model):
    """An app registered to post reports through Open311 (API key issued by staff). Only a hash
    of the key is kept."""

    name = models.CharField(_("アプリの名前"), max_length=100)
    contact = models.CharField(_("連絡先"), max_length=200, blank=True)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=128)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("発行した職員"),
    )
    created_at = models.DateTimeField(_("発行日時"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("失効日時"), null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("Open311のアプリ")
        verbose_name_plural = _("Open311のアプリ")

    def __str__(self) -> str:
        return self.name


class BlockedSender(models.Model):
    """A sender whose reports are refused (abuse): an account or an email address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    email = models.EmailField(_("メールアドレス"), blank=True)
    reason = models.TextField(_("理由"))
    blocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("受付停止")
        verbose_name_plural = _("受付停止")

    def __str__(self) -> str:
        return self.email or str(self.user_id)
