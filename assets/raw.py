"""Raw feed assets, one per catalogue feed: landed files in, validated rows and quarantine out, with their checks."""

from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from pipelines.ingest.freshness import arrival
from pipelines.ingest.landing import LandedFile
from pipelines.ingest.load import FeedLoad, load_feed_days
from pipelines.ingest.pseudonymise import KeyMismatchError
from pipelines.metadata import column_schema, failing_days, preview
from pipelines.partitions import daily_partitions, partition_days, single_run_backfill
from pipelines.resources import FeedFilesResource, WarehouseResource
from pipelines.storage.record_changes import resent_feeds
from pipelines.storage.warehouse import quoted, sql
from schemas import catalogue
from schemas.catalogue import Feed
from schemas.clock import LONDON
from schemas.registry import FeedConfig


def raw_check_specs(key: dg.AssetKey, entry: Feed) -> list[dg.AssetCheckSpec]:
    identity = (
        [
            dg.AssetCheckSpec(
                "every_record_id_names_one_record",
                asset=key,
                description="No version sends a known id for a different record (domain.md §7.1); such versions are "
                "listed in ops.record_ids_reused and never counted.",
            ),
            dg.AssetCheckSpec(
                "every_resent_record_was_accepted",
                asset=key,
                description="Every row of a later file for a day loaded: a re-send whose rows all failed withdraws "
                "nothing, and a failed re-sent row leaves its earlier version counting "
                "(ops.records_resent_with_fault). Records a full re-send withdrew are counted in its metadata "
                "(ops.records_withdrawn).",
            ),
        ]
        if entry.identity
        else []
    )
    return [
        *identity,
        dg.AssetCheckSpec(
            "record_keys_unique_per_file",
            asset=key,
            blocking=True,
            description="No record key appears twice in one loaded file (the warehouse rechecks the contract).",
        ),
        dg.AssetCheckSpec(
            "rows_pass_the_contract",
            asset=key,
            description="Rows checked against the pandera contract, rows quarantined, and the top reasons.",
        ),
        dg.AssetCheckSpec(
            "every_provider_arrived_on_time",
            asset=key,
            description="Each provider's first file for the day was extracted by its layout's arrives_by time.",
        ),
    ]


def unique_keys_result(conn: duckdb.DuckDBPyConnection, feed: Feed, first: date, last: date) -> dg.AssetCheckResult:
    key = ", ".join(feed.spec.key)
    duplicates = conn.sql(
        sql("check_record_keys_unique", raw_table=feed.table, key=feed.spec.key), params={"first": first, "last": last}
    ).pl()
    return dg.AssetCheckResult(
        check_name="record_keys_unique_per_file",
        passed=duplicates.height == 0,
        metadata={
            "key": key,
            "duplicate_keys": duplicates.height,
            "detail": preview(duplicates) if duplicates.height else "every key is unique within its file",
            **failing_days(duplicates["partition_date"]),
        },
    )


def reused_ids_result(conn: duckdb.DuckDBPyConnection, feed: Feed, first: date, last: date) -> dg.AssetCheckResult:
    assert feed.identity is not None  # asked only for a feed with record identity
    reused = conn.sql(
        f"select * from {quoted(feed.identity.names(feed.name)['reused_in'])}($first, $last) order by all",
        params={"first": first, "last": last},
    ).pl()
    return dg.AssetCheckResult(
        check_name="every_record_id_names_one_record",
        passed=reused.height == 0,
        severity=dg.AssetCheckSeverity.WARN,
        description=None
        if reused.height == 0
        else f"{reused.height} version(s) reuse an id for a different record, not counted: "
        + "; ".join(
            f"{r['file_name']} line {r['source_row']}: {r['reason']}" for r in reused.head(3).iter_rows(named=True)
        ),
        metadata={
            "versions_not_counted": reused.height,
            "detail": preview(reused.drop("feed", "action")) if reused.height else "every id names one record",
            **failing_days(reused["partition_date"]),
        },
    )


