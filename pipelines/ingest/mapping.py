"""Apply a provider's column mapping: source text in, typed canonical columns and row errors out."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal, Protocol, cast

import polars as pl

from pipelines.ingest.pseudonymise import MASK, key_from_env, nhs_number_keys
from schemas.canonical import Canonical, FeedSpec
from schemas.clock import TIMEZONE
from schemas.registry import ColumnMapping

LOCAL_TZ = TIMEZONE
_SIMPLE_TYPES = {
    "integer": pl.Int64,
    "decimal": pl.Float64,
    "duration": pl.Float64,
    "boolean": pl.Boolean,
    "date": pl.Date,
    "text": pl.Utf8,
}
# Minutes and seconds below 60, at most microseconds; hours unbounded (a season's total handover time).
DURATION = r"^(?P<hours>\d+):(?P<minutes>[0-5]\d):(?P<seconds>[0-5]\d(?:\.\d{1,6})?)$"
# A yes/no column without its own `values` is read with the spellings providers commonly use.
DEFAULT_BOOLEAN_VALUES = {
    "Y": True,
    "YES": True,
    "Yes": True,
    "yes": True,
    "1": True,
    "TRUE": True,
    "True": True,
    "true": True,
    "N": False,
    "NO": False,
    "No": False,
    "no": False,
    "0": False,
    "FALSE": False,
    "False": False,
    "false": False,
}
# Excel's error values: what an error cell holds, as the workbook reader renders it.
SPREADSHEET_ERROR = (
    r"^#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A|GETTING_DATA|SPILL!|CALC!|FIELD!|BLOCKED!|UNKNOWN!)$"
)
ERROR_COLUMNS = {
    "source_row": pl.Int64,
    "column_name": pl.Utf8,
    "source_column": pl.Utf8,
    "reason": pl.Utf8,
    "value": pl.Utf8,
}


class Layout(Protocol):
    """What mapping reads from a layout: a provider's FeedConfig or a national PublicationLayout."""

    @property
    def columns(self) -> dict[str, ColumnMapping]: ...
    @property
    def config_path(self) -> str: ...
    @property
    def date_formats(self) -> list[str]: ...
    @property
    def datetime_formats(self) -> list[str]: ...


def empty_errors() -> pl.DataFrame:
    return pl.DataFrame(schema=ERROR_COLUMNS)


def _source(mapping: ColumnMapping) -> pl.Expr:
    if mapping.constant is not None:
        return pl.lit(mapping.constant, dtype=pl.Utf8)
    assert mapping.column is not None  # ColumnMapping: exactly one of column and constant
    text = pl.col(mapping.column).str.strip_chars()
    return pl.when(text.str.len_chars() > 0).then(text)


@dataclass(frozen=True)
class _Failure:
    """One way a column's cell can fail, as a flag computed with the typed columns."""

    canonical: str
    source_column: str | None
    reason: str
    flag: pl.Expr | None = None  # None: flagged after the pass (the NHS number check)
    value: pl.Expr | None = None


def _to_utc(local: pl.Expr, ambiguous: Literal["earliest", "latest"]) -> pl.Expr:
    return local.dt.replace_time_zone(LOCAL_TZ, ambiguous=ambiguous, non_existent="null").dt.convert_time_zone("UTC")


@dataclass(frozen=True)
class _Plan:
    """A layout's mapping as polars expressions, built once per layout and applied to each of its files."""

    layers: list[list[pl.Expr]]
    select: list[pl.Expr]
    failures: list[_Failure]
    identifier: tuple[Canonical, ColumnMapping] | None

    @property
    def flags(self) -> list[str]:
        return [f"_failed_{i}" for i in range(len(self.failures))]

    @property
    def values(self) -> list[str]:
        return [f"_value_{i}" for i in range(len(self.failures))]


# Building the expressions cost more than running them on a small file; keyed by the layout object
# (load_feed_configs hands out one per file content) and the feed.
_PLANS: dict[tuple[int, str], tuple[Layout, _Plan]] = {}


