"""Load a national publication's landed files into national.<publication>, with provenance and quarantine.

For each file in <landing>/national/<publication>/ that one of the publication's layouts matches (schemas/national/):
read it as text (CSV, a sheet of a workbook, or NHS England's sitrep workbook in its published shape), map it
with the feeds' own `map_frame`, place the organisations, run the publication's contract, then account for every
row: loaded (a failing measure set to unknown, docs/domain.md §7.2), quarantined whole (no organisation or day to
place it by, or one of two different rows for one organisation and period), or a duplicate (a repeat of another
row of the file with the same figures, counted once). A file already loaded (its sha256 is in
ops.publication_files) is skipped, and the edition rule keeps, per key, the row of the latest published_at_utc
whatever order the files come in.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines.ingest.landing import column_label, csv_fault
from pipelines.ingest.mapping import map_frame
from pipelines.ingest.validation import contract_errors
from pipelines.national.organisations import UNPLACED, place
from pipelines.national.workbook import read_sitrep_workbook
from pipelines.storage.warehouse import insert_frame, transaction
from schemas import catalogue
from schemas.canonical import RECORD_QUARANTINED, VALUE_SET_TO_UNKNOWN, Reference
from schemas.catalogue import Publication
from schemas.national_layouts import NATIONAL_DIR, PUBLISHER, PublicationLayout, load_publication_layouts

SIDECAR = ".provenance.json"
QUARANTINE_COLUMNS = catalogue.table("ops.quarantine").polars_schema()
FILE_COLUMNS = catalogue.table("ops.publication_files").polars_schema()
# The published cells' text columns carry these beside the layout's columns; `_row` is one row's own number.
ROW, SHEET = "_row", "source_sheet"


class PublicationFileError(ValueError):
    """A whole published file that cannot be read: the message names publication, file and (workbook) sheet."""

    def __init__(self, publication: str, path: Path, problem: str, sheet: str | None = None):
        self.publication, self.path = publication, path
        where = f", sheet {sheet!r}" if sheet else ""
        super().__init__(f"publication {publication}, file {path.name}{where}: {problem}")


@dataclass(frozen=True)
class PublishedFile:
    """One landed file with its provenance (from its sidecar when `uec public fetch` wrote one)."""

    path: Path
    layout: PublicationLayout
    data: bytes
    sha256: str
    source_url: str | None
    fetched_at_utc: datetime | None

    @property
    def published_at_utc(self) -> datetime:
        # Naive UTC, as the warehouse stores timestamps; a file put in by hand is as new as its arrival.
        if self.fetched_at_utc is not None:
            return self.fetched_at_utc
        return datetime.fromtimestamp(self.path.stat().st_mtime, UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class FileResult:
    """What loading one file did: its ops.publication_files row, or why it was skipped."""

    file_name: str
    skipped: str | None = None  # "already loaded" for a file whose sha256 was loaded before
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    rows_with_unknown_values: int = 0


def publication_folder(landing_root: Path, publication: str) -> Path:
    return Path(landing_root) / "national" / publication


def landed(
    publication: str, landing_root: Path, layouts: list[PublicationLayout]
) -> list[tuple[Path, PublicationLayout]]:
    """The publication's files a layout recognises, by name; sidecars and files no layout matches are left."""
    folder = publication_folder(landing_root, publication)
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.endswith(SIDECAR)):
        layout = next((layout for layout in layouts if layout.matches(path.name)), None)
        if layout is not None:
            found.append((path, layout))
    return found


