"""The data dictionary rendered from the catalogue: docs/data-dictionary.md and each relation's column types.

`python -m pipelines.storage.dictionary` (or `make dictionary`) rewrites the page; `--check` exits 1 when it is out
of date. The descriptions themselves live in the catalogue (schemas/catalogue.py `relations()` and `comments()`);
the warehouse carries them as COMMENT ON (pipelines/storage/warehouse.py `ensure_schema`), the Dagster UI as column
schemas.
"""

from __future__ import annotations

import sys
from functools import cache

import duckdb

from pipelines import REPO_ROOT
from pipelines.storage.warehouse import build_schema, schema_template_file
from schemas import catalogue

PAGE = REPO_ROOT / "docs" / "data-dictionary.md"
SCHEMAS = ("ref", "raw", "national", "marts", "ops")
_SCHEMA_WHAT = {
    "ref": "Reference data loaded from `schemas/reference/`: sites, targets, providers, OPEL configuration.",
    "raw": "Every valid version of every record each feed landed, with its lineage, and the views that pick the "
    "versions the marts count (docs/domain.md §7.1).",
    "national": "NHS England's published statistics at trust grain, as published, with England and region totals "
    "(docs/domain.md §8): the peer view and the national side of reconciliation.",
    "marts": "The daily figures and their site / trust / system rollups by day, month to date and year to date.",
    "ops": "The pipeline's bookkeeping: files loaded, rejected and duplicated, quarantined cells, days to rebuild.",
}


@cache
def column_types() -> dict[str, dict[str, str]]:
    """schema.table -> column -> DuckDB type, in column order, from the schema template (or, where there is none, a
    warehouse built in memory by the schema SQL)."""
    # Every process loading the definitions asks once: the kept template answers in milliseconds, where building
    # the schema in memory (without its comments, twice as long to apply) took about 125 ms.
    template = schema_template_file()
    with duckdb.connect(str(template) if template else ":memory:", read_only=template is not None) as conn:
        if template is None:
            build_schema(conn)
        rows = conn.sql(
            "select schema_name, table_name, column_name, data_type from duckdb_columns() "
            "where database_name = current_database() and schema_name in $schemas "
            "order by schema_name, table_name, column_index",
            params={"schemas": list(SCHEMAS)},
        ).fetchall()
    types: dict[str, dict[str, str]] = {}
    for schema, table, column, data_type in rows:
        types.setdefault(f"{schema}.{table}", {})[column] = data_type
    return types


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    """The whole of docs/data-dictionary.md."""
    types = column_types()
    relations = sorted(catalogue.relations(), key=lambda r: (SCHEMAS.index(r.schema), r.name))
    lines = [
        "# Data dictionary",
        "",
        "<!-- Generated from schemas/catalogue.py by `python -m pipelines.storage.dictionary` (`make dictionary`): "
        "do not edit by hand. -->",
        "",
        "Every table and view in the warehouse, and every column, as the catalogue (`schemas/catalogue.py`, with",
        "`schemas/mart_columns.py` and `schemas/table_columns.py`) describes them. The same descriptions are the",
        "warehouse's own comments (`select comment from duckdb_columns()`, or any SQL client's column list) and the",
        "column schemas the Dagster UI lists for each asset.",
        "",
        "Percentages (`in %`) are 0-100 in the warehouse, never fractions (the call-pack workbook shows them as",
        "Excel percentages: [brief.md](brief.md#exports-for-the-call-pack)). Durations say their unit (minutes,",
        "hours). Local times are Europe/London wall-clock; `*_utc` columns are the same instants in UTC.",
        "",
        "A test (`tests/test_dictionary.py`) fails when this page, the comments or the asset metadata miss a column",
        "or are out of date.",
        "",
    ]
    for schema in SCHEMAS:
        lines += [f"- [`{schema}`](#{schema}): {_SCHEMA_WHAT[schema]}"]
    for schema in SCHEMAS:
        lines += ["", f"## {schema}", "", _SCHEMA_WHAT[schema]]
        for relation in (r for r in relations if r.schema == schema):
            kind = " (view)" if relation.kind == "view" else ""
            lines += ["", f"### `{relation.name}`{kind}", "", _cell(relation.description), ""]
            lines += ["| column | type | description |", "|---|---|---|"]
            known = types.get(relation.name, {})
            for column, text in relation.columns.items():
                lines.append(f"| `{column}` | {known.get(column, '?')} | {_cell(text)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write docs/data-dictionary.md; with --check, only say whether it is up to date (exit 1 when not)."""
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in argv:
        current = PAGE.read_text(encoding="utf-8") if PAGE.is_file() else ""
        if current != text:
            print(f"{PAGE} is out of date: run `python -m pipelines.storage.dictionary`.")
            return 1
        print(f"{PAGE} is up to date.")
        return 0
    PAGE.write_text(text, encoding="utf-8")
    print(f"Wrote {PAGE}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
