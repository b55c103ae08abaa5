"""Django for a benchmark run: a temporary var folder, DEBUG off, the test client's host allowed,
and a fresh database — SQLite in the var folder, or the PostgreSQL database named in DATABASE_URL,
dropped if it exists and created (`drop_database()` drops it again at the end).

A benchmark calls `setup()` before importing anything from Django or Yakuba."""

import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DATABASE_URL = os.environ.get("DATABASE_URL", "")
IS_POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://"))


def setup() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("YAKUBA_VAR_DIR", tempfile.mkdtemp(prefix="yakuba-bench-"))
    os.environ.setdefault("STATIC_ROOT", os.path.join(os.environ["YAKUBA_VAR_DIR"], "static"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yakuba.config.settings")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    if IS_POSTGRES:
        _recreate_postgres_database()

    import django

    django.setup()


def drop_database() -> None:
    if IS_POSTGRES:
        from django.db import connections

        connections.close_all()
        _recreate_postgres_database(drop_only=True)


def _recreate_postgres_database(*, drop_only: bool = False) -> None:
    import psycopg

    parts = urlsplit(DATABASE_URL)
    url, name = urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            connection.execute(f'CREATE DATABASE "{name}"')
