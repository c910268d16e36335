"""A new warehouse is copied from the kept schema template: the same catalogue as one built statement by statement,
built once, never holding data, and built in place wherever the template cannot be kept or read."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.storage import schema_template
from pipelines.storage.dictionary import column_types
from pipelines.storage.warehouse import build_whole_schema, ensure_schema


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's cache folder, as platformdirs finds it on Linux, in this test's own folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "uec" / "schema"


def _sorted_excludes(sql: str | None) -> str | None:
    # DuckDB keeps EXCLUDE's names as a set and writes them in no fixed order: a view re-created from its parsed form
    # (as a copy does) lists them in another order, with the same meaning.
    if sql is None:
        return None
    return re.sub(r"EXCLUDE \(([^)]*)\)", lambda m: "EXCLUDE (" + ", ".join(sorted(m[1].split(", "))) + ")", sql)


def catalogue_of(conn: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every schema, table, column, view, macro and key of the connection's database, with their comments."""
    here = "database_name = current_database()"
    rows = {
        "schemas": f"select schema_name, comment from duckdb_schemas() where {here}",
        "tables": f"select schema_name, table_name, comment, sql from duckdb_tables() where {here}",
        "columns": "select schema_name, table_name, column_index, column_name, data_type, comment, column_default, "
        f"is_nullable from duckdb_columns() where {here}",
        "views": f"select schema_name, view_name, comment, sql from duckdb_views() where {here} and not internal",
        "macros": f"select schema_name, function_name, function_type, parameters, macro_definition, comment "
        f"from duckdb_functions() where {here} and not internal",
        "keys": "select schema_name, table_name, constraint_type, constraint_text "
        f"from duckdb_constraints() where {here}",
    }
    found = {name: sorted(conn.sql(query).fetchall(), key=repr) for name, query in rows.items()}
    found["views"] = [(*row[:3], _sorted_excludes(row[3])) for row in found["views"]]
    found["macros"] = [(*row[:4], _sorted_excludes(row[4]), row[5]) for row in found["macros"]]
    return found


def _built_in_place() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    build_whole_schema(conn)
    return conn


def test_a_copied_warehouse_has_the_catalogue_of_one_built_statement_by_statement(cache: Path, tmp_path: Path):
    before = datetime.now(UTC)
    with duckdb.connect(str(tmp_path / "first.duckdb")) as first, duckdb.connect(str(tmp_path / "copy.duckdb")) as copy:
        ensure_schema(first)  # builds the template, then copies it
        [template] = cache.glob("*.duckdb")
        built_at = template.stat().st_mtime_ns
        ensure_schema(copy)
        assert [p.name for p in cache.iterdir()] == [template.name], "a second warehouse built another template"
        assert template.stat().st_mtime_ns >= built_at
        reference = _built_in_place()
        assert catalogue_of(copy) == catalogue_of(reference)
        assert catalogue_of(first) == catalogue_of(reference)
        # 35 tables with 900 columns between them today: the comparison covers the whole schema, not an empty one.
        assert len(catalogue_of(copy)["columns"]) > 500 and all(row[2] for row in catalogue_of(copy)["tables"])
        [(digest, stamped)] = copy.sql("select sha256, built_at from ops.schema_version").fetchall()
        assert digest == reference.sql("select sha256 from ops.schema_version").fetchall()[0][0]
        assert stamped >= before  # this warehouse's build, not the template's
        # Ready as any built warehouse is: asking again finds the digest and does nothing.
        ensure_schema(copy)
        assert copy.sql("select built_at from ops.schema_version").fetchall() == [(stamped,)]


def test_the_template_holds_no_rows_but_its_schema_digest(cache: Path, tmp_path: Path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        ensure_schema(conn)
    [template] = cache.glob("*.duckdb")
    with duckdb.connect(str(template), read_only=True) as conn:
        here = "database_name = current_database()"
        tables = conn.sql(f"select schema_name, table_name from duckdb_tables() where {here}")
        counts = {
            f"{s}.{t}": conn.sql(f'select count(*) from "{s}"."{t}"').fetchall()[0][0] for s, t in tables.fetchall()
        }
    assert counts.pop("ops.schema_version") == 1
    assert counts and set(counts.values()) == {0}, {t: n for t, n in counts.items() if n}


def test_where_no_template_can_be_kept_the_schema_is_built_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would go", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        ensure_schema(conn)
        assert catalogue_of(conn) == catalogue_of(_built_in_place())
    assert column_types.__wrapped__() == _types_built_in_memory()


def test_a_damaged_template_is_removed_and_the_schema_built_in_place(cache: Path, tmp_path: Path):
    with duckdb.connect(str(tmp_path / "first.duckdb")) as conn:
        ensure_schema(conn)
    [template] = cache.glob("*.duckdb")
    template.write_bytes(b"\0" * 8192 + b"not a DuckDB file")
    with duckdb.connect(str(tmp_path / "second.duckdb")) as conn:
        ensure_schema(conn)
        assert catalogue_of(conn) == catalogue_of(_built_in_place())
    assert not template.exists()
    with duckdb.connect(str(tmp_path / "third.duckdb")) as conn:
        ensure_schema(conn)  # the next warehouse builds the template afresh and copies it
        assert catalogue_of(conn) == catalogue_of(_built_in_place())
    assert template.exists()


def test_a_database_holding_anything_is_built_in_place_around_it(cache: Path, tmp_path: Path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        conn.execute("create table main.notes as select 'kept' as note")
        ensure_schema(conn)
        assert conn.sql("select note from main.notes").fetchall() == [("kept",)]
        assert conn.sql("select count(*) from duckdb_tables() where schema_name = 'raw'").fetchall()[0][0] > 0
    assert not list(cache.glob("*.duckdb")), "a database that was not empty was offered the template"


def test_the_column_types_from_the_template_are_those_of_the_schema_built_in_memory(cache: Path):
    assert column_types.__wrapped__() == _types_built_in_memory()
    assert list(cache.glob("*.duckdb")), "the column types did not come from the template"


def _types_built_in_memory() -> dict[str, dict[str, str]]:
    types: dict[str, dict[str, str]] = {}
    conn = _built_in_place()
    for schema, table, column, data_type in conn.sql(
        "select schema_name, table_name, column_name, data_type from duckdb_columns() "
        "where database_name = current_database() and schema_name in ('ref', 'raw', 'national', 'marts', 'ops') "
        "order by schema_name, table_name, column_index"
    ).fetchall():
        types.setdefault(f"{schema}.{table}", {})[column] = data_type
    return types


def test_templates_unused_for_a_month_go_when_a_new_one_is_written(cache: Path, tmp_path: Path):
    cache.mkdir(parents=True)
    old, recent = cache / "0123-duckdb-1.5.0.duckdb", cache / "4567-duckdb-1.5.0.duckdb"
    old.write_bytes(b"old")
    recent.write_bytes(b"recent")
    month_ago = datetime.now(UTC).timestamp() - schema_template.UNUSED_SECONDS - 60
    os.utime(old, (month_ago, month_ago))
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        ensure_schema(conn)
    assert not old.exists() and recent.exists()
    assert len(list(cache.glob("*.duckdb"))) == 2
