"""Child process: the floor, plain DuckDB over the same CSV files computing the same aggregates, timed; JSON out."""

from __future__ import annotations

import json
import os
import re
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl

from pipelines.ingest.landing import list_folder
from pipelines.storage.warehouse import duckdb_settings
from schemas.registry import load_feed_configs

REPO = Path(__file__).resolve().parents[1]

SQL = Path(__file__).with_name("floor.sql")
CRH_COLUMNS = ("Attendance Ref", "Arrival Date Time", "Departure Date Time", "filename")


# Which read in floor.sql each feed's files go to: CSV layouts told apart by their delimiter.
def _kind(feed: str, delimiter: str) -> str:
    return {
        "ed_attendances": "uhdb" if delimiter == "," else "crh",
        "ambulance_handovers": "emas",
        "cnh_cases": "dhu",
        "opel_submissions": "opel",
    }[feed]


def files_for(first: date, last: date) -> tuple[dict[str, list[str]], int]:
    """The day range's CSV files per read, and how many workbooks the floor cannot read (no Excel reader offline)."""
    # The same settings the pipeline reads, without importing Dagster: the floor pays no orchestration start-up.
    landing = Path(os.environ.get("UEC_LANDING", REPO / "data_samples" / "landing"))
    feeds_dir = os.environ.get("UEC_FEEDS_DIR", str(REPO / "schemas" / "feeds"))
    found: dict[str, list[str]] = {k: [] for k in ("uhdb", "crh", "emas", "dhu", "opel")}
    workbooks = 0
    for feed in ("ed_attendances", "ambulance_handovers", "cnh_cases", "opel_submissions"):
        for config in load_feed_configs(feed, feeds_dir):
            by_day = list_folder(config, landing).by_day
            paths = [f.path for n in range((last - first).days + 1) for f in by_day.get(first + timedelta(n), [])]
            workbooks += sum(p.suffix == ".xlsx" for p in paths)
            found[_kind(feed, config.delimiter)] += [str(p) for p in paths if p.suffix == ".csv"]
    return found, workbooks


def main(first: str, last: str, out: str) -> None:
    files, workbooks = files_for(date.fromisoformat(first), date.fromisoformat(last))
    started = time.perf_counter()
    conn = duckdb.connect(config=duckdb_settings())  # the pipeline's memory cap and threads, for a like-for-like floor
    # Lossy UTF-8 keeps every row; the only non-ASCII bytes are in a free-text column the aggregates never read.
    crh = [
        pl.read_csv(p, separator=";", encoding="utf8-lossy", infer_schema=False).with_columns(
            pl.lit(p).alias("filename")
        )
        for p in files.pop("crh")
    ]
    conn.register(
        "crh_files", pl.concat(crh, how="diagonal") if crh else pl.DataFrame(schema=dict.fromkeys(CRH_COLUMNS, pl.Utf8))
    )
    for statement in filter(str.strip, SQL.read_text(encoding="utf-8").split(";\n")):
        wanted = set(re.findall(r"\$(\w+)", statement))
        conn.execute(statement, {k: v for k, v in files.items() if k in wanted})
    rows = {
        t: conn.sql(f"select count(*) from {t}").fetchall()[0][0] for t in ("ed", "handovers", "deflection", "opel")
    }
    seconds = time.perf_counter() - started
    # Totals to set beside the pipeline's marts: the floor must compute the same thing to be a fair floor.
    totals = dict(
        zip(
            ("attendances", "within_4h", "hours_lost", "dispatches_avoided"),
            conn.sql(
                "select (select sum(attendances) from ed), (select sum(within_4h) from ed), (select "
                "sum(hours_lost) from handovers), "
                "(select sum(avoided) from deflection)"
            ).fetchall()[0],
        )
    )
    with open(out, "w", encoding="utf-8") as f:
        json.dump(
            {
                "seconds": seconds,
                "result_rows": rows,
                "files": {k: len(v) for k, v in files.items()} | {"crh": len(crh)},
                "workbooks_skipped": workbooks,
                "totals": totals,
                "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            },
            f,
        )


if __name__ == "__main__":
    main(*sys.argv[1:4])
