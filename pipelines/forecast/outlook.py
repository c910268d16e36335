"""The brief's outlook: the next seven days with intervals, yesterday's actual against its interval, and how often
the last 28 days fell inside the 80% interval."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
import polars as pl

from pipelines.forecast.daily import read_series
from pipelines.forecast.models import BASELINE
from pipelines.storage.warehouse import sql

CALIBRATION_DAYS = 28
LABELS = {"ed_arrivals": "A&E attendances", "ambulance_arrivals": "Ambulance arrivals"}
# The brief section (schemas/catalogue.py) whose feeds each series is counted from: an actual from a day those feeds
# did not load whole is not a miss of the forecast.
SECTIONS = {"ed_arrivals": "ed", "ed_type_1_arrivals": "ed", "ambulance_arrivals": "handover", "hub_cases": "cnh"}


@dataclass
class OutlookRow:
    """One series: its next seven days, the check of the brief's day against the forecast made the day before, and
    the share of the last 28 days inside the 80% interval."""

    series: str
    label: str
    level: str
    subject: str
    subject_name: str
    model: str
    days: list[dict] = field(default_factory=list)
    yesterday: dict | None = None  # actual, lo/hi 80 and 95, inside_80, inside_95
    inside_80: int = 0
    scored: int = 0

    @property
    def baseline(self) -> bool:
        return self.model == BASELINE


@dataclass
class Outlook:
    day: date
    rows: list[OutlookRow]

    def outside_95(self) -> list[OutlookRow]:
        """Series whose actual on the brief's day fell outside the 95% interval forecast the day before."""
        return [r for r in self.rows if r.yesterday is not None and not r.yesterday["inside_95"]]


def read_outlook(conn: duckdb.DuckDBPyConnection, day: date, system: str) -> Outlook:
    """The outlook for `day` from marts.forecast_daily and the marts' actuals (empty where nothing was forecast)."""
    forecasts = conn.sql(sql("brief_forecast"), params={"day": day}).pl()
    actuals = read_series(conn, day, system).filter(pl.col("date") >= day - timedelta(days=CALIBRATION_DAYS - 1))
    scored = forecasts.filter(pl.col("horizon") == 1).join(
        actuals.rename({"date": "target_date", "value": "actual"}),
        on=["series", "level", "subject", "target_date"],
        how="inner",
    )
    rows = []
    ahead = forecasts.filter(pl.col("origin") == day)
    for (series, level, subject), group in ahead.group_by(["series", "level", "subject"], maintain_order=True):
        first = group.row(0, named=True)
        row = OutlookRow(
            str(series), LABELS[str(series)], str(level), str(subject), first["subject_name"], first["model"]
        )
        row.days = group.sort("horizon").to_dicts()
        mine = scored.filter((pl.col("series") == series) & (pl.col("subject") == subject))
        _judge(row, mine, day)
        rows.append(row)
    # A&E first, as the brief's tiles run; the system before its sites.
    rows.sort(key=lambda r: (list(LABELS).index(r.series), r.level != "system", r.subject_name))
    return Outlook(day, rows)


def _judge(row: OutlookRow, scored: pl.DataFrame, day: date) -> None:
    """Each scored day inside or outside its intervals; the brief's own day is the row's `yesterday`."""
    for r in scored.iter_rows(named=True):
        inside = {lv: r[f"lo_{lv}"] <= r["actual"] <= r[f"hi_{lv}"] for lv in (80, 95)}
        row.scored += 1
        row.inside_80 += inside[80]
        if r["target_date"] == day:
            row.yesterday = {**r, "inside_80": inside[80], "inside_95": inside[95]}
