"""The catalogue: every feed, mart, reference table and SQL file the pipeline knows, in one place.

Assets, jobs, the command line's choices, the brief's sections and exports, the warehouse schema
and the expectations are all derived from these records. Adding a feed is one `Feed` here plus its
contract module (schemas/<feed>.py), provider layouts and SQL; adding a mart is one `Mart` or
`Rollup` plus sql/<table>.sql and sql/check_<table>.sql. tests/test_catalogue.py fails when something
exists outside the catalogue.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from schemas import forecast_columns, national_columns, table_columns
from schemas.canonical import FeedSpec, Reference
from schemas.expectations import Expectation, no_gaps, provider_present, within_trailing_bounds
from schemas.mart_columns import COLUMNS
from schemas.tables import Table, described

if TYPE_CHECKING:
    import pandera.polars as pa

Contract = Callable[[Reference, date | None], "pa.DataFrameSchema"]
Section = Literal["ed", "handover", "cnh", "opel"]


@dataclass(frozen=True)
class Identity:
    """How a record-level feed's versions are judged (docs/domain.md §7.1), by sql/record_versions.sql per feed."""

    record_id: tuple[str, ...]  # with provider_code, what names one record
    site: str  # must be the same in every version of a record (provider_code where a feed has no site)
    placed: str  # the event whose local date is the record's day: arrival, received
    noun: str  # what one record is, in the quarantine's words: "record id reused for a different <noun>"

    def names(self, feed: str) -> dict[str, Any]:
        """The identifiers sql/record_versions.sql is rendered with for this feed."""
        # Any: each is a name (str), but record_id is a tuple of them; each caller knows which it asks for.
        return {
            "raw_table": f"raw.{feed}",
            "versions": f"raw.{feed}_versions",
            "current_on": f"raw.{feed}_current_on",
            "current_between": f"raw.{feed}_current_between",
            "current": f"raw.{feed}_current",
            "reused": f"raw.{feed}_reused",
            "reused_in": f"raw.{feed}_reused_in",
            "withdrawn": f"raw.{feed}_withdrawn",
            "withdrawn_in": f"raw.{feed}_withdrawn_in",
            "resent_with_fault": f"raw.{feed}_resent_with_fault",
            "resent_with_fault_in": f"raw.{feed}_resent_with_fault_in",
            "record_id": self.record_id,
            "site": self.site,
            "placed_at": f"{self.placed}_at",
            "placed_utc": f"{self.placed}_utc",
        }


class _Contracted:
    """A source whose canonical SPEC and pandera `contract` live in one module, imported when first needed."""

    # pandera takes most of a second to import, and `uec --help` or `uec status` need neither.
    contract_module: str

    @property
    def spec(self) -> FeedSpec:
        return importlib.import_module(self.contract_module).SPEC

    @property
    def contract(self) -> Contract:
        return importlib.import_module(self.contract_module).contract

    @property
    def contract_for_any_day(self) -> bool:
        """Its contract built with no day checks each row against its own file's day (schemas/checks.py DAY), so a
        run's days are checked in one call; a contract that only knows one day is built and run day by day."""
        return getattr(importlib.import_module(self.contract_module), "CONTRACT_FOR_ANY_DAY", False)


@dataclass(frozen=True)
class Feed(_Contracted):
    """A provider feed: landed files in, raw.<name> and the ops tables out."""

    name: str
    label: str  # how the brief and the command line name it
    contract_module: str  # schemas/<feed>.py: its canonical SPEC and pandera `contract` (_Contracted)
    group: str  # Dagster asset group
    section: Section  # the brief section a problem with this feed makes provisional
    # One sender sends for every organisation (the ambulance service for all sites): a problem with
    # its file touches every figure built from it, not only the sender's own.
    sender_covers_all: bool
    # The canonical column whose Europe/London date is the record's day (its partition).
    day_from: str
    description: str
    views: tuple[str, ...] = ()  # sql/<view>.sql files defining views over raw.<name>
    # Record-level feeds: which versions count (docs/domain.md §7.1); None for site-day or submission feeds.
    identity: Identity | None = None
    # Warehouse expectations that every expected provider sent a file and the series has no gaps.
    watched: bool = True
    # SQL listing providers that missed the feed's own declaration deadline (OPEL's 11:00).
    deadline_sql: str | None = None

    @property
    def table(self) -> str:
        return f"raw.{self.name}"

    @property
    def columns(self) -> dict[str, str]:
        """raw.<name>'s columns described (empty for a feed the dictionary does not know yet)."""
        return described(table_columns.RAW.get(self.name, {}))

    @property
    def declared(self) -> Table:
        return Table(self.table, table_columns.RAW[self.name])


