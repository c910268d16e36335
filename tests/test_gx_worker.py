"""The great-expectations worker: the same verdicts as validating in the run's process, its failures named, and a run
whose steps include the suites leaving GX out of the run's own process."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pipelines.quality.gx_worker import GxWorker, GxWorkerError
from schemas.catalogue import expectations
from tests.support.warehouse import TEST_KEY

VOLUME = next(e for e in expectations() if e.suite_name == "ed_four_hour_daily.site_volumes_within_trailing_bounds")
DAY = date(2025, 1, 15)


def _frame() -> pl.DataFrame:
    # SITE_A's 17 is above its upper bound of 16.2 (tests/test_data_quality.py works the bounds by hand); SITE_B's
    # 12 is inside [7.5, 12.5]. So one failing row of two judged.
    return pl.DataFrame(
        {
            "date": [DAY, DAY],
            "subject": ["SITE_A", "SITE_B"],
            "value": [17.0, 12.0],
            "lower_bound": [3.7735, 7.5],
            "upper_bound": [16.2265, 12.5],
            "history_days": [14, 14],
        }
    )


def test_the_worker_names_its_failure_then_fails_the_row_validate_fails(tmp_path: Path):
    worker = GxWorker()
    try:
        with pytest.raises(GxWorkerError, match="(?s)great-expectations failed in its worker process.*ColumnNotFound"):
            # No date column: the run's days cannot be read from the frame, and the worker's traceback says so.
            worker.validate({VOLUME: _frame().drop("date")}, tmp_path / "reports")
        # The same worker goes on to the next request.
        [outcome] = worker.validate({VOLUME: _frame()}, tmp_path / "reports", (DAY, DAY))
    finally:
        worker.stop()
    assert not outcome.passed and outcome.evaluated_rows == 2
    assert outcome.failing["subject"].to_list() == ["SITE_A"]
    assert outcome.expectation == VOLUME
    assert VOLUME.suite_name in (tmp_path / "reports" / "data_docs" / "index.html").read_text(encoding="utf-8")


def test_a_worker_that_died_costs_only_its_head_start(tmp_path: Path):
    worker = GxWorker()
    worker._process.kill()  # type: ignore[union-attr]  # as the kernel's out-of-memory killer would
    worker._process.wait()  # type: ignore[union-attr]
    try:
        [outcome] = worker.validate({VOLUME: _frame()}, tmp_path / "reports", (DAY, DAY))
    finally:
        worker.stop()
    assert outcome.failing["subject"].to_list() == ["SITE_A"]


RUN = """
import sys
from pathlib import Path
from tests.support.rows import uhdb_row
from tests.support.warehouse import Env
env = Env(Path(sys.argv[1]))
env.write_uhdb("20250115", "20250116T0600", [uhdb_row("A1", "2025-01-15 10:00:00", "2025-01-15 11:00:00")])
result = env.materialize("2025-01-15", expectations=True)
checks = [
    c for c in result.get_asset_check_evaluations() if (c.check_name, c.asset_key.path[-1]) == tuple(sys.argv[2:4])
]
print(len(checks), "great_expectations" in sys.modules)
"""


def test_a_run_checking_the_suites_never_imports_gx_itself(tmp_path: Path):
    out = subprocess.run(
        [sys.executable, "-c", RUN, str(tmp_path), VOLUME.check_name, VOLUME.asset[-1]],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
        env=os.environ | {"UEC_PSEUDONYMISATION_KEY": TEST_KEY},
    ).stdout.split()
    # The suites' check ran in that run, yet great_expectations is not among the run's own modules: the worker had it.
    assert out == ["1", "False"]
