"""Metadata helpers shared by assets: previews render as tables in the Dagster UI."""

from __future__ import annotations

import dagster as dg
import polars as pl


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
