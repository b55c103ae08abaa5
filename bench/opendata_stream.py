"""A 1,000,000-row open-data CSV: publish, download, preview and check it (issue 7).

Usage: .venv/bin/python bench/opendata_stream.py [--rows 1000000] [--rounds 3]
       [--standard public_facilities|aed_locations]
SQLite in a fresh temporary folder by default. With DATABASE_URL pointing at PostgreSQL, the database
named there (use yakuba_bench_opendata) is dropped if it exists, created, and dropped again at the end.
The stored files go to the temporary folder's media/ in both cases.

1. Writes `rows` rows of the standard (公共施設一覧 by default) to a temporary file, row by row:
   UTF-8 with a BOM and CRLF as the platform publishes (opendata/generate.py), 亘理町's code and
   addresses, points around the town hall (38.037, 140.853), the optional columns as sparse as in
   towns' real files.
2. Publishes it as a resource's first version with `services.publish_file`, given the open file
   (hashed and stored in chunks, as staff uploads are published).
3. Downloads it `rounds` times through the public download view (`opendata:download`, Django's test
   client, `DEBUG=false`, iterating `streaming_content`: the server's time, no network) and asks
   its preview page (`opendata:preview`, the first 20 rows) 20 times.
4. Checks the stored file against the standard with `tabular.read_table` + `validation.validate`,
   as a staff upload is checked.

For each step: wall time, throughput and the peak growth of this process's resident memory (RSS)
over its value when the step started, sampled every 2 ms by a thread (psutil). Constant memory means
a growth of a few MiB whatever the file's size; holding the file shows as its size.
"""

import argparse
import csv
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

# The stored copies of the file are as large as it is: a folder made here is removed at the end.
OWN_VAR_DIR = "YAKUBA_VAR_DIR" not in os.environ
sys.path.insert(0, str(Path(__file__).resolve().parent))
import fresh_django  # noqa: E402

fresh_django.setup()

import psutil  # noqa: E402
from django.core.files import File  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from yakuba.core.standard_datasets import standard_dataset  # noqa: E402
from yakuba.modules.opendata import services, tabular  # noqa: E402
from yakuba.modules.opendata.models import Resource, ResourceVersion  # noqa: E402
from yakuba.modules.opendata.validation import CheckResult, validate  # noqa: E402
from yakuba.platform.accounts.models import Department  # noqa: E402

SEED = 2026
MIB = 1024 * 1024
PREVIEW_ROUNDS = 20
# 亘理町: 全国地方公共団体コード with its check digit, and the town hall's position.
TOWN_CODE = "043613"
TOWN_NAME = "宮城県亘理町"
CENTRE = (38.037, 140.853)
# (町字, its reading, its romanisation, 町字ID's first digits)
AREAS = (
    ("字悠里", "ユウリ", "Yuri", "0001"),
    ("字下小路", "シモコウジ", "Shimokoji", "0002"),
    ("字中町", "ナカマチ", "Nakamachi", "0003"),
    ("逢隈中泉", "オオクマナカイズミ", "Okuma-Nakaizumi", "0101"),
    ("逢隈田沢", "オオクマタザワ", "Okuma-Tazawa", "0102"),
    ("逢隈鹿島", "オオクマカシマ", "Okuma-Kashima", "0103"),
    ("荒浜字中野", "アラハマナカノ", "Arahama-Nakano", "0201"),
    ("荒浜字築港通り", "アラハマチッコウドオリ", "Arahama-Chikkodori", "0202"),
    ("吉田字砂畑", "ヨシダスナハタ", "Yoshida-Sunahata", "0301"),
    ("吉田字大谷地", "ヨシダオオヤチ", "Yoshida-Oyachi", "0302"),
)
# (kind, its reading, in English, usable days, opening, closing)
KINDS = (
    ("集会所", "シュウカイジョ", "Community Hall", "月火水木金土日", "09:00", "21:00"),
    ("公園", "コウエン", "Park", "月火水木金土日", "", ""),
    ("児童館", "ジドウカン", "Children's Centre", "月火水木金土", "09:00", "18:00"),
    ("防災倉庫", "ボウサイソウコ", "Disaster Storehouse", "", "", ""),
    ("公衆トイレ", "コウシュウトイレ", "Public Toilet", "月火水木金土日", "", ""),
    ("運動場", "ウンドウジョウ", "Sports Ground", "火水木金土日", "08:30", "17:00"),
)
DESCRIPTIONS = (
    "地区の集会や行事に利用できます。",
    "利用の申し込みは生涯学習課へ。",
    "災害時の一時的な集合場所です。",
)
BARRIER_FREE = ("車椅子用トイレ;スロープ", "車椅子用トイレ", "多目的トイレ;点字ブロック;スロープ")


