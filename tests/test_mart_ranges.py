"""A daily mart rebuilt for several days in one statement holds exactly what rebuilding each day on its own gives.

The range path groups by each row's own day; a day implied anywhere else (a lookup of the day's aggregate or
declaration, an expected provider with nothing sent) would show here as a row gained, lost or changed.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from assets.marts import rebuild_days
from pipelines.storage.warehouse import contiguous_runs
from schemas import catalogue
from schemas.catalogue import Mart
from tests.support.samples import sample_env

# The samples' spring clock change (30 March 2025) inside the range, and a loaded day either side of it, so records
# of a neighbouring day (late arrivals in the next day's file) are near the range but not in it.
LOADED = ("2025-03-27", "2025-03-31")
DAYS = [date(2025, 3, 28), date(2025, 3, 29), date(2025, 3, 30)]


def _in_dependency_order() -> list[Mart]:
    # opel_daily reads opel_parameter_scores, and opel_system_daily reads opel_daily.
    ordered: list[Mart] = []
    waiting = list(catalogue.daily_marts())
    while waiting:
        mart = next(m for m in waiting if not {d for d in m.deps if d.startswith("marts.")} & {w.name for w in waiting})
        ordered.append(mart)
        waiting.remove(mart)
    return ordered


MARTS = _in_dependency_order()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_env(tmp_path_factory.mktemp("mart_ranges"), *LOADED).warehouse


def _rebuilt(source: Path, target: Path, calls: list[list[date]]) -> dict[str, list[tuple]]:
    """Every daily mart emptied on DAYS, then rebuilt by one rebuild_days call per entry of `calls`; the marts."""
    shutil.copy(source, target)
    with duckdb.connect(str(target)) as conn:
        for mart in MARTS:
            conn.execute(
                f"delete from {mart.name} where date between $first and $last", {"first": DAYS[0], "last": DAYS[-1]}
            )
            for days in calls:
                assert rebuild_days(conn, mart, days) == []
        return {m.name: conn.sql(f"select * from {m.name} order by all").fetchall() for m in MARTS}


def test_a_range_rebuilds_exactly_what_each_day_on_its_own_does(loaded: Path, tmp_path: Path):
    day_by_day = _rebuilt(loaded, tmp_path / "day_by_day.duckdb", [[day] for day in DAYS])
    at_once = _rebuilt(loaded, tmp_path / "at_once.duckdb", [DAYS])
    for mart in MARTS:
        rows = [r for r in day_by_day[mart.name] if r[0] in DAYS]
        assert rows, f"{mart.name} has no rows on {DAYS}: the comparison would prove nothing"
        assert at_once[mart.name] == day_by_day[mart.name], mart.name
    # A set of days with a gap is rebuilt as its runs of consecutive days; the day between is not touched (here:
    # left empty).
    gapped = _rebuilt(loaded, tmp_path / "gapped.duckdb", [[DAYS[0], DAYS[2]]])
    assert gapped == {name: [r for r in rows if r[0] != DAYS[1]] for name, rows in day_by_day.items()}
    again = _rebuilt(tmp_path / "at_once.duckdb", tmp_path / "again.duckdb", [DAYS, DAYS])
    assert again == at_once


def test_days_split_into_runs_of_consecutive_days():
    d = date.fromisoformat
    assert contiguous_runs([d("2025-03-31"), d("2025-03-29"), d("2025-03-30"), d("2025-03-29"), d("2025-04-02")]) == [
        (d("2025-03-29"), d("2025-03-31")),
        (d("2025-04-02"), d("2025-04-02")),
    ]
    assert contiguous_runs([]) == []
    # 1 January to 4 March 2025 is 63 days: runs of 31, 31 and 1.
    days = [d("2025-01-01") + timedelta(days=n) for n in range(63)]
    assert contiguous_runs(days) == [
        (d("2025-01-01"), d("2025-01-31")),
        (d("2025-02-01"), d("2025-03-03")),
        (d("2025-03-04"), d("2025-03-04")),
    ]
