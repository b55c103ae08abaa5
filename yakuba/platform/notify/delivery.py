"""The delivery engine (配信): from inbox entries to email, Web Push, LINE and SMS.

For each slice of recipients (`DeliveryBatch`) a job plans the outside channels of each recipient
once, then sends what is due, records every answer as a delivery state, falls back to the next
channel when one fails for good, and comes back later for what must wait (quiet hours, a
temporary failure's backoff). Nothing here keeps state in memory between runs: a job can die at any
point and run again.

No copy twice: deliveries are claimed with a conditional UPDATE that stamps a lease (`not_before`
while `sending`), so two jobs never send the same delivery; a delivery left `sending` by a dead
worker is claimed again when its lease runs out. Channels commit "sent" at their point of no return
(see `channels`), so a delivery still `sending` was never accepted and is safe to send again.
"""

from __future__ import annotations

import logging
import time as clock
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation

from yakuba.platform.notify import callbacks, rendering
from yakuba.platform.notify.channels import (
    ChannelAdapter,
    Choice,
    Outgoing,
    Result,
    adapter_for,
    registered_channels,
)
from yakuba.platform.notify.models import (
    Channel,
    Delivery,
    DeliveryBatch,
    DeliveryStatus,
    Message,
    MessageStatus,
    Preferences,
    Question,
    Recipient,
)

logger = logging.getLogger(__name__)

PENDING = (DeliveryStatus.CREATED, DeliveryStatus.SENDING, DeliveryStatus.TEMPORARY_FAILURE)
GAVE_UP = (DeliveryStatus.PERMANENT_FAILURE, DeliveryStatus.TECHNICAL_FAILURE)


def lease() -> timedelta:
    return timedelta(seconds=settings.NOTIFY_SENDING_LEASE_SECONDS)


def retry_after(attempts: int) -> timedelta:
    """Backoff after a temporary failure: 1, 2, 4 … minutes, at most an hour."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


# --- Planning: which channels, and when ------------------------------------------------------------


def next_time_of_day(at: time, *, now: datetime) -> datetime:
    local = timezone.localtime(now)
    candidate = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return candidate if candidate > local else candidate + timedelta(days=1)


def quiet_until(preferences: Preferences | None, *, now: datetime) -> datetime | None:
    """When the resident's quiet hours (通知しない時間) end, if `now` falls inside them."""
    if preferences is None or preferences.quiet_from is None or preferences.quiet_until is None:
        return None
    start, end = preferences.quiet_from, preferences.quiet_until
    if start == end:
        return None
    current = timezone.localtime(now).time()
    inside = start <= current < end if start < end else (current >= start or current < end)
    return next_time_of_day(end, now=now) if inside else None


def preferences_of(user: Any) -> Preferences | None:
    try:
        return user.notify_preferences
    except Preferences.DoesNotExist:
        return None


def preferred_channels(user: Any) -> list[str]:
    """The resident's outside channels in their order of preference (the profile's list)."""
    profile = getattr(user, "resident_profile", None)
    chosen = list(profile.notification_channels) if profile is not None else []
    available = set(registered_channels())
    return [c for c in dict.fromkeys(chosen) if c != Channel.IN_APP and c in available]


def reachable(adapter: ChannelAdapter, users: list[Any]) -> set[int]:
    """Which users the channel can reach; one query per batch when the adapter supports it."""
    many = getattr(adapter, "reachable", None)
    if many is not None:
        return set(many(users))
    return {user.pk for user in users if adapter.can_reach(user)}


@dataclass
class Plan:
    """Per recipient: the outside channels to try, in order, and which to start with."""

    order: dict[int, list[str]] = field(default_factory=dict)

    def first(self, recipient_id: int, *, emergency: bool) -> list[str]:
        channels = self.order.get(recipient_id, [])
        return channels if emergency else channels[:1]

    def after(self, recipient_id: int, channel: str) -> str | None:
        channels = self.order.get(recipient_id, [])
        if channel in channels and channels.index(channel) + 1 < len(channels):
            return channels[channels.index(channel) + 1]
        return None


def plan_channels(message: Message, recipients: list[Recipient]) -> Plan:
    """Each recipient's reachable channels in preference order. An emergency with no preference
    still goes by email when the resident has a reachable address."""
    wanted = {r.pk: preferred_channels(r.user) for r in recipients}
    if message.is_emergency:
        for r in recipients:
            if not wanted[r.pk] and Channel.EMAIL in set(registered_channels()):
                wanted[r.pk] = [Channel.EMAIL]
    can: dict[str, set[int]] = {}
    for channel in {c for channels in wanted.values() for c in channels}:
        users = [r.user for r in recipients if channel in wanted[r.pk]]
        can[channel] = reachable(adapter_for(channel), users)
    return Plan({r.pk: [c for c in wanted[r.pk] if r.user_id in can[c]] for r in recipients})


