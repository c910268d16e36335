"""Ingest one feed's files for a range of days: read, map, validate, split into loaded and quarantined rows."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

import polars as pl

from pipelines.ingest.landing import FeedFileError, LandedFile, RaggedRow, list_folder, ragged_rows, read_text_frame
from pipelines.ingest.mapping import empty_errors, map_frame
from pipelines.ingest.pseudonymise import MASK, remove_nhs_numbers, scrub_quarantine, scrub_text
from pipelines.ingest.timings import stage
from pipelines.ingest.validation import contract_errors
from schemas import catalogue
from schemas.canonical import RECORD_QUARANTINED, VALUE_SET_TO_UNKNOWN, FeedSpec
from schemas.check_columns import DAY, FILE
from schemas.registry import BrokenLayout, FeedConfig

# The frames written to the ops tables, as the catalogue declares them.
FILE_COLUMNS = catalogue.table("ops.source_files").polars_schema()
REJECTED_COLUMNS = catalogue.table("ops.rejected_files").polars_schema()
DUPLICATE_COLUMNS = catalogue.table("ops.duplicate_files").polars_schema()
DUPLICATE_ROW_COLUMNS = catalogue.table("ops.duplicate_rows").polars_schema()
QUARANTINE_COLUMNS = catalogue.table("ops.quarantine").polars_schema()

if TYPE_CHECKING:
    import pandera.polars as pa


@dataclass
class PartitionBatch:
    """What one day of one feed produced, ready for a delete-then-insert write."""

    loaded: list[pl.DataFrame] = field(default_factory=list)
    quarantined: list[pl.DataFrame] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    # Files (or provider layouts) that could not be read at all.
    rejected: list[dict] = field(default_factory=list)
    # Providers whose day is left as it was: their layout is broken, or their latest file unreadable.
    blocked: set[str] = field(default_factory=set)
    # Byte-identical copies of a file already in the batch: recorded, never loaded twice.
    duplicates: list[dict] = field(default_factory=list)
    # Rows repeating an earlier row of the same file: recorded, counted once.
    duplicate_rows: list[pl.DataFrame] = field(default_factory=list)

    @property
    def failed_providers(self) -> list[str]:
        return sorted(self.blocked)

    def frames(self) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        loaded = pl.concat(self.loaded, how="vertical") if self.loaded else pl.DataFrame()
        quarantined = pl.concat(self.quarantined) if self.quarantined else pl.DataFrame(schema=QUARANTINE_COLUMNS)
        return loaded, quarantined, self.files_frame()

    def files_frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.files, schema=FILE_COLUMNS)

    def rejected_frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.rejected, schema=REJECTED_COLUMNS)

    def duplicates_frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.duplicates, schema=DUPLICATE_COLUMNS)

    def duplicate_rows_frame(self) -> pl.DataFrame:
        return pl.concat(self.duplicate_rows) if self.duplicate_rows else pl.DataFrame(schema=DUPLICATE_ROW_COLUMNS)


def _naive_utc(frame: pl.DataFrame) -> pl.DataFrame:
    """DuckDB gets UTC instants as plain TIMESTAMP columns named *_utc."""
    return frame.with_columns(pl.col(pl.Datetime("us", "UTC")).dt.replace_time_zone(None))


def _source_columns(config: FeedConfig, spec: FeedSpec) -> dict[str, str | None]:
    names: dict[str, str | None] = {}
    for column in spec.columns:
        source = config.columns[column.name].column if column.name in config.columns else None
        names[column.name] = source
        if column.kind == "local_datetime":
            names[column.utc_name] = source
        if column.kind == "nhs_number":
            names["patient_key"] = source
    return names


def _identifier_columns(config: FeedConfig, spec: FeedSpec) -> list[str]:
    return [
        cast(str, config.columns[c.name].column)  # not None: the condition below
        for c in spec.columns
        if c.kind == "nhs_number" and c.name in config.columns and config.columns[c.name].column
    ]


@dataclass
class PreparedFile:
    """One file read and mapped to the canonical columns, not yet checked against the contract."""

    landed: LandedFile
    config: FeedConfig
    data: bytes
    sha: str
    raw: pl.DataFrame
    typed: pl.DataFrame
    mapping_errors: pl.DataFrame
    nhs_numbers_removed: int = 0
    # Rows in the file, copies included (`raw` and `typed` hold each distinct row once).
    rows_read: int = 0
    duplicate_rows: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=DUPLICATE_ROW_COLUMNS))
    # Rows with more or fewer fields than the header (a truncated last row among them): quarantined whole.
    ragged: list[RaggedRow] = field(default_factory=list)


def prepare_file(
    landed: LandedFile,
    config: FeedConfig,
    spec: FeedSpec,
    data: bytes,
    sha: str | None = None,
) -> PreparedFile:
    """Read and map one file (`sha`: its digest, when the caller has it already)."""
    with stage("read"):
        sha = sha or hashlib.sha256(data).hexdigest()
        raw = read_text_frame(landed, config, data)
        rows_read, ragged = raw.height, ragged_rows(landed, data, config, raw)
        raw, copies = _drop_repeated_rows(raw, {r.source_row for r in ragged})
        raw, removed = _remove_nhs_numbers(raw, config, spec)
    with stage("validate"):
        typed, mapping_errors = map_frame(raw, config, spec)
        typed = typed.with_columns(
            pl.lit(landed.extracted_at_utc).cast(pl.Datetime("us", "UTC")).alias("extracted_at_utc")
        )
    lineage = [
        pl.lit(config.feed).alias("feed"),
        pl.lit(config.provider_code).alias("provider_code"),
        pl.lit(landed.activity_date, pl.Date).alias("partition_date"),
        pl.lit(landed.path.name).alias("file_name"),
        pl.lit(sha).alias("sha256"),
    ]
    duplicate_rows = copies.select(*lineage, "source_row", "duplicate_of_row")
    return PreparedFile(
        landed, config, data, sha, raw, typed, mapping_errors, removed, rows_read, duplicate_rows, ragged
    )


def _drop_repeated_rows(raw: pl.DataFrame, ragged: set[int]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The file's rows with each repeat of an earlier row removed, and the repeats (source_row, duplicate_of_row).

    Two rows identical in every field, unmapped ones included, are one record sent twice (docs/domain.md §7.1): the
    first counts, the copy is recorded. A ragged row (short, long or truncated) is never a copy, whatever its
    fields say: its values are not in their columns.
    """
    cells = [c for c in raw.columns if c != "source_row"]
    candidates = raw.filter(~pl.col("source_row").is_in(list(ragged))) if ragged else raw
    if not cells or not candidates.select(pl.struct(cells).is_duplicated().any()).item():
        return raw, pl.DataFrame(schema={"source_row": pl.Int64, "duplicate_of_row": pl.Int64})
    firsts = candidates.with_columns(pl.col("source_row").min().over(cells).alias("duplicate_of_row"))
    copies = firsts.filter(pl.col("source_row") != pl.col("duplicate_of_row")).select("source_row", "duplicate_of_row")
    return raw.join(copies, on="source_row", how="anti"), copies