def published_file(path: Path, layout: PublicationLayout) -> PublishedFile:
    """The file's bytes and provenance; a sidecar that is not readable JSON is a fault of the file."""
    data = path.read_bytes()
    sidecar = path.with_name(path.name + SIDECAR)
    url, fetched, meta = None, None, {}
    if sidecar.is_file():
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
            url = meta.get("source_url")
            stamp = meta.get("fetched_at_utc")
            fetched = (
                datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)
                if stamp
                else None
            )
        except (ValueError, AttributeError, TypeError) as exc:
            raise PublicationFileError(
                layout.publication, path, f"provenance sidecar {sidecar.name} is not readable ({type(exc).__name__})"
            ) from None
    digest = hashlib.sha256(data).hexdigest()
    if sidecar.is_file() and meta.get("sha256") not in (None, digest):
        # The provenance is of other bytes: the file was changed or replaced after it was fetched.
        raise PublicationFileError(
            layout.publication, path, f"its sha256 is not the one its provenance sidecar {sidecar.name} records"
        )
    return PublishedFile(path, layout, data, digest, url, fetched)


def read_text(file: PublishedFile) -> pl.DataFrame:
    """The file's cells as text, one row per published row (a workbook: per organisation and day), with `_row`,
    `source_row` and `source_sheet`; texts meaning "not published" read as empty."""
    layout = file.layout
    if layout.format == "sitrep_workbook":
        try:
            frame = read_sitrep_workbook(file.data, layout)
        except ValueError as exc:
            raise PublicationFileError(layout.publication, file.path, str(exc)) from None
    elif layout.format == "xlsx":
        frame = _read_sheet(file)
    else:
        frame = _read_csv(file)
    if layout.reshape is not None:
        frame = _reshaped(file, frame)
    missing = [c for c in layout.required_sources() if c not in frame.columns]
    if missing:
        raise PublicationFileError(
            layout.publication,
            file.path,
            f"missing columns {missing} (found {[column_label(c) for c in frame.columns[:40]]}); "
            f"the layout is {layout.config_path}",
            layout.sheet,
        )
    absent = [m.column for m in layout.columns.values() if m.column and m.column not in frame.columns]
    frame = frame.with_columns(pl.lit(None, pl.Utf8).alias(c) for c in dict.fromkeys(absent))
    texts = [c for c in frame.columns if c not in (ROW, SHEET, "source_row")]
    blank = set(layout.not_published)
    return (
        frame.with_columns(
            pl.when(pl.col(c).str.strip_chars().is_in(list(blank))).then(None).otherwise(pl.col(c)).alias(c)
            for c in texts
        )
        .with_row_index(ROW)
        .with_columns(pl.col(ROW).cast(pl.Int64))
    )


def _reshaped(file: PublishedFile, frame: pl.DataFrame) -> pl.DataFrame:
    """The layout's reader step applied (a wide file's column groups as rows), its own columns checked first."""
    layout, reshape = file.layout, file.layout.reshape
    assert reshape is not None
    missing = [c for c in reshape.sources() if c not in frame.columns]
    if missing:
        raise PublicationFileError(
            layout.publication,
            file.path,
            f"missing columns {missing} (found {[column_label(c) for c in frame.columns[:40]]}); "
            f"the layout is {layout.config_path}",
            layout.sheet,
        )
    return reshape.apply(frame)


def _read_csv(file: PublishedFile) -> pl.DataFrame:
    layout = file.layout
    encoding = "utf-8-sig" if file.data.startswith(b"\xef\xbb\xbf") else layout.encoding
    try:
        text = file.data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = file.data[: exc.start].count(b"\n") + 1
        raise PublicationFileError(layout.publication, file.path, f"line {line} is not {layout.encoding}") from None
    try:
        frame = pl.read_csv(io.StringIO(text), separator=layout.delimiter, infer_schema=False)
    except pl.exceptions.PolarsError:
        raise PublicationFileError(layout.publication, file.path, csv_fault(text, layout.delimiter)) from None
    return frame.with_row_index("source_row", offset=2).with_columns(
        pl.col("source_row").cast(pl.Int64), pl.lit(None, pl.Utf8).alias(SHEET)
    )