def resend_result(conn: duckdb.DuckDBPyConnection, feed: Feed, first: date, last: date) -> dg.AssetCheckResult:
    """Full re-sends refused whole, re-sent rows that failed (earlier version kept), and records withdrawn."""
    assert feed.identity is not None  # asked only for a feed with record identity
    names, days = feed.identity.names(feed.name), {"first": first, "last": last, "feed": feed.name}
    refused = conn.sql(
        "select partition_date, provider_code, file_name, rows_read from ops.source_files as f "
        "where feed = $feed and partition_date between $first and $last and resend = 'full' and rows_read > 0 "
        "and rows_loaded = 0 and exists (select 1 from ops.source_files as e where e.feed = f.feed "
        "and e.provider_code = f.provider_code and e.partition_date = f.partition_date "
        "and e.extracted_at_utc < f.extracted_at_utc and e.rows_loaded > 0) order by all",
        params=days,
    ).pl()
    days.pop("feed")
    # Versions are judged only where a re-send could have changed any (a window over the feed's ids costs time).
    judged = feed.name in resent_feeds(conn, first, last)
    faulty, withdrawn = (
        conn.sql(f"select * from {quoted(names[macro])}($first, $last) order by all", params=days).pl()
        if judged
        else pl.DataFrame(schema={"partition_date": pl.Date, "provider_code": pl.Utf8, "file_name": pl.Utf8, **extra})
        for macro, extra in (
            ("resent_with_fault_in", {"kept_file": pl.Utf8}),
            ("withdrawn_in", {"withdrawn_by": pl.Utf8}),
        )
    )
    said = [
        f"{r['provider_code']} {r['file_name']}: a full re-send whose {r['rows_read']} rows all failed validation "
        "withdrew nothing; the earlier file still counts"
        for r in refused.iter_rows(named=True)
    ]
    for (provider, file_name, kept), rows in faulty.group_by(
        ["provider_code", "file_name", "kept_file"], maintain_order=True
    ):
        said.append(f"{provider} {file_name}: {rows.height} re-sent row(s) failed, earlier version kept from {kept}")
    for (provider, by), rows in withdrawn.group_by(["provider_code", "withdrawn_by"], maintain_order=True):
        said.append(f"{provider}: {rows.height} record(s) withdrawn by the full re-send {by}")
    return dg.AssetCheckResult(
        check_name="every_resent_record_was_accepted",
        passed=refused.height == 0 and faulty.height == 0,
        # A correction refused whole leaves the day on figures the provider meant to replace: an error to chase.
        severity=dg.AssetCheckSeverity.ERROR if refused.height else dg.AssetCheckSeverity.WARN,
        description="; ".join(said) or None,
        metadata={
            "resends_refused_whole": refused.height,
            "rows_resent_with_fault": faulty.height,
            "records_withdrawn": withdrawn.height,
            "detail": preview(
                pl.concat(
                    [
                        refused.select("partition_date", "provider_code", "file_name"),
                        faulty.select("partition_date", "provider_code", "file_name"),
                    ]
                )
            )
            if refused.height or faulty.height
            else "every re-sent row loaded",
            **failing_days(pl.concat([refused["partition_date"], faulty["partition_date"]])),
        },
    )


def contract_result(files: pl.DataFrame, quarantined: pl.DataFrame) -> dg.AssetCheckResult:
    checked, bad = int(files["rows_read"].sum()), int(files["rows_quarantined"].sum())
    unknown = int(files["rows_with_unknown_values"].sum())
    reasons = (
        quarantined.group_by("provider_code", "source_column", "reason", "action")
        .agg(pl.len().alias("cells"))
        .sort("cells", descending=True)
    )
    return dg.AssetCheckResult(
        check_name="rows_pass_the_contract",
        passed=bad == 0,
        severity=dg.AssetCheckSeverity.WARN,
        description=None
        if bad == 0
        else f"{bad} of {checked} rows quarantined (see ops.quarantine)"
        + (f"; {unknown} loaded with a value set to unknown" if unknown else ""),
        metadata={
            "rows_checked": checked,
            "rows_loaded": int(files["rows_loaded"].sum()),
            "rows_quarantined": bad,
            "rows_with_unknown_values": unknown,
            "rows_duplicate": int(files["rows_duplicate"].sum()),
            "top_reasons": preview(reasons, rows=10) if reasons.height else "none",
            **failing_days(files.filter(pl.col("rows_quarantined") > 0)["partition_date"]),
        },
    )


