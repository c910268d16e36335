"""The figures the morning brief shows for one day, read from the warehouse, with what makes each provisional."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from pipelines import REPO_ROOT
from pipelines.brief.coverage import Coverage, day_coverage

# Chart and Problem are named here too: the brief's modules and tests know them as data.Chart and data.Problem.
from pipelines.brief.peer import PeerPart, read_peer
from pipelines.brief.problems import FailedCheck, arrival_problems, arrivals, check_problems, load_problems
from pipelines.brief.problems import Problem as Problem
from pipelines.brief.reconciliation import Reconciled, read_reconciliation
from pipelines.brief.spc import Chart as Chart
from pipelines.brief.spc import Direction, StepsFile, load_spc_config, spc
from pipelines.forecast.outlook import Outlook, read_outlook
from pipelines.settings import DEFAULT_HOME_SYSTEM
from pipelines.storage.record_changes import current_records, describe, record_changes
from pipelines.storage.warehouse import sql
from schemas import catalogue

TRAILING_DAYS = 90
# Limits come from a fixed baseline at the start of each phase, however far back: the series is read from its
# first day and only the trailing days are shown.
HISTORY_START = date(1900, 1, 1)
# Where the SPC step changes are configured (spc_steps.yaml) unless the caller says (UEC_REFERENCE_DIR).
REFERENCE_DIR = str(REPO_ROOT / "schemas" / "reference")
# Which feed each part of the brief is computed from: a problem in the feed makes that part provisional.
SECTION_FEEDS = catalogue.section_feeds()
# Feeds one sender sends for every organisation: a problem with its file touches every figure built from it.
SENDER_COVERS_ALL = {f.name for f in catalogue.FEEDS if f.sender_covers_all}
# How each charted series is read: its title, which way is better, and its unit (on the chart's axis).
# Every one is a count or a share of counts: none goes below 0, and a percentage never above 100.
SERIES: dict[str, tuple[str, Direction, str]] = {
    "ed_four_hour": ("System 4-hour performance", "higher", "%"),
    "ed_twelve_hour": ("System share over 12 hours in A&E", "lower", "%"),
    "hours_lost": ("Handover hours lost", "lower", "hours"),
    "handovers_over_45": ("Handovers over 45 minutes", "lower", "count"),
    "deflection": ("CNH deflection of the ambulance stack", "higher", "%"),
}


# The drill-down tables, each from sql/brief_<name>.sql, in the order the page opens them.
DRILL_DOWN = ("ed_by_site_type", "ed_type_1", "cnh_by_source", "opel_parameters", "opel_history")


@dataclass
class BriefData:
    day: date
    generated_at: datetime
    ed: pl.DataFrame
    handover: pl.DataFrame
    cnh: pl.DataFrame
    opel: pl.DataFrame
    charts: list[Chart]
    quality: pl.DataFrame
    problems: list[Problem] = field(default_factory=list)
    # The tiles' figures the day before and a week before, and the drill-down tables (brief_*.sql, by name).
    tile_history: pl.DataFrame = field(default_factory=pl.DataFrame)
    # What re-sends did to the day's records: withdrawn by a full re-send, or re-sent with a fault (earlier kept).
    resends: pl.DataFrame = field(default_factory=pl.DataFrame)
    drill: dict[str, pl.DataFrame] = field(default_factory=dict)
    # The day before's OPEL rows, for the key messages' changes since yesterday; empty when it was never loaded.
    opel_yesterday: pl.DataFrame = field(default_factory=pl.DataFrame)
    # The system the brief is made for: every tile and series is this system's, none another's.
    system_code: str = DEFAULT_HOME_SYSTEM
    system_name: str = "Derby and Derbyshire ICB"
    # What was loaded per feed and provider: every assurance sentence is conditional on it.
    coverage: Coverage | None = None
    # The trusts the system's headline A&E figure counts (ref.system_headline): its tile waits only on theirs.
    headline_trusts: set[str] = field(default_factory=set)
    # Local feeds against NHS England's returns over the trailing days; None where the brief was not read from a
    # warehouse.
    reconciliation: Reconciled | None = None
    # NHS England's published figures for the day (or its month) beside the region and England; empty when no
    # national data was ever loaded.
    peer: list[PeerPart] = field(default_factory=list)
    # The next seven days' expected arrivals and how the forecasts made for the last 28 days did; None where the brief
    # was not read from a warehouse.
    outlook: Outlook | None = None

    def provisional(self, section: str, provider_code: str | set[str] | None = None) -> list[Problem]:
        """Problems making a figure provisional: those in its section's feeds about a provider the figure counts
        (`provider_code`, or a set of them; None for a figure that counts every provider), or about no one provider."""
        counts = {provider_code} if isinstance(provider_code, str) else provider_code
        return [
            p
            for p in self.problems
            if p.feed in SECTION_FEEDS[section]
            and (counts is None or p.provider_code is None or p.provider_code in counts or p.feed in SENDER_COVERS_ALL)
        ]


def read_brief(
    conn: duckdb.DuckDBPyConnection,
    day: date,
    *,
    feeds_dir: str,
    landing: Path,
    now: datetime,
    system: str,
    failed_checks: Sequence[FailedCheck] = (),
    reference_dir: str | Path = REFERENCE_DIR,
) -> BriefData:
    """Everything the brief for `day` shows, for one system (the UEC_HOME_SYSTEM setting, read by the caller); `now`
    decides whether a missing file is already overdue, and `failed_checks` are the day's from the Dagster instance."""
    params = {"day": day, "system": system}
    elsewhere = _other_systems_providers(conn, system)
    quality = _with_current_records(conn, day, conn.sql(sql("brief_quarantine_by_provider"), params={"day": day}).pl())
    data = BriefData(
        day=day,
        generated_at=now,
        system_code=system,
        system_name=_system_name(conn, system),
        ed=conn.sql(sql("brief_ed_tiles"), params=params).pl(),
        handover=conn.sql(sql("brief_handover_tiles"), params=params).pl(),
        cnh=conn.sql(sql("brief_cnh_tiles"), params={"day": day}).pl(),
        opel=conn.sql(sql("brief_opel_tiles"), params=params).pl(),
        opel_yesterday=conn.sql(sql("brief_opel_yesterday"), params=params).pl(),
        charts=_charts(conn, day, system, load_spc_config(reference_dir, SERIES)),
        quality=quality.filter(~pl.col("provider_code").is_in(list(elsewhere))),
        tile_history=conn.sql(sql("brief_tile_changes"), params=params).pl(),
        resends=record_changes(conn, day).filter(~pl.col("provider_code").is_in(list(elsewhere))),
        drill={name: conn.sql(sql(f"brief_{name}"), params=_params(name, params)).pl() for name in DRILL_DOWN},
        reconciliation=read_reconciliation(conn, day - timedelta(days=TRAILING_DAYS - 1), day),
    )
    landed = arrivals(feeds_dir, landing, day, now, elsewhere)
    problems = [
        *arrival_problems(landed),
        *load_problems(data.quality),
        # A failed re-sent row leaves an earlier version counting that the provider meant to correct.
        *(
            Problem(r["feed"], r["provider_code"], "re-sent with a fault", describe(r))
            for r in data.resends.filter(pl.col("kind") == "resent_with_fault").iter_rows(named=True)
        ),
        *check_problems(failed_checks, day),
    ]
    # Another system's late file or quarantined rows move none of this system's figures.
    data.problems = [p for p in problems if p.provider_code not in elsewhere]
    data.coverage = day_coverage(day, quality, landed, elsewhere, _rejected_files(conn, day))
    headline = conn.sql("select trust_code from ref.system_headline where system_code = $s", params={"s": system})
    data.headline_trusts = {r[0] for r in headline.fetchall()}
    data.peer = read_peer(conn, day, system)
    data.outlook = read_outlook(conn, day, system)
    return data


