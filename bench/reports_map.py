"""The public map and list of citizen reports (通報) with 100,000 reports (issue 6).

Usage: .venv/bin/python bench/reports_map.py [--reports 100000] [--rounds 200] [--explain]
       [--proposed-index]
SQLite in a fresh temporary folder by default. With DATABASE_URL pointing at PostgreSQL, the database
named there (use yakuba_bench_reports) is dropped if it exists, created, and dropped again at the end.

Loads the demo town (12 districts over about 11 × 11 km, the report categories), adds `reports`
reports spread over it (bulk inserts; more around a few centres, as people report where they live
and drive), then asks the public GeoJSON endpoint for random viewports at three zoom levels and the
public list page with filters, through Django's test client (`DEBUG=false`): server time, no
network. Prints p50 / p95 / max in milliseconds, the features returned and the SQL queries per
request; `--explain` prints the plans of one map query per zoom level and of the list's (EXPLAIN
ANALYZE on PostgreSQL). `--proposed-index` first adds the index proposed in bench/README.md (public
reports, newest first) with Django's schema editor, as a migration would, to measure it. Also times
the staff statistics (`stats.report_statistics`, the last 12 months).
"""

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fresh_django

fresh_django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Index, Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from yakuba.modules.reports import queries, services, stats  # noqa: E402
from yakuba.modules.reports.models import Category, Report, Status  # noqa: E402
from yakuba.platform.places import demo as town  # noqa: E402
from yakuba.platform.places.models import District  # noqa: E402

BATCH = 5000
SEED = 2026
# Share of each category among reports (the demo's six everyday ones and the campaign).
CATEGORY_WEIGHTS = {
    "pothole": 30,
    "streetlight": 25,
    "dumping": 20,
    "fallen-tree": 10,
    "dead-animal": 8,
    "other": 5,
    "school-route": 2,
}
# Viewports (degrees of longitude × latitude) at the map's zoom levels on a phone or a desk.
# The map sends its zoom too: below queries.CLUSTER_BELOW_ZOOM it gets groups counted in SQL.
ZOOMS = {
    "whole town (z13)": (0.14, 0.11, 13),
    "one district (z15)": (0.033, 0.033, 15),
    "a few streets (z17)": (0.005, 0.004, 17),
}


def _status(generator: random.Random, age_days: int) -> tuple[str, timedelta | None]:
    """A realistic state for a report this old, and how long it took to close if it is closed."""
    closed_share = min(0.95, 0.2 + age_days / 120)
    if generator.random() >= closed_share:
        return (Status.IN_PROGRESS if generator.random() < 0.4 else Status.RECEIVED), None
    status = generator.choices(
        [Status.FIXED, Status.NOT_FIXABLE, Status.REFERRED], weights=[85, 8, 7]
    )[0]
    took = timedelta(hours=min(generator.expovariate(1 / 160), max(age_days, 1) * 24))
    return status, took


def _point(generator: random.Random, centres: list[tuple[float, float]]) -> tuple[float, float]:
    """70 % near one of the centres (≈ 700 m spread), the rest anywhere in the town."""
    if generator.random() < 0.7:
        latitude, longitude = generator.choice(centres)
        latitude = generator.gauss(latitude, 0.006)
        longitude = generator.gauss(longitude, 0.008)
    else:
        latitude = generator.uniform(town.SOUTH, town.NORTH)
        longitude = generator.uniform(town.WEST, town.EAST)
    latitude = min(max(latitude, town.SOUTH + 1e-6), town.NORTH - 1e-6)
    longitude = min(max(longitude, town.WEST + 1e-6), town.EAST - 1e-6)
    return round(latitude, 6), round(longitude, 6)


def _district_index(latitude: float, longitude: float) -> int:
    """The demo town's districts are a grid (places/demo.py): the cell is the district."""
    row = min(int((town.NORTH - latitude) / town.LAT_STEP), town.ROWS - 1)
    column = min(int((longitude - town.WEST) / town.LON_STEP), town.COLUMNS - 1)
    return row * town.COLUMNS + column


