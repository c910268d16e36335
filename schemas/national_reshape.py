"""A reader step for a publication printed wide: one row per organisation with a block of columns per department type
(NHS England's monthly A&E CSV), read as one row per organisation and type before the layout maps it.

A layout sets it under `reshape` (schemas/national_layouts.py); the loader applies it to the file's text cells, so
the layout's `columns` then name the reshaped columns (`into` and the groups' common names).
"""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator


class EnglandTotal(BaseModel):
    """Where a wide file prints NHS England's own total row, marked TOTAL rather than named England.

    The monthly A&E CSV ends with a row reading TOTAL in its Period (in some months in its organisation columns
    instead), with no month of its own: it is read as England's row ('-' and ENGLAND, placed as ENG) for the month
    the file's other rows are for, so it loads as England's figures instead of failing as a row without a month.
    """

    model_config = ConfigDict(extra="forbid")

    marked_in: list[str] = Field(min_length=1)  # a cell reading "total" (any case) in any of these marks the row
    code: str  # the organisation code column, read as '-'
    name: str  # the organisation name column, read as ENGLAND
    period: str  # the period column, read as the file's other rows' (the most common)

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        marked = pl.any_horizontal(
            pl.col(c).str.strip_chars().str.to_lowercase().eq("total").fill_null(False) for c in self.marked_in
        )
        frame = frame.with_columns(marked.alias("_total"))
        others = frame.filter(~pl.col("_total"))[self.period].drop_nulls()
        period = others.mode().sort()[0] if others.len() else None
        total = pl.col("_total")
        return (
            frame.with_columns(pl.when(total).then(None).otherwise(pl.col(c)).alias(c) for c in self.marked_in)
            .with_columns(
                pl.when(total).then(pl.lit("-")).otherwise(pl.col(self.code)).alias(self.code),
                pl.when(total).then(pl.lit("ENGLAND")).otherwise(pl.col(self.name)).alias(self.name),
                pl.when(total).then(pl.lit(period, pl.Utf8)).otherwise(pl.col(self.period)).alias(self.period),
            )
            .drop("_total")
        )


class Reshape(BaseModel):
    """Column groups read as rows, and texts read in title case."""

    model_config = ConfigDict(extra="forbid")

    # Source columns whose text is read title-cased, for a date written in capitals: polars reads %B as 'March',
    # not 'MARCH', so NHS England's 'MSitAE-MARCH-2017' is read as 'Msitae-March-2017' (format 'Msitae-%B-%Y').
    title_case: list[str] = Field(default_factory=list)
    # The new column holding each group's label ('Type': '1', '2', 'other').
    into: str | None = None
    # label -> {common name: the file's column}: each group's columns under the same names, e.g.
    # '1': {Attendances: 'A&E attendances Type 1', Over 4hrs: 'Attendances over 4hrs Type 1'}.
    groups: dict[str, dict[str, str]] = Field(default_factory=dict)
    # A group whose every column is empty, '-' or 0 is a department the organisation does not have: no row. The wide
    # file prints 0 under every type for every organisation; the return itself lists only the types it has.
    skip_empty_groups: bool = True
    england_total: EnglandTotal | None = None

    @model_validator(mode="after")
    def _groups_fit(self) -> Reshape:
        if bool(self.into) != bool(self.groups):
            raise ValueError("reshape: give 'into' and 'groups' together")
        names = {tuple(sorted(g)) for g in self.groups.values()}
        if len(names) > 1:
            raise ValueError(f"reshape: every group names the same columns (found {sorted(names)})")
        return self

    def sources(self) -> list[str]:
        """The file's columns the step reads: each group's and the title-cased ones."""
        total = self.england_total
        marks = [*total.marked_in, total.code, total.name, total.period] if total else []
        return list(dict.fromkeys([*self.title_case, *marks, *(c for g in self.groups.values() for c in g.values())]))

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The file's text cells reshaped: one row per published row and group (in file order), other columns kept."""
        if self.england_total is not None:
            frame = self.england_total.apply(frame)
        frame = frame.with_columns(pl.col(c).str.to_titlecase() for c in self.title_case)
        if not self.groups or self.into is None:  # the validator gives both or neither
            return frame
        grouped = {c for g in self.groups.values() for c in g.values()}
        kept = [c for c in frame.columns if c not in grouped]
        parts = []
        for order, (label, columns) in enumerate(self.groups.items()):
            values = [pl.col(source).alias(name) for name, source in sorted(columns.items())]
            part = frame.select(*kept, pl.lit(label).alias(self.into), *values, pl.lit(order).alias("_group"))
            if self.skip_empty_groups:
                empty = pl.all_horizontal(
                    pl.col(name).is_null() | pl.col(name).str.strip_chars().is_in(["", "-", "0"]) for name in columns
                )
                part = part.filter(~empty)
            parts.append(part)
        position = "source_row" if "source_row" in frame.columns else kept[0]
        return pl.concat(parts).sort(position, "_group", maintain_order=True).drop("_group")
