"""Fixtures for every test of the procedures module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from yakuba.modules.procedures.models import Procedure
from yakuba.modules.procedures.tests.resident_helpers import make_procedure
from yakuba.modules.procedures.tests.test_backoffice import PERMISSIONS, staff_of
from yakuba.platform.accounts.models import User


@pytest.fixture(autouse=True)
def _private_files(settings: Any, tmp_path: Path) -> Path:
    """Applications' files (attachments, signed copies) go to a temporary folder, never to the
    private folder of the machine running the tests."""
    root = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {**settings.STORAGES["private"], "OPTIONS": {"location": root}},
    }
    return root


@pytest.fixture
def staff_settings(settings: Any, tmp_path: Path) -> None:
    """For the staff pages' tests: media in a temporary folder, staff signed in without a second
    factor, and jobs (the PDF copy, mail) queued rather than run — those tests are about the
    pages, not the jobs."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STAFF_REQUIRE_MFA = False
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.dummy.DummyBackend",
            "QUEUES": ["default", "notify-priority", "notify-bulk"],
        }
    }


@pytest.fixture
def procedure() -> Procedure:
    """A published procedure with the helpers' form (resident_helpers.DEFINITION)."""
    return make_procedure()


@pytest.fixture
def clerk(procedure: Procedure) -> User:
    """A clerk of the procedure's department (窓口 一郎) who may see and process applications."""
    return staff_of(procedure.department, *PERMISSIONS, name="窓口 一郎")
