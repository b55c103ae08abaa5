"""Facility reservations (issue 4): the availability month view for 50 facilities with a year of
bookings, alone and under load; and many simultaneous attempts on one slot, of which exactly one
may win.

Usage: .venv/bin/python bench/reservations.py [--facilities 50] [--rounds 50] [--requests 600]
       [--clients 4] [--workers 2] [--threads 4] [--attempts 500]
SQLite in a fresh temporary folder by default. With DATABASE_URL pointing at PostgreSQL, the database
named there (use yakuba_bench_reservations) is dropped if it exists, created, and dropped again at
the end.

Loads the demo town, then adds `facilities` facilities (six in ten meeting rooms booked by 午前・
午後・夜間, two in ten gyms booked in 30-minute steps as the whole floor or either half, two in
ten pairs of tennis courts booked by the hour) and a year of their bookings, half past and half to
come, at about 70 % of their opening time, with a closed day (点検) a month each. Bulk inserts: the
database's guard against overlaps (migration 0002) checks every row all the same.

(a) The month view. First through Django's test client (`DEBUG=false`: server time, no network,
one request at a time): the resident's facility page with its month calendar
(/reservations/facilities/<code>/?month=), the API's month of availability
(/api/reservations/facilities/<code>/availability) and `availability.days` alone, each for a
random facility and one of the three months that can be booked. Then under load: a server in its
own processes (`--workers` processes of `--threads` threads, as gunicorn's gthread workers; the
WSGI app is timed inside the server) and `--clients` client processes asking one request after
another for `--requests` in all: server time p50 / p95, and requests per second.

(b) `--attempts` residents, each signed in with their own session (force_login cookies: hashing
500 passwords would measure the hasher), try to book the same slot through the API at the same
moment: client threads in 5 processes released by one barrier, each on a new connection, against
the same server. Exactly one 201, all the others 409 "already taken", one booking and its
occupancy in the database; the time from the release to the last answer. `--threads 0` runs the
server with a thread for every connection instead (Django's own ThreadedWSGIServer): on SQLite all
the attempts then wait for the write lock at once (`busy_timeout`); on PostgreSQL they would need
more connections than the server allows.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SERVING = sys.argv[1:2] == ["--serve"]

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fresh_django  # noqa: E402

if SERVING:
    # The server's processes use the parent's database as it stands (same environment).
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
else:
    fresh_django.setup()

import datetime as dt  # noqa: E402

import requests  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.servers.basehttp import (  # noqa: E402
    ThreadedWSGIServer,
    WSGIRequestHandler,
    WSGIServer,
)
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.middleware.csrf import get_token  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from yakuba.modules.reservations import availability, calendar  # noqa: E402
from yakuba.modules.reservations.models import (  # noqa: E402
    Booking,
    BookingMode,
    Closure,
    Facility,
    FacilityKind,
    FeeSchedule,
    Occupancy,
    Purpose,
    Unit,
)
from yakuba.platform.accounts.models import Department, ResidentProfile, User  # noqa: E402
from yakuba.platform.places.models import District, Place  # noqa: E402

SEED = 2026
BATCH = 5000
UTILISATION = 0.7
PORT_RANGE = (20000, 60000)
TAKEN = "すでに予約が入っています"
WARM_UP = "warm-up=1"
SLOTS = [
    {"code": "am", "label": "午前", "label_en": "Morning", "start": "09:00", "end": "12:00"},
    {"code": "pm", "label": "午後", "label_en": "Afternoon", "start": "13:00", "end": "17:00"},
    {"code": "night", "label": "夜間", "label_en": "Evening", "start": "18:00", "end": "21:30"},
]
WEEKDAYS = (*calendar.WEEKDAY_KEYS, calendar.HOLIDAY_KEY)


# --- the data -------------------------------------------------------------------------------------


def _facility(index: int, place: Place, department: Department) -> Facility:
    """Six in ten rooms, two in ten gyms (whole floor + halves), two in ten court pairs."""
    kind = ("room",) * 6 + ("gym",) * 2 + ("court",) * 2
    shape = kind[index % 10]
    common: dict[str, Any] = {
        "place": place,
        "department": department,
        "code": f"bench-{index:03d}",
        "max_bookings_per_month": 0,
        "order": index,
    }
    if shape == "room":
        facility = Facility.objects.create(
            name=f"会議室{index}",
            kind=FacilityKind.ROOM,
            purposes=[Purpose.MEETING],
            capacity=30,
            mode=BookingMode.SLOTS,
            fixed_slots=SLOTS,
            opening_hours={key: ["09:00", "21:30"] for key in WEEKDAYS if key != "mon"},
            **common,
        )
        Unit.objects.create(facility=facility, code="room", name="全室")
        rates: dict[str, Any] = {
            "room": {"per": "slot", "prices": {"am": 500, "pm": 700, "night": 800}}
        }
    elif shape == "gym":
        facility = Facility.objects.create(
            name=f"体育館{index}",
            kind=FacilityKind.GYM,
            purposes=[Purpose.SPORTS],
            capacity=300,
            mode=BookingMode.FREE,
            step_minutes=30,
            min_minutes=60,
            max_minutes=240,
            opening_hours={key: ["09:00", "21:00"] for key in WEEKDAYS},
            **common,
        )
        whole = Unit.objects.create(facility=facility, code="whole", name="全面", order=0)
        for order, code in enumerate(("half-a", "half-b"), start=1):
            Unit.objects.create(
                facility=facility,
                parent=whole,
                code=code,
                name=f"半面{code[-1].upper()}",
                order=order,
            )
        rates = {
            "whole": {"per": "hour", "price": 1000},
            "half-a": {"per": "hour", "price": 500},
            "half-b": {"per": "hour", "price": 500},
        }
    else:
        facility = Facility.objects.create(
            name=f"テニスコート{index}",
            kind=FacilityKind.COURT,
            purposes=[Purpose.SPORTS],
            capacity=8,
            mode=BookingMode.FREE,
            step_minutes=60,
            min_minutes=60,
            max_minutes=120,
            opening_hours={key: ["08:00", "20:00"] for key in WEEKDAYS},
            **common,
        )
        for order, code in enumerate(("court-a", "court-b")):
            Unit.objects.create(facility=facility, code=code, name=code, order=order)
        rates = {
            "court-a": {"per": "hour", "price": 300},
            "court-b": {"per": "hour", "price": 300},
        }
    FeeSchedule.objects.create(
        facility=facility,
        version=1,
        valid_from=dt.date(2024, 4, 1),
        rules={"rates": rates, "non_resident_factor": 2},
    )
    return facility


def _ranges(
    generator: random.Random, opens: dt.datetime, closes: dt.datetime, lengths: list[int]
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Back-to-back periods from opening to closing, of the given lengths in minutes."""
    found = []
    start = opens
    while start < closes:
        end = min(start + dt.timedelta(minutes=generator.choice(lengths)), closes)
        if end - start < dt.timedelta(minutes=min(lengths)):
            break
        found.append((start, end))
        start = end
    return found