def _plan(config: Layout, spec: FeedSpec) -> _Plan:
    cached = _PLANS.get((id(config), spec.feed))
    if cached is not None and cached[0] is config:
        return cached[1]
    # Every column and every failure flag is one expression over the source text, evaluated in one
    # pass: column by column, a file cost a few dozen small polars calls, most of a day's mapping time.
    typed: list[pl.Expr] = []
    failures: list[_Failure] = []
    # Date-times are parsed into helper columns first, layer by layer (a UTC reading may depend on
    # another column's), so no parse is repeated inside the expressions that use it.
    layers: dict[int, list[pl.Expr]] = defaultdict(list)
    utc_depth: dict[str, int] = {}
    identifier: tuple[Canonical, ColumnMapping] | None = None
    for column in spec.columns:
        mapping = config.columns.get(column.name)
        if mapping is None:
            typed.extend(_null_of(column))
        elif column.kind == "nhs_number":
            identifier = (column, mapping)  # hashed in map_frame: a keyed hash is not a polars expression
            typed.append(pl.lit(None, pl.Utf8).alias("patient_key"))
        else:
            exprs, fails = _column_exprs(column, mapping, config, layers, utc_depth)
            typed.extend(exprs)
            failures.extend(fails)
    plan = _Plan([layers[d] for d in sorted(layers)], [], failures, identifier)
    plan.select.extend(
        [
            pl.col("source_row"),
            *typed,
            # Each of a plan's failures has its flag and value: only map_frame's NHS number one has neither.
            *(cast(pl.Expr, f.flag).fill_null(False).alias(name) for f, name in zip(failures, plan.flags)),
            *(cast(pl.Expr, f.value).cast(pl.Utf8).alias(name) for f, name in zip(failures, plan.values)),
        ]
    )
    _PLANS[(id(config), spec.feed)] = (config, plan)
    return plan


