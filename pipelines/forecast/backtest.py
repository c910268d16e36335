"""The rolling-origin backtest: every model forecast from each origin with the days up to it, scored on what came.

MASE divides each absolute error by the training days' mean absolute lag-7 difference (the in-sample seasonal-naive
error, Hyndman & Koehler 2006), so 1.0 is as good as last week's same weekday was in the history the model saw. The
scores are utilsforecast's (`score`); the forecasts statsforecast's (`models`).
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
    "train_first": pl.Date,
}


def refit_origin(o: int, first: date, every: int, earliest: int = 0) -> int:
    """The origin whose fit a forecast from origin `o` uses: the latest on or before it whose date is a multiple of
    `every` days from day 1 of the calendar (o itself when that is before `earliest`). A date, not a place in one
    run's list: every run that forecasts from `o` fits the same days, so what it writes does not depend on the run."""
    back = (first + timedelta(days=o)).toordinal() % every
    return o - back if o - back >= earliest else o


def rolling_forecasts(
    y: np.ndarray,
    first: date,
    origins: Sequence[int],
    h: int,
    models: Sequence[str] = MODELS,
    *,
    annual: bool = False,
    refit_every: int = 1,
    fresh_last: bool = False,
    min_fit_origin: int = 0,
) -> pl.DataFrame:
    """One row per origin, model and horizon 1..h: the forecast made from y[: origin + 1] (index `origin` is the
    origin's day) and the actual where y holds it.

    The regression is re-estimated every `refit_every` days of the calendar (`refit_origin`) and carried forward
    between: a fit costs about 15 times a forward pass. With `fresh_last` the last origin has a fit of its own, as
    the day's run gives its own forecast; no fit is made from before `min_fit_origin` (too few days). Each forecast
    still reads only the days up to its own origin.
    """
    y = np.asarray(y, dtype=float)
    rows: list[dict] = []
    arima = Arima(first, annual=annual)
    origins = sorted(origins)
    fitted_at: int | None = None
    for o in origins:
        train = y[: o + 1]
        at = o if fresh_last and o == origins[-1] else refit_origin(o, first, refit_every, min_fit_origin)
        if CHOSEN in models and at != fitted_at:
            arima.fit(y[: at + 1])
            fitted_at = at
        made = {BASELINE: seasonal_naive(train, h), CHOSEN: arima.predict(train, h) if CHOSEN in models else None}
        for model in models:
            if made[model] is not None:
                rows += _rows(made[model], model, first, o, y)  # type: ignore[arg-type]
    return pl.DataFrame(rows, schema=FORECAST_SCHEMA)


def _rows(made: Forecast, model: str, first: date, o: int, y: np.ndarray) -> list[dict]:
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
            "train_first": first,
        }
        for k in range(1, len(made.mean) + 1)
    ]


def score(frame: pl.DataFrame, y: np.ndarray, first: date, by: Sequence[str] = ("model", "horizon")) -> pl.DataFrame:
    """MASE, sMAPE (%) and the share of actuals inside the 80% and 95% intervals per group, over the days scored.

    `y` is the series the forecasts were made from (its first day `first`): each origin's MASE scale is its own
    training days' seasonal naive MAE. utilsforecast computes all three per group: MASE per origin (its `cutoff_col`
    keeps each origin's training days apart), then weighted by the days each origin scored, so the group's MASE is the
    mean of every day's scaled error; its sMAPE is 0-1 (|e| / (|y| + |f|)), the M4's 0-200 is 200 times it.
    """
    from utilsforecast.losses import coverage, mase, smape  # the forecasting step alone pays for the import

    by = list(by)
    scored = frame.filter(pl.col("actual").is_not_null()).with_columns(
        unique_id=pl.concat_str([pl.col(c).cast(pl.Utf8) for c in by], separator="|"),
        **{f"mean-{side}-{lv}": pl.col(f"{side}_{lv}") for lv in LEVELS for side in ("lo", "hi")},
    )
    groups = scored.group_by("unique_id", *by).agg(
        origins=pl.len(), first_origin=pl.col("origin").min(), last_origin=pl.col("origin").max()
    )
    days = pl.DataFrame({"ds": pl.date_range(first, first + timedelta(days=len(y) - 1), "1d", eager=True), "actual": y})
    train = groups.select("unique_id").join(days, how="cross").sort("unique_id", "ds")
    folds = mase(scored, ["mean"], SEASON, train, target_col="actual", cutoff_col="origin").join(
        scored.group_by("unique_id", "origin").len(), on=["unique_id", "origin"]
    )
    # No `cutoff` column in `scored`: sMAPE and coverage pool every origin's days in the group.
    pooled = {"id_col": "unique_id", "target_col": "actual"}
    found = [
        folds.group_by("unique_id").agg(mase=(pl.col("mean") * pl.col("len")).sum() / pl.col("len").sum()),
        smape(scored, ["mean"], **pooled).select("unique_id", smape=200 * pl.col("mean")),
        *(
            coverage(scored, ["mean"], lv, **pooled).select("unique_id", pl.col("mean").alias(f"coverage_{lv}"))
            for lv in LEVELS
        ),
    ]
    for part in found:
        groups = groups.join(part, on="unique_id")
    return groups.drop("unique_id").sort(by)


def beats_baseline(scores: pl.DataFrame, model: str, baseline: str) -> bool:
    """Whether `model`'s MASE, averaged over the horizons scored, is below the baseline's (False if either is missing:
    a model that could not be fitted at any origin never replaces the baseline)."""
    mase = [scores.filter(pl.col("model") == m)["mase"].mean() for m in (model, baseline)]
    ours, theirs = (float(v) if isinstance(v, int | float) else None for v in mase)
    return ours is not None and theirs is not None and ours < theirs
