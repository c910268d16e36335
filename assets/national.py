"""National publication assets, one per catalogue publication: landed published files in, national.<name> out."""

from collections.abc import Iterable

import dagster as dg

from pipelines.metadata import column_schema
from pipelines.national.load import load_publication
from pipelines.resources import FeedFilesResource, WarehouseResource
from pipelines.storage.warehouse import ensure_schema
from schemas import catalogue
from schemas.catalogue import Publication

GROUP = "national"
ACCOUNTED = "publication_rows_are_accounted"


def publication_key(entry: Publication) -> dg.AssetKey:
    return dg.AssetKey(["national", entry.name])


def build_publication_asset(entry: Publication) -> dg.AssetsDefinition:
    """The unpartitioned asset loading a publication's new files into its national table and ops ledgers."""
    key = publication_key(entry)

    @dg.asset(
        key=key,
        description=entry.description,
        metadata=column_schema(entry.table, entry.columns),
        kinds={"duckdb", "polars", "pandera"},
        group_name=GROUP,
        check_specs=[
            dg.AssetCheckSpec(
                ACCOUNTED,
                asset=key,
                blocking=True,
                description="Every row of every loaded file is loaded, quarantined or counted as a duplicate "
                "(ops.publication_files: rows_read = loaded + quarantined + duplicate).",
            )
        ],
    )
    def _publication(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, feed_files: FeedFilesResource
    ) -> dg.MaterializeResult:
        """Loads the publication's files landed since the last run (a file already loaded is skipped)."""
        with warehouse.get_connection() as conn:
            ensure_schema(conn)
            results, faults = load_publication(conn, entry.name, feed_files.landing)
            unbalanced = conn.execute(
                "select file_name, rows_read, rows_loaded, rows_quarantined, rows_duplicate "
                "from ops.publication_files where publication = ? "
                "and rows_read <> rows_loaded + rows_quarantined + rows_duplicate",
                [entry.name],
            ).fetchall()
        for fault in faults:
            context.log.error(fault)
        loaded = [r for r in results if r.skipped is None]
        if faults:
            # The readable files are loaded; the run fails so the unreadable ones are seen.
            raise dg.Failure(f"{len(faults)} {entry.label} file(s) could not be read: " + "; ".join(faults))
        return dg.MaterializeResult(
            metadata={
                "files_loaded": len(loaded),
                "files_skipped": len(results) - len(loaded),
                "rows_loaded": sum(r.rows_loaded for r in loaded),
                "rows_quarantined": sum(r.rows_quarantined for r in loaded),
                "rows_duplicate": sum(r.rows_duplicate for r in loaded),
                "rows_with_unknown_values": sum(r.rows_with_unknown_values for r in loaded),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name=ACCOUNTED,
                    passed=not unbalanced,
                    metadata={"files_unbalanced": len(unbalanced), "detail": str(unbalanced[:10]) or "none"},
                )
            ],
        )

    return _publication


def national_assets(publications: Iterable[Publication] = catalogue.PUBLICATIONS) -> list[dg.AssetsDefinition]:
    """One asset per publication in the catalogue."""
    return [build_publication_asset(entry) for entry in publications]
