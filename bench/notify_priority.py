"""Priority messages during a bulk send (優先配信): how long a status notice waits behind 一斉配信.

Usage: .venv/bin/python bench/notify_priority.py [--residents 100000] [--workers 2] [--every 0.5]
Same database handling, town, SMTP sink and workers as `notify_fanout.py` (see there). While the workers send one announcement to every resident, this script sends a
message to one named resident every `--every` seconds (the priority queue, as a module's status
notice would be) and measures, for each, the time from `notify.send()` to the delivery's `sent_at`
(the moment the mail was handed to the SMTP server).
Objective (issue 5): p90 ≤ 10 s and p99 ≤ 60 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import datetime
from pathlib import Path

import notify_fanout as fanout

NOTICE = {"ja": {"subject": "申請を受け付けました", "body": "((氏名))様\n申請を受け付けました。"}}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--every", type=float, default=0.5, help="seconds between priority messages"
    )
    args = parser.parse_args()

    import segments  # sets up Django on a fresh database (see bench/segments.py)
    from django.db import connection
    from django.utils import timezone

    from yakuba.platform import notify
    from yakuba.platform.accounts.models import User
    from yakuba.platform.notify.models import Delivery, Message, MessageStatus

    sink, port = fanout.start_sink()
    workers = []
    try:
        rule = fanout.prepare_town(args.residents)
        resident = User.objects.order_by("pk").first()
        assert resident is not None
        log = Path(os.environ["YAKUBA_VAR_DIR"]) / "workers.log"
        workers = fanout.start_workers(args.workers, port=port, log=log)
        time.sleep(3)
        bulk = notify.send("notify.announcement", segment=rule, contents=fanout.CONTENTS)
        sent_calls: dict[int, datetime] = {}
        next_at = time.monotonic()

        def send_priority() -> None:
            nonlocal next_at
            while time.monotonic() >= next_at:
                called_at = timezone.now()
                message = notify.send("notify.announcement", to=resident, contents=NOTICE)
                sent_calls[message.pk] = called_at
                next_at += args.every

        def tick() -> None:
            # `watch` polls every 0.5 s; send on time in between as well.
            send_priority()
            end = time.monotonic() + 0.45
            while time.monotonic() < end:
                time.sleep(max(0.0, min(next_at, end) - time.monotonic()))
                send_priority()

        fanout.watch(bulk.pk, workers, marks=[], tick=tick)
        bulk_done = timezone.now()
        # The last priority messages: wait for them (at most a minute).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            waiting = Message.objects.filter(pk__in=sent_calls).exclude(status=MessageStatus.SENT)
            if not waiting.exists():
                break
            time.sleep(0.5)
        sent_at: dict[int, datetime | None] = dict(
            Delivery.objects.filter(recipient__message_id__in=sent_calls).values_list(
                "recipient__message_id", "sent_at"
            )
        )
        latencies = [
            (at - called).total_seconds() if (at := sent_at.get(pk)) else float("inf")
            for pk, called in sent_calls.items()
        ]
        bulk_row = Message.objects.get(pk=bulk.pk)
        started_at = bulk_row.started_at
        assert started_at is not None
        print(f"{connection.vendor}, {args.workers} workers:")
        print(
            f"  bulk message to {bulk_row.recipient_count:,} residents: sent in "
            f"{(bulk_done - started_at).total_seconds():.1f} s after its fan-out started"
        )
        print(
            f"  {len(latencies)} priority messages, one every {args.every} s; never sent: "
            f"{sum(1 for s in latencies if s == float('inf'))}"
        )
        print(
            f"  notify.send() → sent_at (s): p50 {percentile(latencies, 0.5):.2f}, "
            f"p90 {percentile(latencies, 0.9):.2f}, p99 {percentile(latencies, 0.99):.2f}, "
            f"max {max(latencies):.2f}, mean {statistics.fmean(latencies):.2f}"
        )
    finally:
        fanout.stop(workers)
        fanout.stop([sink])
        if segments.IS_POSTGRES:
            connection.close()
            segments._recreate_postgres_database(drop_only=True)


if __name__ == "__main__":
    main()
