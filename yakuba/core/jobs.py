"""Background jobs: django-tasks on the database queue, with retries and backoff.

django-tasks runs a job once and records a failure. Jobs in Yakuba must not be lost to a passing
fault (an SMTP server that is down for a minute), so a failed job is enqueued again after an
exponential backoff until `JOB_MAX_ATTEMPTS` is reached. Jobs must therefore be idempotent.
A job that should not be retried raises `PermanentJobError`.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResult, TaskResultStatus
from django_tasks.signals import task_finished

logger = logging.getLogger(__name__)


class PermanentJobError(Exception):
    """Raised by a job whose failure another attempt cannot fix (bad input, deleted record)."""


def retry_delay(attempt: int) -> timedelta:
    """The wait before attempt `attempt + 1`: base, 2×base, 4×base … capped at one hour."""
    seconds = settings.JOB_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    return timedelta(seconds=min(seconds, 3600))


def attempt_of(result_id: str) -> int:
    from yakuba.core.models import JobRetry

    retry = JobRetry.objects.filter(result_id=result_id).only("attempt").first()
    return retry.attempt if retry else 1


def retry_failed_job(task_result: TaskResult[Any]) -> TaskResult[Any] | None:
    """Enqueue a failed job again after its backoff; None when it has used all its attempts."""
    from yakuba.core.models import JobRetry

    if task_result.status != TaskResultStatus.FAILED:
        return None
    if any(
        error.exception_class_path.endswith("PermanentJobError") for error in task_result.errors
    ):
        return None
    attempt = attempt_of(task_result.id)
    if attempt >= settings.JOB_MAX_ATTEMPTS:
        logger.error("Job %s gave up after %d attempts", task_result.id, attempt)
        return None
    first = JobRetry.objects.filter(result_id=task_result.id).first()
    run_after = timezone.now() + retry_delay(attempt)
    with transaction.atomic():
        # unique(previous_result_id) makes a duplicate signal a no-op instead of a second retry.
        if JobRetry.objects.filter(previous_result_id=task_result.id).exists():
            return None
        retried = task_result.task.using(run_after=run_after).enqueue(
            *task_result.args, **task_result.kwargs
        )
        JobRetry.objects.create(
            result_id=retried.id,
            previous_result_id=task_result.id,
            first_result_id=first.first_result_id if first else task_result.id,
            attempt=attempt + 1,
            run_after=run_after,
        )
    return retried


def on_task_finished(sender: type, task_result: TaskResult[Any], **kwargs: Any) -> None:
    retry_failed_job(task_result)


def connect_retry() -> None:
    task_finished.connect(on_task_finished, dispatch_uid="yakuba.core.jobs.retry")
