"""Local feeds against NHS England's returns (marts.reconciliation_local_national), in words: what agreed, and each
difference beyond tolerance named, for the brief's quality strip and the local_and_national_returns_agree check."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import polars as pl

from pipelines.storage.warehouse import quoted, sql
from schemas import catalogue

_MEASURES = {
    "attendances": "attendances",
    "breaches": "breaches",
    "type_1_attendances": "type 1 attendances",
    "type_1_breaches": "type 1 breaches",
    "arrivals": "ambulance arrivals",
    "over_30": "handovers over 30 minutes",
    "over_60": "handovers over 60 minutes",
}
_LABELS = {p.name: p.label for p in catalogue.PUBLICATIONS}


@dataclass(frozen=True)
class Reconciled:
    """What the reconciliation found from `first` to `last`: trust-days and trust-months compared, those agreeing on
    every measure, each difference beyond tolerance and each month not compared, in words."""

    first: date
    last: date
    national_loaded: bool  # any national return loaded at all: without one there is nothing to reconcile against
    trust_days: int = 0
    trust_months: int = 0
    days_agreeing: int = 0
    months_agreeing: int = 0
    differences: list[str] = field(default_factory=list)
    not_compared: list[str] = field(default_factory=list)

    @property
    def compared(self) -> bool:
        return bool(self.trust_days or self.trust_months)

    def agreement(self) -> str:
        """'28 trust-days and 2 trust-months' agreeing on every measure (a kind none of which agrees left out)."""
        parts = [
            _count(n, what)
            for n, what in ((self.days_agreeing, "trust-day"), (self.months_agreeing, "trust-month"))
            if n
        ]
        return " and ".join(parts)


def read_reconciliation(conn: duckdb.DuckDBPyConnection, first: date, last: date) -> Reconciled | None:
    """The reconciliation of the trust-days from `first` to `last` and the trust-months starting in their months;
    None from a warehouse built before it existed, opened read-only (`uec report`) so the view cannot be made."""
    schema, view = catalogue.RECONCILIATION.name.split(".")
    exists = "select 1 from duckdb_views() where schema_name = $s and view_name = $v"
    if not conn.sql(exists, params={"s": schema, "v": view}).fetchall():
        return None
    frame = conn.sql(sql("brief_reconciliation"), params={"first": first, "day": last}).pl()
    tables = catalogue.PUBLICATIONS
    loaded = any(conn.sql(f"select exists (select 1 from {quoted(p.table)})").fetchall()[0][0] for p in tables)
    return summarise(frame, first, last, loaded)


def summarise(frame: pl.DataFrame, first: date, last: date, national_loaded: bool = True) -> Reconciled:
    """Count what was compared and agreed, and name every difference beyond tolerance and every month not compared."""
    compared = frame.filter(pl.col("status") == "compared")
    periods = compared.group_by("period_type", "trust_code", "period").agg(pl.col("within").all().alias("agree"))
    days, months = (periods.filter(pl.col("period_type") == kind) for kind in ("day", "month"))
    skipped = frame.filter(pl.col("status") != "compared").unique(["trust_code", "period"], maintain_order=True)
    return Reconciled(
        first,
        last,
        national_loaded,
        trust_days=days.height,
        trust_months=months.height,
        days_agreeing=days.filter(pl.col("agree")).height,
        months_agreeing=months.filter(pl.col("agree")).height,
        differences=[describe(r) for r in compared.filter(~pl.col("within")).iter_rows(named=True)],
        not_compared=[
            f"{r['trust_code']} {r['period']:%B %Y}: {r['status']} ({r['local_days']} of {r['days_in_period']} days "
            "loaded)"
            for r in skipped.iter_rows(named=True)
        ],
    )


def describe(row: dict) -> str:
    """One difference: 'RTG March 2019 attendances: local 12,004, national 12,400 (-3.2%, tolerance 2% and 5)'."""
    period: date = row["period"]
    when = f"{period:%B %Y}" if row["period_type"] == "month" else f"{period.day} {period:%B %Y}"
    what = _MEASURES.get(row["measure"], row["measure"])
    # Two daily returns can both give a trust-day's handovers: say which disagrees.
    source = f" ({_LABELS.get(row['publication'], row['publication'])})" if row["period_type"] == "day" else ""
    share = f"{row['difference_pct']:+.1f}%" if row["difference_pct"] is not None else f"{row['difference']:+,}"
    if row["tolerance_pct"] is None and row["tolerance_absolute"] is None:
        tolerance = "no tolerance configured"
    else:
        tolerance = f"tolerance {row['tolerance_pct'] or 0:g}% and {row['tolerance_absolute'] or 0:,}"
    return (
        f"{row['trust_code']} {when} {what}{source}: local {row['local']:,}, national {row['national']:,} "
        f"({share}, {tolerance})"
    )


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def reconciliation_view(found: Reconciled | None) -> dict | None:
    """What the quality strip says of the reconciliation; None (nothing) when no national return is loaded at all,
    as there is then nothing to reconcile against and a line saying so every day would be noise."""
    if found is None or not found.national_loaded:
        return None
    window = f"from {_day(found.first)} to {_day(found.last)}"
    after = []
    if found.differences:
        state, text = "differ", f"Local feeds differ from NHS England's returns beyond tolerance ({window}):"
        if found.days_agreeing or found.months_agreeing:
            after.append(f"The rest agree within tolerance: {found.agreement()}.")
    elif found.compared:
        state = "agree"
        text = f"Local feeds agree with NHS England's returns within tolerance for {found.agreement()} {window}."
    else:
        # Said, not left out: with returns loaded, silence could be read as agreement.
        state = "none"
        text = (
            f"No trust-day or trust-month {window} is both in the local feeds and in NHS England's returns loaded: "
            "nothing was reconciled."
        )
    if found.not_compared:
        after.append("Not compared: " + "; ".join(found.not_compared) + ".")
    return {"state": state, "text": text, "differences": found.differences, "after": " ".join(after)}


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"