@dataclass(frozen=True)
class Publication(_Contracted):
    """An NHS England publication at trust grain (docs/domain.md §8): published files in, national.<name> out.

    Unlike a provider feed, one file holds many days (or months), England and region totals beside the trusts,
    and a later edition restates earlier periods; it loads whole, not one partition day at a time.
    """

    name: str
    label: str  # how the brief and the command line name it
    contract_module: str  # schemas/<module>.py: its canonical SPEC and pandera `contract`
    period: Literal["date", "period"]  # the column a row's day (or month) is read from
    key: tuple[str, ...]  # one row per key in an edition
    cadence: Literal["daily", "monthly"]
    description: str

    @property
    def table(self) -> str:
        return f"national.{self.name}"

    @property
    def columns(self) -> dict[str, str]:
        return described(national_columns.NATIONAL[self.name])

    @property
    def declared(self) -> Table:
        return Table(self.table, national_columns.NATIONAL[self.name])


@dataclass(frozen=True)
class Bounds:
    """A warehouse expectation that a mart's series stays within bounds learned from its trailing days."""

    check_name: str
    series_sql: str  # sql/<series_sql>.sql gives (date, subject, value)
    what: str


@dataclass(frozen=True)
class Mart:
    """A daily mart: marts.<table>, rebuilt one day at a time by sql/<table>.sql."""

    table: str
    key: tuple[str, ...]
    check_name: str  # sql/check_<table>.sql lists the rows that break it
    check_description: str
    group: str
    description: str
    feeds: tuple[str, ...]  # source feeds; the first is the one its problems are reported under
    deps: tuple[str, ...]  # other tables it reads (schema.table)
    exported: bool = True  # in the day's call-pack CSV files and workbook
    published: bool = True  # copied to the readers' Parquet snapshot after each run (pipelines/storage/publish.py)
    bounds: tuple[Bounds, ...] = ()

    @property
    def name(self) -> str:
        return f"marts.{self.table}"

    @property
    def columns(self) -> dict[str, str]:
        return described(COLUMNS[self.table])

    @property
    def declared(self) -> Table:
        # No primary key: the key_is_unique check holds the key, and a primary key would stop a duplicate at the
        # insert, so the check could never fail (and department_type, part of ED's key, may be null).
        return Table(self.name, COLUMNS[self.table])


@dataclass(frozen=True)
class RollupView:
    table: str
    description: str
    exported: bool = False
    published: bool = True

    @property
    def columns(self) -> dict[str, str]:
        return COLUMNS[self.table]


@dataclass(frozen=True)
class Rollup:
    """Views over a daily mart (site, trust, system; day, month and year to date), defined in sql/<name>.sql."""

    name: str
    daily: str  # the daily mart the views read
    views: tuple[RollupView, ...]
    group: str
    deps: tuple[str, ...] = ()  # other tables read besides the daily mart
    preview_filter: str = "true"  # which rows of the newest day the asset's metadata previews


@dataclass(frozen=True)
class ForecastMart:
    """A table the forecasting step writes (pipelines/forecast/): the next days per series, or the backtest's scores.

    Rebuilt for the run's day from the daily marts (sql/forecast_series.sql), after them, not per partition.
    """

    table: str
    key: tuple[str, ...]
    description: str
    group: str = "forecast"

    @property
    def name(self) -> str:
        return f"marts.{self.table}"

    @property
    def columns(self) -> dict[str, str]:
        return described(forecast_columns.COLUMNS[self.table])

    @property
    def declared(self) -> Table:
        return Table(self.name, forecast_columns.COLUMNS[self.table])


@dataclass(frozen=True)
class Reconciliation:
    """Local marts beside NHS England's returns for the same trust and period: marts.<table>, a view defined by
    sql/<table>.sql, with a warning check that names every difference beyond the configured tolerance."""

    table: str
    check_name: str
    check_description: str
    group: str
    description: str
    deps: tuple[str, ...]  # the tables it reads (schema.table)

    @property
    def name(self) -> str:
        return f"marts.{self.table}"

    @property
    def columns(self) -> dict[str, str]:
        return COLUMNS[self.table]


@dataclass(frozen=True)
class Peer:
    """A view setting each trust beside its region and England on NHS England's published figures (sql/<table>.sql).

    Built with the schema like a rollup, but over whole publications (national.*), not a daily mart's partitions.
    """

    table: str
    label: str  # what the brief calls its figures: "NHS England's <label> do not cover ..."
    cadence: Literal["daily", "monthly"]  # its rows are per day (column date) or per month (column period)
    description: str
    deps: tuple[str, ...]  # the national and reference tables it reads

    @property
    def period(self) -> str:
        return "period" if self.cadence == "monthly" else "date"

    @property
    def name(self) -> str:
        return f"marts.{self.table}"

    @property
    def columns(self) -> dict[str, str]:
        return COLUMNS[self.table]


@dataclass(frozen=True)
class NationalRollup:
    """Views over a publication's national table (day, month and year to date), defined in sql/<name>.sql and
    recreated with the schema: a publication loads whole, so no partitioned asset builds them."""

    name: str
    publication: str  # the publication whose national table the views read
    views: tuple[RollupView, ...]


