"""Row rules shared by feed contracts; each returns a pandera check that names the failing rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pandera.polars as pa
import polars as pl

from schemas.check_columns import DAY, DAY_IN_REASON, FILE

__all__ = ["DAY", "DAY_IN_REASON", "FILE"]  # and the rules below; the names live in schemas/check_columns.py


def partition_day(day: date | None) -> pl.Expr:
    """The day a row's file is for: the contract's day, or the row's own when the contract is for many days."""
    return pl.col(DAY) if day is None else pl.lit(day, pl.Date)


def said_day(day: date | None) -> str:
    """The day as a rule's name says it: the date, or the placeholder each row's own day replaces."""
    return DAY_IN_REASON if day is None else day.isoformat()


def is_partition_day(day: date | None, name: str) -> pa.Column:
    """A `date` column that must be the partition day (`day`, or the row's own when None)."""
    if day is not None:
        return pa.Column(pl.Date, pa.Check.eq(day, error=name))
    return pa.Column(pl.Date, pa.Check(lambda d: d.lazyframe.select(pl.col(d.key) == pl.col(DAY)), name=name))


def starts_on_day(day: date | None, event: str = "arrival") -> list[pa.Check]:
    """For an `<event>_utc` column: its local date (`<event>_at`) is the file's day or the day before, not later
    than the extract.

    A file for 11 February may hold an attendance that arrived at 23:40 on 10 February (docs/domain.md §7.1): it is
    loaded, and counted on its own day. Anything older is not a record this file can carry. `day` None: each row's
    own partition day (a contract for many days).
    """
    on = partition_day(day)
    return [
        row_rule(
            pl.col(f"{event}_at").dt.date().is_between(on - timedelta(days=1), on),
            f"{event} on the partition day {said_day(day)} or the day before",
        ),
        pa.Check(
            lambda d: d.lazyframe.select(pl.col(d.key) <= pl.col("extracted_at_utc")),
            name=f"{event} not after the extract was taken",
        ),
    ]


def null_or(rule: Callable[[str], pl.Expr], name: str) -> pa.Check:
    """A rule on the checked column (rule(column) -> boolean expression) that an empty value passes."""
    return pa.Check(lambda d: d.lazyframe.select(pl.col(d.key).is_null() | rule(d.key)), name=name)


def row_rule(rule: pl.Expr, name: str) -> pa.Check:
    """A rule over whole rows (rule -> one boolean per row), reported against the column it sits on."""
    return pa.Check(lambda d: d.lazyframe.select(rule), name=name)


def unique_in_file(columns: list[str], name: str) -> pa.Check:
    """No two rows of one file share these key columns; every copy fails, since none is known right."""
    return row_rule(~pl.struct([FILE, *columns]).is_duplicated(), name)


def record_id(
    key: list[str], duplicate: str = "duplicate: the same id appears more than once in this file"
) -> pa.Column:
    """A record id column: never empty, and its record's key (key) unique within its file."""
    return pa.Column(str, checks=[pa.Check.str_length(min_value=1, error="empty id"), unique_in_file(key, duplicate)])
