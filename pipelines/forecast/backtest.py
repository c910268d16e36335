"""The rolling-origin backtest: every model forecast from each origin with the days up to it, scored on what came.

MASE divides each absolute error by the training days' mean absolute lag-7 difference (the in-sample seasonal-naive
error, Hyndman & Koehler 2006), so 1.0 is as good as last week's same weekday was in the history the model saw.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import polars as pl

from pipelines.forecast.models import BASELINE, CHOSEN, LEVELS, MODELS, SEASON, Arima, Forecast, seasonal_naive

# The columns of one scored forecast day, as rolling_forecasts returns them.
FORECAST_SCHEMA = {
    "origin": pl.Date,
    "target_date": pl.Date,
    "horizon": pl.Int64,
    "model": pl.Utf8,
    "mean": pl.Float64,
    **{f"{side}_{lv}": pl.Float64 for lv in LEVELS for side in ("lo", "hi")},
    "actual": pl.Float64,
    "scale": pl.Float64,
    "train_first": pl.Date,
}


def mase_scale(y: np.ndarray, m: int = SEASON) -> float:
    """The mean absolute difference between each day and the same weekday a week before, over the training days."""
    y = np.asarray(y, dtype=float)
    return float(np.mean(np.abs(y[m:] - y[:-m]))) if len(y) > m else float("nan")


def rolling_forecasts(
    y: np.ndarray,
    first: date,
    origins: Sequence[int],
    h: int,
    models: Sequence[str] = MODELS,
    *,
    annual: bool = False,
    refit_every: int = 1,
) -> pl.DataFrame:
    """One row per origin, model and horizon 1..h: the forecast made from y[: origin + 1] (index `origin` is the
    origin's day), the actual where y holds it, and the training days' MASE scale.

    The regression is re-estimated at every `refit_every`-th origin counted back from the last (so the last origin's
    forecast always has a fresh fit) and carried forward between: a fit costs about 15 times a forward pass. Each
    forecast still reads only the days up to its own origin.
    """
    y = np.asarray(y, dtype=float)
    rows: list[dict] = []
    arima = Arima(first, annual=annual)
    origins = sorted(origins)
    for i, o in enumerate(origins):
        train = y[: o + 1]
        if CHOSEN in models and (i == 0 or (origins[-1] - o) % refit_every == 0):
            arima.fit(train)
        made = {BASELINE: seasonal_naive(train, h), CHOSEN: arima.predict(train, h) if CHOSEN in models else None}
        for model in models:
            if made[model] is not None:
                rows += _rows(made[model], model, first, o, y, mase_scale(train))  # type: ignore[arg-type]
    return pl.DataFrame(rows, schema=FORECAST_SCHEMA)


def _rows(made: Forecast, model: str, first: date, o: int, y: np.ndarray, scale: float) -> list[dict]:
    origin = first + timedelta(days=o)
    return [
        {
            "origin": origin,
            "target_date": origin + timedelta(days=k),
            "horizon": k,
            "model": model,
            "mean": float(made.mean[k - 1]),
            **{f"lo_{lv}": float(made.lo[lv][k - 1]) for lv in LEVELS},
            **{f"hi_{lv}": float(made.hi[lv][k - 1]) for lv in LEVELS},
            "actual": float(y[o + k]) if o + k < len(y) else None,
            "scale": scale,
            "train_first": first,
        }
        for k in range(1, len(made.mean) + 1)
    ]


def errors(frame: pl.DataFrame) -> pl.DataFrame:
    """Each scored forecast day with its scaled error, symmetric % error and whether each interval held the actual."""
    error = (pl.col("actual") - pl.col("mean")).abs()
    return frame.filter(pl.col("actual").is_not_null()).with_columns(
        scaled_error=error / pl.col("scale"),
        # sMAPE as the M4 competition defines it: 0-200, and 0 where actual and forecast are both 0.
        smape=pl.when(pl.col("actual").abs() + pl.col("mean").abs() > 0)
        .then(200 * error / (pl.col("actual").abs() + pl.col("mean").abs()))
        .otherwise(0.0),
        **{
            f"inside_{lv}": (pl.col("actual") >= pl.col(f"lo_{lv}")) & (pl.col("actual") <= pl.col(f"hi_{lv}"))
            for lv in LEVELS
        },
    )


def score(frame: pl.DataFrame, by: Sequence[str] = ("model", "horizon")) -> pl.DataFrame:
    """MASE, sMAPE (%) and the share of actuals inside the 80% and 95% intervals per group, over the days scored."""
    return (
        errors(frame)
        .group_by(list(by))
        .agg(
            origins=pl.len(),
            first_origin=pl.col("origin").min(),
            last_origin=pl.col("origin").max(),
            mase=pl.col("scaled_error").mean(),
            smape=pl.col("smape").mean(),
            **{f"coverage_{lv}": pl.col(f"inside_{lv}").mean() for lv in LEVELS},
        )
        .sort(list(by))
    )


def beats_baseline(scores: pl.DataFrame, model: str, baseline: str) -> bool:
    """Whether `model`'s MASE, averaged over the horizons scored, is below the baseline's (False if either is missing:
    a model that could not be fitted at any origin never replaces the baseline)."""
    mase = [scores.filter(pl.col("model") == m)["mase"].mean() for m in (model, baseline)]
    ours, theirs = (float(v) if isinstance(v, int | float) else None for v in mase)
    return ours is not None and theirs is not None and ours < theirs