def facility_rows(count: int, columns: tuple[str, ...]) -> Iterator[list[str]]:
    """`count` facilities in the columns of `public_facilities` or `aed_locations`."""
    generator = random.Random(SEED)
    for number in range(1, count + 1):
        area, area_kana, area_romaji, area_id = generator.choice(AREAS)
        kind, kind_kana, kind_en, days, opens, closes = generator.choice(KINDS)
        block = f"{generator.randint(1, 250)}-{generator.randint(1, 30)}"
        values = {
            "全国地方公共団体コード": TOWN_CODE,
            "ID": f"{number:07d}",
            "地方公共団体名": TOWN_NAME,
            "名称": f"{area}第{number}{kind}",
            "名称_カナ": f"{area_kana}ダイ{number}{kind_kana}",
            "名称_英語": f"{area_romaji} {kind_en} No. {number}",
            "所在地_全国地方公共団体コード": TOWN_CODE,
            "町字ID": f"{area_id}000",
            "所在地_連結表記": f"宮城県亘理郡亘理町{area}{block}",
            "所在地_都道府県": "宮城県",
            "所在地_市区町村": "亘理郡亘理町",
            "所在地_町字": area,
            "所在地_番地以下": block,
            "緯度": f"{generator.gauss(CENTRE[0], 0.015):.6f}",
            "経度": f"{generator.gauss(CENTRE[1], 0.02):.6f}",
            "電話番号": f"0223-{generator.randint(32, 36)}-{generator.randint(0, 9999):04d}"
            if generator.random() < 0.4
            else "",
            "団体名": "亘理町",
            "利用可能曜日": days,
            "開始時間": opens,
            "終了時間": closes,
            "利用可能日時特記事項": "年末年始は休み" if opens and generator.random() < 0.3 else "",
            "説明": generator.choice(DESCRIPTIONS) if generator.random() < 0.2 else "",
            "バリアフリー情報": generator.choice(BARRIER_FREE) if generator.random() < 0.2 else "",
            "設置位置": "玄関ホール",
            "小児対応設備の有無": "有" if generator.random() < 0.5 else "無",
        }
        yield [values.get(name, "") for name in columns]


def write_csv(path: Path, count: int, columns: tuple[str, ...]) -> None:
    """The rows written one at a time, as the platform publishes CSV (BOM, CRLF)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(columns)
        for row in facility_rows(count, columns):
            writer.writerow(row)


class PeakMemory:
    """The peak growth of this process's RSS while the block runs, sampled by a thread."""

    def __init__(self, interval: float = 0.002) -> None:
        self.process = psutil.Process()
        self.interval = interval
        self.baseline = self.peak = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self.stopped.wait(self.interval):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> "PeakMemory":
        self.baseline = self.peak = self.process.memory_info().rss
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stopped.set()
        self.thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def growth_mib(self) -> float:
        return (self.peak - self.baseline) / MIB


@dataclass
class Step:
    name: str
    seconds: float
    throughput: str
    growth_mib: float
    first_byte_ms: float | None = None


def download(client: Client, url: str, size: int) -> Step:
    with PeakMemory() as memory:
        start = time.perf_counter()
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        first_byte: float | None = None
        received = 0
        for chunk in response.streaming_content:  # type: ignore[attr-defined]
            if first_byte is None:
                first_byte = time.perf_counter() - start
            received += len(chunk)
        response.close()
        seconds = time.perf_counter() - start
    assert received == size, (received, size)
    return Step(
        "download",
        seconds,
        f"{size / MIB / seconds:,.0f} MiB/s",
        memory.growth_mib,
        (first_byte or 0) * 1000,
    )


def publish(resource: Resource, path: Path, rows: int) -> tuple[Step, ResourceVersion]:
    """`publish_file` from the open file: SHA-256 and storage in chunks."""
    size = path.stat().st_size
    with PeakMemory() as memory, path.open("rb") as handle:
        start = time.perf_counter()
        version = services.publish_file(resource, File(handle), note="bench", row_count=rows)
        seconds = time.perf_counter() - start
    assert version is not None
    step = Step(
        "publish_file (the open file)",
        seconds,
        f"{size / MIB / seconds:,.0f} MiB/s",
        memory.growth_mib,
    )
    return step, version


