"""Background jobs: django-tasks on the database queue, with retries and backoff.

django-tasks runs a job once and records a failure. Jobs in Yakuba must not be lost to a passing
fault (an SMTP server that is down for a minute), so a failed job is enqueued again after an
exponential backoff until `JOB_MAX_ATTEMPTS` is reached. Jobs must therefore be idempotent.
A job that should not be retried raises `PermanentJobError`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks import TaskResult, TaskResultStatus
from django_tasks.signals import task_finished
from django_tasks_db.models import DBTaskResult, get_date_max

from yakuba.core.models import JobRetry

logger = logging.getLogger(__name__)


class PermanentJobError(Exception):
    """Raised by a job whose failure another attempt cannot fix (bad input, deleted record)."""


def retry_delay(attempt: int) -> timedelta:
    """The wait before attempt `attempt + 1`: base, 2×base, 4×base … capped at one hour."""
    seconds = settings.JOB_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    return timedelta(seconds=min(seconds, 3600))


def attempt_of(result_id: str) -> int:
    retry = JobRetry.objects.filter(result_id=result_id).only("attempt").first()
    return retry.attempt if retry else 1


def retry_failed_job(task_result: TaskResult[Any]) -> TaskResult[Any] | None:
    """Enqueue a failed job again after its backoff; None when it has used all its attempts."""
    if task_result.status != TaskResultStatus.FAILED:
        return None
    if any(
        error.exception_class_path.endswith("PermanentJobError") for error in task_result.errors
    ):
        return None
    if not task_result.task.get_backend().supports_defer:
        # A backend that runs jobs at once (tests) cannot wait for a backoff.
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


class WorkerVanished(Exception):
    """Recorded as the error of a job whose worker died (killed, machine lost) while running it."""


def recover_abandoned_jobs(*, running_longer_than: timedelta) -> int:
    """Fail and retry jobs left RUNNING by a worker that died; return how many.

    django-tasks-db has no lease or heartbeat: a worker killed mid-job leaves its row RUNNING for ever
    and the job would be lost. A job running longer than any job should is taken as abandoned: it is
    marked failed (`WorkerVanished`) and goes through the normal retry path. Run at worker start and
    from cron (`manage.py recover_jobs`); choose the limit above the slowest job's run time.
    """
    cutoff = timezone.now() - running_longer_than
    recovered = 0
    for job_id in (
        DBTaskResult.objects.running().filter(started_at__lt=cutoff).values_list("id", flat=True)
    ):
        with transaction.atomic():
            job = DBTaskResult.objects.select_for_update().filter(id=job_id).first()
            if job is None or job.status != TaskResultStatus.RUNNING:
                continue  # finished (or recovered by another process) since the list was read
            job.set_failed(WorkerVanished(f"worker {job.worker_ids[-1:]} stopped while running"))
            retry_failed_job(job.task_result)
        recovered += 1
    return recovered


# --- The staff page (バックグラウンド処理): reads of the job queue and of the retry chains. ---

STATUS_LABELS: dict[str, Any] = {
    TaskResultStatus.READY: _("待機中"),
    TaskResultStatus.RUNNING: _("実行中"),
    TaskResultStatus.FAILED: _("失敗"),
    TaskResultStatus.SUCCESSFUL: _("完了"),
}


class JobFilterForm(forms.Form):
    """The jobs page's filter: one status, or every job."""

    status = forms.ChoiceField(
        label=_("状態"),
        required=False,
        choices=[("", _("すべて")), *STATUS_LABELS.items()],
        error_messages={"invalid_choice": _("一覧にある状態を選んでください。")},
    )


@dataclass(frozen=True)
class Attempt:
    """One run of a job in its retry chain."""

    number: int
    result_id: str
    status: str

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))


@dataclass(frozen=True)
class JobView:
    """A queued job as staff see it: the result, which attempt it is, and what came of it."""

    result: DBTaskResult
    attempt: int
    chain: list[Attempt]
    # When this failed run was enqueued again: the retry's id and when it is due.
    retried_as: JobRetry | None
    # When a waiting run will start (retries wait for their backoff); None when due at once.
    run_after: datetime | None

    @property
    def status_label(self) -> str:
        status = self.result.status
        return str(STATUS_LABELS.get(status, status))

    @property
    def is_failed(self) -> bool:
        return self.result.status == TaskResultStatus.FAILED

    @property
    def gave_up(self) -> bool:
        """Failed for good: no retry was enqueued (attempts used up, or a PermanentJobError)."""
        return self.is_failed and self.retried_as is None


def recent_jobs(*, status: str = "") -> QuerySet[DBTaskResult]:
    """Jobs newest first, optionally of one status. The page shows what the queue holds."""
    results = DBTaskResult.objects.order_by("-enqueued_at", "-pk")
    if status:
        results = results.filter(status=status)
    return results


def describe_jobs(results: list[DBTaskResult]) -> list[JobView]:
    """Attach attempt numbers and retry chains to a page of results, in four queries in all."""
    ids = [str(result.id) for result in results]
    retries_of = {r.result_id: r for r in JobRetry.objects.filter(result_id__in=ids)}
    retried_as = {
        r.previous_result_id: r for r in JobRetry.objects.filter(previous_result_id__in=ids)
    }
    first_ids = {retries_of[i].first_result_id if i in retries_of else i for i in ids}
    chains: dict[str, list[JobRetry]] = {first: [] for first in first_ids}
    for retry in JobRetry.objects.filter(first_result_id__in=first_ids).order_by("attempt"):
        chains[retry.first_result_id].append(retry)
    chain_ids = first_ids | {retry.result_id for chain in chains.values() for retry in chain}
    statuses = {
        str(pk): status
        for pk, status in DBTaskResult.objects.filter(pk__in=chain_ids).values_list("pk", "status")
    }
    never = get_date_max()
    views = []
    for result, result_id in zip(results, ids, strict=True):
        own = retries_of.get(result_id)
        first = own.first_result_id if own else result_id
        chain = [Attempt(1, first, statuses.get(first, ""))] + [
            Attempt(retry.attempt, retry.result_id, statuses.get(retry.result_id, ""))
            for retry in chains.get(first, [])
        ]
        waiting = result.status == TaskResultStatus.READY and result.run_after != never
        views.append(
            JobView(
                result=result,
                attempt=own.attempt if own else 1,
                chain=chain if len(chain) > 1 else [],
                retried_as=retried_as.get(result_id),
                run_after=result.run_after if waiting else None,
            )
        )
    return views
