"""The procedures of the demo town: the shipped catalogue (catalogue/*.json)."""

from yakuba.modules.procedures.catalogue import load_catalogue


def load_demo() -> None:
    load_catalogue()