@dataclass(frozen=True)
class ReferenceTable:
    table: str
    source: str  # file under the reference folder
    description: str
    key: tuple[str, ...] = ()  # the primary key: a reference file repeating it does not load

    @property
    def columns(self) -> dict[str, str]:
        return described(table_columns.REFERENCE[self.table])

    @property
    def declared(self) -> Table:
        return Table(f"ref.{self.table}", table_columns.REFERENCE[self.table], self.key)


@dataclass(frozen=True)
class Relation:
    """One table or view of the warehouse as the data dictionary describes it."""

    name: str  # schema.table
    kind: Literal["table", "view"]
    description: str
    columns: dict[str, str]  # column -> what it holds, units stated, in the relation's column order

    @property
    def schema(self) -> str:
        return self.name.split(".")[0]

    @property
    def table(self) -> str:
        return self.name.split(".")[1]


# Feeds in the order the brief, status and the command line list them.
FEEDS: tuple[Feed, ...] = (
    Feed(
        "ed_attendances",
        "ED attendances",
        "schemas.ed_attendances",
        group="ed",
        section="ed",
        sender_covers_all=False,
        day_from="arrival_at",
        identity=Identity(("record_id",), site="site_code", placed="arrival", noun="attendance"),
        description="Every valid version of every ED attendance landed for the day; failing rows go to ops.quarantine.",
    ),
    Feed(
        "ed_daily_aggregates",
        "ED daily aggregates",
        "schemas.ed_daily_aggregates",
        group="ed",
        section="ed",
        sender_covers_all=False,
        day_from="date",
        views=("ed_daily_aggregates_current",),
        description="Daily ED counts per site and department type from providers that cannot send attendances "
        "(docs/domain.md §2.2); failing rows go to ops.quarantine.",
    ),
    Feed(
        "ambulance_handovers",
        "Ambulance handovers",
        "schemas.ambulance_handovers",
        group="handovers",
        section="handover",
        sender_covers_all=True,
        day_from="arrival_at",
        # One incident may convey to two sites: each conveyance is its own record.
        identity=Identity(("incident_id", "site_code"), site="site_code", placed="arrival", noun="conveyance"),
        description="Every valid version of every EMAS conveyance landed for the day; failing rows go to "
        "ops.quarantine.",
    ),
    Feed(
        "handover_sitrep",
        "Handover sitrep",
        "schemas.handover_sitrep",
        group="handovers",
        section="handover",
        sender_covers_all=False,
        day_from="date",
        views=("handover_sitrep_current",),
        watched=False,
        description="Daily handover counts per site in NHS England's published layout, for sites without "
        "conveyance data.",
    ),
    Feed(
        "cnh_cases",
        "CNH/SPoA cases",
        "schemas.cnh_cases",
        group="cnh",
        section="cnh",
        sender_covers_all=True,
        day_from="received_at",
        # A hub case has no site: the provider stands in, the same in every version.
        identity=Identity(("case_id",), site="provider_code", placed="received", noun="case"),
        description="Every valid version of every CNH / SPoA case landed for the day; failing rows go to "
        "ops.quarantine.",
    ),
    Feed(
        "opel_submissions",
        "OPEL submissions",
        "schemas.opel_submissions",
        group="opel",
        section="opel",
        sender_covers_all=True,
        day_from="date",
        views=("opel_declared",),
        deadline_sql="opel_by_cutoff",
        description="Every OPEL submission for the day (re-submissions included, for audit); failing rows go to "
        "ops.quarantine.",
    ),
)

# NHS England's published statistics, in the order the peer report lists them.
PUBLICATIONS: tuple[Publication, ...] = (
    Publication(
        "winter_sitrep",
        "UEC daily sitrep (winter)",
        "schemas.winter_sitrep",
        period="date",
        key=("org_code", "date"),
        cadence="daily",
        description="NHS England's UEC daily situation report per trust and day (beds, critical care, long stays, "
        "ambulance delays, closures, diverts), with the England and region totals as published.",
    ),
    Publication(
        "ambulance_collection",
        "Daily ambulance collection",
        "schemas.ambulance_collection",
        period="date",
        key=("org_code", "date"),
        cadence="daily",
        description="NHS England's daily ambulance handover collection per trust and day: handovers known, over "
        "15/30/45/60 minutes, unknown, total and mean time.",
    ),
    Publication(
        "ae_monthly",
        "Monthly A&E attendances and emergency admissions",
        "schemas.ae_monthly",
        period="period",
        key=("org_code", "period", "department_type"),
        cadence="monthly",
        description="NHS England's monthly A&E return per provider and department type: attendances, over-4-hour "
        "breaches and emergency admissions.",
    ),
)

NATIONAL_ROLLUPS: tuple[NationalRollup, ...] = (
    NationalRollup(
        "ambulance_collection_rollup",
        publication="ambulance_collection",
        views=(
            RollupView(
                "ambulance_collection_rollup",
                "NHS England's daily ambulance collection per trust, and each system's trusts together, by day, month "
                "to date and year to date, with the trust-days carrying an unknown value.",
            ),
        ),
    ),
)