def _uses(
    facility: Facility, units: list[Unit], day: dt.date, generator: random.Random
) -> list[tuple[Unit, dt.datetime, dt.datetime]]:
    """The bookings of one open day, at about UTILISATION of the time."""
    by_code = {unit.code: unit for unit in units}
    hours = calendar.opening(facility, day)
    assert hours is not None
    uses = []
    if facility.mode == BookingMode.SLOTS:
        for period in calendar.periods(facility, day):
            if generator.random() < UTILISATION:
                uses.append((by_code["room"], period.start, period.end))
    elif "whole" in by_code:
        for start, end in _ranges(generator, *hours, [60, 90, 120, 180]):
            draw = generator.random()
            if draw < UTILISATION * 0.3:
                uses.append((by_code["whole"], start, end))
            elif draw < UTILISATION * 0.9:
                uses.extend((by_code[half], start, end) for half in ("half-a", "half-b"))
            elif draw < UTILISATION * 1.2:
                uses.append((by_code[generator.choice(["half-a", "half-b"])], start, end))
    else:
        for unit in units:
            for start, end in _ranges(generator, *hours, [60, 120]):
                if generator.random() < UTILISATION:
                    uses.append((unit, start, end))
    return uses


def generate(count: int) -> dict[str, Any]:
    """`count` facilities and a year of their bookings and closures (bulk inserts)."""
    generator = random.Random(SEED)
    department = Department.objects.get(code="chomin")
    places = list(Place.objects.filter(kind="facility").order_by("code"))
    users = list(User.objects.filter(is_staff=False).values_list("pk", flat=True))
    today = calendar.today()
    first, last = today - dt.timedelta(days=182), today + dt.timedelta(days=182)
    bookings: list[Booking] = []
    leaves_of: list[set[int]] = []
    closures: list[tuple[Closure, set[int]]] = []
    open_minutes = booked_minutes = 0
    for index in range(count):
        facility = _facility(index, places[index % len(places)], department)
        units = list(facility.units.all())
        leaves = availability.leaf_ids(units)
        leaf_count = len(set().union(*leaves.values()))
        day = first
        while day <= last:
            hours = calendar.opening(facility, day)
            if hours is not None and day.day == 1 + index % 28:
                # A closed day a month (点検): no bookings that day.
                closure = Closure(
                    facility=facility, kind=Closure.Kind.MAINTENANCE, start=hours[0], end=hours[1]
                )
                closures.append((closure, set().union(*leaves.values())))
            elif hours is not None:
                # What can be booked: the slots of a room, the opening hours of the others.
                bookable = (
                    sum((p.end - p.start for p in calendar.periods(facility, day)), dt.timedelta())
                    if facility.mode == BookingMode.SLOTS
                    else hours[1] - hours[0]
                )
                open_minutes += bookable // dt.timedelta(minutes=1) * leaf_count
                for unit, start, end in _uses(facility, units, day, generator):
                    booked_minutes += (
                        (end - start) // dt.timedelta(minutes=1) * len(leaves[unit.pk])
                    )
                    bookings.append(
                        Booking(
                            facility=facility,
                            unit=unit,
                            start=start,
                            end=end,
                            user_id=generator.choice(users),
                            contact_name="ベンチ 利用者",
                            purpose=facility.purposes[0],
                            attendees=generator.randint(2, 30),
                            fee_amount=0,
                            created_at=start - dt.timedelta(days=generator.randint(1, 90)),
                            updated_at=start - dt.timedelta(days=1),
                        )
                    )
                    leaves_of.append(leaves[unit.pk])
            day += dt.timedelta(days=1)
    for offset in range(0, len(bookings), BATCH):
        Booking.objects.bulk_create(bookings[offset : offset + BATCH])
    Closure.objects.bulk_create([closure for closure, _leaves in closures])
    occupancies = [
        Occupancy(unit_id=leaf, start=b.start, end=b.end, booking=b)
        for b, leaves in zip(bookings, leaves_of, strict=True)
        for leaf in leaves
    ] + [
        Occupancy(unit_id=leaf, start=c.start, end=c.end, closure=c)
        for c, leaves in closures
        for leaf in leaves
    ]
    # Latest first: SQLite's trigger then finds no earlier row of the unit to compare with
    # (it walks the unit's rows that start before the new row ends).
    occupancies.sort(key=lambda o: o.start, reverse=True)
    for offset in range(0, len(occupancies), BATCH):
        Occupancy.objects.bulk_create(occupancies[offset : offset + BATCH])
    return {
        "bookings": len(bookings),
        "occupancies": len(occupancies),
        "closures": len(closures),
        "utilisation": booked_minutes / open_minutes,
    }


