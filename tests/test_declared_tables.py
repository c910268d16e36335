"""Every warehouse table is what the catalogue declares: columns, types, nullability and keys."""

from __future__ import annotations

from datetime import date

import duckdb

from pipelines.storage.warehouse import build_schema, ensure_schema, sql
from schemas import catalogue


def _built() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    ensure_schema(conn)  # as every asset builds it
    return conn


def test_every_table_has_the_declared_columns_in_order_with_their_types():
    conn = _built()
    rows = conn.sql(
        "select table_schema || '.' || table_name, column_name, data_type, is_nullable = 'YES' "
        "from information_schema.columns where table_schema in ('ref', 'raw', 'national', 'ops', 'marts') "
        "and table_name in (select table_name from information_schema.tables where table_type = 'BASE TABLE') "
        "order by table_schema, table_name, ordinal_position"
    ).fetchall()
    built: dict[str, dict[str, tuple[str, bool]]] = {}
    for table, column, data_type, nullable in rows:
        built.setdefault(table, {})[column] = (data_type, nullable)
    declared = {t.name: t.types() for t in catalogue.tables()}
    assert set(built) == set(declared), "tables built but not declared, or declared but not built"
    for name, columns in declared.items():
        assert list(built[name].items()) == list(columns.items()), name


def test_primary_keys_are_the_declared_ones_and_no_daily_mart_has_one():
    conn = _built()
    keys = {
        f"{schema}.{table}": tuple(columns)
        for schema, table, columns in conn.sql(
            "select schema_name, table_name, constraint_column_names from duckdb_constraints() "
            "where constraint_type = 'PRIMARY KEY'"
        ).fetchall()
    }
    assert keys == {t.name: t.primary_key for t in catalogue.tables() if t.primary_key}
    # The key_is_unique check holds each mart's key; a primary key would refuse the duplicate it looks for.
    assert not {m.name for m in catalogue.daily_marts()} & set(keys)


def test_the_key_check_finds_a_duplicate_in_every_daily_mart():
    conn = _built()
    day = date(2025, 1, 6)
    for mart in catalogue.daily_marts():
        # The smallest row the table takes: its key, and zero or a word in every other NOT NULL column.
        values = {}
        for column, (kind, nullable) in mart.declared.types().items():
            if column == "date":
                values[column] = day
            elif column in mart.key or not nullable:
                values[column] = {"VARCHAR": "x", "BOOLEAN": False, "TIMESTAMP": None}.get(kind, 0)
        names = ", ".join(values)
        marks = ", ".join(f"${c}" for c in values)
        for _ in range(2):
            conn.execute(f"insert into {mart.name} ({names}) values ({marks})", values)
        found = conn.sql(
            sql("check_mart_key_unique", table=mart.name, key=mart.key), params={"first": day, "last": day}
        )
        assert found.fetchall(), mart.name


def test_an_older_warehouse_keyed_mart_is_rebuilt_without_its_key_rows_kept():
    conn = duckdb.connect()
    build_schema(conn)
    conn.execute("drop table marts.handover_daily")
    # As warehouses before the key_is_unique check made it, with one column an older version did not have.
    conn.execute(
        "create table marts.handover_daily (date date not null, trust_code varchar not null, "
        "site_code varchar not null, source varchar not null, arrivals bigint not null, known bigint not null, "
        "unknown bigint not null, over_15 bigint not null, over_30 bigint not null, over_60 bigint not null, "
        "primary key (date, site_code))"
    )
    conn.execute(
        "insert into marts.handover_daily values ('2025-01-06', 'RTG', 'RTG01', 'conveyances', 5, 4, 1, 3, 2, 1)"
    )
    build_schema(conn)
    assert conn.sql("select arrivals, over_45 from marts.handover_daily").fetchall() == [(5, None)]
    keyed = conn.sql(
        "select 1 from duckdb_constraints() where table_name = 'handover_daily' and constraint_type = 'PRIMARY KEY'"
    ).fetchall()
    assert keyed == []