def new_delivery(
    message: Message, recipient: Recipient, channel: str, *, now: datetime
) -> Delivery:
    delivery = Delivery(recipient=recipient, channel=channel)
    if not message.is_emergency:
        preferences = preferences_of(recipient.user)
        if preferences is not None and preferences.daily_digest and message.rule is not None:
            delivery.in_digest = True
            delivery.not_before = next_time_of_day(preferences.digest_time, now=now)
        else:
            delivery.not_before = quiet_until(preferences, now=now)
    return delivery


# --- Sending -----------------------------------------------------------------------------------------


class RateLimiter:
    """At most `NOTIFY_RATE_LIMITS[channel]` sends a second from this worker process."""

    def __init__(self) -> None:
        self.last: dict[str, float] = {}

    def wait(self, channel: str) -> None:
        per_second = settings.NOTIFY_RATE_LIMITS.get(channel, 0)
        if not per_second:
            return
        gap = 1.0 / per_second
        now = clock.monotonic()
        due = self.last.get(channel, 0.0) + gap
        if due > now:
            clock.sleep(due - now)
        self.last[channel] = max(due, now)


limiter = RateLimiter()


def claim(deliveries: list[Delivery], *, now: datetime) -> list[Delivery]:
    """Take the due deliveries for this job, stamping a lease; returns those it got."""
    until = now + lease()
    ids = [d.pk for d in deliveries]
    due = Q(status__in=[DeliveryStatus.CREATED, DeliveryStatus.TEMPORARY_FAILURE]) & (
        Q(not_before__isnull=True) | Q(not_before__lte=now)
    )
    abandoned = Q(status=DeliveryStatus.SENDING, not_before__lte=now)
    Delivery.objects.filter(due | abandoned, pk__in=ids).update(
        status=DeliveryStatus.SENDING, not_before=until, attempts=F("attempts") + 1
    )
    mine = set(
        Delivery.objects.filter(
            pk__in=ids, status=DeliveryStatus.SENDING, not_before=until
        ).values_list("pk", flat=True)
    )
    claimed = [d for d in deliveries if d.pk in mine]
    for d in claimed:
        d.status, d.not_before, d.attempts = DeliveryStatus.SENDING, until, d.attempts + 1
    return claimed


def outgoing_for(
    message: Message,
    recipient: Recipient,
    delivery: Delivery,
    *,
    questions: list[Question],
    committed: list[int],
) -> Outgoing:
    profile = getattr(recipient.user, "resident_profile", None)
    rendered = rendering.render(
        message.contents,
        message.context,
        language=recipient.language,
        recipient_values=rendering.recipient_values(profile),
    )
    choices: tuple[Choice, ...] = ()
    if questions and questions[0].choices:
        choices = tuple(
            Choice(c["code"], c["label"].get(recipient.language) or c["label"]["ja"])
            for c in questions[0].choices
        )

    def point_of_no_return() -> None:
        sent = timezone.now()
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.DELIVERED, sent_at=sent, completed_at=sent, not_before=None
        )
        committed.append(delivery.pk)

    return Outgoing(
        delivery_id=delivery.pk,
        recipient_id=recipient.pk,
        user=recipient.user,
        language=recipient.language,
        subject=rendered.subject,
        body=rendered.body,
        inbox_url=absolute_url(reverse("notify:inbox_detail", args=[recipient.pk])),
        link_url=message.link_url,
        is_emergency=message.is_emergency,
        choices=choices,
        question_id=questions[0].pk if choices else None,
        idempotency_key=f"notify-delivery-{delivery.pk}",
        point_of_no_return=point_of_no_return,
    )


def site_language(language: str) -> str:
    """The site language for a recipient's variant: the pages and mail frame exist in ja and en;
    readers of やさしい日本語 get the Japanese frame, readers of other languages the English one."""
    codes = {code for code, _name in settings.LANGUAGES}
    if language in codes:
        return language
    return "ja" if language.startswith("ja") else "en"


def absolute_url(path: str) -> str:
    return settings.NOTIFY_PUBLIC_BASE_URL.rstrip("/") + path