def _read_sheet(file: PublishedFile) -> pl.DataFrame:
    layout = file.layout
    sheet = {"sheet_name": layout.sheet} if layout.sheet else {"sheet_id": 1}
    try:
        frame = pl.read_excel(io.BytesIO(file.data), engine="calamine", infer_schema_length=0, **sheet)
    except Exception as exc:  # calamine raises its own types for a bad workbook or missing sheet
        raise PublicationFileError(
            layout.publication, file.path, f"not a readable workbook ({type(exc).__name__})", layout.sheet
        ) from None
    return frame.with_row_index("source_row", offset=2).with_columns(
        pl.col("source_row").cast(pl.Int64), pl.lit(layout.sheet, pl.Utf8).alias(SHEET)
    )


@dataclass
class Outcome:
    """One file's rows sorted: those to load, and the quarantine rows (whole rows and values set to unknown)."""

    loaded: pl.DataFrame  # typed and placed rows, with `_row`
    placed: pl.DataFrame  # every row's `_row`, `_period` and `_key` (the record key as read, ' / ' between parts)
    faults: pl.DataFrame  # _row, column_name, source_column, reason, value, action
    rows_read: int
    rows_quarantined: int
    rows_duplicate: int
    rows_with_unknown_values: int


def _whole(rows: pl.DataFrame, reason: str, column: str | None, value: pl.Expr) -> pl.DataFrame:
    return rows.select(
        pl.col(ROW),
        pl.lit(column, pl.Utf8).alias("column_name"),
        pl.lit(reason).alias("reason"),
        value.cast(pl.Utf8).alias("value"),
        pl.lit(RECORD_QUARANTINED).alias("action"),
    )


def _mapped(raw: pl.DataFrame, entry: Publication, layout: PublicationLayout) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Typed and placed rows keyed by `_row`, and the mapping's cell errors keyed the same way."""
    # map_frame numbers rows by `source_row`: given each row's own number, as a workbook's rows share theirs.
    typed, errors = map_frame(raw.drop("source_row").rename({ROW: "source_row"}), layout, entry.spec)
    typed = typed.rename({"source_row": ROW})
    # A publication that prints no name or region (the monthly return has no region) still places its rows.
    typed = typed.with_columns(pl.lit(None, pl.Utf8).alias(c) for c in ("org_name", "region") if c not in typed.columns)
    typed = typed.with_columns(pl.col("org_code").alias("_published_code"), pl.col("org_name").alias("_published_name"))
    return place(typed), errors.rename({"source_row": ROW})


def sort_rows(raw: pl.DataFrame, entry: Publication, layout: PublicationLayout) -> Outcome:
    """Map, place, de-duplicate and check one file's text rows; every row ends loaded, quarantined or duplicate."""
    period, unknown = entry.period, list(entry.spec.unknown_values())
    typed, errors = _mapped(raw, entry, layout)
    key_text = pl.concat_str(
        [
            pl.coalesce(pl.col(k).cast(pl.Utf8), *([pl.col("_published_code")] if k == "org_code" else []), pl.lit("?"))
            for k in entry.key
        ],
        separator=" / ",
    )
    placed = typed.select(ROW, pl.col(period).alias("_period"), key_text.alias("_key"))
    value_faults = [errors.filter(pl.col("column_name").is_in(unknown))]
    # A row the map could not key (unreadable day) or place (no organisation we know) cannot be loaded.
    whole = [
        errors.filter(~pl.col("column_name").is_in(unknown)).with_columns(pl.lit(RECORD_QUARANTINED).alias("action"))
    ]
    published = pl.concat_str(
        [pl.col("_published_code").fill_null("-"), pl.col("_published_name").fill_null("")], separator=" / "
    )
    whole.append(_whole(typed.filter(pl.col("org_code").is_null()), UNPLACED, "org_code", published))
    undated = typed.filter(pl.col("org_code").is_not_null() & pl.col(period).is_null()).join(
        whole[0], on=ROW, how="anti"
    )
    whole.append(_whole(undated, f"{period} missing", period, pl.lit(None)))
    candidates = typed.join(pl.concat([w.select(ROW) for w in whole]), on=ROW, how="anti")
    candidates, repeats, conflicts = _duplicates(candidates, raw, entry)
    whole.append(conflicts)
    first = candidates[period].min() if candidates.height else None
    contract = entry.contract(Reference([], []), first if isinstance(first, date) else date.today())
    checked = contract_errors(candidates.rename({ROW: "source_row"}), contract, layout.source_columns()).rename(
        {"source_row": ROW}
    )
    fatal = checked.filter(~pl.col("column_name").is_in(unknown)).with_columns(
        pl.lit(RECORD_QUARANTINED).alias("action")
    )
    whole.append(fatal)
    value_faults.append(checked.filter(pl.col("column_name").is_in(unknown)))
    loaded = candidates.join(fatal.select(ROW), on=ROW, how="anti")
    kept = pl.concat(value_faults, how="diagonal_relaxed").join(loaded.select(ROW), on=ROW, how="semi")
    loaded = _set_unknown(loaded, kept, entry.spec.unknown_values())
    quarantined = pl.concat(whole, how="diagonal_relaxed")
    faults = pl.concat(
        [quarantined, kept.with_columns(pl.lit(VALUE_SET_TO_UNKNOWN).alias("action"))], how="diagonal_relaxed"
    )
    return Outcome(
        loaded,
        placed,
        faults,
        raw.height,
        quarantined[ROW].n_unique(),
        repeats,
        kept[ROW].n_unique(),
    )


