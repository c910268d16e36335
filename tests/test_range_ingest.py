"""A run over many days (one pandera call and one transaction per stretch of days) writes exactly what one run per
day writes: the same raw rows, source files, quarantine, rejections and copies; and running it again changes nothing.

The bundled samples' last week, every feed, loaded both ways with the raw asset's own load function; then a provider's
newest file for a mid-week day turns unreadable and the week is loaded again both ways: that provider keeps its rows
for that day only, and every other day and provider loads as before.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from assets.reference import read_reference
from pipelines.ingest.load import DAYS_PER_WRITE, load_feed_days
from pipelines.ingest.pseudonymise import KEY_ENV
from pipelines.partitions import partition_days
from pipelines.storage.warehouse import ensure_schema, insert_frame
from schemas import catalogue
from tests.support.rows import dchs_row, uhdb_row
from tests.support.warehouse import TEST_KEY, Env

SAMPLES = Path(__file__).resolve().parents[1] / "data_samples" / "landing"
DAYS = [date(2025, 3, 25) + timedelta(days=i) for i in range(7)]
SPOILT_DAY = DAYS[3]
# Which tables a load writes, each compared row for row. ops.marts_to_rebuild is not: a run queues only the days
# outside it, so one run per day queues its neighbours where one run for the week queues none of them.
WRITTEN = [
    *(f.table for f in catalogue.FEEDS),
    "ops.source_files",
    "ops.quarantine",
    "ops.rejected_files",
    "ops.duplicate_files",
    "ops.duplicate_rows",
]


def _warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(str(path))
    ensure_schema(conn)
    for table, name in (("ref.sites", "sites.csv"), ("ref.providers", "providers.csv")):
        insert_frame(conn, table, read_reference(Path(Env.reference_dir) / name))
    return conn


def _load(conn: duckdb.DuckDBPyConnection, landing: Path, runs: list[list[date]], days_per_write: int) -> None:
    for feed in catalogue.FEEDS:
        for days in runs:
            load_feed_days(conn, feed, days, landing, Env.feeds_dir, partition_days, days_per_write=days_per_write)


def _state(conn: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {table: conn.sql(f"select * from {table} order by all").fetchall() for table in WRITTEN}


def _land_rows_outside_their_day(env: Env) -> None:
    """On two days each, an attendance from three days before and a daily count dated the day before: the reasons
    name each file's own day, which a contract built once for the range must give them."""
    for day in (DAYS[1], DAYS[5]):
        early = day - timedelta(days=3)
        next_day = (day + timedelta(days=1)).strftime("%Y%m%d")
        arrived = f"{early.isoformat()} 10:00:00"
        env.write_uhdb(day.strftime("%Y%m%d"), f"{next_day}T2300", [uhdb_row(f"EARLY{day:%d}", arrived)])
        dated = (day - timedelta(days=1)).strftime("%d/%m/%Y")
        env.write_dchs(day.strftime("%Y%m%d"), f"{next_day}T2300", [dchs_row(dated, "RY8MI", 10, 1, 0)])


def _spoil_newest_file(landing: Path, day: date) -> str:
    """A later file from CRH for `day`, empty: unreadable, so CRH's day is left as it was."""
    folder = landing / "ed_attendances" / "crh"
    newest = max(p.name[-16:-4] for p in folder.glob(f"CRH_AE_{day.isoformat()}_*"))
    name = f"CRH_AE_{day.isoformat()}_{int(newest) + 1}.csv"
    (folder / name).write_bytes(b"")
    return name


@dataclass(frozen=True)
class Daily:
    """The week loaded one run per day, before and after CRH's file is spoilt: the same for every stretch length."""

    landing: Path  # where the week landed; source_files names it, so the range loads from the same folder
    as_landed: Path  # a copy from before the spoilt file
    expected: dict[str, list[tuple]]
    after: dict[str, list[tuple]]
    spoilt: str
    spoilt_mtime_ns: int  # the file's landing time, which ops.rejected_files records


@pytest.fixture(scope="module")
def daily(tmp_path_factory: pytest.TempPathFactory) -> Daily:
    root = tmp_path_factory.mktemp("range_ingest_daily")
    env = Env(root)
    shutil.copytree(SAMPLES, env.landing)
    _land_rows_outside_their_day(env)
    landed = root / "as_landed"
    shutil.copytree(env.landing, landed)
    # Module fixtures run outside the per-test key fixture: the same key, so both sides hash NHS numbers alike.
    with pytest.MonkeyPatch.context() as patch, _warehouse(root / "daily.duckdb") as conn:
        patch.setenv(KEY_ENV, TEST_KEY)
        _load(conn, env.landing, [[day] for day in DAYS], DAYS_PER_WRITE)
        expected = _state(conn)
        spoilt = _spoil_newest_file(env.landing, SPOILT_DAY)
        _load(conn, env.landing, [[day] for day in DAYS], DAYS_PER_WRITE)
        mtime = (env.landing / "ed_attendances" / "crh" / spoilt).stat().st_mtime_ns
        return Daily(env.landing, landed, expected, _state(conn), spoilt, mtime)


@pytest.mark.parametrize("days_per_write", [DAYS_PER_WRITE, 3])
def test_a_range_at_once_writes_what_one_run_per_day_writes(tmp_path: Path, daily: Daily, days_per_write: int):
    landing = daily.landing
    shutil.rmtree(landing)
    shutil.copytree(daily.as_landed, landing)
    expected = daily.expected
    with _warehouse(tmp_path / "range.duckdb") as at_once:
        _load(at_once, landing, [DAYS], days_per_write)
        assert _state(at_once) == expected
        assert sum(len(rows) for rows in expected.values()) > 1000
        reasons = at_once.sql(
            "select distinct reason from ops.quarantine where reason like '%partition day%' order by all"
        ).fetchall()
        assert [r for (r,) in reasons] == [
            f"arrival on the partition day {DAYS[1]} or the day before",
            f"arrival on the partition day {DAYS[5]} or the day before",
            f"date is the partition day {DAYS[1]}",
            f"date is the partition day {DAYS[5]}",
        ]
        # Nothing changes on a second run of the range: each day's rows are replaced, not added to.
        _load(at_once, landing, [DAYS], days_per_write)
        assert _state(at_once) == expected

        name = _spoil_newest_file(landing, SPOILT_DAY)
        assert name == daily.spoilt
        os.utime(landing / "ed_attendances" / "crh" / name, ns=(daily.spoilt_mtime_ns, daily.spoilt_mtime_ns))
        _load(at_once, landing, [DAYS], days_per_write)
        after = daily.after
        assert _state(at_once) == after
        rejected = at_once.sql("select provider_code, partition_date, file_name from ops.rejected_files").fetchall()
        assert rejected == [("RFS", SPOILT_DAY, name)]
        # CRH's rows for the spoilt day are the earlier run's; everything else is as it was.
        assert after == expected | {"ops.rejected_files": after["ops.rejected_files"]}