def _record_id_columns(config: FeedConfig, spec: FeedSpec) -> list[str]:
    return [m.column for c in spec.columns if c.identifies_record and (m := config.columns.get(c.name)) and m.column]


def _remove_nhs_numbers(raw: pl.DataFrame, config: FeedConfig, spec: FeedSpec) -> tuple[pl.DataFrame, int]:
    """The file's mapped columns with NHS numbers removed, before anything is mapped, checked or stored; and how many.

    Not only free text: a row one field short slides its NHS number into the next column, and a provider may
    use the number as its attendance id. An id holding one becomes its keyed hash, any other column's value
    the marker; the NHS number column itself is left to its own check and hash.
    """
    ids, identifiers = _record_id_columns(config, spec), _identifier_columns(config, spec)
    text = [c for c in config.source_columns if c not in ids and c not in identifiers]
    return remove_nhs_numbers(raw, text, ids)


def check_files(prepared: list[PreparedFile], contract: pa.DataFrameSchema) -> pl.DataFrame:
    """The contract's row errors for all the files at once, each tagged with its file's place in `prepared`.

    One pandera call per file costs ~40 ms before it looks at a row; a range of days of 80 trusts' files pays it
    once. Each row carries its file's day, for a contract that checks rows against their own day.
    """
    with stage("validate"):
        frames = [
            p.typed.with_columns(
                pl.lit(i, dtype=pl.Int32).alias(FILE), pl.lit(p.landed.activity_date, dtype=pl.Date).alias(DAY)
            )
            for i, p in enumerate(prepared)
            if p.typed.height
        ]
        return contract_errors(pl.concat(frames, how="diagonal_relaxed"), contract, {}) if frames else empty_errors()