def spec_values(entry: Publication) -> list[str]:
    """The columns two rows must agree on to be one report: the key and every figure, not the name as spelled."""
    return [c.name for c in entry.spec.columns if c.name not in ("org_name", "region")] + ["org_level"]


def _duplicates(frame: pl.DataFrame, raw: pl.DataFrame, entry: Publication) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    """(rows kept, repeats counted once, quarantine rows for a key published twice with different figures).

    Two rows with one key and the same figures are one report printed twice (one name spelled two ways, as
    RM3's in 2022-23): the first counts. With different figures neither can be called right: every copy goes.
    """
    key = list(entry.key)
    versions = frame.with_columns(pl.struct(spec_values(entry)).n_unique().over(key).alias("_versions"))
    same = versions.filter(pl.col("_versions") == 1).drop("_versions")
    kept = same.filter(pl.col(ROW) == pl.col(ROW).min().over(key))
    conflicting = versions.filter(pl.col("_versions") > 1).join(raw.select(ROW, "source_row", SHEET), on=ROW)
    groups: dict[tuple, list[int]] = {}
    for row in conflicting.select(*key, "source_row").iter_rows():
        groups.setdefault(row[:-1], []).append(row[-1])
    reasons = []
    for row in conflicting.select(*key, "source_row").iter_rows():
        others = ", ".join(str(r) for r in sorted(groups[row[:-1]]) if r != row[-1]) or "repeated"
        named = " ".join(str(v) for v in row[:-1])
        reasons.append(f"conflicting rows for the same {' and '.join(key)} ({named}): differs from row(s) {others}")
    conflicts = conflicting.select(
        pl.col(ROW),
        pl.lit(None, pl.Utf8).alias("column_name"),
        pl.Series("reason", reasons, pl.Utf8),
        pl.lit(None, pl.Utf8).alias("value"),
        pl.lit(RECORD_QUARANTINED).alias("action"),
    )
    return kept, same.height - kept.height, conflicts


def _set_unknown(frame: pl.DataFrame, faults: pl.DataFrame, fills: dict[str, dict[str, object]]) -> pl.DataFrame:
    """The rows with each faulty value (named in `faults`) set to unknown."""
    for column in faults["column_name"].unique().to_list():
        rows = faults.filter(pl.col("column_name") == column)[ROW].implode()
        frame = frame.with_columns(
            pl.when(pl.col(ROW).is_in(rows)).then(pl.lit(value)).otherwise(pl.col(name)).alias(name)
            for name, value in fills[column].items()
        )
    return frame


