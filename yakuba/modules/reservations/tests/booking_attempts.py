"""A resident's sign-in and booking attempt over HTTP, for the concurrency test.

This module imports nothing from Django, so that a process started with "spawn" can run
`attempt` without setting Django up: such a process is only a client of the live server."""

from __future__ import annotations

import time
from typing import Any

import requests


def sign_in(base_url: str, email: str, password: str) -> dict[str, str]:
    """Sign in through the web sign-in page, as a browser does; the session's cookies."""
    session = requests.Session()
    session.get(f"{base_url}/accounts/login/", timeout=60).raise_for_status()
    response = session.post(
        f"{base_url}/accounts/login/",
        data={
            "login": email,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        allow_redirects=False,
        timeout=60,
    )
    if response.status_code != 302 or "sessionid" not in session.cookies:
        raise RuntimeError(f"Could not sign in as {email}: {response.status_code}")
    return {name: value or "" for name, value in session.cookies.get_dict().items()}


def attempt(
    url: str, cookies: dict[str, str], payload: dict[str, Any], barrier: Any, results: Any
) -> None:
    """Wait at `barrier` with every other attempt, then POST `payload` once; put (status, body,
    seconds from release to answer) on `results`."""
    session = requests.Session()
    session.cookies.update(cookies)
    # Connect (GET the same address: the resident's bookings) before the barrier, so that the
    # release measures the server rather than TCP handshakes.
    session.get(url, timeout=60)
    barrier.wait(timeout=120)
    started = time.perf_counter()
    try:
        response = session.post(
            url, json=payload, headers={"X-CSRFToken": cookies["csrftoken"]}, timeout=120
        )
        body = (
            response.json()
            if response.headers.get("Content-Type", "").startswith("application/json")
            else response.text[:500]
        )
        results.put((response.status_code, body, time.perf_counter() - started))
    except requests.RequestException as error:
        results.put((0, repr(error), time.perf_counter() - started))