MARTS: tuple[Mart | Rollup, ...] = (
    Mart(
        "ed_four_hour_daily",
        key=("date", "site_code", "department_type"),
        check_name="attendances_equal_within_plus_breaches_plus_pending",
        check_description="Every attendance is counted exactly once as within 4 hours, a breach or pending, and no "
        "site-day comes both as attendances and as a daily aggregate.",
        group="ed",
        feeds=("ed_attendances", "ed_daily_aggregates"),
        deps=("raw.ed_attendances", "raw.ed_daily_aggregates", "ref.sites"),
        description="ED attendances, within 4 hours, breaches, pending and over 12 hours per day, site and "
        "department type.",
        bounds=(
            Bounds("site_volumes_within_trailing_bounds", "expect_ed_site_volume", "Attendances per site per day"),
            Bounds(
                "type_1_share_within_trailing_bounds",
                "expect_ed_type_1_share",
                "Each trust's share of attendances at type 1 departments",
            ),
        ),
    ),
    Rollup(
        "ed_four_hour_rollup",
        daily="ed_four_hour_daily",
        group="ed",
        deps=("ref.targets", "ref.system_headline"),
        preview_filter="scope = 'all_types'",
        views=(
            RollupView(
                "ed_four_hour_rollup",
                "ED 4-hour and 12-hour figures for site, trust and system by day, month to date and year to date.",
                exported=True,
            ),
            RollupView(
                "ed_four_hour_trust",
                "Trust-level ED 4-hour performance for the day, month to date and year to date, beside the target.",
            ),
            RollupView(
                "ed_four_hour_system",
                "System-level (ICB) ED 4-hour performance for the day, month to date "
                "and year to date, beside the target.",
            ),
        ),
    ),
    Mart(
        "handover_daily",
        key=("date", "site_code"),
        check_name="handover_counts_are_consistent",
        check_description="known + unknown = arrivals, and over 60 <= over 45 <= over 30 <= over 15 <= known (an "
        "unknown sitrep band skipped; a conveyance day has every band).",
        group="handovers",
        feeds=("ambulance_handovers", "handover_sitrep"),
        deps=("raw.ambulance_handovers", "raw.handover_sitrep", "ref.sites"),
        description="Ambulance handovers per day and site: delays over 15/30/45/60 minutes, hours lost, mean and "
        "percentiles.",
        bounds=(
            Bounds(
                "site_volumes_within_trailing_bounds",
                "expect_handover_site_volume",
                "Conveyances per acute site per day",
            ),
            Bounds(
                "mean_handover_within_trailing_bounds",
                "expect_handover_mean_minutes",
                "Mean handover minutes per acute site per day",
            ),
        ),
    ),
    Rollup(
        "handover_rollup",
        daily="handover_daily",
        group="handovers",
        deps=("ref.targets",),
        views=(
            RollupView(
                "handover_rollup",
                "Handover figures for site, trust and system by day, month to date and "
                "year to date, against the standards.",
                exported=True,
            ),
            RollupView(
                "handover_trust",
                "Trust-level handover delays and hours lost for the day, month to date and year to date.",
            ),
            RollupView(
                "handover_system",
                "System-level handover delays and hours lost for the day, month to date and year to date.",
            ),
        ),
    ),
    Mart(
        "cnh_deflection_daily",
        key=("date", "referral_source"),
        check_name="deflection_counts_are_consistent",
        check_description="Dispatched plus avoided never exceeds cases; responses within 30 minutes never exceed "
        "responses.",
        group="cnh",
        feeds=("cnh_cases",),
        deps=("raw.cnh_cases",),
        description="CNH / SPoA cases per day and referral source: dispatches avoided, deflection rate, response "
        "and outcome mix.",
        bounds=(
            Bounds(
                "source_volumes_within_trailing_bounds",
                "expect_cnh_source_volume",
                "Hub cases per referral source per day",
            ),
        ),
    ),
    Rollup(
        "cnh_deflection_rollup",
        daily="cnh_deflection_daily",
        group="cnh",
        views=(
            RollupView(
                "cnh_deflection_rollup",
                "CNH / SPoA figures per referral source and ambulance-stack total by "
                "day, month to date and year to date.",
                exported=True,
            ),
            RollupView(
                "cnh_deflection_monthly",
                "CNH / SPoA figures per referral source for each calendar month (to its latest loaded day).",
            ),
        ),
    ),
    Mart(
        "opel_daily",
        key=("date", "provider_code"),
        check_name="opel_flags_are_consistent",
        check_description="A provider with no submission is missing; a late provider is also missing at 11:00; "
        "levels are 1-4.",
        group="opel",
        feeds=("opel_submissions",),
        deps=(
            "marts.opel_parameter_scores",
            "ref.providers",
            "marts.ed_four_hour_rollup",
            "marts.ed_four_hour_trust",
            "marts.ed_four_hour_system",
            "marts.handover_rollup",
            "marts.handover_trust",
            "marts.handover_system",
        ),
        description="Every expected provider's OPEL per day: declared (latest by 11:00), late, missing, changed, "
        "derived, cross-check.",
    ),
    Mart(
        "opel_parameter_scores",
        key=("date", "provider_code", "parameter"),
        check_name="contributions_are_level_times_weight",
        check_description="Every parameter scores a level 1-4 and contributes level x weight.",
        group="opel",
        feeds=("opel_submissions",),
        deps=("raw.opel_submissions", "ref.opel_parameters", "ref.opel_bands", "ref.opel_system_weights"),
        description="Each acute provider's OPEL parameters scored against the configured bounds, with weighted "
        "contributions.",
    ),
    Mart(
        "opel_system_daily",
        key=("date", "system_code"),
        check_name="system_level_is_between_1_and_4",
        check_description="The system score and level lie in 1-4 and no more providers declared than expected.",
        group="opel",
        feeds=("opel_submissions",),
        deps=("marts.opel_daily", "ref.opel_parameters", "ref.opel_bands", "ref.opel_system_weights"),
        description="The system OPEL score and level per day: the configured weighted mean of providers' declared "
        "levels.",
    ),
)