def _quarantine_frame(
    file: PublishedFile, outcome: Outcome, raw: pl.DataFrame, typed_dates: pl.DataFrame, period: str
) -> pl.DataFrame:
    """ops.quarantine rows: each fault with the published row (and sheet) it is on and the period it is for."""
    if outcome.faults.height == 0:
        return pl.DataFrame(schema=QUARANTINE_COLUMNS)
    first = outcome.loaded[period].min() if outcome.loaded.height else None
    fallback = first if isinstance(first, date) else file.published_at_utc.date()
    placed = raw.select(ROW, "source_row", SHEET).join(typed_dates, on=ROW, how="left")
    frame = outcome.faults.join(placed, on=ROW, how="left")
    if "source_column" not in frame.columns:  # only whole-row faults: none names a column
        frame = frame.with_columns(pl.lit(None, pl.Utf8).alias("source_column"))
    # ops.quarantine has no sheet column: a workbook's source_column names its sheet ("<sheet>: <column>"); a
    # fault of the whole row names the sheet its row number is on.
    reason = (
        pl.when(pl.col(SHEET).is_not_null() & pl.col("source_column").is_null())
        .then(pl.concat_str(pl.lit("sheet '"), pl.col(SHEET), pl.lit("': "), pl.col("reason")))
        .otherwise(pl.col("reason"))
    )
    return frame.select(
        pl.lit(file.layout.publication).alias("feed"),
        pl.lit(PUBLISHER).alias("provider_code"),
        pl.col("_period").fill_null(fallback).cast(pl.Date).alias("partition_date"),
        pl.lit(file.path.name).alias("file_name"),
        pl.lit(file.sha256).alias("sha256"),
        pl.col("source_row").cast(pl.Int32),
        pl.col("column_name").cast(pl.Utf8),
        pl.col("source_column").cast(pl.Utf8),
        reason.alias("reason"),
        pl.col("value").cast(pl.Utf8),
        pl.lit(None, pl.Utf8).alias("record"),
        pl.col("action"),
        pl.col("_key").alias("record_key"),
    )