# --- measuring one request at a time --------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):7.1f} {_percentile(values, 0.95):7.1f} {max(values):7.1f}"


def month_cases(generator: random.Random, rounds: int) -> list[tuple[Facility, dt.date]]:
    """A random facility and one of the three months residents can book (this one and the next
    two), `rounds` times."""
    facilities = list(Facility.objects.filter(code__startswith="bench-"))
    this_month = calendar.today().replace(day=1)
    return [
        (generator.choice(facilities), calendar.months_before(this_month, -generator.randint(0, 2)))
        for _ in range(rounds)
    ]


def _month_end(first: dt.date) -> dt.date:
    return calendar.months_before(first, -1) - dt.timedelta(days=1)


def page_url(facility: Facility, first: dt.date) -> str:
    return f"/reservations/facilities/{facility.code}/?month={first:%Y-%m}"


def api_url(facility: Facility, first: dt.date) -> str:
    return (
        f"/api/reservations/facilities/{facility.code}/availability"
        f"?from={first}&to={_month_end(first)}"
    )


def measure_alone(rounds: int) -> None:
    """Server time of one request at a time: Django's test client, no network."""
    client = Client()
    cases = month_cases(random.Random(SEED + 1), rounds)
    print(f"\n{'(a) one request at a time, ms':52} {'p50':>7} {'p95':>7} {'max':>7} {'SQL':>4}")
    for label, url in (
        ("resident page with the month calendar", page_url),
        ("API availability, a month", api_url),
    ):
        client.get(url(*cases[0]))  # warm caches (templates, URL resolver, the connection)
        timings = []
        for facility, first in cases:
            start = time.perf_counter()
            response = client.get(url(facility, first))
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url(facility, first), response.status_code)
        queries = _count_queries(client, url(*cases[0]))
        print(f"{label:52} {_summary(timings)} {queries:>4}")
    by_mode: dict[str, list[float]] = {BookingMode.SLOTS: [], BookingMode.FREE: []}
    for facility, first in cases:
        start = time.perf_counter()
        availability.days(facility, first, _month_end(first), resident=True)
        by_mode[facility.mode].append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as captured:
        availability.days(cases[0][0], cases[0][1], _month_end(cases[0][1]), resident=True)
    everything = [ms for timings in by_mode.values() for ms in timings]
    print(f"{'availability.days, a month':52} {_summary(everything)} {len(captured):>4}")
    print(f"{'  of a room (3 slots a day)':52} {_summary(by_mode[BookingMode.SLOTS])}")
    print(
        f"{'  of a gym or courts (30- or 60-minute steps)':52} {_summary(by_mode[BookingMode.FREE])}"
    )


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured)