# The SCC's peer view: Derbyshire's trusts beside the Midlands and England, in the peer report.
PEERS: tuple[Peer, ...] = (
    Peer(
        "peer_daily",
        "daily situation reports",
        "daily",
        "Each trust's G&A occupancy and ambulance delays over 30 and 60 minutes (per arrival where published) per "
        "day from NHS England's winter sitrep and daily ambulance collection, beside each region and England, ranked "
        "among all trusts.",
        deps=("national.winter_sitrep", "national.ambulance_collection", "ref.trust_regions"),
    ),
    Peer(
        "peer_monthly",
        "monthly A&E figures",
        "monthly",
        "Each provider's 4-hour % per month from NHS England's A&E return (all types), beside each region and "
        "England, ranked, with funnel limits around England's proportion by its attendances.",
        deps=("national.ae_monthly", "ref.trust_regions"),
    ),
)

REFERENCE: tuple[ReferenceTable, ...] = (
    ReferenceTable("sites", "sites.csv", "Hospital sites with their trust and system (ODS codes).", ("site_code",)),
    ReferenceTable(
        "targets", "targets.csv", "Dated national standards and targets (e.g. 4-hour 78% in 2024/25, 82% in 2026/27)."
    ),
    ReferenceTable(
        "system_headline",
        "system_headline.csv",
        "The trusts whose sites make each system's headline ED figure (the board's: acute trusts, all types).",
        ("system_code", "trust_code"),
    ),
    ReferenceTable(
        "providers",
        "providers.csv",
        "Provider organisations (ODS codes), their role and whether they post OPEL.",
        ("provider_code",),
    ),
    ReferenceTable(
        "trust_regions",
        "trust_regions.csv",
        "Each acute trust's NHS England region, from the 2022-23 winter sitrep: the peer marts sum a region's trusts.",
        ("trust_code",),
    ),
    ReferenceTable(
        "opel_parameters",
        "opel.yaml",
        "OPEL acute parameters: weight, direction and level bounds (LOCAL PLACEHOLDER values).",
        ("parameter",),
    ),
    ReferenceTable(
        "opel_bands", "opel.yaml", "Score bands turning a provider score or the system score into an OPEL level."
    ),
    ReferenceTable(
        "opel_system_weights", "opel.yaml", "Each provider's weight in the system OPEL score.", ("provider_code",)
    ),
    ReferenceTable(
        "reconciliation_tolerances",
        "reconciliation.csv",
        "How far a local figure may differ from the national return before the reconciliation names it: a count "
        "and a % (LOCAL PLACEHOLDER values).",
        ("publication", "measure"),
    ),
)

# Where a trust's local figures and its national return cover the same month or day (issue 30): compared, and every
# difference beyond ref.reconciliation_tolerances named.
RECONCILIATION = Reconciliation(
    "reconciliation_local_national",
    check_name="local_and_national_returns_agree",
    check_description="For every trust-month and trust-day both in the local marts and in NHS England's returns, "
    "attendances, breaches, arrivals and handover delays agree within the configured tolerance "
    "(schemas/reference/reconciliation.csv); the differences beyond it are named.",
    group="quality",
    description="Local feeds reconciled with NHS England's returns: per trust and month (A&E attendances and "
    "breaches) and per trust and day (ambulance arrivals and handovers over 30 and 60 minutes), local beside national "
    "with the difference and whether it is within tolerance.",
    deps=(
        "marts.ed_four_hour_daily",
        "marts.handover_daily",
        "ref.sites",
        "ref.reconciliation_tolerances",
        "national.ae_monthly",
        "national.ambulance_collection",
        "national.winter_sitrep",
    ),
)

