"""The layering rule: core ← platform ← modules, and no module imports another module."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "yakuba"


def imported_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def layer_of(module_name: str) -> tuple[str, str]:
    """('core'|'platform'|'modules'|'config', app) for a yakuba.* dotted name."""
    parts = module_name.split(".")
    if parts[1] in {"platform", "modules"} and len(parts) > 2:
        return parts[1], parts[2]
    return parts[1], ""


# Tests may import anything they exercise; the rule binds the code that ships.
SOURCES = [p for p in PACKAGE.rglob("*.py") if not {"migrations", "tests"} & set(p.parts)]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_only_go_down_the_layers(path: Path) -> None:
    own = "yakuba." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    own_layer, own_app = layer_of(own)
    for name in imported_names(path):
        if not name.startswith("yakuba."):
            continue
        layer, app = layer_of(name)
        if own_layer == "core":
            assert layer == "core", f"core must not import {name}"
        elif own_layer == "platform":
            assert layer in {"core", "platform"}, f"platform must not import {name}"
        elif own_layer == "modules":
            assert layer != "config", f"modules must not import {name}"
            assert layer != "modules" or app == own_app, f"module {own_app} imports {name}"
