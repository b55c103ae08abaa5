"""`make demo`'s last step: web server, worker and mail catcher start together and stop together."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def children_of(pid: int) -> list[int]:
    out = subprocess.run(  # noqa: S603
        ["ps", "--ppid", str(pid), "-o", "pid="],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return [int(line) for line in out.split()]


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = (
        Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}").exists() else ""
    )
    return state != "Z"


@pytest.fixture
def demo_environment(tmp_path: Path) -> Iterator[dict[str, str]]:
    leave_out = {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {k: v for k, v in os.environ.items() if k not in leave_out}
    environment.update(
        YAKUBA_VAR_DIR=str(tmp_path), EMAIL_PORT=str(free_port()), PYTHONUNBUFFERED="1"
    )
    for command in (["migrate", "--no-input", "-v", "0"], ["load_demo_town", "-v", "0"]):
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", *command], cwd=ROOT, env=environment, check=True
        )
    yield environment


def wait_for_line(stream: list[str], pattern: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(re.search(pattern, line) for line in stream):
            return
        assert process.poll() is None, "".join(stream)
        time.sleep(0.2)
    raise AssertionError(f"{pattern!r} never appeared:\n{''.join(stream)}")


def test_demo_serves_pages_sends_mail_through_the_worker_and_stops_on_ctrl_c(
    demo_environment: dict[str, str],
) -> None:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "run_demo", "--port", str(port)],
        cwd=ROOT,
        env=demo_environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    stdout = process.stdout
    assert stdout is not None
    reader = threading.Thread(target=lambda: output.extend(iter(stdout.readline, "")))
    reader.start()
    try:
        wait_for_line(output, rf"running at http://127\.0\.0\.1:{port}/", process)
        assert "resident@example.jp" in "".join(output)
        site = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                assert requests.get(f"{site}/", timeout=5).status_code == 200
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "".join(output)
                time.sleep(0.3)

        # A sign-up's verification mail is queued, sent by the worker and caught by the demo.
        browser = requests.Session()
        page = browser.get(f"{site}/accounts/signup/", timeout=10).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None
        browser.post(
            f"{site}/accounts/signup/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "email": "newcomer@example.jp",
                "password1": "Umi-to-Yama-2026",
                "password2": "Umi-to-Yama-2026",
            },
            headers={"Referer": f"{site}/accounts/signup/"},
            timeout=10,
        )
        wait_for_line(output, r"--- mail to newcomer@example\.jp: \[亘理町\]", process)
        assert "/accounts/confirm-email/" in "".join(output)

        children = children_of(process.pid)
        assert len(children) == 2, children  # the web server and the worker
    finally:
        # Ctrl-C in a terminal signals the whole foreground process group.
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=30)
        reader.join(timeout=5)
    assert "Stopped." in "".join(output)
    assert not [pid for pid in children if is_running(pid)]
