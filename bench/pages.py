"""Server-side render time of the main pages with the demo town loaded.

Usage: .venv/bin/python bench/pages.py [--rounds 50]
Uses a fresh SQLite database in a temporary folder (or DATABASE_URL when set), loads the demo town,
then renders each page `rounds` times through Django's test client and prints the median and 95th
percentile in milliseconds, plus the number of SQL queries per render.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("YAKUBA_VAR_DIR", tempfile.mkdtemp(prefix="yakuba-bench-"))
os.environ.setdefault("STATIC_ROOT", os.path.join(os.environ["YAKUBA_VAR_DIR"], "static"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yakuba.config.settings")
os.environ["DEBUG"] = "false"
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from yakuba.core.reader import FURIGANA_COOKIE  # noqa: E402
from yakuba.platform.accounts.models import ResidentProfile, User  # noqa: E402
from yakuba.platform.audit.models import AuditEntry  # noqa: E402

PAGES = [
    ("resident", "/"),
    ("resident", "/my/"),
    ("resident", "/places/"),
    ("resident", "/places/?kind=shelter"),
    ("resident+furigana", "/places/"),
    ("resident", "/places/geojson/"),
    ("resident", "/api/places/"),
    ("staff", "/staff/"),
    ("staff", "/staff/residents/?q=%E4%BA%98%E7%90%86"),
    ("staff", "/staff/residents/1/"),
    ("admin", "/staff/jobs/"),
    ("auditor", "/staff/audit/"),
    ("auditor", "/staff/audit/?subject=2"),
]


def measure(client: Client, url: str, rounds: int) -> tuple[float, float, int, int]:
    client.get(url)  # warm caches (templates, URL resolver)
    timings = []
    status = 0
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        status = response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], len(queries), status


def fill_audit_log(count: int) -> None:
    """Staff reads of residents' records, as a year of counter work would leave them."""
    staff = User.objects.get(email="staff@example.jp")
    profiles = list(ResidentProfile.objects.values_list("pk", "user_id"))
    batch = []
    for number in range(count):
        profile_id, user_id = profiles[number % len(profiles)]
        batch.append(
            AuditEntry(
                actor_id=staff.pk,
                actor_label=str(staff),
                action="read",
                object_type="accounts.residentprofile",
                object_id=str(profile_id),
                subject_user_id=user_id,
                screen="accounts:staff_resident_detail",
            )
        )
        if len(batch) == 5000:
            AuditEntry.objects.bulk_create(batch)
            batch = []
    AuditEntry.objects.bulk_create(batch)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument(
        "--audit-entries", type=int, default=0, help="first fill the audit log with this many reads"
    )
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    start = time.perf_counter()
    call_command("load_demo_town", verbosity=0)
    print(f"load_demo_town: {time.perf_counter() - start:.2f} s (first run)")
    start = time.perf_counter()
    call_command("load_demo_town", verbosity=0)
    print(f"load_demo_town: {time.perf_counter() - start:.2f} s (second run, nothing changes)")
    print(f"residents: {ResidentProfile.objects.count()}")
    if args.audit_entries:
        fill_audit_log(args.audit_entries)
        print(f"audit entries: {AuditEntry.objects.count()}")
    clients = {
        "resident": User.objects.get(email="resident@example.jp"),
        "staff": User.objects.get(email="staff@example.jp"),
        "auditor": User.objects.get(email="auditor@example.jp"),
        "admin": User.objects.get(email="admin@example.jp"),
    }
    print(f"{'page':40} {'status':>6} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for who, url in PAGES:
        client = Client()
        role, _, furigana = who.partition("+")
        client.force_login(clients[role])
        if furigana:
            client.cookies[FURIGANA_COOKIE] = "on"
        if role != "resident":
            session = client.session
            session["account_authentication_methods"] = [{"method": "mfa", "type": "totp"}]
            session.save()
        reset_queries()
        median, p95, queries, status = measure(client, url, args.rounds)
        print(
            f"{url + (' (furigana)' if furigana else ''):40} {status:>6} {median:>10.1f} {p95:>8.1f} {queries:>8}"
        )


if __name__ == "__main__":
    main()
