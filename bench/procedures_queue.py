"""The back office's queue of online applications (申請の処理) with 100,000 submissions (issue 3).

Usage: .venv/bin/python bench/procedures_queue.py [--submissions 100000] [--rounds 50] [--explain]
SQLite in a fresh temporary folder by default. With DATABASE_URL pointing at PostgreSQL, the database
named there (use yakuba_bench_procedures) is dropped if it exists, created, and dropped again at the
end.

Loads the demo town (with the procedure catalogue), adds `submissions` submissions (bulk inserts):
three years of them, more of them recent; each procedure's share as a town of this size sees it
(certificates most); answers pre-filled from a demo resident's profile plus the required simple
fields, frozen with their digest; statuses by age against the procedure's target days (older →
closed); most of the handled ones assigned to one of the department's staff; a history of status
Events for each. Then, logged in as the demo clerk of 町民生活課 (staff@example.jp, role 申請処理),
it asks the queue page — its default view, each filter alone, combined filters, deep pages — the
submission page and a month's CSV export through Django's test client (`DEBUG=false`): server time,
no network. Prints p50 / p95 / max in milliseconds, the SQL statements of one request, their total
time and the slowest one's (where the time goes); also times on their own the export's rows, the
status counts, and the rows of the last page read with an OFFSET and from the end (QueuePaginator)
and of the middle page (the deepest read from either end). `--explain` prints each case's slowest
statement and the plans of the main queries (EXPLAIN ANALYZE on PostgreSQL).
"""

import argparse
import functools
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fresh_django

fresh_django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.http import StreamingHttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from yakuba.modules.procedures import backoffice_queries, engine, fees, formdef  # noqa: E402
from yakuba.modules.procedures.models import (  # noqa: E402
    CLOSED_STATUSES,
    ApplicantKind,
    Event,
    Procedure,
    ReceiptCounter,
    Status,
    Submission,
)
from yakuba.platform.accounts.models import (  # noqa: E402
    ResidentProfile,
    StaffMember,
    User,
)
from yakuba.platform.payments.collectors import PaymentState  # noqa: E402

BATCH = 5000
SEED = 2026
CLERK = "staff@example.jp"
# Submissions a year per procedure, relative: certificates most, then the yearly 現況届 and the
# children's and care procedures; the rest a few.
WEIGHTS = {
    "juminhyo": 20,
    "inkan-shomei": 10,
    "shotoku-shomei": 8,
    "jido-teate-genkyo": 5,
    "hoiku-genkyo": 4,
    "kaigo-koshin-nintei": 4,
    "kaigo-nintei": 3,
    "risai-shomei": 2,
}
OTHER_WEIGHT = 1
# The 受付番号 given by `services.next_receipt_number`.
RECEIPT_FORMAT = "{year}-{number:06d}"


def _answer_for(item: formdef.Field, generator: random.Random) -> Any:
    """A plausible value for a required field the profile does not fill (None: leave it out)."""
    if item.type in ("choice", "multi_choice") and item.options:
        value = generator.choice(item.option_values)
        return [value] if item.type == "multi_choice" else value
    if item.type == "number":
        return item.min if item.min is not None else 1
    if item.type == "consent":
        return True
    if item.type == "date":
        return (date.today() - timedelta(days=generator.randrange(30, 400))).isoformat()
    if item.type in ("text", "textarea"):
        return "ベンチマーク用の記入"
    if item.type == "kana":
        return "ベンチマーク"
    if item.type == "phone":
        return "0223-34-0000"
    return None


def answers_for(
    definition: formdef.FormDefinition, profile: ResidentProfile, generator: random.Random
) -> dict[str, Any]:
    """The resident's pre-filled answers plus the required simple fields without a condition."""
    answers = engine.prefill(definition, profile=profile, email=profile.user.email)
    for section, item in definition.fields():
        values = answers.setdefault(section.key, {})
        if item.key in values or not item.required or item.show_if is not None:
            continue
        value = _answer_for(item, generator)
        if value is not None:
            values[item.key] = value
    return answers


