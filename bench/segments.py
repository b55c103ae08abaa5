"""Segment evaluation (対象者の絞り込み) on a large generated town.

Usage: .venv/bin/python bench/segments.py [--residents 100000] [--rounds 5] [--explain]
SQLite in a fresh temporary folder by default. With DATABASE_URL pointing at PostgreSQL, the database
named there (use yakuba_bench_segments) is dropped if it exists, created, and dropped again at the end.

Generates residents with households (bulk inserts in batches, no password hashing), then times
`count_residents` for realistic segments: median and slowest of `rounds` runs after one warm-up run.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("YAKUBA_VAR_DIR", tempfile.mkdtemp(prefix="yakuba-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yakuba.config.settings")

DATABASE_URL = os.environ.get("DATABASE_URL", "")
IS_POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://"))


def _admin_url() -> tuple[str, str]:
    """The server's maintenance database URL and the benchmark database's name."""
    parts = urlsplit(DATABASE_URL)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def _recreate_postgres_database(*, drop_only: bool = False) -> None:
    import psycopg

    url, name = _admin_url()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            connection.execute(f'CREATE DATABASE "{name}"')


if IS_POSTGRES:
    _recreate_postgres_database()

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from yakuba.platform.accounts.models import (  # noqa: E402
    HouseholdMember,
    Language,
    Relationship,
    ResidentProfile,
    Topic,
    User,
)
from yakuba.platform.notify.services import count_residents, residents_in  # noqa: E402
from yakuba.platform.places.models import District  # noqa: E402

ON = date(2026, 9, 1)
BATCH = 5000
DISTRICT_COUNT = 40
LANGUAGES = [Language.JAPANESE] * 90 + [Language.SIMPLE_JAPANESE] * 3 + [Language.ENGLISH] * 3
LANGUAGES += [Language.VIETNAMESE] * 2 + [Language.CHINESE, Language.KOREAN]

SEGMENTS: dict[str, dict[str, Any]] = {
    "elderly living alone in two districts": {
        "all": [{"district": ["B01", "B02"]}, {"elderly_living_alone": {"min_age": 65}}]
    },
    "households with children 0-5 and topic 子育て": {
        "all": [{"household_child_age": {"min": 0, "max": 5}}, {"topic": ["childcare"]}]
    },
    "not English and needs evacuation assistance": {
        "all": [{"not": {"language": ["en"]}}, {"needs_evacuation_assistance": True}]
    },
    "everyone 65 and over (large result)": {"age": {"min": 65}},
    "nested: (65+ alone or flagged) and disaster topic, not in B03": {
        "all": [
            {
                "any": [
                    {"elderly_living_alone": {"min_age": 65}},
                    {"needs_evacuation_assistance": True},
                ]
            },
            {"topic": ["disaster"]},
            {"not": {"district": ["B03"]}},
        ]
    },
}


def birth_date(generator: random.Random, oldest: int, youngest: int = 0) -> date:
    days = generator.randint(youngest * 365, oldest * 365 + 364)
    return ON - timedelta(days=days)


def generate(residents: int) -> None:
    generator = random.Random(2026)
    districts = District.objects.bulk_create(
        District(code=f"B{n:02d}", name=f"行政区{n}", order=n) for n in range(1, DISTRICT_COUNT + 1)
    )
    topics = Topic.values
    for start in range(0, residents, BATCH):
        size = min(BATCH, residents - start)
        users = User.objects.bulk_create(
            # An unusable password ("!" + random text): no hashing, and nobody can sign in as these.
            User(email=f"bench{start + n}@example.jp", password=make_password(None))
            for n in range(size)
        )
        profiles = []
        for user in users:
            profiles.append(
                ResidentProfile(
                    user=user,
                    family_name="亘理",
                    given_name="太郎",
                    birth_date=birth_date(generator, 98, 18) if generator.random() > 0.01 else None,
                    district=generator.choice(districts),
                    preferred_language=generator.choice(LANGUAGES),
                    topics=generator.sample(topics, generator.randint(0, 3)),
                    needs_evacuation_assistance=generator.random() < 0.03,
                )
            )
        ResidentProfile.objects.bulk_create(profiles)
        members = []
        for profile in profiles:
            shape = generator.random()
            if shape < 0.3:
                continue  # lives alone
            members.append(
                HouseholdMember(
                    profile=profile,
                    name="世帯員",
                    relationship=Relationship.SPOUSE,
                    birth_date=birth_date(generator, 98, 18),
                )
            )
            if shape > 0.6:
                for _ in range(generator.randint(1, 3)):
                    relationship = Relationship.GRANDCHILD if shape > 0.95 else Relationship.CHILD
                    members.append(
                        HouseholdMember(
                            profile=profile,
                            name="子",
                            relationship=relationship,
                            birth_date=birth_date(generator, 17),
                        )
                    )
        HouseholdMember.objects.bulk_create(members, batch_size=BATCH)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--explain", action="store_true", help="print each query plan")
    args = parser.parse_args()
    try:
        call_command("migrate", verbosity=0)
        start = time.perf_counter()
        generate(args.residents)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(
            f"{connection.vendor}: generated {ResidentProfile.objects.count()} residents and "
            f"{HouseholdMember.objects.count()} household members "
            f"in {time.perf_counter() - start:.1f} s"
        )
        for label, rule in SEGMENTS.items():
            count = count_residents(rule, on=ON)  # warm-up
            timings = []
            for _ in range(args.rounds):
                start = time.perf_counter()
                count_residents(rule, on=ON)
                timings.append((time.perf_counter() - start) * 1000)
            print(
                f"{label}: {count} residents, median {statistics.median(timings):.0f} ms, "
                f"slowest {max(timings):.0f} ms"
            )
            if args.explain:
                print(residents_in(rule, on=ON).explain())
    finally:
        if IS_POSTGRES:
            connection.close()
            _recreate_postgres_database(drop_only=True)


if __name__ == "__main__":
    main()
