"""Place CSV import (all-or-nothing, with per-row validation) and point → district lookup.

Usage: .venv/bin/python bench/places_import.py [--rows 2000] [--lookups 10000]
Fresh SQLite database in a temporary folder (or DATABASE_URL). Loads the demo town, writes a CSV of
`rows` places (the demo's export, repeated with new IDs and jittered coordinates), imports it
(inserting), imports it again (updating), then times `find_district` on random points in the town.
"""

import argparse
import csv
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("YAKUBA_VAR_DIR", tempfile.mkdtemp(prefix="yakuba-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yakuba.config.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from yakuba.platform.places import services  # noqa: E402


def many_places_csv(rows: int) -> bytes:
    exported = services.export_places_csv().decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(exported))
    template = list(reader)
    fields = reader.fieldnames or []
    id_column, lat_column, lon_column = fields[0], None, None
    for name in fields:
        if "緯度" in name:
            lat_column = name
        if "経度" in name:
            lon_column = name
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    generator = random.Random(2026)
    for number in range(rows):
        row = dict(template[number % len(template)])
        row[id_column] = f"BENCH-{number:05d}"
        if lat_column and lon_column:
            row[lat_column] = f"{float(row[lat_column]) + generator.uniform(-0.002, 0.002):.6f}"
            row[lon_column] = f"{float(row[lon_column]) + generator.uniform(-0.002, 0.002):.6f}"
        writer.writerow(row)
    return out.getvalue().encode("utf-8-sig")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--lookups", type=int, default=10000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("load_demo_town", verbosity=0)
    data = many_places_csv(args.rows)
    for label in ("insert", "update"):
        start = time.perf_counter()
        result = services.import_places_csv(data, by=None)
        elapsed = time.perf_counter() - start
        print(f"import {args.rows} rows ({label}): {elapsed:.2f} s, errors: {len(result.errors)}")
    start = time.perf_counter()
    services.export_places_csv()
    print(f"export all places: {time.perf_counter() - start:.2f} s")
    generator = random.Random(7)
    points = [
        (generator.uniform(37.98, 38.08), generator.uniform(140.80, 140.93))
        for _ in range(args.lookups)
    ]
    services.find_district(*points[0])  # builds the prepared boundaries once
    start = time.perf_counter()
    found = sum(services.find_district(lat, lon) is not None for lat, lon in points)
    elapsed = time.perf_counter() - start
    print(
        f"find_district: {elapsed / args.lookups * 1e6:.0f} µs per lookup "
        f"({found}/{args.lookups} inside a district)"
    )


if __name__ == "__main__":
    main()
