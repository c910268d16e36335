"""The forecast marts' columns: the next seven days per series with intervals, and the standing backtest's scores.

Keyed like every declared table ("name type [not null]" -> what it holds); docs/forecasting.md says how each is made.
"""

from __future__ import annotations

_SERIES = {
    "series varchar not null": (
        "What is forecast: 'ed_arrivals' (all types), 'ed_type_1_arrivals' (type 1 departments), 'ambulance_arrivals' "
        "(marts.handover_daily arrivals) or 'hub_cases' (hub cases)."
    ),
    "level varchar not null": "'site', 'system' (the home system's sites together) or 'source' (a referral source).",
    "subject varchar not null": "ODS site code, system (ICB) code or referral source the series counts.",
    "model varchar not null": (
        "'seasonal_naive' (each day as the same weekday the week before: the baseline) or 'arima_holidays' "
        "(regression on England bank holidays with ARIMA(1,0,1)(0,1,1)7 errors, statsforecast)."
    ),
}

COLUMNS: dict[str, dict[str, str]] = {
    "forecast_daily": {
        "origin date not null": (
            "The last day of data the forecast used (the brief's day): only rows dated on or before it were read."
        ),
        "target_date date not null": "The day forecast: origin + horizon.",
        "horizon integer not null": "Days ahead of the origin, 1 to 7.",
        **_SERIES,
        "chosen boolean not null": (
            "True for the model the brief shows for the series: 'arima_holidays' where its backtest MASE (horizons "
            "1-7, marts.forecast_backtest as of the run's day) is below the seasonal naive's, otherwise the baseline."
        ),
        "mean double not null": "Expected count on target_date.",
        "lo_80 double not null": "Lower bound of the 80% prediction interval (count).",
        "hi_80 double not null": "Upper bound of the 80% prediction interval (count).",
        "lo_95 double not null": "Lower bound of the 95% prediction interval (count).",
        "hi_95 double not null": "Upper bound of the 95% prediction interval (count).",
        "train_first date not null": "First day of the training window (the series' first day in the marts).",
        "train_last date not null": "Last day of the training window: the origin.",
        "made_at timestamp": (
            "When the run for the origin's own day made the forecast (UTC); null where no run was made on that day and "
            "a later run's backtest re-made it (a backfill), which the next such run replaces."
        ),
    },
    "forecast_backtest": {
        "as_of date not null": "The run's day: every forecast scored was made from an origin before it.",
        **_SERIES,
        "horizon integer not null": "Days ahead scored, 1 to 7, each reported separately.",
        "origins integer not null": "Forecasts scored: one per origin whose target day is on or before as_of.",
        "first_origin date not null": "Earliest origin scored.",
        "last_origin date not null": "Latest origin scored (as_of - horizon).",
        "mase double": (
            "Mean absolute scaled error: each absolute error divided by the training window's mean absolute "
            "difference from the same weekday a week before (in-sample seasonal naive, m = 7); below 1 beats it."
        ),
        "smape double": "Symmetric mean absolute percentage error, 0-200 (M4 definition): 200|a - f| / (|a| + |f|).",
        "coverage_80 double": "Share (0-1) of actuals inside the 80% interval; a calibrated model is near 0.80.",
        "coverage_95 double": "Share (0-1) of actuals inside the 95% interval; a calibrated model is near 0.95.",
        "chosen boolean not null": "True for the model the brief shows for the series as of this day.",
    },
}
