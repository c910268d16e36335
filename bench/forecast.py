"""`make bench-forecast`: our forecasts on real ambulance demand (SWAST 2013-2019) by the published protocol.

Monks et al. 2023 (BMC Medical Informatics and Decision Making, doi 10.1186/s12911-023-02218-w) forecast daily
calls that led to an ambulance dispatch for the trust and its seven areas with rolling-origin cross-validation,
horizons 7 to 84 days in steps of 7, scored by MASE (scaled by the in-sample seasonal naive, m = 7) and the
coverage of the 80% and 95% intervals. A horizon H here scores the first H days of each 84-day forecast.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.forecast.backtest import errors, rolling_forecasts
from pipelines.forecast.models import BASELINE, CHOSEN

REPO = Path(__file__).resolve().parents[1]
SWAST = REPO.parent / "shared" / "reference" / "swast_daily_ambulance_responses_2013_2019.csv"
AREAS = ("BNSSG", "Cornwall", "Devon", "Dorset", "Gloucestershire", "Somerset", "Wiltshire", "Trust")
HORIZONS = tuple(range(7, 85, 7))
# The goal: MASE at or below the ensemble's with 80% coverage 0.80-0.87 and 95% coverage 0.94-0.97.
GOAL = {"mase": 0.68, "coverage_80": (0.80, 0.87), "coverage_95": (0.94, 0.97)}


def series(path: Path = SWAST) -> dict[str, tuple[date, np.ndarray]]:
    """Each area's (and the trust's) daily count from its first day, out-of-area calls (OOA) left out."""
    frame = pl.read_csv(path, try_parse_dates=True).filter(pl.col("ORA").is_in(AREAS)).sort("ORA", "Actual_dt")
    found = {}
    for (area,), rows in frame.group_by(["ORA"], maintain_order=True):
        days = rows["Actual_dt"]
        # A missing day would shift every weekday after it: the file has none, and this says so if one appears.
        assert (days.max() - days.min()).days + 1 == rows.height, f"{area} has missing days"
        found[str(area)] = (days.min(), rows["Actual_Value"].to_numpy().astype(float))
    return found


def origins(first: date, n: int, start: date, step: int, h: int) -> list[int]:
    """Origin indices from `start` every `step` days, each with h days after it in the series."""
    return list(range((start - first).days, n - h, step))


def backtest(start: date, step: int, areas: tuple[str, ...] = AREAS) -> pl.DataFrame:
    """Every area's 84-day forecasts from each origin, both models, with the actuals."""
    frames = []
    for area, (first, y) in series().items():
        if area not in areas:
            continue
        made = rolling_forecasts(y, first, origins(first, len(y), start, step, 84), 84, annual=True)
        frames.append(made.with_columns(area=pl.lit(area)))
    return pl.concat(frames)


def by_horizon(made: pl.DataFrame) -> pl.DataFrame:
    """MASE and coverage over the first H days of each forecast, per area, model and H."""
    scored = errors(made)
    rows = [
        scored.filter(pl.col("horizon") <= h)
        .group_by("area", "model")
        .agg(
            mase=pl.col("scaled_error").mean(),
            coverage_80=pl.col("inside_80").mean(),
            coverage_95=pl.col("inside_95").mean(),
        )
        .with_columns(horizon=pl.lit(h))
        for h in HORIZONS
    ]
    return pl.concat(rows).sort("area", "model", "horizon")


def report(table: pl.DataFrame, seconds: float, n_origins: int) -> None:
    """Ours per area and horizon, then overall beside the published figures, and where we beat them."""
    print(f"\nSWAST daily ambulance demand, {n_origins} rolling origins per series, 84-day forecasts ({seconds:.0f} s)")
    print(
        "MASE (80% / 95% coverage) per area and horizon; seasonal naive, then ours (regression on bank holidays "
        "and annual terms with ARIMA errors)"
    )
    print(f"{'area':<16}{'model':<16}" + "".join(f"{h:>7}d" for h in HORIZONS))
    for (area, model), rows in table.group_by(["area", "model"], maintain_order=True):
        print(f"{area:<16}{model:<16}" + "".join(f"{v:>8.2f}" for v in rows["mase"]))
        print(
            f"{'':<16}{'  cover 80/95':<16}"
            + "".join(f"{a * 100:>4.0f}/{b * 100:<3.0f}" for a, b in zip(rows["coverage_80"], rows["coverage_95"]))
        )
    overall = table.group_by("model").agg(pl.col("mase", "coverage_80", "coverage_95").mean())
    ours = overall.filter(pl.col("model") == CHOSEN).row(0, named=True)
    naive = overall.filter(pl.col("model") == BASELINE).row(0, named=True)
    trust7 = table.filter((pl.col("area") == "Trust") & (pl.col("horizon") == 7))
    sn7 = trust7.filter(pl.col("model") == BASELINE)["mase"][0]
    ours7 = trust7.filter(pl.col("model") == CHOSEN)["mase"][0]
    print("\n                                   published    ours")
    print(f"seasonal naive MASE, trust, 7 d    {0.94:>9.2f}  {sn7:>6.2f}")
    print(f"best model MASE, trust, 7 d        {'':>9}  {ours7:>6.2f}")
    print(f"seasonal naive MASE, all horizons  {'':>9}  {naive['mase']:>6.2f}")
    print(f"ensemble / ours MASE, all          {0.68:>9.2f}  {ours['mase']:>6.2f}")
    print(f"80% interval coverage              {0.85:>9.2f}  {ours['coverage_80']:>6.3f}")
    print(f"95% interval coverage              {0.97:>9.2f}  {ours['coverage_95']:>6.3f}")
    verdicts = [
        ("MASE at or below 0.68", ours["mase"] <= GOAL["mase"]),
        ("80% coverage within 0.80-0.87", GOAL["coverage_80"][0] <= ours["coverage_80"] <= GOAL["coverage_80"][1]),
        ("95% coverage within 0.94-0.97", GOAL["coverage_95"][0] <= ours["coverage_95"] <= GOAL["coverage_95"][1]),
    ]
    print("goal: " + "; ".join(f"{what}: {'met' if met else 'NOT met'}" for what, met in verdicts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=date.fromisoformat, default=date(2017, 1, 1), help="first origin")
    parser.add_argument("--step", type=int, default=28, help="days between origins")
    parser.add_argument("--area", action="append", help="only these areas (repeat); default all eight")
    args = parser.parse_args()
    started = time.perf_counter()
    made = backtest(args.start, args.step, tuple(args.area) if args.area else AREAS)
    table = by_horizon(made)
    n_origins = made.filter(pl.col("model") == BASELINE)["origin"].n_unique()
    report(table, time.perf_counter() - started, n_origins)


if __name__ == "__main__":
    main()