def record(delivery: Delivery, result: Result, *, committed: bool) -> None:
    """Store a channel's answer on the delivery."""
    now = timezone.now()
    delivery.status = result.status
    if result.status == DeliveryStatus.DELIVERED:
        delivery.not_before = None
        if committed and not result.provider_ref:
            return  # already stored at the point of no return
        Delivery.objects.filter(pk=delivery.pk).update(
            status=result.status,
            provider_ref=result.provider_ref[:200],
            sent_at=F("sent_at") if committed else now,
            completed_at=now,
            not_before=None,
        )
        return
    updates: dict[str, Any] = {"status": result.status, "error": result.error[:2000]}
    if result.status == DeliveryStatus.TEMPORARY_FAILURE:
        if delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            updates["not_before"] = None
            updates["completed_at"] = now
        else:
            updates["not_before"] = now + retry_after(delivery.attempts)
    else:
        updates["not_before"] = None
        updates["completed_at"] = now
    delivery.not_before = updates["not_before"]
    Delivery.objects.filter(pk=delivery.pk).update(**updates)


def send_group(
    message: Message, channel: str, deliveries: list[Delivery], recipients: dict[int, Recipient]
) -> None:
    """Send claimed deliveries of one channel, sharing one session (an SMTP connection)."""
    adapter = adapter_for(channel)
    questions = list(message.questions.all())
    try:
        with adapter.session() as sender:
            for delivery in deliveries:
                limiter.wait(channel)
                committed: list[int] = []
                recipient = recipients[delivery.recipient_id]
                try:
                    with translation.override(site_language(recipient.language)):
                        outgoing = outgoing_for(
                            message, recipient, delivery, questions=questions, committed=committed
                        )
                    result = sender.send(outgoing)
                except Exception as error:  # a channel's bug must not stop the other recipients
                    logger.exception("Channel %s failed on delivery %s", channel, delivery.pk)
                    result = Result(DeliveryStatus.TEMPORARY_FAILURE, error=repr(error))
                record(delivery, result, committed=bool(committed))
    except Exception as error:  # the session itself failed (server down): try again later
        logger.warning("Channel %s unavailable: %s", channel, error)
        for delivery in deliveries:
            if delivery.status == DeliveryStatus.SENDING:
                record(
                    delivery,
                    Result(DeliveryStatus.TEMPORARY_FAILURE, error=repr(error)),
                    committed=False,
                )
    if message.api_key_id is not None:
        callbacks.queue_status_callbacks([d.pk for d in deliveries])


def is_given_up(delivery: Delivery) -> bool:
    return delivery.status in GAVE_UP or (
        delivery.status == DeliveryStatus.TEMPORARY_FAILURE and delivery.not_before is None
    )