def freshness_result(
    conn: duckdb.DuckDBPyConnection,
    configs: list[FeedConfig],
    landing: Path,
    days: list[date],
    feed: Feed,
    landed: dict[str, dict[date, list[LandedFile]]],
) -> dg.AssetCheckResult:
    now = datetime.now(LONDON)
    arrivals = [
        arrival(config, landing, day, now, landed[config.provider_code].get(day, []))
        for day in days
        for config in configs
    ]
    problems = [f"{a.state.upper()}: {a.describe()}" for a in arrivals if a.is_problem]
    problem_days = [a.day for a in arrivals if a.is_problem]
    if feed.deadline_sql:
        # The export is the file; each provider's own deadline is its declaration (OPEL by 11:00, docs/domain.md §2.1).
        declared = conn.sql(sql(feed.deadline_sql), params={"first": days[0], "last": days[-1]}).pl()
        for row in declared.filter(~pl.col("by_cutoff")).iter_rows(named=True):
            when = (
                f"first submitted {row['first_submitted_at']:%H:%M}"
                if row["first_submitted_at"]
                else "nothing submitted"
            )
            problems.append(
                f"OPEL NOT DECLARED BY 11:00: {row['provider_code']} ({row['provider_name']}) {row['date']}: {when}"
            )
            problem_days.append(row["date"])
    table = pl.DataFrame(
        [
            {
                "date": a.day,
                "provider": a.config.provider_code,
                "state": a.state,
                "files": a.files,
                "first_extract": a.first_extract.strftime("%d %b %H:%M") if a.first_extract else "",
                "due": a.due.strftime("%d %b %H:%M"),
            }
            for a in arrivals
        ],
        # A feed with no provider layouts (no sitrep senders, say) has an empty table, not an error.
        schema={
            "date": pl.Date,
            "provider": pl.Utf8,
            "state": pl.Utf8,
            "files": pl.Int64,
            "first_extract": pl.Utf8,
            "due": pl.Utf8,
        },
    )
    return dg.AssetCheckResult(
        check_name="every_provider_arrived_on_time",
        passed=not problems,
        severity=dg.AssetCheckSeverity.WARN,
        description=None
        if not problems
        else "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else ""),
        metadata={
            "late_or_missing": len(problems),
            "arrivals": preview(table.filter(pl.col("date") == days[-1])),
            **failing_days(problem_days),
        },
    )


def accounted_result(lost: pl.DataFrame, files: pl.DataFrame) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name="rows_in_equal_loaded_plus_quarantined",
        passed=lost.height == 0,
        metadata={
            "files_checked": files.height,
            "files_not_adding_up": lost.height,
            "detail": preview(lost) if lost.height else "all files add up",
            **failing_days(lost["partition_date"]),
        },
    )


def readable_result(rejected: pl.DataFrame, blocked: set[str]) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name="every_landed_file_readable",
        passed=rejected.height == 0,
        # An error while a provider's day is held back; a warning when a later file superseded it.
        severity=dg.AssetCheckSeverity.ERROR if blocked else dg.AssetCheckSeverity.WARN,
        description=None
        if rejected.height == 0
        else "Rejected: "
        + "; ".join(f"{r['provider_code']} {r['file_name']} ({r['reason']})" for r in rejected.iter_rows(named=True)),
        metadata={
            "files_rejected": rejected.height,
            "providers_failed": ", ".join(sorted(set(rejected["provider_code"]))) or "none",
            # One entry per file, for the alert each rejected file sends (pipelines/alerts/sensors.py).
            "rejected_files": dg.MetadataValue.json(
                [
                    {
                        "feed": r["feed"],
                        "provider_code": r["provider_code"],
                        "day": r["partition_date"].isoformat(),
                        "file_name": r["file_name"],
                        "reason": r["reason"],
                    }
                    for r in rejected.iter_rows(named=True)
                ]
            ),
            "detail": preview(rejected.select("partition_date", "provider_code", "file_name", "reason"))
            if rejected.height
            else "every file was read",
            **failing_days(rejected["partition_date"]),
        },
    )


