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


def _replace_table(
    warehouse: WarehouseResource, table: str, path: Path, check: Callable[[pl.DataFrame], None]
) -> dg.MaterializeResult:
    frame = read_reference(path)
    try:
        # Refused before anything is written: a code at two levels would make every mart join it twice.
        check(frame)
    except ReferenceError as exc:
        raise dg.Failure(str(exc)) from None
    with warehouse.get_connection() as conn:
        ensure_schema(conn)
        _same_key(conn)
        with transaction(conn):
            conn.execute(f"delete from {table}")
            insert_frame(conn, table, frame)
    return dg.MaterializeResult(
        metadata={"dagster/row_count": frame.height, "source": str(path), "preview": preview(frame)}
    )


def _replace_unique(
    warehouse: WarehouseResource, feed_files: FeedFilesResource, table: str, key: list[str], also_required: list[str]
) -> dg.MaterializeResult:
    """A reference table whose rule is one row per key, with the key and the also_required columns never blank."""
    path = Path(feed_files.reference_dir) / f"{table}.csv"
    return _replace_table(warehouse, f"ref.{table}", path, lambda f: check_unique(f, path, key, key + also_required))


def _same_key(conn) -> None:
    # A run with another key must stop before it writes anything, reference tables included.
    try:
        check_key(conn, record=False)
    except KeyMismatchError as exc:
        raise dg.Failure(str(exc)) from None


@dg.asset(key=["ref", "sites"], kinds={"duckdb"}, group_name="reference", metadata=_columns("sites"))
def sites(warehouse: WarehouseResource, feed_files: FeedFilesResource) -> dg.MaterializeResult:
    """Hospital sites with their trust and system (ODS codes), from schemas/reference/sites.csv."""
    path = Path(feed_files.reference_dir) / "sites.csv"
    return _replace_table(warehouse, "ref.sites", path, lambda f: check_sites(f, path))


@dg.asset(key=["ref", "targets"], kinds={"duckdb"}, group_name="reference", metadata=_columns("targets"))
def targets(warehouse: WarehouseResource, feed_files: FeedFilesResource) -> dg.MaterializeResult:
    """Dated national standards and targets (e.g. 4-hour 78% in 2024/25), from schemas/reference/targets.csv."""
    return _replace_unique(warehouse, feed_files, "targets", ["metric", "effective_from"], ["value_pct"])


@dg.asset(
    key=["ref", "system_headline"], kinds={"duckdb"}, group_name="reference", metadata=_columns("system_headline")
)
def system_headline(warehouse: WarehouseResource, feed_files: FeedFilesResource) -> dg.MaterializeResult:
    """The trusts whose sites make each system's headline ED figure, from schemas/reference/system_headline.csv."""
    folder = Path(feed_files.reference_dir)
    path = folder / "system_headline.csv"
    return _replace_table(
        warehouse, "ref.system_headline", path, lambda f: check_headline(f, path, read_reference(folder / "sites.csv"))
    )


@dg.asset(key=["ref", "providers"], kinds={"duckdb"}, group_name="reference", metadata=_columns("providers"))
def providers(warehouse: WarehouseResource, feed_files: FeedFilesResource) -> dg.MaterializeResult:
    """Provider organisations (ODS codes), their role and whether they post OPEL, from providers.csv."""
    return _replace_unique(warehouse, feed_files, "providers", ["provider_code"], ["role", "system_code"])


@dg.asset(key=["ref", "trust_regions"], kinds={"duckdb"}, group_name="reference", metadata=_columns("trust_regions"))
def trust_regions(warehouse: WarehouseResource, feed_files: FeedFilesResource) -> dg.MaterializeResult:
    """Each acute trust's NHS England region (from the 2022-23 winter sitrep), from trust_regions.csv."""
    return _replace_unique(warehouse, feed_files, "trust_regions", ["trust_code"], ["trust_name", "region"])


@dg.multi_asset(
    name="opel_config",
    specs=[
        dg.AssetSpec(
            ["ref", name],
            kinds={"duckdb"},
            group_name="reference",
            description=description,
            metadata=_columns(name),
        )
        for name, description in [
            (
                "opel_parameters",
                "OPEL acute parameters: weight, direction and level bounds (LOCAL PLACEHOLDER values).",
            ),
            ("opel_bands", "Score bands turning a provider score or the system score into an OPEL level."),
            ("opel_system_weights", "Each provider's weight in the system OPEL score."),
        ]
    ],
)
def opel_config(warehouse: WarehouseResource, feed_files: FeedFilesResource):
    """OPEL thresholds, bands and system weights from schemas/reference/opel.yaml."""
    path = Path(feed_files.reference_dir) / "opel.yaml"
    config = load_opel_config(path)
    tables = {
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
    with warehouse.get_connection() as conn:
        ensure_schema(conn)
        _same_key(conn)
        with transaction(conn):
            for name, frame in tables.items():
                conn.execute(f"delete from ref.{name}")
                insert_frame(conn, f"ref.{name}", frame)
    for name, frame in tables.items():
        yield dg.MaterializeResult(
            asset_key=["ref", name],
            metadata={"dagster/row_count": frame.height, "source": str(path), "preview": preview(frame)},
        )


@dg.asset(
    key=["ref", "reconciliation_tolerances"],
    kinds={"duckdb"},
    group_name="reference",
    metadata=_columns("reconciliation_tolerances"),
)
def reconciliation_tolerances(warehouse: WarehouseResource, feed_files: FeedFilesResource) -> dg.MaterializeResult:
    """How far a local figure may differ from the national return, from schemas/reference/reconciliation.csv."""
    path = Path(feed_files.reference_dir) / "reconciliation.csv"
    key = ["publication", "measure"]
    return _replace_table(
        warehouse,
        "ref.reconciliation_tolerances",
        path,
        lambda f: check_unique(f, path, key, [*key, "absolute", "percent"]),
    )


reference_assets = [sites, targets, system_headline, providers, trust_regions, opel_config, reconciliation_tolerances]
