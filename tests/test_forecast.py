"""The forecasting library and its backtest: MASE by construction, the bank-holiday regressor, honest intervals, and
forecasts that read only the days up to their origin."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import duckdb
import numpy as np
import polars as pl
import pytest

from pipelines.forecast.backtest import rolling_forecasts, score
from pipelines.forecast.daily import forecast_day
from pipelines.forecast.models import BASELINE, CHOSEN, arima_holidays, bank_holidays, seasonal_naive
from pipelines.storage.warehouse import ensure_schema
from tests.support.reference import SWAST_DAILY

# Monday to Sunday: 2024-01-01 and 2025-01-06 are Mondays.
WEEK = np.array([20.0, 5.0, 0.0, 0.0, -5.0, -15.0, -5.0])


def test_seasonal_naive_scores_mase_1_on_a_weekly_series_growing_a_fixed_step_a_week():
    # y = 100 + the weekday's offset + 3 x the week number. Last week's same weekday is always 3 short, and so is
    # every in-sample lag-7 difference: MASE = mean(|3|) / mean(|3|) = 1.0 exactly, at every horizon (utilsforecast's
    # MASE, each origin scaled by its own training days). Scaled by the lag-1 naive instead, it would not be 1: the
    # weekday offsets make the day-to-day differences 15, 5, 0, 5, 10, 10 and 28 (Sunday to Monday, +3).
    t = np.arange(70)
    y = 100 + WEEK[t % 7] + 3 * (t // 7)
    made = rolling_forecasts(y, date(2025, 1, 6), range(41, 62), 7, [BASELINE])
    scores = score(made, y, date(2025, 1, 6))
    assert scores["horizon"].to_list() == [1, 2, 3, 4, 5, 6, 7]
    assert scores["origins"].to_list() == [21] * 7  # origins 41..61, each with 7 days after it in the 70
    assert scores["mase"].to_list() == [1.0] * 7


def test_a_planted_bank_holiday_dip_is_forecast_better_with_the_holiday_regressor():
    # 300 a day, the weekday's offset, 80 fewer on every England bank holiday (11 between 1 January 2024 and the
    # origin, Friday 2 May 2025), and a little noise. Horizon 3 is Monday 5 May, the early May bank holiday:
    # expected 300 + 20 (Monday) - 80 = 240. Without the regressor the model can only repeat a Monday: about 320.
    first, origin = date(2024, 1, 1), date(2025, 5, 2)
    n = (origin - first).days + 1
    holidays = bank_holidays(first, n + 7)
    assert holidays[:n].sum() == 11 and holidays[n:].tolist() == [0, 0, 1, 0, 0, 0, 0]
    y = 300 + WEEK[np.arange(n + 7) % 7] - 80 * holidays + np.random.default_rng(32).normal(0, 4, n + 7)
    with_holidays = arima_holidays(y[:n], first, 7)
    without = arima_holidays(y[:n], first, 7, holidays=False)
    assert with_holidays is not None and without is not None
    monday = y[n + 2]
    assert abs(monday - 240) < 12  # the noise, sd 4, is within 3 sd
    assert abs(with_holidays.mean[2] - monday) < 15
    assert abs(without.mean[2] - monday) > 60  # the 80 dip, less the noise
    # The other six days are ordinary: the regressor moves none of them by more than the noise.
    others = [0, 1, 3, 4, 5, 6]
    assert np.abs(with_holidays.mean[others] - without.mean[others]).max() < 10


def _trust(first: date, last: date) -> tuple[date, np.ndarray]:
    swast = pl.read_csv(SWAST_DAILY, try_parse_dates=True)
    rows = swast.filter((pl.col("ORA") == "Trust") & pl.col("Actual_dt").is_between(first, last)).sort("Actual_dt")
    return rows["Actual_dt"][0], rows["Actual_Value"].to_numpy().astype(float)


def test_intervals_widen_with_the_horizon_on_real_ambulance_demand():
    first, y = _trust(date(2017, 1, 2), date(2018, 6, 30))  # SWAST's trust, 545 days
    made = arima_holidays(y, first, 7)
    assert made is not None
    for level in (80, 95):
        width = made.hi[level] - made.lo[level]
        assert (np.diff(width) > 0).all(), (level, width)
        assert (made.lo[level] < made.mean).all() and (made.mean < made.hi[level]).all()
    # 95% wider than 80% by the ratio of their normal quantiles: 1.960 / 1.282 = 1.529.
    ratio = (made.hi[95] - made.lo[95]) / (made.hi[80] - made.lo[80])
    assert np.allclose(ratio, 1.959964 / 1.281552, rtol=1e-4)
    # The baseline's spread grows with whole weeks ahead: the second week's is sqrt(2) = 1.414 times the first's.
    naive = seasonal_naive(y, 14)
    width = naive.hi[95] - naive.lo[95]
    assert np.allclose(width[7:] / width[:7], np.sqrt(2))


def test_on_a_slice_of_real_demand_the_regression_beats_seasonal_naive_and_its_intervals_hold():
    # SWAST's trust, 2017-2018: 13 four-weekly origins through 2018, 7 days ahead each (91 days scored). Measured when
    # written: MASE 0.88 against the baseline's 1.07; 80% coverage 0.88 and 95% 0.92.
    first, y = _trust(date(2017, 1, 2), date(2018, 12, 31))
    origins = range(364, len(y) - 7, 28)
    scores = score(rolling_forecasts(y, first, origins, 7), y, first, by=["model"])
    mase = dict(zip(scores["model"], scores["mase"], strict=True))
    assert mase[CHOSEN] < 0.9 * mase[BASELINE]
    ours = scores.filter(pl.col("model") == CHOSEN).row(0, named=True)
    assert 0.7 <= ours["coverage_80"] <= 0.95 and ours["coverage_95"] >= 0.85


@pytest.fixture
def warehouse() -> duckdb.DuckDBPyConnection:
    """An empty warehouse with the reference sites and 63 days of one site's type 1 attendances to 2025-03-09."""
    conn = duckdb.connect()
    ensure_schema(conn)
    conn.execute(
        "insert into ref.sites values ('RTG01', 'Royal Derby Hospital', 'RTG', 'UHDB', 'QJ2', "
        "'Derby and Derbyshire ICB', 'no')"
    )
    first = date(2025, 1, 6)
    noise = np.random.default_rng(6).normal(0, 6, 63)
    rows = [(first + timedelta(days=i), 400 + WEEK[i % 7] + noise[i]) for i in range(63)]
    _attendances(conn, rows)
    return conn


