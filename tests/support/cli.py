"""Running `uec` as an analyst does: a subprocess with its own warehouse, landing area and Dagster instance."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.rows import uhdb_row
from tests.support.warehouse import Env

UEC = Path(sys.executable).with_name("uec")
DAY = "2025-01-15"


def uec_env(env: Env) -> dict[str, str]:
    return {
        **os.environ,
        "UEC_WAREHOUSE": str(env.warehouse),
        "UEC_LANDING": str(env.landing),
        "DAGSTER_HOME": str(env.root / "dagster_home"),
        "UEC_REPORTS": str(env.root / "reports"),
        "PYTHONWARNINGS": "ignore",
    }


def uec(env: Env, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(UEC), *args], env=uec_env(env), capture_output=True, text=True, timeout=timeout)


def three_uhdb_rows() -> list[dict[str, str]]:
    # 120 minutes (within 4 hours), 300 minutes (breach), 30 minutes (within): 2 of 3 = 66.7%.
    return [
        uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 12:00:00"),
        uhdb_row("A2", "2025-01-15 10:00:00", "2025-01-15 15:00:00"),
        uhdb_row("A3", "2025-01-15 11:00:00", "2025-01-15 11:30:00"),
    ]


def three_uhdb_attendances(env: Env) -> Path:
    return env.write_uhdb("20250115", "20250116T0600", three_uhdb_rows())


def hold_the_warehouse(env: Env, seconds: int = 8) -> subprocess.Popen:
    """Another process holding the warehouse's write lock for a while, as the overnight run does while it writes."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); "
            f"time.sleep({seconds})",
            str(env.warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder
