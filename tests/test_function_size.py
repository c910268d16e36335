"""No function in the code location or its libraries grows past 80 lines: a longer one is split into named parts."""

from __future__ import annotations

import ast
from pathlib import Path

from pipelines import REPO_ROOT

LIMIT = 80
PACKAGES = ("assets", "pipelines", "schemas")


def long_functions(path: Path) -> list[tuple[str, int]]:
    """Each function (nested ones too) in the file longer than LIMIT lines, with its length."""
    return [
        (node.name, node.end_lineno - node.lineno + 1)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > LIMIT
    ]


def test_no_function_is_over_80_lines():
    paths = sorted(p for package in PACKAGES for p in (REPO_ROOT / package).rglob("*.py"))
    assert len(paths) > 50, "the packages were not found: the rule would guard nothing"
    found = [f"{p.relative_to(REPO_ROOT)}: {name} ({lines} lines)" for p in paths for name, lines in long_functions(p)]
    assert found == []


def test_the_rule_sees_a_long_nested_function(tmp_path: Path):
    # The check must be able to fail: an inner function of 81 lines is reported, its 83-line outer one too.
    body = "\n".join(f"        x{i} = {i}" for i in range(80))
    source = tmp_path / "long.py"
    source.write_text(f"def outer():\n    def inner():\n{body}\n    return inner\n", encoding="utf-8")
    assert long_functions(source) == [("outer", 83), ("inner", 81)]
