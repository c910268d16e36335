"""Metadata helpers shared by assets: previews render as tables in the Dagster UI."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl

from pipelines.storage.dictionary import column_types


def preview(frame: pl.DataFrame, rows: int = 20) -> dg.MetadataValue:
    """A markdown table of the first rows."""
    with pl.Config(
        tbl_formatting="MARKDOWN",
        tbl_hide_column_data_types=True,
        tbl_hide_dataframe_shape=True,
        tbl_rows=rows,
        tbl_cols=-1,
        fmt_str_lengths=80,
        float_precision=1,
    ):
        return dg.MetadataValue.md(str(frame.head(rows)))


# Check results carry the days they fail on, so a range run's outcome can be read per day (`uec status`,
# the brief, alerts) instead of one verdict for the whole range.
FAILING_DAYS = "failing_days"


def failing_days(days) -> dict[str, dg.MetadataValue]:
    """{failing_days: "YYYY-MM-DD, …"} from dates (or a polars date column), empty text when none fail."""
    unique = sorted({d.isoformat() if hasattr(d, "isoformat") else str(d) for d in days if d is not None})
    return {FAILING_DAYS: dg.MetadataValue.text(", ".join(unique))}


def column_schema(relation: str, described: dict[str, str]) -> dict[str, dg.TableSchema]:
    """{dagster/column_schema: the relation's columns, types and descriptions}, so the UI lists them; empty when the
    dictionary does not describe it yet (tests/test_dictionary.py fails for a catalogue relation left so)."""
    if not described:
        return {}
    types = column_types().get(relation, {})
    columns = [dg.TableColumn(name, types.get(name, "unknown"), description=text) for name, text in described.items()]
    return {"dagster/column_schema": dg.TableSchema(columns=columns)}


def file_url(path: str | Path) -> str:
    """The file's absolute, percent-encoded file:// URL: what a terminal makes clickable and a browser opens."""
    return Path(path).resolve().as_uri()
