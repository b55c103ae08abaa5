"""Factories for reports tests: a district at a known square, categories routed to departments."""

from __future__ import annotations

import factory

from yakuba.modules.reports.models import Category
from yakuba.platform.accounts.tests.factories import DepartmentFactory
from yakuba.platform.places.tests.factories import DistrictFactory, square

# The test town: one district, the 0.01° square with its south-west corner at (140.85, 38.03).
TOWN_WEST, TOWN_SOUTH = 140.85, 38.03
INSIDE = (38.035, 140.855)  # (lat, lon) in the middle of the district
OUTSIDE = (38.2, 141.2)


def town_district() -> object:
    return DistrictFactory.create(
        code="arahama", name="荒浜", boundary=square(TOWN_WEST, TOWN_SOUTH)
    )


class CategoryFactory(factory.django.DjangoModelFactory[Category]):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cat-{n}")
    name = factory.Sequence(lambda n: f"種類{n}")
    department = factory.SubFactory(DepartmentFactory, code="toshi", name="都市建設課")
