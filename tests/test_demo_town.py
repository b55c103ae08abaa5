"""The demo town loads completely and loading it again changes nothing."""

import pytest
from django.apps import apps
from django.core.management import call_command

from yakuba.core.models import Municipality

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"core", "accounts", "places", "audit"}
    }


def test_demo_town_is_plausible_and_idempotent() -> None:
    call_command("load_demo_town", verbosity=0)
    first = row_counts()
    call_command("load_demo_town", verbosity=0)
    assert row_counts() == first

    town = Municipality.current()
    assert town is not None and town.is_demo and town.code == "043231"
    assert first["places.District"] >= 12
    assert first["places.Place"] >= 30
    assert first["accounts.ResidentProfile"] >= 200
    assert first["accounts.Department"] >= 5
    assert first["accounts.HouseholdMember"] > 0


def test_demo_data_is_not_loaded_over_a_real_municipality() -> None:
    Municipality.objects.create(
        name="蔵王町",
        code="043010",
        prefecture="宮城県",
        map_center_latitude=38.1,
        map_center_longitude=140.66,
    )
    call_command("load_demo_town", verbosity=0)
    assert not apps.get_model("places", "Place")._default_manager.exists()
