"""The forecasting step for one day: read each series from the marts, backtest both models over the latest origins,
forecast the next seven days, and write marts.forecast_daily and marts.forecast_backtest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import polars as pl

from pipelines.forecast.backtest import FORECAST_SCHEMA, beats_baseline, rolling_forecasts, score
from pipelines.forecast.models import BASELINE, CHOSEN
from pipelines.storage.warehouse import insert_frame, sql, transaction
from schemas import catalogue

HORIZON = 7
# A run forecasts again from the origins before its day whose targets fall in its last four weeks (every horizon);
# the backtest scores these and every earlier forecast the warehouse holds, so the step stays a few seconds for the
# SCC's 22 series however long the history.
BACKTEST_ORIGINS = 28
# The regression is re-estimated weekly (on calendar weeks) and carried forward between: 6 fits a series, not 35.
REFIT_EVERY = 7
# Days a series needs before its first forecast: four weekly cycles for the seasonal difference to learn from.
MIN_TRAINING = 28
# A hub source with no cases on a day sends no row: that day had none. A site with no row had no file.
ZERO_WHEN_ABSENT = {"hub_cases"}
KEY = ("series", "level", "subject")
DAILY, BACKTEST = (catalogue.FORECASTS[0], catalogue.FORECASTS[1])


@dataclass(frozen=True)
class Made:
    """What one day's step wrote: the forecasts per origin and the backtest's scores."""

    forecasts: pl.DataFrame
    backtest: pl.DataFrame

    def chosen(self) -> pl.DataFrame:
        """Per series, the model the brief shows and its mean MASE over horizons 1-7 beside the baseline's."""
        if self.backtest.height == 0:
            return pl.DataFrame()
        mase = self.backtest.group_by(*KEY, "model").agg(pl.col("mase").mean(), pl.col("chosen").first())
        return (
            mase.pivot(on="model", index=list(KEY), values="mase")
            .join(mase.filter("chosen").select(*KEY, "model"), on=list(KEY))
            .sort(list(KEY))
        )


def read_series(conn: duckdb.DuckDBPyConnection, day: date, system: str) -> pl.DataFrame:
    """(series, level, subject, date, value) for every series, its rows dated on or before `day` only."""
    return conn.sql(sql("forecast_series"), params={"system": system, "last": day}).pl()


def complete(rows: pl.DataFrame, series: str, day: date) -> np.ndarray | None:
    """The series as one value per day from its first to `day`, a missing day filled (None: nothing on `day`).

    A missing hub day is 0 cases; a missing site-day takes the same weekday a week before, so the weekly pattern the
    models learn is not broken by a late file.
    """
    if rows["date"].max() != day and series not in ZERO_WHEN_ABSENT:
        return None
    first: date = rows["date"].min()  # type: ignore[assignment]
    days = pl.DataFrame({"date": pl.date_range(first, day, "1d", eager=True)})
    values = days.join(rows.select("date", "value"), on="date", how="left")["value"].to_numpy().astype(float)
    for i in np.flatnonzero(np.isnan(values)):
        values[i] = 0.0 if series in ZERO_WHEN_ABSENT or i < 7 else values[i - 7]
    return values


