"""Mail waits in the job queue and survives a mail server that is down."""

import socket
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from yakuba.core.models import JobRetry
from yakuba.core.tasks import message_from_json, message_to_json

pytestmark = pytest.mark.job_queue

EMAIL = "new.resident@example.jp"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sign_up(client: Client) -> None:
    response = client.post(
        reverse("account_signup"),
        {"email": EMAIL, "password1": "Kome-to-Umi-2026", "password2": "Kome-to-Umi-2026"},
    )
    assert response.status_code == 302


def test_a_mail_message_survives_the_trip_through_json() -> None:
    from django.core.mail import EmailMultiAlternatives

    message = EmailMultiAlternatives("件名", "本文", "town@example.jp", ["a@example.jp"])
    message.attach_alternative("<p>本文</p>", "text/html")
    again = message_from_json(message_to_json(message))
    assert (again.subject, again.body, again.to) == ("件名", "本文", ["a@example.jp"])
    assert again.alternatives == [("<p>本文</p>", "text/html")]


def test_signing_up_queues_the_verification_mail_instead_of_sending_it_in_the_request(
    transactional_db: None, client: Client, mailbox: Any
) -> None:
    sign_up(client)
    assert mailbox.messages == []
    job = DBTaskResult.objects.get()
    assert job.task_path.endswith("deliver_email")
    assert job.args_kwargs["args"][0]["to"] == [EMAIL]


def test_verification_mail_is_delivered_after_the_mail_server_comes_back(
    transactional_db: None,
    client: Client,
    mailbox: Any,
    settings: Any,
    run_worker: Callable[[], None],
) -> None:
    settings.JOB_RETRY_BASE_SECONDS = 60
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = closed_port()
    sign_up(client)

    run_worker()
    failed = DBTaskResult.objects.get(status="FAILED")
    retry = JobRetry.objects.get(previous_result_id=str(failed.id))
    waiting = DBTaskResult.objects.get(id=retry.result_id)
    assert waiting.status == "READY" and waiting.run_after > timezone.now()
    assert mailbox.messages == []

    # The mail server is back and the backoff has passed.
    settings.EMAIL_PORT = working_port
    DBTaskResult.objects.filter(id=waiting.id).update(run_after=timezone.now())
    run_worker()
    message = mailbox.wait_for(to=EMAIL)
    assert any("/accounts/confirm-email/" in link for link in mailbox.links(message))
    assert DBTaskResult.objects.get(id=waiting.id).status == "SUCCESSFUL"


def test_the_mail_speaks_in_the_towns_name(db: None, client: Client, mailbox: Any) -> None:
    from yakuba.core.models import Municipality

    Municipality.objects.create(
        name="亘理町",
        code="043231",
        prefecture="宮城県",
        map_center_latitude=38.037,
        map_center_longitude=140.853,
    )
    sign_up(client)
    job = DBTaskResult.objects.get()
    message = message_from_json(job.args_kwargs["args"][0])
    assert message.subject.startswith("[亘理町] ")
    assert "亘理町" in message.body
