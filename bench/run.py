"""`make bench`: the pipeline end to end through Dagster against the DuckDB floor on the same files; prints a table.

Each side runs in its own fresh process with its own empty warehouse, so wall time includes Python and
Dagster start-up and peak memory is that process's own.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from pipelines.storage.warehouse import duckdb_settings

REPO = Path(__file__).resolve().parents[1]


def _child(module: str, first: str, last: str, env: dict[str, str], workdir: Path) -> tuple[float, dict]:
    out = workdir / f"{module.rsplit('.', 1)[-1]}.json"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", module, first, last, str(out)], cwd=REPO, env=env, check=True)
    return time.perf_counter() - started, json.loads(out.read_text(encoding="utf-8"))


def _stages(wall: float, steps: dict[str, float], raw: dict[str, dict]) -> dict[str, float]:
    """Seconds per stage: read, validate, write (inside the raw steps), marts, checks, brief, reference, Dagster."""
    stages = dict.fromkeys(("read", "validate", "write", "marts", "checks", "brief", "reference", "forecast"), 0.0)
    for step, seconds in steps.items():
        if step.startswith("raw__"):
            timing = raw[step.removeprefix("raw__")]
            parts = timing["seconds_read"] + timing["seconds_validate"] + timing["seconds_write"]
            stages["read"] += timing["seconds_read"]
            stages["validate"] += timing["seconds_validate"]
            stages["write"] += timing["seconds_write"]
            # The rest of a raw step is its checks (keys, rows accounted, freshness) and listing the landing area.
            stages["checks"] += max(seconds - parts, 0.0)
        elif step == "warehouse_expectations":
            stages["checks"] += seconds
        elif step.startswith("reports__"):
            stages["brief"] += seconds
        elif step == "reference":
            stages["reference"] += seconds
        elif step == "forecast":  # the forecast marts' one step, timed apart from the marts it reads
            stages["forecast"] += seconds
        else:
            stages["marts"] += seconds  # daily marts and rollups, with their blocking checks
    stages["Dagster and start-up"] = max(wall - sum(steps.values()), 0.0)
    return stages


def _pipeline_totals(warehouse: Path, first: str, last: str) -> dict[str, float]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        row = conn.sql(
            # Patient-level rows only: the floor reads the attendance files, not the daily-aggregate counts.
            "select (select sum(attendances) from marts.ed_four_hour_daily where date between $f and $l "
            "and source = 'patient_level'), "
            "(select sum(within_4h) from marts.ed_four_hour_daily where date between $f and $l "
            "and source = 'patient_level'), "
            "(select sum(hours_lost) from marts.handover_rollup where date between $f and $l and period = 'day' "
            "and level = 'system'), "
            "(select sum(dispatches_avoided) from marts.cnh_deflection_rollup where date between $f and $l and "
            "period = 'day' "
            " and referral_source = 'ambulance_stack_total')",
            params={"f": first, "l": last},
        ).fetchall()[0]
    return dict(zip(("attendances", "within_4h", "hours_lost", "dispatches_avoided"), row))


def _files_loaded(warehouse: Path) -> int:
    """Provider files the run read (loaded, rejected or duplicate: each paid its per-file cost)."""
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.sql("select count(*) from ops.source_files").fetchall()[0][0]


def bench(
    label: str,
    first: str,
    last: str,
    landing: str | None,
    feeds_dir: str | None,
    reference_dir: str | None,
    home_system: str | None = None,
) -> None:
    with tempfile.TemporaryDirectory(prefix="uec-bench-") as tmp:
        work = Path(tmp)
        env = os.environ | {
            "UEC_WAREHOUSE": str(work / "uec.duckdb"),
            "UEC_REPORTS": str(work / "reports"),
            "DAGSTER_HOME": str(work),
            "UEC_PSEUDONYMISATION_KEY": "bench-only-key-not-a-secret",
            "GX_ANALYTICS_ENABLED": "false",
        }
        env |= {
            k: v
            for k, v in (
                ("UEC_LANDING", landing),
                ("UEC_FEEDS_DIR", feeds_dir),
                ("UEC_REFERENCE_DIR", reference_dir),
                ("UEC_HOME_SYSTEM", home_system),
            )
            if v
        }
        (work / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
        print(f"{label}: running the pipeline for {first} to {last} ...", flush=True)
        wall, pipeline = _child("bench.pipeline_run", first, last, env, work)
        floor_wall, floor = _child("bench.floor", first, last, env, work)
        totals = _pipeline_totals(work / "uec.duckdb", first, last)
        files = _files_loaded(work / "uec.duckdb")
        warehouse_mib = (work / "uec.duckdb").stat().st_size / 2**20

    stages = _stages(wall, pipeline["steps"], pipeline["raw"])
    print(f"\n{label}: {first} to {last}")
    settings = duckdb_settings()  # what the pipeline's connections were given
    print(
        f"  machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()}, Python "
        f"{platform.python_version()}; "
        f"DuckDB memory_limit {settings['memory_limit']}, "
        f"threads {settings.get('threads', 'default (every core)')}"
    )
    print(f"  {'':<34}{'pipeline':>12}{'floor':>12}")
    print(f"  {'wall time, end to end (s)':<34}{wall:>12.1f}{floor_wall:>12.1f}")
    print(f"  {'  of which the work itself (s)':<34}{sum(pipeline['steps'].values()):>12.1f}{floor['seconds']:>12.1f}")
    print(f"  {'peak resident memory (MiB)':<34}{pipeline['peak_mib']:>12.0f}{floor['peak_mib']:>12.0f}")
    print(f"  {'  GX worker process, its own (MiB)':<34}{pipeline.get('worker_peak_mib', 0):>12.0f}")
    print(f"  {'warehouse file (MiB)':<34}{warehouse_mib:>12.0f}{'(memory)':>12}")
    for feed, timing in sorted(pipeline["raw"].items()):
        seconds = pipeline["steps"][f"raw__{feed}"]
        print(
            f"  {f'rows/s, {feed}':<34}{timing['rows_read'] / seconds:>12,.0f}{'':>12}  ({timing['rows_read']:,} "
            f"rows in {seconds:.1f} s)"
        )
    days = (date.fromisoformat(last) - date.fromisoformat(first)).days + 1
    raw_seconds = sum(t["seconds_read"] + t["seconds_validate"] + t["seconds_write"] for t in pipeline["raw"].values())
    marts_seconds = stages["marts"]
    print(
        f"  per provider file: {1000 * raw_seconds / max(files, 1):.1f} ms read, validated and written "
        f"({files:,} files); per day: {marts_seconds / days:.2f} s of marts, "
        f"{wall / days:.1f} s end to end ({days} day(s))"
    )
    print(
        f"  ratio pipeline / floor, end to end: {wall / floor_wall:.1f}; work only: "
        f"{sum(pipeline['steps'].values()) / floor['seconds']:.1f}"
    )
    print("  share of pipeline wall time: " + ", ".join(f"{k} {100 * v / wall:.0f}%" for k, v in stages.items()))
    print(
        "  same aggregates (pipeline / floor): "
        + ", ".join(f"{k} {totals[k]:,.1f} / {floor['totals'][k]:,.1f}" for k in totals)
    )
    if floor["workbooks_skipped"]:
        print(
            f"  note: the floor reads CSVs only ({floor['workbooks_skipped']} workbook correction(s) skipped) and "
            "does not "
            "apply the open-attendance rule, so its ED totals can differ slightly."
        )


# A financial year of England volume, generated once and kept (3.3 GiB, about 13 minutes to write).
ENGLAND_DIR = REPO / ".bench-data" / "england-180-sites-2024-12-to-2025-11"
# The partitions start on 1 December 2024 (pipelines/partitions.py), so the year is December to November.
ENGLAND_FIRST, ENGLAND_LAST = "2024-12-01", "2025-11-30"


def england_data(folder: Path = ENGLAND_DIR) -> Path:
    """The year of England feeds, generated on first use; a half-written folder is written again."""
    done = folder / ".complete"
    if not done.exists():
        print(f"Generating a year of England volume (180 sites) into {folder}: about 13 minutes, once.", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.generate_volume",
                str(folder),
                "--sites",
                "180",
                "--days",
                "365",
                "--from",
                ENGLAND_FIRST,
            ],
            cwd=REPO,
            check=True,
        )
        done.write_text("generated by bench.run\n", encoding="utf-8")
    return folder


def first_system(reference_dir: Path) -> str:
    """The first system in a reference folder's sites.csv: the one an England run makes its brief for."""
    with (reference_dir / "sites.csv").open(encoding="utf-8") as sites:
        return next(csv.DictReader(sites))["system_code"]