# The next seven days per series with 80% and 95% intervals, and the standing backtest that decides which model the
# brief shows (issue 32, docs/forecasting.md).
FORECASTS: tuple[ForecastMart, ...] = (
    ForecastMart(
        "forecast_daily",
        key=("origin", "series", "level", "subject", "model", "horizon"),
        description="Expected counts for the 7 days after each origin day, per series and model (seasonal naive "
        "beside regression with ARIMA errors on bank holidays), with 80% and 95% intervals, the training window and "
        "which model the brief shows.",
    ),
    ForecastMart(
        "forecast_backtest",
        key=("as_of", "series", "level", "subject", "model", "horizon"),
        description="The rolling-origin backtest as of each run's day: per series, model and horizon 1-7, MASE, "
        "sMAPE and the 80% and 95% interval coverage over the latest origins, and which model the brief shows.",
    ),
)
# The series the forecasts are made for, and the brief's outlook read from the forecasts.
FORECAST_SQL = ("forecast_series", "brief_forecast")

# The pipeline's own bookkeeping: what was landed, loaded, rejected and quarantined.
OPS_TABLES = {
    "source_files": "One row per file loaded: rows read, loaded and quarantined, its sha256 and extract time.",
    "rejected_files": "One row per file that could not be read at all; its provider's day keeps what it had.",
    "duplicate_files": "One row per file byte-identical to another for the same feed, provider and day.",
    "duplicate_rows": "One row per row repeating an earlier row of its file exactly: counted once, not loaded again.",
    "quarantine": "One row per failing cell of a source row, the rule it broke, and whether the record was "
    "quarantined or the value set to unknown.",
    "marts_to_rebuild": "Days of a daily mart whose records a run loaded from another day's files, to rebuild next.",
    "schema_version": "The digest of the schema SQL the warehouse was last built with.",
    "pseudonymisation_key": "The fingerprint (HMAC of a fixed label) of the key patient keys are made with.",
    "publication_files": "One row per published file loaded: its provenance (address, fetch time, sha256), the "
    "periods it holds and its rows read, loaded, quarantined and duplicated.",
}


def relations(feeds: Iterable[Feed] = FEEDS, marts: Iterable[Mart | Rollup] = MARTS) -> tuple[Relation, ...]:
    """Every table and view of the warehouse with its description and columns: the one data dictionary."""
    found = [Relation(f"ref.{r.table}", "table", r.description, r.columns) for r in REFERENCE]
    found.append(Relation("ref.reporting_periods", "view", *table_columns.VIEWS["ref.reporting_periods"]))
    for entry in feeds:
        found.append(Relation(entry.table, "table", entry.description, entry.columns))
        if entry.identity:
            names = entry.identity.names(entry.name)
            what = f"The current version of each record in {entry.table} (docs/domain.md §7.1): what the marts count."
            found.append(Relation(names["current"], "view", what, entry.columns))
            what = f"Versions in {entry.table} whose record id already names another record: never counted."
            found.append(Relation(names["reused"], "view", what, table_columns.REUSED))
            what = f"Versions in {entry.table} a later full re-send no longer holds: kept, no longer counted."
            found.append(Relation(names["withdrawn"], "view", what, table_columns.WITHDRAWN))
            what = f"Re-sent rows for {entry.table} that failed validation: the earlier valid version still counts."
            found.append(Relation(names["resent_with_fault"], "view", what, table_columns.RESENT_WITH_FAULT))
        for view in entry.views:
            if f"raw.{view}" in table_columns.VIEWS:
                found.append(Relation(f"raw.{view}", "view", *table_columns.VIEWS[f"raw.{view}"]))
            else:
                found.append(
                    Relation(
                        f"raw.{view}",
                        "view",
                        f"The latest file's row for each site and day in {entry.table}: what the marts count.",
                        entry.columns,
                    )
                )
    found += [Relation(p.table, "table", p.description, p.columns) for p in PUBLICATIONS]
    for mart in marts:
        if isinstance(mart, Mart):
            found.append(Relation(mart.name, "table", mart.description, mart.columns))
        else:
            found += [Relation(f"marts.{v.table}", "view", v.description, v.columns) for v in mart.views]
    found += [Relation(f.name, "table", f.description, f.columns) for f in FORECASTS]
    found.append(Relation(RECONCILIATION.name, "view", RECONCILIATION.description, RECONCILIATION.columns))
    found += [Relation(p.name, "view", p.description, p.columns) for p in PEERS]
    found += [Relation(f"marts.{v.table}", "view", v.description, v.columns) for r in NATIONAL_ROLLUPS for v in r.views]
    found += [Relation(f"ops.{t}", "table", what, described(table_columns.OPS[t])) for t, what in OPS_TABLES.items()]
    for view in ("ops.record_ids_reused", "ops.records_withdrawn", "ops.records_resent_with_fault"):
        found.append(Relation(view, "view", *table_columns.VIEWS[view]))
    return tuple(found)


