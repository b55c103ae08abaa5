"""The municipality the platform serves: data an administrator edits, never code."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


def local_government_code_check_digit(first_five: str) -> int:
    """The check digit of a 全国地方公共団体コード (JIS X 0402 style, modulus 11, weights 6..2)."""
    total = sum(
        int(digit) * weight for digit, weight in zip(first_five, (6, 5, 4, 3, 2), strict=True)
    )
    return (11 - total % 11) % 10


def validate_local_government_code(value: str) -> None:
    if len(value) != 6 or not value.isdigit():
        raise ValidationError(_("全国地方公共団体コードは6桁の数字で入力してください。"))
    if local_government_code_check_digit(value[:5]) != int(value[5]):
        raise ValidationError(_("全国地方公共団体コードの検査数字が正しくありません。"))


class Municipality(models.Model):
    """The town (自治体) this installation serves. There is one row; the demo loads 亘理町."""

    name = models.CharField(_("名称"), max_length=50)
    name_kana = models.CharField(_("名称（かな）"), max_length=100, blank=True)
    name_en = models.CharField(_("名称（英語）"), max_length=100, blank=True)
    code = models.CharField(
        _("全国地方公共団体コード"),
        max_length=6,
        validators=[validate_local_government_code],
        help_text=_("6桁（検査数字を含む）。例: 043231"),
    )
    prefecture = models.CharField(_("都道府県"), max_length=10)
    prefecture_en = models.CharField(_("都道府県（英語）"), max_length=50, blank=True)
    postal_code = models.CharField(
        _("郵便番号"),
        max_length=8,
        blank=True,
        validators=[RegexValidator(r"^\d{3}-?\d{4}$", _("郵便番号は7桁で入力してください。"))],
    )
    address = models.CharField(_("所在地"), max_length=200, blank=True)
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    email = models.EmailField(_("メールアドレス"), blank=True)
    opening_hours = models.CharField(_("開庁時間"), max_length=200, blank=True)
    website = models.URLField(_("ウェブサイト"), blank=True)
    logo = models.ImageField(_("ロゴ"), upload_to="municipality/", blank=True)
    map_center_latitude = models.FloatField(
        _("地図の中心（緯度）"), validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    map_center_longitude = models.FloatField(
        _("地図の中心（経度）"), validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    map_zoom = models.PositiveSmallIntegerField(
        _("地図の縮尺"), default=13, validators=[MinValueValidator(1), MaxValueValidator(19)]
    )
    is_demo = models.BooleanField(
        _("デモデータ"),
        default=False,
        help_text=_("架空のデモデータであることを画面に表示します。"),
    )

    class Meta:
        verbose_name = _("自治体")
        verbose_name_plural = _("自治体")

    def __str__(self) -> str:
        return f"{self.prefecture}{self.name}"

    def localized_name(self, language: str) -> str:
        """The town's name for a reader of `language`: the English name for English readers."""
        if language == "en" and self.name_en:
            return self.name_en
        return self.name

    @classmethod
    def current(cls) -> "Municipality | None":
        """The configured municipality, or None before an administrator (or the demo) sets one."""
        return cls.objects.order_by("pk").first()


class JobRetry(models.Model):
    """One retry of a background job that failed: which result it retried and as which attempt.

    django-tasks records each run as its own result; this row links a re-enqueued result to the one
    whose failure caused it, so staff can follow a job through its attempts.
    """

    result_id = models.CharField(_("ジョブID"), max_length=64, unique=True)
    previous_result_id = models.CharField(_("失敗したジョブID"), max_length=64, unique=True)
    first_result_id = models.CharField(_("最初のジョブID"), max_length=64, db_index=True)
    attempt = models.PositiveSmallIntegerField(_("試行回数"))
    run_after = models.DateTimeField(_("再実行予定"))
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("ジョブの再試行")
        verbose_name_plural = _("ジョブの再試行")

    def __str__(self) -> str:
        return f"{self.first_result_id} #{self.attempt}"