# --- the server -----------------------------------------------------------------------------------


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class PooledWSGIServer(WSGIServer):
    """A fixed pool of threads, as a production server has: requests beyond it wait in the
    listen queue. Every process binds the same port (SO_REUSEPORT); the kernel shares the
    connections out between them."""

    request_queue_size = 2048
    allow_reuse_port = True

    def __init__(self, address: tuple[str, int], threads: int) -> None:
        super().__init__(address, QuietHandler)
        self.pool = ThreadPoolExecutor(threads)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.pool.submit(self._serve, request, client_address)

    def _serve(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)


class UnboundedWSGIServer(ThreadedWSGIServer):
    """A thread for every connection (Django's runserver and test live server)."""

    request_queue_size = 2048
    allow_reuse_port = True


def _timed(app: Any, timings: list[tuple[str, int, float]]) -> Any:
    """The WSGI app, timing each request from its arrival to its last byte (but warm-ups:
    requests whose query ends with WARM_UP)."""

    def timed_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        started = time.perf_counter()
        status = []

        def remember(code: str, headers: Any, exc_info: Any = None) -> Any:
            status.append(int(code.split()[0]))
            return start_response(code, headers, exc_info)

        result = app(environ, remember)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
            if not environ.get("QUERY_STRING", "").endswith(WARM_UP):
                timings.append(
                    (
                        environ["PATH_INFO"],
                        status[0] if status else 0,
                        time.perf_counter() - started,
                    )
                )
        return [body]

    return timed_app


def serve(port: int, workers: int, threads: int, timings_path: str) -> None:
    """The server process (`--serve`): `workers` processes; each writes its timings to
    `timings_path`.N when it is told to stop (SIGTERM)."""
    children = []
    for index in range(workers):
        pid = os.fork()
        if pid == 0:
            timings: list[tuple[str, int, float]] = []

            def stop(*_args: Any, index: int = index, timings: list[Any] = timings) -> None:
                Path(f"{timings_path}.{index}").write_text(json.dumps(timings))
                os._exit(0)

            signal.signal(signal.SIGTERM, stop)
            app = _timed(get_wsgi_application(), timings)
            # 409 and 422 are answers here, not incidents worth a log line each; 500s still show.
            logging.getLogger("django.request").setLevel(logging.ERROR)
            server: WSGIServer = (
                PooledWSGIServer(("127.0.0.1", port), threads)
                if threads
                else UnboundedWSGIServer(("127.0.0.1", port), QuietHandler)
            )
            server.set_app(app)
            server.serve_forever()
        children.append(pid)

    def stop_all(*_args: Any) -> None:
        for pid in children:
            os.kill(pid, signal.SIGTERM)
        for pid in children:
            os.waitpid(pid, 0)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop_all)
    while True:
        signal.pause()