def comments(
    feeds: Iterable[Feed] = FEEDS, marts: Iterable[Mart | Rollup] = MARTS
) -> Iterable[tuple[str, str, str | None, str]]:
    """(schema, table, column, description) for every relation (column None: the relation itself) and column."""
    for relation in relations(feeds, marts):
        yield relation.schema, relation.table, None, relation.description
        for column, description in relation.columns.items():
            yield relation.schema, relation.table, column, description


# Created before any feed's views: the schemas (then the declared tables, tables_ddl), the reporting-period macros.
SCHEMA_PREAMBLE = ("warehouse_schema", "reporting_periods")

# Rendered once per feed with an identity, after its own views' tables exist.
IDENTITY_SQL = "record_versions"
# The days a feed's day of files can move, for feeds with an identity.
DAYS_TOUCHED_SQL = "days_touched"

# SQL files that serve a purpose across feeds and marts (shared checks, expectations, the brief).
SUPPORT_SQL = (
    "check_mart_key_unique",
    "check_record_keys_unique",
    "check_rollup_covers_daily",
    "check_rows_accounted",
    "expect_daily_rows",
    "expect_provider_files",
    "expect_within_trailing_bounds",
    "brief_ed_tiles",
    "brief_handover_tiles",
    "brief_cnh_tiles",
    "brief_opel_tiles",
    "brief_opel_yesterday",
    "brief_quarantine_by_provider",
    "brief_series",
    "brief_tile_changes",
    "brief_ed_by_site_type",
    "brief_ed_type_1",
    "brief_cnh_by_source",
    "brief_opel_parameters",
    "brief_opel_history",
    "headline_figures",
    "brief_reconciliation",
    "brief_peer",
)


def feed(name: str) -> Feed:
    """The feed of that name."""
    for entry in FEEDS:
        if entry.name == name:
            return entry
    raise KeyError(f"unknown feed {name!r}; feeds are {', '.join(feed_names())}")


def publication(name: str) -> Publication:
    """The publication of that name."""
    for entry in PUBLICATIONS:
        if entry.name == name:
            return entry
    raise KeyError(f"unknown publication {name!r}; publications are {', '.join(p.name for p in PUBLICATIONS)}")


def feed_names(feeds: Iterable[Feed] = FEEDS) -> tuple[str, ...]:
    return tuple(f.name for f in feeds)


def daily_marts(marts: Iterable[Mart | Rollup] = MARTS) -> tuple[Mart, ...]:
    return tuple(m for m in marts if isinstance(m, Mart))


def rollups(marts: Iterable[Mart | Rollup] = MARTS) -> tuple[Rollup, ...]:
    return tuple(m for m in marts if isinstance(m, Rollup))


def mart_tables(marts: Iterable[Mart | Rollup] = MARTS) -> tuple[str, ...]:
    """Every relation in the marts schema, tables and rollup views, in catalogue order."""
    return tuple(t for m in marts for t in ((m.table,) if isinstance(m, Mart) else (v.table for v in m.views)))


def exported_tables(marts: Iterable[Mart | Rollup] = MARTS) -> tuple[str, ...]:
    """The marts a day's call pack carries, in catalogue order."""
    return tuple(
        t
        for m in marts
        for t in (
            (m.table,)
            if isinstance(m, Mart) and m.exported
            else (v.table for v in m.views if v.exported)
            if isinstance(m, Rollup)
            else ()
        )
    )


def published_tables(marts: Iterable[Mart | Rollup] = MARTS) -> tuple[str, ...]:
    """The marts and rollup views readers get as Parquet and reader-database views, in catalogue order."""
    return tuple(
        t
        for m in marts
        for t in (
            ((m.table,) if m.published else ()) if isinstance(m, Mart) else (v.table for v in m.views if v.published)
        )
    )


def section_feeds(feeds: Iterable[Feed] = FEEDS) -> dict[str, tuple[str, ...]]:
    """Brief section -> the feeds whose problems make it provisional."""
    sections: dict[str, tuple[str, ...]] = {}
    for entry in feeds:
        sections[entry.section] = (*sections.get(entry.section, ()), entry.name)
    return sections


def feed_of_table(table: str, feeds: Iterable[Feed] = FEEDS, marts: Iterable[Mart | Rollup] = MARTS) -> str | None:
    """The feed a raw table, mart or rollup view is built from (a mart's first source feed)."""
    feeds, marts = tuple(feeds), tuple(marts)
    if table in feed_names(feeds):
        return table
    daily = {m.table: m for m in daily_marts(marts)}
    for rollup in rollups(marts):
        if table in {v.table for v in rollup.views}:
            table = rollup.daily
    return daily[table].feeds[0] if table in daily else None


