"""A warehouse table declared once: its columns, each as its DuckDB definition and what it holds, and its key.

The column dictionaries (schemas/table_columns.py, schemas/mart_columns.py) key each column by its definition,
"name type [not null] [default ...]", so the one entry gives the DDL, the polars schema of frames written to the
table and the data dictionary's description.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from polars._typing import PolarsDataType


def described(columns: dict[str, str]) -> dict[str, str]:
    """Column name -> description, whether the keys are bare names (views) or definitions (tables)."""
    return {key.split(" ", 1)[0]: text for key, text in columns.items()}


def _base_type(definition: str) -> str:
    return definition.split(" not null")[0].split(" default ")[0].strip()


@dataclass(frozen=True)
class Table:
    name: str  # schema.table
    columns: dict[str, str]  # "column definition" -> description, in the table's column order
    primary_key: tuple[str, ...] = ()

    def definitions(self) -> dict[str, str]:
        """Column name -> its definition after the name (type, not null, default)."""
        return {key.split(" ", 1)[0]: key.split(" ", 1)[1] for key in self.columns}

    def types(self) -> dict[str, tuple[str, bool]]:
        """Column name -> (DuckDB type as information_schema spells it, nullable)."""
        return {
            name: (_base_type(d).upper(), "not null" not in d and name not in self.primary_key)
            for name, d in self.definitions().items()
        }

    def ddl(self) -> str:
        lines = [f"    {name} {definition}" for name, definition in self.definitions().items()]
        if self.primary_key:
            lines.append(f"    primary key ({', '.join(self.primary_key)})")
        return f"create table if not exists {self.name} (\n" + ",\n".join(lines) + "\n);"

    def polars_schema(self) -> dict[str, PolarsDataType]:
        """The frame the pipeline writes to this table (integers of any width as Int64, timestamps naive, in µs)."""
        import polars as pl  # only the writers need it, not `uec --help`

        kinds: dict[str, PolarsDataType] = {
            "VARCHAR": pl.Utf8,
            "DATE": pl.Date,
            "BIGINT": pl.Int64,
            "INTEGER": pl.Int64,
            "DOUBLE": pl.Float64,
            "BOOLEAN": pl.Boolean,
            "TIMESTAMP": pl.Datetime("us"),
        }
        return {name: kinds[kind] for name, (kind, _) in self.types().items()}