def _attendances(conn: duckdb.DuckDBPyConnection, rows: list[tuple[date, float]]) -> None:
    conn.executemany(
        "insert into marts.ed_four_hour_daily (date, trust_code, site_code, department_type, attendances, within_4h, "
        "breaches, pending, over_12h) values (?, 'RTG', 'RTG01', 1, ?, 0, 0, 0, 0)",
        [(d, round(v)) for d, v in rows],
    )


def _without_made_at(conn: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return conn.sql("select * exclude (made_at) from marts.forecast_daily order by all").pl()


def test_a_forecast_reads_only_the_days_up_to_its_origin_and_a_rerun_writes_the_same(warehouse):
    day = date(2025, 3, 2)
    made = forecast_day(warehouse, day, "QJ2", datetime(2025, 3, 3, 6, tzinfo=UTC))
    # Three series (the site's attendances, its type 1 and the system's), two models, 7 days ahead, from each origin
    # with 28 days behind it: 2 February (day 28 of the series) to 2 March, 29 origins.
    assert made.forecasts.select("series", "level").unique().height == 3
    assert made.forecasts.height == 3 * 2 * 29 * 7
    assert made.forecasts["origin"].max() == day and made.forecasts["train_last"].max() == day
    before = _without_made_at(warehouse)
    # The week after the origin lands (and is unlike any week before): no forecast from `day` or earlier moves.
    _attendances(warehouse, [(day + timedelta(days=i), 900.0) for i in range(8, 15)])
    forecast_day(warehouse, day, "QJ2", datetime(2025, 3, 10, 6, tzinfo=UTC))
    assert _without_made_at(warehouse).equals(before)
    # The chosen model is the one the backtest ranks first, on every row written for the series.
    backtest = warehouse.sql("select * from marts.forecast_backtest where as_of = $d", params={"d": day}).pl()
    for (series, subject), rows in backtest.group_by(["series", "subject"]):
        mase = rows.group_by("model").agg(pl.col("mase").mean())
        best = mase.sort("mase")["model"][0]
        chosen = made.forecasts.filter((pl.col("series") == series) & (pl.col("subject") == subject) & "chosen")
        assert set(chosen["model"]) == {best}, (series, subject)
    # Horizon h is scored on the origins with their target on or before the day: 2 February to 2 March - h, 29 - h.
    per_horizon = backtest.group_by("horizon").agg(pl.col("origins").unique()).sort("horizon")
    assert per_horizon["origins"].to_list() == [[28], [27], [26], [25], [24], [23], [22]]


def _table(conn: duckdb.DuckDBPyConnection, where: str = "true") -> pl.DataFrame:
    return conn.sql(f"select * from marts.forecast_daily where {where} order by all").pl()


def test_yesterdays_forecast_stands_as_given_and_the_runs_order_does_not_change_what_was_given(warehouse):
    # Two copies of the same 63 days: runs for 8 and 9 March in that order in one, the other way round in the other.
    other = duckdb.connect()
    ensure_schema(other)
    for table in ("ref.sites", "marts.ed_four_hour_daily"):
        other.register("rows", warehouse.sql(f"select * from {table}").arrow())
        other.execute(f"insert into {table} select * from rows")
        other.unregister("rows")
    # The series' last two days: 63 days from 6 January, so the first origin a run may use is 2 February (day 28).
    first_day, second_day = date(2025, 3, 8), date(2025, 3, 9)
    at = datetime(2025, 3, 9, 6, tzinfo=UTC)
    given = forecast_day(warehouse, first_day, "QJ2", at).forecasts.filter(pl.col("origin") == first_day)
    second = forecast_day(warehouse, second_day, "QJ2", at + timedelta(days=1))
    # The 9 March backtest scores every forecast the table holds, the 8 March run's earliest origin (2 February, 34
    # days before it) included, though the 9 March run itself forecast again only from 3 February (34 days before).
    assert second.forecasts["origin"].min() == date(2025, 2, 3)
    assert second.backtest["first_origin"].min() == _table(warehouse)["origin"].min() == date(2025, 2, 2)
    # What the 8 March run gave is still what is held, made_at and all: the 9 March run's backtest re-makes 8 March's
    # forecast with the calendar week's fit, not the 8 March run's own fit, and must not replace it.
    held = _table(warehouse, f"origin = '{first_day}'")
    assert held.equals(given.sort(given.columns))
    assert held["made_at"].to_list() == [at.replace(tzinfo=None)] * held.height
    forecast_day(other, second_day, "QJ2", at + timedelta(days=1))
    forecast_day(other, first_day, "QJ2", at)
    # Both days' own forecasts are the same whichever ran first; every other origin is a backtest's, made_at null.
    assert _table(other, "made_at is not null").equals(_table(warehouse, "made_at is not null"))
    assert set(_table(warehouse, "made_at is not null")["origin"]) == {first_day, second_day}
    # Re-running a day with the same figures leaves the table as it was, made_at included.
    before = _table(warehouse)
    forecast_day(warehouse, second_day, "QJ2", at + timedelta(days=5))
    assert _table(warehouse).equals(before)