def _table_frame(entry: Publication, file: PublishedFile, outcome: Outcome, raw: pl.DataFrame) -> pl.DataFrame:
    """The loaded rows as national.<publication> declares them, with where each came from."""
    schema = entry.declared.polars_schema()
    frame = outcome.loaded.join(raw.select(ROW, pl.col("source_row").alias("_source_row"), SHEET), on=ROW, how="left")
    frame = frame.with_columns(
        pl.lit(file.path.name).alias("source_file"),
        pl.lit(file.sha256).alias("source_sha256"),
        pl.col("_source_row").alias("source_row"),
        pl.lit(file.published_at_utc).alias("published_at_utc"),
    )
    # A declared column the publication does not publish (its SPEC has none) is null.
    return frame.select(
        (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in schema.items()
    )


def load_file(
    conn: duckdb.DuckDBPyConnection,
    entry: Publication,
    file: PublishedFile,
    layouts: list[PublicationLayout] | None = None,
) -> FileResult:
    """Load one published file (one transaction); skipped when its bytes were loaded before."""
    seen = conn.execute(
        "select count(*) from ops.publication_files where publication = ? and sha256 = ?", [entry.name, file.sha256]
    ).fetchone()
    if seen and seen[0]:
        return FileResult(file.path.name, skipped="already loaded (same sha256)")
    raw = read_text(file)
    outcome = sort_rows(raw, entry, file.layout)
    quarantine = _quarantine_frame(file, outcome, raw, outcome.placed, entry.period)
    table = _table_frame(entry, file, outcome, raw)
    periods = table[entry.period]
    result = FileResult(
        file.path.name,
        rows_read=outcome.rows_read,
        rows_loaded=table.height,
        rows_quarantined=outcome.rows_quarantined,
        rows_duplicate=outcome.rows_duplicate,
        rows_with_unknown_values=outcome.rows_with_unknown_values,
    )
    ledger = pl.DataFrame(
        [
            {
                "publication": entry.name,
                "file_name": file.path.name,
                "path": str(file.path),
                "sha256": file.sha256,
                "size_bytes": len(file.data),
                "source_url": file.source_url,
                "fetched_at_utc": file.fetched_at_utc,
                "published_at_utc": file.published_at_utc,
                "period_from": periods.min() if table.height else None,
                "period_to": periods.max() if table.height else None,
                "rows_read": result.rows_read,
                "rows_loaded": result.rows_loaded,
                "rows_quarantined": result.rows_quarantined,
                "rows_duplicate": result.rows_duplicate,
                "rows_with_unknown_values": result.rows_with_unknown_values,
                "loaded_at_utc": datetime.now(UTC).replace(tzinfo=None),
            }
        ],
        schema=FILE_COLUMNS,
    )
    with transaction(conn):
        _write_editions(conn, entry, file, table, layouts or [file.layout])
        insert_frame(conn, "ops.quarantine", quarantine)
        insert_frame(conn, "ops.publication_files", ledger)
    return result


def _write_editions(
    conn: duckdb.DuckDBPyConnection,
    entry: Publication,
    file: PublishedFile,
    table: pl.DataFrame,
    layouts: list[PublicationLayout],
) -> None:
    """The edition rule: per key, the latest published_at_utc's figures stand, whatever the load order.

    A file fills the columns its layout maps (the sitrep workbook its topics, the ambulance workbook its delays):
    for a key already loaded those columns are replaced, unless a newer file of the same layout covering the
    row's period, holding any of them, is loaded already (`layouts`: the publication's, to tell which files
    hold which figures). A long-form file maps every column, so its row replaces the row whole.
    """
    if table.height == 0:
        return
    period = entry.period
    newer = conn.execute(
        "select file_name, period_from, period_to from ops.publication_files "
        "where publication = ? and published_at_utc > ? and period_from is not null",
        [entry.name, file.published_at_utc],
    ).fetchall()
    keys = list(entry.key)
    figures = [c for c in file.layout.columns if c not in keys and c not in ("org_code", "org_name", "region")]

    def overlaps(name: str) -> bool:  # a newer file holding any of these figures
        return any(set(figures) & set(other.columns) for other in layouts if other.matches(name))

    for _, start, end in (n for n in newer if overlaps(n[0])):
        table = table.filter(~pl.col(period).is_between(start, end))
    if table.height == 0:
        return
    replaced = [*figures, "org_name", "region", "org_level", *(c for c in table.columns if c.startswith("source_"))]
    on = " and ".join(f"t.{k} = i.{k}" for k in keys)
    conn.register("_edition", table.to_arrow())
    try:
        sets = ", ".join(f"{c} = i.{c}" for c in replaced)
        conn.execute(
            f"update {entry.table} t set {sets}, published_at_utc = greatest(t.published_at_utc, i.published_at_utc) "
            f"from _edition i where {on}"
        )
        conn.execute(
            f"insert into {entry.table} by name select * from _edition i "
            f"where not exists (select 1 from {entry.table} t where {on})"
        )
    finally:
        conn.unregister("_edition")


def load_publication(
    conn: duckdb.DuckDBPyConnection, name: str, landing_root: Path, layouts_dir: Path | str = NATIONAL_DIR
) -> tuple[list[FileResult], list[str]]:
    """Load every new file of a publication: each file's result, and the faults of files that could not be read.

    One unreadable file does not stop the others; its fault (naming publication, file and sheet) is returned.
    """
    entry = catalogue.publication(name)
    layouts = load_publication_layouts(name, layouts_dir)
    results: list[FileResult] = []
    faults: list[str] = []
    for path, layout in landed(name, Path(landing_root), layouts):
        try:
            results.append(load_file(conn, entry, published_file(path, layout), layouts))
        except PublicationFileError as exc:
            faults.append(str(exc))
    return results, faults