def _status(
    generator: random.Random, age_days: float, target_days: int, statuses: list[str]
) -> str:
    """A realistic state for a submission this old: most are closed once past their target days;
    a few old ones are stuck (the backlog the age filter finds)."""
    closed_share = min(0.995, 1 - math.exp(-age_days / max(target_days, 1)))
    if generator.random() < closed_share:
        if Status.REJECTED in statuses and generator.random() < 0.05:
            return Status.REJECTED
        return Status.COMPLETED
    open_ones = [s for s in statuses if s not in CLOSED_STATUSES]
    weights = {Status.RECEIVED: 40, Status.REVIEWING: 40, Status.CORRECTION: 8, Status.APPROVED: 12}
    return generator.choices(open_ones, weights=[weights[Status(s)] for s in open_ones])[0]


# The steps a submission went through to reach its status, for its history.
PATHS = {
    Status.RECEIVED: [Status.RECEIVED],
    Status.REVIEWING: [Status.RECEIVED, Status.REVIEWING],
    Status.CORRECTION: [Status.RECEIVED, Status.REVIEWING, Status.CORRECTION],
    Status.APPROVED: [Status.RECEIVED, Status.REVIEWING, Status.APPROVED],
    Status.REJECTED: [Status.RECEIVED, Status.REVIEWING, Status.REJECTED],
    Status.COMPLETED: [Status.RECEIVED, Status.REVIEWING, Status.COMPLETED],
}


def _history(submission: Submission, generator: random.Random) -> list[Event]:
    """Status Events from filing to now, an assignment when someone has it."""
    path = PATHS[Status(submission.status)]
    end = submission.closed_at or submission.updated_at
    span = (end - submission.submitted_at) / max(len(path) - 1, 1)
    events = [
        Event(
            submission=submission,
            kind=Event.Kind.STATUS,
            status=status,
            author_id=submission.applicant_id if index == 0 else submission.assignee_id,
            text="" if index == 0 else "ご申請の内容を確認しています。",
            requested_fields=["applicant.phone"] if status == Status.CORRECTION else [],
            created_at=submission.submitted_at + span * index,
        )
        for index, status in enumerate(path)
    ]
    if submission.assignee_id is not None:
        events.append(
            Event(
                submission=submission,
                kind=Event.Kind.ASSIGNED,
                author_id=submission.assignee_id,
                text="",
                created_at=submission.submitted_at + span * generator.random(),
            )
        )
    return events