def check(version: ResourceVersion, standard_code: str) -> tuple[list[Step], CheckResult]:
    """The upload check on the stored file, and reading alone for comparison. A file over
    tabular's size cap is refused during the encoding scan; the refusal is printed and the cap
    lifted for this run, to measure the check."""
    standard = standard_dataset(standard_code)
    suffix = ""
    if version.size > tabular.MAX_FILE_BYTES:
        with version.file.open("rb") as handle:
            start = time.perf_counter()
            try:
                tabular.read_table(handle, "bench.csv")
            except tabular.TableError as error:
                print(
                    f"read_table refused the file after {time.perf_counter() - start:.2f} s: {error}"
                )
        tabular.MAX_FILE_BYTES = version.size
        suffix = " (size cap lifted)"

    def measure(label: str, consume: Callable[[tabular.Table], int]) -> Step:
        with PeakMemory() as memory:
            start = time.perf_counter()
            with version.file.open("rb") as handle:
                table = tabular.read_table(handle, "bench.csv")
                header_seconds = time.perf_counter() - start
                rows = consume(table)
            seconds = time.perf_counter() - start
        return Step(
            label + suffix,
            seconds,
            f"{rows / seconds:,.0f} rows/s",
            memory.growth_mib,
            header_seconds * 1000,
        )

    results: list[CheckResult] = []

    def check_rows(table: tabular.Table) -> int:
        results.append(validate(table, standard))
        return results[-1].row_count

    steps = [
        measure("read_table, rows only", lambda table: sum(1 for _row in table.rows)),
        measure("read_table + validate", check_rows),
    ]
    return steps, results[-1]


def preview(client: Client, url: str) -> Step:
    timings = []
    with PeakMemory() as memory:
        for _ in range(PREVIEW_ROUNDS):
            start = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - start)
            assert response.status_code == 200, response.status_code
    median = statistics.median(timings)
    return Step(
        f"preview page (median of {PREVIEW_ROUNDS}, slowest {max(timings) * 1000:.1f} ms)",
        median,
        "",
        memory.growth_mib,
        median * 1000,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="downloads of the whole file")
    parser.add_argument("--standard", default="public_facilities")
    args = parser.parse_args()
    standard = standard_dataset(args.standard)
    folder = Path(tempfile.mkdtemp(prefix="yakuba-bench-csv-"))
    path = folder / f"{args.standard}.csv"
    try:
        call_command("migrate", verbosity=0)
        call_command("collectstatic", verbosity=0, interactive=False)
        call_command("load_demo_town", verbosity=0)
        print(
            f"{connection.vendor}, load average {os.getloadavg()[0]:.2f}, "
            f"RSS {psutil.Process().memory_info().rss / MIB:.0f} MiB"
        )

        with PeakMemory() as memory:
            start = time.perf_counter()
            write_csv(path, args.rows, standard.column_names())
            seconds = time.perf_counter() - start
        size = path.stat().st_size
        steps = [
            Step(
                f"generate {args.rows:,} rows, {size / MIB:,.1f} MiB",
                seconds,
                f"{args.rows / seconds:,.0f} rows/s",
                memory.growth_mib,
            )
        ]

        department, _created = Department.objects.get_or_create(
            code="bench-opendata", defaults={"name": "総務課"}
        )
        dataset = services.save_dataset(
            by=None,
            name=f"bench-{args.standard.replace('_', '-')}",
            title=standard.title,
            department=department,
            standard=args.standard,
        )
        resource = services.add_resource(
            dataset, by=None, name=standard.title, file_format=Resource.Format.CSV
        )
        step, version = publish(resource, path, args.rows)
        steps.append(step)
        services.publish_dataset(dataset, by=None)

        client = Client()
        download_url = reverse("opendata:download", args=[resource.pk])
        # Warms the view (URL resolver, middleware) without the body; the ETag must match.
        unchanged = client.get(download_url, headers={"if-none-match": f'"{version.sha256}"'})
        assert unchanged.status_code == 304, unchanged.status_code
        steps += [download(client, download_url, version.size) for _ in range(args.rounds)]
        steps.append(preview(client, reverse("opendata:preview", args=[resource.pk])))
        checked, result = check(version, args.standard)
        steps += checked

        print(f"{'step':58} {'ms to 1st':>9} {'total s':>8} {'throughput':>14} {'RSS +MiB':>9}")
        for step in steps:
            first = f"{step.first_byte_ms:9.1f}" if step.first_byte_ms is not None else " " * 9
            print(
                f"{step.name:58} {first} {step.seconds:8.2f} {step.throughput:>14} "
                f"{step.growth_mib:9.1f}"
            )
        print(
            f"check: {result.row_count:,} rows, {result.error_count} errors, "
            f"{result.warning_count} warnings ('ms to 1st' = header read, after the encoding scan)"
        )
        for problem in result.problems[:5]:
            print(f"  {problem}")
        print(
            f"load average after: {os.getloadavg()[0]:.2f}, "
            f"RSS {psutil.Process().memory_info().rss / MIB:.0f} MiB"
        )
    finally:
        shutil.rmtree(folder)
        fresh_django.drop_database()
        if OWN_VAR_DIR:
            shutil.rmtree(os.environ["YAKUBA_VAR_DIR"])


if __name__ == "__main__":
    main()
