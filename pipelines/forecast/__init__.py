"""Demand forecasts for the next seven days and their standing backtest: plain functions, no Dagster."""