def _with_current_records(conn: duckdb.DuckDBPyConnection, day: date, quality: pl.DataFrame) -> pl.DataFrame:
    """The strip's rows with each record-level feed's records counted on the day and its re-sent versions apart;
    empty (None) for a site-day or submission feed, which has no versions."""
    return quality.join(current_records(conn, day), on=["feed", "provider_code"], how="left")


def _rejected_files(conn: duckdb.DuckDBPyConnection, day: date) -> pl.DataFrame:
    return conn.sql(
        "select feed, provider_code, file_name, reason from ops.rejected_files "
        "where partition_date = $day order by all",
        params={"day": day},
    ).pl()


def read_coverage(
    conn: duckdb.DuckDBPyConnection | None,
    day: date,
    *,
    feeds_dir: str,
    landing: Path,
    now: datetime,
    system: str,
    elsewhere: set[str] | frozenset[str] = frozenset(),
) -> Coverage:
    """The day's coverage as the brief computes it, for the readiness mail; with no warehouse, nothing is loaded
    (and `elsewhere`, from the reference files, says which providers are other systems')."""
    if conn is None:
        quality, rejected = pl.DataFrame(schema={"feed": pl.Utf8, "provider_code": pl.Utf8}), None
    else:
        quality = conn.sql(sql("brief_quarantine_by_provider"), params={"day": day}).pl()
        elsewhere = _other_systems_providers(conn, system)
        rejected = _rejected_files(conn, day)
    return day_coverage(day, quality, arrivals(feeds_dir, landing, day, now, elsewhere), elsewhere, rejected)