def schema_files(feeds: Iterable[Feed] = FEEDS, marts: Iterable[Mart | Rollup] = MARTS) -> tuple[str, ...]:
    """The SQL files the warehouse schema is built from; pipelines.storage.warehouse.schema_statements renders them in
    order, with IDENTITY_SQL once per feed that has an identity."""
    return (
        *SCHEMA_PREAMBLE,
        *(v for f in feeds for v in f.views),
        *(r.name for r in rollups(marts)),
        RECONCILIATION.table,
        *(p.table for p in PEERS),
        *(r.name for r in NATIONAL_ROLLUPS),
    )


def expectations(feeds: Iterable[Feed] = FEEDS, marts: Iterable[Mart | Rollup] = MARTS) -> list[Expectation]:
    """Every warehouse-level expectation: per watched feed, then per mart's bounds."""
    found = [e for f in feeds if f.watched for e in (provider_present(f.name), no_gaps(f.name))]
    for mart in daily_marts(marts):
        found += [
            within_trailing_bounds(b.check_name, ("marts", mart.table), mart.feeds[0], b.series_sql, b.what)
            for b in mart.bounds
        ]
    return found


def sql_files(feeds: Iterable[Feed] = FEEDS, marts: Iterable[Mart | Rollup] = MARTS) -> set[str]:
    """Every sql/ file the catalogue accounts for."""
    feeds, marts = tuple(feeds), tuple(marts)
    found = set(schema_files(feeds, marts)) | set(SUPPORT_SQL) | set(FORECAST_SQL)
    found |= {sql for f in feeds if f.identity for sql in (IDENTITY_SQL, DAYS_TOUCHED_SQL)}
    found |= {f.deadline_sql for f in feeds if f.deadline_sql}
    for mart in daily_marts(marts):
        found |= {mart.table, f"check_{mart.table}", *(b.series_sql for b in mart.bounds)}
    return found


def tables(feeds: Iterable[Feed] = FEEDS, marts: Iterable[Mart | Rollup] = MARTS) -> tuple[Table, ...]:
    """Every table of the warehouse as declared: the one source of its DDL, frame schemas and columns described."""
    return (
        *(r.declared for r in REFERENCE),
        *(f.declared for f in feeds),
        *(p.declared for p in PUBLICATIONS),
        *(m.declared for m in daily_marts(marts)),
        *(f.declared for f in FORECASTS),
        *(Table(f"ops.{t}", table_columns.OPS[t]) for t in OPS_TABLES),
    )


def table(name: str) -> Table:
    """The declared table of that name (schema.table)."""
    return next(t for t in tables() if t.name == name)


# Columns a warehouse built by an older version lacks: added nullable, with their declared default (which older
# rows take: a file read before layouts named a re-send rule was 'incremental', a quarantined row before values
# could be set to unknown was a whole record, ED rows before daily aggregates were patient level).
ADDED_LATER = {
    "ops.source_files": (
        "nhs_numbers_removed",
        "resend",
        "identity_window_hours",
        "rows_duplicate",
        "rows_with_unknown_values",
    ),
    "ops.quarantine": ("action", "record_key"),
    "marts.ed_four_hour_daily": ("source",),
    "marts.opel_daily": ("changed_to_level", "changed_at"),
}
# Columns an older warehouse holds as NOT NULL that may now be unknown (domain.md §7.2): an unmapped department type,
# a hub yes/no the file gets wrong, a sitrep's delay band.
NULLABLE_LATER = {
    "raw.ed_attendances": ("department_type",),
    "raw.cnh_cases": ("ambulance_dispatched", "automated"),
    # A sitrep band that breaks the nesting with its neighbour (both become unknown), and the day's mart row from it.
    "raw.handover_sitrep": ("over_15", "over_30", "over_60"),
    "marts.handover_daily": ("over_15", "over_30", "over_60"),
}


def tables_ddl(feeds: Iterable[Feed] = FEEDS, marts: Iterable[Mart | Rollup] = MARTS) -> str:
    """CREATE TABLE IF NOT EXISTS for every declared table, then what brings an older warehouse's tables up to the
    declaration (safe to run every time; the schemas come first, from sql/warehouse_schema.sql)."""
    declared = {t.name: t for t in tables(feeds, marts)}
    statements = [t.ddl() for t in declared.values()]
    for name, columns in ADDED_LATER.items():
        definitions = declared[name].definitions()
        statements += [
            f"alter table {name} add column if not exists {c} {definitions[c].replace(' not null', '')};"
            for c in columns
        ]
    statements += [f"alter table {n} alter column {c} drop not null;" for n, cs in NULLABLE_LATER.items() for c in cs]
    return "\n".join(statements)


def warehouse_tables(feeds: Iterable[Feed] = FEEDS, marts: Iterable[Mart | Rollup] = MARTS) -> set[str]:
    """Every table the warehouse schema SQL should create (schema.table)."""
    return {t.name for t in tables(feeds, marts)}


# What a table or column name templated into SQL may look like (schema.table or a bare name).
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?")
