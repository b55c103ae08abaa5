"""factory_boy factories for places tests."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from yakuba.platform.places.models import District, Place, PlaceKind


def square(west: float, south: float, size: float = 0.01) -> dict[str, Any]:
    """A GeoJSON Polygon: the square with its south-west corner at (west, south)."""
    east, north = west + size, south + size
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


class DistrictFactory(factory.django.DjangoModelFactory[District]):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"T{n:03d}")
    name = factory.Sequence(lambda n: f"テスト区{n}")
    name_kana = "てすとく"
    name_en = factory.Sequence(lambda n: f"Test {n}")
    # Far from Watari by default, so a test's own squares never overlap the demo grid.
    boundary = factory.Sequence(lambda n: square(100.0 + n * 0.02, 10.0))
    order = factory.Sequence(lambda n: n)


class PlaceFactory(factory.django.DjangoModelFactory[Place]):
    class Meta:
        model = Place

    kind = PlaceKind.FACILITY
    code = factory.Sequence(lambda n: f"P-{n:04d}")
    name = factory.Sequence(lambda n: f"テスト施設{n}")
    name_kana = factory.Sequence(lambda n: f"てすとしせつ{n}")
    address = "宮城県亘理郡亘理町字悠里1番地"
    latitude = 38.037
    longitude = 140.853
    is_public = True


def make_user(
    email: str = "staff@example.jp", *, is_staff: bool = True, perms: tuple[str, ...] = ()
) -> Any:
    """A user with the given "app_label.codename" permissions."""
    user = get_user_model().objects.create_user(email=email, is_staff=is_staff)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return get_user_model().objects.get(pk=user.pk)  # fresh: no stale permission cache
