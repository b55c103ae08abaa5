from __future__ import annotations

from collections.abc import Iterator

import pytest

from yakuba.core.models import Municipality
from yakuba.platform.accounts.models import User
from yakuba.platform.audit.context import (
    RequestContext,
    reset_request_context,
    set_request_context,
)
from yakuba.platform.audit.tests.factories import StaffFactory


@pytest.fixture
def staff(db: None) -> User:
    return StaffFactory.create(is_superuser=True)


@pytest.fixture
def staff_request(staff: User) -> Iterator[User]:
    """Act as if inside a staff member's request, as AuditActorMiddleware does."""
    token = set_request_context(
        RequestContext(user=staff, screen="/staff/test/", ip_address="192.0.2.1")
    )
    yield staff
    reset_request_context(token)


@pytest.fixture
def town(db: None) -> Municipality:
    return Municipality.objects.create(
        name="亘理町",
        code="043231",
        prefecture="宮城県",
        map_center_latitude=38.0379,
        map_center_longitude=140.8528,
    )