def generate(count: int) -> None:
    generator = random.Random(SEED)
    procedures = list(Procedure.objects.all())
    versions = {p.pk: p.current_version() for p in procedures}
    definitions = {
        p.pk: formdef.parse(version.definition)
        for p in procedures
        if (version := versions[p.pk]) is not None
    }
    weights = [WEIGHTS.get(p.code, OTHER_WEIGHT) for p in procedures]
    residents = list(
        ResidentProfile.objects.select_related("user").prefetch_related("household_members")
    )
    staff: dict[int, list[int]] = {}
    for colleague in StaffMember.objects.filter(user__is_superuser=False):
        staff.setdefault(colleague.department_id, []).append(colleague.user_id)
    answers: dict[tuple[int, int], tuple[dict[str, Any], str, int | None]] = {}

    def answered(procedure: Procedure, resident: int) -> tuple[dict[str, Any], str, int | None]:
        key = (procedure.pk, resident)
        if key not in answers:
            definition = definitions[procedure.pk]
            filled = answers_for(definition, residents[resident], generator)
            answers[key] = filled, engine.digest(filled), fees.fee_for(definition, filled)
        return answers[key]

    now = timezone.now()
    # Three years of filings, more of them recent; numbered in filing order within each year.
    moments = sorted(
        now - timedelta(days=min(generator.expovariate(1 / 300), 3 * 365 - 1)) for _ in range(count)
    )
    # After the receipt numbers given already (the demo's own submissions).
    numbers = dict(ReceiptCounter.objects.values_list("year", "last"))
    made = 0
    while made < count:
        batch = []
        for submitted in moments[made : made + BATCH]:
            procedure = generator.choices(procedures, weights=weights)[0]
            resident = generator.randrange(len(residents))
            profile = residents[resident]
            filled, digest, fee = answered(procedure, resident)
            year = timezone.localtime(submitted).year
            numbers[year] = numbers.get(year, 0) + 1
            age_days = (now - submitted).total_seconds() / 86400
            target = procedure.target_days or 14
            status = _status(generator, age_days, target, procedure.statuses)
            closed_at = None
            if status in CLOSED_STATUSES:
                took = timedelta(days=min(generator.expovariate(1 / target), age_days))
                closed_at = submitted + took
            assignee = None
            if status != Status.RECEIVED or generator.random() < 0.3:
                assignee = generator.choice(staff[procedure.department_id])
            kind = generator.choice(procedure.applicant_kinds)
            members = list(profile.household_members.all())
            member = (
                generator.choice(members) if kind == ApplicantKind.HOUSEHOLD and members else None
            )
            if kind == ApplicantKind.HOUSEHOLD and member is None:
                kind = ApplicantKind.SELF
            source = generator.choices(list(Submission.Source), weights=[85, 10, 5])[0]
            batch.append(
                Submission(
                    receipt_number=RECEIPT_FORMAT.format(year=year, number=numbers[year]),
                    procedure=procedure,
                    form_version=versions[procedure.pk],
                    applicant=profile.user if source != Submission.Source.MYNAPORTAL else None,
                    applicant_kind=kind,
                    applicant_name=profile.full_name,
                    subject_name=member.name if member is not None else profile.full_name,
                    household_member=member,
                    agent_relationship="子" if kind == ApplicantKind.AGENT else "",
                    answers=filled,
                    digest=digest,
                    department_id=procedure.department_id,
                    status=status,
                    assignee_id=assignee,
                    fee_amount=fee or None,
                    payment=PaymentState.PAID if fee else PaymentState.NONE,
                    source=source,
                    external_reference=(
                        f"MP{year}{numbers[year]:08d}"
                        if source == Submission.Source.MYNAPORTAL
                        else ""
                    ),
                    submitted_at=submitted,
                    updated_at=closed_at
                    or submitted + timedelta(days=min(age_days, generator.uniform(0, target))),
                    closed_at=closed_at,
                )
            )
        created = Submission.objects.bulk_create(batch)
        Event.objects.bulk_create(
            [event for submission in created for event in _history(submission, generator)],
            batch_size=BATCH,
        )
        made += len(batch)
    for year, last in numbers.items():
        ReceiptCounter.objects.update_or_create(year=year, defaults={"last": last})


def _percentile(timings: list[float], fraction: float) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def _summary(timings: list[float]) -> str:
    return (
        f"{statistics.median(timings):6.1f} {_percentile(timings, 0.95):6.1f} {max(timings):6.1f}"
    )


class QueryTimer:
    """Times every SQL statement run while installed (`connection.execute_wrapper`)."""

    def __init__(self) -> None:
        self.timings: list[tuple[float, str]] = []

    def __call__(self, execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, *args)
        finally:
            self.timings.append(((time.perf_counter() - start) * 1000, sql))


def _body(response: Any) -> bytes:
    """All of a response, read as a browser would (a streamed export too)."""
    if isinstance(response, StreamingHttpResponse):
        return b"".join(cast(Iterator[bytes], response.streaming_content))
    return bytes(response.content)


def measure(client: Client, url: str, rounds: int) -> dict[str, Any]:
    """Timings of `rounds` requests after a warm-up; then one more request's SQL statements and
    their time (where the time goes), its status and size."""
    client.get(url)  # warm caches (templates, URL resolver, the connection)
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        _body(client.get(url))
        timings.append((time.perf_counter() - start) * 1000)
    timer = QueryTimer()
    with connection.execute_wrapper(timer):
        response = client.get(url)
        body = _body(response)
    slowest = max(timer.timings, default=(0.0, ""))
    return {
        "timings": timings,
        "queries": len(timer.timings),
        "sql_ms": sum(ms for ms, _sql in timer.timings),
        "slowest_ms": slowest[0],
        "slowest_sql": slowest[1],
        "status": response.status_code,
        "size": len(body),
    }


