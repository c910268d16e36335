"""Apply a provider's column mapping: source text in, typed canonical columns and row errors out."""

from __future__ import annotations

import polars as pl

from pipelines.pseudonymise import MASK, key_from_env, nhs_number_key
from schemas.canonical import Canonical, FeedSpec
from schemas.registry import ColumnMapping, FeedConfig

LOCAL_TZ = "Europe/London"
_SIMPLE_TYPES = {"integer": pl.Int64, "decimal": pl.Float64, "boolean": pl.Boolean, "date": pl.Date, "text": pl.Utf8}
# A yes/no column without its own `values` is read with the spellings providers commonly use.
DEFAULT_BOOLEAN_VALUES = {"Y": True, "YES": True, "Yes": True, "yes": True, "1": True, "TRUE": True, "True": True, "true": True,
                          "N": False, "NO": False, "No": False, "no": False, "0": False, "FALSE": False, "False": False, "false": False}
ERROR_COLUMNS = {"source_row": pl.Int64, "column_name": pl.Utf8, "source_column": pl.Utf8, "reason": pl.Utf8, "value": pl.Utf8}


def empty_errors() -> pl.DataFrame:
    return pl.DataFrame(schema=ERROR_COLUMNS)


def _source(mapping: ColumnMapping) -> pl.Expr:
    if mapping.constant is not None:
        return pl.lit(mapping.constant, dtype=pl.Utf8)
    text = pl.col(mapping.column).str.strip_chars()
    return pl.when(text.str.len_chars() > 0).then(text)


def _errors(frame: pl.DataFrame, failed: pl.Expr, canonical: str, mapping: ColumnMapping, reason: str, value: pl.Expr | None = None) -> pl.DataFrame:
    return frame.filter(failed).select(
        "source_row",
        pl.lit(canonical).alias("column_name"),
        pl.lit(mapping.column).cast(pl.Utf8).alias("source_column"),
        pl.lit(reason).alias("reason"),
        (value if value is not None else _source(mapping)).cast(pl.Utf8).alias("value"),
    )


def _eval(frame: pl.DataFrame, expr: pl.Expr, name: str) -> pl.Series:
    """One value per row, a constant included (with_columns broadcasts a literal)."""
    return frame.with_columns(expr.alias(name)).get_column(name)


def _to_utc(local: pl.Expr, ambiguous: str) -> pl.Expr:
    return local.dt.replace_time_zone(LOCAL_TZ, ambiguous=ambiguous, non_existent="null").dt.convert_time_zone("UTC")


def map_frame(raw: pl.DataFrame, config: FeedConfig, spec: FeedSpec) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Typed canonical frame (one row per source row) and a long frame of row errors."""
    out = raw.select("source_row")
    errors: list[pl.DataFrame] = []
    for column in spec.columns:
        mapping = config.columns.get(column.name)
        if mapping is None:
            out = out.with_columns(_null_of(column))
            continue
        typed, errs = _map_column(raw, column, mapping, config, out, spec)
        out = out.with_columns(typed)
        errors.extend(errs)
    return out, pl.concat(errors) if errors else empty_errors()


def _null_of(column: Canonical) -> list[pl.Expr]:
    if column.kind == "local_datetime":
        return [pl.lit(None, pl.Datetime("us")).alias(column.name), pl.lit(None, pl.Datetime("us", "UTC")).alias(column.utc_name)]
    if column.kind == "nhs_number":
        return [pl.lit(None, pl.Utf8).alias("patient_key")]
    return [pl.lit(None, _SIMPLE_TYPES.get(column.kind, pl.Utf8)).alias(column.name)]


def _map_column(raw: pl.DataFrame, column: Canonical, mapping: ColumnMapping, config: FeedConfig, typed_so_far: pl.DataFrame, spec: FeedSpec) -> tuple[list[pl.Series], list[pl.DataFrame]]:
    src = _source(mapping)
    errs: list[pl.DataFrame] = []
    values = mapping.values if mapping.values is not None else DEFAULT_BOOLEAN_VALUES if column.kind == "boolean" else None
    if values is not None:
        mapped = src.replace_strict(values, default=None, return_dtype=_SIMPLE_TYPES.get(column.kind, pl.Utf8))
        series = _eval(raw, mapped, column.name)
        failed = src.is_not_null() & mapped.is_null()
        errs.append(_errors(raw, failed, column.name, mapping, f"code not in the mapping for {column.name}: add it under columns.{column.name}.values in {config.config_path}"))
        return [series], errs

    if column.kind == "text":
        return [_eval(raw, src, column.name)], errs

    if column.kind in ("integer", "decimal"):
        parsed = src.cast(_SIMPLE_TYPES[column.kind], strict=False)
        reason = "not a whole number" if column.kind == "integer" else "not a number"
        errs.append(_errors(raw, src.is_not_null() & parsed.is_null(), column.name, mapping, reason))
        return [_eval(raw, parsed, column.name)], errs

    if column.kind == "date":
        parsed = pl.coalesce([src.str.strptime(pl.Date, fmt, strict=False) for fmt in config.date_formats])
        errs.append(_errors(raw, src.is_not_null() & parsed.is_null(), column.name, mapping, f"unreadable date (expected {' or '.join(config.date_formats)})"))
        return [_eval(raw, parsed, column.name)], errs

    if column.kind == "nhs_number":
        key = key_from_env()
        pairs = [nhs_number_key(v, key) for v in _eval(raw, src, column.name).to_list()]
        hashed = pl.Series("patient_key", [p[0] for p in pairs], dtype=pl.Utf8)
        invalid = pl.Series("invalid", [not p[1] for p in pairs], dtype=pl.Boolean)
        frame = raw.with_columns(invalid)
        errs.append(_errors(frame, pl.col("invalid"), column.name, mapping, "invalid NHS number (fails the modulus 11 check)", pl.lit(MASK)))
        return [hashed], errs

    # local_datetime: wall-clock text in one of the provider's formats, Europe/London.
    parsed = pl.coalesce([src.str.strptime(pl.Datetime("us"), fmt, strict=False) for fmt in config.datetime_formats])
    frame = raw.with_columns(parsed.alias("_local"))
    errs.append(_errors(frame, src.is_not_null() & pl.col("_local").is_null(), column.name, mapping, f"unreadable date-time (expected {' or '.join(config.datetime_formats)})"))
    early, late = _to_utc(pl.col("_local"), "earliest"), _to_utc(pl.col("_local"), "latest")
    if column.not_before:
        # In the repeated autumn hour the earlier reading is taken unless it would fall before the
        # start of the episode, when only the later reading is possible.
        ref = pl.col("_ref")
        reference = spec.by_name()[column.not_before].utc_name
        frame = frame.with_columns(typed_so_far.get_column(reference).alias("_ref"))
        utc = pl.when(ref.is_not_null() & (early < ref) & (late >= ref)).then(late).otherwise(early)
    else:
        utc = early
    frame = frame.with_columns(utc.alias("_utc"))
    gap = pl.col("_local").is_not_null() & pl.col("_utc").is_null()
    errs.append(_errors(frame, gap, column.name, mapping, "time does not exist in Europe/London (skipped by the spring clock change)"))
    return [frame.get_column("_local").alias(column.name), frame.get_column("_utc").alias(column.utc_name)], errs