@contextmanager
def commits_without_waiting_for_disk() -> Iterator[None]:
    """On PostgreSQL, the slice's state commits do not wait for the disk (synchronous_commit off
    for this connection while the slice runs). They are visible at once, so a killed worker loses
    nothing; only a crash of PostgreSQL itself could forget the last fraction of a second of
    "sent" marks and send those mails again (decision 0008). It roughly halves the time per mail."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def deliver_batch(batch: DeliveryBatch) -> datetime | None:
    """Deliver one slice of a message; returns when to come back (None: the slice is done)."""
    with commits_without_waiting_for_disk():
        return _deliver_batch(batch)


def _deliver_batch(batch: DeliveryBatch) -> datetime | None:
    message = batch.message
    if message.status == MessageStatus.CANCELLED:
        DeliveryBatch.objects.filter(pk=batch.pk).update(finished_at=timezone.now())
        return None
    recipients = {
        r.pk: r
        for r in Recipient.objects.filter(
            message=message, pk__gte=batch.first_recipient_id, pk__lte=batch.last_recipient_id
        ).select_related("user__resident_profile__district", "user__notify_preferences")
    }
    deliveries = list(Delivery.objects.filter(recipient_id__in=recipients))
    planned = {d.recipient_id for d in deliveries}
    unplanned = [r for r in recipients.values() if r.pk not in planned]
    plan = plan_channels(message, list(recipients.values()))
    now = timezone.now()
    if unplanned:
        Delivery.objects.bulk_create(
            [
                new_delivery(message, r, channel, now=now)
                for r in unplanned
                for channel in plan.first(r.pk, emergency=message.is_emergency)
            ],
            ignore_conflicts=True,
        )
        deliveries = list(Delivery.objects.filter(recipient_id__in=recipients))
    handled_fallbacks: set[int] = set()
    while True:
        now = timezone.now()
        due = [
            d
            for d in deliveries
            if not d.in_digest
            and d.status in PENDING
            and (d.not_before is None or d.not_before <= now)
            and not is_given_up(d)
        ]
        claimed = claim(due, now=now) if due else []
        by_channel: dict[str, list[Delivery]] = defaultdict(list)
        for d in claimed:
            by_channel[d.channel].append(d)
        for channel, group in by_channel.items():
            send_group(message, channel, group, recipients)
        fallbacks = []
        for d in deliveries:
            if d.pk in handled_fallbacks or not is_given_up(d) or message.is_emergency:
                continue
            handled_fallbacks.add(d.pk)
            following = plan.after(d.recipient_id, d.channel)
            if following:
                fallbacks.append(
                    new_delivery(message, recipients[d.recipient_id], following, now=now)
                )
        if not fallbacks:
            break
        Delivery.objects.bulk_create(fallbacks, ignore_conflicts=True)
        deliveries = list(Delivery.objects.filter(recipient_id__in=recipients))
        handled_fallbacks |= {d.pk for d in deliveries if is_given_up(d)}
    waiting = [
        d.not_before
        for d in deliveries
        if not d.in_digest and d.status in PENDING and not is_given_up(d) and d.not_before
    ]
    if waiting:
        return min(waiting)
    finish_batch(batch)
    return None


def finish_batch(batch: DeliveryBatch) -> None:
    now = timezone.now()
    DeliveryBatch.objects.filter(pk=batch.pk, finished_at__isnull=True).update(finished_at=now)
    message = batch.message
    if not DeliveryBatch.objects.filter(message=message, finished_at__isnull=True).exists():
        Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
            status=MessageStatus.SENT, finished_at=now
        )


def digest_due(*, now: datetime) -> dict[tuple[int, str], list[Delivery]]:
    """Digest deliveries whose time has come, grouped by (user, channel)."""
    groups: dict[tuple[int, str], list[Delivery]] = defaultdict(list)
    for d in (
        Delivery.objects.filter(in_digest=True, status__in=PENDING, not_before__lte=now)
        .exclude(status=DeliveryStatus.TEMPORARY_FAILURE, not_before__isnull=True)
        .select_related("recipient__message", "recipient__user__resident_profile")
        .order_by("recipient__user_id", "channel", "pk")
    ):
        groups[(d.recipient.user_id, d.channel)].append(d)
    return groups


def send_digests(*, now: datetime | None = None) -> int:
    """Send each resident's daily digest (1日1回のまとめ): one message per channel listing the
    bulletins held back for it. Returns how many digests went out."""
    now = now or timezone.now()
    sent = 0
    for (_user_id, channel), group in digest_due(now=now).items():
        claimed = claim(group, now=now)
        if not claimed:
            continue
        first = claimed[0].recipient
        language = first.language
        with translation.override(site_language(language)):
            titles = []
            for d in claimed:
                rendered = rendering.render(
                    d.recipient.message.contents,
                    d.recipient.message.context,
                    language=d.recipient.language,
                    recipient_values=rendering.recipient_values(
                        getattr(d.recipient.user, "resident_profile", None)
                    ),
                )
                titles.append(
                    f"・{rendered.subject}\n  {absolute_url(reverse('notify:inbox_detail', args=[d.recipient_id]))}"
                )
            subject = translation.gettext("今日のお知らせ（%(count)d件）") % {"count": len(claimed)}
            body = "\n".join(titles)
        committed: list[int] = []

        def point_of_no_return(
            claimed: list[Delivery] = claimed, committed: list[int] = committed
        ) -> None:
            at = timezone.now()
            Delivery.objects.filter(pk__in=[d.pk for d in claimed]).update(
                status=DeliveryStatus.DELIVERED, sent_at=at, completed_at=at, not_before=None
            )
            committed.append(1)

        outgoing = Outgoing(
            delivery_id=claimed[0].pk,
            recipient_id=first.pk,
            user=first.user,
            language=language,
            subject=subject,
            body=body,
            inbox_url=absolute_url(reverse("notify:inbox")),
            idempotency_key=f"notify-digest-{claimed[0].pk}",
            point_of_no_return=point_of_no_return,
        )
        try:
            with adapter_for(channel).session() as sender:
                result = sender.send(outgoing)
        except Exception as error:
            logger.warning("Digest on %s failed: %s", channel, error)
            result = Result(DeliveryStatus.TEMPORARY_FAILURE, error=repr(error))
        for d in claimed:
            record(d, result, committed=bool(committed))
        sent += result.status == DeliveryStatus.DELIVERED
    return sent


def digest_times(batch: DeliveryBatch) -> list[datetime]:
    """The times this slice's held-back deliveries are due in a digest (usually one or two)."""
    times = (
        Delivery.objects.filter(
            recipient__message_id=batch.message_id,
            recipient_id__gte=batch.first_recipient_id,
            recipient_id__lte=batch.last_recipient_id,
            in_digest=True,
            status=DeliveryStatus.CREATED,
        )
        .values_list("not_before", flat=True)
        .distinct()
    )
    return [at for at in times if at is not None]