def report(label: str, result: dict[str, Any], extra: str = "") -> None:
    print(
        f"{label:48} {_summary(result['timings'])} {result['queries']:>4} "
        f"{result['sql_ms']:6.1f} {result['slowest_ms']:6.1f}"
        + (f"  {extra}" if extra else "")
        + ("" if result["status"] == 200 else f"  HTTP {result['status']}")
    )


def time_call(call: Callable[[], object], rounds: int) -> list[float]:
    call()
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def staff_client(email: str) -> Client:
    """A signed-in staff member who passed the second factor in this session."""
    client = Client()
    client.force_login(User.objects.get(email=email))
    session = client.session
    session["account_authentication_methods"] = [{"method": "mfa", "type": "totp"}]
    session.save()
    return client


def _last_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def explain(label: str, queryset: Any) -> None:
    options: dict[str, Any] = {"analyze": True, "buffers": True} if fresh_django.IS_POSTGRES else {}
    print(f"\n--- {label}")
    print(queryset.explain(**options))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--explain", action="store_true", help="print the queries' plans")
    args = parser.parse_args()
    try:
        call_command("migrate", verbosity=0)
        call_command("collectstatic", verbosity=0, interactive=False)
        call_command("load_demo_town", verbosity=0)
        start = time.perf_counter()
        generate(args.submissions - Submission.objects.count())
        generated = time.perf_counter() - start
        with connection.cursor() as cursor:
            # As autovacuum leaves a table in use (PostgreSQL's visibility map lets it answer
            # counts from an index alone); SQLite has no such map.
            cursor.execute("VACUUM ANALYZE" if fresh_django.IS_POSTGRES else "ANALYZE")
        clerk = User.objects.get(email=CLERK)
        mine = Submission.objects.filter(department__code="chomin")
        open_mine = mine.exclude(status__in=CLOSED_STATUSES)
        print(
            f"{connection.vendor}: {Submission.objects.count()} submissions, "
            f"{Event.objects.count()} events generated in {generated:.1f} s; the clerk's "
            f"department: {mine.count()} ({open_mine.count()} open, "
            f"{open_mine.filter(assignee=clerk).count()} open and theirs)"
        )
        receipt = mine.order_by("pk").values_list("receipt_number", flat=True)[mine.count() // 2]
        stuck = open_mine.order_by("submitted_at").first()
        # The deepest page from either end, now that the second half is read from the end.
        middle = math.ceil(mine.count() / backoffice_queries.PAGE_SIZE) // 2
        assert stuck is not None
        queue_url = reverse("procedures:staff_queue")
        cases: dict[str, str] = {
            "queue: default (open, oldest first)": "",
            "queue: procedure 住民票の写し": "procedure=juminhyo",
            "queue: status 受付": "status=received",
            "queue: status 完了": "status=completed",
            "queue: all statuses": "status=",
            "queue: older than 30 days": "older_than=30",
            "queue: assignee me": "assignee=me",
            "queue: assignee none": "assignee=none",
            "queue: receipt number": urlencode({"q": receipt}),
            "queue: full name": urlencode({"q": stuck.applicant_name}),
            "queue: family name, all statuses": urlencode({"q": "佐藤", "status": ""}),
            "queue: procedure + status + me + 7 days": (
                "procedure=juminhyo&status=reviewing&assignee=me&older_than=7"
            ),
            "queue: name + procedure, all statuses": urlencode(
                {"q": "佐藤", "procedure": "inkan-shomei", "status": ""}
            ),
            "queue: all statuses, page 200": "status=&page=200",
            "queue: all statuses, middle page": f"status=&page={middle}",
            "queue: all statuses, last page": "status=&page=9999",
        }
        clerk_client = staff_client(CLERK)
        print(
            f"\n{'request (ms)':48} {'p50':>6} {'p95':>6} {'max':>6} {'SQL':>4} "
            f"{'SQL ms':>6} {'worst':>6}"
        )
        slowest: dict[str, str] = {}
        for label, query in cases.items():
            result = measure(clerk_client, queue_url + (f"?{query}" if query else ""), args.rounds)
            report(label, result)
            slowest[label] = result["slowest_sql"]
        result = measure(staff_client("admin@example.jp"), queue_url, args.rounds)
        report("queue: superuser, every department", result)
        page_url = reverse("procedures:staff_submission", args=[stuck.pk])
        result = measure(clerk_client, page_url, args.rounds)
        report(f"submission page ({stuck.events.count()} events)", result)
        first, last = _last_month(timezone.localdate())
        export_query = urlencode(
            {"procedure": "juminhyo", "date_from": first, "date_to": last, "format": "csv"}
        )
        rows = mine.filter(
            procedure__code="juminhyo", submitted_at__date__range=(first, last)
        ).count()
        result = measure(
            clerk_client,
            reverse("procedures:staff_export") + f"?{export_query}",
            max(args.rounds // 10, 3),
        )
        report(
            f"CSV export, 住民票の写し, {first:%Y-%m}",
            result,
            f"{rows} rows, {result['size'] / 1024:.0f} KiB",
        )
        juminhyo = Procedure.objects.get(code="juminhyo")
        timings = time_call(
            lambda: backoffice_queries.export_rows(
                backoffice_queries.export_submissions(clerk, juminhyo, first, last)
            ),
            3,
        )
        print(f"{'  its rows alone (export_rows, no audit, no CSV)':48} {_summary(timings)}")
        defaults = backoffice_queries.QueueFilters(viewer_id=clerk.pk)
        timings = time_call(lambda: backoffice_queries.status_counts(clerk, defaults), args.rounds)
        print(f"{'status_counts() alone, default filters':48} {_summary(timings)}    1")
        everything = backoffice_queries.QueueFilters(status="", viewer_id=clerk.pk)
        history = backoffice_queries.queue(clerk, everything)

        def page_rows(paginator: type[Paginator], number: int) -> list[Submission]:
            return list(paginator(history, backoffice_queries.PAGE_SIZE).get_page(number))

        # The paginator's COUNT and the page; QueuePaginator reads the page's keys, then its rows.
        for label, paginator, number, statements in (
            ("last page, OFFSET (Paginator)", Paginator, 9999, 2),
            ("last page, from the end (Queue…)", backoffice_queries.QueuePaginator, 9999, 3),
            (f"middle page {middle}, QueuePaginator", backoffice_queries.QueuePaginator, middle, 3),
        ):
            timings = time_call(functools.partial(page_rows, paginator, number), args.rounds)
            print(f"{'rows alone: ' + label:48} {_summary(timings)} {statements:>4}")
        if args.explain:
            for label, sql in slowest.items():
                print(f"\n--- slowest statement of {label}:\n{sql[:600]}")
            queue = backoffice_queries.queue
            explain("queue: default, first page", queue(clerk, defaults)[:20])
            explain("queue: all statuses, page 200", queue(clerk, everything)[3980:4000])
            keys = queue(clerk, everything).values_list("pk", flat=True)
            explain("queue: all statuses, last page's keys read from the end", keys.reverse()[:20])
            start = (middle - 1) * backoffice_queries.PAGE_SIZE
            explain(
                f"queue: all statuses, middle page {middle}'s keys",
                keys[start : start + backoffice_queries.PAGE_SIZE],
            )
            named = backoffice_queries.QueueFilters(search="佐藤", status="", viewer_id=clerk.pk)
            explain("queue: family name, all statuses", queue(clerk, named)[:20])
            explain(
                "status counts, default filters",
                backoffice_queries.visible_to(clerk)
                .order_by()
                .values_list("status")
                .annotate(n=Count("pk")),
            )
            explain(
                "status counts, open statuses only (the proposal)",
                backoffice_queries.visible_to(clerk)
                .filter(status__in=backoffice_queries.OPEN_STATUSES)
                .order_by()
                .values_list("status")
                .annotate(n=Count("pk")),
            )
    finally:
        fresh_django.drop_database()


if __name__ == "__main__":
    main()
