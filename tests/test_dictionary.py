"""The data dictionary has one source, the catalogue: the warehouse's comments, the assets' column schemas and
docs/data-dictionary.md all say what it says, for every table, view and column the warehouse actually has."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from pipelines.definitions import defs
from pipelines.storage.dictionary import PAGE, SCHEMAS, render
from pipelines.storage.warehouse import ensure_schema
from schemas import catalogue

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> dict[tuple[str, str | None], tuple[str | None, str | None]]:
    """(schema.table, column or None for the relation) -> (comment, type), read back from a fresh warehouse file."""
    path = tmp_path_factory.mktemp("dictionary") / "w.duckdb"
    with duckdb.connect(str(path)) as conn:
        ensure_schema(conn)
        # Applied again on an unchanged schema, nothing moves: the comments are part of what the digest covers.
        ensure_schema(conn)
        relations = conn.sql(
            "select schema_name || '.' || table_name, comment from duckdb_tables() where schema_name in $s "
            "union all select schema_name || '.' || view_name, comment from duckdb_views() "
            "where not internal and schema_name in $s",
            params={"s": list(SCHEMAS)},
        ).fetchall()
        columns = conn.sql(
            "select schema_name || '.' || table_name, column_name, comment, data_type from duckdb_columns() "
            "where schema_name in $s order by schema_name, table_name, column_index",
            params={"s": list(SCHEMAS)},
        ).fetchall()
    found = {(name, None): (comment, None) for name, comment in relations}
    found |= {(name, column): (comment, data_type) for name, column, comment, data_type in columns}
    return found


def test_the_warehouse_comments_every_table_view_and_column_as_the_catalogue_describes_it(warehouse):
    described = {(f"{schema}.{table}", column): text for schema, table, column, text in catalogue.comments()}
    # Both ways: a warehouse column the catalogue does not describe shows up with no comment.
    assert {key: comment for key, (comment, _) in warehouse.items()} == described
    # Column order too, so the page and the UI list columns as `select *` returns them.
    for relation in catalogue.relations():
        in_warehouse = [c for (name, c) in warehouse if name == relation.name and c]
        assert list(relation.columns) == in_warehouse, relation.name


def test_every_description_says_something_and_states_its_unit():
    for schema, table, column, text in catalogue.comments():
        where = f"{schema}.{table}.{column or ''}"
        assert len(text) > 10 and text.endswith((".", ")")), where
        if column and (column.startswith("pct_") or column.endswith("_pct") or column == "deflection_rate"):
            assert "%" in text or "percentage" in text, where
        if column and column.endswith("_minutes"):
            assert "minutes" in text, where
        if column and (column.startswith("hours_") or column == "total_hours"):
            assert "hours" in text, where


def test_every_raw_mart_reference_and_national_asset_lists_its_columns_for_the_ui(warehouse):
    graph = defs.resolve_asset_graph()
    relations = {r.name: r for r in catalogue.relations()}
    checked = 0
    for key in graph.get_all_asset_keys():
        if key.path[0] not in {"raw", "marts", "ref", "national"}:
            continue
        name = ".".join(key.path)
        schema = graph.get(key).metadata.get("dagster/column_schema")
        assert schema is not None, name
        listed = [(c.name, c.type, c.description) for c in schema.columns]
        expected = [(c, warehouse[(name, c)][1], text) for c, text in relations[name].columns.items()]
        assert listed == expected, name
        checked += 1
    # The marts, the reconciliation view beside them, and the national publications.
    assert checked == (
        len(catalogue.feed_names())
        + len(catalogue.mart_tables())
        + 1
        + len(catalogue.FORECASTS)
        + len(catalogue.REFERENCE)
        + len(catalogue.PUBLICATIONS)
    )


def test_the_committed_data_dictionary_page_is_up_to_date_and_lists_every_column(warehouse):
    page = PAGE.read_text(encoding="utf-8")
    assert page == render(), "docs/data-dictionary.md is out of date: run `python -m pipelines.storage.dictionary`"
    # Read the page as an analyst would, independently of render(): every warehouse column with its type.
    listed, relation = set(), None
    for line in page.splitlines():
        if heading := re.match(r"### `([a-z_]+\.[a-z_]+)`", line):
            relation = heading.group(1)
        elif row := re.match(r"\| `([a-z0-9_]+)` \| ([^|]+) \|", line):
            listed.add((relation, row.group(1), row.group(2).strip()))
    assert listed == {(name, column, t) for (name, column), (_, t) in warehouse.items() if column}


def test_the_docs_name_the_quarantine_columns_the_table_has(warehouse):
    columns = {c for (name, c) in warehouse if name == "ops.quarantine" and c}
    metrics = (REPO / "docs" / "metrics.md").read_text(encoding="utf-8")
    row = next(line for line in metrics.splitlines() if line.startswith("| `ops.quarantine`"))
    assert set(re.findall(r"`([a-z0-9_]+)`", row.split("|")[3])) - {"unmapped_columns_not_stored"} == columns
    bad_inputs = (REPO / "docs" / "bad-inputs.md").read_text(encoding="utf-8")
    listing = bad_inputs[bad_inputs.index("**`ops.quarantine`**") : bad_inputs.index("**`ops.duplicate_rows`**")]
    named = set(re.findall(r"`([a-z0-9_]+)`", listing)) - {"record quarantined", "value set to unknown"}
    assert named - {"unmapped_columns_not_stored"} == columns
