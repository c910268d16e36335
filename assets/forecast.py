"""The forecast marts: the next seven days per series with intervals, and the standing backtest that picks the model."""

from datetime import UTC, datetime

import dagster as dg
import polars as pl

from assets.morning_brief import brief_day
from pipelines.forecast.daily import Made, forecast_day, latest_day
from pipelines.metadata import column_schema, preview
from pipelines.resources import WarehouseResource
from pipelines.settings import home_system
from pipelines.storage.warehouse import ensure_schema
from schemas import catalogue
from schemas.catalogue import ForecastMart

# The daily marts the series are read from (sql/forecast_series.sql).
SOURCES = ("marts.ed_four_hour_daily", "marts.handover_daily", "marts.cnh_deflection_daily", "ref.sites")
NESTED = "intervals_are_nested"
SCORED = "scores_are_in_range"


def _key(mart: ForecastMart) -> dg.AssetKey:
    return dg.AssetKey(mart.name.split("."))


def build_forecasts(marts: tuple[ForecastMart, ...] = catalogue.FORECASTS) -> dg.AssetsDefinition:
    """Both forecast marts from one step: the backtest's fits are the forecasts' own, made once."""
    daily, backtest = marts

    @dg.multi_asset(
        name="forecast",
        specs=[
            dg.AssetSpec(
                _key(m),
                deps=[dg.AssetKey(t.split(".")) for t in SOURCES],
                kinds={"duckdb", "python"},
                group_name=m.group,
                description=m.description,
                metadata=column_schema(m.name, m.columns),
            )
            for m in marts
        ],
        check_specs=[
            dg.AssetCheckSpec(
                NESTED,
                asset=_key(daily),
                blocking=True,
                description="lo_95 <= lo_80 <= mean <= hi_80 <= hi_95 on every row written.",
            ),
            dg.AssetCheckSpec(
                SCORED,
                asset=_key(backtest),
                blocking=True,
                description="Coverage in 0-1, MASE and sMAPE not negative, and one chosen model per series.",
            ),
        ],
    )
    def _forecast(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        """Backtest and forecast every series for the run's day (the last of a range), from the rows dated up to it."""
        with warehouse.get_connection() as conn:
            ensure_schema(conn)
            day = brief_day(context.run.tags, latest_day(conn))
            made = (
                forecast_day(conn, day, home_system(), datetime.now(UTC))
                if day
                else Made(pl.DataFrame(), pl.DataFrame())
            )
        yield dg.MaterializeResult(asset_key=_key(daily), metadata=_daily_metadata(made, day))
        yield dg.MaterializeResult(asset_key=_key(backtest), metadata=_backtest_metadata(made))
        yield _nested(made.forecasts, _key(daily))
        yield _scored(made.backtest, _key(backtest))

    return _forecast


def _daily_metadata(made: Made, day) -> dict:
    rows = made.forecasts
    if rows.height == 0:
        return {"dagster/row_count": 0, "origin": str(day), "note": "No series has the 28 days a forecast needs yet."}
    shown = rows.filter((pl.col("origin") == day) & pl.col("chosen") & (pl.col("level") == "system"))
    return {
        "dagster/row_count": rows.height,
        "origin": str(day),
        "outlook (system, chosen model)": preview(
            shown.select("series", "target_date", "model", "mean", "lo_80", "hi_80", "lo_95", "hi_95")
        ),
    }


def _backtest_metadata(made: Made) -> dict:
    if made.backtest.height == 0:
        return {"dagster/row_count": 0}
    coverage = (
        made.backtest.filter("chosen")
        .group_by("series", "level", "subject")
        .agg(pl.col("coverage_80", "coverage_95").mean())
    )
    table = made.chosen().join(coverage, on=["series", "level", "subject"])
    return {
        "dagster/row_count": made.backtest.height,
        "origins per horizon": made.backtest["origins"].cast(pl.Int64).max(),
        "series using the regression": int((table["model"] != "seasonal_naive").sum()),
        "series on the baseline": int((table["model"] == "seasonal_naive").sum()),
        "backtest (MASE over horizons 1-7, coverage of the chosen model)": preview(table, rows=40),
    }


def _nested(rows: pl.DataFrame, key: dg.AssetKey) -> dg.AssetCheckResult:
    bad = (
        rows.filter(
            ~(
                (pl.col("lo_95") <= pl.col("lo_80"))
                & (pl.col("lo_80") <= pl.col("mean"))
                & (pl.col("mean") <= pl.col("hi_80"))
                & (pl.col("hi_80") <= pl.col("hi_95"))
            )
        )
        if rows.height
        else rows
    )
    return dg.AssetCheckResult(
        asset_key=key, check_name=NESTED, passed=bad.height == 0, metadata={"rows_failing": bad.height}
    )


def _scored(rows: pl.DataFrame, key: dg.AssetKey) -> dg.AssetCheckResult:
    if rows.height == 0:
        return dg.AssetCheckResult(asset_key=key, check_name=SCORED, passed=True, metadata={"rows_failing": 0})
    bad = rows.filter(
        ~pl.col("coverage_80").is_between(0, 1)
        | ~pl.col("coverage_95").is_between(0, 1)
        | (pl.col("mase") < 0)
        | (pl.col("smape") < 0)
    )
    chosen = rows.group_by("series", "level", "subject", "horizon").agg(pl.col("chosen").sum())
    several = chosen.filter(pl.col("chosen") != 1)
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=SCORED,
        passed=bad.height == 0 and several.height == 0,
        metadata={"rows_failing": bad.height, "series_without_one_chosen_model": several.height},
    )