def england(days: list[int]) -> None:
    """England volume for the last N days of the generated year, for each N asked for."""
    folder = england_data()
    last = date.fromisoformat(ENGLAND_LAST)
    # The generated systems are S01-S28: Derbyshire's QJ2, the default home system, is not among them.
    home = first_system(folder / "reference")
    for n in days:
        first = (last - timedelta(days=n - 1)).isoformat()
        bench(
            f"England, {n} day(s) (180 sites, generated)",
            first,
            ENGLAND_LAST,
            str(folder / "landing"),
            str(folder / "feeds"),
            str(folder / "reference"),
            home,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--england",
        type=int,
        action="append",
        metavar="DAYS",
        help="England volume for the last DAYS days of a generated year (repeat for several runs); "
        "generates the year into .bench-data/ on first use",
    )
    parser.add_argument("--from", dest="first", default="2025-03-31", help="first day (default: the last sample day)")
    parser.add_argument("--to", dest="last", help="last day (default: the first)")
    parser.add_argument("--label", default="Derbyshire, one day (bundled samples)")
    parser.add_argument("--landing", help="landing area (default: UEC_LANDING or the samples)")
    parser.add_argument("--feeds-dir", help="provider layouts (default: schemas/feeds)")
    parser.add_argument("--reference-dir", help="reference tables (default: schemas/reference)")
    args = parser.parse_args()
    if args.england:
        england(args.england)
        return
    bench(args.label, args.first, args.last or args.first, args.landing, args.feeds_dir, args.reference_dir)


if __name__ == "__main__":
    main()
