"""Online procedures (行政手続きのオンライン化): procedures and their versioned forms, drafts,
submissions (申請) that never change once filed, amendments, attachments and the history.

A procedure's form is data (`FormVersion.definition`, the format in `formdef.py`); publishing makes a
new version and a submission keeps the version it was made with. A submission's answers are frozen
with a SHA-256 digest of their canonical JSON; later corrections — the applicant's answer to a
補正依頼 or a clerk's correction — are `Amendment`s on top, each with the digest of the content it
leads to.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakuba.modules.procedures.storage import private_storage
from yakuba.platform.accounts.models import Department, HouseholdMember
from yakuba.platform.payments.collectors import PaymentState


class Category(models.TextChoices):
    """Where a procedure is filed in the catalogue (分野)."""

    CHILDCARE = "childcare", _("妊娠・出産・子育て")
    CARE = "care", _("介護・高齢者")
    CERTIFICATES = "certificates", _("証明書・住民票")
    DISASTER = "disaster", _("災害・り災")
    WELFARE = "welfare", _("福祉・障がい")
    TAX = "tax", _("税金")
    OTHER = "other", _("その他")


class LifeEvent(models.TextChoices):
    """Moments of life residents look for procedures by (ライフイベント)."""

    MOVING = "moving", _("引っ越し")
    BIRTH = "birth", _("出産")
    CHILDCARE = "childcare", _("子育て")
    CARE = "care", _("介護")
    DEATH = "death", _("おくやみ")
    DISASTER = "disaster", _("災害")


class ApplicantKind(models.TextChoices):
    """Who files (申請者): the person concerned, for a household member, or as an agent (代理人)."""

    SELF = "self", _("本人")
    HOUSEHOLD = "household", _("世帯員の代わりに")
    AGENT = "agent", _("代理人として")


class FeeKind(models.TextChoices):
    NONE = "none", _("無料")
    FIXED = "fixed", _("定額")
    # Computed from the answers by a rule in `fees.py` (e.g. 300 yen per copy).
    COMPUTED = "computed", _("申請内容による")


class Status(models.TextChoices):
    """A submission's state in the back office (受付 → 審査中 → 補正依頼 → 承認 / 却下 → 完了)."""

    RECEIVED = "received", _("受付")
    REVIEWING = "reviewing", _("審査中")
    CORRECTION = "correction", _("補正依頼")
    APPROVED = "approved", _("承認")
    REJECTED = "rejected", _("却下")
    COMPLETED = "completed", _("完了")


CLOSED_STATUSES = (Status.REJECTED, Status.COMPLETED)


