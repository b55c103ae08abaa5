"""Notify's background jobs. Thin: they find their rows and call the engine.

Two queues: `notify-priority` (messages to named residents and every emergency; high job priority)
and `notify-bulk` (segment fan-outs and their slices). Workers take the highest job priority first,
and bulk slices are short (`sending.BATCH_SIZE` recipients), so a status message or an alert waits at
most for the slice a worker is on. A deployment may also run a worker for the priority queue alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task

from yakuba.platform.notify import delivery, sending
from yakuba.platform.notify.models import DeliveryBatch, Message, MessageStatus

PRIORITY_JOB = 50
BULK_JOB = -10


def enqueue(
    job: Task[..., Any], *args: Any, queue: str, priority: int, run_after: datetime | None
) -> None:
    """Enqueue on the given queue; a job due later is left out on a backend that cannot wait
    (the tests' immediate backend: the tests run such jobs themselves)."""
    job = job.using(queue_name=queue, priority=priority)
    if run_after is not None:
        if not job.get_backend().supports_defer:
            return
        job = job.using(run_after=run_after)
    job.enqueue(*args)


def queue_for(message: Message) -> tuple[str, int]:
    if message.is_emergency or message.rule is None:
        return sending.PRIORITY_QUEUE, PRIORITY_JOB
    return sending.BULK_QUEUE, BULK_JOB


def start(message: Message, *, run_after: datetime | None = None) -> None:
    """Start sending a message (called once its creation is committed)."""
    queue, priority = queue_for(message)
    if message.rule is not None:
        enqueue(fan_out_message, message.pk, queue=queue, priority=priority, run_after=run_after)
    else:
        enqueue_batches(message, run_after=run_after)


def enqueue_batches(message: Message, *, run_after: datetime | None = None) -> None:
    queue, priority = queue_for(message)
    batches = DeliveryBatch.objects.filter(message=message, finished_at__isnull=True)
    for batch_id in batches.values_list("pk", flat=True):
        enqueue(deliver_batch, batch_id, queue=queue, priority=priority, run_after=run_after)


@task(queue_name=sending.BULK_QUEUE)
def fan_out_message(message_id: int) -> int:
    """Create a segment message's recipients, then enqueue one job per slice."""
    message = Message.objects.get(pk=message_id)
    if message.status == MessageStatus.CANCELLED:
        return 0
    if message.status == MessageStatus.SCHEDULED:
        Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENDING)
    Message.objects.filter(pk=message.pk, started_at__isnull=True).update(started_at=timezone.now())
    count = sending.fan_out(message)
    enqueue_batches(message)
    if count == 0:
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.SENT, finished_at=timezone.now()
        )
    return count


@task(queue_name=sending.PRIORITY_QUEUE)
def deliver_batch(batch_id: int) -> None:
    """Deliver one slice; if some deliveries must wait, come back when the first is due."""
    batch = DeliveryBatch.objects.select_related("message").get(pk=batch_id)
    if batch.finished_at is not None:
        return
    message = batch.message
    if message.status == MessageStatus.SCHEDULED:
        Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENDING)
    Message.objects.filter(pk=message.pk, started_at__isnull=True).update(started_at=timezone.now())
    come_back = delivery.deliver_batch(batch)
    queue, priority = queue_for(message)
    if come_back is not None:
        enqueue(deliver_batch, batch_id, queue=queue, priority=priority, run_after=come_back)
    for due in delivery.digest_times(batch):
        enqueue(send_digests, queue=sending.BULK_QUEUE, priority=BULK_JOB, run_after=due)


@task(queue_name=sending.BULK_QUEUE)
def send_digests() -> int:
    """Send the daily digests that are due (enqueued for each digest time a slice planned)."""
    return delivery.send_digests()
