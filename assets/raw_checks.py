"""Checks every raw feed asset carries beyond row accounting: contract, record keys and freshness."""

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import polars as pl

from pipelines.freshness import arrival
from pipelines.landing import LandedFile
from pipelines.metadata import preview
from pipelines.warehouse import sql
from schemas.canonical import FeedSpec
from schemas.registry import FeedConfig

LONDON = ZoneInfo("Europe/London")


def raw_check_specs(key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec("record_keys_unique_per_file", asset=key, blocking=True,
                          description="No record key appears twice in one loaded file (the warehouse rechecks the contract)."),
        dg.AssetCheckSpec("rows_pass_the_contract", asset=key,
                          description="Rows checked against the pandera contract, rows quarantined, and the top reasons."),
        dg.AssetCheckSpec("every_provider_arrived_on_time", asset=key,
                          description="Each provider's first file for the day was extracted by its layout's arrives_by time."),
    ]


def unique_keys_result(conn: duckdb.DuckDBPyConnection, spec: FeedSpec, first: date, last: date) -> dg.AssetCheckResult:
    key = ", ".join(spec.key)
    duplicates = conn.sql(sql("check_record_keys_unique").format(key=key),
                          params={"raw_table": f"raw.{spec.feed}", "first": first, "last": last}).pl()
    return dg.AssetCheckResult(
        check_name="record_keys_unique_per_file", passed=duplicates.height == 0,
        metadata={"key": key, "duplicate_keys": duplicates.height,
                  "detail": preview(duplicates) if duplicates.height else "every key is unique within its file"},
    )


def contract_result(files: pl.DataFrame, quarantined: pl.DataFrame) -> dg.AssetCheckResult:
    checked, bad = int(files["rows_read"].sum()), int(files["rows_quarantined"].sum())
    reasons = (quarantined.group_by("provider_code", "source_column", "reason").agg(pl.len().alias("cells"))
               .sort("cells", descending=True))
    return dg.AssetCheckResult(
        check_name="rows_pass_the_contract", passed=bad == 0, severity=dg.AssetCheckSeverity.WARN,
        description=None if bad == 0 else f"{bad} of {checked} rows quarantined (see ops.quarantine)",
        metadata={"rows_checked": checked, "rows_loaded": int(files["rows_loaded"].sum()), "rows_quarantined": bad,
                  "top_reasons": preview(reasons, rows=10) if reasons.height else "none"},
    )


def freshness_result(conn: duckdb.DuckDBPyConnection, configs: list[FeedConfig], landing: Path, days: list[date],
                     feed: str, landed: dict[str, dict[date, list[LandedFile]]]) -> dg.AssetCheckResult:
    now = datetime.now(LONDON)
    arrivals = [arrival(config, landing, day, now, landed[config.provider_code].get(day, []))
                for day in days for config in configs]
    problems = [f"{a.state.upper()}: {a.describe()}" for a in arrivals if a.is_problem]
    if feed == "opel_submissions":
        # The portal's export is the file; each provider's own deadline is the 11:00 declaration (brief 2.1).
        declared = conn.sql(sql("opel_by_cutoff"), params={"first": days[0], "last": days[-1]}).pl()
        for row in declared.filter(~pl.col("by_cutoff")).iter_rows(named=True):
            when = f"first submitted {row['first_submitted_at']:%H:%M}" if row["first_submitted_at"] else "nothing submitted"
            problems.append(f"OPEL NOT DECLARED BY 11:00: {row['provider_code']} ({row['provider_name']}) {row['date']}: {when}")
    table = pl.DataFrame([{"date": a.day, "provider": a.config.provider_code, "state": a.state, "files": a.files,
                           "first_extract": a.first_extract.strftime("%d %b %H:%M") if a.first_extract else "",
                           "due": a.due.strftime("%d %b %H:%M")} for a in arrivals],
                         # A feed with no provider layouts (no sitrep senders, say) has an empty table, not an error.
                         schema={"date": pl.Date, "provider": pl.Utf8, "state": pl.Utf8, "files": pl.Int64,
                                 "first_extract": pl.Utf8, "due": pl.Utf8})
    return dg.AssetCheckResult(
        check_name="every_provider_arrived_on_time", passed=not problems, severity=dg.AssetCheckSeverity.WARN,
        description=None if not problems else "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else ""),
        metadata={"late_or_missing": len(problems), "arrivals": preview(table.filter(pl.col("date") == days[-1]))},
    )