class Procedure(models.Model):
    """A procedure residents can file online (手続き), e.g. 児童手当の認定請求."""

    code = models.SlugField(_("コード"), max_length=60, unique=True)
    title = models.CharField(_("名称"), max_length=200)
    title_en = models.CharField(_("名称（英語）"), max_length=200, blank=True)
    summary = models.CharField(_("概要"), max_length=300, blank=True)
    summary_en = models.CharField(_("概要（英語）"), max_length=300, blank=True)
    # Who may apply and when (対象となる人), in plain words.
    eligibility = models.TextField(_("対象となる人"), blank=True)
    eligibility_en = models.TextField(_("対象となる人（英語）"), blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("担当課")
    )
    category = models.CharField(_("分野"), max_length=20, choices=Category.choices)
    life_events = models.JSONField(_("ライフイベント"), default=list, blank=True)
    # ApplicantKind values allowed for this procedure.
    applicant_kinds = models.JSONField(_("申請できる人"), default=list)
    # Documents to attach, one per line (必要な書類); the form's file fields take them.
    required_documents = models.TextField(_("必要な書類"), blank=True)
    required_documents_en = models.TextField(_("必要な書類（英語）"), blank=True)
    fee_kind = models.CharField(
        _("手数料"), max_length=10, choices=FeeKind.choices, default=FeeKind.NONE
    )
    fee_amount = models.PositiveIntegerField(_("手数料（円）"), null=True, blank=True)
    identity_check = models.BooleanField(_("本人確認が必要"), default=False)
    target_days = models.PositiveSmallIntegerField(_("処理の目標日数"), null=True, blank=True)
    # The statuses this procedure uses, in order (a subset of Status; 受付 always first).
    statuses = models.JSONField(_("使う状態"), default=list)
    keywords = models.CharField(_("検索用の言葉"), max_length=300, blank=True)
    is_published = models.BooleanField(_("公開する"), default=False)
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)
    created_at = models.DateTimeField(_("作成日時"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("手続き")
        verbose_name_plural = _("手続き")

    def __str__(self) -> str:
        return self.title

    def current_version(self) -> FormVersion | None:
        """The published form residents fill in now."""
        return self.versions.filter(published_at__isnull=False).order_by("-number").first()


class FormVersion(models.Model):
    """One version of a procedure's form (様式の版). Published versions never change: a submission
    refers to the one it was made with."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版"))
    definition = models.JSONField(_("様式の定義"))
    note = models.CharField(_("変更の内容"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("作成日時"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("公開日時"), null=True, blank=True)

    class Meta:
        ordering = ["procedure", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "number"], name="procedures_version_number"
            )
        ]
        verbose_name = _("様式の版")
        verbose_name_plural = _("様式の版")

    def __str__(self) -> str:
        return f"{self.procedure} v{self.number}"


class Draft(models.Model):
    """A form a resident started and saved to finish later (下書き); one per resident and
    procedure. Answers are kept as typed, valid or not."""

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="procedure_drafts"
    )
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="drafts")
    form_version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="+")
    applicant_kind = models.CharField(
        max_length=10, choices=ApplicantKind.choices, default=ApplicantKind.SELF
    )
    household_member = models.ForeignKey(
        HouseholdMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answers = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["applicant", "procedure"], name="procedures_one_draft")
        ]
        verbose_name = _("下書き")
        verbose_name_plural = _("下書き")

    def __str__(self) -> str:
        return f"{self.procedure} ({self.applicant_id})"


class Submission(models.Model):
    """A filed application (申請). `answers` and `digest` never change after filing."""

    class Source(models.TextChoices):
        WEB = "web", _("ウェブ")
        MYNAPORTAL = "mynaportal", _("マイナポータル（ぴったりサービス）")
        COUNTER = "counter", _("窓口")

    receipt_number = models.CharField(_("受付番号"), max_length=20, unique=True)
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="submissions")
    form_version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="+")
    # The account that filed it; kept empty for filings from マイナポータル or after the account
    # was deleted (the application itself is an official record the town keeps).
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="procedure_submissions",
    )
    applicant_kind = models.CharField(
        _("申請者の区分"), max_length=10, choices=ApplicantKind.choices
    )
    applicant_name = models.CharField(_("申請者の氏名"), max_length=100)
    # For whom (対象者): the applicant, a household member, or the person an agent acts for.
    subject_name = models.CharField(_("対象者の氏名"), max_length=100)
    household_member = models.ForeignKey(
        HouseholdMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # An agent's (代理人) relationship to the person they act for, as they gave it.
    agent_relationship = models.CharField(_("代理人とご本人の関係"), max_length=50, blank=True)
    answers = models.JSONField(_("申請内容"))
    digest = models.CharField(_("申請内容のSHA-256"), max_length=64)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("担当課")
    )
    status = models.CharField(
        _("状態"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("担当者"),
    )
    fee_amount = models.PositiveIntegerField(_("手数料（円）"), null=True, blank=True)
    payment = models.CharField(
        _("支払い"), max_length=12, choices=PaymentState.choices, default=PaymentState.NONE
    )
    source = models.CharField(_("受付経路"), max_length=12, choices=Source.choices)
    # The application's number where it came from (マイナポータル's 申請番号).
    external_reference = models.CharField(_("外部の申請番号"), max_length=100, blank=True)
    # How the applicant's identity was confirmed ("" = not; "jpki" when a My Number card
    # signature is plugged in, see docs/modules/procedures.md).
    identity_method = models.CharField(_("本人確認の方法"), max_length=20, blank=True)
    pdf = models.FileField(
        _("控え（PDF）"), upload_to="procedures/receipts/", storage=private_storage, blank=True
    )
    submitted_at = models.DateTimeField(_("申請日時"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("更新日時"), default=timezone.now)
    closed_at = models.DateTimeField(_("完了日時"), null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["department", "status", "-submitted_at"]),
            models.Index(fields=["procedure", "status", "-submitted_at"]),
            models.Index(fields=["assignee", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_reference"],
                condition=~models.Q(external_reference=""),
                name="procedures_external_reference",
            )
        ]
        verbose_name = _("申請")
        verbose_name_plural = _("申請")

    def __str__(self) -> str:
        return f"{self.receipt_number} {self.procedure}"

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES


def attachment_path(attachment: Attachment, filename: str) -> str:
    return f"procedures/attachments/{attachment.sha256[:2]}/{attachment.sha256}"


class Attachment(models.Model):
    """A file attached to a form's file field (添付書類): first to a draft, then to the
    submission. Never public; served only to the applicant and the department's staff."""

    draft = models.ForeignKey(
        Draft, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    field_key = models.CharField(max_length=200)
    original_name = models.CharField(_("ファイル名"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=attachment_path, storage=private_storage, max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("添付書類")
        verbose_name_plural = _("添付書類")

    def __str__(self) -> str:
        return self.original_name


class Amendment(models.Model):
    """A change to a filed application's content (補正・訂正): the applicant answering a 補正依頼,
    or a clerk correcting an obvious error. The submission's own answers stay as filed."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="amendments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    by_staff = models.BooleanField(default=False)
    # {field path: {"old": …, "new": …}}
    changes = models.JSONField()
    reason = models.TextField(_("理由"), blank=True)
    # The digest of the whole content after this amendment.
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["submission", "created_at", "pk"]
        verbose_name = _("補正・訂正")
        verbose_name_plural = _("補正・訂正")

    def __str__(self) -> str:
        return f"{self.submission_id}: {', '.join(self.changes)}"


class Event(models.Model):
    """A step in a submission's history (経過): a status change, a message to or from the
    applicant, an internal note, an assignment, an amendment."""

    class Kind(models.TextChoices):
        STATUS = "status", _("状態の変更")
        TO_APPLICANT = "to_applicant", _("申請者へのお知らせ")
        FROM_APPLICANT = "from_applicant", _("申請者からの連絡")
        NOTE = "note", _("内部メモ")
        ASSIGNED = "assigned", _("担当者の変更")
        AMENDED = "amended", _("補正・訂正")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    text = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    amendment = models.ForeignKey(
        Amendment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # On a 補正依頼 (status → correction): the answers the clerk asks to change, as field paths
    # ("section.field", or "section.group" for a whole repeated group); the applicant may change
    # only these.
    requested_fields = models.JSONField(_("補正を求める項目"), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["submission", "created_at", "pk"]
        indexes = [models.Index(fields=["submission", "created_at"])]
        verbose_name = _("申請の経過")
        verbose_name_plural = _("申請の経過")

    def __str__(self) -> str:
        return f"{self.submission_id}: {self.kind}"

    @property
    def applicant_sees(self) -> bool:
        return self.kind != self.Kind.NOTE and self.kind != self.Kind.ASSIGNED


class ReceiptCounter(models.Model):
    """The last receipt number given in a year (受付番号 2026-000123), taken under a row lock so
    two submissions at the same moment never share one."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"
