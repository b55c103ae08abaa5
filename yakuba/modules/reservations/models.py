"""Facilities and their bookings (施設予約).

A `Facility` (施設: a meeting room, a hall, a court, an appointment counter) belongs to a place and
is booked by `Unit` (区画: the whole hall, one half). Units form a tree: booking a unit takes all
of its smallest units (leaves), so the whole hall and either half can never be booked at once.

What is taken is written as `Occupancy` rows, one per leaf unit, for bookings and for closures
alike. The database refuses two overlapping rows for the same leaf (an exclusion constraint on
PostgreSQL, a trigger on SQLite: migration 0002), so no double booking can get through, whatever
the application code does.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yakuba.platform.payments.collectors import PaymentState


class Purpose(models.TextChoices):
    """What a facility is for (利用目的), used to search."""

    MEETING = "meeting", _("会議・研修")
    SPORTS = "sports", _("スポーツ")
    MUSIC = "music", _("音楽")
    CULTURE = "culture", _("文化・趣味")
    COOKING = "cooking", _("料理")
    EVENT = "event", _("催し・講演会")
    CONSULTATION = "consultation", _("相談・手続き")
    EQUIPMENT = "equipment", _("備品の貸し出し")


class FacilityKind(models.TextChoices):
    ROOM = "room", _("会議室・和室")
    HALL = "hall", _("ホール")
    GYM = "gym", _("体育館")
    COURT = "court", _("コート")
    FIELD = "field", _("グラウンド")
    EQUIPMENT = "equipment", _("備品")
    COUNTER = "counter", _("窓口（予約制）")


class BookingMode(models.TextChoices):
    SLOTS = "slots", _("時間帯ごと（午前・午後・夜間など）")
    FREE = "free", _("自由な時間（決まった分単位）")


class Facility(models.Model):
    """A bookable facility (施設).

    `fixed_slots` (mode SLOTS): `[{"code": "am", "label": "午前", "label_en": "Morning",
    "start": "09:00", "end": "12:00"}, …]`. `opening_hours` (mode FREE, and the limits of SLOTS):
    `{"mon": ["09:00", "21:00"], …, "holiday": ["09:00", "17:00"]}`; a missing day is closed
    (休館日). "holiday" is a 祝日 or a substitute holiday (jpholiday) and takes precedence over the
    weekday."""

    place = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, related_name="+", verbose_name=_("場所")
    )
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("担当課"),
    )
    code = models.SlugField(_("コード"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    name_kana = models.CharField(_("名称（かな）"), max_length=200, blank=True)
    name_en = models.CharField(_("名称（英語）"), max_length=200, blank=True)
    kind = models.CharField(_("種類"), max_length=12, choices=FacilityKind.choices)
    purposes = models.JSONField(_("利用目的"), default=list, blank=True)
    description = models.TextField(_("説明"), blank=True)
    description_en = models.TextField(_("説明（英語）"), blank=True)
    capacity = models.PositiveIntegerField(_("定員"), null=True, blank=True)
    mode = models.CharField(_("予約の単位"), max_length=8, choices=BookingMode.choices)
    step_minutes = models.PositiveSmallIntegerField(_("予約の刻み（分）"), default=30)
    min_minutes = models.PositiveSmallIntegerField(_("最短の利用時間（分）"), default=30)
    max_minutes = models.PositiveSmallIntegerField(_("最長の利用時間（分）"), default=480)
    fixed_slots = models.JSONField(_("時間帯"), default=list, blank=True)
    opening_hours = models.JSONField(_("利用できる時間"), default=dict, blank=True)
    resident_months_ahead = models.PositiveSmallIntegerField(
        _("町内の方が予約できる月数（先）"), default=3
    )
    others_months_ahead = models.PositiveSmallIntegerField(
        _("町外の方が予約できる月数（先）"), default=2
    )
    cutoff_hours = models.PositiveSmallIntegerField(
        _("予約の締め切り（利用開始の何時間前）"), default=24
    )
    max_bookings_per_month = models.PositiveSmallIntegerField(
        _("一人・一団体の月の予約の上限（0は制限なし）"), default=0
    )
    pay_days_before = models.PositiveSmallIntegerField(
        _("支払いの期限（利用日の何日前）"), default=3
    )
    is_public = models.BooleanField(_("公開する"), default=True)
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("施設")
        verbose_name_plural = _("施設")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A bookable part of a facility (区画): the whole hall, one half of it, court A.

    A unit with `parent` is part of its parent: the parent's booking takes every leaf below it."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="units")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="parts"
    )
    code = models.SlugField(_("コード"), max_length=40)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("名称（英語）"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("定員"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("表示順"), default=0)

    class Meta:
        verbose_name = _("区画")
        verbose_name_plural = _("区画")
        ordering = ["facility", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "code"], name="reservations_unit_code")
        ]

    def __str__(self) -> str:
        return f"{self.facility.name} {self.name}"


class FeeSchedule(models.Model):
    """A version of a facility's fees (料金表), for uses from `valid_from`.

    A booking keeps the schedule it was priced with and the amount it was charged; a new
    version changes nothing already booked. The rules' format is in `fees.py`."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="fee_schedules")
    version = models.PositiveIntegerField(_("版"))
    valid_from = models.DateField(_("適用開始日"))
    rules = models.JSONField(_("料金の決まり"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("料金表")
        verbose_name_plural = _("料金表")
        ordering = ["facility", "-valid_from", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "version"], name="reservations_fee_schedule_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.facility.name} v{self.version}"


class Closure(models.Model):
    """A period a facility cannot be booked (休館・点検・町の使用), set by staff."""

    class Kind(models.TextChoices):
        CLOSED = "closed", _("休館")
        MAINTENANCE = "maintenance", _("保守・点検")
        TOWN_USE = "town_use", _("町の行事で使用")

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="closures")
    kind = models.CharField(_("種類"), max_length=12, choices=Kind.choices)
    start = models.DateTimeField(_("開始"))
    end = models.DateTimeField(_("終了"))
    reason = models.CharField(_("理由"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("利用停止の期間")
        verbose_name_plural = _("利用停止の期間")
        ordering = ["start"]

    def __str__(self) -> str:
        return f"{self.facility.name} {self.start:%Y-%m-%d} {self.get_kind_display()}"


class Group(models.Model):
    """A registered group (登録団体) that books as a group; staff approve it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("審査中")
        APPROVED = "approved", _("登録済み")
        REFUSED = "refused", _("登録できません")
        SUSPENDED = "suspended", _("停止中")

    name = models.CharField(_("団体名"), max_length=100)
    name_kana = models.CharField(_("団体名（かな）"), max_length=200)
    representative = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("代表者"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("会員")
    )
    in_town = models.BooleanField(_("町内の団体"), default=True)
    activity = models.CharField(_("活動内容"), max_length=300)
    member_count = models.PositiveIntegerField(_("会員数"), default=1)
    status = models.CharField(
        _("状態"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("登録団体")
        verbose_name_plural = _("登録団体")
        ordering = ["name_kana"]

    def __str__(self) -> str:
        return self.name


class Booking(models.Model):
    """A booking (予約) of one unit for one period."""

    class Status(models.TextChoices):
        # A lottery win (当選) holds the period until the winner confirms it or the deadline passes.
        TENTATIVE = "tentative", _("当選（確定待ち）")
        CONFIRMED = "confirmed", _("予約済み")
        CANCELLED = "cancelled", _("取り消し")

    class Reduction(models.TextChoices):
        NONE = "none", _("なし")
        REQUESTED = "requested", _("申請中")
        APPROVED = "approved", _("承認")
        REFUSED = "refused", _("不承認")

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="bookings")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="bookings")
    start = models.DateTimeField(_("開始"))
    end = models.DateTimeField(_("終了"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("利用者"),
    )
    group = models.ForeignKey(
        Group,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bookings",
        verbose_name=_("団体"),
    )
    # The clerk who booked it at the counter for someone (窓口で代理予約); empty when booked online.
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    contact_name = models.CharField(_("利用者の氏名"), max_length=100)
    contact_phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    purpose = models.CharField(_("利用目的"), max_length=12, choices=Purpose.choices)
    purpose_detail = models.CharField(_("利用の内容"), max_length=200, blank=True)
    attendees = models.PositiveIntegerField(_("利用人数"))
    options = models.JSONField(_("付帯設備・利用の区分"), default=list, blank=True)
    resident_rate = models.BooleanField(_("町内料金"), default=True)
    fee_schedule = models.ForeignKey(
        FeeSchedule, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    fee_lines = models.JSONField(_("料金の内訳"), default=list, blank=True)
    fee_amount = models.PositiveIntegerField(_("使用料"), default=0)
    reduction = models.CharField(
        _("減免"), max_length=12, choices=Reduction.choices, default=Reduction.NONE
    )
    reduction_code = models.CharField(_("減免の理由"), max_length=40, blank=True)
    reduction_note = models.CharField(_("減免の説明"), max_length=300, blank=True)
    payment = models.CharField(
        _("支払い"), max_length=12, choices=PaymentState.choices, default=PaymentState.NONE
    )
    pay_by = models.DateTimeField(_("支払いの期限"), null=True, blank=True)
    status = models.CharField(
        _("状態"), max_length=12, choices=Status.choices, default=Status.CONFIRMED
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(_("取り消しの理由"), max_length=200, blank=True)
    cancellation_fee = models.PositiveIntegerField(_("取消料"), default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("予約")
        verbose_name_plural = _("予約")
        ordering = ["start"]
        indexes = [
            models.Index(fields=["user", "start"], name="reservations_booking_user"),
            models.Index(fields=["facility", "start"], name="reservations_booking_facility"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="reservations_booking_ends"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.unit} {self.start:%Y-%m-%d %H:%M}"

    @property
    def number(self) -> str:
        """予約番号, read out at the counter and on the phone."""
        return f"{self.pk:07d}"


class Occupancy(models.Model):
    """One leaf unit taken for a period, by a booking or a closure. The database refuses two
    rows of the same unit whose periods overlap (migration 0002)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, null=True, blank=True, related_name="occupancies"
    )
    closure = models.ForeignKey(
        Closure, on_delete=models.CASCADE, null=True, blank=True, related_name="occupancies"
    )

    class Meta:
        indexes = [models.Index(fields=["unit", "start"], name="reservations_occupancy_unit")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="reservations_occupancy_ends"
            ),
            models.CheckConstraint(
                condition=Q(booking__isnull=False, closure__isnull=True)
                | Q(booking__isnull=True, closure__isnull=False),
                name="reservations_occupancy_cause",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.start}–{self.end}"


class CalendarFeed(models.Model):
    """A resident's own calendar feed (カレンダー連携): their bookings as iCalendar at a secret
    address that a calendar app subscribes to. The address is the only key, so the resident can
    reset it, which cuts off every app that had the old one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("予約のカレンダー連携")
        verbose_name_plural = _("予約のカレンダー連携")

    def __str__(self) -> str:
        return f"{self.user_id}"


class LotteryRound(models.Model):
    """A lottery (抽選) for one month of use of some facilities, in the monthly cycle of Japanese
    municipal systems: applications open → close → the draw → winners confirm by a deadline →
    unconfirmed wins are released → first-come booking of what is left.

    The seed is chosen when the round is created and only its SHA-256 is shown until the draw;
    then the seed itself is published, so anyone can rerun the documented algorithm (`lottery.py`)
    and get the same result."""

    class Status(models.TextChoices):
        OPEN = "open", _("申し込み受付")
        DRAWN = "drawn", _("抽選済み（確定の受付中）")
        FINISHED = "finished", _("終了")

    title = models.CharField(_("名称"), max_length=100)
    facilities = models.ManyToManyField(Facility, related_name="lottery_rounds")
    use_month = models.DateField(_("利用月"), help_text=_("その月の1日"))
    applications_open = models.DateTimeField(_("申し込みの開始"))
    applications_close = models.DateTimeField(_("申し込みの締め切り"))
    confirm_by = models.DateTimeField(_("当選の確定の期限"))
    max_wishes = models.PositiveSmallIntegerField(_("一件の申し込みで選べる希望の数"), default=3)
    max_entries_per_group = models.PositiveSmallIntegerField(
        _("一人・一団体の申し込みの上限"), default=1
    )
    max_wins_per_slot = models.PositiveSmallIntegerField(
        _("同じ時間帯で当選できる数（一人・一団体）"), default=1
    )
    seed = models.CharField(max_length=64)
    seed_sha256 = models.CharField(max_length=64)
    status = models.CharField(_("状態"), max_length=12, choices=Status.choices, default=Status.OPEN)
    drawn_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("抽選")
        verbose_name_plural = _("抽選")
        ordering = ["-use_month", "title"]

    def __str__(self) -> str:
        return self.title


class LotteryEntry(models.Model):
    """One application to a lottery (抽選の申し込み), by a person or for a group, with ranked
    wishes."""

    round = models.ForeignKey(LotteryRound, on_delete=models.CASCADE, related_name="entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, null=True, blank=True, related_name="lottery_entries"
    )
    purpose = models.CharField(_("利用目的"), max_length=12, choices=Purpose.choices)
    purpose_detail = models.CharField(_("利用の内容"), max_length=200, blank=True)
    attendees = models.PositiveIntegerField(_("利用人数"))
    contact_name = models.CharField(_("利用者の氏名"), max_length=100)
    contact_phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("抽選の申し込み")
        verbose_name_plural = _("抽選の申し込み")
        ordering = ["round", "pk"]

    def __str__(self) -> str:
        return f"{self.round} #{self.pk}"


class LotteryWish(models.Model):
    """A wish of an entry (第N希望): one unit for one period. The draw marks it won (and makes a
    tentative booking) or lost."""

    class Result(models.TextChoices):
        PENDING = "pending", _("抽選前")
        WON = "won", _("当選")
        LOST = "lost", _("落選")

    entry = models.ForeignKey(LotteryEntry, on_delete=models.CASCADE, related_name="wishes")
    rank = models.PositiveSmallIntegerField(_("希望の順位"))
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField(_("開始"))
    end = models.DateTimeField(_("終了"))
    result = models.CharField(
        _("結果"), max_length=12, choices=Result.choices, default=Result.PENDING
    )
    booking = models.OneToOneField(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="lottery_wish"
    )

    class Meta:
        verbose_name = _("抽選の希望")
        verbose_name_plural = _("抽選の希望")
        ordering = ["entry", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "rank"], name="reservations_wish_rank")
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} #{self.rank}"


class Event(models.Model):
    """An event residents sign up for (催し・教室): a smartphone class, a health seminar, a card
    application day. It has one or more sessions, each with its capacity and waiting list."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("下書き")
        PUBLISHED = "published", _("公開中")
        CANCELLED = "cancelled", _("中止")

    department = models.ForeignKey(
        "accounts.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("担当課")
    )
    place = models.ForeignKey(
        "places.Place",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("会場"),
    )
    title = models.CharField(_("名称"), max_length=150)
    title_en = models.CharField(_("名称（英語）"), max_length=200, blank=True)
    description = models.TextField(_("内容"), blank=True)
    description_en = models.TextField(_("内容（英語）"), blank=True)
    max_seats_per_ticket = models.PositiveSmallIntegerField(
        _("一回の申し込みの人数の上限"), default=1
    )
    registration_opens = models.DateTimeField(_("申し込みの開始"), null=True, blank=True)
    registration_closes = models.DateTimeField(_("申し込みの締め切り"), null=True, blank=True)
    status = models.CharField(
        _("状態"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("催し・教室")
        verbose_name_plural = _("催し・教室")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class EventSession(models.Model):
    """One session of an event (回). `seats_taken` counts confirmed seats and only changes in
    a conditional UPDATE (`seats_taken + n <= capacity`), so the capacity holds under
    simultaneous sign-ups."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sessions")
    start = models.DateTimeField(_("開始"))
    end = models.DateTimeField(_("終了"))
    capacity = models.PositiveIntegerField(_("定員"))
    seats_taken = models.PositiveIntegerField(default=0)
    waitlist_limit = models.PositiveIntegerField(
        _("キャンセル待ちの上限（0は受け付けない）"), default=0
    )

    class Meta:
        verbose_name = _("回")
        verbose_name_plural = _("回")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(seats_taken__lte=models.F("capacity")),
                name="reservations_session_capacity",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event.title} {self.start:%Y-%m-%d %H:%M}"


class Ticket(models.Model):
    """A sign-up for a session (参加申し込み): confirmed with a QR code to show at the door, or
    waiting (キャンセル待ち) in the order of sign-up until a seat is freed."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("参加確定")
        WAITING = "waiting", _("キャンセル待ち")
        CANCELLED = "cancelled", _("取り消し")

    session = models.ForeignKey(EventSession, on_delete=models.PROTECT, related_name="tickets")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("氏名"), max_length=100)
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    seats = models.PositiveSmallIntegerField(_("人数"), default=1)
    status = models.CharField(_("状態"), max_length=12, choices=Status.choices)
    # The secret the QR code carries; staff scan it at the door.
    token = models.CharField(max_length=64, unique=True)
    checked_in_at = models.DateTimeField(_("受付の日時"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("参加券")
        verbose_name_plural = _("参加券")
        ordering = ["session", "created_at", "pk"]
        indexes = [
            models.Index(
                fields=["session", "status", "created_at"], name="reservations_ticket_queue"
            )
        ]

    def __str__(self) -> str:
        return f"{self.session} {self.name}"