def finish_file(
    prepared: PreparedFile, spec: FeedSpec, row_errors: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """Loaded rows (with lineage), quarantine rows (one per failing cell) and the file's ops record."""
    with stage("validate"):
        if not (row_errors.height or prepared.mapping_errors.height or prepared.ragged):
            # Most files have no failing cell: their rows load as read, without the joins that place each
            # error (those cost ~8 ms a file, fixed, and a year at England volume is 44,000 files).
            loaded = _with_lineage(prepared, prepared.typed)
            return loaded, pl.DataFrame(schema=QUARANTINE_COLUMNS), _file_record(prepared, loaded, 0, 0, 0)
        errors = _with_file_values(_failing_cells(prepared, spec, row_errors), prepared, spec)
        errors, bad_rows, loaded = _split_rows(prepared, spec, errors)
        quarantined, found_late = _quarantine_rows(prepared, spec, errors)
        unknown = errors.filter(pl.col("action") == VALUE_SET_TO_UNKNOWN)["source_row"].n_unique()
        record = _file_record(prepared, loaded, bad_rows.len(), unknown, found_late)
    return loaded, quarantined, record


def _failing_cells(prepared: PreparedFile, spec: FeedSpec, row_errors: pl.DataFrame) -> pl.DataFrame:
    """Each failing cell once: the mapping's parse errors, the contract's other errors, a ragged row's field count."""
    mapping_errors = prepared.mapping_errors
    source_names = _source_columns(prepared.config, spec)
    row_errors = row_errors.with_columns(
        pl.col("column_name").replace_strict(source_names, default=None).alias("source_column")
    )
    # A cell that could not be parsed also fails the contract on what was derived from it ("value
    # missing" on arrival_utc after an unreadable arrival_at): keep only the precise parse reason.
    row_errors = row_errors.join(
        mapping_errors.select("source_row", "source_column"), on=["source_row", "source_column"], how="anti"
    )
    errors = pl.concat([mapping_errors, row_errors])
    if not prepared.ragged:
        return errors
    # Its values are not in their columns, so they fail other checks too (or, shifted, pass them): the one
    # reason worth reading is the field count, and the whole row is quarantined.
    rows = [r.source_row for r in prepared.ragged]
    return pl.concat(
        [
            errors.filter(~pl.col("source_row").is_in(rows)),
            pl.DataFrame(
                [
                    {
                        "source_row": r.source_row,
                        "column_name": "row",
                        "source_column": None,
                        "value": None,
                        "reason": r.reason,
                    }
                    for r in prepared.ragged
                ],
                schema=errors.schema,
            ),
        ]
    )


def _with_file_values(errors: pl.DataFrame, prepared: PreparedFile, spec: FeedSpec) -> pl.DataFrame:
    """The failing cells with the value as the file gave it, the row's record, and its record id."""
    config, raw = prepared.config, prepared.raw
    # Report what the file says, not our parsed value, so the analyst can find it; never an identifier,
    # and only the columns the layout maps: an unmapped column is named, its values never copied (7.4).
    identifiers = _identifier_columns(config, spec)
    mapped = [c for c in config.source_columns if c in raw.columns]
    unmapped = [c for c in raw.columns if c not in mapped and c != "source_row"]
    # Only the failing rows are shown, so only they are reshaped (a whole file's unpivot cost more than its checks).
    failing = raw.join(errors.select("source_row").unique(), on="source_row", how="semi").select("source_row", *mapped)
    # A ragged row's values sit under the wrong names (an NHS number slid into AGE_BAND): none is copied.
    failing = failing.filter(~pl.col("source_row").is_in([r.source_row for r in prepared.ragged]))
    masked = failing.with_columns([pl.lit(MASK).alias(c) for c in identifiers])
    text_columns = mapped
    fields = [*text_columns, pl.lit(unmapped, dtype=pl.List(pl.Utf8)).alias("unmapped_columns_not_stored")]
    records = masked.select("source_row", pl.struct(fields).struct.json_encode().alias("record"))
    long_values = masked.unpivot(
        index="source_row", on=text_columns, variable_name="source_column", value_name="file_value"
    )
    return (
        errors.join(long_values, on=["source_row", "source_column"], how="left")
        .with_columns(pl.coalesce("file_value", "value").alias("value"))
        .drop("file_value")
        .join(records, on="source_row", how="left")
        .join(_record_keys(prepared.typed, spec, prepared.ragged), on="source_row", how="left")
    )


def _split_rows(
    prepared: PreparedFile, spec: FeedSpec, errors: pl.DataFrame
) -> tuple[pl.DataFrame, pl.Series, pl.DataFrame]:
    """The failing cells with their action, the rows quarantined, and the rows that load (with their lineage)."""
    # A failing value that neither identifies nor places the record is set to unknown; any other
    # quarantines the record, and every cell listed for it says so (docs/domain.md §7.2).
    fills = spec.unknown_values()
    bad_rows = errors.filter(~pl.col("column_name").is_in(list(fills)).fill_null(False))["source_row"].unique()
    errors = errors.with_columns(
        pl.when(pl.col("source_row").is_in(bad_rows.to_list()))
        .then(pl.lit(RECORD_QUARANTINED))
        .otherwise(pl.lit(VALUE_SET_TO_UNKNOWN))
        .alias("action")
    )
    loaded = _set_unknown(
        prepared.typed.filter(~pl.col("source_row").is_in(bad_rows.to_list())),
        errors.filter(pl.col("action") == VALUE_SET_TO_UNKNOWN),
        fills,
    )
    return errors, bad_rows, _with_lineage(prepared, loaded)


def _with_lineage(prepared: PreparedFile, loaded: pl.DataFrame) -> pl.DataFrame:
    """The file's loaded rows with the day, provider and file they came from, ready for the warehouse."""
    lineage = {
        "partition_date": prepared.landed.activity_date,
        "provider_code": prepared.config.provider_code,
        "source_file": prepared.landed.path.name,
        "source_sha256": prepared.sha,
    }
    return _naive_utc(loaded.with_columns([pl.lit(v).alias(k) for k, v in lineage.items()]))


def _quarantine_rows(prepared: PreparedFile, spec: FeedSpec, errors: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """The ops.quarantine rows for the failing cells, and how many NHS numbers were found in them this late."""
    config, landed = prepared.config, prepared.landed
    quarantined = errors.sort("source_row", "column_name").select(
        pl.lit(config.feed).alias("feed"),
        pl.lit(config.provider_code).alias("provider_code"),
        pl.lit(landed.activity_date).alias("partition_date"),
        pl.lit(landed.path.name).alias("file_name"),
        pl.lit(prepared.sha).alias("sha256"),
        "source_row",
        "column_name",
        "source_column",
        "reason",
        "value",
        "record",
        "action",
        "record_key",
    )
    # The file's columns were scrubbed before mapping; this catches a quarantine row built any other way.
    return scrub_quarantine(quarantined, _record_id_columns(config, spec))


def _file_record(prepared: PreparedFile, loaded: pl.DataFrame, quarantined: int, unknown: int, found_late: int) -> dict:
    """The file's ops.source_files row (`quarantined`, `unknown`: rows quarantined, and loaded with a value unknown)."""
    config, landed = prepared.config, prepared.landed
    expected = set(config.source_columns)
    unexpected = ", ".join(c for c in prepared.raw.columns if c not in expected and c != "source_row")
    return {
        **_landed_file(landed, config, prepared.sha, len(prepared.data)),
        "extracted_at_utc": landed.extracted_at_utc.replace(tzinfo=None),
        "rows_read": prepared.rows_read,
        "rows_loaded": loaded.height,
        "rows_quarantined": quarantined,
        "rows_duplicate": prepared.duplicate_rows.height,
        "rows_with_unknown_values": unknown,
        # A header is the provider's text too: a file sent without one has data where the names should be.
        "unexpected_columns": scrub_text(unexpected)[0] or None,
        "nhs_numbers_removed": prepared.nhs_numbers_removed + found_late,
        "resend": config.resend,
        "identity_window_hours": config.identity_window_hours,
    }


def _record_keys(typed: pl.DataFrame, spec: FeedSpec, ragged: list[RaggedRow]) -> pl.DataFrame:
    """Each row's record id as read, joined as sql/record_versions.sql joins it (concat_ws skips a missing part)."""
    # A feed outside the catalogue (a test's, or one being added) has no identity to match re-sent versions by.
    identity = next((f.identity for f in catalogue.FEEDS if f.name == spec.feed), None)
    if identity is None:
        return typed.select("source_row", pl.lit(None, pl.Utf8).alias("record_key"))
    key = pl.concat_str([pl.col(c).cast(pl.Utf8) for c in identity.record_id], separator=" / ", ignore_nulls=True)
    # A ragged row's values are not in their columns: its "id" may be another field altogether.
    shifted = pl.col("source_row").is_in([r.source_row for r in ragged])
    return typed.select("source_row", pl.when(~shifted & (key != "")).then(key).alias("record_key"))


def _set_unknown(loaded: pl.DataFrame, errors: pl.DataFrame, fills: dict[str, dict[str, object]]) -> pl.DataFrame:
    """`loaded` with each failing value replaced by its unknown (null, or "unknown" for a code)."""
    for column_name, rows in errors.group_by("column_name").agg(pl.col("source_row").unique()).iter_rows():
        failing = pl.col("source_row").is_in(rows)
        loaded = loaded.with_columns(
            pl.when(failing).then(pl.lit(value, loaded.schema[name])).otherwise(pl.col(name)).alias(name)
            for name, value in fills[column_name].items()
        )
    return loaded


def _errors_of(errors: pl.DataFrame, index: int) -> pl.DataFrame:
    if FILE not in errors.columns:
        return errors
    return errors.filter(pl.col(FILE) == index).drop(FILE)


def ingest_file(
    landed: LandedFile, config: FeedConfig, spec: FeedSpec, contract: pa.DataFrameSchema, data: bytes | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """One file on its own (the dry run): loaded rows, quarantine rows and the file's ops record."""
    prepared = prepare_file(landed, config, spec, landed.path.read_bytes() if data is None else data)
    return finish_file(prepared, spec, _errors_of(check_files([prepared], contract), 0))


def ingest_days(
    configs: list[FeedConfig],
    spec: FeedSpec,
    landing_root: Path,
    days: list[date],
    contract: pa.DataFrameSchema,
    listed: dict[str, dict[date, list[LandedFile]]] | None = None,
    broken: Sequence[BrokenLayout] = (),
) -> dict[date, PartitionBatch]:
    """Every day's batch, all days' files checked against `contract` in one call (see check_files).

    `contract`: built for no one day (each row is checked against its own file's day), or for the one day asked for.
    `listed`: each provider's files by day when the caller has listed the folders already (a range run).
    `broken`: layouts that could not be used; each is recorded as a rejection and its provider's day kept.
    """
    if listed is None:
        listed = {config.provider_code: list_folder(config, landing_root).by_day for config in configs}
    batches: dict[date, PartitionBatch] = {}
    prepared: list[tuple[PartitionBatch, PreparedFile]] = []
    for day in days:
        batch, files = _read_day(configs, spec, day, listed, broken)
        batches[day] = batch
        prepared.extend((batch, file) for file in files)
    errors = check_files([file for _, file in prepared], contract)
    # Split once: filtering the range's errors for each of its files would cost a pass per file.
    by_file = errors.partition_by(FILE, as_dict=True, include_key=False) if FILE in errors.columns else {}
    no_errors = errors.clear().drop(FILE, strict=False)
    for index, (batch, file) in enumerate(prepared):
        loaded, quarantined, record = finish_file(file, spec, by_file.get((index,), no_errors))
        batch.duplicate_rows.append(file.duplicate_rows)
        batch.loaded.append(loaded)
        batch.quarantined.append(quarantined)
        batch.files.append(record)
    return batches


def _read_day(
    configs: list[FeedConfig],
    spec: FeedSpec,
    day: date,
    listed: dict[str, dict[date, list[LandedFile]]],
    broken: Sequence[BrokenLayout],
) -> tuple[PartitionBatch, list[PreparedFile]]:
    """One day's files read and mapped; a provider whose latest file is unreadable contributes only the rejection."""
    batch = PartitionBatch()
    for layout in broken:
        batch.rejected.append(_layout_rejection(layout, day))
        batch.blocked.add(layout.provider_code)
    prepared: list[PreparedFile] = []
    for config in configs:
        provider: list[PreparedFile] = []
        rejected: list[dict] = []
        seen: dict[str, str] = {}
        for landed in listed[config.provider_code].get(day, []):
            with stage("read"):
                data = landed.path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            if digest in seen:
                batch.duplicates.append(
                    {
                        "feed": config.feed,
                        "provider_code": config.provider_code,
                        "partition_date": day,
                        "file_name": landed.path.name,
                        "sha256": digest,
                        "duplicate_of": seen[digest],
                    }
                )
                continue
            seen[digest] = landed.path.name
            try:
                provider.append(prepare_file(landed, config, spec, data, digest))
                latest_readable = True
            except FeedFileError as exc:
                rejected.append(_rejection(landed, config, str(exc)))
                latest_readable = False
        batch.rejected.extend(rejected)
        if rejected and not latest_readable:
            # The newest file is the unreadable one: loading the older ones alone could pair an old
            # version with a missing correction, so the provider's day stays as it was until it is fixed.
            batch.blocked.add(config.provider_code)
            continue
        # An unreadable file followed by a readable later one (an empty 06:00 file, a good 08:00 one) is
        # recorded, and the later file loads: it supersedes what the bad one would have said.
        prepared.extend(provider)
    return batch, prepared


def _layout_rejection(layout: BrokenLayout, day: date) -> dict:
    text = layout.path.read_bytes()
    return {
        "feed": layout.feed,
        "provider_code": layout.provider_code,
        "partition_date": day,
        "file_name": layout.path.name,
        "path": str(layout.path),
        "sha256": hashlib.sha256(text).hexdigest(),
        "size_bytes": len(text),
        "received_at_utc": datetime.fromtimestamp(layout.path.stat().st_mtime, tz=UTC).replace(tzinfo=None),
        "reason": f"the provider layout {layout.path} cannot be used, so none of {layout.provider_code}'s files were "
        f"read and its data for the day was left as it was: {layout.reason}",
    }


def _landed_file(landed: LandedFile, config: FeedConfig, sha256: str, size_bytes: int) -> dict:
    """Which file of which feed, provider and day: the columns a loaded file and a rejected one share."""
    return {
        "feed": config.feed,
        "provider_code": config.provider_code,
        "partition_date": landed.activity_date,
        "file_name": landed.path.name,
        "path": str(landed.path),
        "sha256": sha256,
        "size_bytes": size_bytes,
        "received_at_utc": landed.received_at_utc.replace(tzinfo=None),
    }


def _rejection(landed: LandedFile, config: FeedConfig, reason: str) -> dict:
    data = landed.path.read_bytes()
    return {
        **_landed_file(landed, config, hashlib.sha256(data).hexdigest(), len(data)),
        # Readers describe where and what kind of fault, never content; this holds to it whatever a reader says.
        "reason": scrub_text(reason)[0],
    }
