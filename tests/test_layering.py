"""Layers import downwards only: ingest, the brief, the warehouse and schemas never reach up into assets or the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The code location's own modules, which hold or start Dagster's runtime.
RUNTIME = ("pipelines.definitions", "pipelines.instance", "pipelines.resources", "pipelines.sensors", "pipelines.jobs")
# Each lower layer, and the packages it must never import.
RULES = {
    "schemas": ("assets", "pipelines"),
    "pipelines/ingest": ("assets", "pipelines.cli", "pipelines.brief", "pipelines.definitions", "dagster"),
    # The brief, the storage libraries and the GX suites take plain inputs: none needs the Dagster runtime.
    "pipelines/brief": ("assets", "pipelines.cli", "pipelines.definitions", "dagster", *RUNTIME),
    "pipelines/storage": ("assets", "pipelines.cli", "pipelines.brief", "pipelines.ingest", "dagster", *RUNTIME),
    "pipelines/quality": ("assets", "pipelines.cli", "pipelines.brief", "dagster", *RUNTIME),
    # The forecasts and their backtest are plain functions over the warehouse: the brief reads them, not the reverse.
    "pipelines/forecast": ("assets", "pipelines.cli", "pipelines.brief", "dagster", *RUNTIME),
    "pipelines/servers": ("assets", "pipelines.brief", "pipelines.ingest"),
    # The code location imports the alerts, never the other way round.
    "pipelines/alerts": ("assets", "pipelines.cli", "pipelines.definitions"),
}


def imports(path: Path) -> list[str]:
    """Every module a file imports, at any depth (imports inside functions count too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def files(layer: str) -> list[Path]:
    target = REPO / layer
    return [target] if target.is_file() else sorted(target.rglob("*.py"))


def violations(layer: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(REPO)} imports {module}"
        for path in files(layer)
        for module in imports(path)
        if any(module == f or module.startswith(f + ".") for f in forbidden)
    ]


@pytest.mark.parametrize("layer", RULES)
def test_layer_never_imports_upwards(layer: str):
    assert files(layer), f"{layer} holds no Python files: the rule guards nothing"
    assert violations(layer, RULES[layer]) == []


def test_the_rule_sees_an_upward_import(tmp_path: Path):
    # The check itself must be able to fail: a file importing the CLI from inside a function is caught.
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("def f():\n    from pipelines.cli.refresh import refresh\n    import assets.raw\n")
    assert imports(sneaky) == ["pipelines.cli.refresh", "assets.raw"]


def test_the_cli_is_only_reached_through_its_entry_points():
    # Nothing but the CLI package itself imports it; the code location and assets stay usable without it.
    outside = [p for p in (REPO / "pipelines").rglob("*.py") if "cli" not in p.relative_to(REPO).parts]
    outside += list((REPO / "assets").rglob("*.py"))
    assert [
        f"{p.relative_to(REPO)} imports {m}" for p in outside for m in imports(p) if m.startswith("pipelines.cli")
    ] == []
