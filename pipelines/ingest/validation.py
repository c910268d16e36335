"""Run a pandera contract on a collected frame and turn its failure cases into row errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from pipelines.ingest.mapping import empty_errors
from schemas.check_columns import DAY, DAY_IN_REASON, FILE

if TYPE_CHECKING:
    import pandera.polars as pa

# pandera's own check names, said in words an analyst can act on.
_BUILTIN_REASONS = {
    "not_nullable": "value missing",
    "field_uniqueness": "duplicate: the same id appears more than once in this file",
}


def contract_errors(
    frame: pl.DataFrame, schema: pa.DataFrameSchema, source_columns: dict[str, str | None]
) -> pl.DataFrame:
    """Row errors (source_row, column_name, source_column, reason, value) for every failing cell."""
    # Imported where a frame is checked: a process that only loads the definitions does without its half second.
    import pandera.polars as pa

    try:
        schema.validate(frame, lazy=True)
        return empty_errors()
    except pa.errors.SchemaErrors as exc:
        if exc.failure_cases.filter(pl.col("index").is_null()).height:
            # A failure with no row (wrong dtype, missing column) is a defect in our mapping, not bad data.
            raise
        cases = exc.failure_cases
    rows = frame.get_column("source_row")
    index = cases.get_column("index").to_list()
    # Rows from several files checked at once carry their file's index, to hand each error back.
    files = {FILE: [frame.get_column(FILE)[i] for i in index]} if FILE in frame.columns else {}
    reasons = [_BUILTIN_REASONS.get(c, c) for c in cases.get_column("check").to_list()]
    if DAY in frame.columns:
        # A contract for many days names "the partition day" by placeholder: each row's reason gets its own day.
        days = frame.get_column(DAY)
        reasons = [r.replace(DAY_IN_REASON, days[i].isoformat()) for r, i in zip(reasons, index, strict=True)]
    return pl.DataFrame(
        {
            "source_row": [rows[i] for i in index],
            "column_name": cases.get_column("column").to_list(),
            "source_column": [source_columns.get(c) for c in cases.get_column("column").to_list()],
            "reason": reasons,
            "value": cases.get_column("failure_case").to_list(),
            **files,
        },
        schema=empty_errors().schema | ({FILE: pl.Int32} if files else {}),
    )
