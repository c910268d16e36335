"""Reference tables loaded from files kept in the repo (schemas/reference/)."""

from collections.abc import Callable
from pathlib import Path

import dagster as dg
import polars as pl

from pipelines.ingest.pseudonymise import KeyMismatchError, check_key
from pipelines.metadata import column_schema, preview
from pipelines.resources import FeedFilesResource, WarehouseResource
from pipelines.storage.warehouse import ensure_schema, insert_frame, transaction
from schemas import catalogue
from schemas.opel_config import load_opel_config
from schemas.reference_checks import ReferenceError, check_headline, check_sites, check_unique

_DESCRIBED = {r.table: r.columns for r in catalogue.REFERENCE}


def _columns(table: str) -> dict[str, dg.TableSchema]:
    return column_schema(f"ref.{table}", _DESCRIBED[table])


def read_reference(path: Path) -> pl.DataFrame:
    """A reference CSV as text columns, blanks as nulls."""
    return pl.read_csv(path, infer_schema_length=0).with_columns(pl.all().replace("", None))


def _unique(
    file: str, table: str, key: list[str], also_required: list[str]
) -> Callable[[Path], dict[str, pl.DataFrame]]:
    """A reference table whose rule is one row per key, with the key and the also_required columns never blank."""

    def read(folder: Path) -> dict[str, pl.DataFrame]:
        path = folder / file
        frame = read_reference(path)
        check_unique(frame, path, key, key + also_required)
        return {table: frame}

    return read


def _sites(folder: Path) -> dict[str, pl.DataFrame]:
    path = folder / "sites.csv"
    frame = read_reference(path)
    check_sites(frame, path)
    return {"sites": frame}


def _system_headline(folder: Path) -> dict[str, pl.DataFrame]:
    path = folder / "system_headline.csv"
    frame = read_reference(path)
    check_headline(frame, path, read_reference(folder / "sites.csv"))
    return {"system_headline": frame}


def _opel(folder: Path) -> dict[str, pl.DataFrame]:
    config = load_opel_config(folder / "opel.yaml")
    return {
        "opel_parameters": pl.DataFrame(
            [
                {
                    "parameter": name,
                    "weight": p.weight,
                    "direction": p.direction,
                    "bound_1": p.bounds[0],
                    "bound_2": p.bounds[1],
                    "bound_3": p.bounds[2],
                }
                for name, p in config.parameters.items()
            ]
        ),
        "opel_bands": pl.DataFrame(
            [{"scope": "provider", "level": i + 1, "max_score": b} for i, b in enumerate(config.score_bands)]
            + [{"scope": "system", "level": i + 1, "max_score": b} for i, b in enumerate(config.system.score_bands)]
        ),
        "opel_system_weights": pl.DataFrame(
            [{"provider_code": code, "weight": w} for code, w in config.system.weights.items()]
        ),
    }


# Each file of schemas/reference/ (or UEC_REFERENCE_DIR): the tables it fills, with their descriptions, and its reader,
# which refuses the file before anything is written (a code at two levels would make every mart join it twice).
_FILES: list[tuple[str, dict[str, str], Callable[[Path], dict[str, pl.DataFrame]]]] = [
    ("sites.csv", {"sites": "Hospital sites with their trust and system (ODS codes)."}, _sites),
    (
        "targets.csv",
        {"targets": "Dated national standards and targets (e.g. 4-hour 78% in 2024/25)."},
        _unique("targets.csv", "targets", ["metric", "effective_from"], ["value_pct"]),
    ),
    (
        "system_headline.csv",
        {"system_headline": "The trusts whose sites make each system's headline ED figure."},
        _system_headline,
    ),
    (
        "providers.csv",
        {"providers": "Provider organisations (ODS codes), their role and whether they post OPEL."},
        _unique("providers.csv", "providers", ["provider_code"], ["role", "system_code"]),
    ),
    (
        "trust_regions.csv",
        {"trust_regions": "Each acute trust's NHS England region (from the 2022-23 winter sitrep)."},
        _unique("trust_regions.csv", "trust_regions", ["trust_code"], ["trust_name", "region"]),
    ),
    (
        "opel.yaml",
        {
            "opel_parameters": "OPEL acute parameters: weight, direction and level bounds (LOCAL PLACEHOLDER values).",
            "opel_bands": "Score bands turning a provider score or the system score into an OPEL level.",
            "opel_system_weights": "Each provider's weight in the system OPEL score.",
        },
        _opel,
    ),
    (
        "reconciliation.csv",
        {"reconciliation_tolerances": "How far a local figure may differ from the national return."},
        _unique("reconciliation.csv", "reconciliation_tolerances", ["publication", "measure"], ["absolute", "percent"]),
    ),
]


@dg.multi_asset(
    name="reference",
    specs=[
        dg.AssetSpec(
            ["ref", table],
            kinds={"duckdb"},
            group_name="reference",
            description=f"{description.removesuffix('.')}, from {file}.",
            metadata=_columns(table),
        )
        for file, tables, _ in _FILES
        for table, description in tables.items()
    ],
    can_subset=True,
)
def reference(context: dg.AssetExecutionContext, warehouse: WarehouseResource, feed_files: FeedFilesResource):
    """Every reference table from its file, all read and checked before any is written, then written together."""
    folder = Path(feed_files.reference_dir)
    wanted = {key.path[1] for key in context.selected_asset_keys}
    frames: dict[str, pl.DataFrame] = {}
    sources: dict[str, str] = {}
    # One step for the lot: each step costs a Dagster start and a warehouse open, more than a small table's load.
    for file, tables, read in _FILES:
        if wanted & tables.keys():
            try:
                read_frames = read(folder)
            except ReferenceError as exc:
                raise dg.Failure(str(exc)) from None
            frames |= {t: f for t, f in read_frames.items() if t in wanted}
            sources |= dict.fromkeys(read_frames, str(folder / file))
    with warehouse.get_connection() as conn:
        ensure_schema(conn)
        _same_key(conn)
        with transaction(conn):
            for table, frame in frames.items():
                conn.execute(f"delete from ref.{table}")
                insert_frame(conn, f"ref.{table}", frame)
    for table, frame in frames.items():
        yield dg.MaterializeResult(
            asset_key=["ref", table],
            metadata={"dagster/row_count": frame.height, "source": sources[table], "preview": preview(frame)},
        )


def _same_key(conn) -> None:
    # A run with another key must stop before it writes anything, reference tables included.
    try:
        check_key(conn, record=False)
    except KeyMismatchError as exc:
        raise dg.Failure(str(exc)) from None


reference_assets = [reference]