class Server:
    """The server in its own processes, started from this script with `--serve`."""

    def __init__(self, workers: int, threads: int) -> None:
        self.port = _free_port()
        self.timings_path = os.path.join(os.environ["YAKUBA_VAR_DIR"], f"timings-{self.port}")
        self.workers = workers
        environment = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1,testserver"}
        self.process = subprocess.Popen(  # noqa: S603 - this script, with our arguments
            [
                sys.executable,
                __file__,
                "--serve",
                str(self.port),
                str(workers),
                str(threads),
                self.timings_path,
            ],
            env=environment,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(600):
            try:
                requests.get(f"{self.url}/api/reservations/facilities?{WARM_UP}", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            raise RuntimeError("The server did not start.")

    def stop(self) -> list[tuple[str, int, float]]:
        """Stop it and return every request's (path, status, seconds)."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        timings: list[tuple[str, int, float]] = []
        for index in range(self.workers):
            path = Path(f"{self.timings_path}.{index}")
            timings.extend(
                (path_info, status, seconds)
                for path_info, status, seconds in json.loads(path.read_text())
            )
            path.unlink()
        return timings


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- (a) under load -------------------------------------------------------------------------------


def _client(base: str, urls: list[str], results: Any) -> None:
    """One client process: its share of the requests, one after another."""
    session = requests.Session()
    latencies = []
    failures = 0
    for url in urls:
        start = time.perf_counter()
        response = session.get(base + url, headers={"Connection": "close"}, timeout=120)
        latencies.append(time.perf_counter() - start)
        failures += response.status_code != 200
    results.put((latencies, failures))


def measure_under_load(args: argparse.Namespace) -> None:
    cases = month_cases(random.Random(SEED + 2), args.requests)
    print(
        f"\n(a) under load: {args.clients} clients, server {args.workers} processes × "
        f"{args.threads} threads, {args.requests} requests of each view"
    )
    print(
        f"{'':44} {'server p50':>10} {'p95':>7} {'client p50':>10} {'p95':>7} {'req/s':>7} "
        f"{'errors':>6}  load"
    )
    for label, url in (
        ("resident page with the month calendar", page_url),
        ("API availability, a month", api_url),
    ):
        urls = [url(facility, first) for facility, first in cases]
        server = Server(args.workers, args.threads)
        for warm in urls[: args.workers * args.threads * 2]:
            requests.get(
                f"{server.url}{warm}&{WARM_UP}", headers={"Connection": "close"}, timeout=60
            )
        context = multiprocessing.get_context("fork")
        results = context.Queue()
        connections.close_all()
        started = time.perf_counter()
        clients = [
            context.Process(target=_client, args=(server.url, urls[i :: args.clients], results))
            for i in range(args.clients)
        ]
        for process in clients:
            process.start()
        latencies: list[float] = []
        failures = 0
        for _ in clients:
            got, failed = results.get(timeout=3600)
            latencies.extend(got)
            failures += failed
        elapsed = time.perf_counter() - started
        for process in clients:
            process.join()
        load = os.getloadavg()[0]
        served = [seconds * 1000 for _path, _status, seconds in server.stop()]
        client_ms = [seconds * 1000 for seconds in latencies]
        print(
            f"{label:44} {statistics.median(served):10.1f} {_percentile(served, 0.95):7.1f} "
            f"{statistics.median(client_ms):10.1f} {_percentile(client_ms, 0.95):7.1f} "
            f"{len(urls) / elapsed:7.1f} {failures:>6}  {load:.1f}"
        )


# --- (b) one slot, many at once -------------------------------------------------------------------


def _signed_in(users: list[User]) -> list[dict[str, str]]:
    """Cookies of a session for each user (force_login) and a CSRF cookie and token."""
    sessions = []
    factory = RequestFactory()
    for user in users:
        client = Client()
        client.force_login(user)
        request = factory.get("/")
        token = get_token(request)
        sessions.append(
            {
                "sessionid": client.cookies["sessionid"].value,
                "csrftoken": request.META["CSRF_COOKIE"],
                "token": token,
            }
        )
    return sessions


def _attempts(
    url: str, sessions: list[dict[str, str]], body: dict[str, Any], barrier: Any, results: Any
) -> None:
    """One client process: a thread for each session, all released by `barrier`."""

    def attempt(session: dict[str, str]) -> None:
        cookies = {"sessionid": session["sessionid"], "csrftoken": session["csrftoken"]}
        headers = {"X-CSRFToken": session["token"], "Connection": "close"}
        barrier.wait(timeout=300)
        start = time.perf_counter()
        try:
            response = requests.post(url, json=body, cookies=cookies, headers=headers, timeout=600)
            answer = (
                response.json()
                if response.headers.get("Content-Type", "").startswith("application/json")
                else {}
            )
            results.put(
                (
                    response.status_code,
                    answer.get("code", ""),
                    answer.get("detail", ""),
                    start,
                    time.perf_counter(),
                )
            )
        except requests.RequestException as error:
            results.put((0, "", repr(error), start, time.perf_counter()))

    threads = [threading.Thread(target=attempt, args=(session,)) for session in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def one_slot(args: argparse.Namespace, threads: int, index: int) -> None:
    """(b): a meeting room (`_facility` makes index 900 one) nobody has booked yet."""
    place = Place.objects.filter(kind="facility").order_by("code").first()
    assert place is not None
    target = _facility(index, place, Department.objects.get(code="chomin"))
    day = calendar.today() + dt.timedelta(days=14)
    while calendar.opening(target, day) is None:
        day += dt.timedelta(days=1)
    district = District.objects.first()
    people = User.objects.bulk_create(
        User(email=f"attempt{n:04d}-{index}@example.jp", is_demo=True) for n in range(args.attempts)
    )
    ResidentProfile.objects.bulk_create(
        ResidentProfile(user=user, family_name="予約", given_name=f"{n}", district=district)
        for n, user in enumerate(people)
    )
    sessions = _signed_in(people)
    body = {
        "facility": target.code,
        "unit": "room",
        "start": f"{day}T09:00:00+09:00",
        "end": f"{day}T12:00:00+09:00",
        "purpose": "meeting",
        "attendees": 10,
    }
    server = Server(args.workers, threads)
    url = f"{server.url}/api/reservations/bookings"
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(args.attempts)
    results = context.Queue()
    processes_count = 5
    connections.close_all()
    clients = [
        context.Process(
            target=_attempts, args=(url, sessions[i::processes_count], body, barrier, results)
        )
        for i in range(processes_count)
    ]
    load_before = os.getloadavg()[0]
    for process in clients:
        process.start()
    answers = [results.get(timeout=3600) for _ in range(args.attempts)]
    for process in clients:
        process.join()
    server.stop()
    released = min(answer[3] for answer in answers)
    statuses: dict[int, int] = {}
    for status, *_rest in answers:
        statuses[status] = statuses.get(status, 0) + 1
    taken = sum(
        1
        for status, code, detail, *_t in answers
        if status == 409 and code == "taken" and TAKEN in detail
    )
    winner = [answer for answer in answers if answer[0] == 201]
    latencies = [(answer[4] - answer[3]) * 1000 for answer in answers]
    bookings = Booking.objects.filter(facility=target)
    occupancies = Occupancy.objects.filter(booking__facility=target).count()
    server_kind = (
        f"{args.workers} × {threads} threads"
        if threads
        else f"{args.workers} × a thread per connection"
    )
    print(
        f"\n(b) {args.attempts} attempts on one slot, server {server_kind}: answers {dict(sorted(statuses.items()))}, "
        f"409 'already taken': {taken}; in the database {bookings.count()} booking, "
        f"{occupancies} occupancy"
    )
    print(
        f"    all answered {max(a[4] for a in answers) - released:.2f} s after the release; "
        f"the winner after {(winner[0][4] - released) if winner else float('nan'):.2f} s; "
        f"each attempt p50 {statistics.median(latencies):.0f} ms, p95 {_percentile(latencies, 0.95):.0f} ms; "
        f"load {load_before:.1f} → {os.getloadavg()[0]:.1f}"
    )
    others = {detail for status, _code, detail, *_t in answers if status not in (201, 409)}
    if others:
        print(f"    other answers: {sorted(others)[:3]}")


# --- main -----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--facilities", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--attempts", type=int, default=500)
    args = parser.parse_args()
    try:
        print(f"{connection.vendor}: load average {os.getloadavg()[0]:.1f} at the start")
        call_command("migrate", verbosity=0)
        call_command("collectstatic", verbosity=0, interactive=False)
        call_command("load_demo_town", verbosity=0)
        start = time.perf_counter()
        made = generate(args.facilities)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if fresh_django.IS_POSTGRES else "ANALYZE")
        print(
            f"{args.facilities} facilities: {made['bookings']:,} bookings, "
            f"{made['occupancies']:,} occupancies, {made['closures']} closed days over a year, "
            f"utilisation {made['utilisation']:.0%}; generated in {time.perf_counter() - start:.1f} s"
        )
        measure_alone(args.rounds)
        measure_under_load(args)
        one_slot(args, args.threads, 900)
        if not fresh_django.IS_POSTGRES:
            one_slot(args, 0, 901)
    finally:
        fresh_django.drop_database()


if __name__ == "__main__":
    if SERVING:
        serve(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        main()