def map_frame(raw: pl.DataFrame, config: Layout, spec: FeedSpec) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Typed canonical frame (one row per source row) and a long frame of row errors."""
    plan = _plan(config, spec)
    helped = raw
    for layer in plan.layers:
        helped = helped.with_columns(layer)
    out = helped.select(plan.select)
    failures, flags, values = list(plan.failures), plan.flags, plan.values
    if plan.identifier is not None:
        column, mapping = plan.identifier
        keys, valid = nhs_number_keys(raw.select("source_row", _source(mapping).alias("n"))["n"], key_from_env())
        out = out.with_columns(keys.alias("patient_key"), (~valid).alias("_failed_id"), pl.lit(MASK).alias("_value_id"))
        failures.append(_Failure(column.name, mapping.column, "invalid NHS number (fails the modulus 11 check)"))
        flags.append("_failed_id")
        values.append("_value_id")
    errors = _errors(out, failures, flags, values)
    return out.drop(flags, values), errors


def _errors(out: pl.DataFrame, failures: list[_Failure], flags: list[str], values: list[str]) -> pl.DataFrame:
    """One error row per failing cell, in column order; most files have none, found in one pass."""
    if not flags:
        return empty_errors()
    failing = out.filter(pl.any_horizontal(flags))
    if failing.height == 0:
        return empty_errors()
    return pl.concat(
        [
            failing.filter(pl.col(flag)).select(
                "source_row",
                pl.lit(f.canonical).alias("column_name"),
                pl.lit(f.source_column, pl.Utf8).alias("source_column"),
                pl.lit(f.reason).alias("reason"),
                pl.col(value).alias("value"),
            )
            for f, flag, value in zip(failures, flags, values)
        ]
    )


def _null_of(column: Canonical) -> list[pl.Expr]:
    if column.kind == "local_datetime":
        return [
            pl.lit(None, pl.Datetime("us")).alias(column.name),
            pl.lit(None, pl.Datetime("us", "UTC")).alias(column.utc_name),
        ]
    if column.kind == "nhs_number":
        return [pl.lit(None, pl.Utf8).alias("patient_key")]
    return [pl.lit(None, _SIMPLE_TYPES.get(column.kind, pl.Utf8)).alias(column.name)]


def _column_exprs(
    column: Canonical,
    mapping: ColumnMapping,
    config: Layout,
    layers: dict[int, list[pl.Expr]],
    utc_depth: dict[str, int],
) -> tuple[list[pl.Expr], list[_Failure]]:
    written = _source(mapping)
    # A spreadsheet's error cell (#DIV/0!, #N/A) holds no value: it is read as empty and named as what it is, so a
    # text column does not store "#N/A" and a number column does not report it as a badly typed number.
    spreadsheet_error = written.str.contains(SPREADSHEET_ERROR).fill_null(False)
    src = pl.when(~spreadsheet_error).then(written)

    def failure(flag: pl.Expr, reason: str) -> _Failure:
        return _Failure(column.name, mapping.column, reason, flag, src)

    error_cell = _Failure(
        column.name,
        mapping.column,
        "a spreadsheet error cell (such as #DIV/0! or #N/A), not a value",
        spreadsheet_error,
        written,
    )
    exprs, fails = _typed_exprs(column, mapping, config, layers, utc_depth, src, failure)
    return exprs, [error_cell, *fails]


def duration_minutes(text: pl.Expr) -> pl.Expr:
    """`HH:MM:SS[.ffffff]` text as minutes (double); null where the text is not such a duration."""
    parts = text.str.extract_groups(DURATION)
    return (
        parts.struct.field("hours").cast(pl.Float64) * 60
        + parts.struct.field("minutes").cast(pl.Float64)
        + parts.struct.field("seconds").cast(pl.Float64) / 60
    )


def _typed_exprs(column, mapping, config, layers, utc_depth, src, failure) -> tuple[list[pl.Expr], list[_Failure]]:

    values = (
        mapping.values if mapping.values is not None else DEFAULT_BOOLEAN_VALUES if column.kind == "boolean" else None
    )
    if values is not None:
        mapped = src.replace_strict(values, default=None, return_dtype=_SIMPLE_TYPES.get(column.kind, pl.Utf8))
        reason = (
            f"code not in the mapping for {column.name}: add it under columns.{column.name}.values in "
            f"{config.config_path}"
        )
        return [mapped.alias(column.name)], [failure(src.is_not_null() & mapped.is_null(), reason)]

    if column.kind == "text":
        return [src.alias(column.name)], []

    if column.kind in ("integer", "decimal"):
        parsed = src.cast(_SIMPLE_TYPES[column.kind], strict=False)
        reason = "not a whole number" if column.kind == "integer" else "not a number"
        return [parsed.alias(column.name)], [failure(src.is_not_null() & parsed.is_null(), reason)]

    if column.kind == "duration":
        parsed = duration_minutes(src) / (60 if column.duration_in == "hours" else 1)
        return [parsed.alias(column.name)], [failure(src.is_not_null() & parsed.is_null(), "not a duration HH:MM:SS")]

    if column.kind == "date":
        parsed = pl.coalesce([src.str.strptime(pl.Date, fmt, strict=False) for fmt in config.date_formats])
        reason = f"unreadable date (expected {' or '.join(config.date_formats)})"
        return [parsed.alias(column.name)], [failure(src.is_not_null() & parsed.is_null(), reason)]

    # local_datetime: wall-clock text in one of the provider's formats, Europe/London.
    local, utc = pl.col(f"__local_{column.name}"), pl.col(f"__utc_{column.name}")
    layers[0].append(
        pl.coalesce([src.str.strptime(pl.Datetime("us"), fmt, strict=False) for fmt in config.datetime_formats]).alias(
            f"__local_{column.name}"
        )
    )
    early, late = _to_utc(local, "earliest"), _to_utc(local, "latest")
    if column.not_before and column.not_before in utc_depth:
        # In the repeated autumn hour the earlier reading is taken unless it would fall before the
        # start of the episode, when only the later reading is possible.
        ref = pl.col(f"__utc_{column.not_before}")
        utc_depth[column.name] = utc_depth[column.not_before] + 1
        reading = pl.when(ref.is_not_null() & (early < ref) & (late >= ref)).then(late).otherwise(early)
    else:
        utc_depth[column.name] = 1
        reading = early
    layers[utc_depth[column.name]].append(reading.alias(f"__utc_{column.name}"))
    return [local.alias(column.name), utc.alias(column.utc_name)], [
        failure(
            src.is_not_null() & local.is_null(),
            f"unreadable date-time (expected {' or '.join(config.datetime_formats)})",
        ),
        failure(
            local.is_not_null() & utc.is_null(),
            "time does not exist in Europe/London (skipped by the spring clock change)",
        ),
    ]