def _params(name: str, params: dict) -> dict:
    # The hub serves the home system only and its cases carry no system, so its SQL takes only the day.
    return {k: v for k, v in params.items() if f"${k}" in sql(f"brief_{name}")}


def _system_name(conn: duckdb.DuckDBPyConnection, system: str) -> str:
    name = conn.sql(
        "select any_value(system_name) from ref.sites where system_code = $s", params={"s": system}
    ).fetchall()[0][0]
    if name is None:
        known = [r[0] for r in conn.sql("select distinct system_code from ref.sites order by 1").fetchall()]
        raise ValueError(
            f"The home system {system!r} (setting UEC_HOME_SYSTEM) is not in ref.sites: expected one of {known}"
        )
    return name


def _other_systems_providers(conn: duckdb.DuckDBPyConnection, system: str) -> set[str]:
    """Providers (trusts) that belong only to systems other than `system`, by ref.sites and ref.providers."""
    rows = conn.sql(
        "with belongs as (select trust_code as code, system_code from ref.sites "
        "union select provider_code, system_code from ref.providers) "
        "select code from belongs group by code having not bool_or(system_code = $s)",
        params={"s": system},
    ).fetchall()
    return {r[0] for r in rows}


def _charts(conn: duckdb.DuckDBPyConnection, day: date, system: str, config: StepsFile) -> list[Chart]:
    series = conn.sql(sql("brief_series"), params={"day": day, "first": HISTORY_START, "system": system}).pl()
    shown_from = day - timedelta(days=TRAILING_DAYS - 1)
    charts = []
    # In SERIES order: the 4-hour chart first, as the call takes it.
    order = {name: i for i, name in enumerate(SERIES)}
    series = series.sort(pl.col("series").replace_strict(order, return_dtype=pl.Int32), "org_code", "date")
    for (name, org), rows in series.filter(pl.col("value").is_not_null()).group_by(
        ["series", "org_code"], maintain_order=True
    ):
        if rows.filter(pl.col("date") >= shown_from).height < 2:
            continue
        title, better, unit = SERIES[name]
        # The target is dated: draw the one in force on the brief's day.
        target = rows["target"][-1]
        dates = rows["date"].to_list()
        mine = [s for s in config.steps if s.applies_to(name, org)]
        whole = spc(
            dates,
            rows["value"].to_list(),
            improvement=better,
            target=target,
            steps=mine,
            baseline_points=config.baseline_points,
            screen=config.screen_moving_ranges,
            floor=0.0,
            ceiling=100.0 if unit == "%" else None,
        )
        shown = whole.since(shown_from)
        charts.append(Chart(name, title, org, rows["org_name"][0], shown.dates, shown, unit))
    return charts