def _one_series(
    rows: pl.DataFrame, key: tuple, day: date, stored: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The series' forecasts from the latest origins (the backtest's and `day`'s own) and their scores over every
    forecast the warehouse holds for it (`stored`: earlier runs' rows) as well as this run's."""
    y = complete(rows, key[0], day)
    if y is None or len(y) <= MIN_TRAINING:
        return None
    first: date = rows["date"].min()  # type: ignore[assignment]
    last = len(y) - 1
    # Origins day-34 .. day are made here: the last 28 days' forecasts at every horizon, then day's own.
    earliest = max(MIN_TRAINING - 1, last - HORIZON - BACKTEST_ORIGINS + 1)
    made = rolling_forecasts(
        y,
        first,
        range(earliest, last + 1),
        HORIZON,
        refit_every=REFIT_EVERY,
        fresh_last=True,
        min_fit_origin=MIN_TRAINING - 1,
    )
    scores = score(pl.concat([_history(stored, y, first, first + timedelta(days=earliest)), made]), y, first)
    chosen = CHOSEN if beats_baseline(scores, CHOSEN, BASELINE) else BASELINE
    labels = dict(zip(KEY, key, strict=True))
    made = made.with_columns(**{k: pl.lit(v) for k, v in labels.items()}, chosen=pl.col("model") == chosen)
    scores = scores.with_columns(**{k: pl.lit(v) for k, v in labels.items()}, chosen=pl.col("model") == chosen)
    return made, scores


def _history(stored: pl.DataFrame, y: np.ndarray, first: date, before: date) -> pl.DataFrame:
    """Earlier runs' forecasts for origins before `before`, each with the actual y now holds for its day: the backtest
    reaches back over the whole history the warehouse holds without fitting it again."""
    held = stored.filter((pl.col("origin") < before) & (pl.col("origin") >= first))
    index = (held["target_date"] - first).dt.total_days().to_numpy()
    actual = [float(y[i]) if 0 <= i < len(y) else None for i in index]
    held = held.with_columns(actual=pl.Series(actual, dtype=pl.Float64), train_first=pl.lit(first))
    return held.select(pl.col(c).cast(t) for c, t in FORECAST_SCHEMA.items())


def forecast_day(conn: duckdb.DuckDBPyConnection, day: date, system: str, made_at: datetime) -> Made:
    """Backtest and forecast every series for `day` (origins up to it), replacing what earlier runs wrote for them."""
    series = read_series(conn, day, system)
    columns = ", ".join([*KEY, *(c for c in FORECAST_SCHEMA if c not in ("actual", "train_first"))])
    stored = conn.sql(f"select {columns} from {DAILY.name} where origin < $day", params={"day": day}).pl()
    forecasts, scores = [], []
    for key, rows in series.group_by(list(KEY), maintain_order=True):
        mine = stored.filter(*(pl.col(k) == v for k, v in zip(KEY, key, strict=True))).drop(*KEY)
        found = _one_series(rows, key, day, mine)
        if found:
            forecasts.append(found[0])
            scores.append(found[1])
    daily = _daily_rows(forecasts, made_at, day)
    backtest = _backtest_rows(scores, day)
    with transaction(conn):
        _write_forecasts(conn, daily, day)
        conn.execute(f"delete from {BACKTEST.name} where as_of = $day", {"day": day})
        insert_frame(conn, BACKTEST.name, backtest)
    return Made(daily, backtest)


def _write_forecasts(conn: duckdb.DuckDBPyConnection, daily: pl.DataFrame, day: date) -> None:
    """The day's own forecasts replace an earlier run's for the day, unless they are the same (a re-run keeps its
    made_at). For earlier origins what a run on that day gave stands, as the brief sets yesterday's actual against the
    interval given then; the origins no run was made for hold this run's backtest forecasts, made_at null."""
    table = DAILY.name
    own = daily.filter(pl.col("origin") == day)
    held = conn.sql(f"select * from {table} where origin = $day", params={"day": day}).pl()
    if not _same_forecasts(held, own):
        conn.execute(f"delete from {table} where origin = $day", {"day": day})
        insert_frame(conn, table, own)
    earlier = daily.filter(pl.col("origin") < day)
    if earlier.height == 0:
        return
    window = {"first": earlier["origin"].min(), "day": day}
    conn.execute(f"delete from {table} where origin >= $first and origin < $day and made_at is null", window)
    given = conn.sql(
        f"select distinct origin, series, level, subject from {table} where origin >= $first and origin < $day",
        params=window,
    ).pl()
    insert_frame(conn, table, earlier.join(given, on=["origin", "series", "level", "subject"], how="anti"))


def _same_forecasts(held: pl.DataFrame, made: pl.DataFrame) -> bool:
    columns = [c for c in made.columns if c != "made_at"]
    if held.height != made.height:
        return False
    return held.select(columns).sort(columns).equals(made.select(columns).sort(columns))


def _daily_rows(forecasts: list[pl.DataFrame], made_at: datetime, day: date) -> pl.DataFrame:
    schema = DAILY.declared.polars_schema()
    if not forecasts:
        return pl.DataFrame(schema=schema)
    made = pl.lit(made_at.replace(tzinfo=None)).cast(pl.Datetime("us"))
    frame = pl.concat(forecasts).with_columns(
        train_last=pl.col("origin"),
        # Only the day's own forecasts were made on their day; the rest are the backtest's, made later.
        made_at=pl.when(pl.col("origin") == day).then(made).otherwise(None),
    )
    return frame.select([pl.col(c).cast(t) for c, t in schema.items()])


def _backtest_rows(scores: list[pl.DataFrame], day: date) -> pl.DataFrame:
    schema = BACKTEST.declared.polars_schema()
    if not scores:
        return pl.DataFrame(schema=schema)
    frame = pl.concat(scores).with_columns(as_of=pl.lit(day))
    return frame.select([pl.col(c).cast(t) for c, t in schema.items()])


def latest_day(conn: duckdb.DuckDBPyConnection) -> date | None:
    """The newest day the ED mart holds: the day a run for no partition forecasts from."""
    return conn.sql("select max(date) from marts.ed_four_hour_daily").fetchall()[0][0]
