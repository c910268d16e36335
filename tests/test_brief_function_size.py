"""No function in the brief grows past 80 lines: a longer one is split into named parts, each readable alone."""

from __future__ import annotations

import ast

from pipelines import REPO_ROOT

LIMIT = 80


def test_no_brief_function_is_over_80_lines():
    long = [
        f"{path.name}: {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in sorted((REPO_ROOT / "pipelines" / "brief").glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno + 1 > LIMIT
    ]
    assert not long, long
