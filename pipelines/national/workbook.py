"""Read NHS England's sitrep timeseries workbook as published into one text row per organisation and day."""

from __future__ import annotations

import polars as pl

from schemas.national_layouts import PublicationLayout


def read_sitrep_workbook(data: bytes, layout: PublicationLayout) -> pl.DataFrame:
    raise ValueError("the sitrep workbook reader is not written yet")