def load_metadata(load: FeedLoad) -> dict:
    """The materialization's metadata: rows and files by outcome, by provider, and each stage's seconds."""
    files, quarantined = load.files, load.quarantined
    by_provider = (
        files.group_by("provider_code")
        .agg(
            pl.len().alias("files"),
            pl.sum("rows_read"),
            pl.sum("rows_loaded"),
            pl.sum("rows_quarantined"),
            pl.sum("rows_duplicate"),
            pl.sum("rows_with_unknown_values"),
        )
        .sort("provider_code")
    )
    top_reasons = (
        quarantined.group_by("provider_code", "column_name", "reason", "action")
        .agg(pl.len().alias("cells"))
        .sort("cells", descending=True)
    )
    return {
        "dagster/row_count": int(files["rows_loaded"].sum()),
        "rows_read": int(files["rows_read"].sum()),
        "rows_quarantined": int(files["rows_quarantined"].sum()),
        "rows_duplicate": int(files["rows_duplicate"].sum()),
        "rows_with_unknown_values": int(files["rows_with_unknown_values"].sum()),
        "files": files.height,
        "by_provider": preview(by_provider),
        "top_quarantine_reasons": preview(top_reasons, rows=10),
        "files_rejected": load.rejected.height,
        "files_duplicate": load.duplicate_files.height,
        **{f"seconds_{stage}": round(load.seconds[stage], 3) for stage in ("read", "validate", "write")},
    }


def build_raw_feed_asset(entry: Feed) -> dg.AssetsDefinition:
    """The partitioned asset writing raw.<feed>, ops.source_files and ops.quarantine for each day."""
    key = dg.AssetKey(["raw", entry.name])

    @dg.asset(
        key=key,
        description=entry.description,
        metadata=column_schema(entry.table, entry.columns),
        deps=[dg.AssetKey(["ref", "sites"]), dg.AssetKey(["ref", "providers"])],
        partitions_def=daily_partitions,
        backfill_policy=single_run_backfill,
        kinds={"duckdb", "polars", "pandera"},
        group_name=entry.group,
        check_specs=[
            dg.AssetCheckSpec(
                "rows_in_equal_loaded_plus_quarantined",
                asset=key,
                blocking=True,
                description="Every source row is loaded, quarantined or a recorded copy of an earlier row: nothing "
                "is lost.",
            ),
            # Not blocking: the other providers' rows are good and the marts should show them.
            dg.AssetCheckSpec(
                "every_landed_file_readable",
                asset=key,
                description="Every landed file could be read with its provider's layout (else ops.rejected_files "
                "names it).",
            ),
            *raw_check_specs(key, entry),
        ],
    )
    def _raw_feed(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, feed_files: FeedFilesResource
    ) -> dg.MaterializeResult:
        days = [date.fromisoformat(k) for k in context.partition_keys]
        first, last = days[0], days[-1]
        with warehouse.get_connection() as conn:
            try:
                load = load_feed_days(
                    conn, entry, days, feed_files.landing, feed_files.feeds_dir, partition_days, context.log
                )
            except KeyMismatchError as exc:
                raise dg.Failure(str(exc)) from None
            lost = conn.sql(
                sql("check_rows_accounted", raw_table=entry.table),
                params={"feed": entry.name, "first": first, "last": last},
            ).pl()
            unique_keys = unique_keys_result(conn, entry, first, last)
            reused = (
                [reused_ids_result(conn, entry, first, last), resend_result(conn, entry, first, last)]
                if entry.identity
                else []
            )
            fresh = freshness_result(conn, load.configs, feed_files.landing, days, entry, load.listed)
        return dg.MaterializeResult(
            metadata=load_metadata(load),
            check_results=[
                accounted_result(lost, load.files),
                readable_result(load.rejected, load.blocked),
                unique_keys,
                *reused,
                contract_result(load.files, load.quarantined),
                fresh,
            ],
        )

    return _raw_feed


def raw_feed_assets(feeds: Iterable[Feed] = catalogue.FEEDS) -> list[dg.AssetsDefinition]:
    """One raw asset per feed in the catalogue."""
    return [build_raw_feed_asset(entry) for entry in feeds]