def generate(count: int) -> None:
    generator = random.Random(SEED)
    categories = {c.code: c for c in Category.objects.all()}
    codes = list(CATEGORY_WEIGHTS)
    weights = [CATEGORY_WEIGHTS[code] for code in codes]
    districts = {d.code: d for d in District.objects.all()}
    by_index = [districts[code] for code, *_rest in town.DISTRICTS]
    centres = [generator.choice(town.DISTRICTS) for _ in range(6)]
    centre_points = [
        town.point_in_tile(code, generator.uniform(0.2, 0.8), generator.uniform(0.2, 0.8))
        for code, *_rest in centres
    ]
    now = timezone.now()
    made = 0
    while made < count:
        batch = []
        for _ in range(min(BATCH, count - made)):
            category = categories[generator.choices(codes, weights=weights)[0]]
            latitude, longitude = _point(generator, centre_points)
            # Three years of reports, more of them recent.
            age_days = int(min(generator.expovariate(1 / 300), 3 * 365))
            created = now - timedelta(days=age_days, seconds=generator.randrange(86400))
            status, took = _status(generator, age_days)
            batch.append(
                Report(
                    category=category,
                    description="ベンチマーク用の通報です。",
                    latitude=latitude,
                    longitude=longitude,
                    district=by_index[_district_index(latitude, longitude)],
                    department_id=category.department_id,
                    status=status,
                    created_at=created,
                    closed_at=created + took if took is not None else None,
                    # About 5 % hidden by staff (abuse, personal data in the text).
                    is_hidden=generator.random() < 0.05,
                )
            )
        Report.objects.bulk_create(batch)
        made += len(batch)
    # About 5 % merged into another report (duplicates); the target stays public.
    ids = list(Report.objects.values_list("pk", flat=True))
    duplicates = generator.sample(ids, len(ids) // 20)
    merged = set(duplicates)
    targets = [pk for pk in ids if pk not in merged][:1000]
    for start in range(0, len(duplicates), BATCH):
        chunk = duplicates[start : start + BATCH]
        Report.objects.filter(pk__in=chunk).update(merged_into_id=generator.choice(targets))


def _percentile(timings: list[float], fraction: float) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def _viewport(generator: random.Random, width: float, height: float) -> str:
    """A viewport of this size centred somewhere in the town (the whole-town one stays centred)."""
    if width >= town.EAST - town.WEST:
        longitude, latitude = (town.WEST + town.EAST) / 2, (town.SOUTH + town.NORTH) / 2
    else:
        longitude = generator.uniform(town.WEST + width / 2, town.EAST - width / 2)
        latitude = generator.uniform(town.SOUTH + height / 2, town.NORTH - height / 2)
    return (
        f"{longitude - width / 2:.6f},{latitude - height / 2:.6f},"
        f"{longitude + width / 2:.6f},{latitude + height / 2:.6f}"
    )


def measure(client: Client, urls: list[str], *, features: bool) -> dict[str, Any]:
    client.get(urls[0])  # warm caches (templates, URL resolver, the connection)
    timings, counts, truncated = [], [], 0
    status = 200
    for url in urls:
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            status = response.status_code
        if features:
            data = response.json()
            counts.append(len(data["features"]))
            truncated += bool(data["truncated"])
    with CaptureQueriesContext(connection) as captured:
        client.get(urls[-1])
    return {
        "status": status,
        "p50": statistics.median(timings),
        "p95": _percentile(timings, 0.95),
        "max": max(timings),
        "queries": len(captured),
        "features": counts,
        "truncated": truncated,
    }


# The proposal (bench/README.md): public reports newest first, for the list's pages and the
# zoomed-out map, which both read public reports in that order and stop early.
PROPOSED_INDEX = Index(
    fields=["-created_at", "-id"],
    condition=Q(is_hidden=False, merged_into__isnull=True),
    name="reports_public_newest",
)


def explain_list(**filters: str) -> None:
    options: dict[str, Any] = {"analyze": True, "buffers": True} if fresh_django.IS_POSTGRES else {}
    print(queries.public_list(**filters)[:20].explain(**options))


def explain(bbox: str, zoom: int, **filters: str) -> None:
    """The plan of the map's main query: the groups when zoomed out, else the newest reports."""
    west, south, east, north = (float(v) for v in bbox.split(","))
    reports = (
        queries.filter_reports(services.public_reports(), **filters)
        .filter(latitude__isnull=False, longitude__isnull=False)
        .filter(latitude__range=(south, north), longitude__range=(west, east))
    )
    options: dict[str, Any] = {"analyze": True, "buffers": True} if fresh_django.IS_POSTGRES else {}
    if zoom < queries.CLUSTER_BELOW_ZOOM:
        print(queries.cluster_groups(reports, zoom=zoom).explain(**options))
        return
    newest = reports.order_by("-created_at", "-pk").values_list(
        "pk", "latitude", "longitude", "status", "created_at", "category__code"
    )
    print(newest[: queries.MAX_MAP_FEATURES + 1].explain(**options))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--explain", action="store_true", help="print the queries' plans")
    parser.add_argument("--proposed-index", action="store_true", help="measure with the index")
    args = parser.parse_args()
    try:
        call_command("migrate", verbosity=0)
        call_command("collectstatic", verbosity=0, interactive=False)
        call_command("load_demo_town", verbosity=0)
        start = time.perf_counter()
        generate(args.reports - Report.objects.count())
        if args.proposed_index:
            with connection.schema_editor() as editor:
                editor.add_index(Report, PROPOSED_INDEX)
            print(f"added index {PROPOSED_INDEX.name}")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        public = services.public_reports().count()
        print(
            f"{connection.vendor}: {Report.objects.count()} reports ({public} public) generated "
            f"in {time.perf_counter() - start:.1f} s"
        )
        generator = random.Random(SEED + 1)
        client = Client()
        cases: list[tuple[str, list[str], bool]] = []
        for label, (width, height, zoom) in ZOOMS.items():
            boxes = [_viewport(generator, width, height) for _ in range(args.rounds)]
            cases.append(
                (
                    f"map: {label}",
                    ["/reports/geojson/?" + urlencode({"bbox": b, "zoom": zoom}) for b in boxes],
                    True,
                )
            )
            cases.append(
                (
                    f"map: {label}, open potholes",
                    [
                        "/reports/geojson/?"
                        + urlencode(
                            {"bbox": b, "zoom": zoom, "status": "open", "category": "pothole"}
                        )
                        for b in boxes
                    ],
                    True,
                )
            )
        list_cases = {
            "list: first page": "/reports/",
            "list: open, one district": "/reports/?status=open&district=07",
            "list: fixed potholes, page 10": "/reports/?status=fixed&category=pothole&page=10",
            "list: page 2,000 (the last ones)": "/reports/?page=2000",
        }
        for label, url in list_cases.items():
            cases.append((label, [url] * max(args.rounds // 4, 20), False))
        print(f"{'case':44} {'p50':>6} {'p95':>6} {'max':>6} {'SQL':>4}  features")
        for label, urls, is_map in cases:
            result = measure(client, urls, features=is_map)
            counts = result["features"]
            shown = (
                f"median {statistics.median(counts):.0f}, {min(counts)}–{max(counts)}, "
                f"{result['truncated']} of {len(counts)} capped at {queries.MAX_MAP_FEATURES}"
                if counts
                else ""
            )
            print(
                f"{label:44} {result['p50']:6.1f} {result['p95']:6.1f} {result['max']:6.1f} "
                f"{result['queries']:>4}  {shown}"
                + ("" if result["status"] == 200 else f"  HTTP {result['status']}")
            )
        period = stats.default_period(timezone.localdate())
        timings = []
        for _ in range(6):
            start = time.perf_counter()
            figures = stats.report_statistics(period)
            timings.append((time.perf_counter() - start) * 1000)
        print(
            f"staff statistics, last 12 months ({figures.total} reports): "
            f"median {statistics.median(timings[1:]):.0f} ms, slowest {max(timings[1:]):.0f} ms"
        )
        if args.explain:
            print("\n--- list: first page")
            explain_list()
            for label, (width, height, zoom) in ZOOMS.items():
                print(f"\n--- {label}")
                explain(_viewport(generator, width, height), zoom)
            print("\n--- whole town, open potholes")
            width, height, zoom = ZOOMS["whole town (z13)"]
            explain(_viewport(generator, width, height), zoom, status="open", category="pothole")
    finally:
        fresh_django.drop_database()


if __name__ == "__main__":
    main()
