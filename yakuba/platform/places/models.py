"""Places: one registry of the town's places (facilities, shelters, AEDs…) and its districts."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from yakuba.platform.places.boundaries import validate_boundary


class District(models.Model):
    """An administrative district (行政区) with its boundary as a GeoJSON Polygon/MultiPolygon."""

    code = models.CharField(_("コード"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    name_kana = models.CharField(_("名称（かな）"), max_length=100, blank=True)
    name_en = models.CharField(_("名称（英語）"), max_length=100, blank=True)
    boundary = models.JSONField(
        _("区域（GeoJSON）"), null=True, blank=True, validators=[validate_boundary]
    )
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)
    # The district lookup's cache compares (count, latest updated_at) to notice any change.
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("行政区")
        verbose_name_plural = _("行政区")

    def __str__(self) -> str:
        return self.name

    @property
    def localized_name(self) -> str:
        """The English name on English pages when there is one; the Japanese name otherwise."""
        return localized(self.name, self.name_en)


def localized(name: str, name_en: str) -> str:
    language = translation.get_language() or ""
    return name_en if name_en and language.startswith("en") else name


# Open data IDs are 半角英数字 (自治体標準オープンデータセット, 共通ルール); "-", "_" and "." keep them readable.
place_code_validator = RegexValidator(
    r"^[0-9A-Za-z][0-9A-Za-z_.\-]*$", _("IDは半角英数字と「-」「_」「.」で入力してください。")
)

# The place pages live at /places/<ID>/, beside these fixed addresses.
RESERVED_PLACE_CODES = frozenset({"staff", "geojson", "districts.geojson"})


def validate_place_code_is_free(value: str) -> None:
    if value.lower() in RESERVED_PLACE_CODES:
        raise ValidationError(
            _("「%(code)s」はIDに使えません。別のIDにしてください。"), params={"code": value}
        )


class PlaceKind(models.TextChoices):
    """What a place is (種別); each kind is one layer on the map."""

    FACILITY = "facility", _("公共施設")
    SHELTER = "shelter", _("避難所")
    EVACUATION_SITE = "evacuation_site", _("指定緊急避難場所")
    AED = "aed", _("AED設置箇所")
    SCHOOL = "school", _("学校")
    NURSERY = "nursery", _("保育所・子育て施設")
    MEDICAL = "medical", _("医療機関")
    BUS_STOP = "bus_stop", _("バス停")
    PARK = "park", _("公園")
    TOILET = "toilet", _("公衆トイレ")


class Place(models.Model):
    """A place in the town (場所): what it is, where, when open, how accessible, whom to call."""

    kind = models.CharField(_("種別"), max_length=20, choices=PlaceKind.choices, db_index=True)
    code = models.CharField(
        _("ID"),
        max_length=40,
        unique=True,
        validators=[place_code_validator, validate_place_code_is_free],
        help_text=_("オープンデータで使う、場所ごとの識別子（半角英数字）"),
    )
    name = models.CharField(_("名称"), max_length=100)
    name_kana = models.CharField(_("名称（かな）"), max_length=200, blank=True)
    name_en = models.CharField(_("名称（英語）"), max_length=200, blank=True)
    postal_code = models.CharField(_("郵便番号"), max_length=8, blank=True)
    address = models.CharField(_("住所"), max_length=200, blank=True)
    latitude = models.FloatField(
        _("緯度"), validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("経度"), validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    district = models.ForeignKey(
        District,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="places",
        verbose_name=_("行政区"),
    )
    opening_hours = models.CharField(_("開館時間"), max_length=200, blank=True)
    wheelchair_accessible = models.BooleanField(_("車いすで利用できる"), default=False)
    accessible_toilet = models.BooleanField(_("多機能トイレあり"), default=False)
    accessibility_notes = models.CharField(_("バリアフリー情報"), max_length=300, blank=True)
    capacity = models.PositiveIntegerField(_("収容人数"), null=True, blank=True)
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    url = models.URLField(_("URL"), blank=True)
    notes = models.TextField(_("備考"), blank=True)
    is_public = models.BooleanField(_("公開する"), default=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        ordering = ["kind", "name_kana", "name"]
        verbose_name = _("場所")
        verbose_name_plural = _("場所")

    def __str__(self) -> str:
        return self.name

    @property
    def localized_name(self) -> str:
        """The English name on English pages when there is one; the Japanese name otherwise."""
        return localized(self.name, self.name_en)
