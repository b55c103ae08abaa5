"""Accounts: residents (町民) and staff (職員), their profiles, households and departments."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from yakuba.platform.places.models import District

kana_validator = RegexValidator(
    r"^[\u3041-\u309F\u30A0-\u30FF\u3000 ー・]+$", _("ひらがなまたはカタカナで入力してください。")
)
postal_code_validator = RegexValidator(r"^\d{3}-?\d{4}$", _("郵便番号は7桁で入力してください。"))


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in: a resident, a staff member, or both. Signs in with an email address."""

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField(_("メールアドレス"), unique=True)
    is_demo = models.BooleanField(_("デモデータ"), default=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()  # type: ignore[assignment,misc]

    class Meta:
        verbose_name = _("利用者")
        verbose_name_plural = _("利用者")

    def __str__(self) -> str:
        return self.email

    @property
    def reader_preferences(self) -> dict[str, Any]:
        """Saved display choices, used when the browser has no preference cookie yet."""
        profile = getattr(self, "resident_profile", None)
        if profile is None:
            return {}
        return {"text_size": profile.text_size, "furigana": profile.furigana}


class Department(models.Model):
    """A department of the town office (課), e.g. 町民生活課."""

    code = models.SlugField(_("コード"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    name_en = models.CharField(_("名称（英語）"), max_length=100, blank=True)
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("課")
        verbose_name_plural = _("課")

    def __str__(self) -> str:
        return self.name


class StaffMember(models.Model):
    """A staff member (職員): belongs to one department; roles are the user's groups."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="staff_member")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="staff")
    display_name = models.CharField(_("氏名"), max_length=100)
    title = models.CharField(_("役職"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("職員")
        verbose_name_plural = _("職員")

    def __str__(self) -> str:
        return f"{self.display_name}（{self.department}）"


class Language(models.TextChoices):
    """Languages a resident can ask for. Each is named in itself, as language pickers do, so
    the names are not translated (only やさしい日本語 is explained to readers of English)."""

    JAPANESE = "ja", "日本語"
    SIMPLE_JAPANESE = "ja-easy", _("やさしい日本語")
    ENGLISH = "en", "English"
    VIETNAMESE = "vi", "Tiếng Việt"
    CHINESE = "zh-hans", "中文"
    KOREAN = "ko", "한국어"


class TextSize(models.TextChoices):
    STANDARD = "standard", _("標準")
    LARGE = "large", _("大きい")
    EXTRA_LARGE = "x-large", _("とても大きい")


class Sex(models.TextChoices):
    """Sex (性別) as the town's population statistics count it. Optional everywhere: a blank value
    means the person chose not to say (回答しない), and they are then counted in totals only."""

    MALE = "male", _("男性")
    FEMALE = "female", _("女性")


SEX_HELP_TEXT = _(
    "町の統計（地域・年齢別人口）にだけ使います。統計は人数の集計で、"
    "一人ひとりが分かる形では公表しません。答えたくなければ「回答しない」のままで結構です。"
)


def sex_field() -> models.CharField:
    """The optional 性別 of a resident or a household member."""
    return models.CharField(
        _("性別"), max_length=6, choices=Sex.choices, blank=True, help_text=SEX_HELP_TEXT
    )


class ResidentProfile(models.Model):
    """A resident's profile (町民情報), entered once and used to pre-fill every form."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="resident_profile")
    family_name = models.CharField(_("氏"), max_length=50, blank=True)
    given_name = models.CharField(_("名"), max_length=50, blank=True)
    family_name_kana = models.CharField(
        _("氏（かな）"), max_length=100, blank=True, validators=[kana_validator]
    )
    given_name_kana = models.CharField(
        _("名（かな）"), max_length=100, blank=True, validators=[kana_validator]
    )
    birth_date = models.DateField(_("生年月日"), null=True, blank=True)
    sex = sex_field()
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    postal_code = models.CharField(
        _("郵便番号"), max_length=8, blank=True, validators=[postal_code_validator]
    )
    address = models.CharField(_("住所"), max_length=200, blank=True)
    district = models.ForeignKey(
        District,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="residents",
        verbose_name=_("行政区"),
    )
    preferred_language = models.CharField(
        _("希望する言語"), max_length=10, choices=Language.choices, default=Language.JAPANESE
    )
    text_size = models.CharField(
        _("文字の大きさ"), max_length=10, choices=TextSize.choices, default=TextSize.STANDARD
    )
    furigana = models.BooleanField(_("ふりがなを表示する"), default=False)
    simple_japanese = models.BooleanField(_("やさしい日本語で受け取る"), default=False)
    notification_channels = models.JSONField(_("通知の受け取り方法"), default=list, blank=True)
    topics = models.JSONField(_("関心のある分野"), default=list, blank=True)
    # 避難行動要支援者 (災害対策基本法 49条の10): decided by the town, never by the resident.
    needs_evacuation_assistance = models.BooleanField(
        _("避難行動要支援者"),
        default=False,
        help_text=_("職員が設定します。"),
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("町民情報")
        verbose_name_plural = _("町民情報")

    def __str__(self) -> str:
        return self.full_name or self.user.email

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_name}".strip()

    @property
    def full_name_kana(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana}".strip()

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        birthday_passed = (day.month, day.day) >= (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - (0 if birthday_passed else 1)


class Relationship(models.TextChoices):
    SPOUSE = "spouse", _("配偶者")
    CHILD = "child", _("子")
    PARENT = "parent", _("父母")
    GRANDPARENT = "grandparent", _("祖父母")
    GRANDCHILD = "grandchild", _("孫")
    SIBLING = "sibling", _("兄弟姉妹")
    OTHER = "other", _("その他")


class HouseholdMember(models.Model):
    """A member of the resident's household (世帯員): children, elderly parents…"""

    profile = models.ForeignKey(
        ResidentProfile, on_delete=models.CASCADE, related_name="household_members"
    )
    name = models.CharField(_("氏名"), max_length=100)
    name_kana = models.CharField(
        _("氏名（かな）"), max_length=100, blank=True, validators=[kana_validator]
    )
    relationship = models.CharField(_("続柄"), max_length=20, choices=Relationship.choices)
    birth_date = models.DateField(_("生年月日"))
    sex = sex_field()

    class Meta:
        ordering = ["birth_date", "pk"]
        verbose_name = _("世帯員")
        verbose_name_plural = _("世帯員")

    def __str__(self) -> str:
        return f"{self.name}（{self.get_relationship_display()}）"


class NotificationChannel(models.TextChoices):
    """Ways a resident can receive notices (通知の受け取り方法). In-app notices always arrive."""

    IN_APP = "in_app", _("マイページ（アプリ内）")
    EMAIL = "email", _("メール")
    WEB_PUSH = "web_push", _("ブラウザのプッシュ通知")
    LINE = "line", _("LINE")
    SMS = "sms", _("SMS（ショートメッセージ）")


class Topic(models.TextChoices):
    """Fields of interest (関心のある分野) that decide which notices and bulletin pages reach a reader."""

    DISASTER = "disaster", _("防災")
    CHILDCARE = "childcare", _("子育て")
    HEALTH_WELFARE = "health_welfare", _("健康・福祉")
    TAX_INSURANCE = "tax_insurance", _("税・保険")
    WASTE_ENVIRONMENT = "waste_environment", _("ごみ・環境")
    EVENTS = "events", _("イベント")
    TRANSPORT = "transport", _("交通")
    EDUCATION_CULTURE = "education_culture", _("教育・文化")
    WORK_BUSINESS = "work_business", _("しごと・産業")
