"""Background jobs: retries with backoff through the real database worker, and the staff page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from yakuba.core.jobs import PermanentJobError, describe_jobs, retry_delay
from yakuba.core.models import JobRetry
from yakuba.core.registry import registry
from yakuba.platform.accounts.models import User

CALLS: dict[str, int] = {}


pytestmark = pytest.mark.job_queue


@task()
def send_once_the_server_is_back(key: str) -> str:
    """Fails on its first run (a passing fault), succeeds on the next."""
    CALLS[key] = CALLS.get(key, 0) + 1
    if CALLS[key] == 1:
        raise ConnectionError("SMTP server is down for a minute")
    return "sent"


@task()
def send_to_a_server_that_stays_down() -> None:
    raise ConnectionError("SMTP server is still down")


@task()
def send_about_a_deleted_record() -> None:
    raise PermanentJobError("the application was deleted")


@pytest.fixture
def quick_retries(settings: Any) -> Any:
    """Retries due at once (no backoff) and three attempts in all."""
    settings.JOB_RETRY_BASE_SECONDS = 0
    settings.JOB_MAX_ATTEMPTS = 3
    CALLS.clear()
    return settings


def results_of(task_path_end: str) -> list[DBTaskResult]:
    return list(
        DBTaskResult.objects.filter(task_path__endswith=task_path_end).order_by("enqueued_at")
    )


def test_a_job_that_fails_once_is_retried_and_then_succeeds(
    transactional_db: None, quick_retries: Any, run_worker: Callable[[], None]
) -> None:
    first = send_once_the_server_is_back.enqueue("mail-1")
    run_worker()
    retry = JobRetry.objects.get()
    assert retry.previous_result_id == first.id
    assert retry.first_result_id == first.id
    assert retry.attempt == 2
    assert DBTaskResult.objects.get(pk=first.id).status == TaskResultStatus.FAILED
    final = DBTaskResult.objects.get(pk=retry.result_id)
    assert final.status == TaskResultStatus.SUCCESSFUL
    assert final.return_value == "sent"


def test_a_job_that_always_fails_stops_after_the_maximum_attempts(
    transactional_db: None, quick_retries: Any, run_worker: Callable[[], None]
) -> None:
    send_to_a_server_that_stays_down.enqueue()
    run_worker()
    results = results_of("send_to_a_server_that_stays_down")
    assert len(results) == 3
    assert {result.status for result in results} == {TaskResultStatus.FAILED}
    assert sorted(JobRetry.objects.values_list("attempt", flat=True)) == [2, 3]


def test_a_permanent_error_is_not_retried(
    transactional_db: None, quick_retries: Any, run_worker: Callable[[], None]
) -> None:
    send_about_a_deleted_record.enqueue()
    run_worker()
    [result] = results_of("send_about_a_deleted_record")
    assert result.status == TaskResultStatus.FAILED
    assert result.exception_class_path == "yakuba.core.jobs.PermanentJobError"
    assert not JobRetry.objects.exists()


def test_a_retry_waits_for_its_backoff(
    transactional_db: None, settings: Any, run_worker: Callable[[], None]
) -> None:
    settings.JOB_RETRY_BASE_SECONDS = 30
    CALLS.clear()
    send_once_the_server_is_back.enqueue("mail-2")
    run_worker()
    retry = JobRetry.objects.get()
    waiting = DBTaskResult.objects.get(pk=retry.result_id)
    assert waiting.status == TaskResultStatus.READY
    assert waiting.run_after == retry.run_after
    assert retry.run_after - retry.created_at >= timedelta(seconds=29)


@pytest.mark.parametrize(
    ("attempt", "seconds"), [(1, 30), (2, 60), (3, 120), (4, 240), (7, 1920), (8, 3600), (20, 3600)]
)
def test_retry_delay_doubles_and_is_capped_at_an_hour(
    settings: Any, attempt: int, seconds: int
) -> None:
    settings.JOB_RETRY_BASE_SECONDS = 30
    assert retry_delay(attempt) == timedelta(seconds=seconds)


# --- The staff page ---


def staff_user(**extra: Any) -> User:
    return User.objects.create_user(
        email=f"staff{User.objects.count()}@town.example.jp", password="pw-123-long-enough", **extra
    )


def test_the_jobs_page_shows_a_failure_with_its_error_to_staff(
    transactional_db: None, quick_retries: Any, run_worker: Callable[[], None], client: Client
) -> None:
    send_about_a_deleted_record.enqueue()
    run_worker()
    client.force_login(staff_user(is_staff=True, is_superuser=True))
    response = client.get("/staff/jobs/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "send_about_a_deleted_record" in body
    assert "yakuba.core.jobs.PermanentJobError" in body
    assert "the application was deleted" in body  # the traceback
    assert "再試行しません" in body


def test_the_jobs_page_shows_the_retry_chain(
    transactional_db: None, quick_retries: Any, run_worker: Callable[[], None], client: Client
) -> None:
    send_once_the_server_is_back.enqueue("mail-3")
    run_worker()
    client.force_login(staff_user(is_staff=True, is_superuser=True))
    response = client.get("/staff/jobs/")
    body = response.content.decode()
    assert "2 回目" in body
    assert "再試行の経過" in body
    [successful, failed] = response.context["jobs"]
    assert successful.attempt == 2
    assert [a.number for a in successful.chain] == [1, 2]
    assert failed.retried_as is not None


def test_the_jobs_page_can_show_only_failed_jobs(
    transactional_db: None, quick_retries: Any, run_worker: Callable[[], None], client: Client
) -> None:
    send_once_the_server_is_back.enqueue("mail-4")
    run_worker()
    client.force_login(staff_user(is_staff=True, is_superuser=True))
    response = client.get("/staff/jobs/", {"status": "FAILED"})
    assert [job.result.status for job in response.context["jobs"]] == ["FAILED"]


def test_an_unknown_status_filter_shows_a_message(db: None, client: Client) -> None:
    client.force_login(staff_user(is_staff=True, is_superuser=True))
    response = client.get("/staff/jobs/", {"status": "EXPLODED"})
    assert response.status_code == 400
    assert "一覧にある状態を選んでください。" in response.content.decode()


def test_the_jobs_page_reads_a_page_in_a_fixed_number_of_queries(
    db: None, django_assert_max_num_queries: Any
) -> None:
    for n in range(10):
        send_once_the_server_is_back.enqueue(f"mail-{n}")
    results = list(DBTaskResult.objects.all())
    with django_assert_max_num_queries(4):
        describe_jobs(results)


def test_staff_with_the_view_permission_may_open_the_jobs_page(db: None, client: Client) -> None:
    clerk = staff_user(is_staff=True)
    clerk.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="django_tasks_database", codename="view_dbtaskresult"
        )
    )
    client.force_login(clerk)
    assert client.get("/staff/jobs/").status_code == 200


def test_staff_without_the_permission_are_refused(db: None, client: Client) -> None:
    client.force_login(staff_user(is_staff=True))
    assert client.get("/staff/jobs/").status_code == 403


def test_residents_are_refused(db: None, client: Client) -> None:
    client.force_login(staff_user())
    assert client.get("/staff/jobs/").status_code == 403


def test_the_staff_menu_lists_the_jobs_page_for_superusers_only(db: None) -> None:
    superuser = staff_user(is_staff=True, is_superuser=True)
    clerk = staff_user(is_staff=True)
    assert "core:jobs" in [entry.url_name for entry in registry.staff_menu(superuser)]
    assert "core:jobs" not in [entry.url_name for entry in registry.staff_menu(clerk)]


def test_the_jobs_page_is_in_english_for_english_readers(db: None, client: Client) -> None:
    client.force_login(staff_user(is_staff=True, is_superuser=True))
    body = client.get("/staff/jobs/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Background jobs</h1>" in body


def test_a_job_left_running_by_a_dead_worker_is_failed_and_retried(
    transactional_db: None, quick_retries: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from yakuba.core.jobs import recover_abandoned_jobs

    result = send_once_the_server_is_back.enqueue("abandoned")
    job = DBTaskResult.objects.get(id=result.id)
    job.claim("worker-that-died")
    DBTaskResult.objects.filter(id=job.id).update(started_at=timezone.now() - timedelta(hours=1))

    assert recover_abandoned_jobs(running_longer_than=timedelta(minutes=15)) == 1
    job.refresh_from_db()
    assert job.status == "FAILED"
    assert job.exception_class_path.endswith("WorkerVanished")
    retry = JobRetry.objects.get(previous_result_id=str(job.id))
    assert DBTaskResult.objects.get(id=retry.result_id).status == "READY"
    assert recover_abandoned_jobs(running_longer_than=timedelta(minutes=15)) == 0


def test_a_job_running_for_less_than_the_limit_is_left_alone(
    transactional_db: None, quick_retries: Any
) -> None:
    from datetime import timedelta

    from yakuba.core.jobs import recover_abandoned_jobs

    result = send_once_the_server_is_back.enqueue("still-running")
    DBTaskResult.objects.get(id=result.id).claim("busy-worker")
    assert recover_abandoned_jobs(running_longer_than=timedelta(minutes=15)) == 0
    assert DBTaskResult.objects.get(id=result.id).status == "RUNNING"
